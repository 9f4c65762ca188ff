/**
 * `asynq enqueue`: every payload form and option flag ends up in Redis exactly; bad input is one
 * error line, exit 2 and nothing written; conflicts exit 4; --wait against a worker in this process
 * (exit 0 + result, 6 + last error, 7 on timeout); --from with good, duplicate and invalid lines.
 * Mostly in-process (fast); stdin and a few exit paths through the spawned binary.
 */
import {spawn} from 'node:child_process';
import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it} from 'vitest';
import * as keys from '../../src/lib/base/keys.js';
import {Client} from '../../src/lib/client.js';
import {SkipRetry} from '../../src/lib/errors.js';
import {ServeMux} from '../../src/lib/servemux.js';
import {Server} from '../../src/lib/server.js';
import {silentLogger} from '../../src/lib/logger.js';
import {Task} from '../../src/lib/task.js';
import {ExecRetryLaterError, execIsFailure} from '../../src/cli/worker/exec-handler.js';
import {emptySummary, formatSummary, ProgressBar, renderProgress} from '../../src/cli/enqueue/bulk-enqueue.js';
import type {TaskJson} from '../../src/cli/views/json.js';
import {BIN, cliEnv, ROOT, runCli, runCliInProcess} from '../support/cli.js';
import {dumpAll, dumpAllSince} from '../support/dump.js';
import {useRedis} from '../support/redis.js';
import {readMsg, zsetEntries} from '../support/seed.js';

const r = useRedis();
const env = (): Record<string, string> => ({ASYNQ_REDIS_URL: r.server.url});
const enqueue = <T = TaskJson>(...args: string[]) => runCliInProcess<T>(['enqueue', ...args], {env: env()});
const dir = mkdtempSync(join(tmpdir(), 'asynq-enqueue-test-'));

/** The one error line of a failed command (`Error: …`, besides `Try:` hints and notices), with no stack. */
function errorLine(stderr: string): string {
  const lines = stderr
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('Error: '));
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  return lines[0]!.slice('Error: '.length);
}

