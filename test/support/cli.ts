/**
 * Running the `asynq` CLI from tests.
 *
 * - `runCli(args, {env, stdin})` spawns `node bin/run.js` (exit code, stdout, stderr; pipes, so
 *   no TTY: the non-interactive path is what it exercises).
 * - `runCliInProcess(args, {env})` runs the same oclif entry in this process through
 *   @oclif/test's captureOutput: ~50x faster, for output and --json shape checks. Exit codes come
 *   from the thrown ExitError, as bin/run.js would exit.
 * - `useCli()`, the fixture of the command tests: useRedis's per-file redis-server (flushed before
 *   each test) with both runners pointed at it, and TZ=UTC (times in Go's UnixDate layout use the
 *   local zone) unless a test passes another TZ.
 *
 * Both run the compiled lib/. Importing this module builds it first when needed (`npm run
 * build:lib`, under a lock shared by all test workers) if oclif.manifest.json, the last thing
 * build:lib writes, is missing or older than any file in src/, scripts/, package.json or
 * tsconfig.json. The man pages are not regenerated here (test/e2e/man-pages.test.ts checks them).
 *
 * Isolation: the CLI gets HOME = an empty temporary directory (no ~/.asynq.yml) and none of
 * ASYNQ_REDIS_URL, REDIS_URL, ASYNQ_CONTENT_TYPE, NO_COLOR, FORCE_COLOR, DEBUG, CI, ASYNQ_TLS_*
 * or Node's TLS variables from the caller's environment (nor ASYNQ_DEV_DIR, XDG_DATA_HOME,
 * ASYNQ_DEV_PORT, so no `asynq dev` state file of the developer's is found). Unless the test sets
 * ASYNQ_REDIS_URL/REDIS_URL, ASYNQ_DEV_DIR or its own HOME, the
 * CLI's fallback is pointed at a closed port (redis://127.0.0.1:1), so a test that forgets a
 * connection flag fails fast instead of touching a Redis on 6379.
 */
import {spawn, spawnSync} from 'node:child_process';
import {Console} from 'node:console';
import {mkdirSync, mkdtempSync, readdirSync, rmdirSync, statSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {captureOutput} from '@oclif/test';
import {run} from '@oclif/core';
import {expect} from 'vitest';
import {dumpAll, dumpAllSince} from './dump.js';
import {useRedis, type RedisFixture} from './redis.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'run.js');
/** Where the CLI's fallback points unless a test names a server: nothing listens on port 1. */
export const CLOSED_REDIS_URL = 'redis://127.0.0.1:1';

// ASYNQ_DEV_DIR/XDG_DATA_HOME/ASYNQ_DEV_PORT: a developer's own `asynq dev` is never found by a test.
const STRIPPED_ENV = [
  'ASYNQ_REDIS_URL',
  'REDIS_URL',
  'ASYNQ_CONTENT_TYPE',
  'NO_COLOR',
  'FORCE_COLOR',
  'DEBUG',
  'CI',
  'ASYNQ_DEV_DIR',
  'XDG_DATA_HOME',
  'ASYNQ_DEV_PORT',
  'ASYNQ_TLS_CA_CERT',
  'ASYNQ_TLS_CERT',
  'ASYNQ_TLS_KEY',
  'ASYNQ_TLS_INSECURE',
  'ASYNQ_TLS_SERVER',
  'NODE_EXTRA_CA_CERTS',
  'NODE_TLS_REJECT_UNAUTHORIZED',
];
const BUILD_STAMP = join(ROOT, 'oclif.manifest.json');
const LOCK = join(ROOT, 'node_modules', '.cache', 'asynq-ts-build.lock');
const LOCK_STALE_MS = 10 * 60_000;

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const e of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, e)));
  return newest;
}

/** True when lib/ must be rebuilt: no build stamp, or an input newer than it. */
function buildIsStale(): boolean {
  let stamp: number;
  try {
    stamp = statSync(BUILD_STAMP).mtimeMs;
  } catch {
    return true;
  }
  const inputs = ['src', 'scripts', 'package.json', 'tsconfig.json'].map((p) => join(ROOT, p));
  return Math.max(...inputs.map(newestMtime)) > stamp;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function withBuildLock(fn: () => void): void {
  mkdirSync(dirname(LOCK), {recursive: true});
  const deadline = Date.now() + LOCK_STALE_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const held = statSync(LOCK, {throwIfNoEntry: false});
      if (held === undefined) continue; // released just now
      // A holder that died leaves the lock behind: take it over after LOCK_STALE_MS.
      if (Date.now() - held.mtimeMs > LOCK_STALE_MS || Date.now() > deadline) rmdirSync(LOCK);
      else sleepSync(200);
    }
  }
  try {
    fn();
  } finally {
    rmdirSync(LOCK);
  }
}

/** Builds lib/ (`npm run build:lib`) if it is stale; throws with the build output on failure. */
export function ensureBuilt(): void {
  if (!buildIsStale()) return;
  withBuildLock(() => {
    if (!buildIsStale()) return; // another worker built it while we waited
    const r = spawnSync('npm', ['run', '--silent', 'build:lib'], {cwd: ROOT, encoding: 'utf8', timeout: 5 * 60_000});
    if (r.status !== 0) {
      throw new Error(
        `npm run build:lib failed (exit ${r.status ?? r.signal}); the CLI tests need a clean build:\n${r.stdout}${r.stderr}`,
      );
    }
  });
}

