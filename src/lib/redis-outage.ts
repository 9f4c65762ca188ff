/**
 * One voice for a Redis outage on a Server. The first failure that means Redis cannot be used (a
 * connection error of the server's client, or a component's command failing with one: see
 * isRedisUnavailable) logs one error line saying where Redis is, why it cannot be reached (in
 * words, not ioredis's) and that the server keeps retrying; while the outage lasts, the components
 * log nothing more about it. The first answer from Redis afterwards logs one info line saying how
 * long it lasted.
 *
 * Go asynq logs each component's failed command on its own (errLogLimiter for the processor).
 */
import type {Cluster, Redis} from 'ioredis';
import {realClock, type Clock} from './clock.js';
import {compactDuration} from './duration.js';
import {isRedisUnavailable, redact} from './errors.js';
import type {Logger} from './logger.js';
import type {RedisConnection} from './redis.js';

/** What a component does with a failed Redis command: `absorb(err)` is true when the outage reporter took it (log nothing). */
export interface RedisErrorSink {
  absorb(err: unknown): boolean;
}

/** The first unavailability failure in `err` and its cause chain (RedisCommandError wraps one), or null. */
function unavailableFailure(err: unknown): Error | null {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) if (isRedisUnavailable(e)) return e;
  return null;
}

const BY_ERRNO: Record<string, string> = {
  ECONNREFUSED: 'connection refused', ETIMEDOUT: 'connection timed out', ECONNRESET: 'connection reset', EPIPE: 'connection lost',
  EHOSTUNREACH: 'host unreachable', ENETUNREACH: 'network unreachable', ENOTFOUND: 'host not found', EAI_AGAIN: 'host name lookup failed',
};
const BY_REPLY: ReadonlyArray<[RegExp, string]> = [
  [/^(NOAUTH|WRONGPASS)\b/, 'authentication failed'], [/^LOADING\b/, 'Redis is loading its data set'], [/^READONLY\b/, 'connected to a read-only replica'],
  [/^CLUSTERDOWN\b/, 'the cluster is down'], [/^MASTERDOWN\b/, 'the master is down'],
];
/** Replies that come over a working connection: the client's 'ready' does not end such an outage, a successful PING does. */
const REPLY = /^(NOAUTH|WRONGPASS|LOADING|READONLY|CLUSTERDOWN|MASTERDOWN)\b/;

/** Why Redis cannot be used, in words: `connection refused`, `connection timed out`, `authentication failed (WRONGPASS …)`… */
export function outageCause(err: Error): string {
  const code = (err as {code?: unknown}).code;
  if (typeof code === 'string' && code in BY_ERRNO) return BY_ERRNO[code]!;
  for (const [re, words] of BY_REPLY) if (re.test(err.message)) return words === 'authentication failed' ? `${words} (${redact(err.message)})` : words;
  if (/^All sentinels are unreachable/.test(err.message)) return 'no sentinel answers';
  if (err.name === 'ClusterAllFailedError' || /^(None of startup nodes is available|Failed to refresh slots cache)/.test(err.message)) return 'no cluster node answers';
  if (/timed? ?out/i.test(err.message)) return 'connection timed out';
  return 'connection lost';
}

/** Where the client connects, for the log line: `host:port`, a socket path, the Sentinel master or the Cluster's startup nodes. */
function redisAddress(c: RedisConnection): string {
  if (c.isCluster) {
    const nodes = (c as unknown as {startupNodes?: unknown[]}).startupNodes ?? [];
    const list = nodes.map((n) => (typeof n === 'object' && n !== null ? `${(n as {host?: string}).host ?? '127.0.0.1'}:${(n as {port?: number}).port ?? 6379}` : String(n)));
    return `cluster ${list.join(',')}`;
  }
  const o = (c as Redis).options;
  if (o.sentinels && o.name) return `master "${o.name}" (via sentinels ${o.sentinels.map((s) => `${s.host ?? '127.0.0.1'}:${s.port ?? 26379}`).join(',')})`;
  return o.path ? o.path : `${o.host ?? '127.0.0.1'}:${o.port ?? 6379}`;
}

/** The sink of a component that runs without a Server: it takes nothing, so every failure is logged. */
export const NO_OUTAGE_REPORTER: RedisErrorSink = {absorb: () => false};

const PROBE_INTERVAL_MS = 1_000;

export class RedisOutageReporter implements RedisErrorSink {
  readonly address: string;
  readonly #client: RedisConnection;
  readonly #logger: Logger;
  readonly #clock: Clock;
  /** When the current outage was reported, null while Redis answers. */
  #since: number | null = null;
  #probe?: NodeJS.Timeout;
  #closed = false;
  readonly #onError = (err: unknown): void => void this.absorb(err);
  readonly #onReady = (): void => this.#reachable();

  constructor(client: RedisConnection, logger: Logger, clock: Clock = realClock) {
    this.#client = client;
    this.#logger = logger;
    this.#clock = clock;
    this.address = redisAddress(client);
  }

  /** Listens to the client's connection errors and reconnects (Server.start, once Redis answered). */
  watch(): void {
    if (this.#closed) return;
    (this.#client as Redis | Cluster).on('error', this.#onError);
    (this.#client as Redis | Cluster).on('ready', this.#onReady);
  }

  /** Whether an outage is going on (reported and not over). */
  get down(): boolean {
    return this.#since !== null;
  }

  /**
   * Takes a failure: true when it means Redis cannot be used (the caller logs nothing more), the
   * first of an outage logged here; false for any other error (the caller logs it as usual). A
   * connection failure reported late, while the client is connected again, is taken silently.
   */
  absorb(err: unknown): boolean {
    const failure = unavailableFailure(err);
    if (failure === null) return false;
    if (this.#since !== null || this.#closed) return true;
    if (!REPLY.test(failure.message) && this.#client.status === 'ready') return true;
    this.#since = this.#clock.now().getTime();
    this.#logger.error(`Redis at ${this.address} is unreachable (${outageCause(failure)}); retrying until it answers again`);
    if (REPLY.test(failure.message)) this.#scheduleProbe();
    return true;
  }

  /** Stops listening (the Server's shutdown, before it closes the connection). */
  close(): void {
    this.#closed = true;
    if (this.#probe) clearTimeout(this.#probe);
    (this.#client as Redis | Cluster).off('error', this.#onError);
    (this.#client as Redis | Cluster).off('ready', this.#onReady);
  }

  #reachable(): void {
    if (this.#since === null) return;
    const ms = this.#clock.now().getTime() - this.#since;
    this.#since = null;
    if (this.#probe) clearTimeout(this.#probe);
    this.#logger.info(`Redis at ${this.address} is reachable again after ${compactDuration(Math.max(1000, ms))}`);
  }

  /** While an outage the connection does not show (a refusing reply) lasts, PING once a second; the first answer ends it. */
  #scheduleProbe(): void {
    this.#probe = setTimeout(() => {
      this.#client.ping().then(() => this.#reachable(), () => {
        if (this.#since !== null && !this.#closed) this.#scheduleProbe();
      });
    }, PROBE_INTERVAL_MS);
    this.#probe.unref();
  }
}
