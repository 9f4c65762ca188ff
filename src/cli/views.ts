/**
 * What the inspection commands print: the JSON documents of `--json` (stable camelCase fields,
 * durations `…Ms`, instants ISO-8601, bytes as text or base64; documented in the README "JSON
 * output") and the human views in Go asynq CLI's layout and wording (tools/asynq/cmd).
 *
 * Every function is pure: `now` and the time zone are parameters, so tests pin them.
 */
import chalk from 'chalk';
import {goDurationString, goUnixDate} from '../lib/duration.js';
import type {DailyStats, QueueInfo, SchedulerEnqueueEvent, SchedulerEntry, ServerInfo, TaskInfo, TaskState} from '../lib/index.js';
import {formatBytes, formatTable, printablePayload} from './output.js';

// ---------------------------------------------------------------------------------------------
// JSON documents

/** Bytes in JSON: the text when they are valid UTF-8, otherwise base64 (`encoding` says which). */
export interface BytesJson {
  data: string;
  encoding: 'utf8' | 'base64';
}

const strictUtf8 = new TextDecoder('utf-8', {fatal: true});

export function bytesJson(b: Uint8Array): BytesJson {
  try {
    return {data: strictUtf8.decode(b), encoding: 'utf8'};
  } catch {
    return {data: Buffer.from(b).toString('base64'), encoding: 'base64'};
  }
}

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export interface TaskJson {
  id: string;
  queue: string;
  type: string;
  state: TaskState;
  payload: string;
  payloadEncoding: BytesJson['encoding'];
  headers: Record<string, string>;
  maxRetry: number;
  retried: number;
  lastErr: string;
  lastFailedAt: string | null;
  timeoutMs: number;
  deadline: string | null;
  group: string;
  nextProcessAt: string | null;
  isOrphaned: boolean;
  retentionMs: number;
  completedAt: string | null;
  result: string | null;
  resultEncoding: BytesJson['encoding'] | null;
}

export function taskJson(t: TaskInfo): TaskJson {
  const payload = bytesJson(t.payload);
  const result = t.result === null ? null : bytesJson(t.result);
  return {
    id: t.id, queue: t.queue, type: t.type, state: t.state, payload: payload.data, payloadEncoding: payload.encoding,
    headers: {...t.headers}, maxRetry: t.maxRetry, retried: t.retried, lastErr: t.lastErr, lastFailedAt: iso(t.lastFailedAt),
    timeoutMs: t.timeout, deadline: iso(t.deadline), group: t.group, nextProcessAt: iso(t.nextProcessAt),
    isOrphaned: t.isOrphaned, retentionMs: t.retention, completedAt: iso(t.completedAt),
    result: result?.data ?? null, resultEncoding: result?.encoding ?? null,
  };
}

/** QueueInfo in JSON: `latency` → `latencyMs`, `memoryUsage` → `memoryUsageBytes`, `timestamp` ISO. */
export type QueueInfoJson = Omit<QueueInfo, 'latency' | 'memoryUsage' | 'timestamp'> & {
  latencyMs: number;
  memoryUsageBytes: number;
  timestamp: string;
};

export function queueInfoJson(q: QueueInfo): QueueInfoJson {
  const {latency, memoryUsage, timestamp, ...counts} = q;
  return {...counts, latencyMs: latency, memoryUsageBytes: memoryUsage, timestamp: timestamp.toISOString()};
}

export interface WorkerJson {
  taskId: string;
  taskType: string;
  taskPayload: string;
  taskPayloadEncoding: BytesJson['encoding'];
  queue: string;
  startedAt: string;
  deadline: string;
}

export interface ServerJson {
  id: string;
  host: string;
  pid: number;
  concurrency: number;
  queues: Record<string, number>;
  strictPriority: boolean;
  status: string;
  startedAt: string;
  activeWorkers: WorkerJson[];
}

export function serverJson(s: ServerInfo): ServerJson {
  return {
    id: s.id, host: s.host, pid: s.pid, concurrency: s.concurrency, queues: {...s.queues}, strictPriority: s.strictPriority,
    status: s.status, startedAt: s.started.toISOString(),
    activeWorkers: s.activeWorkers.map((w) => {
      const p = bytesJson(w.taskPayload);
      return {
        taskId: w.taskId, taskType: w.taskType, taskPayload: p.data, taskPayloadEncoding: p.encoding, queue: w.queue,
        startedAt: w.started.toISOString(), deadline: w.deadline.toISOString(),
      };
    }),
  };
}

