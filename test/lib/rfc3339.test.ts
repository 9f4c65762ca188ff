/** RFC 3339 times: the one parser behind --deadline/--process-at, JSON Lines and the YAML periodic file. */
import {describe, expect, it} from 'vitest';
import {ValidationError} from '../../src/lib/errors.js';
import {parseRfc3339} from '../../src/lib/rfc3339.js';

describe('parseRfc3339', () => {
  it.each([
    ['2026-01-02T15:04:05Z', '2026-01-02T15:04:05.000Z'],
    ['2026-01-02t15:04:05z', '2026-01-02T15:04:05.000Z'],
    ['2026-01-02 15:04:05Z', '2026-01-02T15:04:05.000Z'],
    ['2026-01-02T15:04:05.5+09:00', '2026-01-02T06:04:05.500Z'],
    ['2026-01-02T15:04:05.123456789-05:30', '2026-01-02T20:34:05.123Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
  ])('%s is %s', (text, iso) => {
    expect(parseRfc3339(text).toISOString()).toBe(iso);
  });

  it.each([
    '2026-01-02', '2026-01-02T15:04:05', '2026-1-2T15:04:05Z', '2026-02-30T00:00:00Z', '2025-02-29T00:00:00Z',
    '2026-01-02T24:00:00Z', '2026-01-02T15:60:00Z', '2026-01-02T15:04:60Z', '2026-01-02T15:04:05+24:00', 'tomorrow', '1767366245',
  ])('rejects %j naming the value', (text) => {
    expect(() => parseRfc3339(text, '--deadline')).toThrow(ValidationError);
    expect(() => parseRfc3339(text, '--deadline')).toThrow(`invalid --deadline ${JSON.stringify(text)}: expected an RFC 3339 time`);
  });
});
