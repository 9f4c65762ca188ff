import {createReadStream, statSync} from 'node:fs';
import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import {
  type Client,
  DEFAULT_MAX_PAYLOAD_BYTES,
  DuplicateTaskError,
  PayloadTooLargeError,
  Task,
  TaskIdConflictError,
  ValidationError,
  waitForTaskSuccess,
  type ClientOptions,
  type TaskInfo,
  type TaskOptions,
} from '../lib/index.js';
import {
  bulkEnqueue,
  emptySummary,
  formatSummary,
  invalidLinesError,
  payloadTooLargeMessage,
  ProgressBar,
  type BulkSummary,
} from '../cli/enqueue/bulk-enqueue.js';
import {ExitCode} from '../cli/exit-codes.js';
import {byteSize, duration} from '../cli/flags.js';
import {readPayload, taskOptionFlagConflicts, taskOptionsFromFlags, taskOptionFlags} from '../cli/task-flags.js';
import {ConnectedCommand} from '../cli/command.js';
import {showProgress} from '../cli/tty.js';
import {taskJson, type TaskJson} from '../cli/views/json.js';

/** Retention given to a task enqueued with --wait and no --retention, so its result can be read. */
const WAIT_RETENTION_MS = 10 * 60_000;
const DEFAULT_WAIT_TIMEOUT_MS = 5 * 60_000;
/** With --wait, how long a task may wait before the CLI checks that a live server serves its queue, and how often after that. */
const NO_SERVER_GRACE_MS = 2_000;
const SERVER_RECHECK_MS = 10_000;
/** States in which a task waits for a server to take it. */
const WAITING_STATES: ReadonlySet<string> = new Set(['pending', 'scheduled', 'retry']);

export type EnqueueResult = TaskJson | BulkSummary;

export default class Enqueue extends ConnectedCommand {
  static override summary = 'Enqueue a task, or many from a JSON Lines file; optionally wait for its result.';
  static override description = `The payload is the PAYLOAD argument, a file (--payload-file F), or stdin (--payload-file -). A payload that starts with { or [ must be valid JSON unless --raw is given; it is sent byte for byte as given.

--wait blocks until the task is completed or archived and prints its result on stdout (exit 0), or its last error (exit 1); exit 7 when --wait-timeout passes first (the task stays queued). Without --retention the task is kept for 10m after completion so that its result can be read. While waiting, each failed attempt and each retry-later (worker run --exec exit 75) is reported on stderr, and so is, after 2s, the absence of a running server that serves the task's queue. Ctrl-C stops waiting (exit 130) and leaves the task queued: stderr names it, and with --json stdout is {"interrupted": true, "task": {...}} with its last state seen.

--from reads one task per line: {"type": "...", "payload": ..., "options": {"queue": "...", "processIn": "10m", ...}} (payloadBase64 for bytes). The option flags are the defaults of every line. Invalid lines are reported with their line numbers and skipped; the others are enqueued in pipelined batches. Exit 2 if any line was invalid, 4 never (duplicates are counted).

A payload over 64 MiB is refused (exit 2, nothing written) unless --max-payload raises the limit (e.g. 256MiB, or unlimited): Go asynq has no limit of its own, but Redis refuses strings over 512 MB and every worker holds the payload in memory.

A duplicate unique task or a taken task ID exits 4. The exit status says whether the task was enqueued: once it is, a failure to print the result is only reported on stderr (with the task's ID) and the exit status stays 0, so a script that retries on failure never enqueues it twice; give --task-id to make a retry safe in any case (a second enqueue then exits 4).`;

  static override examples = [
    `<%= config.bin %> <%= command.id %> email:welcome '{"userId": 42}'`,
    `<%= config.bin %> <%= command.id %> report:daily --queue low --process-in 1h --unique 24h`,
    `<%= config.bin %> <%= command.id %> build:docs '{"ref":"main"}' --wait --wait-timeout 10m || exit $?`,
    `<%= config.bin %> <%= command.id %> image:resize --payload-file photo.json --json | jq -r .id`,
    `<%= config.bin %> <%= command.id %> --from tasks.jsonl --queue low --json`,
  ];

