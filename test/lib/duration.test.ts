import {describe, expect, it} from 'vitest';
import {goDurationString, goUnixDate, toMs} from '../../src/lib/duration.js';
import {ValidationError} from '../../src/lib/errors.js';

describe('toMs', () => {
  it.each([
    [1500, 1500],
    [0, 0],
    [-250, -250],
    ['90s', 90_000],
    ['10m', 600_000],
    ['24h', 86_400_000],
    ['1h30m', 5_400_000],
    ['1h 30m', 5_400_000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['1.5µs', 0.0015],
    ['1μs', 0.001], // Greek mu, which Go accepts too
    ['2us', 0.002],
    ['-5s', -5000],
    ['-1h30m', -5_400_000], // the sign applies to the whole duration, as in Go
    ['0', 0],
    ['2 days', 172_800_000],
    [' 3 hours ', 10_800_000],
  ])('reads %j as %d ms', (input, want) => {
    expect(toMs(input)).toBeCloseTo(want, 9);
  });

  it.each(['10', '1h30', '1h garbage', '', 'abc', '5x', '--5s', '1,000ms', 'h', '1h-30m'])('rejects %j with a ValidationError', (s) => {
    expect(() => toMs(s)).toThrow(ValidationError);
  });

  it.each([NaN, Infinity, -Infinity])('rejects the number %d', (n) => {
    expect(() => toMs(n)).toThrow(ValidationError);
  });

  it('rejects a value that is neither number nor string, naming the option', () => {
    expect(() => toMs({} as unknown as string, 'timeout')).toThrow(/invalid timeout/);
  });

  it('says a unit is missing for a bare number string', () => {
    expect(() => toMs('10', 'retention')).toThrow('invalid retention "10": missing unit (write e.g. "10s" or "10ms")');
  });
});

describe('goDurationString (Go time.Duration.String)', () => {
  it.each([
    [0, '0s'],
    [0.000001, '1ns'],
    [0.000999, '999ns'],
    [0.001, '1µs'],
    [0.0015, '1.5µs'],
    [1, '1ms'],
    [1.5, '1.5ms'],
    [500, '500ms'],
    [999.999999, '999.999999ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [59_000, '59s'],
    [60_000, '1m0s'],
    [90_000, '1m30s'],
    [60_000.5, '1m0.0005s'],
    [3_600_000, '1h0m0s'],
    [86_400_000, '24h0m0s'],
    [36 * 3_600_000 + 90_000, '36h1m30s'],
    [-1500, '-1.5s'],
    [-0.0005, '-500ns'],
    [1e-7, '0s'], // 0.1 ns rounds to nothing
    [6e-7, '1ns'],
    ['30m', '30m0s'],
    ['1h', '1h0m0s'],
  ])('%j → %s', (input, want) => {
    expect(goDurationString(input)).toBe(want);
  });

  it('stays exact beyond 2^53 nanoseconds (104 days)', () => {
    // 300 days + 1 µs: the sub-ms part must survive the conversion to integer nanoseconds
    expect(goDurationString(300 * 86_400_000 + 0.001)).toBe('7200h0m0.000001s');
    expect(goDurationString('106751d')).toBe('2562024h0m0s');
  });
});

describe('goUnixDate (Go time.UnixDate layout)', () => {
  it('pads a one-digit day with a space and names UTC', () => {
    expect(goUnixDate(new Date('2026-01-01T09:05:00Z'))).toBe('Thu Jan  1 09:05:00 UTC 2026');
  });

  it('prints two-digit days and 24-hour times', () => {
    expect(goUnixDate(new Date('2025-12-31T23:59:59.999Z'))).toBe('Wed Dec 31 23:59:59 UTC 2025');
    expect(goUnixDate(new Date('2026-03-15T00:00:00Z'))).toBe('Sun Mar 15 00:00:00 UTC 2026');
  });

  it('converts to another time zone and names it', () => {
    expect(goUnixDate(new Date('2026-01-01T09:05:00Z'), 'America/New_York')).toBe('Thu Jan  1 04:05:00 EST 2026');
    expect(goUnixDate(new Date('2026-07-01T09:05:00Z'), 'America/New_York')).toBe('Wed Jul  1 05:05:00 EDT 2026');
  });

  it('rejects an unknown time zone and an invalid date', () => {
    expect(() => goUnixDate(new Date(0), 'Mars/Olympus')).toThrow(ValidationError);
    expect(() => goUnixDate(new Date(NaN))).toThrow(ValidationError);
  });
});
