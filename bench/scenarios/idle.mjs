/**
 * The cost of an idle worker at 1, 100 and 1,000 empty queues: Redis commands per second, counting
 * the commands that scripts run (INFO commandstats counts each redis.call under its own name, so
 * the sum of every command's calls is what Redis executes; the INFO calls of the measurement
 * itself are left out), and the worker process's CPU (time on a CPU of all its threads over the
 * window, from /proc/<pid>/task/<tid>/schedstat, as % of one core). The worker is a child process (bench/support/idle-worker.mjs) started
 * before the first window and given a settling time (its idle back-off ramps up); each round is one
 * window. BullMQ: one Worker per queue in one process (at 1 and 100 queues; 1,000 Workers of two
 * connections each are not a setup anyone runs). No Redis limit (an idle worker's floor is 0).
 */
import {spawn} from 'node:child_process';
import {readdirSync, readFileSync} from 'node:fs';
import {execFileSync} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import {now, redisWork, sleep} from '../support/measure.mjs';

export const order = 40;

const child = fileURLToPath(new URL('../support/idle-worker.mjs', import.meta.url));

/** Clock ticks per second of /proc/<pid>/stat times. */
const ticks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU seconds of process `pid` so far: the sum over its threads of the time on a CPU in
 * /proc/<pid>/task/<tid>/schedstat (nanoseconds); without schedstat, utime + stime of
 * /proc/<pid>/stat (clock ticks); null without /proc.
 */
function cpuSeconds(pid) {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    }
    if (Number.isFinite(ns)) return ns / 1e9;
  } catch {
    /* no schedstat: the tick counts below */
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticks;
  } catch {
    return null;
  }
}

/** Starts the child; resolves with {pid, stop()} once it printed "ready". */
async function startChild(ctx, kind, queues) {
  const p = spawn(process.execPath, [child, kind, String(ctx.server.port), String(queues)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      if (out.includes('ready')) resolve();
    });
    p.once('exit', (code) => reject(new Error(`idle worker (${kind}, ${queues} queues) exited ${code}`)));
  });
  return {
    pid: p.pid,
    async stop() {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await Promise.race([exited, sleep(30_000).then(() => p.kill('SIGKILL'))]);
    },
  };
}

/** Windows of `windowMs` after `settleMs`: per window, {cmds: commands/s, cpu: % of a core}. */
async function measureIdle(ctx, kind, queues, {settleMs, windowMs}) {
  await ctx.flush();
  const w = await startChild(ctx, kind, queues);
  const out = {cmds: [], cpu: []};
  try {
    await sleep(settleMs);
    for (let r = 0; r < ctx.runs; r++) {
      const c0 = await redisWork(ctx.admin);
      const cpu0 = cpuSeconds(w.pid);
      const t0 = now();
      await sleep(windowMs);
      const c1 = await redisWork(ctx.admin);
      const cpu1 = cpuSeconds(w.pid);
      const s = (now() - t0) / 1000;
      // The INFO calls are the measurement's: leave them out.
      out.cmds.push((c1.calls - c0.calls - (c1.info - c0.info)) / s);
      if (cpu0 !== null && cpu1 !== null) out.cpu.push(((cpu1 - cpu0) / s) * 100);
    }
  } finally {
    await w.stop();
  }
  return out;
}

const GOALS = {1: {cmds: 30, cpu: 1}, 100: {cmds: 750, cpu: 3}, 1000: {cmds: 3000, cpu: 5}};

export async function run(ctx) {
  const timing = ctx.quick ? {settleMs: 1500, windowMs: 1000} : {settleMs: 4000, windowMs: 4000};
  const rows = [];
  for (const queues of [1, 100, 1000]) {
    const ours = await measureIdle(ctx, 'asynq', queues, timing);
    const bull = ctx.bullmq && queues <= 100 ? await measureIdle(ctx, 'bullmq', queues, timing) : {cmds: [], cpu: []};
    const how =
      `a separate idle worker process (Server, concurrency 10, ${queues} empty queue${queues > 1 ? 's' : ''}); after ` +
      `${timing.settleMs / 1000} s of settling, each round is a ${timing.windowMs / 1000} s window`;
    const bullHow =
      queues <= 100
        ? `BullMQ: ${queues} Worker${queues > 1 ? 's' : ''} (one per queue) in one process`
        : 'BullMQ: not run at 1,000 queues';
    // Go asynq v0.24.1 as measured for issue 16 (no Go toolchain in the bench): a reference, not a column.
    const go = queues === 100 ? ' Go asynq v0.24.1 at 100 queues (issue 16): 721 commands/s, 1.2% of a core' : '';
    rows.push({
      id: `idle.q${queues}.commands`,
      group: 'idle',
      name: `idle worker, ${queues.toLocaleString('en')} queue${queues > 1 ? 's' : ''}: Redis commands/s`,
      unit: 'commands/s',
      better: 'lower',
      ours: ours.cmds,
      bullmq: bull.cmds,
      limit: null,
      limitPipelined: null,
      targets: [{of: 'value', cmp: '<=', goal: GOALS[queues].cmds}],
      note: `${how}: Redis commands executed per second, those run inside scripts included (INFO commandstats deltas, the INFO calls left out). ${bullHow}.${go}`,
    });
    rows.push({
      id: `idle.q${queues}.cpu`,
      group: 'idle',
      name: `idle worker, ${queues.toLocaleString('en')} queue${queues > 1 ? 's' : ''}: worker CPU`,
      unit: '% of a core',
      better: 'lower',
      ours: ours.cpu,
      bullmq: bull.cpu,
      limit: null,
      limitPipelined: null,
      targets: [{of: 'value', cmp: '<=', goal: GOALS[queues].cpu}],
      note: `${how}: the worker process's CPU time over the window (all its threads, /proc/<pid>/task/<tid>/schedstat in ns), as % of one core. ${bullHow}.${go}`,
    });
  }
  return rows;
}
