/**
 * FilePeriodicTaskConfigProvider: periodic task configs from a YAML file, for the
 * PeriodicTaskManager and `asynq cron run --config`.
 *
 * ```yaml
 * configs:
 *   - cronspec: "* * * * *"            # required: see cron-spec.ts (5 fields, @daily, @every 30s, CRON_TZ=…)
 *     task_type: "task:periodic"       # required
 *     payload: { username: "孙悟空" }   # optional: a string is used as its UTF-8 bytes, any other
 *                                      #   YAML value as its JSON text; absent or null: no payload
 *     options:                         # optional
 *       queue: low                     # string
 *       max_retry: 3                   # integer
 *       timeout: 1m                    # durations: a number with a unit ("90s", "1h30m", "500ms")
 *       deadline: 2026-12-31T23:00:00Z # RFC 3339 time
 *       unique: 1h
 *       process_in: 10s
 *       retention: 24h
 *       group: g                       # string
 *       task_id: my-id                 # string (every tick then needs the previous task gone)
 *       headers: { source: cron }      # string → string
 * ```
 *
 * The file is read on every getConfigs() call, so edits take effect at the manager's next sync.
 * Anything wrong — YAML syntax, a missing or unknown key, a value of the wrong type, a bad cron
 * spec or duration — rejects with a ValidationError whose message starts with `<file>:<line>:<col>:`.
 */
import {readFile} from 'node:fs/promises';
import {isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair, type YAMLMap} from 'yaml';
import {parseCronSpec} from './cron-spec.js';
import {toMs} from './duration.js';
import {ValidationError} from './errors.js';
import type {TaskOptions} from './options.js';
import type {PeriodicTaskConfig, PeriodicTaskConfigProvider} from './periodic-task-manager.js';
import {Task} from './task.js';

/** Where a problem is: file and 1-based line and column. */
interface Where {
  file: string;
  lines: LineCounter;
}

function fail(w: Where, node: Node | Pair | null | undefined, msg: string): never {
  const range = node && (isPair(node) ? (node.key as Node | null)?.range : node.range);
  if (range) {
    const {line, col} = w.lines.linePos(range[0]);
    throw new ValidationError(`${w.file}:${line}:${col}: ${msg}`);
  }
  throw new ValidationError(`${w.file}: ${msg}`);
}

const OPTION_KEYS = ['queue', 'max_retry', 'timeout', 'deadline', 'unique', 'process_in', 'retention', 'group', 'task_id', 'headers'] as const;
const CONFIG_KEYS = ['cronspec', 'task_type', 'payload', 'options'] as const;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

function keyName(w: Where, pair: Pair): string {
  if (!isScalar(pair.key) || typeof pair.key.value !== 'string') fail(w, pair, 'keys must be plain strings');
  return pair.key.value;
}

/** The pairs of a mapping, refusing keys outside `allowed`. */
function pairsOf(w: Where, node: unknown, what: string, allowed: readonly string[]): Map<string, Pair<unknown, unknown>> {
  if (!isMap(node)) fail(w, node as Node, `${what} must be a mapping`);
  const out = new Map<string, Pair<unknown, unknown>>();
  for (const pair of (node as YAMLMap).items) {
    const k = keyName(w, pair);
    if (!allowed.includes(k)) fail(w, pair, `unknown ${what} key "${k}" (expected one of ${allowed.join(', ')})`);
    out.set(k, pair);
  }
  return out;
}

function stringValue(w: Where, pair: Pair, what: string, {nonBlank = false} = {}): string {
  const v = pair.value;
  if (!isScalar(v) || typeof v.value !== 'string') fail(w, (v as Node) ?? pair, `${what} must be a string`);
  if (nonBlank && v.value.trim() === '') fail(w, v, `${what} cannot be empty`);
  return v.value;
}

function durationValue(w: Where, pair: Pair, what: string): number {
  const v = pair.value;
  if (isScalar(v) && (typeof v.value === 'number' || typeof v.value === 'bigint')) {
    fail(w, v, `${what} needs a unit, e.g. "${String(v.value)}s" or "${String(v.value)}ms"`);
  }
  const text = stringValue(w, pair, what);
  try {
    return toMs(text, what);
  } catch (err) {
    return fail(w, v as Node, (err as Error).message);
  }
}

