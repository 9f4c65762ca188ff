/**
 * Enqueue options (Go asynq's Option values and `composeOptions` in client.go) and the
 * decision of how a task is written (Go `Client.EnqueueContext`). Pure: no Redis, "now" comes from the caller, so the
 * Client validates everything before sending a single command. The options themselves, their
 * rules and their names in every format are in option-specs.ts.
 */
import {randomUUID} from 'node:crypto';
import {newTaskMessage, type TaskMessage} from './base/codec.js';
import {uniqueKey} from './base/keys.js';
import {DEFAULT_MAX_RETRY, DEFAULT_QUEUE, DEFAULT_TIMEOUT_SECONDS} from './base/states.js';
import {unixSeconds} from './clock.js';
import {ValidationError} from './errors.js';
import {OPTION_CONFLICTS, OPTION_KEYS, OPTION_SPECS, optionSpec, requireString, validateOption, type OptionKey, type OptionValue} from './option-specs.js';
import {Task, type TaskOptions} from './task.js';

export type {TaskOptions} from './task.js';

/** The options of all layers, validated and resolved (durations in ms, processIn applied to now). */
export interface ResolvedOptions {
  queue: string;
  maxRetry: number;
  taskId: string;
  /** ms; 0 when not given (Go: timeout 0 is "not given"). */
  timeoutMs: number;
  deadline: Date | null;
  /** ms; null when the task is not unique. */
  uniqueMs: number | null;
  processAt: Date;
  retentionMs: number;
  group: string | null;
  headers: Record<string, string>;
}

/** What each option, once validated, does to the resolved options (Go: each Option's case in composeOptions). */
const APPLY: {[K in OptionKey]-?: (res: ResolvedOptions, v: OptionValue<K>, now: Date) => void} = {
  queue: (res, v) => { res.queue = v; },
  maxRetry: (res, v) => { res.maxRetry = Math.max(OPTION_SPECS.maxRetry.floor, v); },
  timeout: (res, v) => { res.timeoutMs = v; },
  deadline: (res, v) => { res.deadline = v; },
  unique: (res, v) => { res.uniqueMs = v; },
  processAt: (res, v) => { res.processAt = v; },
  processIn: (res, v, now) => { res.processAt = new Date(now.getTime() + v); },
  retention: (res, v) => { res.retentionMs = v; },
  group: (res, v) => { res.group = v; },
  taskId: (res, v) => { res.taskId = v; },
  headers: (res, v) => { Object.assign(res.headers, v); },
};

const isBlank = (s: string): boolean => s.trim() === '';

function applyLayer(res: ResolvedOptions, layer: TaskOptions, now: Date): void {
  if (typeof layer !== 'object' || Array.isArray(layer)) throw new ValidationError('task options must be an object');
  for (const k of Object.keys(layer)) {
    if (!optionSpec(k)) throw new ValidationError(`unknown task option "${k}"`);
  }
  for (const [a, b] of OPTION_CONFLICTS) {
    if (layer[a] !== undefined && layer[b] !== undefined) throw new ValidationError(`${a} and ${b} cannot be combined in one options object`);
  }
  for (const key of OPTION_KEYS) {
    const v = layer[key];
    if (v !== undefined) (APPLY[key] as (res: ResolvedOptions, v: unknown, now: Date) => void)(res, validateOption(key, v), now);
  }
}

/**
 * Validates and merges option layers in order (later layers override earlier ones). `now`
 * resolves processIn and is the default processAt. Throws ValidationError with Go's texts.
 */
export function composeOptions(layers: ReadonlyArray<TaskOptions | null | undefined>, now: Date): ResolvedOptions {
  const res: ResolvedOptions = {
    queue: DEFAULT_QUEUE, maxRetry: DEFAULT_MAX_RETRY, taskId: '', timeoutMs: 0, deadline: null, uniqueMs: null,
    processAt: now, retentionMs: 0, group: null, headers: {},
  };
  for (const layer of layers) {
    if (layer !== undefined && layer !== null) applyLayer(res, layer, now);
  }
  if (res.taskId === '') res.taskId = randomUUID();
  return res;
}

/** Where the task goes: its initial state and, for scheduled tasks, when. */
type EnqueueRoute =
  | {state: 'pending'}
  | {state: 'scheduled'; processAt: Date}
  | {state: 'aggregating'; group: string};

/** Everything the Client needs to write one task, decided before any I/O. */
export interface EnqueuePlan {
  msg: TaskMessage;
  route: EnqueueRoute;
  /** TTL of the uniqueness lock in whole seconds, null when not unique. */
  uniqueTtlSeconds: number | null;
  /** TaskInfo.nextProcessAt: now for pending, processAt for scheduled, null for aggregating. */
  nextProcessAt: Date | null;
}

/**
 * Builds the TaskMessage and the route of `task` under the option layers that follow the task's
 * own options (Go client.go `EnqueueContext` up to the broker call):
 * - defaults retry 25, queue 'default', random UUID; timeout 1800 s only when neither a timeout
 *   nor a deadline is given; deadline stored as unix s (0 = none); retention whole seconds;
 * - processAt after now → scheduled (a group is kept in the message only, as in Go);
 *   else a group → aggregating; else pending;
 * - unique: key from the final queue, type and payload (nil payload → trailing ':'); lock TTL =
 *   the unique TTL, or for a scheduled task whole seconds until processAt + unique TTL.
 */
export function planEnqueue(task: Task, layers: ReadonlyArray<TaskOptions | null | undefined>, now: Date): EnqueuePlan {
  if (task === null || task === undefined) throw new ValidationError('task cannot be null');
  if (!(task instanceof Task)) throw new ValidationError('expected a Task (new Task(type, payload, opts))');
  const type = requireString(task.type, 'task typename');
  if (isBlank(type)) throw new ValidationError('task typename cannot be empty');
  const o = composeOptions([task.opts, ...layers], now);

  const deadlineGiven = o.deadline !== null && o.deadline.getTime() !== 0;
  const timeout = o.timeoutMs === 0 && !deadlineGiven ? DEFAULT_TIMEOUT_SECONDS : Math.trunc(o.timeoutMs / 1000);
  const msg = newTaskMessage({
    type,
    payload: task.payload,
    headers: o.headers,
    id: o.taskId,
    queue: o.queue,
    retry: o.maxRetry,
    timeout,
    deadline: deadlineGiven ? unixSeconds(o.deadline!) : 0,
    uniqueKey: o.uniqueMs === null ? '' : uniqueKey(o.queue, type, task.rawPayload),
    groupKey: o.group ?? '',
    retention: Math.trunc(o.retentionMs / 1000),
  });

  if (o.processAt.getTime() > now.getTime()) {
    const uniqueTtlSeconds = o.uniqueMs === null ? null
      : Math.trunc((o.processAt.getTime() + o.uniqueMs - now.getTime()) / 1000);
    return {msg, route: {state: 'scheduled', processAt: o.processAt}, uniqueTtlSeconds, nextProcessAt: o.processAt};
  }
  const uniqueTtlSeconds = o.uniqueMs === null ? null : Math.trunc(o.uniqueMs / 1000);
  if (o.group !== null) return {msg, route: {state: 'aggregating', group: o.group}, uniqueTtlSeconds, nextProcessAt: null};
  return {msg, route: {state: 'pending'}, uniqueTtlSeconds, nextProcessAt: now};
}
