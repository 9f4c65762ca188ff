/**
 * The pure parts of `asynq dev` (src/cli/dev-server.ts) and how connection.ts uses its state file:
 * only when no flag, environment variable or config file names a server, and only while the PID
 * in the file is alive.
 */
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {resolveConnection, type ResolveContext} from '../../src/cli/connection.js';
import {
  claimStateFile,
  devStateDir,
  parsePort,
  readDevState,
  redisServerArgs,
  removeStateFile,
  writeStateFile,
} from '../../src/cli/dev-server.js';
import {FailedPreconditionError, ValidationError} from '../../src/lib/errors.js';

const HOME = '/home/tester';
const DEV_FILE = `${HOME}/.local/share/asynq/dev/dev.json`;
const LIVE = 4242;
const alive = (pid: number): boolean => pid === LIVE;

function ctx(env: Record<string, string> = {}, files: Record<string, string> = {}): ResolveContext {
  return {env, homeDir: HOME, readFile: (p) => files[p], pidAlive: alive};
}

const devFile = (state: object): Record<string, string> => ({[DEV_FILE]: JSON.stringify(state)});

describe('devStateDir', () => {
  it('is $ASYNQ_DEV_DIR, else $XDG_DATA_HOME/asynq/dev, else ~/.local/share/asynq/dev', () => {
    expect(devStateDir({}, HOME)).toBe(`${HOME}/.local/share/asynq/dev`);
    expect(devStateDir({XDG_DATA_HOME: '/data'}, HOME)).toBe('/data/asynq/dev');
    expect(devStateDir({XDG_DATA_HOME: 'relative'}, HOME)).toBe(`${HOME}/.local/share/asynq/dev`); // XDG: ignore relative paths
    expect(devStateDir({XDG_DATA_HOME: '/data', ASYNQ_DEV_DIR: '/srv/dev'}, HOME)).toBe('/srv/dev');
    expect(devStateDir({ASYNQ_DEV_DIR: '~/dev'}, HOME)).toBe(`${HOME}/dev`);
  });
});

describe('resolveConnection with a running asynq dev', () => {
  it('takes the port from dev.json when nothing names a server and the asynq dev PID is alive', () => {
    expect(resolveConnection({}, ctx({}, devFile({pid: LIVE, redisPid: 1, host: '127.0.0.1', port: 41234})))).toEqual({
      conn: {addr: '127.0.0.1:41234'},
      source: `asynq dev (${DEV_FILE})`,
    });
  });

  it('looks in $ASYNQ_DEV_DIR, then $XDG_DATA_HOME/asynq/dev', () => {
    const files = {
      '/srv/dev/dev.json': JSON.stringify({pid: LIVE, port: 1111}),
      '/data/asynq/dev/dev.json': JSON.stringify({pid: LIVE, port: 2222}),
    };
    expect(resolveConnection({}, ctx({ASYNQ_DEV_DIR: '/srv/dev', XDG_DATA_HOME: '/data'}, files)).conn).toEqual({
      addr: '127.0.0.1:1111',
    });
    expect(resolveConnection({}, ctx({XDG_DATA_HOME: '/data'}, files)).conn).toEqual({addr: '127.0.0.1:2222'});
  });

  it('ignores dev.json whose PID is dead, that has no port yet, or that is not JSON', () => {
    for (const text of [JSON.stringify({pid: 99, port: 41234}), JSON.stringify({pid: LIVE}), 'garbage', '']) {
      expect(resolveConnection({}, ctx({}, {[DEV_FILE]: text}))).toEqual({
        conn: {addr: '127.0.0.1:6379'},
        source: 'default',
      });
    }
  });

  it('never overrides a server named by a flag, ASYNQ_REDIS_URL, REDIS_URL or the config file', () => {
    const files = {...devFile({pid: LIVE, port: 41234}), [`${HOME}/.asynq.yml`]: 'uri: redis.internal:6380\n'};
    expect(resolveConnection({uri: 'flag:1'}, ctx({}, files)).source).toBe('flags');
    expect(resolveConnection({}, ctx({ASYNQ_REDIS_URL: 'redis://env:2'}, files)).source).toBe('ASYNQ_REDIS_URL');
    expect(resolveConnection({}, ctx({REDIS_URL: 'redis://env:3'}, files)).source).toBe('REDIS_URL');
    expect(resolveConnection({}, ctx({}, files)).conn).toEqual({addr: 'redis.internal:6380'});
    expect(resolveConnection({cluster: true}, ctx({}, devFile({pid: LIVE, port: 41234}))).conn).toMatchObject({
      addrs: expect.arrayContaining(['127.0.0.1:7000']),
    });
  });

  it('applies settings that name no server (db from the config file, --db) to it, as to the default', () => {
    const files = {...devFile({pid: LIVE, port: 41234}), [`${HOME}/.asynq.yml`]: 'db: 3\n'};
    expect(resolveConnection({}, ctx({}, files)).conn).toEqual({addr: '127.0.0.1:41234', db: 3});
    expect(resolveConnection({db: 5}, ctx({}, devFile({pid: LIVE, port: 41234}))).conn).toEqual({
      addr: '127.0.0.1:41234',
      db: 5,
    });
  });
});

