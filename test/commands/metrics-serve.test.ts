/**
 * `asynq metrics serve` as a subprocess against a real Redis seeded with every task state
 * (test/support/seed-every-state.ts), scraped over HTTP: the values equal the Redis state, the
 * names, help texts, types and labels equal Go asynq's QueueMetricsCollector, concurrent scrapes
 * share one collection (counted with INFO commandstats), and promtool accepts the output.
 */
import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process';
import {afterEach, describe, expect, it} from 'vitest';
import {Inspector} from '../../src/lib/inspector.js';
import {BIN, cliEnv} from '../support/cli.js';
import {parseMetrics, promtool, promtoolCheck, sampleValue} from '../support/prometheus.js';
import {useRedis} from '../support/redis.js';
import {seedEveryState} from '../support/seed-every-state.js';
import {waitFor} from '../support/wait.js';

/**
 * Copied from Go asynq x/metrics/metrics.go (the descriptors of QueueMetricsCollector and the
 * value types Collect gives them): name, help, type, labels.
 */
const GO_QUEUE_METRICS = [
  [
    'asynq_tasks_enqueued_total',
    'Number of tasks enqueued; broken down by queue and state.',
    'gauge',
    ['queue', 'state'],
  ],
  ['asynq_queue_size', 'Number of tasks in a queue', 'gauge', ['queue']],
  [
    'asynq_queue_latency_seconds',
    'Number of seconds the oldest pending task is waiting in pending state to be processed.',
    'gauge',
    ['queue'],
  ],
  [
    'asynq_queue_memory_usage_approx_bytes',
    'Number of memory used by a given queue (approximated number by sampling).',
    'gauge',
    ['queue'],
  ],
  [
    'asynq_tasks_processed_total',
    'Number of tasks processed (both succeeded and failed); broken down by queue',
    'counter',
    ['queue'],
  ],
  ['asynq_tasks_failed_total', 'Number of tasks failed; broken down by queue', 'counter', ['queue']],
  ['asynq_queue_paused_total', 'Number of queues paused', 'gauge', ['queue']],
] as const;

/**
 * What `promtool check metrics` says about Go's collector output: two lint findings on Go's own
 * names (gauges ending in _total), kept for compatibility; exit status 3 means lint findings only
 * (a format error would be status 1).
 */
const GO_NAMES_PROMTOOL_LINT = {
  status: 3,
  output:
    'asynq_queue_paused_total non-counter metrics should not have "_total" suffix\nasynq_tasks_enqueued_total non-counter metrics should not have "_total" suffix\n',
};

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

