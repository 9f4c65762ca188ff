/**
 * Tick locks of the Scheduler (asynq-ts only; Go asynq has no cross-instance deduplication): a
 * plain `SET key owner PX ttl NX` on `asynq:{<queue>}:scheduler_lock:<entry identity>:<tick>`.
 * The first scheduler to take the lock of a tick enqueues it; the others skip it. The key carries
 * the queue's hash tag, so in a Cluster it lives next to the queue it guards.
 */
import * as keys from '../base/keys.js';
import type {RedisSession} from './session.js';

export interface TickLockRef {
  queue: string;
  /** SHA-256 hex of the entry (spec, type, payload, option strings). */
  identity: string;
  /** Tick number: unix seconds of a cron tick, or the window number of an `@every` entry. */
  tick: number;
}

export class TickLocks {
  readonly #s: RedisSession;

  /** Works over `rdb`'s session (connection). */
  constructor(rdb: {readonly session: RedisSession}) {
    this.#s = rdb.session;
  }

  /**
   * Takes the lock of one tick for `ttlMs` (at least 1 s). Resolves true when this caller got it,
   * false when another scheduler holds it. Rejects with RedisCommandError.
   */
  async acquire(ref: TickLockRef, owner: string, ttlMs: number): Promise<boolean> {
    const key = keys.schedulerTickLockKey(ref.queue, ref.identity, ref.tick);
    const px = Math.max(1000, Math.ceil(ttlMs));
    const res = await this.#s.run('rdb.AcquireTickLock', () => this.#s.client.set(key, owner, 'PX', px, 'NX'));
    return res === 'OK';
  }

  /**
   * Gives a tick back after a failed enqueue (transport error), so a slower peer may still enqueue
   * it. Best effort: a plain DEL, only ever called right after this caller took the lock.
   */
  async release(ref: TickLockRef): Promise<void> {
    await this.#s.run('rdb.ReleaseTickLock', () => this.#s.client.del(keys.schedulerTickLockKey(ref.queue, ref.identity, ref.tick)));
  }
}
