/**
 * The process lifecycle of an `asynq` command: its signals, how it ends early, and the fail-fast
 * check of its Redis connection.
 *
 * - Signals come from src/lib/signals.ts onStopSignals (the one module that listens to them).
 *   A one-shot command ends at the first SIGINT with status 130 (`interruptOnSigint`, installed
 *   by AsynqCommand). A long-running command (`worker run`, `cron run`, `dash`) says what each
 *   signal means with `untilStopped`: the first SIGINT/SIGTERM stops it gracefully, a second one
 *   ends it at once (130), SIGHUP reloads where that means something, SIGTSTP stops fetching.
 *   The command itself drives its service's start() and shutdown(), so a signal has one owner.
 * - Nothing here exits the process. Ending early rejects `interrupted` with oclif's ExitError;
 *   AsynqCommand races it against the command, and oclif's error handler (bin/run.js `execute`)
 *   is the one place that exits, with that status.
 * - `checkRedis`: one PING raced against a 5 s timer and the connection's first error, so an
 *   unreachable server or wrong credentials end in one RedisUnavailableError line (exit 5)
 *   naming the address and where it came from, before anything else happens. A database number
 *   the server does not have (SELECT refused) is a usage error (exit 2) naming its `databases`.
 */
import * as Errors from '@oclif/core/errors';
import type {ClusterOptions, RedisOptions} from 'ioredis';
import {RedisUnavailableError, ValidationError, errorMessage} from '../lib/errors.js';
import type {Logger} from '../lib/logger.js';
import {closeRedisClient, createRedisClient, type RedisConnection} from '../lib/redis.js';
import {onStopSignals, type StopSignal} from '../lib/signals.js';
import {describeConnection, type CliConnection, type ResolvedConnection} from './connection.js';
import {ExitCode} from './exit-codes.js';

const CONNECT_TIMEOUT_MS = 5_000;
const FAIL_FAST: RedisOptions = {
  connectTimeout: CONNECT_TIMEOUT_MS,
  maxRetriesPerRequest: 0,
  retryStrategy: () => null,
};

/** The connection with ioredis options that give up after one failed attempt (a one-shot command must not hang). */
export function failFast(conn: CliConnection): CliConnection {
  if ('addrs' in conn) {
    const clusterOptions: ClusterOptions = {
      clusterRetryStrategy: () => null,
      slotsRefreshTimeout: CONNECT_TIMEOUT_MS,
      ...conn.clusterOptions,
      redisOptions: {...FAIL_FAST, ...conn.clusterOptions?.redisOptions},
    };
    return {...conn, clusterOptions};
  }
  const sentinel: RedisOptions = 'masterName' in conn ? {sentinelRetryStrategy: () => null} : {};
  return {...conn, redisOptions: {...FAIL_FAST, ...sentinel, ...conn.redisOptions}} as CliConnection;
}

const AUTH_FAILURE = /\b(WRONGPASS|NOAUTH|NOPERM)\b|invalid password|invalid username-password/i;

const UNTRUSTED_CERT = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'INVALID_CA',
]);

const CLIENT_CERT_HINT =
  'the server requires a client certificate it trusts: give --tls-cert <file> and --tls-key <file>';

