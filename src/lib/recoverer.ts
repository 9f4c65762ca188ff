/**
 * Recoverer (Go asynq recoverer.go): once at start, then every `intervalMs` (default 1 min),
 * 1. finds the active tasks of the server's queues whose lease expired at least `graceMs` ago
 *    (default 30 s, Go's; a crashed or cut-off worker; the grace absorbs clock skew between the
 *    hosts) and fails them with
 *    `asynq: task lease expired`: archived when `retried ≥ retry`, otherwise retried after
 *    `retryDelayFunc(retried, err, task)` with `isFailure(err)` deciding whether it counts (guarded
 *    as in the processor: a throw or a non-number → Go's default delay, a negative delay → now);
 * 2. per queue, merges aggregation sets whose deadline passed back into their groups.
 * A leased task that cannot be processed (no task hash, a key of another type, a message that does
 * not decode) is moved aside to asynq:{<queue>}:corrupt by the listing and logged with its id; the
 * others are recovered (Go fails the whole round on one undecodable message). A queue with a key of
 * the wrong Redis type is skipped and logged.
 */
import type {TaskMessage} from './base/codec.js';
import {LEASE_SECONDS} from './base/states.js';
import {movedAsideText, type RDB} from './broker/rdb.js';
import {realClock, type Clock} from './clock.js';
import {LeaseExpiredError, errorMessage} from './errors.js';
import type {Logger} from './logger.js';
import {NO_OUTAGE_REPORTER, type RedisErrorSink} from './redis-outage.js';
import {
  defaultIsFailure, defaultRetryDelayFunc, guardedIsFailure, guardedRetryDelay, type IsFailureFunc, type RetryDelayFunc,
} from './retry.js';
import {Task} from './task.js';
import {TickLoop} from './tick-loop.js';

/** Recover a task only when its lease expired at least this long ago (Go: 30 s, for clock skew). */
export const LEASE_EXPIRY_GRACE_MS = LEASE_SECONDS * 1000;
/** Go's recoverer interval. */
export const DEFAULT_RECOVERER_INTERVAL_MS = 60_000;

export interface RecovererParams {
  logger: Logger;
  /** Takes failed Redis commands that mean Redis is unreachable (the Server's outage reporter): those are not logged here. */
  outage?: RedisErrorSink;
  rdb: Pick<RDB, 'listLeaseExpired' | 'retry' | 'archive'>;
  groups: {reclaimStaleAggregationSets(qname: string): Promise<unknown>};
  /** Queues of this server; only these are looked at. */
  queues: string[];
  /** Default 1 min. */
  intervalMs?: number;
  /** How long a lease must have been expired before its task is recovered; default 30 s (Go's). */
  graceMs?: number;
  /** Delay before the retry of a recovered task; default Go's n⁴ + 15 + rand[0,30)·(n+1) s. */
  retryDelayFunc?: RetryDelayFunc;
  /** Whether the lease expiry counts as a failure (retried + 1, stats); default yes. */
  isFailure?: IsFailureFunc;
  clock?: Clock;
}

export class Recoverer {
  readonly #p: Required<RecovererParams>;
  readonly #loop: TickLoop;

  constructor(params: RecovererParams) {
    this.#p = {
      ...params,
      intervalMs: params.intervalMs ?? DEFAULT_RECOVERER_INTERVAL_MS,
      graceMs: params.graceMs ?? LEASE_EXPIRY_GRACE_MS,
      retryDelayFunc: params.retryDelayFunc ?? defaultRetryDelayFunc,
      isFailure: params.isFailure ?? defaultIsFailure,
      clock: params.clock ?? realClock,
      outage: params.outage ?? NO_OUTAGE_REPORTER,
    };
    this.#loop = new TickLoop({
      name: 'Recoverer', logger: this.#p.logger, intervalMs: this.#p.intervalMs, runAtStart: true, tick: () => this.exec(),
    });
  }

  /** Starts the loop: one run now, then one per interval. Idempotent. */
  start(): void {
    this.#loop.start();
  }

  /** Stops the loop and waits for a running round. Idempotent. */
  async shutdown(): Promise<void> {
    await this.#loop.stop();
  }

  /** One round: lease-expired tasks, then stale aggregation sets. Never throws. */
  async exec(): Promise<void> {
    await this.#recoverLeaseExpiredTasks();
    await this.#reclaimStaleAggregationSets();
  }

  async #recoverLeaseExpiredTasks(): Promise<void> {
    const {rdb, clock, queues, logger} = this.#p;
    let msgs: TaskMessage[];
    try {
      msgs = await rdb.listLeaseExpired(new Date(clock.now().getTime() - this.#p.graceMs), queues,
        (bad) => logger.error(`recoverer: ${movedAsideText(bad)}`));
    } catch (err) {
      if (this.#p.outage.absorb(err)) return;
      logger.warn(`recoverer: could not list lease expired tasks: ${errorMessage(err)}`);
      return;
    }
    for (const msg of msgs) {
      const err = new LeaseExpiredError();
      if (msg.retried >= msg.retry) {
        await this.#archive(msg, err);
      } else {
        await this.#retry(msg, err);
      }
    }
  }

  async #retry(msg: TaskMessage, err: LeaseExpiredError): Promise<void> {
    try {
      const task = new Task(msg.type, msg.payload, {headers: msg.headers});
      const {logger} = this.#p;
      const delayMs = guardedRetryDelay(this.#p.retryDelayFunc, msg.retried, err, task, msg.id, logger);
      const retryAt = new Date(this.#p.clock.now().getTime() + delayMs);
      await this.#p.rdb.retry(msg, retryAt, err.message, guardedIsFailure(this.#p.isFailure, err, logger));
    } catch (e) {
      if (!this.#p.outage.absorb(e)) this.#p.logger.warn(`recoverer: could not retry lease expired task: ${errorMessage(e)}`);
    }
  }

  async #archive(msg: TaskMessage, err: LeaseExpiredError): Promise<void> {
    try {
      await this.#p.rdb.archive(msg, err.message);
    } catch (e) {
      if (!this.#p.outage.absorb(e)) this.#p.logger.warn(`recoverer: could not move task to archive: ${errorMessage(e)}`);
    }
  }

  async #reclaimStaleAggregationSets(): Promise<void> {
    for (const q of this.#p.queues) {
      try {
        await this.#p.groups.reclaimStaleAggregationSets(q);
      } catch (err) {
        if (!this.#p.outage.absorb(err)) this.#p.logger.warn(`recoverer: could not reclaim stale aggregation sets in queue "${q}": ${errorMessage(err)}`);
      }
    }
  }
}
