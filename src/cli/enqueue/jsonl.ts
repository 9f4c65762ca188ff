/**
 * Task descriptions in JSON Lines (`asynq enqueue --from tasks.jsonl`): one object per line,
 *
 *   {"type": "email:welcome", "payload": {"userId": 42}, "options": {"queue": "critical", "processIn": "10m"}}
 *
 * - `type`: the task type (required, a non-empty string);
 * - `payload` (optional): a string is sent as its UTF-8 bytes, any other JSON value as its JSON
 *   text, null or absent means no payload; or `payloadBase64` for raw bytes (not both);
 * - `options` (optional): TaskOptions with JSON values: `queue`, `maxRetry`, `timeout`, `deadline`,
 *   `unique`, `processAt`, `processIn`, `taskId`, `retention`, `group`, `headers` (Go's snake_case
 *   spellings `max_retry`, `process_at`, `process_in`, `task_id` are accepted too). Durations are
 *   strings like "90s" or numbers of milliseconds; `deadline` and `processAt` are RFC 3339 times.
 *
 * Blank lines are skipped. Every other line is parsed on its own: a bad line yields an error with
 * its line number and never affects the others.
 */
import {createInterface} from 'node:readline';
import type {Readable} from 'node:stream';
import type {Duration} from '../../lib/duration.js';
import {ValidationError, errorMessage} from '../../lib/errors.js';
import type {TaskOptions} from '../../lib/options.js';
import type {TaskPayload} from '../../lib/task.js';

/** A valid line: what to enqueue. */
export interface JsonlTask {
  line: number;
  type: string;
  payload: TaskPayload;
  options: TaskOptions;
}

/** An invalid line and why. */
export interface JsonlError {
  line: number;
  error: string;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/**
 * An RFC 3339 time (`2026-01-02T15:04:05Z`, `2026-01-02T15:04:05.5+09:00`); a space may replace
 * the T. Throws ValidationError naming `what` otherwise (also for impossible dates such as Feb 30).
 */
export function parseRfc3339(s: string, what = 'time'): Date {
  const m = typeof s === 'string' ? RFC3339.exec(s.trim()) : null;
  const bad = (): ValidationError =>
    new ValidationError(`invalid ${what} ${JSON.stringify(s)}: expected an RFC 3339 time like 2026-01-02T15:04:05Z`);
  if (!m) throw bad();
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const local = new Date(Date.UTC(y, mo - 1, d, h, mi, sec));
  local.setUTCFullYear(y); // Date.UTC maps years 0-99 to 1900-1999
  const fields = [local.getUTCFullYear(), local.getUTCMonth() + 1, local.getUTCDate(), local.getUTCHours(), local.getUTCMinutes(), local.getUTCSeconds()];
  if (fields.some((f, i) => f !== [y, mo, d, h, mi, sec][i])) throw bad(); // Feb 30, 24:00, :60 …
  const zone = m[8]!.toUpperCase();
  const offsetMin = zone === 'Z' ? 0 : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const fracMs = m[7] === undefined ? 0 : Math.floor(Number(`0${m[7]}`) * 1000);
  return new Date(local.getTime() + fracMs - offsetMin * 60_000);
}

type OptionKind = 'string' | 'integer' | 'duration' | 'time' | 'headers';

const OPTION_FIELDS: Readonly<Record<string, {key: keyof TaskOptions; kind: OptionKind}>> = {
  queue: {key: 'queue', kind: 'string'},
  maxRetry: {key: 'maxRetry', kind: 'integer'},
  max_retry: {key: 'maxRetry', kind: 'integer'},
  timeout: {key: 'timeout', kind: 'duration'},
  deadline: {key: 'deadline', kind: 'time'},
  unique: {key: 'unique', kind: 'duration'},
  processAt: {key: 'processAt', kind: 'time'},
  process_at: {key: 'processAt', kind: 'time'},
  processIn: {key: 'processIn', kind: 'duration'},
  process_in: {key: 'processIn', kind: 'duration'},
  taskId: {key: 'taskId', kind: 'string'},
  task_id: {key: 'taskId', kind: 'string'},
  retention: {key: 'retention', kind: 'duration'},
  group: {key: 'group', kind: 'string'},
  headers: {key: 'headers', kind: 'headers'},
};

function optionValue(name: string, kind: OptionKind, v: unknown): unknown {
  const bad = (expected: string): ValidationError => new ValidationError(`option "${name}" must be ${expected}, got ${JSON.stringify(v)}`);
  switch (kind) {
    case 'string':
      if (typeof v !== 'string') throw bad('a string');
      return v;
    case 'integer':
      if (typeof v !== 'number' || !Number.isInteger(v)) throw bad('an integer');
      return v;
    case 'duration':
      if (typeof v !== 'string' && (typeof v !== 'number' || !Number.isFinite(v))) throw bad('a duration like "90s" or a number of milliseconds');
      return v as Duration;
    case 'time':
      if (typeof v !== 'string') throw bad('an RFC 3339 time string');
      return parseRfc3339(v, `option "${name}"`);
    case 'headers':
      if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string')) {
        throw bad('an object of string values');
      }
      return {...(v as Record<string, string>)};
  }
}

