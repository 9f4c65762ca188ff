/**
 * The run loop shared by the periodic background components (forwarder, janitor, recoverer,
 * aggregator): a setTimeout chain (never setInterval, so a slow tick delays the next one instead
 * of piling up), stopped through an AbortSignal, with asynq's lifecycle log lines at debug.
 */
import {errorMessage} from './errors.js';
import type {Logger} from './logger.js';
import {sleep} from './sleep.js';

export interface TickLoopParams {
  /** Component name used in the log lines: "<name> shutting down..." / "<name> done". */
  name: string;
  logger: Logger;
  intervalMs: number;
  /** One tick. Must not throw; its promise is awaited before the next sleep starts. */
  tick: () => Promise<void> | void;
  /** Run a tick right at start (Go's recoverer); default false: first tick after one interval (ticker/timer). */
  runAtStart?: boolean;
  /** Awaited by stop() after the loop has ended (e.g. in-flight work the ticks did not await). */
  drain?: () => Promise<void>;
}

export class TickLoop {
  readonly #p: TickLoopParams;
  readonly #abort = new AbortController();
  #loop?: Promise<void>;
  #stopped?: Promise<void>;

  constructor(params: TickLoopParams) {
    this.#p = params;
  }

  /** Starts the loop; calling it again (or after stop()) does nothing. */
  start(): void {
    if (this.#abort.signal.aborted) return;
    this.#loop ??= this.#run(this.#abort.signal);
  }

  /** Stops the loop, waits for a running tick (and drain), logging asynq's lines. Idempotent. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#p.logger.debug(`${this.#p.name} shutting down...`);
      this.#abort.abort();
      await this.#loop;
      await this.#p.drain?.();
      this.#p.logger.debug(`${this.#p.name} done`);
    })();
    return this.#stopped;
  }

  async #run(signal: AbortSignal): Promise<void> {
    if (!this.#p.runAtStart) await sleep(this.#p.intervalMs, signal);
    while (!signal.aborted) {
      try {
        await this.#p.tick();
      } catch (err) {
        // Ticks are written not to throw; this only keeps a bug from ending the loop silently.
        this.#p.logger.error(`${this.#p.name}: unexpected error: ${errorMessage(err)}`);
      }
      await sleep(this.#p.intervalMs, signal);
    }
  }
}
