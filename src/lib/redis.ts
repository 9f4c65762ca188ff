/**
 * Redis connections (Go asynq's RedisConnOpt, ParseRedisURI and MakeRedisClient), built on ioredis.
 *
 * A `RedisConnOpt` is a URI string, one of three option objects (single server, Sentinel,
 * Cluster), or an ioredis `Redis`/`Cluster` the caller already has. `createRedisClient` turns it
 * into a client and says whether the caller of createRedisClient owns it (and must close it):
 * a passed-in instance stays the caller's.
 *
 * Error messages never contain the URI or a password: they name only the part that is wrong.
 */
import {isIP, isIPv6} from 'node:net';
import {checkServerIdentity, type ConnectionOptions} from 'node:tls';
import {Cluster, Redis, type ClusterOptions, type RedisOptions} from 'ioredis';
import {ValidationError} from './errors.js';

/** A single Redis server (Go RedisClientOpt). */
export interface RedisClientOpt {
  /** `host:port` (default port 6379; `[::1]:6379` for IPv6), or the socket path when network is 'unix'. */
  addr: string;
  /** 'tcp' (default) or 'unix' (addr is a socket path). */
  network?: 'tcp' | 'unix';
  /** ACL user name (Redis >= 6); without it the password authenticates the default user. */
  username?: string;
  password?: string;
  /** Database number (default 0). */
  db?: number;
  /**
   * TLS: true, or node:tls options such as `{ca, cert, key, rejectUnauthorized, servername}`.
   * `rediss://` URIs set `{servername: host}` for a host name (`{}` for an IP address: Node
   * checks the certificate against the address it connects to).
   */
  tls?: boolean | ConnectionOptions;
  /** Further ioredis options (timeouts, retryStrategy…); the fields above take precedence. No keyPrefix. */
  redisOptions?: RedisOptions;
}

/** Redis behind Sentinel, with automatic failover (Go RedisFailoverClientOpt). */
export interface RedisFailoverClientOpt {
  /** Name of the master the sentinels monitor. */
  masterName: string;
  /** Sentinel addresses `host:port` (default port 26379). */
  sentinelAddrs: string[];
  /** Password of the sentinels themselves. */
  sentinelPassword?: string;
  /** ACL user name for the master. */
  username?: string;
  /** Password of the master. */
  password?: string;
  db?: number;
  /** TLS (as in RedisClientOpt) for the sentinels and the master alike, as Go's TLSConfig. */
  tls?: boolean | ConnectionOptions;
  /**
   * Further ioredis options; the fields above take precedence. No keyPrefix. They override the
   * Sentinel defaults (SENTINEL_CLIENT_DEFAULTS: failoverDetector, READONLY reconnect, retry).
   */
  redisOptions?: RedisOptions;
}

/** Redis Cluster (Go RedisClusterClientOpt). */
export interface RedisClusterClientOpt {
  /** Seed node addresses `host:port`. */
  addrs: string[];
  /** How many MOVED/ASK redirections a command may follow (ioredis default 16). */
  maxRedirects?: number;
  username?: string;
  password?: string;
  tls?: boolean | ConnectionOptions;
  /** Further ioredis Cluster options; the fields above take precedence. No keyPrefix. */
  clusterOptions?: ClusterOptions;
}

/**
 * How to reach Redis: a URI (see parseRedisURI), an option object, or an existing ioredis
 * `Redis`/`Cluster` instance (the caller keeps ownership: closing a Client/Server/Inspector built
 * on it leaves it open).
 */
export type RedisConnOpt = string | RedisClientOpt | RedisFailoverClientOpt | RedisClusterClientOpt | Redis | Cluster;

/** The client type every asynq component talks to. */
export type RedisConnection = Redis | Cluster;

const DEFAULT_PORT = 6379;
const DEFAULT_SENTINEL_PORT = 26379;

const invalid = (reason: string): ValidationError =>
  new ValidationError(`invalid redis URI: ${reason}`, {
    actions: [
      'use redis://[user:pass@]host:port[/db], rediss://…, redis-socket://[user:pass@]/path/to.sock[?db=N] or redis-sentinel://[:pass@]host1:port,host2:port/masterName[?db=N]',
    ],
  });

