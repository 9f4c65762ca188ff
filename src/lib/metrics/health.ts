/**
 * What /healthz and /readyz of a worker answer, from state kept up to date in the background so
 * that a probe never waits on Redis:
 *
 * - healthz: the process is alive and its event loop is not stuck (a timer every 250 ms measures
 *   how late it fires; a delay over `maxEventLoopDelayMs` fails until the next on-time tick).
 * - readyz: the server is running (not starting, stopped by SIGTSTP, or shutting down) and Redis
 *   answered the last PING (one every `pingIntervalMs`, failing after `pingTimeoutMs`; one at a time).
 */
import type {ProbeResult} from './http.js';

const TICK_MS = 250;

export interface WorkerHealthOptions {
  /** The Server (its state: 'new', 'active', 'stopped', 'closed'). */
  server: {readonly state: string};
  /** A connection to PING (ioredis). */
  redis: {ping(): Promise<unknown>};
  /** Default 1 s. */
  pingIntervalMs?: number;
  /** Default 1 s. */
  pingTimeoutMs?: number;
  /** Default 2 s. */
  maxEventLoopDelayMs?: number;
}

export class WorkerHealth {
  readonly #o: Required<WorkerHealthOptions>;
  #redis: ProbeResult = {ok: false, reason: 'Redis: no PING answered yet'};
  #delayMs = 0;
  #timers: NodeJS.Timeout[] = [];
  #pinging = false;

  constructor(opts: WorkerHealthOptions) {
    this.#o = {pingIntervalMs: 1_000, pingTimeoutMs: 1_000, maxEventLoopDelayMs: 2_000, ...opts};
  }

  /** Starts the background PINGs and the event-loop timer (unref'd: they never keep the process alive). */
  start(): void {
    if (this.#timers.length > 0) return;
    let expected = performance.now() + TICK_MS;
    const tick = setInterval(() => {
      const now = performance.now();
      this.#delayMs = Math.max(0, now - expected);
      expected = now + TICK_MS;
    }, TICK_MS);
    const ping = setInterval(() => void this.#ping(), this.#o.pingIntervalMs);
    for (const t of [tick, ping]) t.unref();
    this.#timers = [tick, ping];
    void this.#ping();
  }

  stop(): void {
    for (const t of this.#timers.splice(0)) clearInterval(t);
  }

  healthz(): ProbeResult {
    if (this.#delayMs > this.#o.maxEventLoopDelayMs) return {ok: false, reason: `event loop blocked for ${Math.round(this.#delayMs)} ms`};
    return {ok: true};
  }

  readyz(): ProbeResult {
    const state = this.#o.server.state;
    if (state !== 'active') {
      const why = state === 'new' ? 'starting' : state === 'stopped' ? 'stopped (SIGTSTP): not taking new tasks' : 'shutting down';
      return {ok: false, reason: `server ${why}`};
    }
    return this.#redis;
  }

  async #ping(): Promise<void> {
    if (this.#pinging) return;
    this.#pinging = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer to PING within ${this.#o.pingTimeoutMs} ms`)), this.#o.pingTimeoutMs);
      });
      await Promise.race([this.#o.redis.ping(), timeout]);
      this.#redis = {ok: true};
    } catch (err) {
      this.#redis = {ok: false, reason: `Redis unreachable: ${err instanceof Error ? err.message : String(err)}`};
    } finally {
      clearTimeout(timer);
      this.#pinging = false;
    }
  }
}
