/**
 * `asynq dev`: a local redis-server for trying asynq out, and the state file through which the
 * other commands find it.
 *
 * - The state directory is $ASYNQ_DEV_DIR, else $XDG_DATA_HOME/asynq/dev, else
 *   ~/.local/share/asynq/dev (devStateDir). It holds the Redis data (AOF, appendonlydir/), the
 *   Redis log (redis.log) and, while `asynq dev` runs, the state file dev.json:
 *   {"pid": <asynq dev>, "redisPid": <redis-server>, "host": "127.0.0.1", "port": <n>, …}.
 * - connection.ts reads the state file (readDevState) only when no flag, environment variable or
 *   config file names a server, and only while `pid` is alive: a file left by a killed
 *   `asynq dev` is ignored.
 * - The file is created with O_EXCL before redis-server starts, so two `asynq dev` on one state
 *   directory cannot both run (claimStateFile).
 *
 * Pure helpers take the environment and file access as parameters; the process work (ports,
 * spawning, waiting) is in the functions below them.
 */
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync} from 'node:fs';
import {createConnection, createServer} from 'node:net';
import {join, resolve} from 'node:path';
import {FailedPreconditionError, RedisUnavailableError, ValidationError} from '../lib/errors.js';

export const DEV_DIR_ENV = 'ASYNQ_DEV_DIR';
export const DEV_PORT_ENV = 'ASYNQ_DEV_PORT';
export const REDIS_SERVER_ENV = 'ASYNQ_REDIS_SERVER';
export const DEV_HOST = '127.0.0.1';
export const DEV_DEFAULT_PORT = 6379;
export const STATE_FILE = 'dev.json';
const INSTALL_HINT =
  'install it with `sudo apt-get install redis-server` (Debian/Ubuntu) or `brew install redis` (macOS)';

/** What dev.json holds. */
export interface DevState {
  /** PID of the `asynq dev` process; the file counts only while it is alive. */
  pid: number;
  redisPid?: number;
  host?: string;
  port?: number;
  startedAt?: string;
}

/** The state directory: $ASYNQ_DEV_DIR, else $XDG_DATA_HOME/asynq/dev, else ~/.local/share/asynq/dev. */
export function devStateDir(env: NodeJS.ProcessEnv, homeDir: string): string {
  const explicit = env[DEV_DIR_ENV]?.trim();
  if (explicit) return resolve(explicit.startsWith('~/') ? join(homeDir, explicit.slice(2)) : explicit);
  const xdg = env.XDG_DATA_HOME?.trim();
  // XDG: a relative XDG_DATA_HOME is invalid and must be ignored.
  if (xdg && xdg.startsWith('/')) return join(xdg, 'asynq', 'dev');
  return join(homeDir, '.local', 'share', 'asynq', 'dev');
}

/** True while a process with this PID exists (EPERM: it exists, owned by someone else). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Parses dev.json; undefined for anything that is not a state object with a PID. */
function parseDevState(text: string): DevState | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || !Number.isInteger((v as DevState).pid)) return undefined;
  return v as DevState;
}

/**
 * The address of a running `asynq dev` for this environment, or undefined: dev.json exists in
 * the state directory, names a port, and its `pid` is alive.
 */
export function readDevState(
  env: NodeJS.ProcessEnv,
  homeDir: string,
  readFile: (path: string) => string | undefined,
  alive: (pid: number) => boolean = pidAlive,
): {state: DevState & {port: number}; file: string} | undefined {
  const file = join(devStateDir(env, homeDir), STATE_FILE);
  let text: string | undefined;
  try {
    text = readFile(file);
  } catch {
    return undefined; // an unreadable state file never stops a command
  }
  const state = text === undefined ? undefined : parseDevState(text);
  if (state === undefined || !Number.isInteger(state.port) || !alive(state.pid)) return undefined;
  return {state: state as DevState & {port: number}, file};
}

/** The PORT from --port or ASYNQ_DEV_PORT: undefined = 6379 if free, else any; 0 = any free port. */
export function parsePort(value: string | number | undefined, what: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new ValidationError(
      `invalid ${what} ${JSON.stringify(String(value))}: expected a port number 0-65535 (0 = any free port)`,
    );
  return n;
}