describe('asynq enqueue TYPE [PAYLOAD]', () => {
  it("enqueues a pending task with Go's defaults and prints its id and queue", async () => {
    const res = await enqueue('email:welcome', '{"userId": 42}');
    expect(res.code).toBe(0);
    const m = /^Enqueued task id=([0-9a-f-]{36}) queue=default state=pending\n$/.exec(res.stdout);
    expect(m, res.stdout).not.toBeNull();
    const id = m![1]!;
    expect(await r.redis.lrange(keys.pendingKey('default'), 0, -1)).toEqual([id]);
    expect(await r.redis.smembers(keys.allQueues)).toEqual(['default']);
    const msg = await readMsg(r.redis, 'default', id);
    expect(msg).toMatchObject({
      type: 'email:welcome',
      id,
      queue: 'default',
      retry: 25,
      timeout: 1800,
      deadline: 0,
      uniqueKey: '',
      retention: 0,
    });
    expect(msg.payload.toString()).toBe('{"userId": 42}'); // byte for byte as given, not re-serialised
  });

  it('sets every option from its flag; --json prints the TaskInfo', async () => {
    const res = await enqueue(
      'report:daily',
      'x',
      '--queue',
      'critical',
      '--max-retry',
      '3',
      '--timeout',
      '90s',
      '--deadline',
      '2030-01-02T03:04:05Z',
      '--unique',
      '1h',
      '--task-id',
      'my-id',
      '--retention',
      '24h',
      '--header',
      'trace=abc',
      '--header',
      'kv=a=b',
      '--json',
    );
    expect(res.code, res.stderr).toBe(0);
    const msg = await readMsg(r.redis, 'critical', 'my-id');
    expect(msg).toMatchObject({
      type: 'report:daily',
      queue: 'critical',
      retry: 3,
      timeout: 90,
      deadline: Date.UTC(2030, 0, 2, 3, 4, 5) / 1000,
      uniqueKey: keys.uniqueKey('critical', 'report:daily', Buffer.from('x')),
      retention: 86_400,
      headers: {trace: 'abc', kv: 'a=b'},
    });
    expect(await r.redis.get(msg.uniqueKey)).toBe('my-id');
    expect(await r.redis.ttl(msg.uniqueKey)).toBeGreaterThan(3590);
    expect(JSON.parse(res.stdout)).toMatchObject({
      id: 'my-id',
      queue: 'critical',
      type: 'report:daily',
      state: 'pending',
      payload: 'x',
      payloadEncoding: 'utf8',
      maxRetry: 3,
      timeoutMs: 90_000,
      deadline: '2030-01-02T03:04:05.000Z',
      retentionMs: 86_400_000,
      headers: {trace: 'abc', kv: 'a=b'},
    });
  });

  it('--process-in and --process-at schedule the task; --group adds it to a group', async () => {
    const before = Math.floor(Date.now() / 1000);
    const a = await enqueue('t:in', '--process-in', '10m', '--task-id', 'in');
    expect(a.stdout).toMatch(/^Enqueued task id=in queue=default state=scheduled processAt=\d{4}-.*Z\n$/);
    const b = await enqueue('t:at', '--process-at', '2030-01-01T00:00:00+02:00', '--task-id', 'at');
    expect(b.code).toBe(0);
    const sched = new Map(await zsetEntries(r.redis, keys.scheduledKey('default')));
    expect(sched.get('in')).toBeGreaterThanOrEqual(before + 600);
    expect(sched.get('in')).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 600);
    expect(sched.get('at')).toBe(Date.UTC(2029, 11, 31, 22) / 1000);
    const g = await enqueue('t:g', '--group', 'batch-1', '--task-id', 'g1', '--json');
    expect(JSON.parse(g.stdout)).toMatchObject({state: 'aggregating', group: 'batch-1'});
    expect((await zsetEntries(r.redis, keys.groupKey('default', 'batch-1'))).map(([id]) => id)).toEqual(['g1']);
  });

  it('reads the payload from --payload-file byte for byte (binary is never JSON-checked)', async () => {
    const bin = Buffer.from([0x7b, 0xff, 0x00, 0xfe, 0x5b]); // starts with "{" but is not UTF-8
    writeFileSync(join(dir, 'payload.bin'), bin);
    const res = await enqueue('bin:x', '--payload-file', join(dir, 'payload.bin'), '--task-id', 'b1');
    expect(res.code, res.stderr).toBe(0);
    expect((await readMsg(r.redis, 'default', 'b1')).payload.equals(bin)).toBe(true);
  });

  it('reads the payload from stdin with --payload-file - (spawned binary)', async () => {
    const payload = `{"text": "line 1\\nit's $(touch ${dir}/pwned) \`id\`"}\n`;
    const res = await runCli(['enqueue', 'stdin:x', '--payload-file', '-', '--task-id', 's1'], {
      env: env(),
      stdin: payload,
    });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe('Enqueued task id=s1 queue=default state=pending\n');
    expect((await readMsg(r.redis, 'default', 's1')).payload.toString()).toBe(payload);
  });

  it('--raw sends a JSON-looking payload that does not parse; no payload at all is an empty payload', async () => {
    expect((await enqueue('raw:x', '{not json', '--raw', '--task-id', 'r1')).code).toBe(0);
    expect((await readMsg(r.redis, 'default', 'r1')).payload.toString()).toBe('{not json');
    expect((await enqueue('none:x', '--task-id', 'n1', '--unique', '1m')).code).toBe(0);
    const msg = await readMsg(r.redis, 'default', 'n1');
    expect(msg.payload.length).toBe(0);
    expect(msg.uniqueKey).toBe(keys.uniqueKey('default', 'none:x', null)); // Go's nil payload: trailing ':'
  });

  it.each([
    [['t', '{"a": 1'], 'the payload looks like JSON but is not valid JSON'],
    [['t', '[1, 2'], 'the payload looks like JSON but is not valid JSON'],
    [['t', '--timeout', '10x'], 'invalid --timeout "10x": unknown unit "x"'],
    [['t', '--timeout', '-5s'], 'must not be negative'],
    [['t', '--deadline', '2030-01-01'], 'invalid --deadline "2030-01-01": expected an RFC 3339 time'],
    [['t', '--process-at', 'tomorrow'], 'invalid --process-at "tomorrow"'],
    [
      ['t', '--process-in', '1m', '--process-at', '2030-01-01T00:00:00Z'],
      '--process-in and --process-at cannot be used together',
    ],
    [['t', '--header', 'novalue'], 'invalid --header "novalue": expected key=value'],
    [['t', '--header', '=v'], 'invalid --header "=v"'],
    [['t', '--unique', '500ms'], 'Unique TTL cannot be less than 1s'],
    [['t', '--max-retry', '-1'], '--max-retry'],
    [['t', '--queue', ' '], 'queue name must contain one or more characters'],
    [['t', 'p', '--payload-file', '/etc/hostname'], 'as an argument or with --payload-file, not both'],
    [['t', '--payload-file', '/nonexistent/x'], 'cannot read --payload-file /nonexistent/x'],
    [[], 'missing TYPE argument (or --from FILE)'],
    [[' ', 'p'], 'task typename cannot be empty'],
    [['t', '--wait', '--group', 'g'], '--wait cannot be used with --group'],
    [['t', '--wait', '--retention', '0s'], '--wait needs a --retention of at least 1s'],
    [['t', '--wait-timeout', '1m'], '--wait-timeout needs --wait'],
    [['--from', 'x.jsonl', '--wait'], '--from and --wait cannot be used together'],
    [['--from', 'x.jsonl', '--task-id', 'x'], '--from and --task-id cannot be used together'],
    [['t', '--from', 'x.jsonl'], '--from takes the tasks from the file'],
  ])('%j → exit 2, one error line (%s), nothing written', async (args, message) => {
    const res = await enqueue(...args);
    expect(res.code, res.stdout + res.stderr).toBe(2);
    expect(errorLine(res.stderr)).toContain(message);
    expect(res.stdout).toBe('');
    expect(await dumpAll(r.redis)).toEqual([]);
  });

  it('a duplicate unique task and a taken task ID exit 4 with a clear message and change nothing', async () => {
    expect((await enqueue('email:x', '{"a":1}', '--unique', '1h', '--task-id', 'first')).code).toBe(0);
    const before = await dumpAll(r.redis);
    const dup = await enqueue('email:x', '{"a":1}', '--unique', '1h');
    expect(dup.code).toBe(4);
    expect(errorLine(dup.stderr)).toBe(
      'duplicate task: a task of type "email:x" with the same payload is already in queue "default" (its --unique lock is still held)',
    );
    const taken = await enqueue('other', '--task-id', 'first');
    expect(taken.code).toBe(4);
    expect(errorLine(taken.stderr)).toBe('task ID "first" is already taken in queue "default"');
    expect(await dumpAllSince(r.redis, before)).toEqual(before);
    const json = await enqueue('other', '--task-id', 'first', '--json');
    expect(JSON.parse(json.stdout)).toEqual({
      error: {
        code: 'TASK_ID_CONFLICT',
        message: 'task ID "first" is already taken in queue "default"',
        exitCode: 4,
        actions: [],
      },
    });
  });
});

