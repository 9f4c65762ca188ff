/**
 * Live throughput chart: processed and failed tasks per second over the last refreshes (one value
 * per refresh, newest right) as two sparklines, each scaled to its own peak, with the latest rate
 * and the peak. The queue table draws it for the whole system, the queue screen for its queue.
 */
import {dashRate} from '../../../cli/format/number.js';
import {fit, sparkline, type Segment} from '../../format.js';
import {RATE_SAMPLES, type Rate} from '../rates.js';

export interface RateChartProps {
  /** Rates, oldest first (rates.ts). */
  series: readonly Rate[];
  width: number;
  color: boolean;
}

/** Lines the chart takes. */
export const RATE_CHART_LINES = 2;

const LABEL = 14;
/** `  now 12.5  max 30.1`. */
const TAIL = 22;

/** Samples drawn in `width` columns (up to RATE_SAMPLES). */
export function rateChartSamples(width: number): number {
  return Math.max(1, Math.min(RATE_SAMPLES, width - LABEL - TAIL));
}

export function rateChartLines({series, width, color}: RateChartProps): Segment[][] {
  const dim = color ? {dim: true} : {};
  if (series.length === 0) {
    return [
      [{text: fit('Processed/s', LABEL)}, {text: '- (known after the next refresh)', ...dim}],
      [{text: fit('Failed/s', LABEL)}, {text: '-', ...dim}],
    ];
  }
  const n = rateChartSamples(width);
  const shown = series.slice(-n);
  const line = (label: string, values: number[], c: string): Segment[] => {
    const peak = Math.max(0, ...values);
    const spark = sparkline(values, peak).replace(/ /g, color ? ' ' : '.');
    return [
      {text: fit(label, LABEL)},
      {text: ' '.repeat(n - shown.length)},
      {text: spark, ...(color ? {color: c} : {})},
      {text: `  now ${fit(dashRate(values[values.length - 1]!), 5)} max ${fit(dashRate(peak), 5)}`},
    ];
  };
  return [
    line(
      'Processed/s',
      shown.map((r) => r.processed),
      'green',
    ),
    line(
      'Failed/s',
      shown.map((r) => r.failed),
      'red',
    ),
  ];
}
