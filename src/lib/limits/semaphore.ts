/**
 * Semaphore: a distributed counting semaphore over Redis, Go x/rate's (`rate.NewSemaphore`) with
 * the same key and semantics, so a Go handler and an asynq-ts handler (or an asynq-ts limit) with
 * the same scope share one cap:
 * - key asynq:sema:<scope>, a zset of task ids scored by the task's deadline (unix s);
 * - acquire(ctx): drops holders whose deadline has passed, then takes a token when fewer than
 *   maxTokens are held (a task that already holds one keeps it: true);
 * - release(ctx): ZREM the task id; no token held → an error, as Go's.
 * A handler that crashes without releasing frees its token at the task's deadline.
 *
 *   const sema = new Semaphore('redis://localhost:6379', 'reports', 5);
 *   mux.handleFunc('report:build', async (task, ctx) => {
 *     if (!(await sema.acquire(ctx))) throw new RetryAfterError(1_000, 'report slots are busy');
 *     try { await build(task); } finally { await sema.release(ctx); }
 *   });
 */
import {RDB} from '../broker/rdb.js';
import {RDBLimits} from '../broker/limits.js';
import {realClock, type Clock} from '../clock.js';
import {ValidationError} from '../errors.js';
import {closeRedisClient, createRedisClient, type RedisConnection, type RedisConnOpt} from '../redis.js';

/** What acquire/release need of a TaskContext: the task id and the attempt's deadline. */
export interface SemaphoreContext {
  readonly taskId?: string;
  readonly deadline?: Date;
}

export class Semaphore {
  readonly scope: string;
  readonly maxTokens: number;
  readonly #conn: RedisConnection;
  readonly #owned: boolean;
  readonly #limits: RDBLimits;
  #closed = false;

  /**
   * @param conn where Redis is (URI, option object or an ioredis instance, which stays the caller's).
   * @param scope the semaphore's name (key asynq:sema:<scope>); not blank.
   * @param maxTokens tokens, a whole number of at least 1.
   */
  constructor(conn: RedisConnOpt, scope: string, maxTokens: number, opts: {clock?: Clock} = {}) {
    if (typeof scope !== 'string' || scope.trim() === '') throw new ValidationError('Semaphore: scope should not be empty');
    if (!Number.isSafeInteger(maxTokens) || maxTokens < 1) throw new ValidationError('Semaphore: maxTokens cannot be less than 1');
    this.scope = scope;
    this.maxTokens = maxTokens;
    const {client, owned} = createRedisClient(conn);
    this.#conn = client;
    this.#owned = owned;
    this.#limits = new RDBLimits(new RDB(client, {clock: opts.clock ?? realClock}));
  }

  /**
   * Takes a token for the task (ctx.taskId) until its deadline (ctx.deadline): true when taken or
   * already held, false when every token is held. ValidationError without a task id or deadline.
   */
  async acquire(ctx: SemaphoreContext): Promise<boolean> {
    if (ctx.deadline === undefined || Number.isNaN(ctx.deadline.getTime())) throw new ValidationError('provided context must have a deadline');
    return this.#limits.semaphoreAcquire(this.scope, this.maxTokens, taskIdOf(ctx), ctx.deadline);
  }

  /** Gives the task's token back. ValidationError when the task holds none (Go: "no token found for task"). */
  async release(ctx: SemaphoreContext): Promise<void> {
    const id = taskIdOf(ctx);
    if (!(await this.#limits.release(this.scope, id))) throw new ValidationError(`no token found for task "${id}"`);
  }

  /** Closes the connection if the Semaphore created it. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) await closeRedisClient(this.#conn);
  }
}

function taskIdOf(ctx: SemaphoreContext): string {
  if (typeof ctx.taskId !== 'string' || ctx.taskId === '') throw new ValidationError('provided context is missing task ID value');
  return ctx.taskId;
}