describe('state file', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, {recursive: true, force: true});
  });
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'asynq-dev-unit-'));
    dirs.push(d);
    return join(d, 'state');
  };

  it('is claimed once: a live claimant is a conflict, a dead one is returned as stale and replaced', () => {
    const dir = tmp();
    expect(claimStateFile(dir, process.pid)).toEqual({stale: undefined});
    writeStateFile(dir, {pid: process.pid, port: 1234});
    let caught: unknown;
    try {
      claimStateFile(dir, process.ppid);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(FailedPreconditionError);
    expect((caught as Error).message).toBe(
      `asynq dev is already running for ${dir} (pid ${process.pid} on 127.0.0.1:1234): use that one, or stop it first`,
    );

    writeFileSync(join(dir, 'dev.json'), JSON.stringify({pid: 2 ** 22 + 12345, redisPid: 7, port: 9}));
    expect(claimStateFile(dir, process.pid)).toEqual({stale: {pid: 2 ** 22 + 12345, redisPid: 7, port: 9}});
    expect(JSON.parse(readFileSync(join(dir, 'dev.json'), 'utf8'))).toEqual({pid: process.pid});
    expect(readDevState({ASYNQ_DEV_DIR: dir}, HOME, (p) => readFileSync(p, 'utf8'))).toBeUndefined(); // no port yet
    removeStateFile(dir, process.pid + 1); // not ours: stays
    expect(JSON.parse(readFileSync(join(dir, 'dev.json'), 'utf8'))).toEqual({pid: process.pid});
    removeStateFile(dir, process.pid);
    expect(() => readFileSync(join(dir, 'dev.json'))).toThrow(/ENOENT/);
  });
});

describe('options', () => {
  it('parsePort: empty = default, 0 = any free port, otherwise 1-65535', () => {
    expect(parsePort(undefined, '--port')).toBeUndefined();
    expect(parsePort('0', '--port')).toBe(0);
    expect(parsePort('6380', 'ASYNQ_DEV_PORT')).toBe(6380);
    expect(() => parsePort('70000', '--port')).toThrow(ValidationError);
    expect(() => parsePort('x', 'ASYNQ_DEV_PORT')).toThrow('invalid ASYNQ_DEV_PORT "x"');
  });

  it('redis-server listens on loopback only and persists with an append-only file', () => {
    const args = redisServerArgs(41234, '/d');
    const opt = (name: string): string | undefined => args[args.indexOf(name) + 1];
    expect([opt('--port'), opt('--bind'), opt('--dir'), opt('--appendonly'), opt('--logfile')]).toEqual([
      '41234',
      '127.0.0.1',
      '/d',
      'yes',
      '/d/redis.log',
    ]);
  });
});
