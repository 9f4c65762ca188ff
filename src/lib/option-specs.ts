/**
 * The table of task options: one spec per TaskOptions field, and the one validation of an option
 * value. Every format that carries task options is built from this table, as Go asynq keeps one
 * `Option` type per option, each with its `String()`, `Type()` and `Value()` (client.go):
 *
 * | format                                    | option name                      | module                        |
 * |-------------------------------------------|----------------------------------|-------------------------------|
 * | TaskOptions objects (Client, Scheduler…)  | the key, `processIn`             | options.ts (composeOptions)   |
 * | `asynq enqueue` flags                     | `flag.name`, `--process-in`      | src/cli/task-flags.ts         |
 * | JSON Lines of `asynq enqueue --from`      | the key, or `snake`              | src/cli/enqueue/jsonl.ts      |
 * | YAML periodic task file                   | `snake`, `process_in`            | yaml-config-provider.ts       |
 * | Go `Option.String()` in scheduler entries | `go`, `ProcessIn(10s)`           | option-strings.ts             |
 *
 * The spec's `kind` decides how each format reads and writes the value. To add an option: add the
 * field to TaskOptions (task.ts), its spec here, and what it does to the task message (`APPLY` in
 * options.ts); the compiler asks for the last two once the field exists, and every format then
 * takes the option.
 */
import {goDurationString, toMs, type Duration} from './duration.js';
import {ValidationError} from './errors.js';
import type {TaskOptions} from './task.js';

/** How a value is read and written in every format. */
export type OptionKind = 'string' | 'int' | 'duration' | 'time' | 'headers';

/** The value of each kind after validateOption (durations in milliseconds). */
interface OptionKindValue {
  string: string;
  int: number;
  duration: number;
  time: Date;
  headers: Record<string, string>;
}

/** The kind whose values a TaskOptions field holds (the `satisfies` clause of OPTION_SPECS checks it). */
type KindOf<T> = [T] extends [Date] ? 'time' : [T] extends [string] ? 'string' : [T] extends [number] ? 'int'
  : [T] extends [Duration] ? 'duration' : [T] extends [Record<string, string>] ? 'headers' : never;

/** An option's `asynq enqueue` flag. */
interface OptionFlagSpec {
  /** The long name, without `--`. */
  readonly name: string;
  readonly summary: string;
  /** Placeholder in the help; by default `<n>`, `<duration>`, `<rfc3339>` or `<key=value>` after the kind. */
  readonly helpValue?: string;
  /** A one-letter alias. */
  readonly char?: string;
  /** Validate the value while the flags are parsed (it is then the checked default of every `--from` line). */
  readonly checked?: true;
}

/** One task option in every format, and its rules. */
export interface OptionSpec {
  readonly kind: OptionKind;
  /** Go's snake_case name: the YAML key, and an alias of the key in JSON Lines. */
  readonly snake: string;
  /** The name in Go's `Option.String()` (`MaxRetry` in `MaxRetry(5)`); headers give one `Header([k,v])` each. */
  readonly go: string;
  /** Whether Go's Inspector parses the string back (Go `parseOption`); Go tools do not show the others. */
  readonly goShown: boolean;
  readonly flag: OptionFlagSpec;
  /** false: not in the YAML periodic task file. */
  readonly periodic?: false;
  /** What the library's error messages call the value. */
  readonly label: string;
  /** string: a blank value (only whitespace) is an error. */
  readonly notBlank?: true;
  /** duration: the least value in ms (0: not negative). */
  readonly minMs?: number;
  /** int: the largest value. */
  readonly max?: number;
  /** int: smaller values count as this one (Go: MaxRetry(-1) is MaxRetry(0)); the CLI flag refuses them. */
  readonly floor?: number;
  /**
   * An option that sets the same thing: the two cannot be given in one options object (nor one
   * JSON line, nor one command line), and when option layers are merged the later one replaces the other.
   */
  readonly excludes?: keyof TaskOptions;
  /** Go's wording of a library error, where it is not the generic one. */
  readonly goErrors?: {readonly blank?: string; readonly tooSmall?: string};
}

const MAX_INT32 = 2 ** 31 - 1;

/**
 * Every task option, in the order formats list them. Go's names are from client.go (`MaxRetry`,
 * `Queue`, … `TaskID`, `Group`, `Header`); Go's Inspector `parseOption` reads back all but TaskID and Group.
 */
