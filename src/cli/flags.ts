/**
 * Shared oclif flags: the Redis connection flags every command inherits (ConnectedCommand.baseFlags),
 * --debug/--color, and reusable value flags (duration(), queueName()).
 */
import * as Flags from '@oclif/core/flags';
import {toMs} from '../lib/duration.js';
import {ValidationError} from '../lib/errors.js';

/** Help section of the connection flags in `--help` (man/asynq.1 lists them once, as GLOBAL OPTIONS). */
const CONNECTION_HELP_GROUP = 'CONNECTION';
/** Help section of --json, --debug, --color. */
const GLOBAL_HELP_GROUP = 'GLOBAL';

const connection = {helpGroup: CONNECTION_HELP_GROUP};

/**
 * Where to find Redis (resolved by connection.ts: flags, then ASYNQ_REDIS_URL/REDIS_URL, then
 * the config file, then 127.0.0.1:6379). No `env:` on these flags: connection.ts reads the
 * environment itself so that it knows, and reports, which source named the server. No oclif
 * `exclusive` either: connection.ts rejects contradictory combinations with clearer messages.
 */
export const connectionFlags = {
  uri: Flags.string({
    ...connection,
    char: 'u',
    helpValue: '<host:port|uri>',
    summary: 'Redis server: host:port or redis://, rediss://, redis-socket://, redis-sentinel:// URI.',
    description: 'Falls back to $ASYNQ_REDIS_URL, then $REDIS_URL, then "uri" in the config file, then 127.0.0.1:6379.',
  }),
  db: Flags.integer({
    ...connection,
    char: 'n',
    min: 0,
    helpValue: '<n>',
    summary: 'Redis database number (default 0).',
  }),
  username: Flags.string({...connection, char: 'U', helpValue: '<name>', summary: 'Redis ACL username.'}),
  password: Flags.string({
    ...connection,
    char: 'p',
    helpValue: '<password>',
    summary:
      'Redis password (visible to other local users in the process list; prefer $ASYNQ_REDIS_URL or the config file).',
  }),
  tls: Flags.boolean({...connection, summary: 'Connect with TLS (also implied by rediss:// and every --tls-* flag).'}),
  'tls-ca-cert': Flags.string({
    ...connection,
    helpValue: '<file>',
    summary:
      "PEM file of the CA certificate(s) to verify the Redis server with, instead of the system's (implies --tls).",
  }),
  'tls-cert': Flags.string({
    ...connection,
    helpValue: '<file>',
    summary: 'PEM file of the client certificate, for a server that requires one (with --tls-key).',
  }),
  'tls-key': Flags.string({
    ...connection,
    helpValue: '<file>',
    summary: "PEM file of the client certificate's private key, unencrypted (with --tls-cert).",
  }),
  'tls-insecure': Flags.boolean({
    ...connection,
    summary: "Do not verify the server's certificate (unsafe: testing only; implies --tls).",
  }),
  'tls-server': Flags.string({
    ...connection,
    helpValue: '<name>',
    summary: "Host name to verify the server's certificate against, when it differs from the address (implies --tls).",
  }),
  cluster: Flags.boolean({
    ...connection,
    summary: 'Connect to a Redis Cluster (seed addresses from --cluster-addrs, --uri, or 127.0.0.1:7000-7005).',
  }),
  'cluster-addrs': Flags.string({
    ...connection,
    helpValue: '<host:port,...>',
    summary: 'Comma-separated Redis Cluster seed addresses (implies --cluster).',
  }),
  'sentinel-addrs': Flags.string({
    ...connection,
    helpValue: '<host:port,...>',
    summary: 'Comma-separated Redis Sentinel addresses (with --master-name).',
  }),
  'master-name': Flags.string({
    ...connection,
    helpValue: '<name>',
    summary: 'Redis Sentinel master name (with --sentinel-addrs).',
  }),
  config: Flags.string({
    ...connection,
    helpValue: '<file>',
    summary:
      "Config file (default ~/.asynq.yml) with Go asynq CLI's keys: uri, db, username, password, tls, cluster, cluster_addrs, tls_server, insecure; and tls_ca_cert, tls_cert, tls_key, tls_insecure.",
  }),
};

/** --debug and --color/--no-color. */
export const globalFlags = {
  debug: Flags.boolean({
    helpGroup: GLOBAL_HELP_GROUP,
    summary: 'Print stack traces of unexpected errors (also DEBUG=1).',
  }),
  color: Flags.boolean({
    helpGroup: GLOBAL_HELP_GROUP,
    allowNo: true,
    summary: 'Force colours on or off (default: on only when stdout is a terminal and NO_COLOR is unset).',
  }),
};

/**
 * A duration flag value in milliseconds: plain milliseconds (`1500`) or Go-style units
 * (`90s`, `10m`, `1h30m`, `500ms`). Negative durations are rejected.
 */
export function parseDurationFlag(input: string, what = 'duration'): number {
  const s = input.trim();
  const ms = /^\d+$/.test(s) ? Number(s) : toMs(s, what);
  if (ms < 0) throw new ValidationError(`invalid ${what} ${JSON.stringify(input)}: must not be negative`);
  return ms;
}

/** `duration({summary: 'Wait at most this long.', default: 30_000})` → milliseconds. */
export const duration = Flags.custom<number>({
  helpValue: '<duration>',
  parse: async (input, _ctx, opts) => parseDurationFlag(input, `--${opts.name}`),
});

/** Go asynq's base.ValidateQueueName: any name with at least one non-space character. */
export function validateQueueName(name: string): string {
  if (name.trim() === '') throw new ValidationError('queue name must contain one or more characters');
  return name;
}

/** `queueName({required: true})`: -q/--queue, validated like Go asynq. */
export const queueName = Flags.custom<string>({
  char: 'q',
  helpValue: '<queue>',
  summary: 'Queue name.',
  parse: async (input) => validateQueueName(input),
});

/** --full of the listings: payloads and results in full instead of cut to the terminal width. */
export const fullFlag = Flags.boolean({
  summary:
    'Show payloads and results in full (default: cut to the terminal width, or to 256 characters when not on a terminal).',
});

const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/**
 * A size in bytes: a whole number of bytes (`1048576`), or a number with a unit, decimal
 * (`kB`, `MB`, `GB`) or binary (`KiB`, `MiB`, `GiB`), case-insensitive (`64MiB`, `1.5GB`);
 * `unlimited` is Infinity.
 */
function parseByteSize(input: string, what = 'size'): number {
  const s = input.trim().toLowerCase();
  if (s === 'unlimited') return Number.POSITIVE_INFINITY;
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?$/.exec(s);
  const unit = m === null ? undefined : BYTE_UNITS[m[2] ?? ''];
  const bytes = m === null || unit === undefined ? Number.NaN : Math.floor(Number(m[1]) * unit);
  if (!(bytes >= 1))
    throw new ValidationError(
      `invalid ${what} ${JSON.stringify(input)}: give bytes (e.g. 64MiB, 100MB, 1048576) or "unlimited"`,
    );
  return bytes;
}

/** `byteSize({summary: …})` → bytes (Infinity for `unlimited`). */
export const byteSize = Flags.custom<number>({
  helpValue: '<size>',
  parse: async (input, _ctx, opts) => parseByteSize(input, `--${opts.name}`),
});
