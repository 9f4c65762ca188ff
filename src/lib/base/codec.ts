/**
 * Protobuf codec for Go asynq's wire messages (package `asynq`, see proto/asynq.proto).
 *
 * Built on protobufjs (reflection from a generated JSON descriptor): a maintained library that
 * encodes fields in ascending field-number order, as protobuf-go does. Zero-valued proto3
 * scalars are left unset before encoding so that the bytes match Go's (Go omits them).
 * Timestamps are always written (v0.24.1 readers reject a missing one).
 */
import {createRequire} from 'node:module';
import type protobuf from 'protobufjs';
import {DecodeError} from '../errors.js';
import {descriptor} from './proto/descriptor.js';

interface MessageTypes {
  TaskMessage: protobuf.Type;
  ServerInfo: protobuf.Type;
  WorkerInfo: protobuf.Type;
  SchedulerEntry: protobuf.Type;
  SchedulerEnqueueEvent: protobuf.Type;
}

let messageTypes: MessageTypes | undefined;
let strictReader: ((buf: Buffer) => protobuf.Reader) | undefined;

/**
 * The message types, built on first use: protobufjs (a CommonJS module, required synchronously here)
 * and the reflection from the descriptor take a good part of a CLI command's start-up, and commands
 * such as `asynq stats` decode no message.
 */
function types(): MessageTypes {
  if (messageTypes) return messageTypes;
  const pb = createRequire(import.meta.url)('protobufjs') as typeof protobuf;
  /**
   * protobufjs's Buffer reader cuts a string field whose length runs past the end of the bytes
   * short instead of failing (reader_buffer.js, read_string_buffer), so a truncated message
   * decoded to a shorter queue or id. Go's proto.Unmarshal refuses it (unexpected EOF): so does this.
   */
  class StrictBufferReader extends pb.BufferReader {
    override string(): string {
      const len = this.uint32();
      const end = this.pos + len;
      if (end > this.len) throw new RangeError(`index out of range: ${this.pos} + ${len} > ${this.len}`);
      const s = (this.buf as Buffer).toString('utf8', this.pos, end);
      this.pos = end;
      return s;
    }
  }
  strictReader = (buf) => new StrictBufferReader(buf);
  const root = pb.Root.fromJSON(descriptor as unknown as protobuf.INamespace);
  messageTypes = {
    TaskMessage: root.lookupType('asynq.TaskMessage'),
    ServerInfo: root.lookupType('asynq.ServerInfo'),
    WorkerInfo: root.lookupType('asynq.WorkerInfo'),
    SchedulerEntry: root.lookupType('asynq.SchedulerEntry'),
    SchedulerEnqueueEvent: root.lookupType('asynq.SchedulerEnqueueEvent'),
  };
  return messageTypes;
}

/** google.protobuf.Timestamp with full precision. */
export interface Timestamp {
  seconds: number;
  nanos: number;
}

/** Go's zero time.Time (January 1, year 1, UTC) as a Timestamp: "never". */
export const ZERO_TIME: Timestamp = Object.freeze({seconds: -62135596800, nanos: 0});

export function isZeroTime(t: Timestamp): boolean {
  return t.seconds === ZERO_TIME.seconds && t.nanos === 0;
}

export function timestampFromDate(d: Date): Timestamp {
  const ms = d.getTime();
  const seconds = Math.floor(ms / 1000);
  return {seconds, nanos: (ms - seconds * 1000) * 1_000_000};
}

export function timestampToDate(t: Timestamp): Date {
  return new Date(t.seconds * 1000 + Math.floor(t.nanos / 1_000_000));
}

/** asynq.TaskMessage: the value of the task hash's `msg` field. Units as Go: seconds. */
export interface TaskMessage {
  type: string;
  /** Task payload; Go's nil and empty payloads both decode as an empty buffer. */
  payload: Buffer;
  headers: Record<string, string>;
  id: string;
  queue: string;
  /** Max retry count. */
  retry: number;
  retried: number;
  errorMsg: string;
  /** Unix seconds, 0 = never. */
  lastFailedAt: number;
  /** Seconds, 0 = none. */
  timeout: number;
  /** Unix seconds, 0 = none. */
  deadline: number;
  uniqueKey: string;
  groupKey: string;
  /** Seconds, 0 = delete on success. */
  retention: number;
  /** Unix seconds, 0 = not completed. */
  completedAt: number;
}

