/**
 * Healthchecker (Go asynq healthcheck.go, spec §10.9): only when the server has a
 * healthCheckFunc, every `intervalMs` (15 s; first check after one interval) PINGs Redis and calls
 * the function with the error, or undefined when Redis answered.
 */
import type {RDB} from './broker/rdb.js';
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

  /** One check: PING, then the function with the outcome. Never throws. */
  async exec(): Promise<void> {
    let result: Error | undefined;
    try {
      await this.#p.rdb.ping();
    } catch (err) {
      result = err instanceof Error ? err : new Error(String(err));
    }
    try {
      await this.#p.healthCheckFunc(result);
    } catch (err) {
      this.#p.logger.error(`healthCheckFunc failed: ${errorMessage(err)}`);
    }
  }
}
