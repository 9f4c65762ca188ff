/**
 * ExecHandler: runs an external command for each task (`asynq worker run --exec 'email:*=./send.sh'`).
 *
 * Safety: the command line is split into words here (splitCommandLine) and started with
 * `spawn(file, args, {shell: false})`, so no shell ever parses it, and the payload never appears
 * in it: the payload goes to the child's **stdin**, byte for byte.
 *
 * The contract with the command:
 * - stdin: the task payload (exactly its bytes; empty when there is none), then end of file;
 * - environment: the worker's own, plus ASYNQ_TASK_ID, ASYNQ_TASK_TYPE, ASYNQ_QUEUE,
 *   ASYNQ_RETRY_COUNT (retries used before this attempt), ASYNQ_MAX_RETRY and ASYNQ_DEADLINE
 *   (this attempt's deadline, RFC 3339 UTC);
 * - stdout: becomes the task result (first EXEC_RESULT_LIMIT_BYTES, 1 MiB, kept; more is cut off
 *   with a warning). The result is stored only when the command printed something, and it stays
 *   readable only if the task has a retention;
 * - exit status 0: success;
 * - EXEC_RETRY_LATER_EXIT_CODE (75, sysexits EX_TEMPFAIL): retry later **without using up a
 *   retry** (Go's IsFailure = false: `retried` and the failure counters stay as they are), e.g.
 *   for rate limits; worker run installs execIsFailure for this. A line `Retry-After: SECONDS` on
 *   stderr chooses the delay (a RetryAfterError), else the worker's retry delay applies;
 * - EXEC_SKIP_RETRY_EXIT_CODE (65, sysexits EX_DATAERR): fail and archive now, whatever retries are
 *   left (Go SkipRetry), e.g. for a payload that can never succeed;
 * - any other status, or death by a signal: failure (retried later while retries are left), with
 *   the last lines of stderr (at most EXEC_STDERR_TAIL_BYTES) as the task's error message.
 * - The task ends when the command has exited and closed its stdout and stderr.
 *
 * The child runs in its own process group (`detached`). When the attempt's signal aborts (timeout,
 * deadline, `asynq task cancel`, lease loss, or a shutdown that outlasted the shutdown timeout)
 * the whole group gets SIGTERM, then SIGKILL after `killGraceMs` (default 5 s) if anything in it
 * is still alive. close() waits for every child, so a worker never exits leaving one behind.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import {accessSync, constants, statSync} from 'node:fs';
import {delimiter, isAbsolute, join, resolve} from 'node:path';
import {ValidationError, errorMessage} from '../../lib/errors.js';
import type {Handler, TaskContext} from '../../lib/handler.js';
import type {Logger} from '../../lib/logger.js';
import {RetryAfterError, SkipRetry} from '../../lib/errors.js';
import type {Task} from '../../lib/task.js';

/** Exit status meaning "retry later, do not count this attempt as a failure" (EX_TEMPFAIL). */
export const EXEC_RETRY_LATER_EXIT_CODE = 75;
/** Exit status meaning "fail and archive now, no more retries" (EX_DATAERR). */
export const EXEC_SKIP_RETRY_EXIT_CODE = 65;
/** Largest result kept from the command's stdout. */
const EXEC_RESULT_LIMIT_BYTES = 1024 * 1024;
/** How much of the end of stderr becomes the error message of a failed attempt. */
const EXEC_STDERR_TAIL_BYTES = 2048;
/** Default pause between SIGTERM and SIGKILL of an aborted command's process group. */
const DEFAULT_KILL_GRACE_MS = 5_000;

/**
 * The command asked to be retried later (exit 75); not counted as a failure by execIsFailure.
 * With a `Retry-After: SECONDS` line on stderr its cause is a RetryAfterError: the retry comes
 * after that delay (and is never counted as a failure), instead of the worker's retry delay.
 */
