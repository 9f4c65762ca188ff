/**
 * The table of bad inputs: every row is a command line (with files, a config file, environment,
 * stdin, seeded Redis data or a signal) that must end with the given exit status and one-line
 * message, never a stack trace or exit 1, and leave Redis as it was.
 *
 * test/e2e/bad-inputs.test.ts runs every row and checks that docs/bad-inputs.md is this table
 * rendered (renderBadInputsDoc); after editing a row, regenerate the doc with
 * `UPDATE_BAD_INPUTS_DOC=1 npx vitest run test/e2e/bad-inputs.test.ts`.
 *
 * Placeholders in args, env, files and config: {url} is the test server (redis://127.0.0.1:PORT),
 * {port} its port, {authport} a second server that requires the password "sekret", {dir} a
 * directory holding the row's files, {fixtures} test/fixtures.
 */

type Area =
  | 'URIs and connection flags'
  | 'credentials'
  | 'the config file'
  | 'names and IDs'
  | 'flags and arguments'
  | 'payloads'
  | 'JSON Lines (enqueue --from)'
  | 'durations'
  | 'times'
  | 'cron specs'
  | 'periodic task files (cron run)'
  | 'handler modules'
  | 'exec commands and worker flags'
  | 'signals'
  | 'data in Redis';

/** Redis contents a row starts from (see SEEDS in bad-inputs.test.ts). */
export type Seed =
  | 'queue default with a pending task t1'
  | 'a unique task held'
  | 'pending list is a string'
  | 'queue set is a string'
  | 'task hash with an undecodable message'
  | 'task hash that is a string'
  | 'a dangling ID in the pending list';

export interface BadInput {
  area: Area;
  /** What follows `asynq`. */
  args: string[];
  /** Expected exit status. 0 only for inputs that are taken with a warning. */
  exit: number;
  /**
   * Text of the first stderr line after `Error: ` (or `Warning: ` for exit 0): the line must
   * contain it. '' for signal rows that end without a message.
   */
  message: string;
  seed?: Seed;
  /** Files written into {dir} before the run. */
  files?: Record<string, string>;
  /** Contents of ~/.asynq.yml (HOME is then a fresh directory, and ASYNQ_REDIS_URL is unset). */
  config?: string;
  env?: Record<string, string>;
  /** Written to stdin (the row is then run as a subprocess). */
  stdin?: string;
  /** Run as a subprocess, send this signal when stderr shows `after` (or after `afterMs`), with stdin kept open. */
  signal?: {name: NodeJS.Signals; after?: string; afterMs?: number; twice?: boolean};
  /** Something stdout may hold (e.g. the summary of enqueue --from); stdout must be empty otherwise. */
  stdout?: string;
  /** Why Redis may change (else it must not). */
  changes?: string;
  /** Not yet right: why, and who fixes it. The row is listed but not run. */
  todo?: string;
}

const every = (spec: string, extra = ''): Record<string, string> => ({
  'p.yml': `configs:\n  - cronspec: ${JSON.stringify(spec)}\n    task_type: t\n${extra}`,
});
const yml = (text: string): Record<string, string> => ({'p.yml': text});
const jsonl = (text: string): Record<string, string> => ({'t.jsonl': text});
const cronRun = ['cron', 'run', '-f', '{dir}/p.yml'];
const worker = (...args: string[]): string[] => ['worker', 'run', ...args];
const enq = (...args: string[]): string[] => ['enqueue', 't', ...args];
const INVALID_URI = 'invalid redis URI: ';

