/**
 * Monitoring over 100 queues holding 1,000,000 tasks in all (per queue 60% pending, 10% each
 * scheduled, retry, archived, completed), seeded by raw writes in Go's layout (and in BullMQ's, the
 * same counts; ensureDataset, shared with the metrics-scrape scenario):
 * - Inspector.getQueueInfo for every queue, all at once (Promise.all, as a dashboard refresh
 *   does) and one after the other; BullMQ: Queue.getJobCounts() over 100 queues seeded the same way
 *   (wait/delayed/failed/completed);
 * - cold `asynq stats` (spawned bin/run.js) against that Redis; Node's own cold start is its limit;
 * - one `asynq dash` refresh, when the dash exists.
 * Limit: 100 × (SISMEMBER + currentStats-12.lua + memoryUsage-7.lua), each pipelined by
 * redis-benchmark (-P 16) on one seeded queue.
 */
import {Queue} from 'bullmq';
import {Redis} from 'ioredis';
import {asynq, keys, scripts} from '../support/lib.mjs';
import {dashRefresh} from '../support/dash-refresh.mjs';
import {now, repeat} from '../support/measure.mjs';
import {datasetShare, ensureDataset} from '../support/seed.mjs';
import {coldRun, nodeFloor} from './cli.mjs';

export const order = 60;

const QUEUES = 100;
export const millions = (n) => (n >= 1e6 ? `${n / 1e6}M` : n.toLocaleString('en'));
const perQueue = (total) => datasetShare(total, QUEUES);

