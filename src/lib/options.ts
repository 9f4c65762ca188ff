/**
 * Enqueue options (Go asynq's Option values and `composeOptions` in client.go) and the
 * decision of how a task is written (Go `Client.EnqueueContext`). Pure: no Redis, "now" comes from the caller, so the
 * Client validates everything before sending a single command.
 */
import {randomUUID} from 'node:crypto';
import {newTaskMessage, type TaskMessage} from './base/codec.js';
import {uniqueKey} from './base/keys.js';
import {DEFAULT_MAX_RETRY, DEFAULT_QUEUE, DEFAULT_TIMEOUT_SECONDS, validateQueueName} from './base/states.js';
import {unixSeconds} from './clock.js';
import {toMs, type Duration} from './duration.js';
import {ValidationError} from './errors.js';
import {Task} from './task.js';

/**
 * How a task is enqueued. Options given to `new Task(…)` come first and options given at enqueue
 * time override them, field by field (Go: the last option of each kind wins); `headers` are merged
 * (later keys win). A field set to undefined counts as not given. Unknown fields are rejected.
 * Every duration is milliseconds or a string like '90s', '10m', '24h'.
 */
export interface TaskOptions {
  /** Queue name (default 'default'); blank → ValidationError. */
  queue?: string;
  /** How many times a failed task is retried (default 25); negative → 0. */
  maxRetry?: number;
  /**
   * How long one attempt may run; stored in whole seconds. Default 30 min when neither timeout
   * nor deadline is given; a timeout below 1 s counts as given and stores 0 (no limit), as in Go.
   */
  timeout?: Duration;
  /** Absolute deadline of the task (whichever of timeout and deadline comes first applies). */
  deadline?: Date;
  /**
   * Uniqueness lock TTL (>= 1 s, whole seconds): while it is held, enqueueing the same type and
   * payload into the same queue fails with DuplicateTaskError. Released when the task succeeds.
   */
  unique?: Duration;
  /** When to process the task (default now). Cannot be combined with processIn in one options object. */
  processAt?: Date;
  /** Process the task this long from now (negative: now). Overrides an earlier processAt and vice versa. */
  processIn?: Duration;
  /** Task ID (default a random UUIDv4); blank → ValidationError. */
  taskId?: string;
  /** Keep the task as 'completed' this long after success (whole seconds; below 1 s: not kept). */
  retention?: Duration;
  /** Aggregation group (needs a Server with a group aggregator); blank → ValidationError. */
  group?: string;
  /** Headers delivered to the handler with the task; merged over the task's own headers. */
  headers?: Record<string, string>;
}

const OPTION_KEYS: ReadonlySet<string> = new Set<keyof TaskOptions>([
  'queue', 'maxRetry', 'timeout', 'deadline', 'unique', 'processAt', 'processIn', 'taskId', 'retention', 'group', 'headers',
]);

const MAX_INT32 = 2 ** 31 - 1;

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

const LONE_SURROGATE = /\p{Cs}/u;

/** Proto3 strings must be valid UTF-8 (Go refuses to decode otherwise): no lone surrogates. */
function checkText(s: string, what: string): void {
  if (LONE_SURROGATE.test(s)) throw new ValidationError(`${what} is not valid UTF-8 (it contains a lone surrogate)`);
}

function requireString(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new ValidationError(`${what} must be a string, got ${typeof v}`);
  checkText(v, what);
  return v;
}

function requireDate(v: unknown, what: string): Date {
  if (!(v instanceof Date) || Number.isNaN(v.getTime())) throw new ValidationError(`${what} must be a valid Date`);
  return v;
}

function nonNegativeMs(v: Duration, what: string): number {
  const ms = toMs(v, what);
  if (ms < 0) throw new ValidationError(`${what} cannot be negative`);
  return ms;
}

const isBlank = (s: string): boolean => s.trim() === '';

function applyLayer(res: ResolvedOptions, layer: TaskOptions, now: Date): void {
  if (typeof layer !== 'object' || Array.isArray(layer)) throw new ValidationError('task options must be an object');
  for (const k of Object.keys(layer)) {
    if (!OPTION_KEYS.has(k)) throw new ValidationError(`unknown task option "${k}"`);
  }
  const o = layer;
  if (o.processAt !== undefined && o.processIn !== undefined) {
    throw new ValidationError('processAt and processIn cannot be combined in one options object');
  }
  if (o.queue !== undefined) {
    const q = requireString(o.queue, 'queue name');
    const err = validateQueueName(q);
    if (err) throw new ValidationError(err);
    res.queue = q;
  }
  if (o.maxRetry !== undefined) {
    if (typeof o.maxRetry !== 'number' || !Number.isInteger(o.maxRetry) || o.maxRetry > MAX_INT32) {
      throw new ValidationError(`maxRetry must be an integer <= ${MAX_INT32}, got ${String(o.maxRetry)}`);
    }
    res.maxRetry = Math.max(0, o.maxRetry);
  }
  if (o.taskId !== undefined) {
    const id = requireString(o.taskId, 'task ID');
    if (isBlank(id)) throw new ValidationError('task ID cannot be empty');
    res.taskId = id;
  }
  if (o.timeout !== undefined) res.timeoutMs = nonNegativeMs(o.timeout, 'timeout');
  if (o.deadline !== undefined) res.deadline = requireDate(o.deadline, 'deadline');
  if (o.unique !== undefined) {
    const ms = toMs(o.unique, 'unique TTL');
    if (ms < 1000) throw new ValidationError('Unique TTL cannot be less than 1s');
    res.uniqueMs = ms;
  }
  if (o.processAt !== undefined) res.processAt = requireDate(o.processAt, 'processAt');
  if (o.processIn !== undefined) res.processAt = new Date(now.getTime() + toMs(o.processIn, 'processIn'));
  if (o.retention !== undefined) res.retentionMs = nonNegativeMs(o.retention, 'retention');
  if (o.group !== undefined) {
    const g = requireString(o.group, 'group key');
    if (isBlank(g)) throw new ValidationError('group key cannot be empty');
    res.group = g;
  }
  if (o.headers !== undefined) {
    if (typeof o.headers !== 'object' || o.headers === null || Array.isArray(o.headers)) {
      throw new ValidationError('headers must be an object of strings');
    }
    for (const [k, v] of Object.entries(o.headers)) {
      checkText(k, `header name ${JSON.stringify(k)}`);
      res.headers[k] = requireString(v, `header ${JSON.stringify(k)}`);
    }
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
export type EnqueueRoute =
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
