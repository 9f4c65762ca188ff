/**
 * Forwarder (Go asynq forwarder.go): every `intervalMs` (Server's delayedTaskCheckInterval,
 * default 5 s) moves due tasks of the server's queues from `scheduled` and then `retry` to
 * `pending` (or back into their group when the task hash has `group`). The first run happens
 * after one interval, as Go's timer. Each script call is atomic; the round is not. Outside a Cluster
 * one call forwards every queue (RDB.forwardIfReady, forwardAll-0.lua).
 */
import type {RDB} from './broker/rdb.js';
import {errorMessage} from './errors.js';
import type {Logger} from './logger.js';
import {NO_OUTAGE_REPORTER, type RedisErrorSink} from './redis-outage.js';
import {TickLoop} from './tick-loop.js';

export interface ForwarderParams {
  logger: Logger;
  /** Takes failed Redis commands that mean Redis is unreachable (the Server's outage reporter): those are not logged here. */
  outage?: RedisErrorSink;
  /** "now" of a forward is this RDB's clock. */
  rdb: Pick<RDB, 'forwardIfReady'>;
  /** Queues of this server; only these are forwarded. */
  queues: string[];
  intervalMs: number;
  /** Called after a round that moved tasks (the Server wakes its idle processor). */
  onForward?: () => void;
}

export class Forwarder {
  readonly #p: ForwarderParams & {outage: RedisErrorSink};
  readonly #loop: TickLoop;

  constructor(params: ForwarderParams) {
    this.#p = {...params, outage: params.outage ?? NO_OUTAGE_REPORTER};
    this.#loop = new TickLoop({name: 'Forwarder', logger: this.#p.logger, intervalMs: this.#p.intervalMs, tick: () => this.exec()});
  }

  /** Starts the loop (first run after one interval). Idempotent. */
  start(): void {
    this.#loop.start();
  }

  /** Stops the loop and waits for a running round. Idempotent. */
  async shutdown(): Promise<void> {
    await this.#loop.stop();
  }

  /** One round: forward every due scheduled and retry task of the queues. Never throws. */
  async exec(): Promise<void> {
    try {
      if ((await this.#p.rdb.forwardIfReady(this.#p.queues)) > 0) this.#p.onForward?.();
    } catch (err) {
      if (this.#p.outage.absorb(err)) return;
      this.#p.logger.error(`Failed to forward scheduled tasks: ${errorMessage(err)}`);
    }
  }
}
