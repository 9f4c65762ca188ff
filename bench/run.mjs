#!/usr/bin/env node
/**
 * `npm run bench`: asynq-ts side by side with BullMQ and the Redis limit, on a redis-server of its
 * own (free loopback port, no persistence). Runs against the compiled lib/ (`npm run build`).
 *
 *   node bench/run.mjs [--runs N] [--quick] [--only a,b] [--no-bullmq] [--no-limit] [--out DIR]
 *
 * Each figure is the median of --runs rounds (default 5); ours and BullMQ run in turn within a
 * round. A full run writes bench/results/latest.md and latest.json; a partial one (--only,
 * --quick, --no-bullmq, --no-limit, --runs < 3) writes partial.md/json there instead, so the
 * committed results always come from complete runs.
 */
import {execFileSync} from 'node:child_process';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {availableParallelism, cpus, loadavg, platform, release, totalmem} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {Redis} from 'ioredis';
import {libIsStale, repoRoot} from './support/lib.mjs';
import {now} from './support/measure.mjs';
import {redisBenchmark, redisBenchmarkAvailable} from './support/redis-benchmark.mjs';
import {redisServerVersion, startRedisServer} from './support/redis-server.mjs';
import {checkTargets, consoleTable, markdown, withRatios} from './support/report.mjs';

const SCENARIOS = ['enqueue', 'process', 'latency', 'monitoring', 'web', 'cli', 'memory'];

const {values: opt} = parseArgs({
  options: {
    runs: {type: 'string'},
    quick: {type: 'boolean', default: false},
    only: {type: 'string'},
    'no-bullmq': {type: 'boolean', default: false},
    'no-limit': {type: 'boolean', default: false},
    out: {type: 'string'},
    help: {type: 'boolean', short: 'h', default: false},
  },
});
if (opt.help) {
  process.stdout.write(
    readFileSync(new URL(import.meta.url), 'utf8')
      .split('*/')[0]
      .replace(/^#!.*\n\/\*\*/, '')
      .replace(/^ \* ?/gm, '') + '\n',
  );
  process.exit(0);
}
const runs = Math.max(1, Number(opt.runs ?? (opt.quick ? 1 : 5)));
const scale = opt.quick ? 0.1 : 1;
const only = opt.only ? opt.only.split(',').map((s) => s.trim()) : SCENARIOS;
for (const s of only)
  if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario "${s}" (one of ${SCENARIOS.join(', ')})`);
const full = !opt.only && !opt.quick && !opt['no-bullmq'] && !opt['no-limit'] && runs >= 3;
const outDir = opt.out ?? join(repoRoot, 'bench', 'results');
const log = (msg) => process.stderr.write(`${msg}\n`);

if (libIsStale()) log('warning: src/lib is newer than lib/: run `npm run build:lib` first, or this measures old code');
const haveRedisBenchmark = redisBenchmarkAvailable();
if (!haveRedisBenchmark)
  log('warning: redis-benchmark not found (Debian: apt-get install -y redis-tools): no Redis limits');

function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, {cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim();
  } catch {
    return 'unknown';
  }
}
const pkgVersion = (name) =>
  JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')).version;
const dirty = sh('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src', 'bench']) !== '';
const machine = {
  date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  nproc: availableParallelism(),
  cpu: cpus()[0]?.model?.trim() ?? 'unknown',
  memGiB: Math.round(totalmem() / 2 ** 30),
  os: `${platform()} ${release()}`,
  node: process.version,
  redis: redisServerVersion(),
  bullmq: pkgVersion('bullmq'),
  ioredis: pkgVersion('ioredis'),
  commit: `${sh('git', ['rev-parse', '--short', 'HEAD'])}${dirty ? ' (with uncommitted changes)' : ''}`,
  /** 1-minute load average before and after the run: other work on the machine skews the figures. */
  loadBefore: Number(loadavg()[0].toFixed(2)),
  loadAfter: null,
};

const server = await startRedisServer();
const admin = new Redis({host: server.host, port: server.port, maxRetriesPerRequest: null});
const ctx = {
  server,
  url: server.url,
  connection: {host: server.host, port: server.port, maxRetriesPerRequest: null},
  admin,
  runs,
  bullmq: !opt['no-bullmq'],
  /** Whether Redis limits are measured (redis-benchmark present, no --no-limit). */
  limits: haveRedisBenchmark && !opt['no-limit'],
  log,
  /** n scaled for --quick; counts of 1000 and more stay whole thousands. */
  scale: (n) =>
    n >= 1000 ? Math.max(1000, Math.round((n * scale) / 1000) * 1000) : Math.max(10, Math.round(n * scale)),
  flush: () => admin.flushall(),
  /** redis-benchmark result through pick(), or null without redis-benchmark / with --no-limit. */
  async limit(params, pick) {
    if (!ctx.limits) return null;
    try {
      return pick(redisBenchmark(server, params));
    } catch (err) {
      log(`  limit failed: ${err.message}`);
      return null;
    }
  },
};

const t0 = now();
const rows = [];
try {
  for (const name of only) {
    const ts = now();
    log(`${name}...`);
    const mod = await import(`./scenarios/${name}.mjs`);
    const got = withRatios(await mod.run(ctx));
    rows.push(...got);
    log(`${consoleTable(got)}\n  (${((now() - ts) / 1000).toFixed(1)} s)`);
  }
} finally {
  admin.disconnect();
  await server.stop();
}

machine.loadAfter = Number(loadavg()[0].toFixed(2));
const result = {
  machine,
  config: {runs, scale, scenarios: only, bullmq: ctx.bullmq, limits: ctx.limits},
  elapsedSeconds: (now() - t0) / 1000,
  rows,
  targets: checkTargets(rows),
};
mkdirSync(outDir, {recursive: true});
const base = join(outDir, full ? 'latest' : 'partial');
writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
const md = markdown(result);
writeFileSync(`${base}.md`, md);
process.stdout.write(`${md}\n`);
log(`wrote ${base}.md and ${base}.json (${result.elapsedSeconds.toFixed(0)} s)`);
