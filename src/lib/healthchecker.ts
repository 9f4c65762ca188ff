/**
 * Healthchecker (Go asynq healthcheck.go): only when the server has a
 * healthCheckFunc, every `intervalMs` (15 s; first check after one interval) PINGs Redis and calls
 * the function with the error, or undefined when Redis answered. No answer within one interval is
 * an error too.
 */
import type {RDB} from './broker/rdb.js';
import {goDurationString} from './duration.js';
import {errorMessage} from './errors.js';
import type {Logger} from './logger.js';
import {TickLoop} from './tick-loop.js';

/** Go's default HealthCheckInterval. */
export const DEFAULT_HEALTH_CHECK_INTERVAL_MS = 15_000;

/** Receives the result of each health check: undefined when Redis is reachable. */
export type HealthCheckFunc = (err: Error | undefined) => void | Promise<void>;

export interface HealthcheckerParams {
  logger: Logger;
  rdb: Pick<RDB, 'ping'>;
  healthCheckFunc: HealthCheckFunc;
  /** Default 15 s. */
  intervalMs?: number;
}

export class Healthchecker {
  readonly #p: Required<HealthcheckerParams>;
  readonly #loop: TickLoop;

  constructor(params: HealthcheckerParams) {
    this.#p = {intervalMs: DEFAULT_HEALTH_CHECK_INTERVAL_MS, ...params};
    this.#loop = new TickLoop({name: 'Healthchecker', logger: this.#p.logger, intervalMs: this.#p.intervalMs, tick: () => this.exec()});
  }

  /** Starts checking (first check after one interval). Idempotent. */
  start(): void {
    this.#loop.start();
  }

  async shutdown(): Promise<void> {
    await this.#loop.stop();
  }

  /**
   * One check: PING, then the function with the outcome. A PING still unanswered after one
   * interval counts as failed: while Redis is unreachable ioredis keeps it queued (up to ~40 s)
   * where Go's fails within seconds, and the function must hear about the outage meanwhile.
   * Never throws.
   */
  async exec(): Promise<void> {
    let result: Error | undefined;
    let timer: NodeJS.Timeout | undefined;
    const ping = this.#p.rdb.ping();
    ping.catch(() => {}); // may settle after the timeout
    const {intervalMs} = this.#p;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`asynq: Redis did not answer PING within ${goDurationString(intervalMs)}`)), intervalMs);
    });
    try {
      await Promise.race([ping, timeout]);
    } catch (err) {
      result = err instanceof Error ? err : new Error(String(err));
    } finally {
      clearTimeout(timer);
    }
    try {
      await this.#p.healthCheckFunc(result);
    } catch (err) {
      this.#p.logger.error(`healthCheckFunc failed: ${errorMessage(err)}`);
    }
  }
}