export interface ServerInfo {
  host: string;
  pid: number;
  serverId: string;
  concurrency: number;
  queues: Record<string, number>;
  strictPriority: boolean;
  status: string;
  startTime: Timestamp;
  activeWorkerCount: number;
}

export interface WorkerInfo {
  host: string;
  pid: number;
  serverId: string;
  taskId: string;
  taskType: string;
  taskPayload: Buffer;
  queue: string;
  startTime: Timestamp;
  deadline: Timestamp;
}

export interface SchedulerEntry {
  id: string;
  spec: string;
  taskType: string;
  taskPayload: Buffer;
  enqueueOptions: string[];
  nextEnqueueTime: Timestamp;
  prevEnqueueTime: Timestamp;
}

export interface SchedulerEnqueueEvent {
  taskId: string;
  enqueueTime: Timestamp;
}

type Wire = Record<string, unknown>;

function put(o: Wire, k: string, v: unknown): void {
  // proto3: zero values are not written (Go omits them), so leave them unset.
  if (v === undefined || v === null) return;
  if (v === '' || v === 0 || v === false) return;
  if ((v instanceof Uint8Array) && v.length === 0) return;
  if (Array.isArray(v) && v.length === 0) return;
  if (typeof v === 'object' && !(v instanceof Uint8Array) && !Array.isArray(v) && Object.keys(v).length === 0) return;
  o[k] = wellFormed(v);
}

/**
 * Proto3 `string` fields must be valid UTF-8 or Go refuses the whole message. A JS string with a
 * lone surrogate (say, in a handler's error text) would encode to invalid UTF-8, so replace
 * those with U+FFFD, in strings, string lists and string maps alike.
 */
function wellFormed(v: unknown): unknown {
  if (typeof v === 'string') return v.toWellFormed();
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x.toWellFormed() : x));
  if (v && typeof v === 'object' && !(v instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) ownKey(out, k.toWellFormed(), typeof x === 'string' ? x.toWellFormed() : x);
    return out;
  }
  return v;
}

/**
 * Sets key k as an own property: `out[k] = v` would set the prototype for a key `__proto__` (a
 * header name Go accepts like any other) and lose the entry.
 */
function ownKey(out: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(out, k, {value: v, enumerable: true, writable: true, configurable: true});
  else out[k] = v;
}

const PROTO_KEY = Buffer.from('__proto__');
const HEADERS_FIELD = 15;

/**
 * TaskMessage.headers read straight off the wire, for the rare message whose bytes hold
 * `__proto__`: protobufjs fills a map with `map[key] = value`, which drops that key.
 */
function headersOffTheWire(bytes: Uint8Array): Record<string, string> {
  const r = strictReader!(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const out: Record<string, string> = {};
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 !== HEADERS_FIELD || (tag & 7) !== 2) {
      r.skipType(tag & 7);
      continue;
    }
    const end = r.uint32() + r.pos;
    let key = '';
    let value = '';
    while (r.pos < end) {
      const t = r.uint32();
      if (t >>> 3 === 1 && (t & 7) === 2) key = r.string();
      else if (t >>> 3 === 2 && (t & 7) === 2) value = r.string();
      else r.skipType(t & 7);
    }
    ownKey(out, key, value);
  }
  return out;
}

/** headersOffTheWire; bytes it cannot read (a field protobufjs skipped leniently) are a DecodeError. */
function decodeHeadersOffTheWire(bytes: Uint8Array): Record<string, string> {
  try {
    return headersOffTheWire(bytes);
  } catch (err) {
    throw new DecodeError('TaskMessage', err);
  }
}

function ts(t: Timestamp): Wire {
  const o: Wire = {};
  put(o, 'seconds', t.seconds);
  put(o, 'nanos', t.nanos);
  return o;
}

