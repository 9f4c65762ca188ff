/**
 * Monitoring over 100 queues holding 1,000,000 tasks in all (per queue 60% pending, 10% each
 * scheduled, retry, archived, completed), seeded by pipelined raw writes in Go's layout:
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
import {seedAsynqQueue, seedBullQueue} from '../support/seed.mjs';
import {coldRun, nodeFloor} from './cli.mjs';

export const QUEUES = 100;
export const millions = (n) => (n >= 1e6 ? `${n / 1e6}M` : n.toLocaleString('en'));
export const qname = (i) => `q${String(i).padStart(3, '0')}`;

/** Tasks per state of one of the QUEUES queues holding `total` tasks in all. */
export function perQueue(total) {
  const n = Math.floor(total / QUEUES);
  const tenth = Math.floor(n / 10);
  return {pending: n - 4 * tenth, scheduled: tenth, retry: tenth, archived: tenth, completed: tenth};
}

export async function run(ctx) {
  const total = ctx.scale(1_000_000);
  const rows = [];
  const names = Array.from({length: QUEUES}, (_, i) => qname(i));

  // --- asynq
  await ctx.flush();
  const t0 = now();
  for (const q of names) await seedAsynqQueue(ctx.admin, q, perQueue(total));
  ctx.log(`  seeded ${total.toLocaleString('en')} asynq tasks in ${((now() - t0) / 1000).toFixed(1)} s`);
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
  const dash = await dashRefresh(insp);
  await insp.close();

  // Limit: the Redis work of one getQueueInfo, pipelined, times 100.
  const q = names[0];
  const d = new Date();
  const csSha = await ctx.admin.script('LOAD', scripts.currentStats.lua);
  const muSha = await ctx.admin.script('LOAD', scripts.memoryUsage.lua);
  const bench = (args, requests) => ctx.limit({requests, clients: 1, pipeline: 16, args}, (r) => r.rps);
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
    50_000,
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
  const limitMs = rpsSis && rpsCs && rpsMu ? QUEUES * 1000 * (1 / rpsSis + 1 / rpsCs + 1 / rpsMu) : null;

  // Cold `asynq stats` against the seeded Redis.
  const stats = coldRun(ctx, ['stats', '--uri', ctx.url]);
  const floor = nodeFloor(ctx);

  const dashRow = {
    id: 'monitoring.dash',
    group: 'monitoring',
    name: `one \`asynq dash\` refresh, Queues screen (100 queues, ${millions(total)} tasks)`,
    unit: 'ms',
    better: 'lower',
    ours: dash?.ms ?? null,
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
  await ctx.flush();

  const how = 'Limit: 100 × (SISMEMBER + currentStats + memoryUsage), redis-benchmark -P 16';
  rows.push({
    id: 'monitoring.queueinfo.all',
    group: 'monitoring',
    name: `\`getQueueInfo\` × 100 queues, ${millions(total)} tasks, all at once`,
    unit: 'ms',
    better: 'lower',
    ours: allAtOnce.median,
    bullmq: bull.all,
    limit: null,
    limitPipelined: limitMs,
    note: `BullMQ: getJobCounts() (no memory usage or latency). ${how}`,
  });
  rows.push({
    id: 'monitoring.queueinfo.seq',
    group: 'monitoring',
    name: `\`getQueueInfo\` × 100 queues, ${millions(total)} tasks, one by one`,
    unit: 'ms',
    better: 'lower',
    ours: oneByOne.median,
    bullmq: bull.seq,
    limit: null,
    limitPipelined: limitMs,
    note: how,
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

/** BullMQ: Queue.getJobCounts() over the 100 queues seeded in its layout; medians in ms. */
async function bullmqCounts(ctx, names, total) {
  await ctx.flush();
  const t0 = now();
  for (const name of names) {
    const c = perQueue(total);
    await seedBullQueue(ctx.admin, name, {
      wait: c.pending,
      delayed: c.scheduled + c.retry,
      failed: c.archived,
      completed: c.completed,
    });
  }
  ctx.log(`  seeded ${total.toLocaleString('en')} BullMQ jobs in ${((now() - t0) / 1000).toFixed(1)} s`);
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
  return {all: bullAll.median, seq: bullSeq.median};
}
