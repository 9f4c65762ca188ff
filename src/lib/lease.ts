/**
 * The local view of a task's lease (Go internal/base Lease): the processor starts it from the
 * dequeue's lease expiry, the heartbeater extends it after each `ZADD lease XX` and, finding it
 * expired, notifies the processor through `lost`, which then abandons the task without writing
 * to Redis (the recoverer finishes the job).
 */
import type {Clock} from './clock.js';

export class Lease {
  readonly #clock: Clock;
  #expiresAt: Date;
  readonly #lost = new AbortController();

  constructor(expiresAt: Date, clock: Clock) {
    this.#expiresAt = expiresAt;
    this.#clock = clock;
  }

  /** When the lease expires unless extended. */
  get deadline(): Date {
    return this.#expiresAt;
  }

  /** Aborts once the heartbeater found the lease expired. */
  get lost(): AbortSignal {
    return this.#lost.signal;
  }

  /** Valid until (and including) its expiry instant, as Go's IsValid. */
  isValid(): boolean {
    return this.#clock.now().getTime() <= this.#expiresAt.getTime();
  }

  /** Extends a still-valid lease; returns false (and changes nothing) when it already expired. */
  reset(expiresAt: Date): boolean {
    if (!this.isValid()) return false;
    this.#expiresAt = expiresAt;
    return true;
  }

  /** Fires `lost` if the lease has expired; returns whether it did. */
  notifyExpiration(): boolean {
    if (this.isValid()) return false;
    this.#lost.abort();
    return true;
  }
}