/**
 * TaskOptions from a JSON object (see the module comment). Checks the JSON types and parses times;
 * value rules (blank queue, unique < 1 s, …) are the Client's, applied at enqueue.
 */
export function taskOptionsFromJson(obj: unknown): TaskOptions {
  if (obj === undefined || obj === null) return {};
  if (typeof obj !== 'object' || Array.isArray(obj)) throw new ValidationError('"options" must be an object');
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(obj)) {
    const field = OPTION_FIELDS[name];
    if (!field) throw new ValidationError(`unknown option "${name}" (known: ${Object.keys(OPTION_FIELDS).join(', ')})`);
    if (v === null) continue;
    if (field.key in out) throw new ValidationError(`option "${field.key}" is given twice`);
    out[field.key] = optionValue(name, field.kind, v);
  }
  if (out.processAt !== undefined && out.processIn !== undefined) throw new ValidationError('options "processAt" and "processIn" cannot be combined');
  return out as TaskOptions;
}

const TOP_LEVEL = new Set(['type', 'payload', 'payloadBase64', 'options']);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Parses one line (1-based `line` for messages). Throws ValidationError with the reason. */
export function parseTaskLine(text: string, line: number): JsonlTask {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`not valid JSON: ${errorMessage(err)}`);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new ValidationError('expected a JSON object {"type", "payload", "options"}');
  const o = obj as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!TOP_LEVEL.has(k)) throw new ValidationError(`unknown field "${k}" (known: type, payload, payloadBase64, options)`);
  if (typeof o.type !== 'string' || o.type.trim() === '') throw new ValidationError('"type" must be a non-empty string');
  if (o.payload !== undefined && o.payloadBase64 !== undefined) throw new ValidationError('"payload" and "payloadBase64" cannot both be given');
  let payload: TaskPayload = null;
  if (o.payloadBase64 !== undefined) {
    if (typeof o.payloadBase64 !== 'string' || !BASE64.test(o.payloadBase64)) throw new ValidationError('"payloadBase64" must be a base64 string');
    payload = Buffer.from(o.payloadBase64, 'base64');
  } else if (typeof o.payload === 'string') {
    payload = o.payload;
  } else if (o.payload !== undefined && o.payload !== null) {
    payload = JSON.stringify(o.payload);
  }
  return {line, type: o.type, payload, options: taskOptionsFromJson(o.options)};
}

/**
 * Reads JSON Lines from a stream and yields them in batches of at most `batchSize` entries (valid
 * tasks and invalid lines, in line order), so a caller can enqueue one batch while the next is
 * read. `onBytes` reports the bytes consumed (for a progress bar).
 */
export async function* readTaskLines(
  input: Readable,
  opts: {batchSize?: number; onBytes?: (n: number) => void} = {},
): AsyncGenerator<Array<JsonlTask | JsonlError>> {
  const size = Math.max(1, opts.batchSize ?? 500);
  const rl = createInterface({input, crlfDelay: Infinity});
  let batch: Array<JsonlTask | JsonlError> = [];
  let line = 0;
  for await (const raw of rl) {
    line++;
    opts.onBytes?.(Buffer.byteLength(raw) + 1);
    if (raw.trim() === '') continue;
    try {
      batch.push(parseTaskLine(raw, line));
    } catch (err) {
      batch.push({line, error: errorMessage(err)});
    }
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