/** The fix for a failed TLS handshake (Node's error codes, OpenSSL's alerts), or undefined for another failure. */
function tlsFailure(err: unknown): string | undefined {
  const code = String((err as {code?: unknown} | undefined)?.code ?? '');
  const message = errorMessage(err);
  if (UNTRUSTED_CERT.has(code)) {
    return "give the CA certificate that signed the server's certificate: --tls-ca-cert <file> (or ASYNQ_TLS_CA_CERT, tls_ca_cert in ~/.asynq.yml); --tls-insecure skips the check (unsafe)";
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return "connect with a host name the server's certificate names, or give that name with --tls-server <name>";
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return "renew the server's certificate, or check this machine's clock";
  if (
    /CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|certificate required|bad certificate|unknown ca/i.test(
      `${code} ${message}`,
    )
  ) {
    return CLIENT_CERT_HINT;
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/i.test(message)) {
    return 'the server does not speak TLS on that port: use its TLS port, or redis:// without --tls';
  }
  return undefined;
}

/** The error for a failed first PING: what was tried, why it failed, and what to check. */
function unavailable(resolved: ResolvedConnection, err: unknown, lastError: unknown): RedisUnavailableError {
  const cause = lastError ?? err;
  const reason = errorMessage(cause).replace(/^(rdb\.Ping|ping): /, '');
  const where = `${describeConnection(resolved.conn)} (${resolved.source === 'default' ? 'the default address' : `from ${resolved.source}`})`;
  // TLS 1.3: a server that wants a client certificate checks it after the client's handshake is
  // done, then sends its alert and closes; the client can read the close (ECONNRESET) first.
  const tlsOpts = 'tls' in resolved.conn ? resolved.conn.tls : undefined;
  const resetAfterHandshake =
    (cause as {code?: unknown} | undefined)?.code === 'ECONNRESET' &&
    tlsOpts !== undefined &&
    tlsOpts !== false &&
    (tlsOpts === true || tlsOpts.cert === undefined);
  const tls = tlsFailure(cause) ?? (resetAfterHandshake ? CLIENT_CERT_HINT : undefined);
  if (tls !== undefined) {
    // OpenSSL's own words only: `8040…:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:…/rec_layer_s3.c:1601:…`.
    const ssl = /SSL routines:[^:]*:([^:]+):/.exec(reason)?.[1];
    return new RedisUnavailableError(`cannot connect to Redis at ${where}: ${ssl ?? reason}`, {cause, actions: [tls]});
  }
  if (AUTH_FAILURE.test(reason) || AUTH_FAILURE.test(errorMessage(err))) {
    return new RedisUnavailableError(`Redis at ${where} refused the credentials: ${reason}`, {
      cause,
      actions: ['check --username/--password, the user and password in the URI, or ~/.asynq.yml'],
    });
  }
  // A TLS-only server resets a plain connection.
  const plainToTls =
    (cause as {code?: unknown} | undefined)?.code === 'ECONNRESET' && !('tls' in resolved.conn && resolved.conn.tls);
  return new RedisUnavailableError(`cannot connect to Redis at ${where}: ${reason}`, {
    cause,
    actions: [
      'check --uri (or ASYNQ_REDIS_URL, REDIS_URL, ~/.asynq.yml) and that Redis is running there',
      ...(plainToTls ? ['if that port speaks TLS only: rediss://… or --tls'] : []),
    ],
  });
}

const DB_OUT_OF_RANGE = /DB index is out of range/i;

/**
 * The error for a --db (or URI path) the server does not have: Redis refuses the SELECT, and
 * ioredis would go on with db 0. Names the server's `databases` count when CONFIG GET answers.
 */
async function dbOutOfRange(resolved: ResolvedConnection): Promise<ValidationError> {
  const {conn} = resolved;
  const db = 'db' in conn ? (conn.db ?? 0) : 0;
  let count = '';
  const {client} = createRedisClient(failFast({...conn, db: 0} as CliConnection));
  try {
    const reply = (await Promise.race([
      client.config('GET', 'databases'),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), CONNECT_TIMEOUT_MS).unref()),
    ])) as string[];
    const n = Number(reply[1]);
    if (Number.isInteger(n) && n > 0)
      count = `: it has ${n} database${n === 1 ? '' : 's'} (0-${n - 1}, its "databases" setting)`;
  } catch {
    // CONFIG may be disabled or renamed (managed Redis): say it without the count.
  } finally {
    await closeRedisClient(client).catch(() => {});
  }
  const source = resolved.source === 'default' ? 'the default address' : `from ${resolved.source}`;
  return new ValidationError(
    `database ${db} does not exist on Redis at ${describeConnection({...conn, db: 0} as CliConnection)} (${source})${count}`,
    {
      actions: ['pick a smaller --db (or the number after / in the URI)'],
    },
  );
}

/**
 * The fail-fast check of a command's connection: a PING, raced against `timeoutMs` and against
 * the connection's first error (so a reconnecting connection fails as fast as a fail-fast one).
 * Throws unavailable(…) (exit 5); the caller keeps the connection either way, and closes it.
 */
