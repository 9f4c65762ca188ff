/**
 * CLI cold start: `asynq --version` spawned as a new process each time (bin/run.js of the build),
 * wall time to exit. Limit: Node's own cold start, `node -e 0`. BullMQ has no CLI.
 */
import {spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {repoRoot} from '../support/lib.mjs';
import {median, now} from '../support/measure.mjs';

const RUNS = 7;

function timeSpawn(args, env) {
  const t0 = now();
  const r = spawnSync(process.execPath, args, {cwd: repoRoot, env, encoding: 'utf8', timeout: 60_000});
  return {ms: now() - t0, status: r.status, stdout: r.stdout, stderr: r.stderr};
}

/**
 * Median wall time of `asynq <args>` over a few cold runs (one unrecorded first run warms the
 * file cache). {ms: null, note} when the command fails (e.g. not implemented yet).
 */
export function coldRun(ctx, args) {
  const home = mkdtempSync(join(tmpdir(), 'asynq-bench-home-'));
  const env = {...process.env, HOME: home, NO_COLOR: '1'};
  delete env.ASYNQ_REDIS_URL;
  delete env.REDIS_URL;
  try {
    const bin = join(repoRoot, 'bin', 'run.js');
    const first = timeSpawn([bin, ...args], env);
    if (first.status !== 0) {
      const why = (first.stderr || first.stdout).trim().split('\n').slice(-1)[0];
      return {ms: null, note: `not measured: \`asynq ${args[0]}\` exited ${first.status} (${why.replace(/^\W+/, '')})`};
    }
    const runs = ctx.runs > 1 ? RUNS : 3;
    return {ms: median(Array.from({length: runs}, () => timeSpawn([bin, ...args], env).ms))};
  } finally {
    rmSync(home, {recursive: true, force: true});
  }
}

/** Median wall time of `node -e 0`. */
export function nodeFloor(ctx) {
  timeSpawn(['-e', '0'], process.env);
  const runs = ctx.runs > 1 ? RUNS : 3;
  return median(Array.from({length: runs}, () => timeSpawn(['-e', '0'], process.env).ms));
}

export async function run(ctx) {
  const v = coldRun(ctx, ['--version']);
  return [
    {
      id: 'cli.version',
      group: 'cli',
      name: 'cold `asynq --version`',
      unit: 'ms',
      better: 'lower',
      ours: v.ms,
      bullmq: null,
      limit: nodeFloor(ctx),
      limitPipelined: null,
      note: v.note ?? 'spawned `node bin/run.js --version`; BullMQ has no CLI. Limit: cold `node -e 0`',
    },
  ];
}