  static override args = {
    type: Args.string({description: 'Task type, e.g. email:welcome.', ignoreStdin: true}),
    payload: Args.string({description: 'Payload (JSON or any text); omit for none.', ignoreStdin: true}),
  };

  static override flags = {
    'payload-file': Flags.string({
      char: 'f',
      helpValue: '<file|->',
      summary: 'Read the payload from a file, or from stdin with -.',
    }),
    raw: Flags.boolean({summary: 'Send the payload as it is, without checking JSON-looking payloads.'}),
    ...taskOptionFlags,
    wait: Flags.boolean({
      summary: 'Wait until the task is completed (exit 0, prints its result) or archived (exit 1).',
    }),
    'wait-timeout': duration({
      summary: 'With --wait: give up after this long with exit 7 (default 5m; 0 waits forever).',
    }),
    from: Flags.string({
      helpValue: '<file.jsonl|->',
      summary: 'Enqueue one task per line of a JSON Lines file (or stdin with -).',
    }),
    'max-payload': byteSize({
      summary: `Largest payload to enqueue (default ${DEFAULT_MAX_PAYLOAD_BYTES / 1024 / 1024}MiB; e.g. 256MiB, 1GB or unlimited).`,
    }),
  };

  /** The task once it is in Redis: from then on a failure to print must not make a script enqueue it again. */
  #enqueued?: TaskInfo;

  async run(): Promise<EnqueueResult> {
    const {args, flags} = await this.parse(Enqueue);
    checkCombinations(flags, args.type !== undefined);
    const options = taskOptionsFromFlags(flags);
    checkTimes(options, new Date(), (w) => this.warn(w));
    const clientOptions = {maxPayloadBytes: flags['max-payload'] ?? DEFAULT_MAX_PAYLOAD_BYTES};
    if (flags.from !== undefined) return this.#bulk(flags.from, options, clientOptions);
    if (args.type === undefined)
      throw new ValidationError('missing TYPE argument (or --from FILE)', {actions: ['asynq enqueue --help']});
    const payload = await readPayload({arg: args.payload, file: flags['payload-file'], raw: flags.raw});
    if (flags.wait) checkWaitable(options);
    const opts: TaskOptions =
      flags.wait && options.retention === undefined ? {...options, retention: WAIT_RETENTION_MS} : options;
    const info = await enqueueOne(await this.client(clientOptions), new Task(args.type, payload), opts);
    this.#enqueued = info;
    if (!flags.wait) {
      if (!this.jsonEnabled()) this.log(describe(info));
      return taskJson(info);
    }
    this.logToStderr(`${describe(info)}; waiting for it to finish...`);
    const done = await this.#wait(info, flags['wait-timeout'] ?? DEFAULT_WAIT_TIMEOUT_MS);
    if (!this.jsonEnabled() && done.result !== null) {
      process.stdout.write(done.result);
      if (process.stdout.isTTY && done.result.at(-1) !== 0x0a) process.stdout.write('\n');
    }
    return taskJson(done);
  }

  /**
   * The --json document. Once the task is enqueued, a failure to print it (stdout closed, …) is
   * reported on stderr with the task's ID and the exit status stays 0, so that a script retrying
   * on failure does not enqueue the task twice.
   */
  protected override logJson(json: unknown): void {
    const task = this.#enqueued;
    if (task === undefined) return super.logJson(json);
    let reported = false;
    const report = (err: unknown): void => {
      if (reported) return;
      reported = true;
      const why = err instanceof Error ? err.message : String(err);
      process.stderr.write(
        `Warning: task id=${task.id} was enqueued in queue "${task.queue}", but printing it failed (${why}); do not enqueue it again: asynq task inspect --queue ${task.queue} ${task.id}\n`,
      );
      process.exitCode = ExitCode.OK;
    };
    process.stdout.on('error', report); // a closed pipe fails the write asynchronously
    try {
      super.logJson(json);
    } catch (err) {
      report(err);
    }
    process.stdout.write('', 'utf8', (err) => {
      if (err) report(err);
      process.stdout.off('error', report);
    });
  }

