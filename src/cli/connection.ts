/**
 * Where the `asynq` CLI connects: flags, then ASYNQ_REDIS_URL / REDIS_URL, then the config file
 * (--config, default ~/.asynq.yml with Go asynq CLI's keys), then a running `asynq dev`
 * (dev-server.ts readDevState), then 127.0.0.1:6379.
 *
 * Rules (documented in the README "Command line" section and in man/asynq.1):
 *  1. Each setting comes from the first source that sets it, in that order.
 *  2. A source "names the server" when it sets a URI/address, cluster addresses, or Sentinel
 *     addresses/master name. Sources below the first one that names the server are not read
 *     (except for built-in defaults), so a password in ~/.asynq.yml is never sent to a server
 *     named on the command line or in ASYNQ_REDIS_URL.
 *  3. `--cluster` alone is a switch, not a server name: the addresses then come from the first
 *     source that has `cluster_addrs` (or Go's default 127.0.0.1:7000-7005).
 *  4. TLS: --tls, a rediss:// URI, or any of the TLS settings (CA file, client certificate and
 *     key, --tls-insecure, --tls-server; ASYNQ_TLS_* in the environment; tls_* keys and Go's
 *     tls_server/insecure in the config file) turns it on, for every kind of server. The PEM files
 *     are read and checked here, so a bad one is a usage error naming the file.
 *  5. `--uri` accepts `host:port` (as Go's CLI does) or a redis://, rediss://, redis-socket://,
 *     redis-sentinel:// URI (parsed by redis.ts parseRedisURI). db/username/password/tls set
 *     next to a URI override the URI's own parts (for redis-sentinel://, the URI's password is
 *     the sentinels' and --password the master's, as in Go).
 *  5. When no source names the server, the address of a running `asynq dev` (its state file
 *     dev.json, only while its PID is alive) replaces the default 127.0.0.1:6379; the settings
 *     the sources did give (db, username, password, tls) still apply, as they would to the default.
 *     `--cluster` (or `cluster: true`) alone keeps Go's cluster default instead.
 *
 * The result is the engine's RedisConnOpt (an option object), ready for createRedisClient/Inspector.
 * Pure: the environment, home directory and file reader are parameters, so tests need no mocks.
 */
import {X509Certificate, createPrivateKey} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {isIPv6} from 'node:net';
import {homedir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import type {ConnectionOptions} from 'node:tls';
import type * as Yaml from 'yaml';
import {closestName} from './not-found.js';
import {ValidationError} from '../lib/errors.js';
import {pidAlive, readDevState} from './dev-server.js';
import {
  parseRedisURI,
  type RedisClientOpt,
  type RedisClusterClientOpt,
  type RedisFailoverClientOpt,
} from '../lib/redis.js';

/** Connection flags as parsed by oclif (see flags.ts connectionFlags). */
export interface ConnectionFlags {
  uri?: string;
  db?: number;
  username?: string;
  password?: string;
  tls?: boolean;
  'tls-ca-cert'?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  'tls-insecure'?: boolean;
  'tls-server'?: string;
  cluster?: boolean;
  'cluster-addrs'?: string;
  'sentinel-addrs'?: string;
  'master-name'?: string;
  config?: string;
}

/** What the CLI connects with: one of the engine's RedisConnOpt option objects. */
export type CliConnection = RedisClientOpt | RedisFailoverClientOpt | RedisClusterClientOpt;

export interface ResolvedConnection {
  conn: CliConnection;
  /** Which source named the server: 'flags', 'ASYNQ_REDIS_URL', 'REDIS_URL', the config file path, 'asynq dev (<state file>)', or 'default'. */
  source: string;
  /** The config file that was read, if any. */
  configFile?: string;
  /** Things to warn about on stderr (unknown keys in the config file); the command goes on. */
  warnings?: string[];
}

export interface ResolveContext {
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
  /** Reads a file; returns undefined when it does not exist. */
  readFile?: (path: string) => string | undefined;
  /** Whether a process is alive (for the `asynq dev` state file). */
  pidAlive?: (pid: number) => boolean;
}

const DEFAULT_ADDR = '127.0.0.1:6379';
/** Go asynq CLI's default --cluster_addrs. */
export const DEFAULT_CLUSTER_ADDRS = [
  '127.0.0.1:7000',
  '127.0.0.1:7001',
  '127.0.0.1:7002',
  '127.0.0.1:7003',
  '127.0.0.1:7004',
  '127.0.0.1:7005',
];
const CONFIG_FILE_NAMES = ['.asynq.yml', '.asynq.yaml'];
const URL_ENV_VARS = ['ASYNQ_REDIS_URL', 'REDIS_URL'] as const;

/** One source's settings, in a common shape. */
interface Layer {
  source: string;
  warnings?: string[];
  uri?: string;
  db?: number;
  username?: string;
  password?: string;
  tls?: boolean;
  /** Absolute paths of the PEM files. */
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsInsecure?: boolean;
  tlsServer?: string;
  cluster?: boolean;
  clusterAddrs?: string[];
  sentinelAddrs?: string[];
  masterName?: string;
}

type Setting = Exclude<keyof Layer, 'source' | 'warnings'>;
const SETTINGS: readonly Setting[] = [
  'uri',
  'db',
  'username',
  'password',
  'tls',
  'tlsCaCert',
  'tlsCert',
  'tlsKey',
  'tlsInsecure',
  'tlsServer',
  'cluster',
  'clusterAddrs',
  'sentinelAddrs',
  'masterName',
];
const SERVER_NAMING: readonly Setting[] = ['uri', 'clusterAddrs', 'sentinelAddrs', 'masterName'];
const URI_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === '' ? undefined : s.trim();
}

