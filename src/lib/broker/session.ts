/**
 * RedisSession: what every broker class (RDB, RDBState, RDBGroups, RDBInspector, TickLocks,
 * ReplicaWaiter) works over: the ioredis client, the script runner, the clock, and the queues this
 * process has registered. RDB creates it; the other classes take it from their RDB.
 *
 * The error boundary lives here too: run(op, fn) is the one way a Redis failure becomes a typed
 * error (Go asynq's `errors.E(op, …)` and `runScriptWithErrorCode` in internal/rdb/rdb.go).
 */
import {Cluster} from 'ioredis';
import {AsynqError, InternalError, RedisCommandError, TaskNotFoundError, WrongTypeError, isWrongType} from '../errors.js';
import {realClock, type Clock} from '../clock.js';
import {replyText, ScriptRunner, type RedisClient, type ScriptArg} from './script-runner.js';
import type {ScriptName} from '../scripts/index.js';

/**
 * The name of a broker operation, as error messages show it: `rdb.` and the name of the broker
 * method that failed, first letter capitalised, as Go's `var op errors.Op = "rdb.Enqueue"`
 * (RDB.done → 'rdb.Done', RDBInspector.listPending → 'rdb.ListPending'). Private helpers use the
 * op of the method that called them.
 */
export type Op = `rdb.${Capitalize<string>}`;

/** The task a script call is about: its `NOT FOUND` error reply becomes TaskNotFoundError. */
export interface TaskRef {
  queue: string;
  id: string;
}

/**
 * Maps a failure of operation `op` to a typed error. AsynqErrors pass through unchanged; the
 * error replies of the Lua scripts become: `NOT FOUND` → TaskNotFoundError (when `task` is
 * given), `INTERNAL` or `internal error: …` → InternalError; a WRONGTYPE reply (a key of another
 * Redis type: bad data, not an outage) → WrongTypeError(op); anything else (error reply, transport
 * error) → RedisCommandError(op).
 */
export function brokerError(op: Op, err: unknown, task?: TaskRef): AsynqError {
  if (err instanceof AsynqError) return err;
  const reply = replyText(err);
  if (reply !== undefined) {
    // Redis prefixes a one-word error reply with "ERR " (error_reply("INTERNAL") → "ERR INTERNAL").
    if (task && /^(ERR )?NOT FOUND\b/.test(reply)) return new TaskNotFoundError(task.queue, task.id);
    if (/^(ERR )?INTERNAL\b/.test(reply) || reply.startsWith('internal error:')) {
      return new InternalError(`${op}: ${reply}`, {cause: err});
    }
  }
  if (isWrongType(err)) return new WrongTypeError(op, err, task?.queue);
  return new RedisCommandError(op, err);
}

/** Runs `fn` as operation `op`; a failure is rethrown as brokerError(op, err, opts.task). */
export async function run<T>(op: Op, fn: () => Promise<T>, opts: {task?: TaskRef} = {}): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw brokerError(op, err, opts.task);
  }
}

export class RedisSession {
  readonly client: RedisClient;
  readonly runner: ScriptRunner;
  readonly clock: Clock;
  /**
   * Queues this process has already SADDed to asynq:queues (Go's queuesPublished cache): RDB
   * adds, a removed queue is forgotten.
   */
  readonly publishedQueues = new Set<string>();

  constructor(client: RedisClient, opts: {clock?: Clock} = {}) {
    this.client = client;
    this.clock = opts.clock ?? realClock;
    this.runner = new ScriptRunner(client);
  }

  /** True for an ioredis Cluster client. */
  get isCluster(): boolean {
    return this.client instanceof Cluster || (this.client as {isCluster?: unknown}).isCluster === true;
  }

  /** The error boundary, run(), for the classes over this session. */
  run<T>(op: Op, fn: () => Promise<T>, opts: {task?: TaskRef} = {}): Promise<T> {
    return run(op, fn, opts);
  }

  /** Runs script `name` as operation `op` (binary: replies as Buffers, for protobuf bytes). */
  script(op: Op, name: ScriptName, keys: string[], argv: ScriptArg[], opts: {task?: TaskRef; binary?: boolean} = {}): Promise<unknown> {
    return run(op, () => (opts.binary ? this.runner.runBuffer(name, keys, argv) : this.runner.run(name, keys, argv)), opts);
  }
}
