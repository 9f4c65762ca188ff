/**
 * Limits (ServerOptions.limits): what they cost when they do not bind. N no-op tasks of type
 * `bench:noop` at concurrency 10, three runs interleaved per round:
 * - none: no limits;
 * - configured: limits on other types and queues (`email:*` rate, `reports` cap): the tasks run
 *   exactly as without limits (matching is cached per type). Target: ≥ 95% of none;
 * - matching: a limit on every task (`bench:*`, a cap of 10,000 and a rate of 10,000,000/s, never
 *   refusing): decided inside the claim script (finishAndClaim-9.lua with the limits section:
 *   the tokens taken and given back in the same call; the first claim through limitAcquire).
 *   Target: ≥ 95% of none (issue 14: limits configured but not binding);
 * - beside: the same N tasks of queue `bench` next to queue `slow` (weight 1 each), whose 2,000
 *   tasks wait on a binding limit (a cap of 1 and 20 starts/s): the unlimited queue's throughput,
 *   against the same two queues without limits and with `slow` empty (so that only what the
 *   limit and its waiting backlog cost is compared, not the second queue's draws). No head-of-line
 *   blocking: target ≥ 90% of it.
 * - floor: the matching limit again, with the claim script's decisions replaced by taking every
 *   token (no message read, no check; scored now + 30 min): what Go's semaphore layout (a ZADD of
 *   each started task's id and a ZREM at its end) and the rate's state cost by themselves, with the
 *   same arguments and the same worker. No target: it is the least `matching` can cost while
 *   tokens keep that layout. The script is swapped in the loaded library's script table for that
 *   run only (floorScript; the bench stops if the shipped script's text no longer has the hook).
 * `ours` is the run with limits, the Limit column the run without (so ours/limit is the share kept).
 * limits.commands: Redis commands per task a matching limit adds (INFO stats
 * total_commands_processed, which counts the commands run inside scripts too) and the script calls
 * among them (INFO commandstats cmdstat_evalsha), with minus without, per task, last round.
 */
import {oursProcessRun} from './process.mjs';
import {asynq, keys, scripts} from '../support/lib.mjs';
import {interleaved, now, waitUntil} from '../support/measure.mjs';

export const order = 70;

const OTHER = [
  {match: {type: 'email:*'}, rate: {count: 50, per: '1s'}},
  {match: {queue: 'reports'}, concurrency: 5},
];
const MATCHING = [
  {match: {type: 'bench:*'}, concurrency: 10_000, rate: {count: 10_000_000, per: '1s', burst: 10_000_000}},
];

const SLOW = [{match: {queue: 'slow'}, concurrency: 1, rate: {count: 20, per: '1s'}}];
const SLOW_TASKS = 2_000;

/** The line of finishAndClaim-9.lua that floorScript replaces. */
const DECIDE = 'local function decide(id, msg)';

/**
 * finishAndClaim-9.lua with `decide` replaced by taking every limit's token and rate start for each
 * claimed task (the first task reads the limit's state, as a real decision does), and nothing else.
 */
function floorScript() {
  const lua = scripts.finishAndClaim.lua;
  if (!lua.includes(DECIDE))
    throw new Error(`bench limits: finishAndClaim-9.lua has no "${DECIDE}" line; update floorScript`);
  const floor = `local function decide(id, msg)
  for j = 1, #limits do
    local lim = limits[j]
    if not lim.read then
      lim.read = true
      lim.st.refusal(id, 0)
    end
    lim.st.take(id, tonumber(ARGV[5]) + defaultTimeout)
  end
  return true, true
end
local function decideAsShipped(id, msg)`;
  return lua.replace(DECIDE, floor);
}

/** Runs fn with finishAndClaim-9.lua replaced by `lua` in the library's script table (Servers made meanwhile define it). */
async function withClaimScript(lua, fn) {
  const shipped = scripts.finishAndClaim.lua;
  scripts.finishAndClaim.lua = lua;
  try {
    return await fn();
  } finally {
    scripts.finishAndClaim.lua = shipped;
  }
}

/**
 * n no-op tasks in queue bench (as oursProcessRun) with `slowTasks` in queue slow (held back by
 * `limits`), both queues weight 1 at concurrency 10: bench's tasks/s until all n are done.
 */
async function besideRun(ctx, n, slowTasks, limits) {
  await ctx.flush();
  const client = new asynq.Client(ctx.url);
  for (let b = 0; b < n; b += 1000) {
    const items = [];
    for (let i = b; i < Math.min(n, b + 1000); i++)
      items.push([new asynq.Task('bench:noop', {n: i}), {queue: 'bench'}]);
    await client.enqueueMany(items);
  }
  for (let b = 0; b < slowTasks; b += 1000) {
    const items = [];
    for (let i = b; i < Math.min(slowTasks, b + 1000); i++)
      items.push([new asynq.Task('slow:noop', {n: i}), {queue: 'slow'}]);
    await client.enqueueMany(items);
  }
  await client.close();
  const server = new asynq.Server(ctx.url, {
    concurrency: 10,
    queues: {bench: 1, slow: 1},
    logLevel: 'error',
    ...(limits && {limits}),
  });
  const t0 = now();
  await server.start(async () => {});
  await waitUntil(async () => Number(await ctx.admin.get(keys.processedTotalKey('bench'))) >= n, {
    what: `${n} bench tasks done beside a limited queue`,
  });
  const ms = now() - t0;
  await server.shutdown();
  return n / (ms / 1000);
}

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
  const floor = floorScript();
  const r = await interleaved(ctx.runs, {
    none: async () => (last.none = await measured(ctx, n, undefined)).rate,
    configured: async () => (last.configured = await measured(ctx, n, OTHER)).rate,
    matching: async () => (last.matching = await measured(ctx, n, MATCHING)).rate,
    floor: () => withClaimScript(floor, async () => (await measured(ctx, n, MATCHING)).rate),
    beside: () => besideRun(ctx, n, SLOW_TASKS, SLOW),
    besideNone: () => besideRun(ctx, n, 0, undefined),
  });
  const per = (k) => (last.matching[k] - last.none[k]) / n;
  const row = (id, name, ours, note, targets, limit = r.none) => ({
    id,
    group: 'limits',
    name,
    unit: 'tasks/s',
    better: 'higher',
    ours,
    bullmq: null,
    limit,
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
      'Limit column: without limits; the limit decided inside the claim script, tokens taken and given back in the same call (target: ours ≥ 95% of it)',
      [{of: 'limit', cmp: '>=', goal: 0.95, label: 'a matching limit, not binding ≥ 95% of none'}],
    ),
    row(
      'limits.beside',
      `process ${n.toLocaleString('en')} no-op tasks, c10, beside a queue held back by a binding limit`,
      r.beside,
      `the unlimited queue's tasks/s while queue slow (${SLOW_TASKS.toLocaleString('en')} tasks, weight 1) waits on a cap of 1 and 20 starts/s; Limit column: the same two queues without limits, slow empty (target: ours ≥ 90% of it)`,
      [{of: 'limit', cmp: '>=', goal: 0.9, label: 'an unlimited queue beside a limited one ≥ 90% of none'}],
      r.besideNone,
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
    row(
      'limits.floor',
      `process ${n.toLocaleString('en')} no-op tasks, c10, the matching limit's token and rate writes alone (floor)`,
      r.floor,
      "the matching limit with the claim's decisions replaced by taking every token and rate start (no message read, no check): what Go's semaphore layout (a ZADD and a ZREM of each task's id) and the rate state cost by themselves, the least the matching row can cost with that layout; Limit column: without limits",
      [],
    ),
  ];
}
