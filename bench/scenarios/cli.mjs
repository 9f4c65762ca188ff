/**
 * CLI cold start: `asynq --version` and `asynq stats` (against the bench's Redis, flushed) spawned as
 * new processes (bin/run.js of the build), wall time to exit, measured side by side with Node's own
 * cold start, `node -e 0`, their limit. BullMQ has no CLI.
 */
import {spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {repoRoot} from '../support/lib.mjs';
import {now} from '../support/measure.mjs';

export const order = 90;

/** Spawns per figure: every round of the run (at least 7), 3 with --quick or one round. */
const spawns = (ctx) => (ctx.runs > 1 ? Math.max(7, ctx.runs) : 3);

function timeSpawn(args, env) {
  const t0 = now();
  const r = spawnSync(process.execPath, args, {cwd: repoRoot, env, encoding: 'utf8', timeout: 60_000});
  return {ms: now() - t0, status: r.status, stdout: r.stdout, stderr: r.stderr};
}

/**
 * Wall times of `asynq <args>` over a few cold runs (one unrecorded first run warms the file
 * cache): {ms: [every run]}, or {ms: null, note} when the command fails (e.g. not implemented yet).
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
    return {ms: Array.from({length: spawns(ctx)}, () => timeSpawn([bin, ...args], env).ms)};
  } finally {
    rmSync(home, {recursive: true, force: true});
  }
}

/** Wall times of `node -e 0`, every run. */
export function nodeFloor(ctx) {
  timeSpawn(['-e', '0'], process.env);
  return Array.from({length: spawns(ctx)}, () => timeSpawn(['-e', '0'], process.env).ms);
}

/**
 * Wall times of spawned commands measured side by side: every round runs each command once, in
 * turn, so that load on the machine falls on all of them alike. One unrecorded round first.
 * Returns per command {times: [every run]} or {note} when it failed.
 */
function sideBySide(ctx, cmds) {
  const home = mkdtempSync(join(tmpdir(), 'asynq-bench-home-'));
  const env = {...process.env, HOME: home, NO_COLOR: '1'};
  delete env.ASYNQ_REDIS_URL;
  delete env.REDIS_URL;
  const times = Object.fromEntries(Object.keys(cmds).map((k) => [k, []]));
  const notes = {};
  try {
    const rounds = spawns(ctx);
    for (let round = -1; round < rounds; round++) {
      for (const [name, args] of Object.entries(cmds)) {
        if (notes[name]) continue;
        const r = timeSpawn(args, env);
        if (r.status !== 0) {
          const why = (r.stderr || r.stdout).trim().split('\n').slice(-1)[0];
          notes[name] = `not measured: \`${name}\` exited ${r.status} (${why.replace(/^\W+/, '')})`;
        } else if (round >= 0) times[name].push(r.ms);
      }
    }
  } finally {
    rmSync(home, {recursive: true, force: true});
  }
  return Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, notes[k] ? {note: notes[k]} : {times: xs}]));
}

export async function run(ctx) {
  await ctx.flush();
  const bin = join(repoRoot, 'bin', 'run.js');
  const m = sideBySide(ctx, {
    'node -e 0': ['-e', '0'],
    'asynq --version': [bin, '--version'],
    'asynq stats': [bin, 'stats', '--uri', ctx.url],
  });
  const floor = m['node -e 0'];
  const row = (id, name, r, what) => ({
    id,
    group: 'cli',
    name,
    unit: 'ms',
    better: 'lower',
    ours: r.times ?? null,
    bullmq: null,
    limit: floor.times ?? null,
    limitPipelined: null,
    note:
      r.note ??
      `spawned \`${what}\` (wall time to exit; one unrecorded round first), in turn with \`node -e 0\` in each round${floor.note ? ` (${floor.note})` : ''}; BullMQ has no CLI. Limit: cold \`node -e 0\``,
  });
  return [
    {
      ...row('cli.version', 'cold `asynq --version`', m['asynq --version'], 'node bin/run.js --version'),
      targets: [{of: 'limit', cmp: '<=', goal: 2}],
    },
    {
      ...row('cli.stats.empty', 'cold `asynq stats` (empty Redis)', m['asynq stats'], 'node bin/run.js stats'),
      targets: [{of: 'limit', cmp: '<=', goal: 3}],
    },
  ];
}