export async function run(ctx) {
  const total = ctx.scale(1_000_000);
  const rows = [];
  const names = await ensureDataset(ctx, {queues: QUEUES, total, bullmq: ctx.bullmq});

  // --- asynq
  const insp = new asynq.Inspector(ctx.url);
  await insp.ping();
  const check = await insp.getQueueInfo(names[0]);
  if (check.size !== total / QUEUES) throw new Error(`getQueueInfo: size ${check.size}, seeded ${total / QUEUES}`);
  const allAtOnce = await repeat(
    Math.max(9, ctx.runs),
    async () => {
      const t = now();
      await Promise.all(names.map((q) => insp.getQueueInfo(q)));
      return now() - t;
    },
    {warmup: 2},
  );
  const oneByOne = await repeat(
    Math.max(3, ctx.runs),
    async () => {
      const t = now();
      for (const q of names) await insp.getQueueInfo(q);
      return now() - t;
    },
    {warmup: 1},
  );
  const dash = await dashRefresh(insp, {refreshes: Math.max(7, ctx.runs)});
  await insp.close();

  // Limit: the Redis work of one getQueueInfo, pipelined, times 100.
  const q = names[0];
  const d = new Date();
  const csSha = await ctx.admin.script('LOAD', scripts.currentStats.lua);
  const muSha = await ctx.admin.script('LOAD', scripts.memoryUsage.lua);
  const bench = (args, requests) =>
    ctx.rounds(() => ctx.limit({requests: ctx.scale(requests), clients: 1, pipeline: 16, args}, (r) => r.rps));
  const rpsSis = await bench(['SISMEMBER', keys.allQueues, q], 100_000);
  const rpsCs = await bench(
    [
      'EVALSHA',
      csSha,
      12,
      keys.pendingKey(q),
      keys.activeKey(q),
      keys.scheduledKey(q),
      keys.retryKey(q),
      keys.archivedKey(q),
      keys.completedKey(q),
      keys.processedKey(q, d),
      keys.failedKey(q, d),
      keys.processedTotalKey(q),
      keys.failedTotalKey(q),
      keys.pausedKey(q),
      keys.allGroups(q),
      keys.taskKeyPrefix(q),
      keys.groupKeyPrefix(q),
    ],
    20_000,
  );
  const rpsMu = await bench(
    [
      'EVALSHA',
      muSha,
      7,
      keys.activeKey(q),
      keys.pendingKey(q),
      keys.scheduledKey(q),
      keys.retryKey(q),
      keys.archivedKey(q),
      keys.completedKey(q),
      keys.allGroups(q),
      keys.taskKeyPrefix(q),
      20,
      5,
      keys.groupKeyPrefix(q),
    ],
    5_000,
  );
  // One value per round: 100 × the time of one call of each.
  const limitMs = rpsMu.map((mu, i) => QUEUES * 1000 * (1 / rpsSis[i] + 1 / rpsCs[i] + 1 / mu));

  // Cold `asynq stats` against the seeded Redis.
  const stats = coldRun(ctx, ['stats', '--uri', ctx.url]);
  const floor = nodeFloor(ctx);

  const dashRow = {
    id: 'monitoring.dash',
    group: 'monitoring',
    name: `one \`asynq dash\` refresh, Queues screen (100 queues, ${millions(total)} tasks)`,
    unit: 'ms',
    better: 'lower',
    ours: dash?.values ?? null,
    bullmq: null,
    limit: null,
    limitPipelined: limitMs,
    note: dash
      ? `the real App rendered by Ink into a 132×40 fake terminal, from its listQueueInfos call to the next frame (reads alone: ` +
        `${dash.readsMs.toFixed(1)} ms); BullMQ has no dashboard. Limit as getQueueInfo`
      : 'not measured: the dash is not in the build (lib/ui/dash)',
  };

  // --- BullMQ: same shape, its own layout.
  const bull = ctx.bullmq ? await bullmqCounts(ctx, names, total) : {all: null, seq: null};

  const how = 'Limit: 100 × (SISMEMBER + currentStats + memoryUsage), redis-benchmark -P 16';
  rows.push({
    id: 'monitoring.queueinfo.all',
    group: 'monitoring',
    name: `\`getQueueInfo\` × 100 queues, ${millions(total)} tasks, all at once`,
    unit: 'ms',
    better: 'lower',
    ours: allAtOnce.values,
    bullmq: bull.all,
    limit: null,
    limitPipelined: limitMs,
    targets: [{of: 'value', cmp: '<=', goal: 50}],
    note: `Inspector.getQueueInfo of the 100 queues at once (Promise.all). BullMQ: getJobCounts() of 100 queues seeded alike (no memory usage or latency). ${how}`,
  });
  rows.push({
    id: 'monitoring.queueinfo.seq',
    group: 'monitoring',
    name: `\`getQueueInfo\` × 100 queues, ${millions(total)} tasks, one by one`,
    unit: 'ms',
    better: 'lower',
    ours: oneByOne.values,
    bullmq: bull.seq,
    limit: null,
    limitPipelined: limitMs,
    note: `the same, one queue after the other. ${how}`,
  });
  rows.push({
    id: 'cli.stats',
    group: 'cli',
    name: `cold \`asynq stats\` (100 queues, ${millions(total)} tasks)`,
    unit: 'ms',
    better: 'lower',
    ours: stats.ms,
    bullmq: null,
    limit: floor,
    limitPipelined: null,
    note: stats.note ?? 'spawned `node bin/run.js stats`; BullMQ has no CLI. Limit: cold `node -e 0`',
  });
  rows.push(dashRow);
  return rows;
}

/** BullMQ: Queue.getJobCounts() over the 100 queues seeded in its layout; every round's ms. */
async function bullmqCounts(ctx, names, total) {
  const shared = new Redis({host: ctx.server.host, port: ctx.server.port, maxRetriesPerRequest: null});
  const queues = names.map((name) => new Queue(name, {connection: shared}));
  const counts = await queues[0].getJobCounts();
  if (counts.waiting !== perQueue(total).pending) throw new Error(`BullMQ getJobCounts: waiting ${counts.waiting}`);
  const bullAll = await repeat(
    Math.max(9, ctx.runs),
    async () => {
      const t = now();
      await Promise.all(queues.map((qu) => qu.getJobCounts()));
      return now() - t;
    },
    {warmup: 2},
  );
  const bullSeq = await repeat(
    Math.max(3, ctx.runs),
    async () => {
      const t = now();
      for (const qu of queues) await qu.getJobCounts();
      return now() - t;
    },
    {warmup: 1},
  );
  await Promise.all(queues.map((qu) => qu.close()));
  shared.disconnect();
  return {all: bullAll.values, seq: bullSeq.values};
}
