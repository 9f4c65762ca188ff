/**
 * `asynq enqueue`'s task option flags, built from the option table (OPTION_SPECS: one flag per
 * TaskOptions field, its name, help and value kind), their conversion to TaskOptions, and the
 * payload sources (argument, file, stdin) with the "looks like JSON, so it must be JSON" check.
 */
import {readFile} from 'node:fs/promises';
import * as Flags from '@oclif/core/flags';
import type * as Interfaces from '@oclif/core/interfaces';
import {ValidationError, errorMessage} from '../lib/errors.js';
import {
  OPTION_CONFLICTS,
  OPTION_ENTRIES,
  OPTION_SPECS,
  validateOption,
  type OptionKey,
  type OptionSpec,
} from '../lib/option-specs.js';
import {parseRfc3339} from '../lib/rfc3339.js';
import type {TaskOptions} from '../lib/task.js';
import {duration} from './flags.js';

/** An RFC 3339 time flag → Date. */
const time = Flags.custom<Date>({
  helpValue: '<rfc3339>',
  parse: async (input, _ctx, opts) => parseRfc3339(input, `--${opts.name}`),
});

type Specs = typeof OPTION_SPECS;

/** What the flag of each option kind gives: durations in ms, headers as the `k=v` strings. */
interface FlagValueOfKind {
  string: string;
  int: number;
  duration: number;
  time: Date;
  headers: string[];
}

type FlagValue<K extends OptionKey> = FlagValueOfKind[Specs[K]['kind']];

/** The option flags, by flag name (`max-retry`, `process-in`, `header`, …). */
export type TaskOptionFlags = {
  [K in OptionKey as Specs[K]['flag']['name']]: Interfaces.OptionFlag<FlagValue<K> | undefined>;
};

/** The parsed values of the option flags. */
export type TaskOptionFlagValues = {[K in OptionKey as Specs[K]['flag']['name']]?: FlagValue<K>};

/** The flag of one option, after its kind. */
function optionFlag(key: OptionKey, spec: OptionSpec): TaskOptionFlags[keyof TaskOptionFlags] {
  const {summary, helpValue, char, checked} = spec.flag;
  const common = {
    summary,
    ...(helpValue === undefined ? {} : {helpValue}),
    ...(char === undefined ? {} : {char: char as Interfaces.Flag<unknown>['char']}),
  };
  switch (spec.kind) {
    case 'string':
      return Flags.string({
        ...common,
        ...(checked ? {parse: async (input: string) => validateOption(key, input) as string} : {}),
      });
    case 'int':
      return Flags.integer({helpValue: '<n>', ...common, min: spec.floor});
    case 'duration':
      return duration(common);
    case 'time':
      return time(common);
    case 'headers':
      return Flags.string({helpValue: '<key=value>', ...common, multiple: true, multipleNonGreedy: true});
  }
}

/** The flags that set task options (also the defaults of every line with --from). */
export const taskOptionFlags = Object.fromEntries(
  OPTION_ENTRIES.map(([key, spec]) => [spec.flag.name, optionFlag(key, spec)]),
) as unknown as TaskOptionFlags;

/** Option flags that cannot be given together, as `[flag, flag]` names: `[process-in, process-at]`. */
export const taskOptionFlagConflicts: ReadonlyArray<readonly [string, string]> = OPTION_CONFLICTS.map(
  ([a, b]) => [OPTION_SPECS[b].flag.name, OPTION_SPECS[a].flag.name] as const,
);

/** `k=v` strings → headers (split at the first '='; later keys win). */
function parseHeaders(
  values: readonly string[] = [],
  flag: string = OPTION_SPECS.headers.flag.name,
): Record<string, string> | undefined {
  if (values.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const h of values) {
    const eq = h.indexOf('=');
    if (eq <= 0) throw new ValidationError(`invalid --${flag} ${JSON.stringify(h)}: expected key=value`);
    out[h.slice(0, eq)] = h.slice(eq + 1);
  }
  return out;
}

/** TaskOptions from the parsed flags; only the flags that were given. */
export function taskOptionsFromFlags(f: TaskOptionFlagValues): TaskOptions {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of OPTION_ENTRIES) {
    const v: unknown = (f as Record<string, unknown>)[spec.flag.name];
    const value = spec.kind === 'headers' ? parseHeaders(v as string[] | undefined, spec.flag.name) : v;
    if (value !== undefined) out[key] = value;
  }
  return out as TaskOptions;
}

const utf8 = new TextDecoder('utf-8', {fatal: true});

/**
 * Rejects a payload that looks like JSON (first non-blank character `{` or `[`) but does not
 * parse, since that is nearly always a quoting mistake in the shell. Other payloads pass as they are.
 */
function checkJsonPayload(payload: Buffer): void {
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return; // binary: not JSON-looking
  }
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return;
  try {
    JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`the payload looks like JSON but is not valid JSON: ${errorMessage(err)}`, {
      actions: ['quote the payload in single quotes, or pass --raw to send it as it is'],
    });
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks);
}

/**
 * The payload bytes from the PAYLOAD argument or --payload-file (a path, or `-` for stdin); null
 * when neither is given (no payload). Unless `raw`, JSON-looking payloads must be valid JSON.
 */
export async function readPayload(
  src: {arg?: string; file?: string; raw?: boolean},
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<Buffer | null> {
  if (src.arg !== undefined && src.file !== undefined)
    throw new ValidationError('give the payload as an argument or with --payload-file, not both');
  let payload: Buffer | null = null;
  if (src.arg !== undefined) payload = Buffer.from(src.arg, 'utf8');
  else if (src.file === '-') payload = await readAll(stdin);
  else if (src.file !== undefined) {
    try {
      payload = await readFile(src.file);
    } catch (err) {
      throw new ValidationError(`cannot read --payload-file ${src.file}: ${errorMessage(err)}`);
    }
  }
  if (payload !== null && !src.raw) checkJsonPayload(payload);
  return payload;
}