describe('asynq enqueue without Redis', () => {
  it('exits 5 at once with one line naming the address and where it came from', async () => {
    const res = await runCliInProcess(['enqueue', 't', '--wait'], {env: {ASYNQ_REDIS_URL: 'redis://127.0.0.1:1'}});
    expect(res.code).toBe(5);
    expect(errorLine(res.stderr)).toBe(
      'cannot connect to Redis at 127.0.0.1:1 (from ASYNQ_REDIS_URL): connect ECONNREFUSED 127.0.0.1:1',
    );
  });
});

describe('asynq enqueue --wait (a worker runs in this process)', () => {
  let server: Server;
  beforeAll(async () => {
    const mux = new ServeMux()
      .handleFunc('ok:', async (task) => void (await task.resultWriter!.write(`done ${task.payload.toString()}`)))
      .handleFunc('quiet:', async () => {})
      .handleFunc('flaky:', async (task, ctx) => {
        if (ctx.retryCount === 0) throw new Error('first attempt fails');
        await task.resultWriter!.write('second attempt');
      })
      .handleFunc('fail:', async () => {
        throw new SkipRetry('it cannot work');
      });
    server = new Server(r.server.url, {
      queues: {default: 1},
      concurrency: 2,
      logger: silentLogger,
      retryDelayFunc: () => 0,
      delayedTaskCheckInterval: 100,
    });
    await server.start(mux);
  });
  afterAll(async () => {
    await server.shutdown();
  });

  it('exit 0 and the result on stdout when the task completes; a 10m retention is set', async () => {
    const res = await enqueue('ok:x', 'hello', '--task-id', 'w1', '--wait');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe('done hello');
    expect(res.stderr).toContain('Enqueued task id=w1 queue=default state=pending; waiting for it to finish...');
    const completed = await zsetEntries(r.redis, keys.completedKey('default'));
    expect(completed.map(([id]) => id)).toEqual(['w1']);
    expect((await readMsg(r.redis, 'default', 'w1')).retention).toBe(600);
  });

  it('keeps a --retention that was given; prints nothing for a task without result; --json gives the final TaskInfo', async () => {
    const res = await enqueue('quiet:x', '--task-id', 'w2', '--retention', '1h', '--wait', '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({id: 'w2', state: 'completed', retentionMs: 3_600_000, result: null});
    expect((await readMsg(r.redis, 'default', 'w2')).retention).toBe(3600);
    const ok = await enqueue('ok:y', '--wait', '--json');
    expect(JSON.parse(ok.stdout)).toMatchObject({state: 'completed', result: 'done ', resultEncoding: 'utf8'});
  });

  it('reports a failed attempt on stderr and keeps waiting for the retry', async () => {
    const res = await enqueue('flaky:x', '--wait');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe('second attempt');
    expect(res.stderr).toContain('attempt 1 failed: first attempt fails; retrying');
  });

  it('exit 1 with the last error when the task is archived', async () => {
    const res = await enqueue('fail:x', '--task-id', 'w3', '--wait');
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(errorLine(res.stderr)).toBe('task w3 in queue "default" failed: it cannot work');
    const json = await enqueue('fail:y', '--task-id', 'w4', '--wait', '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).error).toMatchObject({
      code: 'TASK_FAILED',
      exitCode: 1,
      actions: ['asynq task inspect --queue default w4'],
    });
  });

  it('exit 7 when --wait-timeout passes first; the task stays queued', async () => {
    const started = Date.now();
    const res = await enqueue(
      'ok:x',
      '--queue',
      'nobody-serves-this',
      '--task-id',
      'w5',
      '--wait',
      '--wait-timeout',
      '300ms',
    );
    expect(res.code).toBe(7);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(errorLine(res.stderr)).toMatch(
      /^task w5 in queue "nobody-serves-this" is still pending after waiting \d+ms$/,
    );
    expect(await r.redis.lrange(keys.pendingKey('nobody-serves-this'), 0, -1)).toEqual(['w5']);
  });
});