function int(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  if (typeof v === 'object' && v !== null && 'toNumber' in v) return (v as {toNumber(): number}).toNumber();
  return Number(v);
}

function tsOut(v: unknown): Timestamp {
  // A missing Timestamp decodes as the Unix epoch (Go HEAD timestamppb.AsTime(nil)).
  if (!v) return {seconds: 0, nanos: 0};
  const o = v as Wire;
  return {seconds: int(o.seconds), nanos: int(o.nanos)};
}

function buf(v: unknown): Buffer {
  if (!v) return Buffer.alloc(0);
  // protobufjs gives a plain [] as the default of an absent bytes field.
  if (!(v instanceof Uint8Array)) return Buffer.from(v as number[]);
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function decodeWith(type: protobuf.Type, what: string, bytes: Uint8Array): Wire {
  try {
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return type.decode(strictReader!(buf)) as unknown as Wire;
  } catch (err) {
    throw new DecodeError(what, err);
  }
}

export function encodeTaskMessage(m: TaskMessage): Buffer {
  const o: Wire = {};
  put(o, 'type', m.type);
  put(o, 'payload', m.payload);
  put(o, 'headers', m.headers);
  put(o, 'id', m.id);
  put(o, 'queue', m.queue);
  put(o, 'retry', m.retry);
  put(o, 'retried', m.retried);
  put(o, 'error_msg', m.errorMsg);
  put(o, 'last_failed_at', m.lastFailedAt);
  put(o, 'timeout', m.timeout);
  put(o, 'deadline', m.deadline);
  put(o, 'unique_key', m.uniqueKey);
  put(o, 'group_key', m.groupKey);
  put(o, 'retention', m.retention);
  put(o, 'completed_at', m.completedAt);
  return Buffer.from(types().TaskMessage.encode(o).finish());
}

/**
 * Decodes a task hash's `msg`. Throws DecodeError for bytes that are not a TaskMessage, and for a
 * message without an id, a type or a queue: protobuf decodes empty or random bytes to a message of
 * empty fields, which no Go or TS producer writes (Go's Client refuses an empty type, and every
 * script keys the task by its id and queue), and which no handler can run or finish.
 */
export function decodeTaskMessage(bytes: Uint8Array): TaskMessage {
  const o = decodeWith(types().TaskMessage, 'TaskMessage', bytes);
  for (const field of ['id', 'type', 'queue'] as const) {
    if (typeof o[field] !== 'string' || o[field] === '') throw new DecodeError('TaskMessage', new Error(`${field} is empty`));
  }
  return {
    type: (o.type as string) ?? '',
    payload: buf(o.payload),
    headers: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(PROTO_KEY)
      ? decodeHeadersOffTheWire(bytes)
      : {...((o.headers as Record<string, string>) ?? {})},
    id: (o.id as string) ?? '',
    queue: (o.queue as string) ?? '',
    retry: int(o.retry),
    retried: int(o.retried),
    errorMsg: (o.error_msg as string) ?? '',
    lastFailedAt: int(o.last_failed_at),
    timeout: int(o.timeout),
    deadline: int(o.deadline),
    uniqueKey: (o.unique_key as string) ?? '',
    groupKey: (o.group_key as string) ?? '',
    retention: int(o.retention),
    completedAt: int(o.completed_at),
  };
}

/** A TaskMessage with Go's zero values, to spread over. */
export function newTaskMessage(fields: Partial<TaskMessage> & Pick<TaskMessage, 'type' | 'id' | 'queue'>): TaskMessage {
  return {
    payload: Buffer.alloc(0), headers: {}, retry: 0, retried: 0, errorMsg: '', lastFailedAt: 0, timeout: 0,
    deadline: 0, uniqueKey: '', groupKey: '', retention: 0, completedAt: 0, ...fields,
  };
}

export function encodeServerInfo(s: ServerInfo): Buffer {
  const o: Wire = {};
  put(o, 'host', s.host);
  put(o, 'pid', s.pid);
  put(o, 'server_id', s.serverId);
  put(o, 'concurrency', s.concurrency);
  put(o, 'queues', s.queues);
  put(o, 'strict_priority', s.strictPriority);
  put(o, 'status', s.status);
  o.start_time = ts(s.startTime);
  put(o, 'active_worker_count', s.activeWorkerCount);
  return Buffer.from(types().ServerInfo.encode(o).finish());
}

export function decodeServerInfo(bytes: Uint8Array): ServerInfo {
  const o = decodeWith(types().ServerInfo, 'ServerInfo', bytes);
  const queues: Record<string, number> = {};
  for (const [k, v] of Object.entries((o.queues as Record<string, unknown>) ?? {})) queues[k] = int(v);
  return {
    host: (o.host as string) ?? '',
    pid: int(o.pid),
    serverId: (o.server_id as string) ?? '',
    concurrency: int(o.concurrency),
    queues,
    strictPriority: Boolean(o.strict_priority),
    status: (o.status as string) ?? '',
    startTime: tsOut(o.start_time),
    activeWorkerCount: int(o.active_worker_count),
  };
}

export function encodeWorkerInfo(w: WorkerInfo): Buffer {
  const o: Wire = {};
  put(o, 'host', w.host);
  put(o, 'pid', w.pid);
  put(o, 'server_id', w.serverId);
  put(o, 'task_id', w.taskId);
  put(o, 'task_type', w.taskType);
  put(o, 'task_payload', w.taskPayload);
  put(o, 'queue', w.queue);
  o.start_time = ts(w.startTime);
  o.deadline = ts(w.deadline);
  return Buffer.from(types().WorkerInfo.encode(o).finish());
}

export function decodeWorkerInfo(bytes: Uint8Array): WorkerInfo {
  const o = decodeWith(types().WorkerInfo, 'WorkerInfo', bytes);
  return {
    host: (o.host as string) ?? '',
    pid: int(o.pid),
    serverId: (o.server_id as string) ?? '',
    taskId: (o.task_id as string) ?? '',
    taskType: (o.task_type as string) ?? '',
    taskPayload: buf(o.task_payload),
    queue: (o.queue as string) ?? '',
    startTime: tsOut(o.start_time),
    deadline: tsOut(o.deadline),
  };
}

export function encodeSchedulerEntry(e: SchedulerEntry): Buffer {
  const o: Wire = {};
  put(o, 'id', e.id);
  put(o, 'spec', e.spec);
  put(o, 'task_type', e.taskType);
  put(o, 'task_payload', e.taskPayload);
  put(o, 'enqueue_options', e.enqueueOptions);
  o.next_enqueue_time = ts(e.nextEnqueueTime);
  o.prev_enqueue_time = ts(e.prevEnqueueTime);
  return Buffer.from(types().SchedulerEntry.encode(o).finish());
}

export function decodeSchedulerEntry(bytes: Uint8Array): SchedulerEntry {
  const o = decodeWith(types().SchedulerEntry, 'SchedulerEntry', bytes);
  return {
    id: (o.id as string) ?? '',
    spec: (o.spec as string) ?? '',
    taskType: (o.task_type as string) ?? '',
    taskPayload: buf(o.task_payload),
    enqueueOptions: [...((o.enqueue_options as string[]) ?? [])],
    nextEnqueueTime: tsOut(o.next_enqueue_time),
    prevEnqueueTime: tsOut(o.prev_enqueue_time),
  };
}

export function encodeSchedulerEnqueueEvent(e: SchedulerEnqueueEvent): Buffer {
  const o: Wire = {};
  put(o, 'task_id', e.taskId);
  o.enqueue_time = ts(e.enqueueTime);
  return Buffer.from(types().SchedulerEnqueueEvent.encode(o).finish());
}

export function decodeSchedulerEnqueueEvent(bytes: Uint8Array): SchedulerEnqueueEvent {
  const o = decodeWith(types().SchedulerEnqueueEvent, 'SchedulerEnqueueEvent', bytes);
  return {taskId: (o.task_id as string) ?? '', enqueueTime: tsOut(o.enqueue_time)};
}
