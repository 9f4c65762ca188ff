/** keys.utcDate keeps the last day's text (it is built per outcome write); the text must still follow every instant. */
import {describe, expect, it} from 'vitest';
import * as keys from '../../../src/lib/base/keys.js';

describe('utcDate', () => {
  it('gives the UTC date of each instant, across midnight, backwards and before 1970', () => {
    const cases: Array<[string, string]> = [
      ['2024-02-28T23:59:59.999Z', '2024-02-28'],
      ['2024-02-29T00:00:00.000Z', '2024-02-29'],
      ['2024-02-29T23:59:59.999Z', '2024-02-29'],
      ['2024-02-28T12:00:00.000Z', '2024-02-28'],
      ['1969-12-31T23:59:59.999Z', '1969-12-31'],
      ['1970-01-01T00:00:00.000Z', '1970-01-01'],
      ['2024-02-29T12:00:00.000+14:00', '2024-02-28'],
    ];
    for (const [iso, want] of cases) expect(keys.utcDate(new Date(iso))).toBe(want);
    expect(keys.processedKey('q', new Date('2024-03-01T00:00:00Z'))).toBe('asynq:{q}:processed:2024-03-01');
    expect(keys.failedKey('q', new Date('2024-02-29T23:00:00Z'))).toBe('asynq:{q}:failed:2024-02-29');
  });

  it('still throws on an invalid date, as toISOString does', () => {
    expect(() => keys.utcDate(new Date(Number.NaN))).toThrow(RangeError);
  });
});