describe('asynq enqueue --wait: what it says while waiting', () => {
  let server: Server;
  const laterSeen = new Set<string>();
  // Started after each flush, so its heartbeat is in Redis.
  beforeEach(async () => {
    const mux = new ServeMux().handleFunc('later:', async (task, ctx) => {
      if (!laterSeen.has(ctx.taskId)) {
        laterSeen.add(ctx.taskId);
        throw new ExecRetryLaterError('exit status 75 (retry later)');
      }
      if (task.type === 'later:fail') throw new Error('now it fails');
      await task.resultWriter!.write('later done');
    });
    server = new Server(r.server.url, {
      // Retries at least 1s apart (retry times are whole seconds): --wait reads the task every 500ms, so it sees each attempt.
      queues: {served: 1},
      concurrency: 2,
      logger: silentLogger,
      retryDelayFunc: () => 1500,
      delayedTaskCheckInterval: 100,
      isFailure: execIsFailure,
    });
    await server.start(mux);
  });
  afterEach(async () => {
    await server.shutdown();
  });

  it('reports a retry-later attempt (not counted) and a failed attempt, one line each', async () => {
    const ok = await enqueue('later:ok', '--queue', 'served', '--wait');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('later done');
    expect(ok.stderr).toMatch(
      /^attempt to be retried later \(not counted as a failure\): exit status 75 \(retry later\); retrying/m,
    );
    expect(ok.stderr.match(/^attempt/gm)).toHaveLength(1);
    const failed = await enqueue('later:fail', '--queue', 'served', '--max-retry', '1', '--task-id', 'lf', '--wait');
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stderr.match(/^attempt.*$/gm)).toEqual([
      expect.stringMatching(
        /^attempt to be retried later \(not counted as a failure\): exit status 75 \(retry later\); retrying/,
      ),
      expect.stringMatching(/^attempt 1 failed: now it fails; retrying/),
    ]);
    expect(errorLine(failed.stderr)).toBe('task lf in queue "served" failed: now it fails');
  });

  it("warns once when no running server serves the task's queue", async () => {
    const res = await enqueue(
      't',
      '--queue',
      'nobody-serves-this',
      '--task-id',
      'ns',
      '--wait',
      '--wait-timeout',
      '2600ms',
    );
    expect(res.code).toBe(7);
    expect(res.stderr.match(/^Warning: .*$/gm)).toEqual([
      'Warning: no running server serves queue "nobody-serves-this"; the task will wait until one starts (e.g. asynq worker run --queue nobody-serves-this ...)',
    ]);
  });

  it('no warning while a server serves the queue, even when the task waits longer', async () => {
    const res = await enqueue('later:quiet', '--queue', 'served', '--process-in', '3s', '--wait');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).not.toMatch(/Warning/);
  });
});

