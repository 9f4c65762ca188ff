/**
 * `asynq dev` in tests: started as a subprocess with its own temporary state directory and
 * ASYNQ_DEV_PORT=0 (a free port, never 6379), stopped with a signal; the redis-server it ran is
 * SIGKILLed afterwards if it is still there (a test that SIGKILLs `asynq dev` leaves it behind).
 *
 * The commands a test runs "without connection flags" get devEnv(dir): ASYNQ_DEV_DIR and the
 * test harness's empty HOME, nothing that names a server. Before any write, checkFindsDev()
 * proves that they reach the dev server (its INFO tcp_port), so a broken lookup can never send
 * a write to another Redis on this machine.
 */
import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process';
import {existsSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {expect} from 'vitest';
import {BIN, cliEnv, ROOT, runCli} from './cli.js';
import {processAlive} from './process.js';
import {waitFor} from './wait.js';

export interface DevProcess extends Spawned {
  dir: string;
  port: number;
  redisPid: number;
}

const started: DevProcess[] = [];
const dirs: string[] = [];

/** A new temporary state directory (removed by cleanupDev). */
export function devDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'asynq-dev-test-'));
  dirs.push(d);
  return join(d, 'state');
}

/** The environment of `asynq dev` and of the commands that should find it. */
export function devEnv(
  dir: string,
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {ASYNQ_DEV_DIR: dir, ASYNQ_DEV_PORT: '0', ...extra};
}

export interface Spawned {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit status once the process has exited. */
  exited: Promise<number | null>;
  /** SIGINT to the whole process group, as a terminal's Ctrl-C sends it. */
  ctrlC: () => void;
}

/** `node bin/run.js`, or `npx asynq` as the README writes it (run in the repository root). */
const NODE_BIN = [process.execPath, BIN];
export const NPX_ASYNQ = ['npx', 'asynq'];

/**
 * The environment npx runs in here: a cache of this test process's own, and no install scripts.
 * `npx asynq` in the repository root installs the repository into npx's cache as a `file:` link,
 * which runs its `prepare` (`npm run build`: rm -rf lib, tsc, bundle) in the repository itself.
 * Under `npm test` that rebuilt lib/ in the middle of the suite (other files' CLI tests then met
 * MODULE_NOT_FOUND), took about 30 s, and left a half-written entry in the shared ~/.npm/_npx
 * that failed later runs with ENOENT. lib/ is already built when the tests run.
 */
let npxCache: string | undefined;
export function npxEnv(): Record<string, string> {
  if (npxCache === undefined || !existsSync(npxCache)) {
    npxCache = mkdtempSync(join(tmpdir(), 'asynq-npx-cache-'));
    dirs.push(npxCache); // removed with the test's other directories (cleanupDev)
  }
  return {npm_config_cache: npxCache, npm_config_ignore_scripts: 'true'};
}

const spawned: Spawned[] = [];

/**
 * Spawns `asynq ARGS` (through `launcher`) in its own process group, as a shell starts a
 * foreground job, with the dev environment; collects its output.
 */
export function spawnCli(args: string[], env: Record<string, string | undefined>, launcher = NODE_BIN): Spawned {
  const child = spawn(launcher[0]!, [...launcher.slice(1), ...args], {
    cwd: ROOT,
    env: cliEnv(launcher === NPX_ASYNQ ? {...env, ...npxEnv()} : env),
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const p = {child, stdout: () => out, stderr: () => err, exited, ctrlC: () => process.kill(-child.pid!, 'SIGINT')};
  spawned.push(p);
  return p;
}

/** Starts `asynq dev` (plus ARGS) on `dir` and waits for its ready line. */
export async function startDev(
  dir: string,
  args: string[] = [],
  env: Record<string, string | undefined> = {},
  launcher = NODE_BIN,
): Promise<DevProcess> {
  const p = spawnCli(['dev', ...args], devEnv(dir, env), launcher);
  const ready = await Promise.race([
    waitFor(
      () => /ready on 127\.0\.0\.1:(\d+) \(redis-server pid (\d+)\)/.exec(p.stdout()),
      () => `asynq dev to be ready; stdout:\n${p.stdout()}\nstderr:\n${p.stderr()}`,
      20_000,
    ),
    p.exited.then((code) => {
      throw new Error(`asynq dev exited with ${code} before it was ready:\n${p.stdout()}${p.stderr()}`);
    }),
  ]);
  const dev: DevProcess = {...p, dir, port: Number(ready[1]), redisPid: Number(ready[2])};
  expect(dev.port).not.toBe(6379);
  started.push(dev);
  return dev;
}

/** Proves that a command without connection flags reaches this dev server (read-only: stats). */
export async function checkFindsDev(dev: DevProcess): Promise<void> {
  const r = await runCli(['stats', '--json'], {env: devEnv(dev.dir)});
  expect({code: r.code, stderr: r.stderr}).toEqual({code: 0, stderr: ''});
  expect((JSON.parse(r.stdout) as {redis: {tcp_port: string}}).redis.tcp_port).toBe(String(dev.port));
}

/** Kills whatever is left (asynq dev and other spawned commands, the dev redis-servers) and removes the state directories. */
export async function cleanupDev(): Promise<void> {
  for (const p of spawned.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      try {
        process.kill(-p.child.pid!, 'SIGTERM');
      } catch {
        /* the group is gone */
      }
      await Promise.race([p.exited, new Promise((r) => setTimeout(r, 10_000))]);
      try {
        process.kill(-p.child.pid!, 'SIGKILL');
      } catch {
        /* the group is gone */
      }
    }
  }
  for (const d of started.splice(0)) {
    if (processAlive(d.redisPid)) {
      process.kill(d.redisPid, 'SIGKILL');
      await waitFor(() => !processAlive(d.redisPid), `redis-server ${d.redisPid} to go`, 5_000);
    }
  }
  for (const d of dirs.splice(0)) rmSync(d, {recursive: true, force: true});
}