/** Starts `asynq metrics serve --port 0 ARGS` and returns its /metrics URL and the process. */
async function serve(
  ...args: string[]
): Promise<{url: string; child: ChildProcessWithoutNullStreams; stderr: () => string}> {
  const child = spawn(process.execPath, [BIN, 'metrics', 'serve', '--port', '0', ...args], {
    env: cliEnv({ASYNQ_REDIS_URL: r.server.url}),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  let err = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const url = await waitFor(
    () => /Serving queue metrics at (http:\/\/\S+\/metrics)/.exec(err)?.[1],
    () => `the exporter to listen; stderr:\n${err}`,
    10_000,
  );
  return {url, child, stderr: () => err};
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

/** Calls of a command since the last CONFIG RESETSTAT (INFO commandstats). */
async function calls(cmd: string): Promise<number> {
  const info = await r.redis.info('commandstats');
  return Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

describe('asynq metrics serve', () => {
  it("serves the Redis state under Go's names, help texts, types and labels", async () => {
    await seedEveryState(r.redis, new Date());
    const {url} = await serve();
    const text = await scrape(url);
    const fams = parseMetrics(text);
    expect([...fams.keys()]).toEqual(GO_QUEUE_METRICS.map((m) => m[0]));
    for (const [name, help, type, labels] of GO_QUEUE_METRICS) {
      const f = fams.get(name)!;
      expect({name, help: f.help, type: f.type}).toEqual({name, help, type});
      for (const s of f.samples) expect(Object.keys(s.labels).sort()).toEqual([...labels].sort());
    }

    const enqueued = (queue: string, state: string) => sampleValue(fams, 'asynq_tasks_enqueued_total', {queue, state});
    const states = ['active', 'pending', 'scheduled', 'retry', 'archived', 'completed'];
    expect(states.map((s) => enqueued('default', s))).toEqual([2, 2, 2, 1, 1, 1]);
    expect(states.map((s) => enqueued('critical', s))).toEqual([0, 1, 0, 0, 0, 0]);
    expect(states.map((s) => enqueued('empty', s))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(fams.get('asynq_tasks_enqueued_total')!.samples).toHaveLength(18); // aggregating is not exported, as in Go

    const perQueue = (name: string) =>
      Object.fromEntries(fams.get(name)!.samples.map((s) => [s.labels.queue, s.value]));
    expect(perQueue('asynq_queue_size')).toEqual({critical: 1, default: 11, empty: 0});
    expect(perQueue('asynq_tasks_processed_total')).toEqual({critical: 0, default: 100, empty: 0});
    expect(perQueue('asynq_tasks_failed_total')).toEqual({critical: 0, default: 7, empty: 0});
    expect(perQueue('asynq_queue_paused_total')).toEqual({critical: 1, default: 0, empty: 0});
    const latency = perQueue('asynq_queue_latency_seconds');
    expect(latency.default).toBeGreaterThanOrEqual(10); // p1 pending since now-10s
    expect(latency.default).toBeLessThan(60);
    expect(latency.empty).toBe(0);

    // The same numbers as the Inspector reads from Redis now.
    const insp = new Inspector(r.redis);
    for (const q of await insp.queues()) {
      const info = await insp.getQueueInfo(q);
      expect(perQueue('asynq_queue_memory_usage_approx_bytes')[q]).toBe(info.memoryUsage);
      expect(perQueue('asynq_queue_size')[q]).toBe(info.size);
    }
    expect(perQueue('asynq_queue_memory_usage_approx_bytes').default).toBeGreaterThan(0);

    const bin = promtool();
    if (bin === undefined) console.warn('promtool not installed: skipping `promtool check metrics`');
    else expect(promtoolCheck(bin, text)).toEqual(GO_NAMES_PROMTOOL_LINT);
  });

  it('collects once per interval however many scrapers: 10 concurrent scrapes read Redis once', async () => {
    await seedEveryState(r.redis, new Date());
    // --memory-interval 2s: every reading samples the memory usage, as Go's collector does (the
    // default of 60s is covered in test/lib/queue-metrics.test.ts).
    const {url} = await serve('--interval', '2s', '--memory-interval', '2s');
    // What one collection costs: Go's collectQueueInfo, run here by an Inspector.
    const insp = new Inspector(r.redis);
    await r.redis.config('RESETSTAT');
    for (const q of await insp.queues()) await insp.getQueueInfo(q);
    const one = {smembers: await calls('smembers'), memory: await calls('memory\\|usage')};
    expect(one.smembers).toBeGreaterThan(0);
    expect(one.memory).toBeGreaterThan(0); // MEMORY USAGE from the script
    const cost = async () => ({smembers: await calls('smembers'), memory: await calls('memory\\|usage')});

    await r.redis.config('RESETSTAT');
    const texts = await Promise.all(Array.from({length: 10}, () => scrape(url)));
    expect(new Set(texts).size).toBe(1);
    expect(await cost()).toEqual(one);

    // Within the interval: served from the cache.
    await Promise.all(Array.from({length: 10}, () => scrape(url)));
    expect(await cost()).toEqual(one);

    // After it: one new collection, whose numbers follow Redis.
    await r.redis.set('asynq:{default}:processed', '101');
    await new Promise((done) => setTimeout(done, 2_100));
    const after = await Promise.all(Array.from({length: 10}, () => scrape(url)));
    expect(await cost()).toEqual({smembers: 2 * one.smembers, memory: 2 * one.memory});
    expect(sampleValue(parseMetrics(after[0]!), 'asynq_tasks_processed_total', {queue: 'default'})).toBe(101);
  });

  it('with the default --memory-interval (60s), a reading within it sends no MEMORY USAGE', async () => {
    await seedEveryState(r.redis, new Date());
    const {url} = await serve('--interval', '1s');
    await r.redis.config('RESETSTAT');
    await scrape(url);
    const first = await calls('memory\\|usage');
    expect(first).toBeGreaterThan(0);
    await r.redis.set('asynq:{default}:processed', '7');
    await new Promise((done) => setTimeout(done, 1_100));
    const text = await scrape(url);
    expect(sampleValue(parseMetrics(text), 'asynq_tasks_processed_total', {queue: 'default'})).toBe(7); // a new reading
    expect(await calls('memory\\|usage')).toBe(first);
    expect(
      sampleValue(parseMetrics(text), 'asynq_queue_memory_usage_approx_bytes', {queue: 'default'}),
    ).toBeGreaterThan(0);
  });

  it('an empty Redis exports the families without series; --interval below 1s is a usage error', async () => {
    const {url} = await serve();
    const fams = parseMetrics(await scrape(url));
    expect([...fams.values()].flatMap((f) => f.samples)).toEqual([]);
    const bad = spawn(process.execPath, [BIN, 'metrics', 'serve', '--interval', '10ms'], {
      env: cliEnv({ASYNQ_REDIS_URL: r.server.url}),
    });
    let err = '';
    bad.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const code = await new Promise((done) => bad.on('close', done));
    expect(code).toBe(2);
    expect(err).toContain('--interval must be at least 1s');
  });

  it('SIGTERM stops it with exit 0', async () => {
    const {child} = await serve();
    const closed = new Promise((done) => child.once('close', done));
    child.kill('SIGTERM');
    expect(await closed).toBe(0);
  });
});
