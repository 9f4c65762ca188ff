/**
 * `asynq enqueue --from tasks.jsonl`: reads task lines (jsonl.ts) in batches and enqueues
 * each batch with pipelined Client.enqueueMany calls (lines with their own taskId one by one). A bad line is counted with its line
 * number and never stops or changes the others; a duplicate (unique lock held, or task ID taken)
 * is counted as such. Any other error (Redis) stops the run and is rethrown; the summary passed in
 * then tells how far it got. The progress bar (stderr, TTY only) is drawn by ProgressBar.
 */
import type {Readable} from 'node:stream';
import type {Client} from '../../lib/client.js';
import {DuplicateTaskError, PayloadTooLargeError, TaskIdConflictError, ValidationError} from '../../lib/errors.js';
import {readTaskLines, type JsonlTask} from './jsonl.js';
import type {TaskOptions} from '../../lib/options.js';
import {Task, type TaskInfo} from '../../lib/task.js';

interface BulkLineError {
  line: number;
  error: string;
}

/** What `enqueue --from` did (its --json document). */
export interface BulkSummary {
  /** Non-blank lines read. */
  lines: number;
  enqueued: number;
  duplicates: number;
  invalid: number;
  /** Lines refused as duplicates (unique lock held or task ID taken), in order. */
  duplicateLines: BulkLineError[];
  /** Invalid lines and why, in order. */
  invalidLines: BulkLineError[];
}

export function emptySummary(): BulkSummary {
  return {lines: 0, enqueued: 0, duplicates: 0, invalid: 0, duplicateLines: [], invalidLines: []};
}

export interface BulkOptions {
  /** Lines per enqueueMany call; default 500. */
  batchSize?: number;
  /** Called after each batch with the bytes read so far and the summary. */
  onProgress?: (bytesRead: number, summary: BulkSummary) => void;
}

/**
 * Enqueues every valid line of `input`, `defaults` (the command's option flags) under each line's
 * own options. Fills `summary` as it goes (pass one in to see partial results after an error).
 */
export async function bulkEnqueue(
  client: Pick<Client, 'enqueue' | 'enqueueMany'>,
  input: Readable,
  defaults: TaskOptions,
  opts: BulkOptions = {},
  summary: BulkSummary = emptySummary(),
): Promise<BulkSummary> {
  let bytes = 0;
  const invalid = (line: number, error: string): void => {
    summary.invalid++;
    summary.invalidLines.push({line, error});
  };
  for await (const batch of readTaskLines(input, {batchSize: opts.batchSize, onBytes: (n) => (bytes += n)})) {
    summary.lines += batch.length;
    const tasks: JsonlTask[] = [];
    for (const entry of batch) {
      if ('error' in entry) invalid(entry.line, entry.error);
      else tasks.push(entry);
    }
    const results = await enqueueInOrder(client, tasks, defaults);
    results.forEach((r, i) => {
      const line = tasks[i]!.line;
      if (!(r instanceof Error)) summary.enqueued++;
      else if (r instanceof DuplicateTaskError || r instanceof TaskIdConflictError) {
        summary.duplicates++;
        summary.duplicateLines.push({line, error: r.message});
      } else if (r instanceof PayloadTooLargeError) invalid(line, payloadTooLargeMessage(r, false));
      else if (r instanceof ValidationError) invalid(line, r.message);
      else throw r;
    });
    summary.invalidLines.sort((a, b) => a.line - b.line);
    opts.onProgress?.(bytes, summary);
  }
  return summary;
}

/**
 * One result per task, in input order. Lines with their own taskId are enqueued one by one, since
 * a batch (Go BatchEnqueue) skips a taken ID silently and reports success; the runs between them
 * go through pipelined enqueueMany calls, so Redis sees the tasks in input order.
 */
async function enqueueInOrder(
  client: Pick<Client, 'enqueue' | 'enqueueMany'>,
  tasks: JsonlTask[],
  defaults: TaskOptions,
): Promise<Array<TaskInfo | Error>> {
  const results: Array<TaskInfo | Error> = [];
  let run: JsonlTask[] = [];
  const flush = async (): Promise<void> => {
    if (run.length > 0)
      results.push(
        ...(await client.enqueueMany(
          run.map((t) => [new Task(t.type, t.payload), t.options]),
          defaults,
        )),
      );
    run = [];
  };
  for (const t of tasks) {
    if (t.options.taskId === undefined) {
      run.push(t);
      continue;
    }
    await flush();
    results.push(
      await client.enqueue(new Task(t.type, t.payload), {...defaults, ...t.options}).catch((err: Error) => err),
    );
  }
  await flush();
  return results;
}

/**
 * A PayloadTooLargeError in the CLI's terms: the size, the limit and the flag that raises it (with
 * `example`, an example of the flag; bulk lines leave it out).
 */
export function payloadTooLargeMessage(err: PayloadTooLargeError, example = true): string {
  const raise = example
    ? ': raise it with --max-payload (e.g. --max-payload 256MiB; Redis holds strings up to 512 MB)'
    : ' (--max-payload)';
  return `payload of ${err.size} bytes is over the enqueue limit of ${err.limit} bytes${raise}`;
}

/** `enqueued 98, duplicates 1 (line 4), invalid 1 (line 7: "type" must be a non-empty string)`. */
export function formatSummary(s: BulkSummary): string {
  const lines = (list: BulkLineError[], withError: boolean): string =>
    list.length === 0
      ? ''
      : ` (${list.map((e) => (withError ? `line ${e.line}: ${e.error}` : `line ${e.line}`)).join('; ')})`;
  return `enqueued ${s.enqueued}, duplicates ${s.duplicates}${lines(s.duplicateLines, false)}, invalid ${s.invalid}${lines(s.invalidLines, true)}`;
}

/** The error of a run with invalid lines (exit 2), after the valid ones were enqueued. */
export function invalidLinesError(s: BulkSummary, source: string): ValidationError {
  const first = s.invalidLines
    .slice(0, 5)
    .map((e) => `line ${e.line}: ${e.error}`)
    .join('; ');
  const more = s.invalidLines.length > 5 ? `; and ${s.invalidLines.length - 5} more` : '';
  return new ValidationError(
    `${s.invalid} invalid line${s.invalid === 1 ? '' : 's'} in ${source} (${first}${more}); the other lines were processed`,
  );
}

/**
 * A one-line progress bar redrawn in place with `\r` (only ever give it a TTY stream): a bar and
 * percentage when the total size is known, a line count otherwise. Redraws at most every 100 ms.
 */
export class ProgressBar {
  #last = 0;
  #drawn = false;
  constructor(
    readonly stream: {write(s: string): unknown; columns?: number},
    readonly totalBytes?: number,
  ) {}

  update(bytes: number, lines: number, force = false): void {
    const t = performance.now();
    if (!force && t - this.#last < 100) return;
    this.#last = t;
    this.#drawn = true;
    this.stream.write(`\r\x1b[K${renderProgress(bytes, lines, this.totalBytes, this.stream.columns ?? 80)}`);
  }

  /** Clears the bar. */
  done(): void {
    if (this.#drawn) this.stream.write('\r\x1b[K');
  }
}

/** The text of a progress line: `enqueue [#####.....]  50%  1200 lines`, or `enqueue  1200 lines`. */
export function renderProgress(bytes: number, lines: number, total: number | undefined, columns = 80): string {
  if (total === undefined || total <= 0) return `enqueue  ${lines} lines`;
  const ratio = Math.min(1, bytes / total);
  const width = Math.max(10, Math.min(40, columns - 30));
  const filled = Math.round(ratio * width);
  return `enqueue [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%  ${lines} lines`;
}
