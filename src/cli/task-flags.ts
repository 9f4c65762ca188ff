/**
 * `asynq enqueue`'s task option flags (every TaskOption), their conversion to TaskOptions, and the
 * payload sources (argument, file, stdin) with the "looks like JSON, so it must be JSON" check.
 */
import {readFile} from 'node:fs/promises';
import {Flags} from '@oclif/core';
import {ValidationError, errorMessage} from '../lib/errors.js';
import type {TaskOptions} from '../lib/options.js';
import {parseRfc3339} from './enqueue/jsonl.js';
import {duration, queueName} from './flags.js';

/** An RFC 3339 time flag → Date. */
export const time = Flags.custom<Date>({
  helpValue: '<rfc3339>',
  parse: async (input, _ctx, opts) => parseRfc3339(input, `--${opts.name}`),
});

/** The flags that set task options (also the defaults of every line with --from). */
export const taskOptionFlags = {
  queue: queueName({summary: 'Queue to put the task in (default "default").'}),
  'max-retry': Flags.integer({min: 0, helpValue: '<n>', summary: 'How many times a failed task is retried (default 25).'}),
  timeout: duration({summary: 'How long one attempt may run, e.g. 90s, 10m (default 30m when --deadline is not given).'}),
  deadline: time({summary: 'Absolute deadline of the task, RFC 3339 (e.g. 2026-01-02T15:04:05Z).'}),
  unique: duration({summary: 'Reject an identical task (same type, payload and queue) for this long, e.g. 1h (at least 1s).'}),
  'process-in': duration({summary: 'Process the task this long from now, e.g. 10m.'}),
  'process-at': time({summary: 'Process the task at this time, RFC 3339.'}),
  retention: duration({summary: 'Keep the task (and its result) this long after it completes, e.g. 24h.'}),
  group: Flags.string({helpValue: '<group>', summary: 'Aggregation group (processed by a server with a group aggregator).'}),
  header: Flags.string({
    multiple: true,
    multipleNonGreedy: true,
    helpValue: '<key=value>',
    summary: 'Task header (repeatable).',
  }),
};

export interface TaskOptionFlagValues {
  queue?: string;
  'max-retry'?: number;
  timeout?: number;
  deadline?: Date;
  unique?: number;
  'process-in'?: number;
  'process-at'?: Date;
  retention?: number;
  group?: string;
  header?: string[];
  'task-id'?: string;
}

/** `k=v` strings → headers (split at the first '='; later keys win). */
export function parseHeaders(values: readonly string[] = []): Record<string, string> | undefined {
  if (values.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const h of values) {
    const eq = h.indexOf('=');
    if (eq <= 0) throw new ValidationError(`invalid --header ${JSON.stringify(h)}: expected key=value`);
    out[h.slice(0, eq)] = h.slice(eq + 1);
  }
  return out;
}

/** TaskOptions from the parsed flags; only the flags that were given. */
export function taskOptionsFromFlags(f: TaskOptionFlagValues): TaskOptions {
  const o: TaskOptions = {
    queue: f.queue, maxRetry: f['max-retry'], timeout: f.timeout, deadline: f.deadline, unique: f.unique,
    processIn: f['process-in'], processAt: f['process-at'], retention: f.retention, group: f.group,
    headers: parseHeaders(f.header), taskId: f['task-id'],
  };
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as TaskOptions;
}

const utf8 = new TextDecoder('utf-8', {fatal: true});

/**
 * Rejects a payload that looks like JSON (first non-blank character `{` or `[`) but does not
 * parse, since that is nearly always a quoting mistake in the shell. Other payloads pass as they are.
 */
export function checkJsonPayload(payload: Buffer): void {
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
  if (src.arg !== undefined && src.file !== undefined) throw new ValidationError('give the payload as an argument or with --payload-file, not both');
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
