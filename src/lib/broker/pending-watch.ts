/**
 * PendingWatch: an idle server with one queue blocks on Redis until that queue's pending list has
 * a task, instead of polling it, so that a task written by any client (a Go client too: no
 * wake-up notification) is picked up at once and an idle worker sends almost nothing.
 *
 * The wait is `BLMOVE <pending> <pending> RIGHT RIGHT <timeout>` on a connection of its own (a
 * duplicate of the server's): with the same list as source and destination and the same end, it
 * takes the oldest task id and puts it back where it was, so the list is unchanged (Redis 6.2+).
 * It returns as soon as the list is not empty (at once when it already holds tasks: a paused
 * queue's backlog; the processor then polls on a timer until the next task, see Processor). A Go
 * peer sees one blocked client per idle single-queue asynq-ts server and, when a task arrives, an
 * LMOVE of that list onto itself (in MONITOR and on replicas); no key is added or changed.
 *
 * Redis before 6.2 (no BLMOVE) turns the watch off for good and the processor polls as before; a
 * connection error turns it off for RETRY_AFTER_ERROR_MS.
 */
import * as keys from '../base/keys.js';
import type {RedisConnection as RedisClient} from '../redis.js';

/** How long one BLMOVE blocks before it is sent again (seconds); the processor's own timer is shorter. */
const BLOCK_SECONDS = 10;
/** A failed wait (other than an unknown command) turns the watch off for this long. */
const RETRY_AFTER_ERROR_MS = 5_000;

export type WatchResult = 'found' | 'timeout' | 'unavailable';

export class PendingWatch {
  readonly #source: RedisClient;
  readonly #key: string;
  #conn?: RedisClient;
  #inflight?: Promise<WatchResult>;
  #off = false;
  #offUntil = 0;
  #closed = false;

  constructor(source: RedisClient, queue: string) {
    this.#source = source;
    this.#key = keys.pendingKey(queue);
  }

  /** Whether a wait can be asked for now (not closed, not turned off). */
  available(): boolean {
    return !this.#closed && !this.#off && Date.now() >= this.#offUntil;
  }

  /**
   * Resolves 'found' once the pending list holds a task, 'timeout' when the block ended without
   * one, 'unavailable' when the watch cannot be used (closed, old Redis, a connection error). A
   * wait asked for while one is in flight shares it (one BLMOVE at a time on the connection).
   */
  wait(): Promise<WatchResult> {
    if (!this.available()) return Promise.resolve('unavailable');
    this.#inflight ??= this.#block().finally(() => (this.#inflight = undefined));
    return this.#inflight;
  }

  async #block(): Promise<WatchResult> {
    try {
      this.#conn ??= this.#source.duplicate();
      const got = await this.#conn.blmove(this.#key, this.#key, 'RIGHT', 'RIGHT', BLOCK_SECONDS);
      return got === null ? 'timeout' : 'found';
    } catch (err) {
      if (this.#closed) return 'unavailable';
      if (/unknown command|ERR unknown/i.test(err instanceof Error ? err.message : String(err))) this.#off = true;
      else this.#offUntil = Date.now() + RETRY_AFTER_ERROR_MS;
      return 'unavailable';
    }
  }

  /** Drops the connection (a BLMOVE in flight ends 'unavailable'). Idempotent. */
  close(): void {
    this.#closed = true;
    this.#conn?.disconnect();
  }
}