describe('asynq enqueue --wait interrupted with Ctrl-C (spawned)', () => {
  /** Spawns `asynq enqueue … --wait` on a queue no server serves, sends SIGINT once it waits (it warned), and collects what it printed. */
  async function interrupt(args: string[]): Promise<{code: number | null; stdout: string; stderr: string}> {
    const child = spawn(process.execPath, [BIN, 'enqueue', ...args, '--wait'], {
      cwd: ROOT,
      env: cliEnv(env()),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    const waiting = new Promise<void>((resolve) =>
      child.stderr.on('data', (b: Buffer) => {
        stderr += b.toString();
        if (stderr.includes('Warning: no running server serves queue')) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waiting;
    child.kill('SIGINT');
    return {code: await exited, stdout, stderr};
  }

  it('exits 130 with one line saying the task stays queued, and leaves it there', async () => {
    const res = await interrupt(['t:x', '--queue', 'idle', '--task-id', 'i1']);
    expect(res.code).toBe(130);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain(
      'Interrupted: stopped waiting; task i1 stays queued in queue "idle" (pending). See: asynq task inspect --queue idle i1\n',
    );
    expect(await r.redis.lrange(keys.pendingKey('idle'), 0, -1)).toEqual(['i1']);
  });

  it('with --json, stdout is {"interrupted": true, "task": …} with the last state seen', async () => {
    const res = await interrupt(['t:x', '--queue', 'idle', '--task-id', 'i2', '--json']);
    expect(res.code).toBe(130);
    expect(JSON.parse(res.stdout)).toMatchObject({
      interrupted: true,
      task: {id: 'i2', queue: 'idle', state: 'pending'},
    });
    expect(res.stderr).toContain('Interrupted: stopped waiting; task i2 stays queued in queue "idle" (pending).');
  });
});

describe('asynq enqueue --from FILE', () => {
  const write = (name: string, lines: string[]): string => {
    const p = join(dir, name);
    writeFileSync(p, lines.join('\n') + '\n');
    return p;
  };

  it('enqueues every valid line, counts duplicates and invalid lines with their numbers, exits 2 for the invalid ones', async () => {
    await new Client(r.redis).enqueue(new Task('seen', null), {taskId: 'taken', unique: '1h'});
    const file = write('mixed.jsonl', [
      '{"type":"email:welcome","payload":{"userId":1}}',
      '{"type":"email:welcome","payload":{"userId":1},"options":{"unique":"1h"}}',
      '{"type":"email:welcome","payload":{"userId":1},"options":{"unique":"1h"}}',
      '',
      '{"type":"report","options":{"queue":"critical","taskId":"r1","processIn":"1h"}}',
      '{"type":',
      '{"type":"x","options":{"unique":"10ms"}}',
      '{"type":"seen","options":{"unique":"1h","queue":"default"}}',
      '{"type":"plain","payload":"text","options":{"taskId":"p1"}}',
    ]);
    const res = await enqueue('--from', file, '--queue', 'low');
    expect(res.code, res.stderr).toBe(2);
    expect(res.stdout).toBe(
      'enqueued 4, duplicates 2 (line 3; line 8), invalid 2 (line 6: not valid JSON: Unexpected end of JSON input; ' +
        'line 7: Unique TTL cannot be less than 1s)\n',
    );
    expect(errorLine(res.stderr)).toMatch(
      /^2 invalid lines in .*mixed\.jsonl \(line 6: not valid JSON: .*; line 7: Unique TTL cannot be less than 1s\); the other lines were processed$/,
    );
    // --queue low is the default; a line's own queue wins.
    const low = await r.redis.lrange(keys.pendingKey('low'), 0, -1);
    expect(low.length).toBe(3);
    expect((await readMsg(r.redis, 'low', low.at(-1)!)).payload.toString()).toBe('{"userId":1}'); // first line is the oldest
    expect(await r.redis.lrange(keys.pendingKey('low'), 0, 0)).toEqual(['p1']);
    expect((await zsetEntries(r.redis, keys.scheduledKey('critical'))).map(([id]) => id)).toEqual(['r1']);
  });

  it('--json prints the summary document (and still exits 2 when lines were invalid)', async () => {
    const file = write('json.jsonl', [
      '{"type":"a"}',
      '{"type":"b","options":{"taskId":"b1"}}',
      '{"type":"c","options":{"maxRetry":"x"}}',
    ]);
    const res = await enqueue('--from', file, '--json');
    expect(res.code).toBe(2);
    expect(JSON.parse(res.stdout)).toEqual({
      lines: 3,
      enqueued: 2,
      duplicates: 0,
      invalid: 1,
      duplicateLines: [],
      invalidLines: [{line: 3, error: 'option "maxRetry" must be an integer, got "x"'}],
    });
    const ok = await enqueue('--from', write('ok.jsonl', ['{"type":"a","options":{"taskId":"b1"}}']), '--json');
    expect(ok.code).toBe(0); // a duplicate is not an error
    expect(JSON.parse(ok.stdout)).toEqual({
      lines: 1,
      enqueued: 0,
      duplicates: 1,
      invalid: 0,
      duplicateLines: [{line: 1, error: 'task ID conflicts with another task'}],
      invalidLines: [],
    });
  });

  it('reads stdin with --from -, exits 0 when every line was enqueued, draws no progress without a TTY (spawned binary)', async () => {
    const lines = Array.from({length: 1200}, (_, i) =>
      JSON.stringify({type: 'bulk', payload: {i}, options: {taskId: `b${i}`}}),
    );
    const res = await runCli(['enqueue', '--from', '-'], {env: env(), stdin: lines.join('\n')});
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe('enqueued 1200, duplicates 0, invalid 0\n');
    expect(res.stderr).toBe('');
    const pending = await r.redis.lrange(keys.pendingKey('default'), 0, -1);
    expect(pending.length).toBe(1200);
    expect(pending.at(-1)).toBe('b0');
    expect(pending[0]).toBe('b1199');
  });

  it('a missing file is a usage error', async () => {
    const res = await enqueue('--from', join(dir, 'missing.jsonl'));
    expect(res.code).toBe(2);
    expect(errorLine(res.stderr)).toContain('cannot read --from');
  });
});

describe('bulk progress and summary rendering', () => {
  it('renders a bar with a percentage when the size is known, a line count otherwise', () => {
    expect(renderProgress(50, 10, 100, 80)).toBe(`enqueue [${'#'.repeat(20)}${'.'.repeat(20)}]  50%  10 lines`);
    expect(renderProgress(200, 10, 100, 40)).toBe(`enqueue [${'#'.repeat(10)}] 100%  10 lines`);
    expect(renderProgress(5, 3, undefined)).toBe('enqueue  3 lines');
  });

  it('redraws in place at most every 100 ms and clears itself', () => {
    const out: string[] = [];
    const bar = new ProgressBar({write: (s) => out.push(s), columns: 80}, 100);
    bar.update(10, 1);
    bar.update(20, 2); // throttled
    bar.update(100, 3, true);
    bar.done();
    expect(out).toEqual([
      `\r\x1b[K${renderProgress(10, 1, 100)}`,
      `\r\x1b[K${renderProgress(100, 3, 100)}`,
      '\r\x1b[K',
    ]);
    const quiet: string[] = [];
    new ProgressBar({write: (s) => quiet.push(s)}).done();
    expect(quiet).toEqual([]);
  });

  it('formats the summary', () => {
    expect(formatSummary(emptySummary())).toBe('enqueued 0, duplicates 0, invalid 0');
  });
});