/** The redis-server arguments: loopback only, AOF persistence in `dir`, log to dir/redis.log. */
export function redisServerArgs(port: number, dir: string): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    DEV_HOST,
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
    '--daemonize',
    'no',
    '--logfile',
    join(dir, 'redis.log'),
  ];
}

/** `redis-server --version` → its version ("7.2.4"); a one-line error (exit 5) when it is not installed. */
export function redisServerVersion(bin: string): string {
  const r = spawnSync(bin, ['--version'], {encoding: 'utf8', timeout: 10_000});
  if (r.error !== undefined || r.status !== 0) {
    const missing = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
    const what =
      bin === 'redis-server'
        ? 'redis-server is not installed (not found on the PATH)'
        : `${bin} ${missing ? 'does not exist' : 'does not run'}`;
    throw new RedisUnavailableError(`${what}: ${INSTALL_HINT}, then run asynq dev again`);
  }
  return /v=(\S+)/.exec(r.stdout)?.[1] ?? 'unknown';
}

/**
 * Creates dev.json exclusively (claiming the state directory for this process). A file whose
 * `pid` is alive means another `asynq dev` runs: exit 4. A stale one is returned so that the
 * caller can stop a redis-server it left behind, and replaced.
 */
export function claimStateFile(dir: string, pid: number): {stale?: DevState} {
  mkdirSync(dir, {recursive: true});
  const file = join(dir, STATE_FILE);
  let stale: DevState | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${JSON.stringify({pid} satisfies DevState)}\n`);
      closeSync(fd);
      return {stale};
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      /* removed meanwhile */
    }
    const other = parseDevState(text);
    if (other !== undefined && other.pid !== pid && pidAlive(other.pid)) {
      const where = other.port === undefined ? '' : ` on ${other.host ?? DEV_HOST}:${other.port}`;
      throw new FailedPreconditionError(
        `asynq dev is already running for ${dir} (pid ${other.pid}${where}): use that one, or stop it first`,
      );
    }
    stale = other ?? stale;
    rmSync(file, {force: true});
  }
  throw new FailedPreconditionError(`cannot claim ${file}: another asynq dev is starting for ${dir}`);
}

/** Replaces dev.json atomically (write, then rename). */
export function writeStateFile(dir: string, state: DevState): void {
  const file = join(dir, STATE_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state)}\n`, {mode: 0o600});
  renameSync(tmp, file);
}

/** Removes dev.json if it is still this process's. */
export function removeStateFile(dir: string, pid: number): void {
  const file = join(dir, STATE_FILE);
  try {
    if (parseDevState(readFileSync(file, 'utf8'))?.pid === pid) rmSync(file, {force: true});
  } catch {
    /* already gone */
  }
}

/** True when nothing listens on host:port (we could bind it). */
export function portFree(port: number, host = DEV_HOST): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => res(false));
    srv.listen({port, host, exclusive: true}, () => srv.close(() => res(true)));
  });
}

/** A free loopback port chosen by the kernel, never 6379. */
export async function anyFreePort(host = DEV_HOST): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((res, rej) => {
      const srv = createServer();
      srv.once('error', rej);
      srv.listen({port: 0, host, exclusive: true}, () => {
        const a = srv.address();
        const p = typeof a === 'object' && a !== null ? a.port : 0;
        srv.close(() => res(p));
      });
    });
    if (port !== DEV_DEFAULT_PORT) return port;
  }
}

/**
 * One Redis command over a plain socket; resolves with the reply's text (a simple string, an
 * error prefixed with "-", or a bulk string). For PING and INFO: no client library needed.
 */
