/**
 * `asynq worker run` as a subprocess against a real Redis, with real child processes:
 * --exec scripts (test/fixtures/exec) get the payload on stdin byte for byte and never through a
 * shell, the task facts in the environment; stdout becomes the result (read back with
 * `asynq enqueue --wait`); exit 65/75/other; a timeout kills the process group; --handlers modules
 * (ServeMux importing asynq-ts, an object map, TypeScript on Node 20); SIGTERM drains and requeues,
 * a second SIGINT exits 130 at once, SIGTSTP stops fetching.
 */
import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterEach, describe, expect, it} from 'vitest';
import * as keys from '../../src/lib/base/keys.js';
import {BIN, cliEnv, runCli, runCliInProcess} from '../support/cli.js';
import {processAlive} from '../support/process.js';
import {useRedis} from '../support/redis.js';
import {waitFor} from '../support/wait.js';
import {readMsg, zsetEntries} from '../support/seed.js';
import {SAME_SIGNAL_MS} from '../../src/lib/signals.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const EXEC = join(HERE, '..', 'fixtures', 'exec');
const HANDLERS = join(HERE, '..', 'fixtures', 'handlers');
const r = useRedis();
const env = (): Record<string, string> => ({ASYNQ_REDIS_URL: r.server.url});

interface Worker {
  child: ChildProcessWithoutNullStreams;
  stderr: () => string;
  stdout: () => string;
  /** Resolves with the exit status once the process has exited. */
  exited: Promise<number | null>;
}

const workers: Worker[] = [];