export interface SchedulerEntryJson {
  id: string;
  spec: string;
  taskType: string;
  taskPayload: string;
  taskPayloadEncoding: BytesJson['encoding'];
  options: string[];
  nextEnqueueAt: string;
  prevEnqueueAt: string | null;
}

export function schedulerEntryJson(e: SchedulerEntry): SchedulerEntryJson {
  const p = bytesJson(e.task.payload);
  return {
    id: e.id, spec: e.spec, taskType: e.task.type, taskPayload: p.data, taskPayloadEncoding: p.encoding,
    options: [...e.options], nextEnqueueAt: e.next.toISOString(), prevEnqueueAt: iso(e.prev),
  };
}

export interface EnqueueEventJson {
  taskId: string;
  enqueuedAt: string;
}

export function enqueueEventJson(e: SchedulerEnqueueEvent): EnqueueEventJson {
  return {taskId: e.taskId, enqueuedAt: e.enqueuedAt.toISOString()};
}

export interface DailyStatsJson {
  date: string;
  processed: number;
  failed: number;
}

export function dailyStatsJson(d: DailyStats): DailyStatsJson {
  return {date: d.date, processed: d.processed, failed: d.failed};
}

// ---------------------------------------------------------------------------------------------
// Go CLI formatting

/** The local IANA time zone, as Go's time.Local (TZ is honoured). */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
}

/** Go's `d.Round(time.Second)` printed by `%v`: `0s`, `59s`, `1m0s`, `1h2m3s`. */
export function goRoundedDuration(ms: number): string {
  return goDurationString(Math.round(ms / 1000) * 1000);
}

/** Go CLI's formatProcessAt: `right now` when due, else `in <d>`. */
export function formatProcessAt(at: Date | null, now: Date): string {
  if (at === null) return '';
  const d = at.getTime() - now.getTime();
  return d < 0 ? 'right now' : `in ${goRoundedDuration(d)}`;
}

/** Go CLI's formatPastTime: the time in `time.UnixDate`, or '' for none. */
export function formatPastTime(at: Date | null, timeZone: string): string {
  return at === null || at.getTime() === 0 ? '' : goUnixDate(at, timeZone);
}

/** Go CLI's formatNextProcessAt (task inspect): `n/a`, `now`, or `<UnixDate> (in <d>)`. */
export function formatNextProcessAt(at: Date | null, now: Date, timeZone: string): string {
  if (at === null || at.getTime() === 0) return 'n/a';
  if (at.getTime() < now.getTime()) return 'now';
  return `${goUnixDate(at, timeZone)} (in ${goRoundedDuration(at.getTime() - now.getTime())})`;
}

/** `N/A` when nothing was processed, else failed/processed as `12.50%`. */
export function errorRate(processed: number, failed: number): string {
  return processed === 0 ? 'N/A' : `${((failed / processed) * 100).toFixed(2)}%`;
}

/** Go's default time format in UTC: `2026-03-10 11:59:30 +0000 UTC` (fraction only when non-zero). */
export function goTimeString(d: Date): string {
  const s = d.toISOString(); // 2026-03-10T11:59:30.123Z
  const frac = s.slice(20, 23).replace(/0+$/, '');
  return `${s.slice(0, 10)} ${s.slice(11, 19)}${frac === '' ? '' : `.${frac}`} +0000 UTC`;
}

/** A section title, bold on a colour terminal (Go CLI prints them with color.Bold). */
export const title = (s: string): string => chalk.bold(s);

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
  return formatTable(['processed', 'failed', 'error rate'], [[processed, failed, errorRate(processed, failed)]]);
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
    `Memory:  ${formatBytes(q.memoryUsage)}`,
    '',
    section('Task Count by State', stateCountsTable(q)),
    '',
    section(`Daily Stats ${q.timestamp.toISOString().slice(0, 10)} UTC`, dailyTable(q.processed, q.failed)),
  ].join('\n');
}

/** `asynq queue history`: date (UTC), processed, failed, error rate; newest first. */
export function historyTable(days: readonly DailyStats[]): string {
  return formatTable(['date (UTC)', 'processed', 'failed', 'error rate'],
    days.map((d) => [d.date, d.processed, d.failed, errorRate(d.processed, d.failed)]));
}

/** Payload or result as Go's CLI shows it: the text, or `non-printable bytes`. */
export const bytesText = (b: Uint8Array | null): string => (b === null || b.length === 0 ? '' : printablePayload(b));

