/**
 * The JSON documents of `--json` (stable camelCase fields, durations `…Ms`, instants ISO-8601,
 * bytes as text or base64; documented in the README "JSON output"). The text views are in ./text.ts.
 */
import type {ChunkedJsonString} from '../output.js';
import type {
  DailyStats,
  LimitInfo,
  QueueInfo,
  SchedulerEnqueueEvent,
  SchedulerEntry,
  ServerInfo,
  TaskInfo,
  TaskState,
} from '../../lib/index.js';

/**
 * Bytes in JSON: the text when they are valid UTF-8, otherwise base64 (`encoding` says which).
 * Above LARGE_BYTES, `data` is a LargeBytesText that writeJson (../output.ts) writes piece by
 * piece, so that no payload Redis can hold (up to 512 MB) is ever one JS string.
 */
export interface BytesJson {
  data: JsonText;
  encoding: 'utf8' | 'base64';
}

/** A text field of the JSON documents: a string, or a LargeBytesText for a big payload or result. */
type JsonText = string | LargeBytesText;

/** Bytes from this size on are written by pieces rather than decoded into one string. */
export const LARGE_BYTES = 16 * 1024 * 1024;
const PIECE = 3 * 256 * 1024; // a multiple of 3, so that base64 pieces join without padding

const strictUtf8 = new TextDecoder('utf-8', {fatal: true});

/** Big bytes as JSON text (UTF-8 or base64), produced piece by piece. */
export class LargeBytesText implements ChunkedJsonString {
  constructor(
    readonly bytes: Uint8Array,
    readonly encoding: BytesJson['encoding'],
  ) {}

  *chunks(): Iterable<string> {
    const utf8 = new TextDecoder('utf-8', {fatal: true});
    for (let i = 0; i < this.bytes.length; i += PIECE) {
      const piece = this.bytes.subarray(i, i + PIECE);
      yield this.encoding === 'utf8'
        ? utf8.decode(piece, {stream: true})
        : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength).toString('base64');
    }
    if (this.encoding === 'utf8') yield utf8.decode();
  }

  /** The whole text (throws RangeError beyond V8's string length limit). */
  toString(): string {
    return [...this.chunks()].join('');
  }
}

function isUtf8(b: Uint8Array): boolean {
  const d = new TextDecoder('utf-8', {fatal: true});
  try {
    for (let i = 0; i < b.length; i += PIECE) d.decode(b.subarray(i, i + PIECE), {stream: true});
    d.decode();
    return true;
  } catch {
    return false;
  }
}

export function bytesJson(b: Uint8Array): BytesJson {
  if (b.length >= LARGE_BYTES) {
    const encoding = isUtf8(b) ? 'utf8' : 'base64';
    return {data: new LargeBytesText(b, encoding), encoding};
  }
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
  payload: JsonText;
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
  result: JsonText | null;
  resultEncoding: BytesJson['encoding'] | null;
}

export function taskJson(t: TaskInfo): TaskJson {
  const payload = bytesJson(t.payload);
  const result = t.result === null ? null : bytesJson(t.result);
  return {
    id: t.id,
    queue: t.queue,
    type: t.type,
    state: t.state,
    payload: payload.data,
    payloadEncoding: payload.encoding,
    headers: {...t.headers},
    maxRetry: t.maxRetry,
    retried: t.retried,
    lastErr: t.lastErr,
    lastFailedAt: iso(t.lastFailedAt),
    timeoutMs: t.timeout,
    deadline: iso(t.deadline),
    group: t.group,
    nextProcessAt: iso(t.nextProcessAt),
    isOrphaned: t.isOrphaned,
    retentionMs: t.retention,
    completedAt: iso(t.completedAt),
    result: result?.data ?? null,
    resultEncoding: result?.encoding ?? null,
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

interface WorkerJson {
  taskId: string;
  taskType: string;
  taskPayload: JsonText;
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
  /** The fleet-wide limits this server enforces, with their use now; only for a server with limits. */
  limits?: LimitJson[];
}

/** A fleet-wide limit (`asynq limit ls --json`, and `limits` of `asynq server ls --json`). */
export interface LimitJson {
  scope: string;
  match: {queue?: string; type?: string};
  /** Most running at once (absent: no cap). */
  concurrency?: number;
  /** Most starts per perMs, burst at once (absent: no rate). */
  rate?: {count: number; perMs: number; burst: number};
  /** Tokens of the cap held now (Redis asynq:sema:<scope>). */
  tokensHeld: number;
  /** Starts in the last rate window. */
  rateUsed: number;
  /** Tasks the limit sent back to wait that are not due yet. */
  waiting: number;
  /** IDs of the live servers enforcing it. */
  servers: string[];
}

export function limitJson(l: LimitInfo): LimitJson {
  return {
    scope: l.scope,
    match: {...l.match},
    ...(l.concurrency !== undefined && {concurrency: l.concurrency}),
    ...(l.rate !== undefined && {rate: {count: l.rate.count, perMs: l.rate.perMs, burst: l.rate.burst}}),
    tokensHeld: l.tokensHeld,
    rateUsed: l.rateUsed,
    waiting: l.waiting,
    servers: [...l.servers],
  };
}

export function serverJson(s: ServerInfo): ServerJson {
  return {
    id: s.id,
    host: s.host,
    pid: s.pid,
    concurrency: s.concurrency,
    queues: {...s.queues},
    strictPriority: s.strictPriority,
    status: s.status,
    startedAt: s.started.toISOString(),
    activeWorkers: s.activeWorkers.map((w) => {
      const p = bytesJson(w.taskPayload);
      return {
        taskId: w.taskId,
        taskType: w.taskType,
        taskPayload: p.data,
        taskPayloadEncoding: p.encoding,
        queue: w.queue,
        startedAt: w.started.toISOString(),
        deadline: w.deadline.toISOString(),
      };
    }),
    ...(s.limits && {limits: s.limits.map(limitJson)}),
  };
}

export interface SchedulerEntryJson {
  id: string;
  spec: string;
  taskType: string;
  taskPayload: JsonText;
  taskPayloadEncoding: BytesJson['encoding'];
  options: string[];
  nextEnqueueAt: string;
  prevEnqueueAt: string | null;
}

export function schedulerEntryJson(e: SchedulerEntry): SchedulerEntryJson {
  const p = bytesJson(e.task.payload);
  return {
    id: e.id,
    spec: e.spec,
    taskType: e.task.type,
    taskPayload: p.data,
    taskPayloadEncoding: p.encoding,
    options: [...e.options],
    nextEnqueueAt: e.next.toISOString(),
    prevEnqueueAt: iso(e.prev),
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
