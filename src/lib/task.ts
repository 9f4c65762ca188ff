/**
 * Task (what to run) and TaskInfo (what asynq knows about an enqueued task), as Go asynq's
 * `Task` and `TaskInfo`.
 */
import type {TaskMessage} from './base/codec.js';
import type {TaskState} from './base/states.js';
import {ValidationError} from './errors.js';
import type {TaskOptions} from './options.js';

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
