/**
 * History chart of a queue: processed and failed tasks per UTC day as two sparklines on one
 * scale (oldest day left, today right), with today's numbers and the peak.
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
  const max = Math.max(0, ...processed, ...failed);
  const today = history[0]!;
  const maxFailed = Math.max(0, ...failed);
  const span = `${days.length}d, ${days[0]!.date}..${today.date} UTC`;
  const line = (label: string, values: number[], c: string, now: number, peak: number, tail: string): Segment[] => [
    {text: fit(label, LABEL)},
    {text: sparkline(values, max).replace(/ /g, color ? ' ' : '.'), ...(color ? {color: c} : {})},
    {text: `  today ${fit(compactNumber(now), 5)} max ${fit(compactNumber(peak), 5)}  ${tail}`},
  ];
  return [
    line('Processed/day', processed, 'green', today.processed, Math.max(0, ...processed), span),
    line('Failed/day', failed, 'red', today.failed, maxFailed, ''),
  ];
}

export function HistoryChart(p: HistoryChartProps) {
  return <Lines lines={historyChartLines(p)} width={p.width} height={2} color={p.color} />;
}