function splitAddrs(s: string, what: string): string[] {
  const addrs = s
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  if (addrs.length === 0) throw new ValidationError(`${what} needs at least one host:port address`);
  for (const a of addrs) checkAddr(a, what);
  return addrs;
}

const ADDR = /^(\[[0-9a-fA-F:.]+\]|[^\s:/@[\]]+)(:\d{1,5})?$/;

function checkAddr(addr: string, what: string): void {
  const m = ADDR.exec(addr);
  const v6 = m?.[1]!.startsWith('[') === true && !isIPv6(m[1]!.slice(1, -1));
  if (!m || v6 || (m[2] !== undefined && Number(m[2].slice(1)) > 65535)) {
    throw new ValidationError(`invalid ${what} ${JSON.stringify(addr)}: expected host:port or a redis:// URI`);
  }
}

function checkDb(db: number, what: string): number {
  if (!Number.isInteger(db) || db < 0)
    throw new ValidationError(`invalid ${what} ${db}: must be a non-negative integer`);
  return db;
}

/** A file path as given: `~/` is the home directory, a relative path is relative to `base`. */
function filePath(p: string | undefined, homeDir: string, base: string): string | undefined {
  const s = nonEmpty(p);
  if (s === undefined) return undefined;
  return s.startsWith('~/') ? join(homeDir, s.slice(2)) : resolve(base, s);
}

function flagLayer(f: ConnectionFlags, homeDir: string): Layer {
  const l: Layer = {source: 'flags'};
  l.uri = nonEmpty(f.uri);
  if (f.db !== undefined) l.db = checkDb(f.db, '--db');
  l.username = nonEmpty(f.username);
  if (f.password !== undefined && f.password !== '') l.password = f.password;
  if (f.tls) l.tls = true;
  l.tlsCaCert = filePath(f['tls-ca-cert'], homeDir, process.cwd());
  l.tlsCert = filePath(f['tls-cert'], homeDir, process.cwd());
  l.tlsKey = filePath(f['tls-key'], homeDir, process.cwd());
  if (f['tls-insecure']) l.tlsInsecure = true;
  l.tlsServer = nonEmpty(f['tls-server']);
  if (f.cluster) l.cluster = true;
  const ca = nonEmpty(f['cluster-addrs']);
  if (ca !== undefined) l.clusterAddrs = splitAddrs(ca, '--cluster-addrs');
  const sa = nonEmpty(f['sentinel-addrs']);
  if (sa !== undefined) l.sentinelAddrs = splitAddrs(sa, '--sentinel-addrs');
  l.masterName = nonEmpty(f['master-name']);
  const kinds = [
    l.uri !== undefined && '--uri',
    l.clusterAddrs !== undefined && '--cluster-addrs',
    (l.sentinelAddrs !== undefined || l.masterName !== undefined) && '--sentinel-addrs/--master-name',
  ].filter((k): k is string => k !== false);
  if (kinds.length > 1) throw new ValidationError(`${kinds.join(' and ')} name different servers: give only one`);
  return l;
}

