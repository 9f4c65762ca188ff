#!/usr/bin/env node
/**
 * `npm run bench`: asynq-ts side by side with BullMQ and the Redis limit, on a redis-server of its
 * own (free loopback port, no persistence). Runs against the compiled lib/ (`npm run build`).
 *
 *   node bench/run.mjs [--rounds N] [--quick] [--only a,b] [--skip a,b] [--no-bullmq] [--no-limit]
 *                      [--out DIR] [--list]
 *
 * Scenarios are the files of bench/scenarios/ (each exports `run(ctx)` returning rows, and may
 * export `order`, a number that places it in the table; default 100, then by file name), so a new
 * scenario is a new file. Each figure is the median of --rounds rounds (default 7; --runs is the
 * same), reported with its spread; ours and BullMQ run in turn within a round. --quick: sizes ÷ 10,
 * 1 round (a smoke test, not figures). A full run (every scenario, ≥ 7 rounds, BullMQ and limits)
 * writes bench/results/<date>.md and <date>.json (every round of every figure) and copies them to
 * latest.md/json; a partial one writes partial.md/json there instead, so that committed results
 * always come from complete runs. --list prints the scenarios in order.
 */
import {execFileSync} from 'node:child_process';
import {copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {availableParallelism, cpus, loadavg, platform, release, totalmem} from 'node:os';
import {join} from 'node:path';
import {pathToFileURL} from 'node:url';
import {parseArgs} from 'node:util';
import {Redis} from 'ioredis';
import {libIsStale, repoRoot} from './support/lib.mjs';
import {now} from './support/measure.mjs';
import {redisBenchmark, redisBenchmarkAvailable} from './support/redis-benchmark.mjs';
import {redisServerVersion, startRedisServer} from './support/redis-server.mjs';
import {consoleTable, markdown, normalize} from './support/report.mjs';

/** Every bench/scenarios/*.mjs, loaded, by its `order` export (default 100) and then by name. */
async function discoverScenarios() {
  const dir = join(repoRoot, 'bench', 'scenarios');
  const found = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.mjs'))) {
    const mod = await import(pathToFileURL(join(dir, file)).href);
    if (typeof mod.run === 'function') found.push({name: file.slice(0, -4), order: mod.order ?? 100, run: mod.run});
  }
  return found.sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
}

const {values: opt} = parseArgs({
  options: {
    rounds: {type: 'string'},
    runs: {type: 'string'},
    skip: {type: 'string'},
    list: {type: 'boolean', default: false},
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
const FULL_ROUNDS = 7;
const scenarios = await discoverScenarios();
const names = scenarios.map((s) => s.name);
if (opt.list) {
  process.stdout.write(`${names.join('\n')}\n`);
  process.exit(0);
}
const runs = Math.max(1, Number(opt.rounds ?? opt.runs ?? (opt.quick ? 1 : FULL_ROUNDS)));
const scale = opt.quick ? 0.1 : 1;
const listed = (v) => (v ? v.split(',').map((s) => s.trim()) : []);
for (const s of [...listed(opt.only), ...listed(opt.skip)])
  if (!names.includes(s)) throw new Error(`unknown scenario "${s}" (one of ${names.join(', ')})`);
const chosen = scenarios.filter(
  (s) => (!opt.only || listed(opt.only).includes(s.name)) && !listed(opt.skip).includes(s.name),
);
const full = !opt.only && !opt.skip && !opt.quick && !opt['no-bullmq'] && !opt['no-limit'] && runs >= FULL_ROUNDS;
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
  /** True with --quick (scenarios may shorten waits and windows too). */
  quick: opt.quick,
  /** n scaled for --quick; counts of 1000 and more stay whole thousands. */
  scale: (n) =>
    n >= 1000 ? Math.max(1000, Math.round((n * scale) / 1000) * 1000) : Math.max(10, Math.round(n * scale)),
  flush: () => admin.flushall(),
  /** `fn` run once per round (ctx.runs times, in turn); its values, without the null ones (not measured). */
  async rounds(fn) {
    const values = [];
    for (let r = 0; r < runs; r++) {
      const v = await fn(r);
      if (v !== null && v !== undefined) values.push(v);
    }
    return values;
  },
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

log(
  `${chosen.length} scenario(s), ${runs} round(s) each` +
    (full ? ' (a full run: about 15 minutes on a quiet 2-core machine)' : ''),
);
const t0 = now();
const rows = [];
try {
  for (const {name, run} of chosen) {
    const ts = now();
    log(`${name}...`);
    const got = (await run(ctx)).map(normalize);
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
  config: {runs, scale, scenarios: chosen.map((s) => s.name), bullmq: ctx.bullmq, limits: ctx.limits},
  elapsedSeconds: (now() - t0) / 1000,
  rows,
};
mkdirSync(outDir, {recursive: true});
const base = join(outDir, full ? machine.date.slice(0, 10) : 'partial');
writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
const md = markdown(result);
writeFileSync(`${base}.md`, md);
if (full) for (const ext of ['md', 'json']) copyFileSync(`${base}.${ext}`, join(outDir, `latest.${ext}`));
process.stdout.write(`${md}\n`);
log(`wrote ${base}.md and ${base}.json${full ? ' (and latest.*)' : ''} (${result.elapsedSeconds.toFixed(0)} s)`);