interface UriParts {
  scheme: string;
  username?: string;
  password?: string;
  host: string;
  path: string;
  query: URLSearchParams;
}

function decode(s: string, what: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw invalid(`bad percent-encoding in the ${what}`);
  }
}

/** Splits `scheme://[userinfo@]host[/path][?query][#fragment]` as Go's url.Parse does. */
function splitUri(uri: string): UriParts {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s.exec(uri.trim());
  if (!m) throw invalid('expected <scheme>://…');
  const scheme = m[1]!.toLowerCase();
  let rest = m[2]!;
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const authorityEnd = rest.search(/[/?]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  rest = authorityEnd < 0 ? '' : rest.slice(authorityEnd);
  const q = rest.indexOf('?');
  const rawPath = q < 0 ? rest : rest.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : rest.slice(q + 1));
  const at = authority.lastIndexOf('@');
  const parts: UriParts = {scheme, host: authority.slice(at + 1), path: decode(rawPath, 'path'), query};
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(':');
    const user = decode(colon < 0 ? userinfo : userinfo.slice(0, colon), 'user name');
    if (user !== '') parts.username = user;
    if (colon >= 0) parts.password = decode(userinfo.slice(colon + 1), 'password');
  }
  return parts;
}

function parsePort(text: string, where: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw invalid(`port ${JSON.stringify(text)} of ${where} is not a number between 1 and 65535`);
  }
  return Number(text);
}

/** `host:port` / `[v6]:port` / `host` → host and port (defaultPort when absent). */
function splitHostPort(addr: string, defaultPort: number, where = 'the address'): {host: string; port: number} {
  const v6 = /^\[([^\]]*)\](?::(.*))?$/.exec(addr);
  if (v6) return {host: checkV6(v6[1]!, where), port: v6[2] === undefined ? defaultPort : parsePort(v6[2], where)};
  const colon = addr.lastIndexOf(':');
  if (colon < 0) return {host: addr, port: defaultPort};
  if (addr.indexOf(':') !== colon) return {host: checkV6(addr, where), port: defaultPort}; // bare IPv6 without brackets
  return {host: addr.slice(0, colon), port: parsePort(addr.slice(colon + 1), where)};
}

/** A host with a colon must be an IPv6 address (`redis://:::` is not one; ioredis would try to resolve it). */
function checkV6(host: string, where: string): string {
  if (!isIPv6(host)) throw invalid(`${where} ${JSON.stringify(host)} is neither a host name nor an IPv6 address`);
  return host;
}

function parseDb(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw invalid(`${what} should be a database number, got ${JSON.stringify(text)}`);
  return Number(text);
}

function dbFromQuery(u: UriParts): number | undefined {
  const db = u.query.get('db');
  return db === null || db === '' ? undefined : parseDb(db, 'query parameter db');
}

/**
 * Parses a Redis URI into an option object (the schemes of Go's ParseRedisURI):
 * - `redis://[user:pass@]host[:port][/db]` and `rediss://…` (TLS, servername = host);
 * - `redis-socket://[user:pass@]/path/to.sock[?db=N]`;
 * - `redis-sentinel://[:pass@]host1:port,host2:port/masterName[?db=N]`; Go's form
 *   `…?master=masterName` works too. As in Go, the URI's password is the **sentinels'** password;
 *   give a master password with the option object.
 * User names are honoured (Go ignores them). Throws ValidationError naming the faulty part; the
 * message never contains the URI or its password.
 */