function envBoolean(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const v = nonEmpty(env[name])?.toLowerCase();
  if (v === undefined) return undefined;
  if (['1', 'true', 'yes'].includes(v)) return true;
  if (['0', 'false', 'no'].includes(v)) return false;
  throw new ValidationError(`invalid ${name} ${JSON.stringify(env[name])}: expected true or false`);
}

function envLayer(env: NodeJS.ProcessEnv, homeDir: string): Layer | undefined {
  const tls: Layer = {
    source: 'environment',
    tlsCaCert: filePath(env.ASYNQ_TLS_CA_CERT, homeDir, process.cwd()),
    tlsCert: filePath(env.ASYNQ_TLS_CERT, homeDir, process.cwd()),
    tlsKey: filePath(env.ASYNQ_TLS_KEY, homeDir, process.cwd()),
    tlsInsecure: envBoolean(env, 'ASYNQ_TLS_INSECURE'),
    tlsServer: nonEmpty(env.ASYNQ_TLS_SERVER),
  };
  for (const name of URL_ENV_VARS) {
    const uri = nonEmpty(env[name]);
    if (uri !== undefined) return {...tls, source: name, uri};
  }
  return SETTINGS.some((k) => tls[k] !== undefined) ? tls : undefined;
}

function configPath(flags: ConnectionFlags, ctx: Required<ResolveContext>): {path: string; explicit: boolean}[] {
  const explicit = nonEmpty(flags.config);
  if (explicit !== undefined) {
    const p = explicit.startsWith('~/') ? join(ctx.homeDir, explicit.slice(2)) : resolve(explicit);
    return [{path: p, explicit: true}];
  }
  return CONFIG_FILE_NAMES.map((n) => ({path: join(ctx.homeDir, n), explicit: false}));
}