  async #wait(info: TaskInfo, timeoutMs: number): Promise<TaskInfo> {
    const inspector = await this.inspector();
    let latest = info;
    const stopInterrupt = this.lifecycle.onSigint(() => {
      note(interruptedLine(latest));
      if (this.jsonEnabled()) this.logJson({interrupted: true, task: taskJson(latest)});
    });
    const started = Date.now();
    let nextServerCheck = started + NO_SERVER_GRACE_MS;
    let warned = false;
    const checkServers = async (): Promise<void> => {
      const servers = await inspector.servers().catch(() => undefined);
      if (warned || servers === undefined || !WAITING_STATES.has(latest.state)) return;
      if (servers.some((s) => s.status === 'active' && info.queue in s.queues)) return;
      warned = true;
      note(
        `Warning: no running server serves queue "${info.queue}"; the task will wait until one starts (e.g. asynq worker run --queue ${info.queue} ...)`,
      );
    };
    try {
      return await waitForTaskSuccess(inspector, info.queue, info.id, {
        timeoutMs: timeoutMs === 0 ? undefined : timeoutMs,
        previous: info,
        onUpdate: (t) => {
          latest = t;
          if (!warned && WAITING_STATES.has(t.state) && Date.now() >= nextServerCheck) {
            nextServerCheck = Date.now() + SERVER_RECHECK_MS;
            void checkServers();
          }
        },
        onAttempt: (t, counted) => note(attemptLine(t, counted)),
      });
    } finally {
      stopInterrupt();
    }
  }

  async #bulk(from: string, defaults: TaskOptions, clientOptions: ClientOptions): Promise<BulkSummary> {
    const total = from === '-' ? undefined : fileSize(from);
    const input = from === '-' ? process.stdin : createReadStream(from);
    const bar = showProgress(process) ? new ProgressBar(process.stderr, total) : undefined;
    const summary = emptySummary();
    try {
      await bulkEnqueue(
        await this.client(clientOptions),
        input,
        defaults,
        {onProgress: (bytes, s) => bar?.update(bytes, s.lines)},
        summary,
      );
    } finally {
      bar?.done();
      input.destroy();
    }
    if (summary.invalid === 0) {
      if (!this.jsonEnabled()) this.log(formatSummary(summary));
      return summary;
    }
    if (this.jsonEnabled()) {
      this.logJson(summary);
      return this.exit(ExitCode.USAGE);
    }
    this.log(formatSummary(summary));
    throw invalidLinesError(summary, from === '-' ? 'stdin' : from);
  }
}

/** Flags that do not go together, as one-line usage errors (oclif's own are multi-line). */
function checkCombinations(f: {[k: string]: unknown}, hasType: boolean): void {
  const given = (name: string): boolean => f[name] !== undefined && f[name] !== false;
  const pairs: ReadonlyArray<readonly [string, string]> = [
    ...taskOptionFlagConflicts,
    ['from', 'payload-file'],
    ['from', 'task-id'],
    ['from', 'wait'],
    ['from', 'raw'],
  ];
  for (const [a, b] of pairs)
    if (given(a) && given(b)) throw new ValidationError(`--${a} and --${b} cannot be used together`);
  if (given('wait-timeout') && !given('wait')) throw new ValidationError('--wait-timeout needs --wait');
  if (given('from') && hasType)
    throw new ValidationError('--from takes the tasks from the file: give no TYPE or PAYLOAD argument');
}

/**
 * Times that cannot work: a --deadline already past (or before --process-at) is a usage error, as
 * the task could only fail; Go's client accepts it. `--timeout 0` keeps Go's meaning (Timeout(0):
 * the default 30m unless a deadline is given), with a warning when no --deadline is given; so does
 * a timeout below 1s, which is stored as 0 seconds (no timeout), as in Go.
 */
