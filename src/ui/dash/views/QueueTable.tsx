/**
 * Queues screen: one row per queue (state, size, per-state counts, today's processed/failed,
 * error rate, latency, memory; with `rates`, tasks/s processed and failed now) with a stacked bar of
 * its states scaled to the largest queue, a totals row and a legend; with `series`, the chart of the
 * whole system's tasks/s under it. Columns that do not fit the width are dropped, least useful
 * first; the bar takes the spare width.
 */
import type {QueueInfo} from '../../../lib/inspector.js';
import type {TaskState} from '../../../lib/base/states.js';
import {Lines} from '../../components/Lines.js';
import {tableLines, rowSegments, windowLabel} from '../../components/table.js';
import {goByteCount} from '../../../cli/format/bytes.js';
import {dashErrorRate, dashRate} from '../../../cli/format/number.js';
import {dashLatency} from '../../../cli/format/time.js';
import {compactNumber, stackedBar, type Column, type Segment} from '../../format.js';
import {STATE_ORDER, STATE_STYLE} from '../../theme.js';
import {sumRates, type Rate} from '../rates.js';
import type {SortKey} from '../state.js';
import type {BrokenQueue} from '../source.js';
import {RATE_CHART_LINES, rateChartLines} from './RateChart.js';

export interface QueueTableProps {
  /** Queues in display order (filtered and sorted). */
  queues: readonly QueueInfo[];
  /** How many queues exist before filtering. */
  totalQueues: number;
  cursor: number;
  sort: SortKey;
  desc: boolean;
  /** The filter in effect (typed or applied), '' for none. */
  filter: string;
  width: number;
  height: number;
  color: boolean;
  /** True until the first data arrives. */
  loading?: boolean;
  /** Queues left out because their keys hold bad data: named under the table. */
  broken?: readonly BrokenQueue[];
  /** Tasks/s of each queue (rates.ts): adds the Proc/s and Fail/s columns (`-` until known). */
  rates?: Readonly<Record<string, Rate>>;
  /** The whole system's last tasks/s: adds their chart under the table. */
  series?: readonly Rate[];
}

interface Row extends QueueInfo {
  isTotal?: boolean;
  rate?: Rate | null;
}

/** Rows of the queue table that fit in `height` (header, totals and legend take three lines, the chart two). */
export function queueTableRows(height: number, chart = false): number {
  return Math.max(1, height - 3 - (chart ? RATE_CHART_LINES : 0));
}

const SORT_COLUMN: Partial<Record<SortKey, string>> = {
  queue: 'Queue',
  size: 'Size',
  processed: 'Proc',
  failed: 'Fail',
  errorRate: 'Err%',
  latency: 'Lat',
  memoryUsage: 'Mem',
  ...Object.fromEntries(STATE_ORDER.map((s) => [s, STATE_STYLE[s].short])),
};

// Higher priority columns stay longer when the terminal is narrow.
const STATE_PRIORITY: Record<TaskState, number> = {
  active: 70,
  pending: 75,
  aggregating: 35,
  scheduled: 55,
  retry: 90,
  archived: 60,
  completed: 30,
};

function rateColumns(color: boolean): Column<Row>[] {
  return [
    {header: 'Proc/s', width: 6, align: 'right', priority: 78, cell: (q) => dashRate(q.rate?.processed ?? null)},
    {
      header: 'Fail/s',
      width: 6,
      align: 'right',
      priority: 77,
      cell: (q) => {
        const text = dashRate(q.rate?.failed ?? null);
        return color && (q.rate?.failed ?? 0) > 0 ? [{text, color: 'red'}] : text;
      },
    },
  ];
}

function columns(scale: number, color: boolean, rates: boolean): Column<Row>[] {
  const count = (state: TaskState): Column<Row> => ({
    header: STATE_STYLE[state].short,
    width: 5,
    align: 'right',
    priority: STATE_PRIORITY[state],
    cell: (q) => compactNumber(q[state]),
  });
  return [
    {header: 'Queue', width: 10, flex: 1, max: 30, cell: (q) => (q.isTotal ? [{text: q.queue, bold: true}] : q.queue)},
    {
      header: 'State',
      width: 6,
      cell: (q) =>
        q.isTotal ? '' : q.paused ? [{text: 'PAUSED', color: 'yellow', bold: true}] : [{text: 'RUN', color: 'green'}],
    },
    {header: 'Size', width: 5, align: 'right', cell: (q) => compactNumber(q.size)},
    ...STATE_ORDER.map(count),
    {header: 'Proc', width: 5, align: 'right', priority: 65, cell: (q) => compactNumber(q.processed)},
    {
      header: 'Fail',
      width: 5,
      align: 'right',
      priority: 85,
      cell: (q) => (q.failed > 0 ? [{text: compactNumber(q.failed), color: 'red'}] : compactNumber(q.failed)),
    },
    {header: 'Err%', width: 7, align: 'right', priority: 80, cell: (q) => dashErrorRate(q.processed, q.failed)},
    ...(rates ? rateColumns(color) : []),
    {header: 'Lat', width: 6, align: 'right', priority: 45, cell: (q) => dashLatency(q.latency)},
    {header: 'Mem', width: 8, align: 'right', priority: 40, cell: (q) => goByteCount(q.memoryUsage)},
    {
      header: 'States',
      width: 10,
      flex: 3,
      priority: 62,
      cell: (q, w) =>
        stackedBar(
          STATE_ORDER.map((s) => ({value: q[s], color: STATE_STYLE[s].color, glyph: STATE_STYLE[s].glyph})),
          q.isTotal ? q.size : scale,
          w,
          color,
        ),
    },
  ];
}

