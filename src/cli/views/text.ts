/**
 * What the inspection commands print without `--json`: the human views in Go asynq CLI's layout
 * and wording (tools/asynq/cmd). The JSON documents are in ./json.ts; every time, size and payload
 * format comes from ../format/.
 *
 * Every function is pure: `now` and the time zone are parameters, so tests pin them.
 */
import chalk from 'chalk';
import type {
  DailyStats,
  QueueInfo,
  SchedulerEnqueueEvent,
  SchedulerEntry,
  ServerInfo,
  TaskInfo,
  TaskState,
} from '../../lib/index.js';
import {cliBytesText, goByteCount} from '../format/bytes.js';
import {goCliErrorRate} from '../format/number.js';
import {
  goCliNextEnqueue,
  goCliNextProcessAt,
  goCliPastTime,
  goCliPrevEnqueue,
  goCliProcessAt,
  goCliSince,
  goRoundedDuration,
  goTimeString,
} from '../format/time.js';
import {formatTable} from '../output.js';

/** A section title, bold on a colour terminal (Go CLI prints them with color.Bold). */
const title = (s: string): string => chalk.bold(s);

/** `<header>` then a table, as Go prints each section. */
export function section(heading: string, body: string): string {
  return `${title(heading)}\n${body}`;
}

/** Go's separator between the outputs for several queues or entries. */
export const SEPARATOR = '='.repeat(49);

const STATE_COLUMNS = ['active', 'pending', 'aggregating', 'scheduled', 'retry', 'archived', 'completed'] as const;

/** "Task Count by State": one row with the seven counts (Go's column order). */
export function stateCountsTable(c: Record<(typeof STATE_COLUMNS)[number], number>): string {
  return formatTable(STATE_COLUMNS, [STATE_COLUMNS.map((s) => c[s])]);
}

/** "Daily Stats": processed, failed, error rate. */
export function dailyTable(processed: number, failed: number): string {
  return formatTable(['processed', 'failed', 'error rate'], [[processed, failed, goCliErrorRate(processed, failed)]]);
}

/** `asynq queue inspect`: Go's printQueueInfo plus latency and memory usage. */
export function queueInfoView(q: QueueInfo): string {
  const paused = q.paused ? chalk.yellow('true') : 'false';
  return [
    title('Queue Info'),
    `Name:    ${q.queue}`,
    `Size:    ${q.size}`,
    `Groups:  ${q.groups}`,
    `Paused:  ${paused}`,
    `Latency: ${goRoundedDuration(q.latency)}`,
    `Memory:  ${goByteCount(q.memoryUsage)}`,
    '',
    section('Task Count by State', stateCountsTable(q)),
    '',
    section(`Daily Stats ${q.timestamp.toISOString().slice(0, 10)} UTC`, dailyTable(q.processed, q.failed)),
  ].join('\n');
}

/** `asynq queue history`: date (UTC), processed, failed, error rate; newest first. */
export function historyTable(days: readonly Pick<DailyStats, 'date' | 'processed' | 'failed'>[]): string {
  return formatTable(
    ['date (UTC)', 'processed', 'failed', 'error rate'],
    days.map((d) => [d.date, d.processed, d.failed, goCliErrorRate(d.processed, d.failed)]),
  );
}

/** Longest payload or result cell of a table printed to a pipe or file (without --full). */
const PIPE_CELL_MAX = 256;
/** Longest payload or result of `asynq task inspect` (without --full). */
export const INSPECT_TEXT_MAX = 4096;

/**
 * The longest payload or result cell of a table: unlimited with --full, else the terminal's width
 * on a terminal (at least 16), PIPE_CELL_MAX elsewhere. Longer text ends in `…`.
 */
export function tableCellMax(full: boolean, stdout: {isTTY?: boolean; columns?: number} = process.stdout): number {
  if (full) return Number.POSITIVE_INFINITY;
  return stdout.isTTY === true && stdout.columns !== undefined && stdout.columns > 0
    ? Math.max(16, stdout.columns)
    : PIPE_CELL_MAX;
}

