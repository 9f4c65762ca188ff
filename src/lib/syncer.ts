/**
 * Syncer (Go asynq syncer.go): holds the processor's outcome writes that failed (a
 * Redis blip after the handler finished) and retries each every `intervalMs` (5 s) until it
 * succeeds; a request whose deadline (the task's lease expiry) has passed is dropped, as the
 * recoverer will handle the task. On shutdown every pending request still within its deadline is
 * tried once more.
 */
import {realClock, type Clock} from './clock.js';
import type {Logger} from './logger.js';
import {TickLoop} from './tick-loop.js';

/** Go's syncer interval. */
const DEFAULT_SYNC_INTERVAL_MS = 5_000;

/** A write to retry. */
export interface SyncRequest {
  fn: () => Promise<unknown>;
  /** Logged when the last attempt at shutdown fails. */
  errMsg: string;
  /** Dropped once this instant has passed (the task's lease deadline). */
  deadline: Date;
}

export interface SyncerParams {
  logger: Logger;
  /** Default 5 s. */
  intervalMs?: number;
  clock?: Clock;
}

export class Syncer {
  readonly #p: Required<SyncerParams>;
  readonly #loop: TickLoop;
  #requests: SyncRequest[] = [];

  constructor(params: SyncerParams) {
    this.#p = {intervalMs: DEFAULT_SYNC_INTERVAL_MS, clock: realClock, ...params};
    this.#loop = new TickLoop({
      name: 'Syncer', logger: this.#p.logger, intervalMs: this.#p.intervalMs, tick: () => this.exec(), drain: () => this.#flush(),
    });
  }

  /** Queues a failed write for retrying. */
  add(req: SyncRequest): void {
    this.#requests.push(req);
  }

  /** Requests waiting for a retry. */
  get pending(): number {
    return this.#requests.length;
  }

  /** Starts retrying every interval. Idempotent. */
  start(): void {
    this.#loop.start();
  }

  /** Stops the loop, then tries every pending request once more. Idempotent. */
  async shutdown(): Promise<void> {
    await this.#loop.stop();
  }

  /** One round: drops expired requests, retries the others, keeps those that fail. Never throws. */
  async exec(): Promise<void> {
    const batch = this.#requests;
    this.#requests = [];
    const keep: SyncRequest[] = [];
    for (const req of batch) {
      if (this.#expired(req)) continue;
      try {
        await req.fn();
      } catch {
        keep.push(req);
      }
    }
    this.#requests.unshift(...keep);
  }

  /** Checked when the request's turn comes: an earlier write of the round may have been slow. */
  #expired(req: SyncRequest): boolean {
    return req.deadline.getTime() < this.#p.clock.now().getTime();
  }

  /**
   * The last attempt at shutdown. A request past its deadline is not run but logged as failed: Go
   * runs it under a context with that deadline, which fails before reaching Redis; by then the
   * recoverer may have handed the task to another worker, and a late write would undo its work.
   */
  async #flush(): Promise<void> {
    const batch = this.#requests;
    this.#requests = [];
    for (const req of batch) {
      try {
        if (this.#expired(req)) throw new Error('lease deadline passed');
        await req.fn();
      } catch {
        this.#p.logger.error(req.errMsg);
      }
    }
  }
}
