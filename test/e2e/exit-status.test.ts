/**
 * What every command inherits from AsynqCommand, seen from outside through the spawned binary:
 * where it connects (flags > ASYNQ_REDIS_URL/REDIS_URL > config file), the exit-status table,
 * error output on stderr or as JSON, no password in any output, and exit 130 on SIGINT.
 * `asynq queue ls` is the probe: the simplest command that talks to Redis.
 */
import {spawn} from 'node:child_process';
import {mkdtempSync, writeFileSync} from 'node:fs';
import {createServer, type Server, type Socket} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeEach, describe, expect, it} from 'vitest';
import {allQueues} from '../../src/lib/base/keys.js';
import {BIN, CLOSED_REDIS_URL, cliEnv, runCli, runCliInProcess} from '../support/cli.js';
import {useRedis} from '../support/redis.js';

const r = useRedis();
const SECRET = 'Sup3r-S3cret-pw';
const ANSI = /\u001b\[/;

function homeWithConfig(yaml: string): string {
  const home = mkdtempSync(join(tmpdir(), 'asynq-home-'));
  writeFileSync(join(home, '.asynq.yml'), yaml);
  return home;
}

function parseJson(stdout: string): {error: {code: string; message: string; exitCode: number; actions: string[]}} {
  return JSON.parse(stdout) as never;
}

beforeEach(async () => {
  await r.redis.sadd(allQueues, 'default', 'critical');
});

describe('where the CLI connects', () => {
  it("uses --uri (host:port, as Go's CLI) and prints one queue per line", async () => {
    const res = await runCli(['queue', 'ls', '--uri', `${r.server.host}:${r.server.port}`]);
    expect(res).toMatchObject({code: 0, stdout: 'critical\ndefault\n', stderr: ''});
  });

  it('uses ASYNQ_REDIS_URL, and REDIS_URL when ASYNQ_REDIS_URL is unset', async () => {
    expect(await runCli(['queue', 'ls'], {env: {ASYNQ_REDIS_URL: r.server.url}})).toMatchObject({
      code: 0,
      stdout: 'critical\ndefault\n',
    });
    expect(await runCli(['queue', 'ls'], {env: {REDIS_URL: r.server.url}})).toMatchObject({
      code: 0,
      stdout: 'critical\ndefault\n',
    });
  });

  it('uses ~/.asynq.yml (Go CLI keys) when no flag or environment variable names a server', async () => {
    const home = homeWithConfig(`uri: ${r.server.host}:${r.server.port}\ndb: 0\n`);
    expect(await runCli(['queue', 'ls'], {env: {HOME: home}})).toMatchObject({code: 0, stdout: 'critical\ndefault\n'});
    // --config names another file explicitly.
    const other = homeWithConfig(`uri: ${r.server.host}:${r.server.port}\n`);
    expect(
      await runCli(['queue', 'ls', '--config', join(other, '.asynq.yml')], {
        env: {HOME: mkdtempSync(join(tmpdir(), 'empty-'))},
      }),
    ).toMatchObject({code: 0});
  });

  it('prefers flags over the environment, and the environment over the config file', async () => {
    const deadHome = homeWithConfig('uri: 127.0.0.1:1\n');
    expect(await runCli(['queue', 'ls'], {env: {HOME: deadHome, ASYNQ_REDIS_URL: r.server.url}})).toMatchObject({
      code: 0,
    });
    expect(await runCli(['queue', 'ls', '-u', r.server.url], {env: {ASYNQ_REDIS_URL: CLOSED_REDIS_URL}})).toMatchObject(
      {code: 0},
    );
    expect(
      (
        await runCli(['queue', 'ls'], {
          env: {HOME: homeWithConfig(`uri: ${r.server.url}\n`), ASYNQ_REDIS_URL: CLOSED_REDIS_URL},
        })
      ).code,
    ).toBe(5);
  });

  it('selects the database with -n on top of the URI', async () => {
    const db3 = r.server.client({db: 3});
    await db3.sadd(allQueues, 'only-in-db3');
    try {
      expect(await runCli(['queue', 'ls', '-u', r.server.url, '-n', '3'])).toMatchObject({
        code: 0,
        stdout: 'only-in-db3\n',
      });
    } finally {
      await db3.flushdb();
    }
  });
});

describe('exit status and error output', () => {
  it('Redis unreachable: exit 5, one Error line plus hints on stderr, nothing on stdout, no stack', async () => {
    const res = await runCli(['queue', 'ls']); // the fallback points at a closed port
    expect(res.code).toBe(5);
    expect(res.stdout).toBe('');
    const lines = res.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Error: .*127\.0\.0\.1:1/);
    expect(lines.slice(1).every((l) => l.startsWith('  Try: '))).toBe(true);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('with --json the error is {"error":{code,message,exitCode,actions}} on stdout', async () => {
    const res = await runCli(['queue', 'ls', '--json']);
    expect(res.code).toBe(5);
    const {error} = parseJson(res.stdout);
    expect(Object.keys(error).sort()).toEqual(['actions', 'code', 'exitCode', 'message']);
    expect(error).toMatchObject({code: 'REDIS_UNAVAILABLE', exitCode: 5});
    expect(res.stderr).toBe('');
  });

  it('ASYNQ_CONTENT_TYPE=json works like --json', async () => {
    const res = await runCli(['queue', 'ls'], {env: {ASYNQ_CONTENT_TYPE: 'json', ASYNQ_REDIS_URL: r.server.url}});
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual([{queue: 'critical'}, {queue: 'default'}]);
  });

  it('--debug (or DEBUG=1) adds the stack trace on stderr', async () => {
    for (const res of [await runCli(['queue', 'ls', '--debug']), await runCli(['queue', 'ls'], {env: {DEBUG: '1'}})]) {
      expect(res.code).toBe(5);
      expect(res.stderr).toMatch(/\n\s+at /);
    }
  });

  it("a bad flag or flag value is a usage error: exit 2, with the command's --help as the hint", async () => {
    const bogus = await runCli(['queue', 'ls', '--bogus']);
    expect(bogus).toMatchObject({code: 2, stdout: ''});
    expect(bogus.stderr).toBe('Error: Nonexistent flag: --bogus\n  Try: asynq queue list --help\n');
    const badDb = await runCli(['queue', 'ls', '--db', 'x', '--json']);
    expect(badDb.code).toBe(2);
    expect(parseJson(badDb.stdout).error).toEqual({
      code: 'USAGE',
      message: 'Parsing --db: Expected an integer but received: x',
      exitCode: 2,
      actions: ['asynq queue list --help'],
    });
    const twoServers = await runCli(['queue', 'ls', '-u', 'a:1', '--cluster-addrs', 'b:2']);
    expect(twoServers).toMatchObject({
      code: 2,
      stderr: 'Error: --uri and --cluster-addrs name different servers: give only one\n',
    });
  });

  it('a missing --config file is a usage error', async () => {
    const res = await runCli(['queue', 'ls', '--config', '/nonexistent/asynq.yml']);
    expect(res).toMatchObject({
      code: 2,
      stderr: 'Error: config file /nonexistent/asynq.yml does not exist\n  Try: check the --config path\n',
    });
  });

  it('never prints a password: not from the URL, the flag, or a config file', async () => {
    const runs = [
      await runCli(['queue', 'ls', '--debug'], {env: {ASYNQ_REDIS_URL: `redis://:${SECRET}@127.0.0.1:1/0`}}),
      await runCli(['queue', 'ls', '--json', '--debug', '-p', SECRET]),
      await runCli(['queue', 'ls', `--password=${SECRET}`, '--db', 'x']),
      await runCli(['queue', 'ls', '--debug'], {
        env: {HOME: homeWithConfig(`uri: 127.0.0.1:1\npassword: ${SECRET}\n`)},
      }),
    ];
    for (const res of runs) {
      expect(res.code).not.toBe(0);
      expect(res.stdout + res.stderr).not.toContain(SECRET);
    }
  });

  it('no colour codes on a pipe, also in error output', async () => {
    const res = await runCli(['queue', 'ls']);
    expect(res.stderr).not.toMatch(ANSI);
    const ok = await runCli(['queue', 'ls', '-u', r.server.url]);
    expect(ok.stdout).not.toMatch(ANSI);
  });
});

describe('in-process runner', () => {
  it("returns the command's result, its JSON on stdout, and the exit status", async () => {
    const ok = await runCliInProcess(['queue', 'ls', '--json', '-u', r.server.url]);
    expect(ok).toMatchObject({code: 0, result: [{queue: 'critical'}, {queue: 'default'}], stderr: ''});
    expect(JSON.parse(ok.stdout)).toEqual(ok.result);
    const failed = await runCliInProcess(['queue', 'ls', '--json']);
    expect(failed.code).toBe(5);
    expect(JSON.parse(failed.stdout)).toMatchObject({error: {code: 'REDIS_UNAVAILABLE', exitCode: 5}});
  });
});

describe('SIGINT', () => {
  const sockets = new Set<Socket>();
  let blackhole: Server | undefined;
  afterAll(() => {
    for (const s of sockets) s.destroy();
    blackhole?.close();
  });

  it('a one-shot command interrupted with Ctrl-C exits 130', async () => {
    // A server that accepts connections and never answers: the command waits for Redis forever.
    let connected!: () => void;
    const accepted = new Promise<void>((resolve) => (connected = resolve));
    blackhole = createServer((s) => {
      sockets.add(s);
      connected();
    });
    await new Promise<void>((resolve) => blackhole!.listen(0, '127.0.0.1', resolve));
    const port = (blackhole.address() as {port: number}).port;
    const child = spawn(process.execPath, [BIN, 'queue', 'ls', '-u', `127.0.0.1:${port}`], {
      env: cliEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await accepted;
    child.kill('SIGINT');
    expect(await exited).toBe(130);
  });
});