export function checkTimes(o: TaskOptions, now: Date, warn: (message: string) => void): void {
  const deadline = o.deadline instanceof Date ? o.deadline : undefined;
  if (deadline !== undefined && deadline.getTime() <= now.getTime()) {
    throw new ValidationError(`--deadline ${deadline.toISOString()} is in the past: the task could only fail`);
  }
  const processAt =
    o.processAt instanceof Date
      ? o.processAt
      : o.processIn !== undefined
        ? new Date(now.getTime() + Number(o.processIn))
        : undefined;
  if (deadline !== undefined && processAt !== undefined && deadline.getTime() <= processAt.getTime()) {
    throw new ValidationError(
      `--deadline ${deadline.toISOString()} is not after the time the task is to run (${processAt.toISOString()}): the task could only fail`,
    );
  }
  const timeoutMs = o.timeout === undefined ? undefined : Number(o.timeout);
  if (timeoutMs === 0 && deadline === undefined) {
    warn(
      "--timeout 0 means the default timeout of 30m, as Go's Timeout(0); give --deadline for a task without a per-attempt timeout",
    );
  } else if (timeoutMs !== undefined && timeoutMs > 0 && timeoutMs < 1000) {
    warn(
      `--timeout ${timeoutMs}ms is stored in whole seconds, as 0: workers then run the task without a timeout${deadline === undefined ? '' : ' (the deadline still applies)'}`,
    );
  }
}

/** --wait needs a task that ends as itself in completed or archived. */
function checkWaitable(o: TaskOptions): void {
  if (o.group !== undefined)
    throw new ValidationError('--wait cannot be used with --group: a grouped task is aggregated into another task');
  if (o.retention !== undefined && Number(o.retention) < 1000) {
    throw new ValidationError(
      '--wait needs a --retention of at least 1s to read the result (or no --retention: 10m is used)',
    );
  }
}

/** Client.enqueue with the conflict errors explained in terms of the command line. */
async function enqueueOne(client: Client, task: Task, opts: TaskOptions): Promise<TaskInfo> {
  try {
    return await client.enqueue(task, opts);
  } catch (err) {
    const queue = opts.queue ?? 'default';
    if (err instanceof PayloadTooLargeError) {
      err.message = payloadTooLargeMessage(err);
    } else if (err instanceof DuplicateTaskError) {
      err.message = `duplicate task: a task of type "${task.type}" with the same payload is already in queue "${queue}" (its --unique lock is still held)`;
    } else if (err instanceof TaskIdConflictError) {
      err.message = `task ID "${opts.taskId}" is already taken in queue "${queue}"`;
    }
    throw err;
  }
}

function describe(t: TaskInfo): string {
  const when = t.state === 'scheduled' && t.nextProcessAt ? ` processAt=${t.nextProcessAt.toISOString()}` : '';
  return `Enqueued task id=${t.id} queue=${t.queue} state=${t.state}${when}`;
}

/** A line on stderr, also with --json (stdout stays one JSON document). */
function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** The stderr line for an attempt seen while waiting (waitForTask onAttempt). */
function attemptLine(t: TaskInfo, counted: boolean): string {
  const next = t.state === 'retry' && t.nextProcessAt ? `; retrying at ${t.nextProcessAt.toISOString()}` : '; retrying';
  return counted
    ? `attempt ${t.retried} failed: ${t.lastErr}${next}`
    : `attempt to be retried later (not counted as a failure): ${t.lastErr}${next}`;
}

/** The stderr line at Ctrl-C during --wait: the task is not cancelled. */
function interruptedLine(t: TaskInfo): string {
  const where =
    t.state === 'active' ? `is still running in queue "${t.queue}"` : `stays queued in queue "${t.queue}" (${t.state})`;
  return `Interrupted: stopped waiting; task ${t.id} ${where}. See: asynq task inspect --queue ${t.queue} ${t.id}`;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    throw new ValidationError(`cannot read --from ${path}: no such file`);
  }
}
