/**
 * Limits (ServerOptions.limits): what they cost when they do not bind. N no-op tasks of type
 * `bench:noop` at concurrency 10, three runs interleaved per round:
 * - none: no limits;
 * - configured: limits on other types and queues (`email:*` rate, `reports` cap): the tasks run
 *   exactly as without limits (matching is cached per type). Target: ≥ 95% of none;
 * - matching: a limit on every task (`bench:*`, a cap of 10,000 and a rate of 10,000,000/s, never
 *   refusing): one limitAcquire script call before each task and a ZREM after it.
 * `ours` is the run with limits, the Limit column the run without (so ours/limit is the share kept).
 * limits.commands: Redis commands per task a matching limit adds (INFO stats
 * total_commands_processed, which counts the commands run inside scripts too) and the script calls
 * among them (INFO commandstats cmdstat_evalsha), with minus without, per task, last round.
 */
import {oursProcessRun} from './process.mjs';
import {interleaved} from '../support/measure.mjs';

export const order = 70;

const OTHER = [
  {match: {type: 'email:*'}, rate: {count: 50, per: '1s'}},
  {match: {queue: 'reports'}, concurrency: 5},
];
const MATCHING = [
  {match: {type: 'bench:*'}, concurrency: 10_000, rate: {count: 10_000_000, per: '1s', burst: 10_000_000}},
];

async function counters(ctx) {
  const stats = await ctx.admin.info('stats');
  const cmd = await ctx.admin.info('commandstats');
  return {
    total: Number(/total_commands_processed:(\d+)/.exec(stats)[1]),
    evalsha: Number(/cmdstat_evalsha:calls=(\d+)/.exec(cmd)?.[1] ?? 0),
  };
}

/** One run; returns tasks/s and the Redis commands processed during it (from before the enqueue). */
async function measured(ctx, n, limits) {
  const before = await counters(ctx);
  const rate = await oursProcessRun(ctx, {
    n,
    concurrency: 10,
    queues: {bench: 1},
    handler: async () => {},
    serverOpts: limits ? {limits} : {},
  });
  const after = await counters(ctx);
  return {rate, total: after.total - before.total, evalsha: after.evalsha - before.evalsha};
}

export async function run(ctx) {
  const n = ctx.scale(20_000);
  const last = {};
  const r = await interleaved(ctx.runs, {
    none: async () => (last.none = await measured(ctx, n, undefined)).rate,
    configured: async () => (last.configured = await measured(ctx, n, OTHER)).rate,
    matching: async () => (last.matching = await measured(ctx, n, MATCHING)).rate,
  });
  const per = (k) => (last.matching[k] - last.none[k]) / n;
  const row = (id, name, ours, note, targets) => ({
    id,
    group: 'limits',
    name,
    unit: 'tasks/s',
    better: 'higher',
    ours,
    bullmq: null,
    limit: r.none,
    limitPipelined: null,
    note,
    targets,
  });
  return [
    row(
      'limits.configured',
      `process ${n.toLocaleString('en')} no-op tasks, c10, limits configured on other types/queues`,
      r.configured,
      'Limit column: the same run without limits (target: ours ≥ 95% of it)',
      [{of: 'limit', cmp: '>=', goal: 0.95, label: 'limits configured, not binding ≥ 95% of none'}],
    ),
    row(
      'limits.matching',
      `process ${n.toLocaleString('en')} no-op tasks, c10, a limit on every task that never binds`,
      r.matching,
      'Limit column: without limits; one more round trip before each task (the limit script)',
    ),
    {
      id: 'limits.commands',
      group: 'limits',
      name: 'Redis commands per task added by a matching limit (cap + rate)',
      unit: 'commands/task',
      better: 'lower',
      ours: per('total'),
      bullmq: null,
      limit: null,
      limitPipelined: null,
      note: `with minus without, per task, including the commands run inside scripts; of which script calls: ${per('evalsha').toFixed(2)}/task`,
    },
  ];
}
