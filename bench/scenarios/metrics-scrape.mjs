/**
 * Issue 13's exporter costs, over the monitoring dataset (100 queues, 1,000,000 tasks in Go's
 * layout; BullMQ's layout alongside; ensureDataset, shared with the monitoring scenario):
 * - one collection of the queue metrics (what one scrape costs when its cache is stale): wall time
 *   of QueueMetrics.metrics() on a new QueueMetrics (Go's collector does the same reads on every
 *   scrape), and the Redis time it takes: the sum of the durations SLOWLOG records (threshold 0)
 *   for the top-level commands the collection sends (commands run inside its scripts are within
 *   their script's duration and left out, so nothing counts twice). BullMQ: Queue.exportPrometheusMetrics()
 *   of the 100 queues one after the other, measured the same way;
 * - 10 concurrent scrapers against a running `asynq metrics serve --interval 1s` (spawned bin/run.js),
 *   each GET /metrics every 100 ms for 3 intervals: how many collections ran, per interval, and the
 *   scrapes' p99. Collections are counted from INFO commandstats: the SMEMBERS calls (the queue
 *   list, and those the scripts run) of the window divided by those of one collection measured in
 *   process on the same data.
 */
import {spawn} from 'node:child_process';
import {join} from 'node:path';
import {Queue} from 'bullmq';
import {Redis} from 'ioredis';
import {asynq, repoRoot} from '../support/lib.mjs';
import {median, now, percentile, sleep} from '../support/measure.mjs';
import {ensureDataset} from '../support/seed.mjs';
import {millions} from './monitoring.mjs';

export const order = 65;

const QUEUES = 100;
const INTERVAL_MS = 1000;
const WINDOW_INTERVALS = 3;
const SCRAPERS = 10;
const SCRAPE_EVERY_MS = 100;

/** Runs `fn` with SLOWLOG recording every command; returns the ms of top-level commands it logged. */
async function redisTime(admin, fn) {
  const [, threshold] = await admin.config('GET', 'slowlog-log-slower-than');
  const [, maxLen] = await admin.config('GET', 'slowlog-max-len');
  await admin.config('SET', 'slowlog-max-len', '2000000');
  await admin.config('SET', 'slowlog-log-slower-than', '0');
  await admin.slowlog('RESET');
  try {
    await fn();
    const entries = await admin.slowlog('GET', -1);
    let usec = 0;
    for (const [, , micros, args, client] of entries) {
      // Inner commands of a script are logged with the script's fake client "?:0"; the
      // measurement's own SLOWLOG/CONFIG calls are not the collection's.
      const cmd = String(args[0]).toLowerCase();
      if (client === '?:0' || cmd === 'slowlog' || cmd === 'config') continue;
      usec += micros;
    }
    return usec / 1000;
  } finally {
    await admin.config('SET', 'slowlog-log-slower-than', threshold);
    await admin.config('SET', 'slowlog-max-len', maxLen);
    await admin.slowlog('RESET');
  }
}

/** SMEMBERS calls so far (a fixed number per collection, see perCollection). */
async function smembersCalls(admin) {
  const text = await admin.info('commandstats');
  return Number(/^cmdstat_smembers:calls=(\d+)/m.exec(text)?.[1] ?? 0);
}

/** Spawns `asynq metrics serve --port 0`; resolves with {url, stop()} once it serves. */
async function startExporter(ctx) {
  const bin = join(repoRoot, 'bin', 'run.js');
  const p = spawn(
    process.execPath,
    // --memory-interval as --interval: every reading samples the memory usage, as the collection
    // whose SMEMBERS calls count a collection (perCollection) does.
    [
      bin,
      'metrics',
      'serve',
      '--port',
      '0',
      '--interval',
      `${INTERVAL_MS / 1000}s`,
      '--memory-interval',
      `${INTERVAL_MS / 1000}s`,
      '--uri',
      ctx.url,
    ],
    {cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, NO_COLOR: '1'}},
  );
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const look = (d) => {
      out += d;
      const m = /Serving queue metrics at (http:\/\/\S+\/metrics)/.exec(out);
      if (m) resolve(m[1]);
    };
    p.stdout.on('data', look);
    p.stderr.on('data', look);
    p.once('exit', (code) => reject(new Error(`asynq metrics serve exited ${code}: ${out.trim()}`)));
  });
  return {
    url,
    async stop() {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000).then(() => p.kill('SIGKILL'))]);
    },
  };
}