/** JSON text of a YAML value; big integers keep their digits. */
function jsonText(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return `[${v.map(jsonText).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${jsonText(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function payloadOf(w: Where, doc: Document, pair: Pair | undefined): string | Buffer | null {
  if (!pair || pair.value === null || (isScalar(pair.value) && pair.value.value === null)) return null;
  const node = pair.value as Node;
  if (isScalar(node) && typeof node.value === 'string') return node.value;
  const value: unknown = node.toJS(doc);
  if (typeof value === 'number' && !Number.isFinite(value)) fail(w, node, 'payload cannot be .inf or .nan (no JSON for it)');
  return Buffer.from(jsonText(value), 'utf8');
}

function optionsOf(w: Where, pair: Pair | undefined): TaskOptions | undefined {
  if (!pair || pair.value === null || (isScalar(pair.value) && pair.value.value === null)) return undefined;
  const opts: TaskOptions = {};
  for (const [k, p] of pairsOf(w, pair.value, 'option', OPTION_KEYS)) {
    const v = p.value as Node;
    switch (k as (typeof OPTION_KEYS)[number]) {
      case 'queue': opts.queue = stringValue(w, p, 'queue', {nonBlank: true}); break;
      case 'group': opts.group = stringValue(w, p, 'group', {nonBlank: true}); break;
      case 'task_id': opts.taskId = stringValue(w, p, 'task_id', {nonBlank: true}); break;
      case 'max_retry': {
        // Integers arrive as bigint (intAsBigInt keeps big payload numbers exact).
        const n = isScalar(v) && typeof v.value === 'bigint' ? Number(v.value) : NaN;
        if (!Number.isSafeInteger(n)) fail(w, v ?? p, 'max_retry must be an integer');
        opts.maxRetry = n;
        break;
      }
      case 'timeout': opts.timeout = durationValue(w, p, 'timeout'); break;
      case 'unique': {
        const ms = durationValue(w, p, 'unique');
        if (ms < 1000) fail(w, v, 'unique must be at least 1s');
        opts.unique = ms;
        break;
      }
      case 'process_in': opts.processIn = durationValue(w, p, 'process_in'); break;
      case 'retention': opts.retention = durationValue(w, p, 'retention'); break;
      case 'deadline': {
        const text = stringValue(w, p, 'deadline');
        const d = new Date(text);
        if (!RFC3339.test(text) || Number.isNaN(d.getTime())) fail(w, v, `deadline must be an RFC 3339 time like 2026-12-31T23:00:00Z, got ${JSON.stringify(text)}`);
        opts.deadline = d;
        break;
      }
      case 'headers': {
        const headers: Record<string, string> = {};
        if (!isMap(v)) fail(w, v ?? p, 'headers must be a mapping of strings');
        for (const hp of (v as YAMLMap).items) headers[keyName(w, hp)] = stringValue(w, hp, `header "${keyName(w, hp)}"`);
        opts.headers = headers;
        break;
      }
    }
  }
  return opts;
}

function configOf(w: Where, doc: Document, node: unknown, index: number): PeriodicTaskConfig {
  const pairs = pairsOf(w, node, `configs[${index}]`, CONFIG_KEYS);
  const spec = pairs.get('cronspec');
  const type = pairs.get('task_type');
  if (!spec) fail(w, node as Node, `configs[${index}]: missing cronspec`);
  if (!type) fail(w, node as Node, `configs[${index}]: missing task_type`);
  const cronspec = stringValue(w, spec, 'cronspec', {nonBlank: true});
  try {
    parseCronSpec(cronspec);
  } catch (err) {
    fail(w, spec.value as Node, (err as Error).message);
  }
  const taskType = stringValue(w, type, 'task_type', {nonBlank: true});
  const opts = optionsOf(w, pairs.get('options'));
  const task = new Task(taskType, payloadOf(w, doc, pairs.get('payload')));
  return opts === undefined ? {cronspec, task} : {cronspec, task, opts};
}

/**
 * Parses the YAML text of a periodic task file. `file` only names the source in error messages.
 * An empty document or one without `configs` is an error (an editor's half-written file must not
 * unregister everything); `configs: []` is a valid empty list.
 */
export function parsePeriodicTaskConfigs(text: string, file = '<config>'): PeriodicTaskConfig[] {
  const w: Where = {file, lines: new LineCounter()};
  const doc = parseDocument(text, {lineCounter: w.lines, intAsBigInt: true, prettyErrors: false});
  const first = doc.errors[0];
  if (first) {
    const {line, col} = w.lines.linePos(first.pos[0]);
    throw new ValidationError(`${file}:${line}:${col}: invalid YAML: ${first.message.split('\n')[0]}`);
  }
  if (doc.contents === null) fail(w, null, 'the file is empty: expected a "configs:" list');
  const top = pairsOf(w, doc.contents, 'top-level', ['configs']);
  const list = top.get('configs');
  if (!list) fail(w, doc.contents as Node, 'missing "configs:" list');
  if (isScalar(list.value) && list.value.value === null) return [];
  if (!isSeq(list.value)) fail(w, (list.value as Node) ?? list, '"configs" must be a list');
  return list.value.items.map((item, i) => configOf(w, doc, item, i));
}

/**
 * Reads periodic task configs from a YAML file (format in the module comment) on every call.
 * getConfigs() rejects with a ValidationError naming the file, line and column of the problem,
 * or the file when it cannot be read.
 */
export class FilePeriodicTaskConfigProvider implements PeriodicTaskConfigProvider {
  constructor(readonly path: string) {}

  async getConfigs(): Promise<PeriodicTaskConfig[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      throw new ValidationError(`${this.path}: cannot read periodic task config: ${(err as Error).message}`, {cause: err});
    }
    return parsePeriodicTaskConfigs(text, this.path);
  }
}