export const BAD_INPUTS: readonly BadInput[] = [
  // ---------------------------------------------------------------- URIs and connection flags
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '-u', 'redis://:::'],
    exit: 2,
    message: `${INVALID_URI}the host ":::" is neither a host name nor an IPv6 address`,
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '-u', 'redis://[:::]:6379'],
    exit: 2,
    message: `${INVALID_URI}the host ":::" is neither a host name nor an IPv6 address`,
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '-u', '[:::]:6379'],
    exit: 2,
    message: 'invalid --uri "[:::]:6379": expected host:port or a redis:// URI',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '-u', 'http://127.0.0.1:{port}'],
    exit: 2,
    message: `${INVALID_URI}unsupported scheme "http"`,
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '-u', 'ftp://x'],
    exit: 2,
    message: `${INVALID_URI}unsupported scheme "ftp"`,
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '-u', 'redis://127.0.0.1:99999'],
    exit: 2,
    message: 'port "99999" of the host is not a number between 1 and 65535',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '-u', 'redis://127.0.0.1:0'],
    exit: 2,
    message: 'port "0" of the host is not a number between 1 and 65535',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '-u', 'redis://127.0.0.1:abc'],
    exit: 2,
    message: 'port "abc" of the host is not a number between 1 and 65535',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '-u', 'redis://127.0.0.1:{port}/abc'],
    exit: 2,
    message: 'the first path segment should be a database number, got "abc"',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '-u', 'redis://127.0.0.1:{port}/-1'],
    exit: 2,
    message: 'the first path segment should be a database number, got "-1"',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '-u', 'redis://127.0.0.1:{port}/16'],
    exit: 2,
    message: 'database 16 does not exist on Redis at 127.0.0.1:{port} (from flags): it has 16 databases',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '-u', 'redis://%zz@127.0.0.1:{port}'],
    exit: 2,
    message: `${INVALID_URI}bad percent-encoding`,
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '-u', 'redis-socket://host/x.sock'],
    exit: 2,
    message: `${INVALID_URI}a redis-socket URI has no host`,
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '-u', 'redis-socket://'],
    exit: 2,
    message: `${INVALID_URI}redis-socket URI without a socket path`,
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '-u', 'redis-sentinel://127.0.0.1:1'],
    exit: 2,
    message: `${INVALID_URI}redis-sentinel URI without a master name`,
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '-u', 'redis-sentinel://,127.0.0.1:1/m'],
    exit: 2,
    message: `${INVALID_URI}empty sentinel address`,
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '-u', 'a:b:c'],
    exit: 2,
    message: 'invalid --uri "a:b:c": expected host:port or a redis:// URI',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '-u', 'a b:1'],
    exit: 2,
    message: 'invalid --uri "a b:1": expected host:port or a redis:// URI',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '-u', '127.0.0.1:70000'],
    exit: 2,
    message: 'invalid --uri "127.0.0.1:70000"',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '-u', 'redis//127.0.0.1'],
    exit: 2,
    message: 'invalid --uri "redis//127.0.0.1"',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '--db', '-1'],
    exit: 2,
    message: 'Expected an integer greater than or equal to 0 but received: -1',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '--db', 'x'],
    exit: 2,
    message: 'Expected an integer but received: x',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '--db', '1.5'],
    exit: 2,
    message: 'Expected an integer but received: 1.5',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '--db', '99'],
    exit: 2,
    message:
      'database 99 does not exist on Redis at 127.0.0.1:{port} (from ASYNQ_REDIS_URL): it has 16 databases (0-15, its "databases" setting)',
  },
  {
    area: 'URIs and connection flags',
    args: ['enqueue', 't', '{}', '-n', '16'],
    exit: 2,
    message: 'database 16 does not exist on Redis',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '--cluster-addrs', ',,'],
    exit: 2,
    message: '--cluster-addrs needs at least one host:port address',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '--cluster-addrs', '127.0.0.1:99999'],
    exit: 2,
    message: 'invalid --cluster-addrs "127.0.0.1:99999"',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '--sentinel-addrs', '127.0.0.1:1'],
    exit: 2,
    message: 'Sentinel needs both --sentinel-addrs and --master-name',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '--master-name', 'm'],
    exit: 2,
    message: 'Sentinel needs both --sentinel-addrs and --master-name',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '-u', '{url}', '--cluster-addrs', '127.0.0.1:1'],
    exit: 2,
    message: '--uri and --cluster-addrs name different servers: give only one',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '--cluster', '--db', '3'],
    exit: 2,
    message: 'Redis Cluster has only database 0; drop --db',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '--cluster', '-u', 'redis://127.0.0.1:1'],
    exit: 2,
    message: 'a Redis Cluster needs host:port seed addresses: use --cluster-addrs instead of a URI',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '--sentinel-addrs', '127.0.0.1:1', '--master-name', 'm', '--tls-cert', '{dir}/none.crt'],
    exit: 2,
    message: '--tls-cert and --tls-key go together',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '--sentinel-addrs', '127.0.0.1:1', '--master-name', 'm', '--cluster'],
    exit: 2,
    message: 'choose either Sentinel (--sentinel-addrs/--master-name) or --cluster, not both',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '-u', '127.0.0.1:1'],
    exit: 5,
    message: 'cannot connect to Redis at 127.0.0.1:1 (from flags): connect ECONNREFUSED 127.0.0.1:1',
  },
  {
    area: 'URIs and connection flags',
    args: ['stats', '-u', 'redis://127.0.0.1:1/3'],
    exit: 5,
    message: 'cannot connect to Redis at 127.0.0.1:1 db 3 (from flags)',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls'],
    env: {ASYNQ_REDIS_URL: 'redis://:::'},
    exit: 2,
    message: `${INVALID_URI}the host ":::"`,
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls'],
    env: {ASYNQ_REDIS_URL: '', REDIS_URL: 'mysql://x'},
    exit: 2,
    message: `${INVALID_URI}unsupported scheme "mysql"`,
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls'],
    env: {ASYNQ_REDIS_URL: 'redis://127.0.0.1:1'},
    exit: 5,
    message: 'cannot connect to Redis at 127.0.0.1:1 (from ASYNQ_REDIS_URL)',
  },
  {
    area: 'URIs and connection flags',
    args: ['queue', 'ls', '--config', '{dir}/missing.yml'],
    exit: 2,
    message: 'config file {dir}/missing.yml does not exist',
  },

  // ---------------------------------------------------------------- credentials
  {
    area: 'credentials',
    args: ['queue', 'ls', '-u', '127.0.0.1:{authport}'],
    exit: 5,
    message: 'Redis at 127.0.0.1:{authport} (from flags) refused the credentials: NOAUTH',
  },
  {
    area: 'credentials',
    args: ['queue', 'ls', '-u', '127.0.0.1:{authport}', '-p', 'wrong'],
    exit: 5,
    message: 'Redis at 127.0.0.1:{authport} (with password) (from flags) refused the credentials: WRONGPASS',
  },
  {
    area: 'credentials',
    args: ['queue', 'ls', '-u', 'redis://:wrong@127.0.0.1:{authport}'],
    exit: 5,
    message: 'refused the credentials: WRONGPASS',
  },
  {
    area: 'credentials',
    args: ['queue', 'ls', '-u', '127.0.0.1:{authport}', '-U', 'nobody', '-p', 'sekret'],
    exit: 5,
    message: 'refused the credentials: WRONGPASS',
  },
  {
    area: 'credentials',
    args: ['queue', 'ls', '-u', 'redis://nobody:sekret@127.0.0.1:{authport}'],
    exit: 5,
    message: 'refused the credentials: WRONGPASS',
  },
  {
    area: 'credentials',
    args: ['queue', 'ls', '-u', '127.0.0.1:{authport}'],
    config: 'password: wrong\n',
    exit: 5,
    message: 'refused the credentials: NOAUTH',
  },
  {
    area: 'credentials',
    args: ['queue', 'ls'],
    config: 'uri: 127.0.0.1:{authport}\npassword: wrong\n',
    exit: 5,
    message: 'refused the credentials: WRONGPASS',
  },
  {
    area: 'credentials',
    args: ['queue', 'ls'],
    env: {ASYNQ_REDIS_URL: 'redis://:wrong@127.0.0.1:{authport}/0'},
    exit: 5,
    message: '(from ASYNQ_REDIS_URL) refused the credentials: WRONGPASS',
  },

  // ---------------------------------------------------------------- the config file
  {area: 'the config file', args: ['queue', 'ls'], config: 'uri: [\n', exit: 2, message: 'is not valid YAML'},
  {
    area: 'the config file',
    args: ['queue', 'ls'],
    config: '- a\n- b\n',
    exit: 2,
    message: 'must be a YAML mapping of keys to values',
  },
  {
    area: 'the config file',
    args: ['queue', 'ls'],
    config: 'just a string\n',
    exit: 2,
    message: 'must be a YAML mapping of keys to values',
  },
  {
    area: 'the config file',
    args: ['queue', 'ls'],
    config: 'uri: {url}\ndb: x\n',
    exit: 2,
    message: '"db" must be a number, got "x"',
  },
  {
    area: 'the config file',
    args: ['queue', 'ls'],
    config: 'uri: {url}\ndb: -1\n',
    exit: 2,
    message: 'db -1: must be a non-negative integer',
  },
  {
    area: 'the config file',
    args: ['queue', 'ls'],
    config: 'uri: {url}\ndb: 99\n',
    exit: 2,
    message: 'database 99 does not exist on Redis',
  },
  {
    area: 'the config file',
    args: ['queue', 'ls'],
    config: 'uri: {url}\ntls: maybe\n',
    exit: 2,
    message: '"tls" must be a boolean, got "maybe"',
  },
  {
    area: 'the config file',
    args: ['queue', 'ls'],
    config: 'uri: {url}\npassword: [1, 2]\n',
    exit: 2,
    message: '"password" must be a string, got object',
  },
  {
    area: 'the config file',
    args: ['queue', 'ls'],
    config: 'cluster_addrs: 5\n',
    exit: 2,
    message: '"cluster_addrs" must be a comma-separated string or a list of host:port addresses',
  },
  {
    area: 'the config file',
    args: ['queue', 'ls'],
    config: 'uri: "redis://:::"\n',
    exit: 2,
    message: `${INVALID_URI}the host ":::"`,
  },
  {
    area: 'the config file',
    args: ['queue', 'ls'],
    config: 'uri: 127.0.0.1:1\n',
    exit: 5,
    message: 'cannot connect to Redis at 127.0.0.1:1 (from ',
  },
  {area: 'the config file', args: ['queue', 'ls'], config: 'uri: a:b:c\n', exit: 2, message: 'invalid uri in '},
  {
    area: 'the config file',
    args: ['queue', 'ls', '--config', '{dir}'],
    exit: 2,
    message: 'cannot read config file {dir}',
  },
  {
    area: 'the config file',
    args: ['queue', 'ls'],
    config: 'uri: {url}\ndbb: 3\n',
    exit: 0,
    stdout: '',
    message:
      'unknown key "dbb" ignored (did you mean "db"?); the known keys are uri, db, username, password, tls, tls_server, insecure, tls_ca_cert, tls_cert, tls_key, tls_insecure, cluster, cluster_addrs, sentinel_addrs, master_name',
  },
  {
    area: 'the config file',
    args: ['queue', 'ls'],
    config: 'uri: {url}\nredis_url: x\n',
    exit: 0,
    stdout: '',
    message: 'unknown key "redis_url" ignored; the known keys are',
  },

  // ---------------------------------------------------------------- names and IDs
  {
    area: 'names and IDs',
    args: ['task', 'ls', '-q', '', '-s', 'pending'],
    exit: 2,
    message: 'queue name must contain one or more characters',
  },
  {
    area: 'names and IDs',
    args: ['task', 'ls', '-q', ' ', '-s', 'pending'],
    exit: 2,
    message: 'queue name must contain one or more characters',
  },
  {
    area: 'names and IDs',
    args: ['task', 'ls', '-q', 'nosuch', '-s', 'pending'],
    exit: 3,
    message: 'queue "nosuch" does not exist',
  },
  {
    area: 'names and IDs',
    args: ['task', 'inspect', '-q', 'default', 'nosuch'],
    seed: 'queue default with a pending task t1',
    exit: 3,
    message: 'cannot find task with id=nosuch in queue "default"',
  },
  {
    area: 'names and IDs',
    args: ['task', 'inspect', '-q', 'nosuch', 't1'],
    exit: 3,
    message: 'queue "nosuch" does not exist',
  },
  {
    area: 'names and IDs',
    args: ['task', 'delete', '-q', 'default', 'nosuch'],
    seed: 'queue default with a pending task t1',
    exit: 3,
    message: 'cannot find task with id=nosuch',
  },
  {
    area: 'names and IDs',
    args: ['task', 'archive', '-q', 'default', 'nosuch'],
    seed: 'queue default with a pending task t1',
    exit: 3,
    message: 'cannot find task with id=nosuch',
  },
  {
    area: 'names and IDs',
    args: ['task', 'run', '-q', 'default', 'nosuch'],
    seed: 'queue default with a pending task t1',
    exit: 3,
    message: 'cannot find task with id=nosuch',
  },
  {
    area: 'names and IDs',
    args: ['task', 'run', '-q', 'default', 't1'],
    seed: 'queue default with a pending task t1',
    exit: 4,
    message: 'pending',
  },
  {area: 'names and IDs', args: ['queue', 'inspect', 'nosuch'], exit: 3, message: 'queue "nosuch" does not exist'},
  {area: 'names and IDs', args: ['queue', 'pause', 'nosuch'], exit: 3, message: 'queue "nosuch" does not exist'},
  {area: 'names and IDs', args: ['queue', 'resume', 'nosuch'], exit: 3, message: 'queue "nosuch" does not exist'},
  {
    area: 'names and IDs',
    args: ['queue', 'rm', 'nosuch', '--force'],
    exit: 3,
    message: 'queue "nosuch" does not exist',
  },
  {
    area: 'names and IDs',
    args: ['queue', 'rm', 'default'],
    seed: 'queue default with a pending task t1',
    exit: 4,
    message: 'queue "default" is not empty',
  },
  {area: 'names and IDs', args: ['queue', 'history', 'nosuch'], exit: 3, message: 'queue "nosuch" does not exist'},
  {
    area: 'names and IDs',
    args: ['queue', 'pause', 'default', 'nosuch'],
    seed: 'queue default with a pending task t1',
    exit: 3,
    message: 'queue "nosuch" does not exist',
  },
  {area: 'names and IDs', args: ['group', 'ls', '-q', 'nosuch'], exit: 3, message: 'queue "nosuch" does not exist'},
  {
    area: 'names and IDs',
    args: ['cron', 'history', 'nosuch'],
    exit: 3,
    message: 'no scheduler entry with id=nosuch: no running scheduler has it and it has no enqueue history',
  },
  {area: 'names and IDs', args: ['enqueue', '', '{}'], exit: 2, message: 'task typename cannot be empty'},
  {area: 'names and IDs', args: ['enqueue', '   ', '{}'], exit: 2, message: 'task typename cannot be empty'},
  {
    area: 'names and IDs',
    args: enq('{}', '-q', ''),
    exit: 2,
    message: 'queue name must contain one or more characters',
  },
  {
    area: 'names and IDs',
    args: enq('{}', '--queue', '  '),
    exit: 2,
    message: 'queue name must contain one or more characters',
  },
  {
    area: 'names and IDs',
    args: enq('{}', '--task-id', 't1'),
    seed: 'queue default with a pending task t1',
    exit: 4,
    message: 'task ID "t1" is already taken in queue "default"',
  },
  {
    area: 'names and IDs',
    args: enq('{}', '--unique', '1h'),
    seed: 'a unique task held',
    exit: 4,
    message: 'duplicate task: a task of type "t" with the same payload is already in queue "default"',
  },
  {
    area: 'names and IDs',
    args: enq('{}', '--header', '=v'),
    exit: 2,
    message: 'invalid --header "=v": expected key=value',
  },
  {
    area: 'names and IDs',
    args: enq('{}', '--header', 'k'),
    exit: 2,
    message: 'invalid --header "k": expected key=value',
  },

  // ---------------------------------------------------------------- flags and arguments
  {area: 'flags and arguments', args: ['task', 'ls', '-q'], exit: 2, message: 'Flag --queue expects a value'},
  {
    area: 'flags and arguments',
    args: ['task', 'ls', '-q', 'default', '-s'],
    exit: 2,
    message:
      'Flag --state expects one of these values: pending, active, scheduled, retry, archived, completed, aggregating',
  },
  {
    area: 'flags and arguments',
    args: ['task', 'ls', '-q', 'default', '-s', 'bogus'],
    exit: 2,
    message: 'Expected --state=bogus to be one of: pending, active',
  },
  {area: 'flags and arguments', args: ['task', 'ls', '-s', 'pending'], exit: 2, message: 'Missing required flag queue'},
  {
    area: 'flags and arguments',
    args: ['task', 'ls', '-q', 'default', '-s', 'pending', '--page', '0'],
    exit: 2,
    message: 'Expected an integer greater than or equal to 1 but received: 0',
  },
  {
    area: 'flags and arguments',
    args: ['task', 'ls', '-q', 'default', '-s', 'pending', '--size', 'x'],
    exit: 2,
    message: 'Expected an integer but received: x',
  },
  {
    area: 'flags and arguments',
    args: ['task', 'ls', '-q', 'default', '-s', 'pending', '--nope'],
    exit: 2,
    message: 'Nonexistent flag: --nope',
  },
  {
    area: 'flags and arguments',
    args: ['task', 'ls', 'extra'],
    exit: 2,
    message: 'unexpected argument "extra": asynq task ls takes no arguments',
  },
  {
    area: 'flags and arguments',
    args: ['task', 'inspect', '-q', 'default'],
    exit: 2,
    message: 'missing task ID: pass it as the argument or with --id',
  },
  {
    area: 'flags and arguments',
    args: ['task', 'inspect', '-q', 'default', 'a', '--id', 'b'],
    exit: 2,
    message: 'give the task ID either as the argument or with --id, not both',
  },
  {area: 'flags and arguments', args: ['task', 'cancel'], exit: 2, message: 'Missing 1 required arg'},
  {
    area: 'flags and arguments',
    args: ['task', 'deleteall', '-q', 'default', '-s', 'active'],
    exit: 2,
    message: 'Expected --state=active to be one of',
  },
  {
    area: 'flags and arguments',
    args: ['task', 'deleteall', '-q', 'default', '-s', 'pending'],
    seed: 'queue default with a pending task t1',
    exit: 2,
    message: 'refusing to delete all pending tasks in queue "default" without confirmation: re-run with --force',
  },
  {
    area: 'flags and arguments',
    args: ['task', 'archiveall', '-q', 'default', '-s', 'archived'],
    exit: 2,
    message: 'Expected --state=archived to be one of',
  },
  {
    area: 'flags and arguments',
    args: ['task', 'runall', '-q', 'default', '-s', 'pending'],
    exit: 2,
    message: 'Expected --state=pending to be one of',
  },
  {
    area: 'flags and arguments',
    args: ['task', 'deleteall', '-q', 'default', '-s', 'aggregating', '--force'],
    seed: 'queue default with a pending task t1',
    exit: 2,
    message: '--group is required with --state aggregating',
  },
  {area: 'flags and arguments', args: ['queue', 'rm'], exit: 2, message: 'Missing 1 required arg'},
  {area: 'flags and arguments', args: ['tsk', 'ls'], exit: 2, message: 'command tsk ls not found'},
  {
    area: 'flags and arguments',
    args: ['task', 'lss'],
    exit: 2,
    message: 'command task lss not found; did you mean "asynq task ls"?',
  },
  {
    area: 'flags and arguments',
    args: ['stats', 'extra'],
    exit: 2,
    message: 'unexpected argument "extra": asynq stats takes no arguments',
  },
  {
    area: 'flags and arguments',
    args: ['cron', 'run', 'p.yml'],
    exit: 2,
    message: 'unexpected argument "p.yml": asynq cron run takes no arguments',
  },
  {area: 'flags and arguments', args: ['enqueue'], exit: 2, message: 'missing TYPE argument (or --from FILE)'},
  {
    area: 'flags and arguments',
    args: enq('{}', '--process-in', '1h', '--process-at', '2099-01-01T00:00:00Z'),
    exit: 2,
    message: 'cannot be used together',
  },
  {
    area: 'flags and arguments',
    args: enq('{}', '--wait-timeout', '1s'),
    exit: 2,
    message: '--wait-timeout needs --wait',
  },
  {
    area: 'flags and arguments',
    args: enq('{}', '--wait', '--group', 'g'),
    exit: 2,
    message: '--wait cannot be used with --group',
  },
  {
    area: 'flags and arguments',
    args: enq('{}', '--wait', '--retention', '500ms'),
    exit: 2,
    message: '--wait needs a --retention of at least 1s',
  },
  {
    area: 'flags and arguments',
    args: ['enqueue', '--from', '{dir}/t.jsonl', '--task-id', 'x'],
    files: jsonl('{"type":"t"}\n'),
    exit: 2,
    message: '--from and --task-id cannot be used together',
  },
  {
    area: 'flags and arguments',
    args: ['enqueue', 't', '--from', '{dir}/t.jsonl'],
    files: jsonl('{"type":"t"}\n'),
    exit: 2,
    message: '--from takes the tasks from the file: give no TYPE or PAYLOAD argument',
  },
  {
    area: 'flags and arguments',
    args: enq('{}', '--max-retry', '-1'),
    exit: 2,
    message: 'Expected an integer greater than or equal to 0 but received: -1',
  },
  {
    area: 'flags and arguments',
    args: enq('{}', '--max-retry', 'x'),
    exit: 2,
    message: 'Expected an integer but received: x',
  },
  {area: 'flags and arguments', args: ['dash'], exit: 2, message: 'asynq dash needs an interactive terminal'},

  // ---------------------------------------------------------------- payloads
  {area: 'payloads', args: enq('{"a":'), exit: 2, message: 'the payload looks like JSON but is not valid JSON'},
  {area: 'payloads', args: enq('[1,2'), exit: 2, message: 'the payload looks like JSON but is not valid JSON'},
  {area: 'payloads', args: enq('{a:1}'), exit: 2, message: 'the payload looks like JSON but is not valid JSON'},
  {area: 'payloads', args: enq('{"a":1}}'), exit: 2, message: 'the payload looks like JSON but is not valid JSON'},
  {area: 'payloads', args: enq('  {'), exit: 2, message: 'the payload looks like JSON but is not valid JSON'},
  {area: 'payloads', args: enq("{'a': 1}"), exit: 2, message: 'the payload looks like JSON but is not valid JSON'},
  {
    area: 'payloads',
    args: enq('--payload-file', '{dir}/bad.json'),
    files: {'bad.json': '{"user": 42,}'},
    exit: 2,
    message: 'the payload looks like JSON but is not valid JSON',
  },
  {
    area: 'payloads',
    args: enq('--payload-file', '{dir}/missing.json'),
    exit: 2,
    message: 'cannot read --payload-file {dir}/missing.json',
  },
  {area: 'payloads', args: enq('--payload-file', '{dir}'), exit: 2, message: 'cannot read --payload-file {dir}'},
  {
    area: 'payloads',
    args: enq('{}', '--payload-file', '{dir}/p.json'),
    files: {'p.json': '{}'},
    exit: 2,
    message: 'give the payload as an argument or with --payload-file, not both',
  },
  {
    area: 'payloads',
    args: enq('--payload-file', '-'),
    stdin: '{"broken": ',
    exit: 2,
    message: 'the payload looks like JSON but is not valid JSON',
  },
  {area: 'payloads', args: ['enqueue', 't', 'a', 'b'], exit: 2, message: 'Unexpected argument: b'},

  // ---------------------------------------------------------------- JSON Lines (enqueue --from)
  ...(
    [
      ['not json', 'line 1'],
      ['{"type":""}', 'line 1'],
      ['{"payload":1}', 'line 1'],
      ['[]', 'line 1'],
      ['"a string"', 'line 1'],
      ['{"type":"t","options":{"queue":""}}', 'line 1'],
      ['{"type":"t","options":{"maxRetry":"x"}}', 'line 1'],
      ['{"type":"t","options":{"nope":1}}', 'line 1'],
      ['{"type":"t","payloadBase64":"!!"}', 'line 1'],
      ['{"type":"t","payload":1,"payloadBase64":"AA=="}', 'line 1'],
      ['{"type":"t","options":{"processIn":"1x"}}', 'line 1'],
      ['{"type":"t","options":{"deadline":"yesterday"}}', 'line 1'],
      ['{"type":"t","options":{"processIn":"1h","processAt":"2099-01-01T00:00:00Z"}}', 'line 1'],
    ] as const
  ).map(([line, message]): BadInput => ({
    area: 'JSON Lines (enqueue --from)',
    args: ['enqueue', '--from', '{dir}/t.jsonl'],
    files: jsonl(`${line}\n`),
    exit: 2,
    message,
    stdout: 'enqueued 0',
  })),
  {
    area: 'JSON Lines (enqueue --from)',
    args: ['enqueue', '--from', '{dir}/missing.jsonl'],
    exit: 2,
    message: 'cannot read --from {dir}/missing.jsonl: no such file',
  },
  {
    area: 'JSON Lines (enqueue --from)',
    args: ['enqueue', '--from', '-'],
    stdin: '{"type":\n',
    exit: 2,
    message: 'line 1',
    stdout: 'enqueued 0',
  },

  // ---------------------------------------------------------------- durations
  {
    area: 'durations',
    args: enq('{}', '--process-in', '1x'),
    exit: 2,
    message: 'invalid --process-in "1x": unknown unit "x"',
  },
  {
    area: 'durations',
    args: enq('{}', '--process-in', '-5s'),
    exit: 2,
    message: 'invalid --process-in "-5s": must not be negative',
  },
  {area: 'durations', args: enq('{}', '--timeout', 'abc'), exit: 2, message: '--timeout'},
  {area: 'durations', args: enq('{}', '--timeout', '1h-'), exit: 2, message: '--timeout'},
  {area: 'durations', args: enq('{}', '--timeout', '10 parsecs'), exit: 2, message: '--timeout'},
  {area: 'durations', args: enq('{}', '--retention', '1.5.5s'), exit: 2, message: '--retention'},
  {
    area: 'durations',
    args: enq('{}', '--retention', '-1s'),
    exit: 2,
    message: 'invalid --retention "-1s": must not be negative',
  },
  {area: 'durations', args: enq('{}', '--unique', 'abc'), exit: 2, message: '--unique'},
  {area: 'durations', args: enq('{}', '--unique', '500ms'), exit: 2, message: 'Unique TTL cannot be less than 1s'},
  {area: 'durations', args: enq('{}', '--unique', '0'), exit: 2, message: 'Unique TTL cannot be less than 1s'},
  {area: 'durations', args: enq('{}', '--wait', '--wait-timeout', 'soon'), exit: 2, message: '--wait-timeout'},
  {
    area: 'durations',
    args: worker('--exec', 'a=true', '--shutdown-timeout', 'x'),
    exit: 2,
    message: '--shutdown-timeout',
  },
  {
    area: 'durations',
    args: worker('--exec', 'a=true', '--kill-grace', '-1s'),
    exit: 2,
    message: 'invalid --kill-grace "-1s": must not be negative',
  },
  {
    area: 'durations',
    args: [...cronRun, '--sync-interval', '500ms'],
    files: every('@every 1m'),
    exit: 2,
    message: '--sync-interval must be at least 1s, got 500ms',
  },
  {
    area: 'durations',
    args: [...cronRun, '--sync-interval', 'x'],
    files: every('@every 1m'),
    exit: 2,
    message: '--sync-interval',
  },
  {
    area: 'durations',
    args: enq('{}', '--timeout', '0'),
    exit: 0,
    stdout: 'Enqueued task',
    changes: 'the task is enqueued (a warning only)',
    message: "--timeout 0 means the default timeout of 30m, as Go's Timeout(0)",
  },

  // ---------------------------------------------------------------- times
  {area: 'times', args: enq('{}', '--deadline', 'yesterday'), exit: 2, message: '--deadline'},
  {
    area: 'times',
    args: enq('{}', '--deadline', '2001-01-01T00:00:00Z'),
    exit: 2,
    message: '--deadline 2001-01-01T00:00:00.000Z is in the past: the task could only fail',
  },
  {area: 'times', args: enq('{}', '--deadline', '2026-13-01T00:00:00Z'), exit: 2, message: '--deadline'},
  {
    area: 'times',
    args: enq('{}', '--deadline', '2026-01-01'),
    exit: 2,
    message: 'invalid --deadline "2026-01-01": expected an RFC 3339 time like 2026-01-02T15:04:05Z',
  },
  {area: 'times', args: enq('{}', '--deadline', '2099-01-01T25:00:00Z'), exit: 2, message: '--deadline'},
  {area: 'times', args: enq('{}', '--deadline', '2099-02-30T00:00:00Z'), exit: 2, message: '--deadline'},
  {area: 'times', args: enq('{}', '--process-at', 'nope'), exit: 2, message: '--process-at'},
  {area: 'times', args: enq('{}', '--process-at', '1700000000'), exit: 2, message: '--process-at'},
  {
    area: 'times',
    args: enq('{}', '--deadline', '2099-01-01T00:00:00Z', '--process-at', '2100-01-01T00:00:00Z'),
    exit: 2,
    message: 'is not after the time the task is to run (2100-01-01T00:00:00.000Z)',
  },
  {
    area: 'times',
    args: enq('{}', '--deadline', '2099-01-01T00:00:00Z', '--process-in', '1000000h'),
    exit: 2,
    message: 'is not after the time the task is to run',
  },
  {
    area: 'times',
    args: [...cronRun, '--location', 'Mars/Olympus'],
    files: every('@every 1m'),
    exit: 2,
    message: 'Mars/Olympus',
  },

  // ---------------------------------------------------------------- cron specs
  ...(
    [
      ['* * * *', 'expected exactly 5 fields'],
      ['* * * * * *', 'expected exactly 5 fields'],
      ['@every', 'unrecognized descriptor'],
      ['@every x', 'failed to parse duration'],
      ['@minutely', 'unrecognized descriptor "@minutely"'],
      ['@yearlyx', 'unrecognized descriptor'],
      ['60 * * * *', '60'],
      ['* 24 * * *', '24'],
      ['* * 32 * *', '32'],
      ['* * 0 * *', '0'],
      ['* * * 13 *', '13'],
      ['* * * * 7', '7'],
      ['0 0 L * *', 'L'],
      ['0 0 * * 1#2', '#'],
      ['*/0 * * * *', '0'],
      ['5-1 * * * *', '5-1'],
      ['* * 31 2 *', 'no activation time found'],
      ['CRON_TZ=Mars/X * * * * *', 'Mars/X'],
      ['CRON_TZ=UTC', 'nothing after the time zone'],
      ['', 'empty'],
      ['a b c d e', 'a'],
    ] as const
  ).map(([spec, message]): BadInput => ({area: 'cron specs', args: cronRun, files: every(spec), exit: 2, message})),

  // ---------------------------------------------------------------- periodic task files (cron run)
  {area: 'periodic task files (cron run)', args: cronRun, exit: 2, message: 'cannot read periodic task config'},
  {
    area: 'periodic task files (cron run)',
    args: ['cron', 'run', '-f', '{dir}'],
    exit: 2,
    message: 'cannot read periodic task config',
  },
  {
    area: 'periodic task files (cron run)',
    args: ['cron', 'run'],
    exit: 2,
    message: 'missing --file: the YAML file of periodic tasks to run',
  },
  {area: 'periodic task files (cron run)', args: cronRun, files: yml('configs: [\n'), exit: 2, message: 'invalid YAML'},
  {area: 'periodic task files (cron run)', args: cronRun, files: yml('- a\n'), exit: 2, message: 'p.yml'},
  {area: 'periodic task files (cron run)', args: cronRun, files: yml('configs: 5\n'), exit: 2, message: 'configs'},
  {
    area: 'periodic task files (cron run)',
    args: cronRun,
    files: yml('configs:\n  - task_type: t\n'),
    exit: 2,
    message: 'cronspec',
  },
  {
    area: 'periodic task files (cron run)',
    args: cronRun,
    files: yml('configs:\n  - cronspec: "@every 1m"\n'),
    exit: 2,
    message: 'task_type',
  },
  {
    area: 'periodic task files (cron run)',
    args: cronRun,
    files: yml('configs:\n  - cronspec: "@every 1m"\n    task_type: ""\n'),
    exit: 2,
    message: 'task_type',
  },
  {
    area: 'periodic task files (cron run)',
    args: cronRun,
    files: every('@every 1m', '    nope: 1\n'),
    exit: 2,
    message: 'nope',
  },
  {
    area: 'periodic task files (cron run)',
    args: cronRun,
    files: every('@every 1m', '    options: {queue: ""}\n'),
    exit: 2,
    message: 'queue',
  },
  {
    area: 'periodic task files (cron run)',
    args: cronRun,
    files: every('@every 1m', '    options: {max_retry: x}\n'),
    exit: 2,
    message: 'max_retry',
  },
  {
    area: 'periodic task files (cron run)',
    args: cronRun,
    files: every('@every 1m', '    options: {nope: 1}\n'),
    exit: 2,
    message: 'nope',
  },
  {
    area: 'periodic task files (cron run)',
    args: cronRun,
    files: every('@every 1m', '    options: {timeout: soon}\n'),
    exit: 2,
    message: 'timeout',
  },
  {
    area: 'periodic task files (cron run)',
    args: cronRun,
    files: every('@every 1m', '    options: [1]\n'),
    exit: 2,
    message: 'must be a mapping',
  },
  {
    area: 'periodic task files (cron run)',
    args: cronRun,
    files: yml('configs:\n  - cronspec: "@every 1m"\n    task_type: t\n  - bad\n'),
    exit: 2,
    message: 'p.yml:4',
  },

  // ---------------------------------------------------------------- handler modules
  {
    area: 'handler modules',
    args: worker('--handlers', 'nope.js'),
    exit: 2,
    message: 'handlers module nope.js does not exist',
  },
  {
    area: 'handler modules',
    args: worker('--handlers', '{fixtures}/handlers/throws.mjs'),
    exit: 2,
    message: 'boom while loading',
  },
  {
    area: 'handler modules',
    args: worker('--handlers', '{fixtures}/handlers/bad-export.mjs'),
    exit: 2,
    message: 'must be a ServeMux, a Handler, a function',
  },
  {
    area: 'handler modules',
    args: worker('--handlers', '{fixtures}/handlers/bad-map.mjs'),
    exit: 2,
    message: 'the handler for "email:*" must be a function or an object with processTask()',
  },
  {
    area: 'handler modules',
    args: worker('--handlers', '{fixtures}/handlers/no-default.mjs'),
    exit: 2,
    message: 'has no default export',
  },
  {
    area: 'handler modules',
    args: worker('--handlers', '{dir}/syntax.mjs'),
    files: {'syntax.mjs': 'export default (task => {\n'},
    exit: 2,
    message: 'syntax.mjs',
  },
  {
    area: 'handler modules',
    args: worker('--handlers', '{dir}/h.json'),
    files: {'h.json': '{}'},
    exit: 2,
    message: 'h.json',
  },
  {area: 'handler modules', args: worker('--handlers', '{dir}'), exit: 2, message: 'handlers module {dir}'},
  {
    area: 'handler modules',
    args: worker('--handlers', '{dir}/empty.mjs'),
    files: {'empty.mjs': 'export default {};\n'},
    exit: 2,
    message: 'maps no task types to handlers',
  },
  {
    area: 'handler modules',
    args: worker('--handlers', '{dir}/num.mjs'),
    files: {'num.mjs': 'export default 42;\n'},
    exit: 2,
    message: 'must be a ServeMux, a Handler, a function',
  },

  // ---------------------------------------------------------------- exec commands and worker flags
  {
    area: 'exec commands and worker flags',
    args: worker(),
    exit: 2,
    message: 'nothing to run tasks with: give --exec PATTERN=COMMAND and/or --handlers MODULE',
  },
  {
    area: 'exec commands and worker flags',
    args: worker('--exec', 'a=./missing.sh'),
    exit: 2,
    message: './missing.sh: no such executable file',
  },
  {area: 'exec commands and worker flags', args: worker('--exec', 'a=cat | tee'), exit: 2, message: 'shell syntax (|)'},
  {
    area: 'exec commands and worker flags',
    args: worker('--exec', 'a=echo $(whoami)'),
    exit: 2,
    message: 'shell syntax',
  },
  {area: 'exec commands and worker flags', args: worker('--exec', 'a=cat > out'), exit: 2, message: 'shell syntax'},
  {
    area: 'exec commands and worker flags',
    args: worker('--exec', 'a=echo "unterminated'),
    exit: 2,
    message: 'unterminated " quote in command',
  },
  {
    area: 'exec commands and worker flags',
    args: worker('--exec', 'a='),
    exit: 2,
    message: '--exec "a=": the command is empty',
  },
  {
    area: 'exec commands and worker flags',
    args: worker('--exec', '=cat'),
    exit: 2,
    message: "the task type pattern before '=' is empty",
  },
  {
    area: 'exec commands and worker flags',
    args: worker('--exec', 'cat'),
    exit: 2,
    message: '--exec "cat": expected PATTERN=COMMAND',
  },
  {
    area: 'exec commands and worker flags',
    args: worker('--exec', 'a=true', '--exec', 'a=false'),
    exit: 2,
    message: 'task type pattern "a" is registered twice',
  },
  {
    area: 'exec commands and worker flags',
    args: worker('--exec', 'a={dir}/plain.sh'),
    files: {'plain.sh': 'echo hi\n'},
    exit: 2,
    message: 'plain.sh',
  },
  {
    area: 'exec commands and worker flags',
    args: worker('--exec', 'a={dir}'),
    exit: 2,
    message: 'no such executable file',
  },
  {
    area: 'exec commands and worker flags',
    args: worker('--exec', 'a=true', '--queues', 'a=0'),
    exit: 2,
    message: 'invalid queue priority in "a=0"',
  },
  {
    area: 'exec commands and worker flags',
    args: worker('--exec', 'a=true', '--queues', 'a=x'),
    exit: 2,
    message: 'invalid queue priority in "a=x"',
  },
  {
    area: 'exec commands and worker flags',
    args: worker('--exec', 'a=true', '--queues', 'a=-1'),
    exit: 2,
    message: 'invalid queue priority in "a=-1"',
  },
  {
    area: 'exec commands and worker flags',
    args: worker('--exec', 'a=true', '--queues', 'a,a=2'),
    exit: 2,
    message: 'queue "a" is given twice',
  },
  {
    area: 'exec commands and worker flags',
    args: worker('--exec', 'a=true', '-q', ''),
    exit: 2,
    message: 'empty queue name in -q "": queue name must contain one or more characters',
  },
  {
    area: 'exec commands and worker flags',
    args: worker('--exec', 'a=true', '--queues', 'a,,b'),
    exit: 2,
    message: 'empty queue name in --queues "a,,b"',
  },
  {
    area: 'exec commands and worker flags',
    args: worker('--exec', 'a=true', '--concurrency', '0'),
    exit: 2,
    message: 'Expected an integer greater than or equal to 1 but received: 0',
  },
  {
    area: 'exec commands and worker flags',
    args: worker('--exec', 'a=true', '--concurrency', 'x'),
    exit: 2,
    message: 'Expected an integer but received: x',
  },
  {
    area: 'exec commands and worker flags',
    args: worker('--exec', 'a=true', '--log-level', 'loud'),
    exit: 2,
    message: 'Expected --log-level=loud to be one of',
  },
  {
    area: 'exec commands and worker flags',
    args: worker('--exec', 'a=true', '--log-format', 'xml'),
    exit: 2,
    message: 'Expected --log-format=xml to be one of',
  },
  {
    area: 'exec commands and worker flags',
    args: worker('--exec', 'a=true', '-u', '127.0.0.1:1'),
    exit: 5,
    message: 'cannot connect to Redis at 127.0.0.1:1 (from flags)',
  },
  {
    area: 'exec commands and worker flags',
    args: worker('--exec', 'a=true', '--db', '99'),
    exit: 2,
    message: 'database 99 does not exist on Redis',
  },
  {
    area: 'exec commands and worker flags',
    args: [...cronRun, '--db', '99'],
    files: every('@every 1m'),
    exit: 2,
    message: 'database 99 does not exist on Redis',
  },

  // ---------------------------------------------------------------- signals
  {area: 'signals', args: enq('--payload-file', '-'), signal: {name: 'SIGINT', afterMs: 600}, exit: 130, message: ''},
  {area: 'signals', args: ['enqueue', '--from', '-'], signal: {name: 'SIGINT', afterMs: 600}, exit: 130, message: ''},
  {area: 'signals', args: enq('--payload-file', '-'), signal: {name: 'SIGTERM', afterMs: 600}, exit: 143, message: ''},
  {
    area: 'signals',
    args: worker('--exec', 'a=true'),
    signal: {name: 'SIGINT', after: 'Starting processing'},
    exit: 0,
    message: '',
  },
  // Two SIGTERMs 5 ms apart: one signal delivered twice (as npm/npx forward a Ctrl-C), so one graceful shutdown, exit 0.
  {
    area: 'signals',
    args: worker('--exec', 'a=true'),
    signal: {name: 'SIGTERM', after: 'Starting processing', twice: true},
    exit: 0,
    message: '',
  },
  {area: 'signals', args: worker('--exec', 'a=true'), signal: {name: 'SIGINT', afterMs: 50}, exit: 130, message: ''},
  {
    area: 'signals',
    args: cronRun,
    files: every('@every 1h'),
    signal: {name: 'SIGINT', after: 'Running 1 periodic task'},
    exit: 0,
    message: '',
  },
  {
    area: 'signals',
    args: cronRun,
    files: every('@every 1h'),
    signal: {name: 'SIGTERM', afterMs: 50},
    exit: 143,
    message: '',
  },

  // ---------------------------------------------------------------- data in Redis
  {
    area: 'data in Redis',
    args: ['stats'],
    seed: 'pending list is a string',
    exit: 6,
    stdout: '',
    message: 'queue "default" left out: bad data in Redis',
  },
  {
    area: 'data in Redis',
    args: ['task', 'ls', '-q', 'default', '-s', 'pending'],
    seed: 'pending list is a string',
    exit: 6,
    message: 'rdb.ListPending: WRONGTYPE',
  },
  {
    area: 'data in Redis',
    args: ['queue', 'ls'],
    seed: 'queue set is a string',
    exit: 6,
    message: 'rdb.AllQueues: WRONGTYPE',
  },
  {
    area: 'data in Redis',
    args: ['task', 'inspect', '-q', 'default', 'bad'],
    seed: 'task hash with an undecodable message',
    exit: 6,
    message: 'cannot decode TaskMessage',
  },
  {
    area: 'data in Redis',
    args: ['task', 'inspect', '-q', 'default', 'bad'],
    seed: 'task hash that is a string',
    exit: 6,
    message: 'rdb.GetTaskInfo: WRONGTYPE',
  },
  {
    area: 'data in Redis',
    args: ['task', 'delete', '-q', 'default', 'ghost'],
    seed: 'a dangling ID in the pending list',
    exit: 3,
    message: 'cannot find task with id=ghost',
  },
];
