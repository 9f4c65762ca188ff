/**
 * Queue screen: a summary line, the history chart (with `series`, the live tasks/s chart under
 * it), state tabs with counts, then the page of
 * tasks of the tab (or the group picker on the aggregating tab, or the detail pane of a task)
 * and a paging line, as Go's dash.
 */
import type {TaskState} from '../../../lib/base/states.js';
import type {DailyStats, GroupInfo, QueueInfo} from '../../../lib/inspector.js';
import type {TaskInfo} from '../../../lib/task.js';
import {Lines} from '../../components/Lines.js';
import {tableLines, windowLabel} from '../../components/table.js';
import {goByteCount} from '../../../cli/format/bytes.js';
import {dashErrorRate} from '../../../cli/format/number.js';
import {dashLatency} from '../../../cli/format/time.js';
import {compactNumber, segmentsWidth, type Segment} from '../../format.js';
import {STATE_ORDER, STATE_STYLE} from '../../theme.js';
import type {Rate} from '../rates.js';
import type {QueueScreen} from '../state.js';
import {historyChartLines} from './HistoryChart.js';
import {RATE_CHART_LINES, rateChartLines} from './RateChart.js';
import {taskDetailLines} from './TaskDetail.js';
import {taskTableLines} from './TaskTable.js';

export interface QueueViewProps {
  screen: QueueScreen;
  /** Latest info of this queue (null before the first read). */
  info: QueueInfo | null;
  history: readonly DailyStats[] | null;
  /** The page of tasks for the current tab/page (null while loading). */
  tasks: readonly TaskInfo[] | null;
  /** Row of the task under the cursor (selectScreen's taskCursor; default: screen.cursor). */
  cursor?: number;
  /** Groups for the picker (null while loading). */
  groups: readonly GroupInfo[] | null;
  detail: TaskInfo | 'gone' | null;
  pageSize: number;
  width: number;
  height: number;
  color: boolean;
  now: Date;
  /** This queue's last tasks/s (rates.ts): adds their chart under the history chart. */
  series?: readonly Rate[];
}

/** Lines above the task area: summary, two chart lines, tabs (and two lines of the live chart). */
function topLines(chart: boolean): number {
  return 4 + (chart ? RATE_CHART_LINES : 0);
}

/** Task rows per page for a queue screen `height` lines high (the table header and paging line take two). */
export function queuePageSize(height: number, chart = false): number {
  return Math.max(1, height - topLines(chart) - 2);
}

function summary(info: QueueInfo | null, name: string, color: boolean): Segment[] {
  const b = (text: string): Segment => ({text, ...(color ? {bold: true} : {})});
  if (info === null) return [b(`Queue ${name}`), {text: '  loading…'}];
  const state: Segment = info.paused
    ? {text: 'PAUSED', ...(color ? {color: 'yellow', bold: true} : {})}
    : {text: 'RUN', ...(color ? {color: 'green'} : {})};
  const parts = [
    `size ${compactNumber(info.size)}`,
    ...(info.groups > 0 ? [`groups ${compactNumber(info.groups)}`] : []),
    `latency ${dashLatency(info.latency)}`,
    `memory ${goByteCount(info.memoryUsage)}`,
    `error rate today ${dashErrorRate(info.processed, info.failed)}`,
  ];
  return [b(`Queue ${name}`), {text: '  '}, state, {text: `  ${parts.join('  ')}`}];
}

/** The state tabs with their counts: full labels when they fit, short ones otherwise. */
function tabSegments(info: QueueInfo | null, current: TaskState, width: number, color: boolean): Segment[] {
  const build = (short: boolean): Segment[] => {
    const out: Segment[] = [];
    for (const s of STATE_ORDER) {
      const label = `${short ? STATE_STYLE[s].short : STATE_STYLE[s].label}:${info === null ? '-' : compactNumber(info[s])}`;
      if (out.length > 0) out.push({text: ' '});
      out.push(
        s === current
          ? {text: `[${label}]`, ...(color ? {bold: true, underline: true, color: STATE_STYLE[s].color} : {})}
          : {text: ` ${label} `},
      );
    }
    return out;
  };
  const full = build(false);
  return segmentsWidth(full) <= width ? full : build(true);
}

function pagingLine(p: QueueViewProps, shown: number): Segment[] {
  const {screen} = p;
  const start = (screen.page - 1) * p.pageSize;
  const total = screen.tab === 'aggregating' ? null : (p.info?.[screen.tab] ?? null);
  const range = shown === 0 ? 'Showing 0' : `Showing ${start + 1}-${start + shown}`;
  const of = total === null ? ` of group "${screen.group}"` : ` of ${total}`;
  const pages = total === null ? '' : `/${Math.max(1, Math.ceil(total / p.pageSize))}`;
  return [{text: `${range}${of} · page ${screen.page}${pages}`, ...(p.color ? {dim: true} : {})}];
}

function pickerLines(p: QueueViewProps, height: number): Array<string | Segment[]> {
  const title: Segment[] = [
    {text: 'Select a group', ...(p.color ? {bold: true} : {})},
    {text: '   Enter: its tasks   R/A/D: run/archive/delete the whole group'},
  ];
  if (p.groups === null) return [title, 'Loading groups…'];
  if (p.groups.length === 0) return [title, 'No groups: no task is waiting for aggregation.'];
  const visible = Math.max(1, height - 3);
  const t = tableLines(
    [
      {header: 'Group', width: 10, flex: 1, max: 60, cell: (g: GroupInfo) => g.group},
      {header: 'Size', width: 8, align: 'right', cell: (g: GroupInfo) => compactNumber(g.size)},
    ],
    p.groups,
    {width: p.width, visible, cursor: p.screen.groupCursor, color: p.color},
  );
  const lines: Array<string | Segment[]> = [title, t.header, ...t.rows];
  while (lines.length < height - 1) lines.push('');
  lines.push([
    {
      text: `${p.groups.length} groups ${windowLabel(t.offset, t.rows.length, p.groups.length)}`,
      ...(p.color ? {dim: true} : {}),
    },
  ]);
  return lines;
}

function queueViewLines(p: QueueViewProps): Array<string | Segment[]> {
  const {screen} = p;
  const area = Math.max(1, p.height - topLines(p.series !== undefined));
  const top: Array<string | Segment[]> = [
    summary(p.info, screen.name, p.color),
    ...historyChartLines({history: p.history, width: p.width, color: p.color}),
    ...(p.series === undefined ? [] : rateChartLines({series: p.series, width: p.width, color: p.color})),
    tabSegments(p.info, screen.tab, p.width, p.color),
  ];
  let body: Array<string | Segment[]>;
  if (screen.detail !== null) {
    body = taskDetailLines({
      taskId: screen.detail,
      task: p.detail,
      width: p.width,
      height: area,
      color: p.color,
      now: p.now,
    });
  } else if (screen.tab === 'aggregating' && screen.group === null) {
    body = pickerLines(p, area);
  } else {
    body = taskTableLines({
      state: screen.tab,
      tasks: p.tasks,
      cursor: p.cursor ?? screen.cursor,
      width: p.width,
      rows: p.pageSize,
      color: p.color,
      now: p.now,
    });
    while (body.length < p.pageSize + 1) body.push('');
    body.push(pagingLine(p, p.tasks?.length ?? 0));
  }
  return [...top, ...body];
}

export function QueueView(p: QueueViewProps) {
  return <Lines lines={queueViewLines(p)} width={p.width} height={p.height} color={p.color} />;
}
