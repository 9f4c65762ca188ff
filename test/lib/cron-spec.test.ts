import {describe, expect, it} from 'vitest';
import {checkTimeZone, parseCronSpec} from '../../src/lib/cron-spec.js';
import {ValidationError} from '../../src/lib/errors.js';

const at = (iso: string): Date => new Date(iso);
const iso = (d: Date): string => d.toISOString();

/** The first n ticks after `from`. */
function ticks(spec: string, from: string, n: number, location?: string): string[] {
  const s = parseCronSpec(spec, location);
  const out: string[] = [];
  let t = at(from);
  for (let i = 0; i < n; i++) {
    t = s.next(t);
    out.push(iso(t));
  }
  return out;
}

describe('parseCronSpec: 5-field specs', () => {
  it('fires "* * * * *" at every minute boundary, strictly after the given time', () => {
    expect(ticks('* * * * *', '2026-01-01T12:00:30.250Z', 3)).toEqual([
      '2026-01-01T12:01:00.000Z', '2026-01-01T12:02:00.000Z', '2026-01-01T12:03:00.000Z',
    ]);
    // Exactly on a boundary: the next one, never the same instant again.
    expect(iso(parseCronSpec('* * * * *').next(at('2026-01-01T12:01:00.000Z')))).toBe('2026-01-01T12:02:00.000Z');
  });

  it('reads steps, ranges, lists, "?" and robfig\'s N/step form', () => {
    expect(ticks('*/15 * * * *', '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-01-01T00:15:00.000Z', '2026-01-01T00:30:00.000Z', '2026-01-01T00:45:00.000Z',
    ]);
    // "5/15" means 5-59/15.
    expect(ticks('5/15 * * * *', '2026-01-01T00:00:00Z', 5)).toEqual([
      '2026-01-01T00:05:00.000Z', '2026-01-01T00:20:00.000Z', '2026-01-01T00:35:00.000Z',
      '2026-01-01T00:50:00.000Z', '2026-01-01T01:05:00.000Z',
    ]);
    expect(ticks('0 8-9,17 ? * *', '2026-01-01T00:00:00Z', 4)).toEqual([
      '2026-01-01T08:00:00.000Z', '2026-01-01T09:00:00.000Z', '2026-01-01T17:00:00.000Z', '2026-01-02T08:00:00.000Z',
    ]);
  });

  it('accepts month and weekday names in any case', () => {
    // 2026-01-01 is a Thursday; the first Sunday of February is Feb 1.
    expect(ticks('30 6 * FEB,mar Sun', '2026-01-01T00:00:00Z', 2)).toEqual([
      '2026-02-01T06:30:00.000Z', '2026-02-08T06:30:00.000Z',
    ]);
  });

  it('matches day-of-month OR day-of-week when both are restricted, AND when one is a star (robfig/Vixie)', () => {
    // 13th of the month or any Friday: Fri Jan 2, Fri Jan 9, Tue Jan 13, Fri Jan 16.
    expect(ticks('0 0 13 * 5', '2026-01-01T00:00:00Z', 4)).toEqual([
      '2026-01-02T00:00:00.000Z', '2026-01-09T00:00:00.000Z', '2026-01-13T00:00:00.000Z', '2026-01-16T00:00:00.000Z',
    ]);
    // Star day-of-month: Mondays only.
    expect(ticks('0 0 * * 1', '2026-01-01T00:00:00Z', 2)).toEqual(['2026-01-05T00:00:00.000Z', '2026-01-12T00:00:00.000Z']);
    // "1-31" is a restriction for robfig (no star bit), so OR with Monday: every day.
    expect(ticks('0 0 1-31 * 1', '2026-01-01T00:00:00Z', 2)).toEqual(['2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z']);
    // "*/1" keeps the star bit: AND, Mondays only.
    expect(ticks('0 0 */1 * 1', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-05T00:00:00.000Z']);
  });
});

describe('parseCronSpec: descriptors', () => {
  it.each([
    ['@hourly', '2026-01-01T11:00:00.000Z'],
    ['@daily', '2026-01-02T00:00:00.000Z'],
    ['@midnight', '2026-01-02T00:00:00.000Z'],
    ['@weekly', '2026-01-04T00:00:00.000Z'], // Sunday
    ['@monthly', '2026-02-01T00:00:00.000Z'],
    ['@yearly', '2027-01-01T00:00:00.000Z'],
    ['@annually', '2027-01-01T00:00:00.000Z'],
  ])('%s fires at %s after 2026-01-01T10:20Z', (spec, want) => {
    expect(iso(parseCronSpec(spec).next(at('2026-01-01T10:20:00Z')))).toBe(want);
  });

  it('@every counts from the given time truncated to the second (robfig ConstantDelaySchedule)', () => {
    const s = parseCronSpec('@every 30s');
    expect(s.everyMs).toBe(30_000);
    expect(iso(s.next(at('2026-01-01T12:00:10.700Z')))).toBe('2026-01-01T12:00:40.000Z');
    expect(ticks('@every 1h30m', '2026-01-01T00:00:05Z', 2)).toEqual(['2026-01-01T01:30:05.000Z', '2026-01-01T03:00:05.000Z']);
  });

  it('@every truncates the interval to whole seconds, with a minimum of one second', () => {
    expect(parseCronSpec('@every 1500ms').everyMs).toBe(1000);
    expect(parseCronSpec('@every 2.9s').everyMs).toBe(2000);
    expect(parseCronSpec('@every 100ms').everyMs).toBe(1000);
    expect(parseCronSpec('@every 0s').everyMs).toBe(1000);
    expect(parseCronSpec('@every 5s').next(at('2026-01-01T00:00:00.999Z')).toISOString()).toBe('2026-01-01T00:00:05.000Z');
    expect(parseCronSpec('0 0 * * *').everyMs).toBeUndefined();
  });
});

describe('parseCronSpec: time zones', () => {
  it('evaluates the spec in the location (default UTC)', () => {
    const utc = parseCronSpec('0 9 * * *');
    expect(utc.timeZone).toBe('UTC');
    expect(iso(utc.next(at('2026-01-01T00:00:00Z')))).toBe('2026-01-01T09:00:00.000Z');
    const tokyo = parseCronSpec('0 9 * * *', 'Asia/Tokyo'); // UTC+9, no DST
    expect(tokyo.timeZone).toBe('Asia/Tokyo');
    expect(iso(tokyo.next(at('2026-01-01T00:00:00Z')))).toBe('2026-01-02T00:00:00.000Z');
  });

  it('lets a CRON_TZ= or TZ= prefix override the location, following DST', () => {
    const ny = parseCronSpec('CRON_TZ=America/New_York 0 9 * * *', 'Asia/Tokyo');
    expect(ny.timeZone).toBe('America/New_York');
    expect(ny.spec).toBe('CRON_TZ=America/New_York 0 9 * * *');
    expect(iso(ny.next(at('2026-01-10T00:00:00Z')))).toBe('2026-01-10T14:00:00.000Z'); // EST, UTC-5
    expect(iso(ny.next(at('2026-07-10T00:00:00Z')))).toBe('2026-07-10T13:00:00.000Z'); // EDT, UTC-4
    const tz = parseCronSpec('TZ=Asia/Kolkata @daily');
    expect(iso(tz.next(at('2026-01-01T00:00:00Z')))).toBe('2026-01-01T18:30:00.000Z'); // midnight IST = 18:30 UTC
  });

  it('refuses unknown zones in the prefix and in the location', () => {
    expect(() => parseCronSpec('CRON_TZ=Mars/Olympus * * * * *')).toThrow(/unknown IANA time zone/);
    expect(() => parseCronSpec('* * * * *', 'Nowhere/Land')).toThrow(ValidationError);
    expect(() => checkTimeZone('')).toThrow(ValidationError);
    expect(checkTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
  });
});

describe('parseCronSpec: invalid specs', () => {
  it.each([
    ['', /empty spec string/],
    ['   ', /empty spec string/],
    ['* * * *', /expected exactly 5 fields.*found 4/],
    ['0 * * * * *', /expected exactly 5 fields.*found 6/], // no seconds field
    ['60 * * * *', /minute: end of range \(60\) above maximum \(59\)/],
    ['* 24 * * *', /hour: end of range \(24\) above maximum \(23\)/],
    ['* * 0 * *', /day of month: beginning of range \(0\) below minimum \(1\)/],
    ['* * * 13 *', /month: end of range \(13\) above maximum \(12\)/],
    ['* * * * 7', /day of week: end of range \(7\) above maximum \(6\)/],
    ['*/0 * * * *', /step of range should be a positive number/],
    ['5-1 * * * *', /beginning of range \(5\) beyond end of range \(1\)/],
    ['1-2-3 * * * *', /too many hyphens/],
    ['1/2/3 * * * *', /too many slashes/],
    ['-5 * * * *', /cannot parse|negative/],
    ['1,,2 * * * *', /empty list element/],
    ['0 0 L * *', /day of month: cannot parse "L"/],
    ['0 0 * * 1#1', /day of week: cannot parse "1#1"/],
    ['H * * * *', /minute: cannot parse "H"/],
    ['0 0 * * FOO', /day of week: cannot parse "FOO"/],
    ['@minutely', /unrecognized descriptor "@minutely"/],
    ['@every', /unrecognized descriptor/],
    ['@every 10', /failed to parse duration.*missing unit/],
    ['@every abc', /failed to parse duration/],
    ['TZ=UTC', /nothing after the time zone/],
    ['0 0 30 2 *', /no activation time found/],
  ])('%j is a ValidationError', (spec, want) => {
    let err: unknown;
    try {
      parseCronSpec(spec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toMatch(want);
    expect((err as Error).message).toContain(`invalid cron spec ${JSON.stringify(spec)}`);
  });
});
