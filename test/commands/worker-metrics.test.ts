/**
 * `asynq worker run --metrics-port` as a subprocess under a small load (200 tasks, some failing),
 * scraped over HTTP: the counters and the duration histogram equal the attempts actually run
 * (and Redis's own processed/failed counters); /healthz and /readyz answer at once, /readyz turns
 * 503 after SIGTSTP and while Redis is down; failed dequeues are counted.
 */
import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterEach, describe, expect, it} from 'vitest';
import {Client, Inspector, Task} from '../../src/lib/index.js';
import {BIN, cliEnv} from '../support/cli.js';
import {parseMetrics, promtool, promtoolCheck, sampleValue} from '../support/prometheus.js';
import {useRedis} from '../support/redis.js';
import {startRedisServer} from '../support/redis-server.js';
import {waitFor} from '../support/wait.js';

const HANDLERS = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'handlers', 'metrics-load.mjs');
const r = useRedis();
const children: ChildProcessWithoutNullStreams[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await new Promise((done) => c.once('close', done));
    }
  }
});

async function startWorker(
  redisUrl: string,
  ...args: string[]
): Promise<{base: string; child: ChildProcessWithoutNullStreams; stderr: () => string}> {
  const child = spawn(
    process.execPath,
    [BIN, 'worker', 'run', '--handlers', HANDLERS, '--metrics-port', '0', ...args],
    {
      env: cliEnv({ASYNQ_REDIS_URL: redisUrl}),
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const base = await waitFor(
    () => /Serving worker metrics at (http:\/\/\S+)\/metrics/.exec(err)?.[1],
    () => `the worker's metrics server; stderr:\n${err}`,
    10_000,
  );
  await waitFor(
    () => err.includes('Starting processing'),
    () => `the worker to start; stderr:\n${err}`,
    10_000,
  );
  return {base, child, stderr: () => err};
}

async function get(url: string): Promise<{status: number; body: string; ms: number}> {
  const start = performance.now();
  const res = await fetch(url);
  const body = await res.text();
  return {status: res.status, body, ms: performance.now() - start};
}

describe('asynq worker run --metrics-port', () => {
  it('counts every attempt of 200 tasks by queue and type; the histogram counts them too', async () => {
    const client = new Client(r.redis);
    const plan = [
      // [type, queue, maxRetry, count]
      ['ok', 'default', 3, 100],
      ['ok', 'low', 3, 50],
      ['fail', 'default', 0, 20],
      ['fail', 'low', 0, 10],
      ['fail', 'default', 5, 10],
      ['skip', 'low', 5, 10],
    ] as const;
    for (const [type, queue, maxRetry, n] of plan) {
      for (let i = 0; i < n; i++) await client.enqueue(new Task(type, `${i}`), {queue, maxRetry});
    }
    const {base} = await startWorker(r.server.url, '-q', 'default', '-q', 'low', '--concurrency', '8');
    const insp = new Inspector(r.redis);
    // A scrape while tasks are still running, then one at the end: the counters are handed to
    // prom-client at each scrape, and what an earlier scrape handed over is not counted again.
    const early = parseMetrics((await get(`${base}/metrics`)).body);
    expect(
      sampleValue(early, 'asynq_worker_tasks_processed_total', {queue: 'default', task_type: 'ok'}) ?? 0,
    ).toBeLessThanOrEqual(100);
    await waitFor(
      async () => {
        const infos = await Promise.all(['default', 'low'].map((q) => insp.getQueueInfo(q)));
        return infos.every((i) => i.pending === 0 && i.active === 0);
      },
      'the worker to run all 200 tasks',
      20_000,
      {everyMs: 50},
    );

    const text = (await get(`${base}/metrics`)).body;
    const fams = parseMetrics(text);
    const v = (name: string, queue: string, type: string) => sampleValue(fams, name, {queue, task_type: type}) ?? 0;
    const series = [
      ['default', 'ok'],
      ['low', 'ok'],
      ['default', 'fail'],
      ['low', 'fail'],
      ['low', 'skip'],
    ] as const;
    const table = Object.fromEntries(
      series.map(([q, t]) => [
        `${q}/${t}`,
        {
          processed: v('asynq_worker_tasks_processed_total', q, t),
          failed: v('asynq_worker_tasks_failed_total', q, t),
          retried: v('asynq_worker_tasks_retried_total', q, t),
          archived: v('asynq_worker_tasks_archived_total', q, t),
          skipped: v('asynq_worker_tasks_skipped_total', q, t),
          durations: sampleValue(
            fams,
            'asynq_worker_task_duration_seconds_count',
            {queue: q, task_type: t},
            'asynq_worker_task_duration_seconds',
          ),
          inFlight: v('asynq_worker_tasks_in_flight', q, t),
        },
      ]),
    );
    expect(table).toEqual({
      'default/ok': {processed: 100, failed: 0, retried: 0, archived: 0, skipped: 0, durations: 100, inFlight: 0},
      'low/ok': {processed: 50, failed: 0, retried: 0, archived: 0, skipped: 0, durations: 50, inFlight: 0},
      'default/fail': {processed: 30, failed: 30, retried: 10, archived: 20, skipped: 0, durations: 30, inFlight: 0},
      'low/fail': {processed: 10, failed: 10, retried: 0, archived: 10, skipped: 0, durations: 10, inFlight: 0},
      'low/skip': {processed: 10, failed: 10, retried: 0, archived: 0, skipped: 10, durations: 10, inFlight: 0},
    });
    expect(fams.get('asynq_worker_task_duration_seconds')!.type).toBe('histogram');
    expect(
      sampleValue(
        fams,
        'asynq_worker_task_duration_seconds_bucket',
        {queue: 'default', task_type: 'ok', le: '+Inf'},
        'asynq_worker_task_duration_seconds',
      ),
    ).toBe(100);
    expect(sampleValue(fams, 'asynq_worker_concurrency')).toBe(8);
    expect(sampleValue(fams, 'asynq_worker_dequeue_errors_total')).toBe(0);
    expect(fams.has('process_cpu_user_seconds_total')).toBe(true);

    // Redis's own counters (written by the worker's scripts) agree.
    const infos = await Promise.all(['default', 'low'].map((q) => insp.getQueueInfo(q)));
    expect(infos.map((i) => [i.processed, i.failed, i.retry, i.archived])).toEqual([
      [130, 30, 10, 20],
      [70, 20, 0, 20],
    ]);

    const bin = promtool();
    if (bin === undefined) console.warn('promtool not installed: skipping `promtool check metrics`');
    else {
      // Status 3 = lint findings only; the only ones are on prom-client's default nodejs_*_total gauges.
      const check = promtoolCheck(bin, text);
      expect(check.status === 0 || check.status === 3, check.output).toBe(true);
      expect(
        check.output
          .split('\n')
          .filter((l) => l !== '' && !/^nodejs_\w+ non-counter metrics should not have "_total" suffix$/.test(l)),
      ).toEqual([]);
    }
  });

  it('/healthz and /readyz answer at once; /readyz is 503 after SIGTSTP', async () => {
    const {base, child} = await startWorker(r.server.url);
    await waitFor(async () => (await get(`${base}/readyz`)).status === 200, 'readyz 200', 5_000, {everyMs: 50});
    const health = await get(`${base}/healthz`);
    const ready = await get(`${base}/readyz`);
    expect([health.status, health.body, ready.status, ready.body]).toEqual([200, 'ok\n', 200, 'ok\n']);
    expect(Math.max(health.ms, ready.ms)).toBeLessThan(250); // ≈1 ms locally; generous for a loaded CI machine
    child.kill('SIGTSTP');
    await waitFor(async () => (await get(`${base}/readyz`)).status === 503, 'readyz 503 after SIGTSTP', 5_000, {
      everyMs: 20,
    });
    expect((await get(`${base}/readyz`)).body).toBe('server stopped (SIGTSTP): not taking new tasks\n');
    expect((await get(`${base}/healthz`)).status).toBe(200);
    expect((await get(`${base}/nothing`)).status).toBe(404);
  });

  it('/readyz is 503 while Redis is down', async () => {
    const own = await startRedisServer();
    try {
      const {base} = await startWorker(own.url);
      await waitFor(async () => (await get(`${base}/readyz`)).status === 200, 'readyz 200', 5_000, {everyMs: 50});
      await own.stop();
      await waitFor(async () => (await get(`${base}/readyz`)).status === 503, 'readyz 503 with Redis down', 10_000, {
        everyMs: 50,
      });
      expect((await get(`${base}/readyz`)).body).toMatch(/^Redis unreachable: /);
      expect((await get(`${base}/healthz`)).status).toBe(200);
    } finally {
      await own.stop();
    }
  });

  it('counts dequeue errors (a pending list of the wrong type makes the dequeue script fail)', async () => {
    const {base} = await startWorker(r.server.url);
    const errors = async () =>
      sampleValue(parseMetrics((await get(`${base}/metrics`)).body), 'asynq_worker_dequeue_errors_total');
    expect(await errors()).toBe(0);
    await r.redis.set('asynq:{default}:pending', 'not a list');
    await waitFor(async () => ((await errors()) ?? 0) > 0, 'a dequeue error to be counted', 5_000, {everyMs: 50});
  });
});