function configValue<T>(
  doc: Record<string, unknown>,
  key: string,
  type: 'string' | 'number' | 'boolean',
  file: string,
): T | undefined {
  const v = doc[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (type === 'number' && typeof v === 'string' && /^\d+$/.test(v.trim())) return Number(v) as T;
  if (type === 'string' && typeof v === 'number') return String(v) as T;
  if (typeof v !== type) {
    const got = key === 'password' ? typeof v : JSON.stringify(v); // never echo a password
    throw new ValidationError(`${file}: "${key}" must be a ${type}, got ${got}`);
  }
  return v as T;
}

function configAddrs(doc: Record<string, unknown>, key: string, file: string): string[] | undefined {
  const v = doc[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return splitAddrs(v, `${file}: ${key}`);
  if (Array.isArray(v) && v.every((a) => typeof a === 'string')) return splitAddrs(v.join(','), `${file}: ${key}`);
  throw new ValidationError(`${file}: "${key}" must be a comma-separated string or a list of host:port addresses`);
}

/** The keys of the config file: Go asynq CLI's (uri, db, password, username, cluster, cluster_addrs, tls, tls_server, insecure), Sentinel's and the TLS files'. */
const CONFIG_KEYS = [
  'uri',
  'db',
  'username',
  'password',
  'tls',
  'tls_server',
  'insecure',
  'tls_ca_cert',
  'tls_cert',
  'tls_key',
  'tls_insecure',
  'cluster',
  'cluster_addrs',
  'sentinel_addrs',
  'master_name',
] as const;

/**
 * Unknown keys are not an error: Go's CLI (viper) ignores them, so one file can serve both tools
 * and others. Each gets a warning naming it, the closest known key and the list of known keys.
 */
function unknownKeyWarnings(d: Record<string, unknown>, path: string): string[] {
  const known: readonly string[] = CONFIG_KEYS;
  return Object.keys(d)
    .filter((k) => !known.includes(k))
    .map((k) => {
      const near = closestName(k.toLowerCase().replaceAll('-', '_'), known);
      const hint = near === undefined ? '' : ` (did you mean "${near}"?)`;
      return `${path}: unknown key "${k}" ignored${hint}; the known keys are ${known.join(', ')}`;
    });
}

/**
 * Reads the config file (Go asynq CLI keys: uri, db, password, cluster, cluster_addrs, tls_server,
 * insecure; and username, tls, tls_ca_cert, tls_cert, tls_key, tls_insecure, sentinel_addrs,
 * master_name). As in Go, `insecure` matters only once TLS is on; `tls_insecure` turns it on.
 */
function configLayer(flags: ConnectionFlags, ctx: Required<ResolveContext>): Layer | undefined {
  for (const {path, explicit} of configPath(flags, ctx)) {
    let text: string | undefined;
    try {
      text = ctx.readFile(path);
    } catch (err) {
      if (err instanceof ValidationError)
        throw new ValidationError(err.message.replace(/^cannot read /, 'cannot read config file '));
      throw err;
    }
    if (text === undefined) {
      if (explicit)
        throw new ValidationError(`config file ${path} does not exist`, {actions: ['check the --config path']});
      continue;
    }
    let doc: unknown;
    try {
      // yaml is required here, when a config file exists: loading it costs every command's start-up.
      doc = (createRequire(import.meta.url)('yaml') as typeof Yaml).parse(text);
    } catch (err) {
      throw new ValidationError(
        `config file ${path} is not valid YAML: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      );
    }
    if (doc === null || doc === undefined) return {source: path};
    if (typeof doc !== 'object' || Array.isArray(doc))
      throw new ValidationError(`config file ${path} must be a YAML mapping of keys to values`);
    const d = doc as Record<string, unknown>;
    const db = configValue<number>(d, 'db', 'number', path);
    const warnings = unknownKeyWarnings(d, path);
    const file = (key: string): string | undefined =>
      filePath(configValue<string>(d, key, 'string', path), ctx.homeDir, dirname(path));
    const tlsServer = nonEmpty(configValue<string>(d, 'tls_server', 'string', path));
    const insecure = configValue<boolean>(d, 'tls_insecure', 'boolean', path);
    return {
      source: path,
      ...(warnings.length > 0 ? {warnings} : {}),
      uri: nonEmpty(configValue<string>(d, 'uri', 'string', path)),
      db: db === undefined ? undefined : checkDb(db, `${path}: db`),
      username: nonEmpty(configValue<string>(d, 'username', 'string', path)),
      password: configValue<string>(d, 'password', 'string', path),
      tls: configValue<boolean>(d, 'tls', 'boolean', path),
      tlsCaCert: file('tls_ca_cert'),
      tlsCert: file('tls_cert'),
      tlsKey: file('tls_key'),
      tlsInsecure:
        insecure ?? (tlsServer === undefined ? undefined : configValue<boolean>(d, 'insecure', 'boolean', path)),
      tlsServer,
      cluster: configValue<boolean>(d, 'cluster', 'boolean', path),
      clusterAddrs: configAddrs(d, 'cluster_addrs', path),
      sentinelAddrs: configAddrs(d, 'sentinel_addrs', path),
      masterName: nonEmpty(configValue<string>(d, 'master_name', 'string', path)),
    };
  }
  return undefined;
}

function readFileIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ValidationError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** A PEM file's text; ValidationError naming the file when it is missing, unreadable or not `kind`. */
function readPem(
  path: string,
  what: string,
  kind: 'certificate' | 'private key',
  ctx: Required<ResolveContext>,
): string {
  const text = ctx.readFile(path);
  if (text === undefined) throw new ValidationError(`${what} ${path} does not exist`);
  try {
    if (kind === 'private key') {
      createPrivateKey(text);
    } else {
      const certs = text.match(PEM_CERTIFICATE) ?? [];
      if (certs.length === 0) throw new Error('no -----BEGIN CERTIFICATE----- block');
      for (const c of certs) new X509Certificate(c);
    }
  } catch (err) {
    const reason = /passphrase/i.test((err as Error).message)
      ? 'the key is encrypted (give an unencrypted key)'
      : (err as Error).message;
    throw new ValidationError(`${what} ${path} is not a PEM ${kind}: ${reason}`);
  }
  return text;
}

/** The node:tls options of the TLS settings (undefined when TLS is off). */
function tlsOptions(m: Layer, ctx: Required<ResolveContext>): true | ConnectionOptions | undefined {
  const files = m.tlsCaCert !== undefined || m.tlsCert !== undefined || m.tlsKey !== undefined;
  if (!m.tls && !files && !m.tlsInsecure && m.tlsServer === undefined) return undefined;
  if ((m.tlsCert === undefined) !== (m.tlsKey === undefined))
    throw new ValidationError('--tls-cert and --tls-key go together: give both (the client certificate and its key)');
  const o: ConnectionOptions = {};
  if (m.tlsCaCert !== undefined) o.ca = readPem(m.tlsCaCert, 'CA certificate file', 'certificate', ctx);
  if (m.tlsCert !== undefined && m.tlsKey !== undefined) {
    o.cert = readPem(m.tlsCert, 'client certificate file', 'certificate', ctx);
    o.key = readPem(m.tlsKey, 'client key file', 'private key', ctx);
    if (!new X509Certificate(o.cert).checkPrivateKey(createPrivateKey(o.key))) {
      throw new ValidationError(`client key file ${m.tlsKey} does not belong to the certificate in ${m.tlsCert}`);
    }
  }
  if (m.tlsInsecure) o.rejectUnauthorized = false;
  if (m.tlsServer !== undefined) o.servername = m.tlsServer;
  return Object.keys(o).length === 0 ? true : o;
}

function namesServer(l: Layer): boolean {
  return SERVER_NAMING.some((k) => l[k] !== undefined);
}

function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The URI's option object with db/username/password/TLS settings next to it applied on top. */
function fromUri(
  uri: string,
  m: Layer,
  tls: true | ConnectionOptions | undefined,
): RedisClientOpt | RedisFailoverClientOpt {
  const o = parseRedisURI(uri);
  const overlay = {db: m.db, username: m.username, password: m.password};
  const uriTls = 'tls' in o && typeof o.tls === 'object' ? o.tls : undefined;
  const merged = tls === undefined ? o.tls : uriTls === undefined ? tls : {...uriTls, ...(tls === true ? {} : tls)};
  return {...o, ...definedOnly(overlay), ...(merged === undefined ? {} : {tls: merged})};
}

/** Cluster seed addresses: cluster_addrs, else the --uri address, else Go's default list. */
function clusterAddrs(m: Layer): string[] {
  if (m.clusterAddrs !== undefined) return m.clusterAddrs;
  if (m.uri === undefined) return DEFAULT_CLUSTER_ADDRS;
  if (URI_SCHEME.test(m.uri))
    throw new ValidationError('a Redis Cluster needs host:port seed addresses: use --cluster-addrs instead of a URI');
  checkAddr(m.uri, 'cluster address');
  return [m.uri];
}

/**
 * Resolves the connection from flags, environment and config file (see the module comment).
 * Throws ValidationError (exit 2) for contradictory or malformed settings.
 */
export function resolveConnection(flags: ConnectionFlags, context: ResolveContext = {}): ResolvedConnection {
  const ctx: Required<ResolveContext> = {
    env: context.env ?? process.env,
    homeDir: context.homeDir ?? homedir(),
    readFile: context.readFile ?? readFileIfExists,
    pidAlive: context.pidAlive ?? pidAlive,
  };
  const config = configLayer(flags, ctx);
  const layers = [flagLayer(flags, ctx.homeDir), envLayer(ctx.env, ctx.homeDir), config].filter(
    (l): l is Layer => l !== undefined,
  );
  let namedAt = layers.findIndex(namesServer);
  if (namedAt === -1 && !layers.some((l) => l.cluster)) {
    const dev = readDevState(ctx.env, ctx.homeDir, ctx.readFile, ctx.pidAlive);
    if (dev !== undefined)
      namedAt =
        layers.push({source: `asynq dev (${dev.file})`, uri: `${dev.state.host ?? '127.0.0.1'}:${dev.state.port}`}) - 1;
  }
  const used = namedAt === -1 ? layers : layers.slice(0, namedAt + 1);
  const m: Layer = {source: namedAt === -1 ? 'default' : used[namedAt]!.source};
  for (const k of SETTINGS) {
    const from = used.find((l) => l[k] !== undefined);
    if (from) (m as unknown as Record<string, unknown>)[k] = from[k];
  }
  const configFile = config?.source;
  const warnings = used.flatMap((l) => l.warnings ?? []);
  const result = (conn: CliConnection): ResolvedConnection =>
    definedOnly({conn: definedOnly(conn), source: m.source, configFile, ...(warnings.length > 0 ? {warnings} : {})});
  const tls = tlsOptions(m, ctx);

  if (m.sentinelAddrs !== undefined || m.masterName !== undefined) {
    if (m.sentinelAddrs === undefined || m.masterName === undefined) {
      throw new ValidationError('Sentinel needs both --sentinel-addrs and --master-name');
    }
    if (m.cluster)
      throw new ValidationError('choose either Sentinel (--sentinel-addrs/--master-name) or --cluster, not both');
    return result({
      masterName: m.masterName,
      sentinelAddrs: m.sentinelAddrs,
      db: m.db,
      username: m.username,
      password: m.password,
      tls,
    });
  }
  if (m.cluster || m.clusterAddrs !== undefined) {
    if (m.db !== undefined && m.db !== 0) throw new ValidationError('Redis Cluster has only database 0; drop --db');
    return result({addrs: clusterAddrs(m), username: m.username, password: m.password, tls});
  }
  const uri = m.uri ?? DEFAULT_ADDR;
  if (URI_SCHEME.test(uri)) return result(fromUri(uri, m, tls));
  checkAddr(uri, m.source === 'flags' ? '--uri' : `uri in ${m.source}`);
  return result({addr: uri, db: m.db, username: m.username, password: m.password, tls});
}

/** The secrets of a connection, to blank out of any message. */
export function connectionSecrets(conn: CliConnection): string[] {
  const secrets = [conn.password, 'sentinelPassword' in conn ? conn.sentinelPassword : undefined];
  return secrets.filter((s): s is string => s !== undefined && s !== '');
}

/** A human description of where we connect, without the password (for messages and --debug). */
export function describeConnection(conn: CliConnection): string {
  const user = conn.username ? `${conn.username}@` : '';
  const pw = conn.password ? ' (with password)' : '';
  const tls = 'tls' in conn && conn.tls ? ' over TLS' : '';
  const db = 'db' in conn && conn.db ? ` db ${conn.db}` : '';
  if ('addrs' in conn) return `cluster ${user}${conn.addrs.join(',')}${tls}${pw}`;
  if ('masterName' in conn)
    return `sentinel master "${conn.masterName}" via ${conn.sentinelAddrs.join(',')}${db}${tls}${pw}`;
  const where = conn.network === 'unix' ? `unix:${conn.addr}` : conn.addr;
  return `${user}${where}${db}${tls}${pw}`;
}

/**
 * A connection for a long-running reader that answers people (`asynq dash`, `asynq web`):
 * reconnects for ever (ioredis' default), but a command issued while Redis is away fails after
 * one reconnection attempt instead of twenty, so the screen or the HTTP answer says so within a
 * second or two. (A Cluster keeps its defaults.)
 */
export function failSoonConnection(conn: CliConnection): CliConnection {
  if ('addrs' in conn) return conn;
  return {...conn, redisOptions: {maxRetriesPerRequest: 1, ...conn.redisOptions}} as CliConnection;
}
