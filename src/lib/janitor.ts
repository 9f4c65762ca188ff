/**
 * Janitor (Go asynq janitor.go): every `intervalMs` (Server's janitorInterval, default 8 s)
 * deletes, per queue of the server, the completed tasks whose retention has run out
 * (`completed` score ≤ now), `batchSize` (default 100) per script call until none is left.
 * The first run happens after one interval, as Go's timer.
 */
import type {RDB} from './broker/rdb.js';
import {realClock, type Clock} from './clock.js';
import {errorMessage} from './errors.js';
import type {Logger} from './logger.js';
import {NO_OUTAGE_REPORTER, type RedisErrorSink} from './redis-outage.js';
import {TickLoop} from './tick-loop.js';

export interface JanitorParams {
  logger: Logger;
  /** Takes failed Redis commands that mean Redis is unreachable (the Server's outage reporter): those are not logged here. */
  outage?: RedisErrorSink;
  rdb: Pick<RDB, 'deleteExpiredCompletedTasks'>;
  /** Queues of this server; only these are cleaned. */
  queues: string[];
  intervalMs: number;
  /** IDs deleted per script call (Go's JanitorBatchSize). */
  batchSize: number;
  /** Accepted for uniformity with the other components; "now" of a deletion is the RDB's clock. */
  clock?: Clock;
}

export class Janitor {
  readonly #p: Required<JanitorParams>;
  readonly #loop: TickLoop;

  constructor(params: JanitorParams) {
    this.#p = {...params, clock: params.clock ?? realClock, outage: params.outage ?? NO_OUTAGE_REPORTER};
    this.#loop = new TickLoop({name: 'Janitor', logger: this.#p.logger, intervalMs: this.#p.intervalMs, tick: () => this.exec()});
  }

  /** Starts the loop (first run after one interval). Idempotent. */
  start(): void {
    this.#loop.start();
  }

  /** Stops the loop and waits for a running round. Idempotent. */
  async shutdown(): Promise<void> {
    await this.#loop.stop();
  }

  /** One round over every queue; a failing queue is logged and the others still run. Never throws. */
  async exec(): Promise<void> {
    for (const q of this.#p.queues) {
      try {
        await this.#p.rdb.deleteExpiredCompletedTasks(q, this.#p.batchSize);
      } catch (err) {
        if (this.#p.outage.absorb(err)) continue;
        this.#p.logger.error(`Failed to delete expired completed tasks from queue "${q}": ${errorMessage(err)}`);
      }
    }
  }
}
