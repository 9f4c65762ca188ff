/**
 * Task (what to run), its TaskOptions (how to enqueue it) and TaskInfo (what asynq knows about an
 * enqueued task), as Go asynq's `Task`, `Option` and `TaskInfo`.
 */
import type {TaskMessage} from './base/codec.js';
import type {TaskState} from './base/states.js';
import type {Duration} from './duration.js';
import {ValidationError} from './errors.js';

/**
 * How a task is enqueued. Options given to `new Task(…)` come first and options given at enqueue
 * time override them, field by field (Go: the last option of each kind wins); `headers` are merged
 * (later keys win). A field set to undefined counts as not given. Unknown fields are rejected.
 * Every duration is milliseconds or a string like '90s', '10m', '24h'.
 *
 * Each field has a spec in OPTION_SPECS (option-specs.ts): its rules, and its name in every
 * format that carries options (CLI flags, JSON Lines, the YAML periodic file, Go option strings).
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

/** What a Task can be created from: raw bytes, a string (UTF-8), or any JSON-serialisable value. */
export type TaskPayload = Uint8Array | string | object | null;

/** Stores a handler's result in the task hash (field `result`); returns the bytes written. */
export interface ResultWriter {
  /** ID of the task the writer belongs to. */
  readonly taskId: string;
  write(data: Uint8Array | string): Promise<number>;
}

function payloadBytes(payload: TaskPayload | undefined): Buffer | null {
  if (payload === undefined || payload === null) return null;
  if (payload instanceof Uint8Array) return Buffer.from(payload); // a copy: later edits by the caller do not leak in
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  let json: string | undefined;
  try {
    json = JSON.stringify(payload);
  } catch (err) {
    throw new ValidationError(`task payload is not JSON-serialisable: ${err instanceof Error ? err.message : String(err)}`, {cause: err});
  }
  if (json === undefined) throw new ValidationError(`task payload of type ${typeof payload} is not JSON-serialisable`);
  return Buffer.from(json, 'utf8');
}

/**
 * A unit of work: a type name, a payload and options (Go `NewTask` / `NewTaskWithHeaders`).
 *
 * - `payload` is always a Buffer. A payload given as an object is stored as its JSON text, a
 *   string as its UTF-8 bytes. Omitted or null means "no payload" (Go's nil), which differs from
 *   an empty payload only for the uniqueness key (`…:unique:<type>:` vs. the MD5 of zero bytes).
 * - `opts` apply at every enqueue of the task; options given to `enqueue` override them.
 * - `headers` are `opts.headers` (Go's task headers).
 * - Inside a handler, `resultWriter` stores the task's result.
 *
 * The type is checked at enqueue time (Go's `task typename cannot be empty`), not here.
 */
export class Task {
  readonly type: string;
  readonly opts: Readonly<TaskOptions>;
  /** Set by the server before calling a handler; undefined elsewhere. */
  resultWriter?: ResultWriter;
  readonly #payload: Buffer | null;

  constructor(type: string, payload?: TaskPayload, opts?: TaskOptions | null) {
    this.type = type;
    this.#payload = payloadBytes(payload);
    const o = opts ?? {};
    this.opts = Object.freeze({...o, ...(o.headers ? {headers: Object.freeze({...o.headers})} : {})});
  }

  /** The payload bytes (empty when there is none). */
  get payload(): Buffer {
    return this.#payload ?? Buffer.alloc(0);
  }

  /** The payload bytes, or null when the task was created without one (Go's nil payload). */
  get rawPayload(): Buffer | null {
    return this.#payload;
  }

  /** The task's own headers (`opts.headers`); enqueue-time header options are merged over them. */
  get headers(): Readonly<Record<string, string>> {
    return this.opts.headers ?? {};
  }

  /** The payload parsed as JSON. Throws ValidationError when it is not valid JSON. */
  json<T = unknown>(): T {
    try {
      return JSON.parse(this.payload.toString('utf8')) as T;
    } catch (err) {
      throw new ValidationError(`payload of task "${this.type}" is not valid JSON`, {cause: err});
    }
  }
}

/**
 * Everything known about one task (Go `TaskInfo`). Durations are milliseconds; instants that Go
 * represents by its zero time are null; absent strings are ''.
 */
export interface TaskInfo {
  id: string;
  queue: string;
  type: string;
  payload: Buffer;
  headers: Record<string, string>;
  state: TaskState;
  /** Retries allowed after the first attempt. */
  maxRetry: number;
  /** Retries used so far. */
  retried: number;
  /** Message of the last failure, '' if none. */
  lastErr: string;
  lastFailedAt: Date | null;
  /** Processing time limit in ms, 0 = none. */
  timeout: number;
  deadline: Date | null;
  /** Aggregation group, '' if none. */
  group: string;
  /**
   * When the task is due: now for pending, the score for scheduled/retry, null for active,
   * archived, completed and aggregating tasks.
   */
  nextProcessAt: Date | null;
  /** Active task whose worker lost its lease (only the Inspector sets this). */
  isOrphaned: boolean;
  /** How long a completed task is kept, in ms; 0 = deleted on success. */
  retention: number;
  completedAt: Date | null;
  /** Result written by the handler, null if none. */
  result: Buffer | null;
}

const fromUnixOrNull = (s: number): Date | null => (s === 0 ? null : new Date(s * 1000));

/**
 * Builds a TaskInfo from a stored message (Go `newTaskInfo`); for the Client and the Inspector.
 * isOrphaned is false; the Inspector overrides it for active tasks.
 */
export function taskInfoFromMessage(msg: TaskMessage, state: TaskState, nextProcessAt: Date | null, result: Buffer | null = null): TaskInfo {
  return {
    id: msg.id,
    queue: msg.queue,
    type: msg.type,
    payload: msg.payload,
    headers: {...msg.headers},
    state,
    maxRetry: msg.retry,
    retried: msg.retried,
    lastErr: msg.errorMsg,
    lastFailedAt: fromUnixOrNull(msg.lastFailedAt),
    timeout: msg.timeout * 1000,
    deadline: fromUnixOrNull(msg.deadline),
    group: msg.groupKey,
    nextProcessAt,
    isOrphaned: false,
    retention: msg.retention * 1000,
    completedAt: fromUnixOrNull(msg.completedAt),
    result,
  };
}