export interface CliResult {
  /** Exit status (null if killed by a signal). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  /** Extra environment; `undefined` values remove a variable. HOME may be set to use a config file. */
  env?: Record<string, string | undefined>;
  /** Written to the child's stdin, which is then closed (default: closed at once). */
  stdin?: string | Buffer;
  /** Kill the child after this long (default 15 s). */
  timeoutMs?: number;
}

let emptyHome: string | undefined;

/** The environment the CLI runs with (see the module comment). */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  emptyHome ??= mkdtempSync(join(tmpdir(), 'asynq-cli-home-'));
  const env: NodeJS.ProcessEnv = {...process.env, HOME: emptyHome};
  for (const k of STRIPPED_ENV) delete env[k];
  const namesServer = ['ASYNQ_REDIS_URL', 'REDIS_URL', 'HOME', 'ASYNQ_DEV_DIR'].some((k) => k in extra);
  if (!namesServer) env.ASYNQ_REDIS_URL = CLOSED_REDIS_URL;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Spawns `node bin/run.js ...args` and collects its exit status and output. */
export function runCli(args: readonly string[], opts: RunCliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: cliEnv(opts.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 15_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8')});
    });
    child.stdin.on('error', () => {}); // the CLI may exit before reading stdin
    child.stdin.end(opts.stdin ?? '');
  });
}

export interface InProcessResult<T = unknown> {
  code: number;
  stdout: string;
  stderr: string;
  /** What the command's run() returned (the --json document). */
  result?: T;
  error?: Error;
}

/**
 * Runs the CLI in this process (same entry point as bin/run.js, output captured, ANSI stripped).
 * Environment changes are applied for the duration of the call only; calls must not overlap.
 */
export async function runCliInProcess<T = unknown>(
  args: readonly string[],
  opts: {env?: Record<string, string | undefined>} = {},
): Promise<InProcessResult<T>> {
  const saved = {...process.env};
  const env = cliEnv(opts.env);
  for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
  Object.assign(process.env, env);
  try {
    // oclif prints through console.log, which vitest intercepts: give it a console on the
    // (captured) process streams for the duration of the call.
    const r = await captureOutput<T>(async () => {
      const vitestConsole = globalThis.console;
      globalThis.console = new Console({stdout: process.stdout, stderr: process.stderr});
      try {
        return await run([...args], {root: ROOT});
      } finally {
        globalThis.console = vitestConsole;
      }
    });
    const exit = (r.error as {oclif?: {exit?: number}} | undefined)?.oclif?.exit;
    return {code: r.error ? (exit ?? 1) : 0, stdout: r.stdout, stderr: r.stderr, result: r.result, error: r.error};
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

export interface CliFixture extends RedisFixture {
  /** Runs `asynq ...args` in process against the test server. */
  asynq(args: string[], env?: Record<string, string | undefined>): Promise<InProcessResult>;
  /** Runs `asynq ...args --json`, expects exit 0, nothing on stderr and one JSON document on stdout; returns it. */
  asynqJson<T = unknown>(args: string[]): Promise<T>;
  /** Runs the command in process, expects exit `code`, nothing on stdout and Redis unchanged; returns stderr. */
  failsUnchanged(args: string[], code: number): Promise<string>;
  /** Runs bin/run.js as a subprocess against the test server. */
  spawn(args: string[], opts?: RunCliOptions): Promise<CliResult>;
}

export function useCli(): CliFixture {
  const fx = useRedis() as CliFixture;
  const env = (): Record<string, string> => ({ASYNQ_REDIS_URL: fx.server.url, TZ: 'UTC'});
  fx.asynq = (args, extra = {}) => runCliInProcess(args, {env: {...env(), ...extra}});
  fx.asynqJson = async <T>(args: string[]): Promise<T> => {
    const r = await fx.asynq([...args, '--json']);
    expect({code: r.code, stderr: r.stderr}).toEqual({code: 0, stderr: ''});
    return JSON.parse(r.stdout) as T;
  };
  fx.failsUnchanged = async (args, code) => {
    const before = await dumpAll(fx.redis);
    const r = await fx.asynq(args);
    expect({code: r.code, stdout: r.stdout}).toEqual({code, stdout: ''});
    expect(await dumpAllSince(fx.redis, before)).toEqual(before);
    return r.stderr;
  };
  fx.spawn = (args, opts = {}) => runCli(args, {...opts, env: {...env(), ...opts.env}});
  return fx;
}

/**
 * Rows of a table printed as Go's tabwriter does (header, a line of dashes, then rows), cut at the
 * columns where the dash runs start, so a cell holding two spaces in a row (Go's UnixDate pads a
 * one-digit day: `Mon Dec  7`) stays one cell whatever the date. A text without a dash line is
 * split on runs of 2+ spaces.
 */
export function rows(text: string): string[][] {
  const lines = text.trimEnd().split('\n');
  const dashes = lines[1] ?? '';
  if (!/^-+( +-+)*$/.test(dashes.trim())) return lines.map((l) => l.trim().split(/ {2,}/));
  const starts = [...dashes.matchAll(/-+/g)].map((m) => m.index);
  return lines.map((l) => starts.map((s, i) => l.slice(s, starts[i + 1] ?? l.length).trim()));
}

ensureBuilt();