export function parseRedisURI(uri: string): RedisClientOpt | RedisFailoverClientOpt {
  if (typeof uri !== 'string') throw invalid('expected a string');
  const u = splitUri(uri);
  const auth = (): Pick<RedisClientOpt, 'username' | 'password'> => ({
    ...(u.username !== undefined ? {username: u.username} : {}),
    ...(u.password !== undefined ? {password: u.password} : {}),
  });
  switch (u.scheme) {
    case 'redis':
    case 'rediss': {
      const segment = u.path.replace(/^\/+/, '').split('/')[0] ?? '';
      const db = segment === '' ? undefined : parseDb(segment, 'the first path segment');
      const {host, port} = splitHostPort(u.host === '' ? 'localhost' : u.host, DEFAULT_PORT, 'the host');
      if (host === '') throw invalid('missing host name');
      const addr = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      return {
        addr, ...auth(), ...(db !== undefined ? {db} : {}),
        ...(u.scheme === 'rediss' ? {tls: isIP(host) ? {} : {servername: host}} : {}),
      };
    }
    case 'redis-socket': {
      if (u.host !== '') throw invalid('a redis-socket URI has no host: write redis-socket:///path/to.sock');
      if (u.path === '' || u.path === '/') throw invalid('redis-socket URI without a socket path');
      const db = dbFromQuery(u);
      return {addr: u.path, network: 'unix', ...auth(), ...(db !== undefined ? {db} : {})};
    }
    case 'redis-sentinel': {
      const sentinelAddrs = u.host.split(',').map((a) => a.trim());
      if (sentinelAddrs.some((a) => a === '')) throw invalid('empty sentinel address');
      for (const a of sentinelAddrs) splitHostPort(a, DEFAULT_SENTINEL_PORT, 'a sentinel address');
      const masterName = u.query.get('master') ?? u.path.replace(/^\/+|\/+$/g, '');
      if (masterName === '') throw invalid('redis-sentinel URI without a master name (…/masterName or ?master=masterName)');
      const db = dbFromQuery(u);
      return {
        masterName, sentinelAddrs,
        ...(u.password !== undefined ? {sentinelPassword: u.password} : {}),
        ...(db !== undefined ? {db} : {}),
      };
    }
    default:
      throw invalid(`unsupported scheme ${JSON.stringify(u.scheme)}`);
  }
}

/** True for an ioredis Redis or Cluster (also from another copy of ioredis). */
export function isRedisInstance(v: unknown): v is RedisConnection {
  if (v instanceof Redis || v instanceof Cluster) return true;
  const o = v as Record<string, unknown> | null;
  return typeof o === 'object' && o !== null &&
    typeof o.sendCommand === 'function' && typeof o.pipeline === 'function' && typeof o.defineCommand === 'function';
}

function rejectKeyPrefix(prefix: unknown): void {
  if (prefix !== undefined && prefix !== '') {
    throw new ValidationError('ioredis keyPrefix is not supported: asynq keys must be exactly "asynq:…" to be shared with other asynq peers');
  }
}

function checkDb(db: number | undefined): void {
  if (db !== undefined && (!Number.isInteger(db) || db < 0)) throw new ValidationError(`invalid redis db ${String(db)}: must be an integer >= 0`);
}

/**
 * The node:tls options for ioredis. A server name that is an IP address is not sent: SNI takes
 * host names only (RFC 6066) and Node warns about it (DEP0123) on every connection. The
 * certificate is then checked against that address instead.
 */
function tlsOptions(tls: boolean | ConnectionOptions | undefined): ConnectionOptions | undefined {
  if (tls === undefined || tls === false) return undefined;
  if (tls === true) return {};
  const {servername, ...rest} = tls;
  if (servername === undefined || !isIP(servername)) return tls;
  return {checkServerIdentity: (_host, cert) => checkServerIdentity(servername, cert), ...rest};
}

function tlsOption(tls: boolean | ConnectionOptions | undefined): {tls?: ConnectionOptions} {
  const options = tlsOptions(tls);
  return options === undefined ? {} : {tls: options};
}

/** Connection errors show up as failed commands; without a listener ioredis would also print them. */
function quietErrors<T extends RedisConnection>(c: T): T {
  c.on('error', () => {});
  return c;
}

function clientFromOptions(opt: RedisClientOpt): Redis {
  if (typeof opt.addr !== 'string') throw new ValidationError('RedisClientOpt.addr must be a string ("host:port" or a socket path)');
  checkDb(opt.db);
  rejectKeyPrefix(opt.redisOptions?.keyPrefix);
  const where = opt.network === 'unix'
    ? {path: opt.addr}
    : (() => {
      const {host, port} = splitHostPort(opt.addr === '' ? 'localhost' : opt.addr, DEFAULT_PORT);
      return {host, port};
    })();
  return new Redis({
    ...opt.redisOptions, ...where,
    ...(opt.username !== undefined ? {username: opt.username} : {}),
    ...(opt.password !== undefined ? {password: opt.password} : {}),
    db: opt.db ?? 0,
    ...tlsOption(opt.tls),
  });
}