export async function checkRedis(
  resolved: ResolvedConnection,
  client: RedisConnection,
  timeoutMs = CONNECT_TIMEOUT_MS,
): Promise<void> {
  let lastError: unknown;
  let timer: NodeJS.Timeout | undefined;
  let onError!: (e: unknown) => void;
  const failed = new Promise<never>((_, reject) => {
    onError = (e) => {
      lastError = e;
      reject(e);
    };
    timer = setTimeout(() => reject(new Error(`no answer to PING within ${timeoutMs / 1000}s`)), timeoutMs);
  });
  client.on('error', onError);
  try {
    await Promise.race([client.ping(), failed]);
  } catch (err) {
    if (DB_OUT_OF_RANGE.test(errorMessage(lastError ?? err))) throw await dbOutOfRange(resolved);
    throw unavailable(resolved, err, lastError);
  } finally {
    clearTimeout(timer);
    client.off('error', onError);
  }
}

/** What a long-running command does on each signal (see Lifecycle.untilStopped). */
export interface StopHandlers {
  /** Logs `stopping` and failed reloads. */
  logger?: Logger;
  /** The line logged at the first SIGINT/SIGTERM. */
  stopping?: (signal: StopSignal) => string;
  /** Called at the first SIGINT/SIGTERM, also while the command is still starting. */
  stop?: (signal: StopSignal) => void;
  /** Called at a second SIGINT/SIGTERM, just before the command ends with 130 (e.g. kill child processes). */
  force?: () => void;
  /** SIGHUP: reloads run one at a time; a failure is logged and the command goes on. */
  reload?: () => Promise<void>;
  /** SIGTSTP. */
  tstp?: () => void;
}

/** What untilStopped() gives the command. */
export interface Stopping {
  /** Resolves with the first SIGINT/SIGTERM. */
  readonly stopped: Promise<StopSignal>;
  /** Resolves when the reloads started so far have finished. */
  reloads(): Promise<void>;
}

/** One command run's signals and early end; AsynqCommand creates one per run and disposes of it. */
export class Lifecycle {
  /** Rejects with ExitError when the command must end now (never resolves). */
  readonly interrupted: Promise<never>;
  #end!: (err: Errors.ExitError) => void;
  readonly #disposers: (() => void)[] = [];
  readonly #onSigint = new Set<() => void>();

  constructor() {
    this.interrupted = new Promise<never>((_, reject) => (this.#end = reject));
    this.interrupted.catch(() => {}); // raced by AsynqCommand; never an unhandled rejection
  }

  /** Ends the command now with `exitCode` (oclif's handler exits the process). */
  interrupt(exitCode: number = ExitCode.SIGINT): void {
    this.#end(new Errors.ExitError(exitCode));
  }

  /** A one-shot command: the first SIGINT ends it with 130 (a second one gets Node's default). */
  interruptOnSigint(): void {
    this.#disposers.push(
      onStopSignals({
        signals: ['SIGINT'],
        stop: () => {
          process.stderr.write('\n');
          for (const fn of this.#onSigint) fn();
          this.interrupt();
        },
      }),
    );
  }

  /**
   * `fn` runs at the SIGINT that ends a one-shot command, just before it ends (e.g. to say what
   * it leaves behind); returns the function that removes it.
   */
  onSigint(fn: () => void): () => void {
    this.#onSigint.add(fn);
    return () => this.#onSigint.delete(fn);
  }

  /**
   * A long-running command's signals, until the run ends: the first SIGINT/SIGTERM logs
   * `stopping`, calls `stop` and resolves `stopped`; a second one calls `force` and ends the
   * command with 130; SIGHUP runs `reload` (serialised, never after a stop signal); SIGTSTP `tstp`.
   */
  untilStopped(h: StopHandlers): Stopping {
    let stopped!: (signal: StopSignal) => void;
    const stopping = new Promise<StopSignal>((resolve) => (stopped = resolve));
    let reloading: Promise<void> = Promise.resolve();
    const reload = h.reload;
    this.#disposers.push(
      onStopSignals({
        stop: (signal) => {
          if (h.stopping) h.logger?.info(h.stopping(signal));
          h.stop?.(signal);
          stopped(signal);
        },
        force: () => {
          h.force?.();
          this.interrupt();
        },
        ...(reload
          ? {
              reload: () => {
                reloading = reloading
                  .then(reload)
                  .catch((err: unknown) => h.logger?.error(`Reload failed: ${String(err)}`));
              },
            }
          : {}),
        ...(h.tstp ? {tstp: h.tstp} : {}),
      }),
    );
    return {stopped: stopping, reloads: () => reloading};
  }

  /** Removes every signal listener of this run. */
  dispose(): void {
    for (const d of this.#disposers.splice(0)) d();
  }
}
