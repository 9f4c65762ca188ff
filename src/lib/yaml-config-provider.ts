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
 *     options:                         # optional: every task option but process_at, by its snake_case
 *                                      #   name (OPTION_SPECS in option-specs.ts), checked like TaskOptions
 *       queue: low                     # string
 *       max_retry: 3                   # integer
 *       timeout: 1m                    # durations: a number with a unit ("90s", "1h30m", "500ms")
 *       deadline: 2026-12-31T23:00:00Z # RFC 3339 time (offset within ±23:59)
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
import type * as Yaml from 'yaml';
import type {Document, LineCounter, Node, Pair, Scalar, YAMLMap, YAMLSeq} from 'yaml';
import {parseCronSpec} from './cron-spec.js';
import {errorMessage, ValidationError} from './errors.js';
import {OPTION_ENTRIES, OPTION_SPECS, validateOption, type OptionKey, type OptionKind} from './option-specs.js';
import type {PeriodicTaskConfig, PeriodicTaskConfigProvider} from './periodic-task-manager.js';
import {parseRfc3339} from './rfc3339.js';
import {Task, type TaskOptions} from './task.js';
import {lazyRequire} from './lazy-require.js';

/** yaml, loaded when the first file is parsed (lazy-require.ts). */
const yaml = lazyRequire<typeof Yaml>('yaml');
function isMap(node: unknown): node is YAMLMap {
  return yaml().isMap(node);
}
function isPair(node: unknown): node is Pair {
  return yaml().isPair(node);
}
function isScalar(node: unknown): node is Scalar {
  return yaml().isScalar(node);
}
function isSeq(node: unknown): node is YAMLSeq {
  return yaml().isSeq(node);
}

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

/** The option keys of the file: each task option's snake_case name, in table order. */
const OPTION_NAMES: ReadonlyMap<string, OptionKey> = new Map(
  OPTION_ENTRIES.filter(([, spec]) => spec.periodic !== false).map(([k, spec]) => [spec.snake, k]),
);
const CONFIG_KEYS = ['cronspec', 'task_type', 'payload', 'options'] as const;

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

/** The value of an option as the YAML gives it, checked for the option's kind (not yet for its rules). */
function yamlValue(w: Where, p: Pair, name: string, kind: OptionKind): unknown {
  const v = p.value as Node;
  switch (kind) {
    case 'string':
      return stringValue(w, p, name);
    case 'int': {
      // Integers arrive as bigint (intAsBigInt keeps big payload numbers exact).
      const n = isScalar(v) && typeof v.value === 'bigint' ? Number(v.value) : NaN;
      if (!Number.isSafeInteger(n)) fail(w, v ?? p, `${name} must be an integer`);
      return n;
    }
    case 'duration':
      if (isScalar(v) && (typeof v.value === 'number' || typeof v.value === 'bigint')) {
        fail(w, v, `${name} needs a unit, e.g. "${String(v.value)}s" or "${String(v.value)}ms"`);
      }
      return stringValue(w, p, name);
    case 'time': {
      const text = stringValue(w, p, name);
      try {
        return parseRfc3339(text, name);
      } catch {
        return fail(w, v, `${name} must be an RFC 3339 time like 2026-12-31T23:00:00Z, got ${JSON.stringify(text)}`);
      }
    }
    case 'headers': {
      const headers: Record<string, string> = {};
      if (!isMap(v)) fail(w, v ?? p, `${name} must be a mapping of strings`);
      for (const hp of (v as YAMLMap).items) headers[keyName(w, hp)] = stringValue(w, hp, `header "${keyName(w, hp)}"`);
      return headers;
    }
  }
}

function optionsOf(w: Where, pair: Pair | undefined): TaskOptions | undefined {
  if (!pair || pair.value === null || (isScalar(pair.value) && pair.value.value === null)) return undefined;
  const opts: Record<string, unknown> = {};
  for (const [name, p] of pairsOf(w, pair.value, 'option', [...OPTION_NAMES.keys()])) {
    const key = OPTION_NAMES.get(name)!;
    const raw = yamlValue(w, p, name, OPTION_SPECS[key].kind);
    try {
      opts[key] = validateOption(key, raw, name);
    } catch (err) {
      fail(w, (p.value as Node) ?? p, errorMessage(err));
    }
  }
  return opts as TaskOptions;
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
  const w: Where = {file, lines: new (yaml().LineCounter)()};
  const doc = yaml().parseDocument(text, {lineCounter: w.lines, intAsBigInt: true, prettyErrors: false});
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