/**
 * ioredis settings of a Sentinel client (redisOptions may override each):
 * - failoverDetector: subscribe to +switch-master on the sentinels and reconnect at once on a
 *   failover. Without it the client keeps writing to the old master until Sentinel demotes it
 *   and kills its connections; those writes are acknowledged, then wiped when the old master
 *   resyncs from the new one (measured: thousands of lost enqueues per failover under load).
 * - reconnectOnError READONLY: a write that reached a demoted master was not executed; reconnect
 *   (through the sentinels) and send it again.
 * - retryStrategy: reconnect attempts every 50, 100, … ms, at most 500 ms apart (ioredis: 2 s),
 *   so work resumes within half a second once the new master is known.
 */
const SENTINEL_CLIENT_DEFAULTS: RedisOptions = {
  failoverDetector: true,
  reconnectOnError: (err) => (/^READONLY\b/.test(err.message) ? 2 : false),
  retryStrategy: (attempt) => Math.min(attempt * 50, 500),
};

/** How long a closing connection to a sentinel may take before its socket is destroyed. */
const SENTINEL_DISCONNECT_TIMEOUT_MS = 100;

/** The parts of ioredis 5's SentinelConnector (connectors/SentinelConnector) SentinelClient hooks into. */
interface SentinelConnectorInternals {
  connecting?: boolean;
  failoverDetector?: {cleanup(): void} | null;
  connectToSentinel?: (endpoint: unknown, options?: RedisOptions) => Redis;
  initFailoverDetector?: () => Promise<void>;
}

/**
 * A Sentinel client that closes completely and quietly, and survives an ioredis 5
 * failoverDetector race.
 *
 * Closing: the failover detector keeps its own connection to each sentinel (subscribed to
 * +switch-master, reconnecting every minute to a sentinel that is down). ioredis closes them only
 * in disconnect(), not when quit() ends the client, so they would keep the process alive for
 * ever. They are closed whenever the client ends, and none are opened once it is closing.
 *
 * Quiet: those detector connections have no error listener in ioredis, so a sentinel that is
 * down printed "[ioredis] Unhandled error event" with a stack trace on every attempt; they get
 * one (the detector already skips a sentinel it cannot reach). Closing a connection to a sentinel
 * that is down armed ioredis's 2 s disconnect timer (disconnectTimeout), which kept the process
 * alive that long: these connections carry no data worth waiting for, so the timer is short.
 *
 * The race: when +switch-master arrives while the client is resolving the master through the
 * sentinels (reconnecting after a killed master), the detector's disconnect makes that connect
 * fail with "Connection is closed.", and ioredis fails every queued command with it and ends the
 * client for good (status 'end': every later command is refused). Seen in about one test run in
 * six. Exactly that failure (during 'connecting', not asked for by disconnect()/quit()) keeps the
 * queued commands and starts a new connect() at once, which asks the sentinels again: the
 * commands sent during the outage go to the promoted master. duplicate() (the cancelation
 * subscriber's connection) gets the same protection.
 */
class SentinelClient extends Redis {
  /** Set when a connect was cut by the failover detector: the next 'end' reconnects. */
  #resume = false;

