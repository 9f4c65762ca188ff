/**
 * Big payloads and results: `--json` of any size, tables that cut long cells, the raw payload on
 * stdout for piping, bounded memory, and the enqueue payload limit. Tasks are seeded straight into
 * the harness redis-server; the CLI runs as a subprocess with a small heap where memory matters.
 */
import {spawn} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {closeSync, mkdtempSync, openSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import * as keys from '../../src/lib/base/keys.js';
import {BIN, cliEnv, ROOT, useCli} from '../support/cli.js';
import {makeMsg, seedCompleted, seedPending, T0_S} from '../support/seed.js';

const cli = useCli();
const dir = mkdtempSync(join(tmpdir(), 'asynq-big-inputs-'));
const MB = 1024 * 1024;

/** `n` bytes of printable JSON-looking text: `{"data":"xxxx…"}`. */
function bigJson(n: number): Buffer {
  const b = Buffer.alloc(n, 'x');
  b.write('{"data":"', 0);
  b.write('"}', n - 2);
  return b;
}

describe('--json of big payloads', () => {
  it('enqueue --json of a 12 MB payload prints the whole task and exits 0', async () => {
    const file = join(dir, 'p12.json');
    const payload = bigJson(12 * MB);
    writeFileSync(file, payload);
    const r = await cli.spawn(['enqueue', 'big:one', '--payload-file', file, '--task-id', 'big12', '--json']);
    expect({code: r.code, stderr: r.stderr}).toEqual({code: 0, stderr: ''});
    const doc = JSON.parse(r.stdout) as {id: string; payload: string; payloadEncoding: string};
    expect(doc.id).toBe('big12');
    expect(doc.payloadEncoding).toBe('utf8');
    expect(doc.payload.length).toBe(payload.length);
    expect(Buffer.from(doc.payload).equals(payload)).toBe(true);
    expect(await cli.redis.lrange(keys.pendingKey('default'), 0, -1)).toEqual(['big12']);
  }, 30_000);

  it('enqueue: a failure to print after the task is enqueued says so on stderr and exits 0 (no retry, no duplicate)', async () => {
    const file = join(dir, 'p4.json');
    writeFileSync(file, bigJson(4 * MB));
    const child = spawn(
      process.execPath,
      [BIN, 'enqueue', 'big:one', '--payload-file', file, '--task-id', 'closed-out', '--json'],
      {
        cwd: ROOT,
        env: cliEnv({ASYNQ_REDIS_URL: cli.server.url}),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout.destroy(); // the reader has gone: every write to stdout fails with EPIPE
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({code, stderr}).toMatchObject({
      code: 0,
      stderr: expect.stringContaining('task id=closed-out was enqueued in queue "default", but printing it failed'),
    });
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(await cli.redis.lrange(keys.pendingKey('default'), 0, -1)).toEqual(['closed-out']);
  }, 30_000);

  it('task ls --json and task inspect --json print a 20 MB task (text and base64)', async () => {
    const text = bigJson(20 * MB);
    const bin = Buffer.alloc(20 * MB, 0xff);
    await seedPending(cli.redis, [{msg: makeMsg('t', {payload: text})}, {msg: makeMsg('b', {payload: bin})}]);
    const ls = await cli.asynq(['task', 'ls', '-q', 'default', '-s', 'pending', '--json']);
    expect({code: ls.code, stderr: ls.stderr}).toEqual({code: 0, stderr: ''});
    const list = JSON.parse(ls.stdout) as Array<{id: string; payload: string; payloadEncoding: string}>;
    expect(list.map((t) => [t.id, t.payloadEncoding, t.payload.length])).toEqual([
      ['t', 'utf8', text.length],
      ['b', 'base64', Math.ceil(bin.length / 3) * 4],
    ]);
    expect(Buffer.from(list[1]!.payload, 'base64').equals(bin)).toBe(true);
    const inspect = await cli.asynq(['task', 'inspect', '-q', 'default', 't', '--json']);
    expect({code: inspect.code, stderr: inspect.stderr}).toEqual({code: 0, stderr: ''});
    expect(Buffer.from((JSON.parse(inspect.stdout) as {payload: string}).payload).equals(text)).toBe(true);
  }, 30_000);
});

describe('tables cut long payloads and results', () => {
  const SMALL_HEAP = {NODE_OPTIONS: '--max-old-space-size=64'}; // before: out of memory (signal 6) at 8 MB

  it('task ls of two completed tasks with 8 MB payloads and results: bounded memory, cells cut to 256 characters', async () => {
    const payload = bigJson(8 * MB);
    const result = Buffer.alloc(8 * MB, 'r');
    const items = ['c1', 'c2'].map((id) => ({
      msg: makeMsg(id, {payload, retention: 3600}),
      score: T0_S + 3600,
      result,
    }));
    await seedCompleted(cli.redis, items);
    const r = await cli.spawn(['task', 'ls', '-q', 'default', '-s', 'completed'], {env: SMALL_HEAP, timeoutMs: 30_000});
    expect({code: r.code, signal: r.signal, stderr: r.stderr}).toEqual({code: 0, signal: null, stderr: ''});
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(r.stdout.length).toBeLessThan(4 * 1024);
    for (const line of lines.slice(2)) {
      expect(line).toContain(`${'{"data":"'}${'x'.repeat(255 - 9)}…`);
      expect(line).toMatch(new RegExp(`  r{255}…$`));
    }
  }, 40_000);

  it('--full prints them whole; short payloads are printed as Go prints them', async () => {
    const long = `{"data":"${'y'.repeat(600)}"}`;
    await seedPending(cli.redis, [{msg: makeMsg('long', {payload: Buffer.from(long)})}, {msg: makeMsg('short')}]);
    const cut = await cli.asynq(['task', 'ls', '-q', 'default', '-s', 'pending']);
    expect(cut.stdout).toContain(`${long.slice(0, 255)}…\n`);
    expect(cut.stdout).toContain('short  task:short  {"id":"short"}\n');
    const full = await cli.asynq(['task', 'ls', '-q', 'default', '-s', 'pending', '--full']);
    expect(full.stdout).toContain(`${long}\n`);
  });

  it('task inspect cuts a payload at 4096 characters, --full shows it all', async () => {
    const long = 'é'.repeat(5000);
    await seedPending(cli.redis, [{msg: makeMsg('i', {payload: Buffer.from(long)})}]);
    const cut = await cli.asynq(['task', 'inspect', '-q', 'default', 'i']);
    expect(cut.stdout).toContain(`Payload: ${'é'.repeat(4095)}…\n`);
    const full = await cli.asynq(['task', 'inspect', '-q', 'default', 'i', '--full']);
    expect(full.stdout).toContain(`Payload: ${long}\n`);
  });
});

describe('task inspect --payload / --result', () => {
  it('writes the payload alone, byte for byte, to a file (2 MB of binary data)', async () => {
    const payload = randomBytes(2 * MB);
    const result = Buffer.from('done\n');
    await seedCompleted(cli.redis, [{msg: makeMsg('raw', {payload, retention: 3600}), score: T0_S + 3600, result}]);
    for (const [flag, want] of [
      ['--payload', payload],
      ['--result', result],
    ] as const) {
      const file = join(dir, `out${flag}`);
      const fd = openSync(file, 'w');
      const child = spawn(process.execPath, [BIN, 'task', 'inspect', '-q', 'default', 'raw', flag], {
        cwd: ROOT,
        env: cliEnv({ASYNQ_REDIS_URL: cli.server.url}),
        stdio: ['ignore', fd, 'pipe'],
      });
      closeSync(fd);
      let stderr = '';
      child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect({code, stderr}).toEqual({code: 0, stderr: ''});
      expect(readFileSync(file).equals(want)).toBe(true);
    }
  }, 30_000);

  it('--payload with --json is a usage error', async () => {
    await seedPending(cli.redis, [{msg: makeMsg('p')}]);
    const r = await cli.asynq(['task', 'inspect', '-q', 'default', 'p', '--payload', '--json']);
    expect(r.code).toBe(2);
  });
});

describe('enqueue payload limit (--max-payload, default 64 MiB)', () => {
  /** The one `Error:` line of stderr, checked to be the only line besides `Try:` hints. */
  const errorLine = (stderr: string): string => {
    const lines = stderr
      .trim()
      .split('\n')
      .filter((l) => !l.trimStart().startsWith('Try:'));
    expect(lines, stderr).toHaveLength(1);
    return lines[0]!;
  };

  it('refuses a payload over 64 MiB: exit 2, one line naming the size, the limit and the flag; nothing written', async () => {
    const file = join(dir, 'over.bin');
    writeFileSync(file, Buffer.alloc(64 * MB + 1, 'z'));
    const stderr = await cli.failsUnchanged(['enqueue', 'big:one', '--payload-file', file], 2);
    expect(errorLine(stderr)).toBe(
      'Error: payload of 67108865 bytes is over the enqueue limit of 67108864 bytes: raise it with --max-payload (e.g. --max-payload 256MiB; Redis holds strings up to 512 MB)',
    );
  }, 30_000);

  it('--max-payload sets the limit (units, unlimited) and is checked', async () => {
    expect(errorLine(await cli.failsUnchanged(['enqueue', 't', 'x'.repeat(1001), '--max-payload', '1kB'], 2))).toBe(
      'Error: payload of 1001 bytes is over the enqueue limit of 1000 bytes: raise it with --max-payload (e.g. --max-payload 256MiB; Redis holds strings up to 512 MB)',
    );
    expect(errorLine(await cli.failsUnchanged(['enqueue', 't', 'x', '--max-payload', 'lots'], 2))).toMatch(
      /invalid --max-payload "lots": give bytes \(e\.g\. 64MiB, 100MB, 1048576\) or "unlimited"/,
    );
    expect((await cli.asynq(['enqueue', 't', 'x'.repeat(1024), '--max-payload', '1KiB', '--task-id', 'k'])).code).toBe(
      0,
    );
    const file = join(dir, 'over2.bin');
    writeFileSync(file, Buffer.alloc(64 * MB + 1, 'z'));
    expect(
      (await cli.asynq(['enqueue', 't', '--payload-file', file, '--max-payload', 'unlimited', '--task-id', 'u'])).code,
    ).toBe(0);
    expect(await cli.redis.lrange(keys.pendingKey('default'), 0, -1)).toEqual(['u', 'k']);
  }, 30_000);

  it('--from: a line over --max-payload is an invalid line; the others are enqueued', async () => {
    const file = join(dir, 'lines.jsonl');
    writeFileSync(file, `{"type":"a","payload":"small"}\n{"type":"b","payload":"${'x'.repeat(200)}"}\n`);
    const r = await cli.asynq(['enqueue', '--from', file, '--max-payload', '100B']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(
      'enqueued 1, duplicates 0, invalid 1 (line 2: payload of 200 bytes is over the enqueue limit of 100 bytes (--max-payload))',
    );
  });
});