/** One round of 10 scrapers for 3 intervals: {collections, scrapes, p99Ms}. */
async function scrapeRound(ctx, url, perCollection) {
  const before = await smembersCalls(ctx.admin);
  const start = now();
  const end = start + INTERVAL_MS * WINDOW_INTERVALS;
  const times = [];
  await Promise.all(
    Array.from({length: SCRAPERS}, async (_, k) => {
      await sleep((k * SCRAPE_EVERY_MS) / SCRAPERS);
      while (now() < end) {
        const t = now();
        const res = await fetch(url);
        const body = await res.text();
        if (res.status !== 200 || !body.includes('asynq_queue_size')) throw new Error(`scrape: HTTP ${res.status}`);
        times.push(now() - t);
        await sleep(Math.max(0, SCRAPE_EVERY_MS - (now() - t)));
      }
    }),
  );
  const collections = ((await smembersCalls(ctx.admin)) - before) / perCollection;
  return {collections, scrapes: times.length, p99Ms: percentile(times, 99)};
}

export async function run(ctx) {
  const total = ctx.scale(1_000_000);
  const names = await ensureDataset(ctx, {queues: QUEUES, total, bullmq: ctx.bullmq});
  const size = `${QUEUES} queues, ${millions(total)} tasks`;

  // One collection, in process.
  const insp = new asynq.Inspector(ctx.url);
  await insp.ping();
  const collect = async () => {
    const m = asynq.queueMetrics(insp);
    const text = await m.metrics();
    if (!text.includes('asynq_queue_size{queue="q000"}')) throw new Error('metrics: no asynq_queue_size of q000');
  };
  await collect(); // warm-up
  const calls0 = await smembersCalls(ctx.admin);
  await collect();
  const perCollection = (await smembersCalls(ctx.admin)) - calls0;
  if (perCollection < 1) throw new Error('metrics-scrape: a collection made no SMEMBERS call to count it by');
  const shared = ctx.bullmq
    ? new Redis({host: ctx.server.host, port: ctx.server.port, maxRetriesPerRequest: null})
    : null;
  const queues = shared ? names.map((name) => new Queue(name, {connection: shared})) : [];
  const bullCollect = async () => {
    for (const q of queues) await q.exportPrometheusMetrics();
  };
  if (shared) await bullCollect();
  // Collections under the defaults (a collection per 15 s interval, each queue's memory sampled
  // every 60 s, spread over the collections) in their steady state: a simulated clock moves 15 s
  // per collection; after the first (every queue new, all sampled) and a 60 s cycle, each
  // collection samples the memory of the quarter of the queues sampled longest ago.
  let clock = 0;
  const steadyMetrics = asynq.queueMetrics(insp, {now: () => clock});
  const steady = async () => {
    clock += 15_000;
    const text = await steadyMetrics.metrics();
    if (!text.includes('asynq_queue_size{queue="q000"}')) throw new Error('metrics: no asynq_queue_size of q000');
  };
  for (let i = 0; i < 9; i++) await steady();
  const wall = {ours: [], bullmq: [], steady: []};
  const redis = {ours: [], bullmq: [], steady: []};
  for (let r = 0; r < ctx.runs; r++) {
    let t = now();
    await collect();
    wall.ours.push(now() - t);
    redis.ours.push(await redisTime(ctx.admin, collect));
    t = now();
    await steady();
    wall.steady.push(now() - t);
    redis.steady.push(await redisTime(ctx.admin, steady));
    if (!shared) continue;
    t = now();
    await bullCollect();
    wall.bullmq.push(now() - t);
    redis.bullmq.push(await redisTime(ctx.admin, bullCollect));
  }
  await Promise.all(queues.map((q) => q.close()));
  shared?.disconnect();
  await insp.close();

  // 10 concurrent scrapers against the CLI exporter.
  const exporter = await startExporter(ctx);
  const scrapes = [];
  try {
    for (let r = 0; r < ctx.runs; r++) {
      await sleep(INTERVAL_MS * 1.5); // the last round's collection is stale now
      scrapes.push(await scrapeRound(ctx, exporter.url, perCollection));
    }
  } finally {
    await exporter.stop();
  }

  const bullHow = 'BullMQ: exportPrometheusMetrics() (its job counts by state) of the 100 queues one after the other';
  return [
    {
      id: 'metrics.collect.wall',
      group: 'metrics',
      name: `queue metrics: one collection sampling every queue's memory (as Go's collector, each scrape), ${size}, wall time`,
      unit: 'ms',
      better: 'lower',
      ours: wall.ours,
      bullmq: wall.bullmq,
      limit: null,
      limitPipelined: null,
      targets: [{of: 'value', cmp: '<=', goal: 50}],
      note: `queueMetrics(inspector).metrics() on a new QueueMetrics, so with the memory sampling (as every collection of Go's collector): the queue list, then getQueueInfo of each queue in turn, and the Prometheus text. ${bullHow}`,
    },
    {
      id: 'metrics.collect.steady.wall',
      group: 'metrics',
      name: `queue metrics: one collection under the defaults (15 s interval, memory sampled every 60 s, spread), ${size}, wall time`,
      unit: 'ms',
      better: 'lower',
      ours: wall.steady,
      bullmq: wall.bullmq,
      limit: null,
      limitPipelined: null,
      targets: [{of: 'value', cmp: '<=', goal: 50}],
      note: `queueMetrics(inspector) with its defaults in steady state (a simulated clock, 15 s per collection): each collection reads every queue and samples the memory usage of the quarter sampled longest ago (the others report their last sample, at most 60 s old). ${bullHow}`,
    },
    {
      id: 'metrics.collect.steady.redis',
      group: 'metrics',
      name: `queue metrics: one collection under the defaults, ${size}, Redis time`,
      unit: 'ms',
      better: 'lower',
      ours: redis.steady,
      bullmq: redis.bullmq,
      limit: null,
      limitPipelined: null,
      targets: [{of: 'value', cmp: '<=', goal: 50}],
      note: 'the same collections, SLOWLOG durations as above',
    },
    {
      id: 'metrics.collect.redis',
      group: 'metrics',
      name: `queue metrics: one collection sampling every queue's memory, ${size}, Redis time`,
      unit: 'ms',
      better: 'lower',
      ours: redis.ours,
      bullmq: redis.bullmq,
      limit: null,
      limitPipelined: null,
      targets: [{of: 'value', cmp: '<=', goal: 50}],
      note: `the same collection with SLOWLOG recording every command (threshold 0): the sum of the durations of the top-level commands and scripts it sent (a script's inner commands are inside its duration). ${bullHow}, measured alike`,
    },
    {
      id: 'metrics.scrapers.collections',
      group: 'metrics',
      name: `\`asynq metrics serve\`, ${SCRAPERS} concurrent scrapers: collections per interval`,
      unit: 'per interval',
      better: 'lower',
      ours: scrapes.map((s) => s.collections / WINDOW_INTERVALS),
      bullmq: null,
      limit: null,
      limitPipelined: null,
      targets: [{of: 'value', cmp: '<=', goal: 1}],
      note:
        `\`asynq metrics serve --interval ${INTERVAL_MS / 1000}s\` (spawned) over ${size}; ${SCRAPERS} scrapers each GET /metrics every ` +
        `${SCRAPE_EVERY_MS} ms for ${WINDOW_INTERVALS} intervals (${Math.round(median(scrapes.map((s) => s.scrapes)))} scrapes a round); ` +
        `collections counted as the window's SMEMBERS calls (INFO commandstats) over the ${perCollection} of one collection. Go's collector and ` +
        "BullMQ's export run one collection per scrape",
    },
    {
      id: 'metrics.scrapers.p99',
      group: 'metrics',
      name: `\`asynq metrics serve\`, ${SCRAPERS} concurrent scrapers: scrape time p99`,
      unit: 'ms',
      better: 'lower',
      ours: scrapes.map((s) => s.p99Ms),
      bullmq: null,
      limit: null,
      limitPipelined: null,
      note: "the same rounds: the p99 of the scrapes' response times (GET to the end of the body); a scrape that arrives during a collection waits for it",
    },
  ];
}
