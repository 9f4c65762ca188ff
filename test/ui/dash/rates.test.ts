import {describe, expect, it} from 'vitest';
import {dashRate} from '../../../src/cli/format/number.js';
import {counterRate, foldRates, NO_RATES, RATE_SAMPLES, sumRates} from '../../../src/ui/dash/rates.js';
import {rateChartLines, rateChartSamples} from '../../../src/ui/dash/views/RateChart.js';
import {NOW, queueInfo} from '../fakes.js';

const T0 = NOW.getTime();
/** A read of `queue` `s` seconds after T0 with these all-time counters (the daily ones are set apart on purpose). */
const read = (queue: string, s: number, processedTotal: number, failedTotal = 0) =>
  queueInfo(queue, {timestamp: new Date(T0 + s * 1000), processedTotal, failedTotal, processed: 7, failed: 1});

describe('counterRate', () => {
  it('is the change of the counters over the time between the reads', () => {
    expect(counterRate({at: T0, processed: 100, failed: 10}, {at: T0 + 2000, processed: 110, failed: 13})).toEqual({
      processed: 5,
      failed: 1.5,
    });
  });
  it('is unknown without an earlier read, or when the reads are too close or out of order', () => {
    expect(counterRate(undefined, {at: T0, processed: 1, failed: 0})).toBeNull();
    expect(counterRate({at: T0, processed: 1, failed: 0}, {at: T0 + 100, processed: 5, failed: 0})).toBeNull();
    expect(counterRate({at: T0, processed: 1, failed: 0}, {at: T0 - 1000, processed: 5, failed: 0})).toBeNull();
  });
  it('counts a counter that went down (reset, queue created again) as 0', () => {
    expect(counterRate({at: T0, processed: 500, failed: 50}, {at: T0 + 1000, processed: 3, failed: 60})).toEqual({
      processed: 0,
      failed: 10,
    });
  });
});

describe('foldRates', () => {
  it('has no rate after the first read, then one per queue and a system sample per queue-table read', () => {
    const s1 = foldRates(NO_RATES, [read('a', 0, 100), read('b', 0, 50, 5)], true);
    expect(s1.rates).toEqual({});
    expect(s1.systemSeries).toEqual([]);
    const s2 = foldRates(s1, [read('a', 2, 120), read('b', 2, 50, 9)], true);
    expect(s2.rates).toEqual({a: {processed: 10, failed: 0}, b: {processed: 0, failed: 2}});
    expect(s2.systemSeries).toEqual([{processed: 10, failed: 2}]);
    expect(s2.queueSeries).toEqual({a: [{processed: 10, failed: 0}], b: [{processed: 0, failed: 2}]});
    expect(s1.rates).toEqual({}); // not mutated
  });

  it('uses the all-time counters, so midnight (daily counters back to 0) is no negative rate', () => {
    const s1 = foldRates(NO_RATES, [queueInfo('a', {timestamp: NOW, processed: 900, processedTotal: 5000})], true);
    const s2 = foldRates(
      s1,
      [queueInfo('a', {timestamp: new Date(T0 + 1000), processed: 0, processedTotal: 5004})],
      true,
    );
    expect(s2.rates['a']).toEqual({processed: 4, failed: 0});
  });

  it('gives a queue that appears later its rate from its second read, and forgets removed queues', () => {
    const s1 = foldRates(NO_RATES, [read('a', 0, 0)], true);
    const s2 = foldRates(s1, [read('a', 1, 3), read('new', 1, 40)], true);
    expect(s2.rates).toEqual({a: {processed: 3, failed: 0}});
    expect(s2.systemSeries).toEqual([{processed: 3, failed: 0}]);
    const s3 = foldRates(s2, [read('new', 2, 41)], true);
    expect(s3.rates).toEqual({new: {processed: 1, failed: 0}});
    expect(Object.keys(s3.last)).toEqual(['new']);
    expect(s3.systemSeries).toEqual([
      {processed: 3, failed: 0},
      {processed: 1, failed: 0},
    ]);
  });

  it('a queue screen read updates only its queue and not the system series', () => {
    const s1 = foldRates(NO_RATES, [read('a', 0, 0), read('b', 0, 0)], true);
    const s2 = foldRates(s1, [read('a', 4, 8)], false);
    expect(s2.rates).toEqual({a: {processed: 2, failed: 0}});
    expect(Object.keys(s2.last).sort()).toEqual(['a', 'b']);
    expect(s2.systemSeries).toEqual([]);
    expect(s2.queueSeries['a']).toEqual([{processed: 2, failed: 0}]);
  });

  it('keeps the older base for a read too close to the last one (a refresh key press)', () => {
    const s1 = foldRates(NO_RATES, [read('a', 0, 0)], true);
    const s2 = foldRates(s1, [read('a', 2, 10)], true);
    const s3 = foldRates(s2, [read('a', 2.1, 20)], true);
    expect(s3.rates['a']).toEqual({processed: 5, failed: 0});
    expect(s3.systemSeries).toHaveLength(1);
    const s4 = foldRates(s3, [read('a', 4, 30)], true);
    expect(s4.rates['a']).toEqual({processed: 10, failed: 0});
  });

  it('keeps the last RATE_SAMPLES samples', () => {
    let s = NO_RATES;
    for (let i = 0; i <= RATE_SAMPLES + 5; i++) s = foldRates(s, [read('a', i, i * i)], true);
    expect(s.systemSeries).toHaveLength(RATE_SAMPLES);
    expect(s.queueSeries['a']).toHaveLength(RATE_SAMPLES);
    expect(s.systemSeries.at(-1)).toEqual({processed: 2 * (RATE_SAMPLES + 5) - 1, failed: 0});
  });

  it('sums known rates only', () => {
    expect(sumRates([null, undefined])).toBeNull();
    expect(sumRates([{processed: 1, failed: 0.5}, null, {processed: 2, failed: 0}])).toEqual({
      processed: 3,
      failed: 0.5,
    });
  });
});