/** Starts `asynq worker run ARGS` in test/fixtures/exec and waits until it processes tasks. */
async function startWorker(...args: string[]): Promise<Worker> {
  const child = spawn(process.execPath, [BIN, 'worker', 'run', ...args], {
    cwd: EXEC,
    env: cliEnv(env()),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const w = {child, stderr: () => err, stdout: () => out, exited};
  workers.push(w);
  await Promise.race([
    waitFor(() => err.includes('Starting processing'), `the worker to start; stderr:\n${err}`, 10_000),
    exited.then((code) => {
      throw new Error(`worker exited with ${code} before starting:\n${err}`);
    }),
  ]);
  return w;
}

async function stopWorker(w: Worker, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  w.child.kill(signal);
  return w.exited;
}

afterEach(async () => {
  for (const w of workers.splice(0)) {
    if (w.child.exitCode === null && w.child.signalCode === null) {
      w.child.kill('SIGKILL');
      await w.exited;
    }
  }
});

/** `asynq enqueue … --wait --json` through the binary; the final TaskJson (or the error document). */
async function enqueueAndWait(
  args: string[],
  stdin?: string | Buffer,
): Promise<{code: number | null; doc: Record<string, unknown>; stderr: string}> {
  const res = await runCli(['enqueue', ...args, '--wait', '--wait-timeout', '10s', '--json'], {env: env(), stdin});
  return {code: res.code, doc: JSON.parse(res.stdout) as Record<string, unknown>, stderr: res.stderr};
}

describe('asynq worker run --exec', () => {
  it('runs the command without a shell: the payload reaches stdin byte for byte and never executes; stdout is the result', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asynq-worker-'));
    const marker = join(dir, 'pwned');
    await startWorker('--exec', 'email:*=./cat.sh', '--exec', 'env:show=./env.sh');
    const payload = Buffer.concat([
      Buffer.from(`it's "quoted" $(touch ${marker}) \`touch ${marker}\`; touch ${marker} | & > x\nsecond line\n`),
      Buffer.from([0xff, 0x00, 0xfe, 0x80]),
    ]);
    const res = await enqueueAndWait(['email:welcome', '--payload-file', '-', '--task-id', 'e1'], payload);
    expect(res.code, res.stderr).toBe(0);
    expect(res.doc).toMatchObject({id: 'e1', state: 'completed', resultEncoding: 'base64'});
    expect(Buffer.from(res.doc.result as string, 'base64').equals(payload)).toBe(true);
    expect(existsSync(marker)).toBe(false);

    const envRes = await enqueueAndWait([
      'env:show',
      '{}',
      '--queue',
      'default',
      '--max-retry',
      '4',
      '--task-id',
      'e2',
    ]);
    const lines = (envRes.doc.result as string).split('\n');
    expect(lines.slice(0, 5)).toEqual(['id=e2', 'type=env:show', 'queue=default', 'retry=0', 'max=4']);
    expect(lines[5]).toMatch(/^deadline=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('exit 65 archives at once (enqueue --wait exits 1 with the stderr text); 75 retries without using a retry; others retry', async () => {
    const w = await startWorker(
      '--exec',
      'skip:*=./exit.sh 65 bad payload',
      '--exec',
      'later:*=./exit.sh 75 rate limited',
      '--exec',
      'fail:*=./exit.sh 3 smtp down',
      '--queue',
      'default',
    );
    const skip = await runCli(['enqueue', 'skip:x', '--task-id', 's1', '--wait'], {env: env()});
    expect(skip.code).toBe(1);
    expect(skip.stderr).toContain('Error: task s1 in queue "default" failed: exit status 65 (skip retry): bad payload');
    expect(await readMsg(r.redis, 'default', 's1')).toMatchObject({
      retried: 0,
      errorMsg: 'exit status 65 (skip retry): bad payload',
    });

    await runCliInProcess(['enqueue', 'later:x', '--task-id', 'l1'], {env: env()});
    await runCliInProcess(['enqueue', 'fail:x', '--task-id', 'f1'], {env: env()});
    await waitFor(
      async () => (await zsetEntries(r.redis, keys.retryKey('default'))).length === 2,
      'both tasks in retry',
    );
    expect(await readMsg(r.redis, 'default', 'l1')).toMatchObject({
      retried: 0,
      errorMsg: 'exit status 75 (retry later): rate limited',
    });
    expect(await readMsg(r.redis, 'default', 'f1')).toMatchObject({retried: 1, errorMsg: 'exit status 3: smtp down'});
    const log = w.stderr();
    expect(log).toMatch(
      /WARN: Task failed: type="skip:x" id=s1 queue=default duration=\S+ outcome=skip-retry error="exit status 65 \(skip retry\): bad payload"/,
    );
    expect(log).toMatch(/outcome=retry-later error="exit status 75 \(retry later\): rate limited"/);
    expect(log).toMatch(/outcome=failure error="exit status 3: smtp down"/);
  });

  it('a task timeout SIGTERMs the whole process group of its command', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asynq-worker-'));
    await startWorker('--exec', `slow:*=./tree.sh ${dir}`);
    await runCliInProcess(['enqueue', 'slow:x', '--task-id', 't1', '--timeout', '1s', '--max-retry', '0'], {
      env: env(),
    });
    await waitFor(() => existsSync(join(dir, 'child.pid')), 'the command to start');
    const parent = Number(readFileSync(join(dir, 'parent.pid'), 'utf8'));
    const child = Number(readFileSync(join(dir, 'child.pid'), 'utf8'));
    await waitFor(
      async () => (await zsetEntries(r.redis, keys.archivedKey('default'))).length === 1,
      'the task to time out',
      5_000,
    );
    expect((await readMsg(r.redis, 'default', 't1')).errorMsg).toBe('context deadline exceeded');
    await waitFor(
      () => !processAlive(parent) && !processAlive(child),
      'the command and its child to be killed',
      10_000,
    );
  });

  it('SIGTERM during a long task: requeues it (nothing lost), kills the command, exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asynq-worker-'));
    const w = await startWorker(
      '--exec',
      `slow:*=./tree.sh ${dir}`,
      '--exec',
      'fast:*=./cat.sh',
      '--shutdown-timeout',
      '300ms',
      '--json',
    );
    await runCliInProcess(['enqueue', 'fast:x', 'done', '--retention', '1h', '--task-id', 'f1'], {env: env()});
    await waitFor(async () => (await zsetEntries(r.redis, keys.completedKey('default'))).length === 1, 'the fast task');
    await runCliInProcess(['enqueue', 'slow:x', '--task-id', 'long'], {env: env()});
    await waitFor(() => existsSync(join(dir, 'child.pid')), 'the command to start');
    const parent = Number(readFileSync(join(dir, 'parent.pid'), 'utf8'));
    const child = Number(readFileSync(join(dir, 'child.pid'), 'utf8'));
    const started = Date.now();
    expect(await stopWorker(w, 'SIGTERM')).toBe(0);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(await r.redis.lrange(keys.pendingKey('default'), 0, -1)).toEqual(['long']);
    expect(await r.redis.lrange(keys.activeKey('default'), 0, -1)).toEqual([]);
    expect(await readMsg(r.redis, 'default', 'long')).toMatchObject({retried: 0, errorMsg: ''});
    expect(processAlive(parent) || processAlive(child)).toBe(false);
    expect(w.stderr()).toContain('Starting graceful shutdown');
    expect(JSON.parse(w.stdout())).toEqual({queues: {default: 1}, tasks: {succeeded: 1, failed: 1}});
    // The server is gone from Redis.
    expect(await r.redis.smembers(keys.allServers)).toEqual([]);
  });

  it('a second SIGINT during the graceful shutdown exits 130 at once and SIGKILLs the running commands', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asynq-worker-'));
    const w = await startWorker(
      '--exec',
      `slow:*=./stubborn.sh ${dir}`,
      '--shutdown-timeout',
      '30s',
      '--kill-grace',
      '60s',
    );
    await runCliInProcess(['enqueue', 'slow:x', '--task-id', 'long'], {env: env()});
    await waitFor(() => existsSync(join(dir, 'child.pid')), 'the command to start');
    const parent = Number(readFileSync(join(dir, 'parent.pid'), 'utf8'));
    w.child.kill('SIGINT');
    await waitFor(
      () => w.stderr().includes('Shutting down (send the signal again to exit at once)'),
      'the first signal to be logged',
    );
    // A repeat within SAME_SIGNAL_MS is the same signal delivered twice (npm/npx forwarding), not a second press.
    await new Promise((resolve) => setTimeout(resolve, SAME_SIGNAL_MS + 50));
    const started = Date.now();
    expect(await stopWorker(w, 'SIGINT')).toBe(130);
    expect(Date.now() - started).toBeLessThan(4_000);
    await waitFor(() => !processAlive(parent), 'the command to be killed', 5_000);
  });

  it('SIGTSTP stops taking new tasks; SIGTERM then exits 0', async () => {
    const w = await startWorker('--exec', 'fast:*=./cat.sh');
    w.child.kill('SIGTSTP');
    await waitFor(() => w.stderr().includes('Processor stopped'), 'the processor to stop');
    await runCliInProcess(['enqueue', 'fast:x', 'done', '--task-id', 'f1'], {env: env()});
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await r.redis.lrange(keys.pendingKey('default'), 0, -1)).toEqual(['f1']);
    expect(await stopWorker(w, 'SIGTERM')).toBe(0);
  });

  it("--log-format json writes one JSON object per line, one per task, the task's facts in their own keys", async () => {
    const w = await startWorker(
      '--exec',
      'a=./cat.sh',
      '--exec',
      'f=./exit.sh 3 smtp down',
      '--log-format',
      'json',
      '--queues',
      'critical=6,default=3,low=1',
    );
    await runCliInProcess(['enqueue', 'a', 'x', '--queue', 'low', '--task-id', 'j1'], {env: env()});
    await runCliInProcess(['enqueue', 'f', 'x', '--task-id', 'j2', '--max-retry', '0'], {env: env()});
    // "Retry exhausted" is logged after "Task failed"; wait for it and for whole lines.
    await waitFor(
      () =>
        ['Task done', 'Task failed', 'Retry exhausted for task'].every((m) => w.stderr().includes(m)) &&
        w.stderr().endsWith('\n'),
      'the task log lines',
    );
    const lines = w
      .stderr()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as {level: string; msg: string});
    expect(lines.find((l) => l.msg.startsWith('Worker:'))?.msg).toBe(
      'Worker: queues critical=6,default=3,low=1; handlers: a → ./cat.sh; f → ./exit.sh 3 smtp down',
    );
    expect(lines.find((l) => l.msg === 'Task done')).toEqual({
      time: expect.any(String),
      level: 'info',
      pid: expect.any(Number),
      msg: 'Task done',
      type: 'a',
      taskId: 'j1',
      queue: 'low',
      attempt: 1,
      durationMs: expect.any(Number),
      outcome: 'success',
    });
    expect(lines.find((l) => l.msg === 'Task failed')).toMatchObject({
      level: 'warn',
      type: 'f',
      taskId: 'j2',
      queue: 'default',
      attempt: 1,
      outcome: 'failure',
      error: 'exit status 3: smtp down',
    });
    expect(lines.find((l) => l.msg === 'Retry exhausted for task')).toMatchObject({level: 'warn', taskId: 'j2'});
  });
});