  constructor(options: RedisOptions) {
    // Connect only once the connector is hooked: ioredis's constructor would start resolving the
    // master through the sentinels at once.
    super({...options, lazyConnect: true});
    this.options.lazyConnect = options.lazyConnect ?? false;
    const connector = (this as unknown as {connector: SentinelConnectorInternals}).connector;
    const connectToSentinel = connector.connectToSentinel?.bind(connector);
    if (connectToSentinel) {
      connector.connectToSentinel = (endpoint, opts) => {
        const sentinel = connectToSentinel(endpoint, {...opts, disconnectTimeout: SENTINEL_DISCONNECT_TIMEOUT_MS});
        sentinel.on('error', () => {});
        return sentinel;
      };
    }
    const initFailoverDetector = connector.initFailoverDetector?.bind(connector);
    if (initFailoverDetector) {
      connector.initFailoverDetector = async () => {
        if (connector.connecting !== true || this.closing()) return;
        await initFailoverDetector();
        if (this.status === 'end') connector.failoverDetector?.cleanup();
      };
    }
    // Connection errors are retried (retryStrategy); ioredis would print each one with a stack
    // trace when nobody listens. Callers that want them add their own listener.
    this.on('error', () => {});
    this.on('end', () => {
      connector.failoverDetector?.cleanup();
      if (!this.#resume) return;
      this.#resume = false;
      if (this.status === 'end' && !this.manuallyClosingNow()) this.connect().catch(() => {});
    });
    // ioredis fails the queued commands when a connect ends (its private flushQueue); not when the
    // connect was cut by the failover detector: they wait for the reconnect instead.
    const internals = this as unknown as {flushQueue: (error: Error, options?: unknown) => void};
    const flushQueue = internals.flushQueue.bind(this);
    internals.flushQueue = (error, options) => {
      if (this.status === 'connecting' && !this.manuallyClosingNow() && error.message === 'Connection is closed.') {
        this.#resume = true;
        return;
      }
      flushQueue(error, options);
    };
    if (!this.options.lazyConnect) this.connect().catch(() => {});
  }

  private manuallyClosingNow(): boolean {
    return (this as unknown as {manuallyClosing?: boolean}).manuallyClosing === true;
  }

  /** True once disconnect()/quit() was asked for or the client has ended. */
  private closing(): boolean {
    return this.status === 'end' || this.manuallyClosingNow();
  }

  override duplicate(override?: Partial<RedisOptions>): Redis {
    return new SentinelClient({...this.options, ...override});
  }
}

function failoverClient(opt: RedisFailoverClientOpt): Redis {
  if (typeof opt.masterName !== 'string' || opt.masterName.trim() === '') throw new ValidationError('RedisFailoverClientOpt.masterName cannot be empty');
  if (!Array.isArray(opt.sentinelAddrs) || opt.sentinelAddrs.length === 0) throw new ValidationError('RedisFailoverClientOpt.sentinelAddrs needs at least one address');
  checkDb(opt.db);
  rejectKeyPrefix(opt.redisOptions?.keyPrefix);
  return new SentinelClient({
    ...SENTINEL_CLIENT_DEFAULTS,
    ...opt.redisOptions,
    sentinels: opt.sentinelAddrs.map((a) => splitHostPort(a, DEFAULT_SENTINEL_PORT)),
    name: opt.masterName,
    ...(opt.sentinelPassword !== undefined ? {sentinelPassword: opt.sentinelPassword} : {}),
    ...(opt.username !== undefined ? {username: opt.username} : {}),
    ...(opt.password !== undefined ? {password: opt.password} : {}),
    db: opt.db ?? 0,
    ...sentinelTlsOption(opt.tls),
  });
}

/** ioredis's Sentinel TLS: sentinelTLS for the sentinels, tls with enableTLSForSentinelMode for the master. */
function sentinelTlsOption(tls: boolean | ConnectionOptions | undefined): RedisOptions {
  const options = tlsOptions(tls);
  return options === undefined ? {} : {tls: options, sentinelTLS: options, enableTLSForSentinelMode: true};
}

function clusterClient(opt: RedisClusterClientOpt): Cluster {
  if (!Array.isArray(opt.addrs) || opt.addrs.length === 0) throw new ValidationError('RedisClusterClientOpt.addrs needs at least one address');
  rejectKeyPrefix(opt.clusterOptions?.keyPrefix);
  rejectKeyPrefix(opt.clusterOptions?.redisOptions?.keyPrefix);
  return new Cluster(opt.addrs.map((a) => splitHostPort(a, DEFAULT_PORT)), {
    ...opt.clusterOptions,
    ...(opt.maxRedirects !== undefined ? {maxRedirections: opt.maxRedirects} : {}),
    redisOptions: {
      ...opt.clusterOptions?.redisOptions,
      ...(opt.username !== undefined ? {username: opt.username} : {}),
      ...(opt.password !== undefined ? {password: opt.password} : {}),
      ...tlsOption(opt.tls),
    },
  });
}

/**
 * Builds the ioredis client for a RedisConnOpt. `owned` is false for a passed-in instance (the
 * caller closes it), true otherwise (close it with closeRedisClient). Throws ValidationError for
 * a bad URI or option object, and for an instance or options with an ioredis keyPrefix (asynq
 * keys must be byte-identical to Go's).
 */
export function createRedisClient(opt: RedisConnOpt): {client: RedisConnection; owned: boolean} {
  if (isRedisInstance(opt)) {
    const o = opt.options as {keyPrefix?: unknown; redisOptions?: {keyPrefix?: unknown}} | undefined;
    rejectKeyPrefix(o?.keyPrefix);
    rejectKeyPrefix(o?.redisOptions?.keyPrefix);
    return {client: opt, owned: false};
  }
  const o = typeof opt === 'string' ? parseRedisURI(opt) : opt;
  if (typeof o !== 'object' || o === null) throw new ValidationError('expected a Redis URI, an option object or an ioredis instance');
  if ('addrs' in o) return {client: quietErrors(clusterClient(o)), owned: true};
  if ('masterName' in o) return {client: quietErrors(failoverClient(o)), owned: true};
  if ('addr' in o) return {client: quietErrors(clientFromOptions(o)), owned: true};
  throw new ValidationError('unrecognised Redis option object: expected {addr}, {masterName, sentinelAddrs} or {addrs}');
}

function closeWaitMs(c: RedisConnection): number {
  const t = (c.options as {connectTimeout?: number}).connectTimeout;
  return typeof t === 'number' && t > 0 ? t : 10_000;
}

/**
 * Closes a client: QUIT when connected. A single-server or Sentinel client that is reconnecting
 * (Redis unreachable) stops retrying: its next attempt ends it, failing the commands still waiting
 * for a reconnect with "Connection is closed." (disconnect() alone would leave them pending for
 * ever), or, if Redis answers again first, they run and the client QUITs. Anything else not
 * connected is dropped. Resolves once it has ended.
 */
export async function closeRedisClient(c: RedisConnection): Promise<void> {
  if (c.status === 'end') return;
  const ended = new Promise<void>((resolve) => c.once('end', () => resolve()));
  if (!c.isCluster && ['reconnecting', 'connecting'].includes(c.status)) {
    // A Sentinel client that cannot reach any sentinel stops at the end of its current round.
    Object.assign(c.options, {retryStrategy: () => null, sentinelRetryStrategy: () => null});
    const ready = new Promise<void>((resolve) => c.once('ready', () => resolve()));
    // A server that accepts the connection but never answers gives neither 'ready' nor 'end':
    // wait at most one connect timeout, then drop the socket (its close fails the queued commands).
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => { timer = setTimeout(resolve, closeWaitMs(c)); });
    await Promise.race([ended, ready, gaveUp]);
    clearTimeout(timer);
  }
  const status: string = c.status; // re-read after the wait
  if (status === 'end') return;
  if (status !== 'ready') {
    c.disconnect();
    return;
  }
  try {
    await c.quit();
  } catch {
    c.disconnect();
  }
  await ended;
}