function totals(queues: readonly Row[]): Row {
  const sum = (f: (q: QueueInfo) => number): number => queues.reduce((s, q) => s + f(q), 0);
  return {
    queue: 'Total',
    isTotal: true,
    paused: false,
    timestamp: new Date(0),
    groups: sum((q) => q.groups),
    memoryUsage: sum((q) => q.memoryUsage),
    latency: Math.max(0, ...queues.map((q) => q.latency)),
    size: sum((q) => q.size),
    pending: sum((q) => q.pending),
    active: sum((q) => q.active),
    scheduled: sum((q) => q.scheduled),
    retry: sum((q) => q.retry),
    archived: sum((q) => q.archived),
    completed: sum((q) => q.completed),
    aggregating: sum((q) => q.aggregating),
    processed: sum((q) => q.processed),
    failed: sum((q) => q.failed),
    processedTotal: sum((q) => q.processedTotal),
    failedTotal: sum((q) => q.failedTotal),
    rate: sumRates(queues.map((q) => q.rate)),
  };
}

/** The legend of the bar colours (glyphs without colour); short state names when `short`. */
function legend(color: boolean, short: boolean): Segment[] {
  const out: Segment[] = [];
  for (const s of STATE_ORDER) {
    const st = STATE_STYLE[s];
    out.push(color ? {text: '█', color: st.color} : {text: st.glyph}, {text: short ? ` ${st.short} ` : ` ${s}  `});
  }
  return out;
}

/** Puts the sort arrow next to the sorted column's header, within the column's width. */
function markSorted(seg: Segment, label: string, arrow: string): Segment {
  const t = seg.text;
  if (t.trim() !== label) return seg;
  if (t.startsWith(' ')) return {...seg, text: `${t.slice(1)}${arrow}`};
  if (t.endsWith(' ')) return {...seg, text: t.replace(`${label} `, `${label}${arrow}`)};
  return seg;
}

export function queueTableLines(p: QueueTableProps): Array<string | Segment[]> {
  if (p.loading) return ['  Loading queues…'];
  const broken = (p.broken ?? []).map((b): Segment[] => [
    {text: `  Queue "${b.queue}" left out: bad data in Redis: ${b.error}`, ...(p.color ? {color: 'red'} : {})},
  ]);
  if (broken.length > 0)
    return [...queueTableLines({...p, broken: [], height: Math.max(1, p.height - broken.length)}), ...broken];
  if (p.queues.length === 0) {
    return [
      p.totalQueues === 0
        ? '  No queues yet: a queue appears when a task is first enqueued to it.'
        : `  No queue name contains "${p.filter}" (Esc clears the filter).`,
    ];
  }
  const scale = Math.max(0, ...p.queues.map((q) => q.size));
  const chart = p.series !== undefined;
  const visible = queueTableRows(p.height, chart);
  const cols = columns(scale, p.color, p.rates !== undefined);
  const rows: Row[] = p.queues.map((q) => (p.rates === undefined ? q : {...q, rate: p.rates[q.queue] ?? null}));
  const t = tableLines(cols, rows, {width: p.width, visible, cursor: p.cursor, color: p.color});
  const sortLabel = SORT_COLUMN[p.sort] ?? p.sort;
  const header = t.header.map((s) => markSorted(s, sortLabel, p.desc ? '↓' : '↑'));
  const lines: Array<string | Segment[]> = [header, ...t.rows];
  while (lines.length < visible + 1) lines.push('');
  lines.push(rowSegments(t.placed, totals(rows), false, p.color));
  const where = windowLabel(t.offset, t.rows.length, p.queues.length);
  const count =
    p.filter === ''
      ? `${where === '' ? p.queues.length : where} queues`
      : `${where === '' ? p.queues.length : where} of ${p.totalQueues} queues matching "${p.filter}"`;
  lines.push([...legend(p.color, p.width < 110), {text: ` ${count}`, ...(p.color ? {dim: true} : {})}]);
  if (chart) lines.push(...rateChartLines({series: p.series ?? [], width: p.width, color: p.color}));
  return lines;
}

export function QueueTable(p: QueueTableProps) {
  return <Lines lines={queueTableLines(p)} width={p.width} height={p.height} color={p.color} />;
}