describe('asynq worker run --handlers', () => {
  it('a ServeMux module (importing asynq-ts) handles its types; SkipRetry archives', async () => {
    await startWorker('--handlers', join(HANDLERS, 'servemux.mjs'), '--queue', 'images=2', '--queue', 'default');
    const ok = await enqueueAndWait(['image:resize', '{"width": 100}', '--queue', 'images']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.doc.result as string)).toEqual({width: 100, queue: 'images', retryCount: 0});
    const broken = await enqueueAndWait(['image:broken', '--task-id', 'b1']);
    expect(broken.code).toBe(1);
    expect(broken.doc).toMatchObject({
      error: {code: 'TASK_FAILED', message: 'task b1 in queue "default" failed: cannot decode image'},
    });
  });

  it("a module outside this project (no node_modules) imports asynq-ts: it gets the CLI's own package; SkipRetry archives without retry", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asynq-outside-'));
    const file = join(dir, 'handlers.mjs');
    writeFileSync(file, readFileSync(join(HANDLERS, 'servemux.mjs')));
    await startWorker('--handlers', file, '--queue', 'images=2', '--queue', 'default');
    const ok = await enqueueAndWait(['image:resize', '{"width": 7}', '--queue', 'images']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.doc.result as string)).toEqual({width: 7, queue: 'images', retryCount: 0});
    const broken = await enqueueAndWait(['image:broken', '--task-id', 'out1']);
    expect(broken.code).toBe(1);
    expect(broken.doc).toMatchObject({
      error: {code: 'TASK_FAILED', message: 'task out1 in queue "default" failed: cannot decode image'},
    });
    expect(await readMsg(r.redis, 'default', 'out1')).toMatchObject({retried: 0, retry: 25});
  });

  it('--exec patterns come first, the rest goes to an object-map module', async () => {
    await startWorker('--handlers', '../handlers/map.mjs', '--exec', 'email:welcome=./cat.sh');
    const exec = await enqueueAndWait(['email:welcome', '{"user": "ann"}']);
    expect(exec.doc.result).toBe('{"user": "ann"}');
    const mapped = await enqueueAndWait(['email:reminder', '{}']);
    expect(mapped.doc.result).toBe('email email:reminder');
  });

  it.each([
    [[], 'nothing to run tasks with: give --exec PATTERN=COMMAND and/or --handlers MODULE'],
    [['--exec', 'a=./missing.sh'], '--exec "a=…": ./missing.sh: no such executable file'],
    [['--exec', `a=${EXEC}/cat.sh | tee`], 'shell syntax (|)'],
    [['--exec', `a=${EXEC}/cat.sh`, '--exec', `a=${EXEC}/env.sh`], 'task type pattern "a" is registered twice'],
    [['--exec', `a=${EXEC}/cat.sh`, '--queues', 'a=0'], 'invalid queue priority in "a=0"'],
    [['--exec', `a=${EXEC}/cat.sh`, '--queues', 'a,a=2'], 'queue "a" is given twice'],
    [['--handlers', 'nope.js'], 'handlers module nope.js does not exist'],
    [['--handlers', join(HANDLERS, 'throws.mjs')], 'boom while loading'],
    [['--handlers', join(HANDLERS, 'bad-export.mjs')], 'must be a ServeMux, a Handler, a function'],
  ])('%j → exit 2: %s', async (args, message) => {
    const res = await runCliInProcess(['worker', 'run', ...args], {env: env()});
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toContain(message);
    expect(res.stderr).not.toContain('Starting processing');
    expect(await r.redis.keys('*')).toEqual([]);
  });

  it('exits 5 at once when Redis cannot be reached', async () => {
    const res = await runCliInProcess(['worker', 'run', '--exec', `a=${EXEC}/cat.sh`], {
      env: {ASYNQ_REDIS_URL: 'redis://127.0.0.1:1'},
    });
    expect(res.code).toBe(5);
    expect(res.stderr).toContain('Error: cannot connect to Redis at 127.0.0.1:1 (from ASYNQ_REDIS_URL)');
    expect(res.stderr).not.toContain('Starting processing');
  });

  it.runIf(!(process.features as {typescript?: unknown}).typescript)(
    'a .ts module on Node 20 without tsx: exit 2, says to compile it or install tsx',
    async () => {
      const res = await runCli(['worker', 'run', '--handlers', join(HANDLERS, 'handlers.ts')], {env: env()});
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(
        'cannot import TypeScript by itself. Compile it to JavaScript (e.g. npx tsc) and pass the .js file, or install tsx',
      );
    },
  );
});