/** How long the last connection attempt of dropRedisClient may take. */
const DROP_CONNECT_TIMEOUT_MS = 500;

/**
 * Ends a client now instead of waiting for Redis (closeRedisClient is the graceful close): the
 * commands waiting for Redis fail with "Connection is closed." and later ones fail at once.
 * Retries are switched off; a client waiting to reconnect makes its attempt now (ioredis's
 * disconnect() would leave it, and its queued commands, waiting for ever), and that attempt ends
 * it unless Redis answers again, in which case the queued commands run. A connected client drops
 * its socket.
 */
export function dropRedisClient(c: RedisConnection): void {
  if (c.status === 'end') return;
  Object.assign(c.options, c.isCluster
    ? {clusterRetryStrategy: () => null}
    : {retryStrategy: () => null, sentinelRetryStrategy: () => null, connectTimeout: DROP_CONNECT_TIMEOUT_MS});
  const internals = c as unknown as {reconnectTimeout?: NodeJS.Timeout | null; stream?: {destroy(): void}};
  if (c.status === 'reconnecting') {
    clearTimeout(internals.reconnectTimeout ?? undefined);
    internals.reconnectTimeout = null;
    c.connect().catch(() => {});
    return;
  }
  c.disconnect();
  if (!c.isCluster) internals.stream?.destroy();
}
