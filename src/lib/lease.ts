/**
 * The local view of a task's lease (Go internal/base Lease): the processor starts it from the
 * dequeue's lease expiry, the heartbeater extends it after each `ZADD lease XX` and, finding it
 * expired, notifies the processor through `lost`, which then abandons the task without writing
 * to Redis (the recoverer finishes the job).
 */
import type {Clock} from './clock.js';

/** Told once when a lease is found expired (Lease.setListener). */
export interface LeaseListener {
  leaseLost(): void;
}

export class Lease {
  readonly #clock: Clock;
  #expiresAt: Date;
  #isLost = false;
  /** Created on first use of `lost` (most leases never need one). */
  #lost?: AbortController;
  #onLost?: Array<() => void>;
  #listener?: LeaseListener;

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
    this.#lost ??= new AbortController();
    if (this.#isLost && !this.#lost.signal.aborted) this.#lost.abort();
    return this.#lost.signal;
  }

  /**
   * Calls `fn` once when the lease is found expired (at once if it already was), like a listener
   * on `lost` without an AbortSignal per task. Returns a function that removes it.
   */
  onLost(fn: () => void): () => void {
    if (this.#isLost) {
      fn();
      return () => {};
    }
    (this.#onLost ??= []).push(fn);
    return () => {
      const i = this.#onLost?.indexOf(fn) ?? -1;
      if (i >= 0) this.#onLost!.splice(i, 1);
    };
  }

  /**
   * Sets the one listener told when the lease is found expired (at once if it already was), or
   * removes it (undefined): the processor's per-task record, without a closure per task.
   */
  setListener(listener: LeaseListener | undefined): void {
    if (listener !== undefined && this.#isLost) {
      listener.leaseLost();
      return;
    }
    this.#listener = listener;
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
    if (!this.#isLost) {
      this.#isLost = true;
      this.#lost?.abort();
      for (const fn of this.#onLost?.splice(0) ?? []) fn();
      const listener = this.#listener;
      this.#listener = undefined;
      listener?.leaseLost();
    }
    return true;
  }
}