export class ExecRetryLaterError extends Error {
  constructor(message: string, retryAfterMs?: number) {
    super(message, retryAfterMs === undefined ? undefined : {cause: new RetryAfterError(retryAfterMs)});
    this.name = 'ExecRetryLaterError';
  }
}

/** The delay of a `Retry-After: SECONDS` line (whole seconds) in the command's stderr, if any. */
function retryAfterLine(stderr: string): number | undefined {
  const m = /^\s*retry-after:\s*(\d{1,9})\s*$/im.exec(stderr);
  return m ? Number(m[1]) * 1000 : undefined;
}

/** The command failed (exit status other than 0, 65 and 75, or killed by a signal). */
export class ExecFailedError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly exitSignal: NodeJS.Signals | null,
  ) {
    super(message);
    this.name = 'ExecFailedError';
  }
}

/** A Server `isFailure` that lets exit status 75 retry without using up a retry (Go IsFailure). */
export function execIsFailure(err: unknown): boolean {
  return !(err instanceof ExecRetryLaterError);
}

const SHELL_OPERATORS = new Set(['|', '&', ';', '<', '>', '`', '$', '(', ')']);

/**
 * Splits a command line into words, the way a POSIX shell splits a simple command, but without
 * any expansion: whitespace separates words; '…' is literal; "…" is literal except for \" \\ \$
 * \` (backslash-escaped); a backslash outside quotes takes the next character literally.
 * Unquoted shell syntax (| & ; < > ( ) ` $) is rejected with ValidationError instead of being
 * passed on as words, so nobody believes a pipe or a variable works: put such logic in a script
 * (or run `sh -c '…'` explicitly; the payload still arrives on stdin, never in the command line).
 */
export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new ValidationError(`unterminated ' quote in command ${JSON.stringify(line)}`);
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length && '"\\$`'.includes(line[j + 1]!)) j++;
        word += line[j];
      }
      if (j >= line.length) throw new ValidationError(`unterminated " quote in command ${JSON.stringify(line)}`);
      inWord = true;
      i = j;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new ValidationError(`trailing backslash in command ${JSON.stringify(line)}`);
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (SHELL_OPERATORS.has(c)) {
      throw new ValidationError(
        `command ${JSON.stringify(line)} contains shell syntax (${c}), which --exec does not interpret: quote it, or put the logic in a script`,
      );
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  if (words.length === 0) throw new ValidationError('the command is empty');
  return words;
}

/** One `--exec` value: the task type pattern and the command's words. */
export interface ExecSpec {
  pattern: string;
  argv: string[];
}