/** `asynq task ls`: the columns Go shows for each state. */
export function taskTable(state: TaskState, tasks: readonly TaskInfo[], now: Date, timeZone: string): string {
  const base = (t: TaskInfo): unknown[] => [t.id, t.type, bytesText(t.payload)];
  switch (state) {
    case 'pending':
    case 'active':
      return formatTable(['ID', 'Type', 'Payload'], tasks.map(base));
    case 'scheduled':
      return formatTable(['ID', 'Type', 'Payload', 'Process In'], tasks.map((t) => [...base(t), formatProcessAt(t.nextProcessAt, now)]));
    case 'retry':
      return formatTable(['ID', 'Type', 'Payload', 'Next Retry', 'Last Error', 'Last Failed', 'Retried', 'Max Retry'],
        tasks.map((t) => [...base(t), formatProcessAt(t.nextProcessAt, now), t.lastErr, formatPastTime(t.lastFailedAt, timeZone), t.retried, t.maxRetry]));
    case 'archived':
      return formatTable(['ID', 'Type', 'Payload', 'Last Failed', 'Last Error'],
        tasks.map((t) => [...base(t), formatPastTime(t.lastFailedAt, timeZone), t.lastErr]));
    case 'completed':
      return formatTable(['ID', 'Type', 'Payload', 'CompletedAt', 'Result'],
        tasks.map((t) => [...base(t), formatPastTime(t.completedAt, timeZone), bytesText(t.result)]));
    case 'aggregating':
      return formatTable(['ID', 'Type', 'Payload', 'Group'], tasks.map((t) => [...base(t), t.group]));
  }
}

/** `asynq task inspect`: Go's printTaskInfo, plus payload, group, headers and result when present. */
export function taskInfoView(t: TaskInfo, now: Date, timeZone: string): string {
  const lines = [
    title('Task Info'),
    `Queue:   ${t.queue}`,
    `ID:      ${t.id}`,
    `Type:    ${t.type}`,
    `State:   ${t.state}`,
    `Retried: ${t.retried}/${t.maxRetry}`,
    `Payload: ${bytesText(t.payload)}`,
  ];
  if (t.group !== '') lines.push(`Group:   ${t.group}`);
  for (const [k, v] of Object.entries(t.headers).sort(([a], [b]) => (a < b ? -1 : 1))) lines.push(`Header:  ${k}=${v}`);
  if (t.result !== null) lines.push(`Result:  ${bytesText(t.result)}`);
  lines.push('', `Next process time: ${formatNextProcessAt(t.nextProcessAt, now, timeZone)}`);
  if (t.lastErr !== '') {
    lines.push('', title('Last Failure'), `Failed at:     ${formatPastTime(t.lastFailedAt, timeZone)}`, `Error message: ${t.lastErr}`);
  }
  return lines.join('\n');
}

/** Go CLI's formatQueues: `name:priority` by priority descending, then name. */
export function formatQueues(queues: Record<string, number>): string {
  return Object.entries(queues)
    .sort(([a, pa], [b, pb]) => pb - pa || (a < b ? -1 : a > b ? 1 : 0))
    .map(([q, p]) => `${q}:${p}`)
    .join(' ');
}

/** `asynq server ls`. */
export function serverTable(servers: readonly ServerInfo[], now: Date): string {
  return formatTable(['Host', 'PID', 'State', 'Active Workers', 'Queues', 'Started'], servers.map((s) => [
    s.host, s.pid, s.status === 'active' ? chalk.green(s.status) : chalk.yellow(s.status), `${s.activeWorkers.length}/${s.concurrency}`,
    formatQueues(s.queues), `${goRoundedDuration(now.getTime() - s.started.getTime())} ago`,
  ]));
}

/** `asynq cron ls`: Next `In <d>` / `Now`, Prev `<d> ago` / `N/A`. */
export function schedulerEntryTable(entries: readonly SchedulerEntry[], now: Date): string {
  return formatTable(['EntryID', 'Spec', 'Type', 'Payload', 'Options', 'Next', 'Prev'], entries.map((e) => {
    const next = Math.round((e.next.getTime() - now.getTime()) / 1000) * 1000;
    return [
      e.id, e.spec, e.task.type, bytesText(e.task.payload), `[${e.options.join(' ')}]`,
      next < 0 ? 'Now' : `In ${goDurationString(next)}`,
      e.prev === null ? 'N/A' : `${goRoundedDuration(now.getTime() - e.prev.getTime())} ago`,
    ];
  }));
}

/** `asynq cron history`: TaskID, EnqueuedAt (Go's default time format, UTC). */
export function enqueueEventTable(events: readonly SchedulerEnqueueEvent[]): string {
  return formatTable(['TaskID', 'EnqueuedAt'], events.map((e) => [e.taskId, goTimeString(e.enqueuedAt)]));
}