export const OPTION_SPECS = {
  queue: {
    kind: 'string', snake: 'queue', go: 'Queue', goShown: true, label: 'queue name', notBlank: true,
    goErrors: {blank: 'queue name must contain one or more characters'}, // Go base.ValidateQueueName
    flag: {name: 'queue', char: 'q', helpValue: '<queue>', checked: true, summary: 'Queue to put the task in (default "default").'},
  },
  maxRetry: {
    kind: 'int', snake: 'max_retry', go: 'MaxRetry', goShown: true, label: 'maxRetry', max: MAX_INT32, floor: 0,
    flag: {name: 'max-retry', summary: 'How many times a failed task is retried (default 25).'},
  },
  timeout: {
    kind: 'duration', snake: 'timeout', go: 'Timeout', goShown: true, label: 'timeout', minMs: 0,
    flag: {name: 'timeout', summary: 'How long one attempt may run, e.g. 90s, 10m (default 30m when --deadline is not given).'},
  },
  deadline: {
    kind: 'time', snake: 'deadline', go: 'Deadline', goShown: true, label: 'deadline',
    flag: {name: 'deadline', summary: 'Absolute deadline of the task, RFC 3339 (e.g. 2026-01-02T15:04:05Z).'},
  },
  unique: {
    kind: 'duration', snake: 'unique', go: 'Unique', goShown: true, label: 'unique TTL', minMs: 1000,
    goErrors: {tooSmall: 'Unique TTL cannot be less than 1s'}, // Go client.go composeOptions
    flag: {name: 'unique', summary: 'Reject an identical task (same type, payload and queue) for this long, e.g. 1h (at least 1s).'},
  },
  processAt: {
    // Not in the YAML periodic task file, which has process_in: a fixed instant is the same for every tick.
    kind: 'time', snake: 'process_at', go: 'ProcessAt', goShown: true, label: 'processAt', periodic: false,
    flag: {name: 'process-at', summary: 'Process the task at this time, RFC 3339.'},
  },
  processIn: {
    kind: 'duration', snake: 'process_in', go: 'ProcessIn', goShown: true, label: 'processIn', excludes: 'processAt',
    flag: {name: 'process-in', summary: 'Process the task this long from now, e.g. 10m.'},
  },
  retention: {
    kind: 'duration', snake: 'retention', go: 'Retention', goShown: true, label: 'retention', minMs: 0,
    flag: {name: 'retention', summary: 'Keep the task (and its result) this long after it completes, e.g. 24h.'},
  },
  group: {
    kind: 'string', snake: 'group', go: 'Group', goShown: false, label: 'group key', notBlank: true,
    flag: {name: 'group', helpValue: '<group>', summary: 'Aggregation group (processed by a server with a group aggregator).'},
  },
  taskId: {
    kind: 'string', snake: 'task_id', go: 'TaskID', goShown: false, label: 'task ID', notBlank: true,
    flag: {name: 'task-id', helpValue: '<id>', summary: 'Task ID (default a random UUID).'},
  },
  headers: {
    kind: 'headers', snake: 'headers', go: 'Header', goShown: true, label: 'headers',
    flag: {name: 'header', summary: 'Task header (repeatable).'},
  },
} as const satisfies {[K in keyof TaskOptions]-?: OptionSpec & {kind: KindOf<NonNullable<TaskOptions[K]>>}};

export type OptionKey = keyof TaskOptions;
type Specs = typeof OPTION_SPECS;

/** The value of option K after validateOption. */
export type OptionValue<K extends OptionKey> = OptionKindValue[Specs[K]['kind']];

/** The option keys in table order. */
export const OPTION_KEYS = Object.keys(OPTION_SPECS) as OptionKey[];

/** Every option and its spec in table order, for code that treats all options alike. */
export const OPTION_ENTRIES: ReadonlyArray<readonly [OptionKey, OptionSpec]> = OPTION_KEYS.map((k) => [k, OPTION_SPECS[k]]);

/** The spec of `key`, or undefined when `key` is not a task option (inherited names such as `toString` are not). */
export function optionSpec(key: string): OptionSpec | undefined {
  return Object.hasOwn(OPTION_SPECS, key) ? OPTION_SPECS[key as OptionKey] : undefined;
}

/** Pairs of options that set the same thing, the `excludes` target first: `[processAt, processIn]`. */
export const OPTION_CONFLICTS: ReadonlyArray<readonly [OptionKey, OptionKey]> = OPTION_ENTRIES.flatMap(([k, spec]) =>
  spec.excludes === undefined ? [] : [[spec.excludes, k] as const]);

const LONE_SURROGATE = /\p{Cs}/u;

/** Proto3 strings must be valid UTF-8 (Go refuses to decode otherwise): no lone surrogates. */
function checkText(s: string, what: string): void {
  if (LONE_SURROGATE.test(s)) throw new ValidationError(`${what} is not valid UTF-8 (it contains a lone surrogate)`);
}

/** `v` if it is a string of valid UTF-8; ValidationError otherwise. */
export function requireString(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new ValidationError(`${what} must be a string, got ${typeof v}`);
  checkText(v, what);
  return v;
}

/**
 * Checks one option value against its spec and returns it in canonical form: durations in ms,
 * headers copied, anything else as given (a maxRetry below its floor is returned as it is).
 * Throws ValidationError. Without `name` the messages are the library's, in Go's wording where Go
 * has one (`Unique TTL cannot be less than 1s`); a format passes its own spelling of the option
 * as `name` (`unique` in YAML) for messages in its terms (`unique must be at least 1s`).
 */
export function validateOption<K extends OptionKey>(key: K, value: unknown, name?: string): OptionValue<K> {
  const spec: OptionSpec = OPTION_SPECS[key];
  const who = name ?? spec.label;
  const goText = (rule: 'blank' | 'tooSmall'): string | undefined => (name === undefined ? spec.goErrors?.[rule] : undefined);
  let out: OptionKindValue[OptionKind];
  switch (spec.kind) {
    case 'string': {
      out = requireString(value, who);
      if (spec.notBlank && out.trim() === '') throw new ValidationError(goText('blank') ?? `${who} cannot be empty`);
      break;
    }
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value) || (spec.max !== undefined && value > spec.max)) {
        throw new ValidationError(`${who} must be an integer${spec.max === undefined ? '' : ` <= ${spec.max}`}, got ${String(value)}`);
      }
      out = value;
      break;
    case 'duration': {
      out = toMs(value as Duration, who);
      if (spec.minMs !== undefined && out < spec.minMs) {
        throw new ValidationError(spec.minMs === 0 ? `${who} cannot be negative` : goText('tooSmall') ?? `${who} must be at least ${goDurationString(spec.minMs)}`);
      }
      break;
    }
    case 'time':
      if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new ValidationError(`${who} must be a valid Date`);
      out = value;
      break;
    case 'headers': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ValidationError(`${who} must be an object of strings`);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(value)) {
        checkText(k, `header name ${JSON.stringify(k)}`);
        headers[k] = requireString(v, `header ${JSON.stringify(k)}`);
      }
      out = headers;
      break;
    }
  }
  return out as OptionValue<K>;
}
