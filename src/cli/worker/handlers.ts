/**
 * `asynq worker run` building blocks: the queue flags, the handler assembled from `--exec` and
 * `--handlers`, and the one-line-per-task log.
 */
import {ValidationError, errorMessage} from '../../lib/errors.js';
import {ExecHandler, ExecRetryLaterError, parseExecSpec} from './exec-handler.js';
import {loadHandlerModule, TypeRouter} from './handler-module.js';
import type {Handler, TaskContext} from '../../lib/handler.js';
import type {LogFields, Logger} from '../../lib/logger.js';
import {isSkipRetry} from '../../lib/retry.js';
import type {Task} from '../../lib/task.js';
import {validateQueueName} from '../flags.js';

/**
 * Queue priorities from `--queues critical=6,default=3,low=1` and repeated `--queue NAME[=PRIORITY]`
 * (priority 1 when omitted). Nothing given → `{default: 1}`. Priorities are positive integers;
 * a queue named twice, or an empty name (`-q ''`, `--queues a,,b`), is an error (Go's NewServer
 * skips invalid names and falls back to `default`, which would serve a queue nobody asked for).
 */
export function parseQueueFlags(queues: string | undefined, queue: readonly string[] = []): Record<string, number> {
  const given = [
    ...(queues === undefined
      ? []
      : queues.split(',').map((item) => ({item, flag: `--queues ${JSON.stringify(queues)}`}))),
    ...queue.map((item) => ({item, flag: `-q ${JSON.stringify(item)}`})),
  ];
  if (given.length === 0) return {default: 1};
  const empty = given.find((g) => g.item.trim() === '');
  if (empty !== undefined)
    throw new ValidationError(`empty queue name in ${empty.flag}: queue name must contain one or more characters`);
  const items = given.map((g) => g.item.trim());
  const out: Record<string, number> = {};
  for (const item of items) {
    const eq = item.lastIndexOf('=');
    const name = validateQueueName(eq < 0 ? item : item.slice(0, eq).trim());
    const prio = eq < 0 ? '1' : item.slice(eq + 1).trim();
    if (!/^[1-9]\d*$/.test(prio) || !Number.isSafeInteger(Number(prio))) {
      throw new ValidationError(
        `invalid queue priority in ${JSON.stringify(item)}: expected NAME=N with N a positive integer`,
      );
    }
    if (name in out) throw new ValidationError(`queue "${name}" is given twice`);
    out[name] = Number(prio);
  }
  return out;
}

/** The handler of a worker and what it runs, for the start-up log line. */
export interface WorkerHandler {
  handler: Handler;
  execs: ExecHandler[];
  /** `email:* → ./send.sh`, `handlers.js (map: a, b)` … */
  description: string[];
}

/**
 * Builds the worker's handler: `--exec PATTERN=COMMAND` routes first (exact type, then longest
 * prefix); tasks no --exec pattern matches go to the `--handlers` module. At least one of the two
 * is required. Throws ValidationError for bad specs, missing programs or a bad module.
 */
export async function buildWorkerHandler(opts: {
  exec?: readonly string[];
  handlers?: string;
  killGraceMs?: number;
  logger?: Logger;
}): Promise<WorkerHandler> {
  const specs = (opts.exec ?? []).map(parseExecSpec);
  if (specs.length === 0 && opts.handlers === undefined) {
    throw new ValidationError('nothing to run tasks with: give --exec PATTERN=COMMAND and/or --handlers MODULE', {
      actions: [`asynq worker run --exec 'email:*=./send-email.sh'`],
    });
  }
  const execs = specs.map((s) => {
    try {
      return new ExecHandler(s.argv, {killGraceMs: opts.killGraceMs, logger: opts.logger});
    } catch (err) {
      throw new ValidationError(`--exec ${JSON.stringify(`${s.pattern}=…`)}: ${errorMessage(err)}`);
    }
  });
  const description = specs.map((s) => `${s.pattern} → ${s.argv.join(' ')}`);
  const mod = opts.handlers === undefined ? undefined : await loadHandlerModule(opts.handlers);
  if (mod)
    description.push(`${opts.handlers} (${mod.kind}${mod.patterns.length > 0 ? `: ${mod.patterns.join(', ')}` : ''})`);
  if (execs.length === 0) return {handler: mod!.handler, execs, description};
  const router = new TypeRouter(mod?.handler);
  specs.forEach((s, i) => router.add(s.pattern, execs[i]!));
  return {handler: router, execs, description};
}

export interface TaskCounts {
  succeeded: number;
  failed: number;
}

/**
 * Wraps a handler to log one line per task on completion, with the task's fields: type, id, queue,
 * attempt, duration and outcome, and the error of a failure (info for success, warn for failure).
 * Text: `Task done: type="…" id=… queue=… duration=12ms outcome=success`; JSON: one key each.
 */
export function logEachTask(
  inner: Handler,
  logger: Logger,
  counts: TaskCounts,
  now: () => number = () => performance.now(),
): Handler {
  return {
    async processTask(task: Task, ctx: TaskContext): Promise<void> {
      const start = now();
      const fields = (): LogFields => ({
        type: task.type,
        taskId: ctx.taskId,
        queue: ctx.queue,
        attempt: ctx.retryCount + 1,
        durationMs: Math.round((now() - start) * 1000) / 1000,
      });
      try {
        await inner.processTask(task, ctx);
        counts.succeeded++;
        logger.info('Task done:', {...fields(), outcome: 'success'});
      } catch (err) {
        counts.failed++;
        const outcome = ctx.signal.aborted
          ? 'aborted'
          : isSkipRetry(err)
            ? 'skip-retry'
            : err instanceof ExecRetryLaterError
              ? 'retry-later'
              : 'failure';
        logger.warn('Task failed:', {...fields(), outcome, error: errorMessage(err)});
        throw err;
      }
    },
  };
}