/** `asynq task ls`: the columns Go shows for each state; payloads and results cut to `cellMax` characters. */
export function taskTable(
  state: TaskState,
  tasks: readonly TaskInfo[],
  now: Date,
  timeZone: string,
  cellMax = Number.POSITIVE_INFINITY,
): string {
  const base = (t: TaskInfo): unknown[] => [t.id, t.type, cliBytesText(t.payload, cellMax)];
  switch (state) {
    case 'pending':
    case 'active':
      return formatTable(['ID', 'Type', 'Payload'], tasks.map(base));
    case 'scheduled':
      return formatTable(
        ['ID', 'Type', 'Payload', 'Process In'],
        tasks.map((t) => [...base(t), goCliProcessAt(t.nextProcessAt, now)]),
      );
    case 'retry':
      return formatTable(
        ['ID', 'Type', 'Payload', 'Next Retry', 'Last Error', 'Last Failed', 'Retried', 'Max Retry'],
        tasks.map((t) => [
          ...base(t),
          goCliProcessAt(t.nextProcessAt, now),
          t.lastErr,
          goCliPastTime(t.lastFailedAt, timeZone),
          t.retried,
          t.maxRetry,
        ]),
      );
    case 'archived':
      return formatTable(
        ['ID', 'Type', 'Payload', 'Last Failed', 'Last Error'],
        tasks.map((t) => [...base(t), goCliPastTime(t.lastFailedAt, timeZone), t.lastErr]),
      );
    case 'completed':
      return formatTable(
        ['ID', 'Type', 'Payload', 'CompletedAt', 'Result'],
        tasks.map((t) => [...base(t), goCliPastTime(t.completedAt, timeZone), cliBytesText(t.result, cellMax)]),
      );
    case 'aggregating':
      return formatTable(
        ['ID', 'Type', 'Payload', 'Group'],
        tasks.map((t) => [...base(t), t.group]),
      );
  }
}

/**
 * `asynq task inspect`: Go's printTaskInfo, plus payload, group, headers and result when present;
 * payload and result cut to `textMax` characters.
 */
export function taskInfoView(t: TaskInfo, now: Date, timeZone: string, textMax = Number.POSITIVE_INFINITY): string {
  const lines = [
    title('Task Info'),
    `Queue:   ${t.queue}`,
    `ID:      ${t.id}`,
    `Type:    ${t.type}`,
    `State:   ${t.state}`,
    `Retried: ${t.retried}/${t.maxRetry}`,
    `Payload: ${cliBytesText(t.payload, textMax)}`,
  ];
  if (t.group !== '') lines.push(`Group:   ${t.group}`);
  for (const [k, v] of Object.entries(t.headers).sort(([a], [b]) => (a < b ? -1 : 1))) lines.push(`Header:  ${k}=${v}`);
  if (t.result !== null) lines.push(`Result:  ${cliBytesText(t.result, textMax)}`);
  lines.push('', `Next process time: ${goCliNextProcessAt(t.nextProcessAt, now, timeZone)}`);
  if (t.lastErr !== '') {
    lines.push(
      '',
      title('Last Failure'),
      `Failed at:     ${goCliPastTime(t.lastFailedAt, timeZone)}`,
      `Error message: ${t.lastErr}`,
    );
  }
  return lines.join('\n');
}

/** Go CLI's formatQueues: `name:priority` by priority descending, then name. */
function formatQueues(queues: Record<string, number>): string {
  return Object.entries(queues)
    .sort(([a, pa], [b, pb]) => pb - pa || (a < b ? -1 : a > b ? 1 : 0))
    .map(([q, p]) => `${q}:${p}`)
    .join(' ');
}

/** `asynq server ls`. */
export function serverTable(servers: readonly ServerInfo[], now: Date): string {
  return formatTable(
    ['Host', 'PID', 'State', 'Active Workers', 'Queues', 'Started'],
    servers.map((s) => [
      s.host,
      s.pid,
      s.status === 'active' ? chalk.green(s.status) : chalk.yellow(s.status),
      `${s.activeWorkers.length}/${s.concurrency}`,
      formatQueues(s.queues),
      goCliSince(s.started, now),
    ]),
  );
}

/** `asynq cron ls`: Next `In <d>` / `Now`, Prev `<d> ago` / `N/A`; payloads cut to `cellMax` characters. */
export function schedulerEntryTable(
  entries: readonly SchedulerEntry[],
  now: Date,
  cellMax = Number.POSITIVE_INFINITY,
): string {
  return formatTable(
    ['EntryID', 'Spec', 'Type', 'Payload', 'Options', 'Next', 'Prev'],
    entries.map((e) => [
      e.id,
      e.spec,
      e.task.type,
      cliBytesText(e.task.payload, cellMax),
      `[${e.options.join(' ')}]`,
      goCliNextEnqueue(e.next, now),
      goCliPrevEnqueue(e.prev, now),
    ]),
  );
}

/** `asynq cron history`: TaskID, EnqueuedAt (Go's default time format, UTC). */
export function enqueueEventTable(
  events: readonly {taskId: string; enqueuedAt: SchedulerEnqueueEvent['enqueuedAt'] | string}[],
): string {
  return formatTable(
    ['TaskID', 'EnqueuedAt'],
    events.map((e) => [e.taskId, goTimeString(new Date(e.enqueuedAt))]),
  );
}