describe('dashRate', () => {
  it('formats tasks per second in at most 5 columns', () => {
    expect([null, 0, 0.01, 0.25, 2.5, 9.96, 12.4, 9999, 12_345, 123_456, 2_500_000].map(dashRate)).toEqual([
      '-',
      '0',
      '<0.1',
      '0.3',
      '2.5',
      '10',
      '12',
      '9999',
      '12.3k',
      '123k',
      '3M',
    ]);
  });
});

describe('rateChartLines', () => {
  const text = (segs: {text: string}[]) => segs.map((s) => s.text).join('');

  it('says the rate comes after the next refresh while there is no sample', () => {
    expect(rateChartLines({series: [], width: 80, color: false}).map(text)).toEqual([
      'Processed/s   - (known after the next refresh)',
      'Failed/s      -',
    ]);
  });

  it('draws processed and failed on their own scales, newest right, with the latest rate and the peak', () => {
    const series = [
      {processed: 2, failed: 0},
      {processed: 4, failed: 1},
      {processed: 8, failed: 0.5},
    ];
    const n = rateChartSamples(80);
    expect(n).toBe(44);
    const [p, f] = rateChartLines({series, width: 80, color: false}).map(text);
    expect(p).toBe(`Processed/s   ${' '.repeat(n - 3)}▂▄█  now 8.0   max 8.0  `);
    expect(f).toBe(`Failed/s      ${' '.repeat(n - 3)}.█▄  now 0.5   max 1.0  `);
  });

  it('shows only the samples that fit the width', () => {
    const series = Array.from({length: RATE_SAMPLES}, (_, i) => ({processed: i + 1, failed: 0}));
    const [p] = rateChartLines({series, width: 200, color: true}).map(text);
    expect(p).toContain('▁');
    expect(rateChartSamples(200)).toBe(RATE_SAMPLES);
    const [narrow] = rateChartLines({series, width: 50, color: false}).map(text);
    expect(rateChartSamples(50)).toBe(14);
    expect(narrow).toHaveLength(49); // Lines pads to the width
    expect(narrow).toMatch(/^Processed\/s {3}[▇█]{14} {2}now 60 {4}max 60 {3}$/u);
  });
});