function redisCall(port: number, args: string[], timeoutMs = 2_000, host = DEV_HOST): Promise<string> {
  return new Promise((res, rej) => {
    const sock = createConnection({port, host});
    let buf = Buffer.alloc(0);
    const done = (err: Error | undefined, v?: string): void => {
      sock.destroy();
      if (err) rej(err);
      else res(v!);
    };
    sock.setTimeout(timeoutMs, () => done(new Error(`no reply from ${host}:${port}`)));
    sock.on('error', (e) => done(e));
    sock.on('connect', () =>
      sock.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`),
    );
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const eol = buf.indexOf('\r\n');
      if (eol < 0) return;
      const head = buf.subarray(0, eol).toString();
      if (head[0] === '+' || head[0] === '-' || head[0] === ':')
        return done(undefined, head[0] === '+' || head[0] === ':' ? head.slice(1) : head);
      if (head[0] === '$') {
        const len = Number(head.slice(1));
        if (len < 0) return done(undefined, '');
        if (buf.length >= eol + 2 + len) return done(undefined, buf.subarray(eol + 2, eol + 2 + len).toString());
        return;
      }
      done(new Error(`unexpected reply ${JSON.stringify(head)}`));
    });
  });
}

/**
 * Stops a redis-server that a killed `asynq dev` left running: only when the server on the
 * recorded port reports the recorded process id (INFO server), so a reused PID or port is never touched.
 */
export async function stopLeftover(stale: DevState | undefined): Promise<number | undefined> {
  if (stale?.redisPid === undefined || stale.port === undefined || !pidAlive(stale.redisPid)) return undefined;
  let info: string;
  try {
    info = await redisCall(stale.port, ['INFO', 'server'], 2_000, stale.host ?? DEV_HOST);
  } catch {
    return undefined;
  }
  if (/^process_id:(\d+)\s*$/m.exec(info)?.[1] !== String(stale.redisPid)) return undefined;
  process.kill(stale.redisPid, 'SIGTERM');
  const end = Date.now() + 30_000;
  while (pidAlive(stale.redisPid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return stale.redisPid;
}

export interface StartedRedis {
  child: ChildProcess;
  port: number;
  /** Resolves with the exit code (or signal) when redis-server exits. */
  exited: Promise<{code: number | null; signal: NodeJS.Signals | null}>;
}

/** The last lines of the Redis log (for an error message). */
function logTail(dir: string, stderr: string): string {
  let log = '';
  try {
    log = readFileSync(join(dir, 'redis.log'), 'utf8');
  } catch {
    /* not written yet */
  }
  const lines = `${stderr}\n${log}`
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines.slice(-3).join(' | ');
}

/**
 * Starts redis-server on `port` in its own process group (a terminal's Ctrl-C reaches only
 * `asynq dev`, which then stops it in order) and waits until it answers PING (also after
 * loading its AOF). Rejects with the Redis log's last lines if it exits first.
 */
export async function startRedis(
  bin: string,
  port: number,
  dir: string,
  readyTimeoutMs = 60_000,
): Promise<StartedRedis> {
  const child = spawn(bin, redisServerArgs(port, dir), {cwd: dir, detached: true, stdio: ['ignore', 'ignore', 'pipe']});
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-4096);
  });
  const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((res) => {
    child.once('exit', (code, signal) => res({code, signal}));
    child.once('error', () => res({code: null, signal: null}));
  });
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const end = Date.now() + readyTimeoutMs;
  for (;;) {
    if (gone) {
      throw new RedisUnavailableError(
        `redis-server did not start on ${DEV_HOST}:${port}: ${logTail(dir, stderr) || 'it exited at once'}`,
        {
          actions: [`see ${join(dir, 'redis.log')}`],
        },
      );
    }
    try {
      if ((await redisCall(port, ['PING'], 1_000)) === 'PONG') return {child, port, exited};
    } catch {
      /* not listening yet */
    }
    if (Date.now() > end) {
      child.kill('SIGKILL');
      throw new RedisUnavailableError(
        `redis-server on ${DEV_HOST}:${port} did not answer within ${readyTimeoutMs / 1000}s`,
        {actions: [`see ${join(dir, 'redis.log')}`]},
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True when a start failure looks like a lost race for the port. */
export function portRace(err: unknown): boolean {
  return err instanceof Error && /Address already in use|EADDRINUSE/i.test(err.message);
}
