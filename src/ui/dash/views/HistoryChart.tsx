/**
 * History chart of a queue: processed and failed tasks per UTC day as two sparklines, each scaled
 * to its own peak (oldest day left, today right), with today's numbers and the peaks.
 */
import type {DailyStats} from '../../../lib/inspector.js';
import {Lines} from '../../components/Lines.js';
import {compactNumber, fit, sparkline, type Segment} from '../../format.js';

export interface HistoryChartProps {
  /** Daily counters, today first (Inspector.history). */
  history: readonly DailyStats[] | null;
  width: number;
  color: boolean;
}

const LABEL = 14;

/** Days of history that fit next to the labels in `width` columns (7 to 30). */
export function historyDays(width: number): number {
  return Math.max(7, Math.min(30, width - 44));
}

export function historyChartLines({history, color}: HistoryChartProps): Array<string | Segment[]> {
  if (history === null || history.length === 0) return [fit('Processed/day', LABEL), fit('Failed/day', LABEL)];
  const days = [...history].reverse();
  const processed = days.map((d) => d.processed);
  const failed = days.map((d) => d.failed);
  const today = history[0]!;
  const span = `${days.length} days`;
  // Each line on its own scale (its peak is printed): failures stay readable next to large volumes.
  const line = (label: string, values: number[], c: string, now: number, tail: string): Segment[] => {
    const peak = Math.max(0, ...values);
    return [
      {text: fit(label, LABEL)},
      {text: sparkline(values, peak).replace(/ /g, color ? ' ' : '.'), ...(color ? {color: c} : {})},
      {text: `  today ${fit(compactNumber(now), 5)} max ${fit(compactNumber(peak), 5)}  ${tail}`},
    ];
  };
  return [
    line('Processed/day', processed, 'green', today.processed, span),
    line('Failed/day', failed, 'red', today.failed, ''),
  ];
}

export function HistoryChart(p: HistoryChartProps) {
  return <Lines lines={historyChartLines(p)} width={p.width} height={2} color={p.color} />;
}
