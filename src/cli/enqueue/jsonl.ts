/**
 * Task descriptions in JSON Lines (`asynq enqueue --from tasks.jsonl`): one object per line,
 *
 *   {"type": "email:welcome", "payload": {"userId": 42}, "options": {"queue": "critical", "processIn": "10m"}}
 *
 * - `type`: the task type (required, a non-empty string);
 * - `payload` (optional): a string is sent as its UTF-8 bytes, any other JSON value as its JSON
 *   text, null or absent means no payload; or `payloadBase64` for raw bytes (not both);
 * - `options` (optional): TaskOptions with JSON values, by their TaskOptions names (`queue`,
 *   `maxRetry`, `processIn`, …) or Go's snake_case names (`max_retry`, `process_in`, …), both from
 *   OPTION_SPECS (src/lib/option-specs.ts). Durations are strings like "90s" or numbers of
 *   milliseconds; times (`deadline`, `processAt`) are RFC 3339.
 *
 * Blank lines are skipped. Every other line is parsed on its own: a bad line yields an error with
 * its line number and never affects the others.
 */
import {createInterface} from 'node:readline';
import type {Readable} from 'node:stream';
import type {Duration} from '../../lib/duration.js';
import {ValidationError, errorMessage} from '../../lib/errors.js';
import {
  OPTION_CONFLICTS,
  OPTION_ENTRIES,
  OPTION_SPECS,
  type OptionKey,
  type OptionKind,
} from '../../lib/option-specs.js';
import {parseRfc3339} from '../../lib/rfc3339.js';
import type {TaskOptions, TaskPayload} from '../../lib/task.js';

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

/** The option names of a line: each task option's key and, where it differs, Go's snake_case name, in table order. */
const OPTION_NAMES: ReadonlyMap<string, OptionKey> = new Map(
  OPTION_ENTRIES.flatMap(([k, spec]) =>
    spec.snake === k ? [[k, k] as const] : [[k, k] as const, [spec.snake, k] as const],
  ),
);

function optionValue(name: string, kind: OptionKind, v: unknown): unknown {
  const bad = (expected: string): ValidationError =>
    new ValidationError(`option "${name}" must be ${expected}, got ${JSON.stringify(v)}`);
  switch (kind) {
    case 'string':
      if (typeof v !== 'string') throw bad('a string');
      return v;
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v)) throw bad('an integer');
      return v;
    case 'duration':
      if (typeof v !== 'string' && (typeof v !== 'number' || !Number.isFinite(v)))
        throw bad('a duration like "90s" or a number of milliseconds');
      return v as Duration;
    case 'time':
      if (typeof v !== 'string') throw bad('an RFC 3339 time string');
      return parseRfc3339(v, `option "${name}"`);
    case 'headers':
      if (
        typeof v !== 'object' ||
        v === null ||
        Array.isArray(v) ||
        !Object.values(v).every((x) => typeof x === 'string')
      ) {
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
    const key = OPTION_NAMES.get(name);
    if (key === undefined)
      throw new ValidationError(`unknown option "${name}" (known: ${[...OPTION_NAMES.keys()].join(', ')})`);
    if (v === null) continue;
    if (key in out) throw new ValidationError(`option "${key}" is given twice`);
    out[key] = optionValue(name, OPTION_SPECS[key].kind, v);
  }
  for (const [a, b] of OPTION_CONFLICTS) {
    if (out[a] !== undefined && out[b] !== undefined)
      throw new ValidationError(`options "${a}" and "${b}" cannot be combined`);
  }
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
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    throw new ValidationError('expected a JSON object {"type", "payload", "options"}');
  const o = obj as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!TOP_LEVEL.has(k))
      throw new ValidationError(`unknown field "${k}" (known: type, payload, payloadBase64, options)`);
  if (typeof o.type !== 'string' || o.type.trim() === '')
    throw new ValidationError('"type" must be a non-empty string');
  if (o.payload !== undefined && o.payloadBase64 !== undefined)
    throw new ValidationError('"payload" and "payloadBase64" cannot both be given');
  let payload: TaskPayload = null;
  if (o.payloadBase64 !== undefined) {
    if (typeof o.payloadBase64 !== 'string' || !BASE64.test(o.payloadBase64))
      throw new ValidationError('"payloadBase64" must be a base64 string');
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