/** Parses `PATTERN=COMMAND` (split at the first '='), e.g. `email:*=./send-email.sh --verbose`. */
export function parseExecSpec(spec: string): ExecSpec {
  const eq = spec.indexOf('=');
  if (eq < 0)
    throw new ValidationError(
      `--exec ${JSON.stringify(spec)}: expected PATTERN=COMMAND, e.g. 'email:*=./send-email.sh'`,
    );
  const pattern = spec.slice(0, eq).trim();
  if (pattern === '')
    throw new ValidationError(`--exec ${JSON.stringify(spec)}: the task type pattern before '=' is empty`);
  try {
    return {pattern, argv: splitCommandLine(spec.slice(eq + 1))};
  } catch (err) {
    throw new ValidationError(`--exec ${JSON.stringify(spec)}: ${errorMessage(err)}`);
  }
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks that the program can be started: a path (containing '/') must be an executable file
 * (relative to `cwd`); a bare name must be found in PATH. Throws ValidationError otherwise.
 */
export function checkExecutable(file: string, opts: {cwd?: string; env?: NodeJS.ProcessEnv} = {}): void {
  const cwd = opts.cwd ?? process.cwd();
  if (file.includes('/')) {
    const path = isAbsolute(file) ? file : resolve(cwd, file);
    if (!isExecutableFile(path))
      throw new ValidationError(`${file}: no such executable file (chmod +x it, or check the path)`);
    return;
  }
  const dirs = (opts.env ?? process.env).PATH?.split(delimiter).filter((d) => d !== '') ?? [];
  if (!dirs.some((d) => isExecutableFile(join(isAbsolute(d) ? d : resolve(cwd, d), file)))) {
    throw new ValidationError(`${file}: command not found in PATH`);
  }
}

export interface ExecHandlerOptions {
  /** Environment the command inherits (default process.env); the ASYNQ_* task variables are added. */
  env?: NodeJS.ProcessEnv;
  /** Working directory (default process.cwd()). */
  cwd?: string;
  /** Pause between SIGTERM and SIGKILL of an aborted command's process group; default 5 s. */
  killGraceMs?: number;
  /** Largest result kept from stdout; default 1 MiB. */
  resultLimitBytes?: number;
  /** Check at construction that the program exists and is executable (default true). */
  check?: boolean;
  /** Receives a warning when a result is cut off, and the command's stderr lines at debug level. */
  logger?: Logger;
}

/** The last `max` bytes written to a stream. */
class Tail {
  #chunks: Buffer[] = [];
  #size = 0;
  constructor(readonly max: number) {}

  push(b: Buffer): void {
    this.#chunks.push(b);
    this.#size += b.length;
    while (this.#size - this.#chunks[0]!.length >= this.max) this.#size -= this.#chunks.shift()!.length;
  }

  /** The tail as text: whole lines only when it had to be cut, trimmed. */
  text(): string {
    const all = Buffer.concat(this.#chunks);
    let text = all
      .subarray(Math.max(0, all.length - this.max))
      .toString('utf8')
      .toWellFormed();
    if (all.length > this.max) {
      const nl = text.indexOf('\n');
      if (nl >= 0 && nl < text.length - 1) text = text.slice(nl + 1);
    }
    return text.trim();
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the whole group is gone already.
  }
}

/**
 * A Handler that runs one command per task (see the module comment for the contract).
 * Throws ValidationError at construction for an empty command, or (with `check`) a program that
 * cannot be found or executed.
 */
export class ExecHandler implements Handler {
  readonly argv: readonly string[];
  readonly #opts: Required<Omit<ExecHandlerOptions, 'logger' | 'check'>> & {logger?: Logger};
  readonly #running = new Set<Promise<unknown>>();
  readonly #children = new Set<ChildProcess>();

  constructor(argv: readonly string[], opts: ExecHandlerOptions = {}) {
    if (argv.length === 0 || argv[0] === '') throw new ValidationError('the command is empty');
    this.argv = [...argv];
    this.#opts = {
      env: opts.env ?? process.env,
      cwd: opts.cwd ?? process.cwd(),
      killGraceMs: opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
      resultLimitBytes: opts.resultLimitBytes ?? EXEC_RESULT_LIMIT_BYTES,
      logger: opts.logger,
    };
    if (opts.check ?? true) checkExecutable(argv[0]!, this.#opts);
  }

  /** Commands running now. */
  get running(): number {
    return this.#children.size;
  }

  /** Runs the command for the task; resolves on exit status 0, rejects otherwise (see the module comment). */
  processTask(task: Task, ctx: TaskContext): Promise<void> {
    const run = this.#run(task, ctx);
    const tracked = run.catch(() => {});
    this.#running.add(tracked);
    void tracked.finally(() => this.#running.delete(tracked));
    return run;
  }

  /** Sends a signal to the process group of every running command (e.g. SIGKILL on a forced exit). */
  killAll(signal: NodeJS.Signals = 'SIGKILL'): void {
    for (const child of this.#children) signalGroup(child, signal);
  }

  /** Resolves once every command started so far has ended (aborted ones included). */
  async close(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running);
  }

  async #run(task: Task, ctx: TaskContext): Promise<void> {
    ctx.signal.throwIfAborted();
    const [file, ...args] = this.argv as [string, ...string[]];
    const env: NodeJS.ProcessEnv = {
      ...this.#opts.env,
      ASYNQ_TASK_ID: ctx.taskId,
      ASYNQ_TASK_TYPE: task.type,
      ASYNQ_QUEUE: ctx.queue,
      ASYNQ_RETRY_COUNT: String(ctx.retryCount),
      ASYNQ_MAX_RETRY: String(ctx.maxRetry),
      ASYNQ_DEADLINE: ctx.deadline.toISOString(),
    };
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        cwd: this.#opts.cwd,
        env,
        shell: false,
        detached: true,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    } catch (err) {
      throw new ExecFailedError(`cannot run ${file}: ${errorMessage(err)}`, null, null);
    }
    this.#children.add(child);
    try {
      const {code, signal, stdout, truncated, stderr} = await this.#collect(child, task, ctx);
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (truncated)
        this.#opts.logger?.warn(
          `task id=${ctx.taskId}: result cut off at ${this.#opts.resultLimitBytes} bytes of stdout`,
        );
      const detail = stderr === '' ? '' : `: ${stderr}`;
      if (code === 0) {
        if (stdout.length > 0 && task.resultWriter) await task.resultWriter.write(stdout);
        return;
      }
      if (code === EXEC_RETRY_LATER_EXIT_CODE)
        throw new ExecRetryLaterError(`exit status ${code} (retry later)${detail}`, retryAfterLine(stderr));
      if (code === EXEC_SKIP_RETRY_EXIT_CODE) throw new SkipRetry(`exit status ${code} (skip retry)${detail}`);
      const what = code === null ? `killed by signal ${signal ?? 'unknown'}` : `exit status ${code}`;
      throw new ExecFailedError(`${what}${detail}`, code, signal);
    } finally {
      this.#children.delete(child);
    }
  }

  /** Feeds stdin, collects stdout and the stderr tail, and kills the group on abort; resolves on 'close'. */
  #collect(
    child: ChildProcess,
    task: Task,
    ctx: TaskContext,
  ): Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: Buffer;
    truncated: boolean;
    stderr: string;
  }> {
    const limit = this.#opts.resultLimitBytes;
    const out: Buffer[] = [];
    let outSize = 0;
    let truncated = false;
    const tail = new Tail(EXEC_STDERR_TAIL_BYTES);
    const logger = this.#opts.logger;
    let killTimer: NodeJS.Timeout | undefined;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        signalGroup(child, 'SIGTERM');
        killTimer = setTimeout(() => signalGroup(child, 'SIGKILL'), this.#opts.killGraceMs);
      };
      ctx.signal.addEventListener('abort', onAbort, {once: true});
      const done = (): void => {
        ctx.signal.removeEventListener('abort', onAbort);
        if (killTimer) clearTimeout(killTimer);
      };
      child.stdout!.on('data', (b: Buffer) => {
        if (outSize >= limit) {
          truncated = true;
          return;
        }
        const keep = b.subarray(0, limit - outSize);
        if (keep.length < b.length) truncated = true;
        out.push(keep);
        outSize += keep.length;
      });
      child.stderr!.on('data', (b: Buffer) => {
        tail.push(b);
        if (logger)
          for (const l of b.toString('utf8').split('\n'))
            if (l.trim() !== '') logger.debug(`task id=${ctx.taskId} stderr: ${l}`);
      });
      child.stdin!.on('error', () => {}); // EPIPE: the command does not read its stdin
      child.once('error', (err) => {
        done();
        reject(new ExecFailedError(`cannot run ${this.argv[0]}: ${errorMessage(err)}`, null, null));
      });
      child.once('close', (code, signal) => {
        done();
        // After an abort, anything else left in the group goes too.
        if (ctx.signal.aborted) signalGroup(child, 'SIGKILL');
        resolve({code, signal, stdout: Buffer.concat(out), truncated, stderr: tail.text()});
      });
      child.stdin!.end(task.payload);
    });
  }
}
