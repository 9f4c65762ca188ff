/**
 * Ratios, targets and the two result files (Markdown table and JSON) of a bench run.
 */

/** The project's performance targets, each checked on one row. */
const TARGETS = [
  {row: 'process.c10', label: 'process ≥ 2× BullMQ, concurrency 10', of: 'bullmq', goal: 2, cmp: '>='},
  {row: 'process.c100', label: 'process ≥ 2× BullMQ, concurrency 100', of: 'bullmq', goal: 2, cmp: '>='},
  {row: 'enqueue.single.c1', label: 'single enqueue ≥ 1.5× BullMQ add, 1 caller', of: 'bullmq', goal: 1.5, cmp: '>='},
  {row: 'enqueue.single.c8', label: 'single enqueue ≥ 1.5× BullMQ add, 8 callers', of: 'bullmq', goal: 1.5, cmp: '>='},
  {
    row: 'enqueue.many',
    label: 'enqueueMany ≥ 30% of the pipelined Redis limit',
    of: 'limitPipelined',
    goal: 0.3,
    cmp: '>=',
  },
  {row: 'latency.idle.p50', label: 'idle pickup p50 ≤ 20 ms', of: 'value', goal: 20, cmp: '<='},
  {row: 'latency.idle.p99', label: 'idle pickup p99 ≤ 100 ms', of: 'value', goal: 100, cmp: '<='},
  {
    row: 'monitoring.queueinfo.all',
    label: 'getQueueInfo × 100 queues (1M tasks) ≤ 50 ms',
    of: 'value',
    goal: 50,
    cmp: '<=',
  },
  {
    row: 'web.queues',
    label: '`asynq web` queues page data (100 queues, 1M tasks) ≤ 150 ms',
    of: 'value',
    goal: 150,
    cmp: '<=',
  },
  {row: 'web.task', label: '`asynq web` task page (1M tasks) ≤ 100 ms', of: 'value', goal: 100, cmp: '<='},
  {row: 'web.start', label: 'cold `asynq web` ready ≤ 1 s', of: 'value', goal: 1000, cmp: '<='},
  {row: 'cli.version', label: 'cold `asynq --version` ≤ 2× `node -e 0`', of: 'limit', goal: 2, cmp: '<='},
  {row: 'cli.stats.empty', label: 'cold `asynq stats` ≤ 3× `node -e 0`', of: 'limit', goal: 3, cmp: '<='},
  {row: 'memory.rss.c100', label: 'worker RSS ≤ 100 MB (concurrency 100)', of: 'value', goal: 100, cmp: '<='},
];

const ok = (x) => typeof x === 'number' && Number.isFinite(x);
const ratio = (a, b) => (ok(a) && ok(b) && b !== 0 ? a / b : null);

/** Adds ratios to every row: ours/BullMQ, ours/limit, ours/limit pipelined. */
export function withRatios(rows) {
  return rows.map((r) => ({
    ...r,
    oursVsBullmq: ratio(r.ours, r.bullmq),
    oursVsLimit: ratio(r.ours, r.limit),
    oursVsLimitPipelined: ratio(r.ours, r.limitPipelined),
  }));
}

export function checkTargets(rows) {
  return TARGETS.map((t) => {
    const r = rows.find((x) => x.id === t.row);
    const measured = !r
      ? null
      : t.of === 'value'
        ? r.ours
        : t.of === 'bullmq'
          ? r.oursVsBullmq
          : t.of === 'limit'
            ? r.oursVsLimit
            : r.oursVsLimitPipelined;
    if (!ok(measured)) return {...t, measured: null, met: null, by: null};
    const met = t.cmp === '>=' ? measured >= t.goal : measured <= t.goal;
    // by: how far from the goal, as a factor (> 1 = margin when met, shortfall when not).
    const by = t.cmp === '>=' ? measured / t.goal : t.goal / measured;
    return {...t, measured, met, by};
  });
}

function num(x, unit) {
  if (!ok(x)) return '–';
  if (unit === 'tasks/s') return Math.round(x).toLocaleString('en');
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString('en');
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}
const times = (x) => (ok(x) ? `${x.toFixed(2)}×` : '–');
const pct = (x) => (ok(x) ? `${(x * 100).toFixed(0)}%` : '–');

/** The Markdown report. */
export function markdown(result) {
  const {machine, rows, targets, config} = result;
  const out = [];
  out.push('# asynq-ts benchmarks', '');
  out.push(
    `Run ${machine.date} on ${machine.nproc} cores (${machine.cpu}), ${machine.memGiB} GiB, ${machine.os}; ` +
      `Node ${machine.node}, redis-server ${machine.redis} (no persistence, loopback), BullMQ ${machine.bullmq}, ioredis ${machine.ioredis}; ` +
      `asynq-ts ${machine.commit}. ${config.runs} round(s) per figure, median; ours and BullMQ in turn within a round. ` +
      `Total ${Math.round(result.elapsedSeconds)} s; 1-minute load average ${machine.loadBefore} before, ${machine.loadAfter} after ` +
      '(anything above 0 is other work sharing the 2 cores).',
    '',
  );
  out.push(
    'Ratios: **ours/BullMQ** > 1 means asynq-ts is faster for tasks/s, and smaller for ms and MB (< 1 is better there). ' +
      '**ours/limit** compares with redis-benchmark running the same Redis work with no client library: unpipelined ' +
      '(one command per round trip per connection) and pipelined (-P 16).',
    '',
  );
  out.push(
    '| # | scenario | unit | asynq-ts | BullMQ | ours/BullMQ | Redis limit | ours/limit | limit -P 16 | ours/limit -P 16 |',
  );
  out.push('|---|---|---|---:|---:|---:|---:|---:|---:|---:|');
  rows.forEach((r, i) => {
    const arrow = r.better === 'higher' ? '↑' : '↓';
    out.push(
      `| ${i + 1} | ${r.name} | ${r.unit} ${arrow} | ${num(r.ours, r.unit)} | ${num(r.bullmq, r.unit)} | ${times(r.oursVsBullmq)} | ` +
        `${num(r.limit, r.unit)} | ${r.better === 'higher' ? pct(r.oursVsLimit) : times(r.oursVsLimit)} | ${num(r.limitPipelined, r.unit)} | ` +
        `${r.better === 'higher' ? pct(r.oursVsLimitPipelined) : times(r.oursVsLimitPipelined)} |`,
    );
  });
  out.push('', '## Targets', '', '| target | measured | status |', '|---|---:|---|');
  for (const t of targets) {
    const m =
      t.measured === null
        ? '–'
        : t.of === 'value'
          ? num(t.measured, '')
          : t.of === 'bullmq' || t.of === 'limit'
            ? times(t.measured)
            : pct(t.measured);
    const status =
      t.met === null
        ? 'not measured'
        : t.met
          ? `met (${t.by.toFixed(2)}× margin)`
          : `**not met** (${(1 / t.by).toFixed(2)}× short)`;
    out.push(`| ${t.label} | ${m} | ${status} |`);
  }
  out.push('', '## Notes', '');
  rows.forEach((r, i) => out.push(`${i + 1}. ${r.note ?? ''}`));
  out.push(
    '',
    'Reproduce: `npm ci && npm run bench` (needs redis-server and redis-benchmark on the PATH). ' +
      'Options: `--runs N`, `--quick`, `--only enqueue,process,latency,monitoring,cli,memory`, `--no-bullmq`, `--no-limit`.',
    '',
  );
  return out.join('\n');
}

/** A compact console table. */
export function consoleTable(rows) {
  const rel = (r, x) => (r.better === 'higher' ? pct(x) : times(x));
  const lines = rows.map((r) => [
    r.name.replace(/`/g, ''),
    r.unit,
    num(r.ours, r.unit),
    num(r.bullmq, r.unit),
    times(r.oursVsBullmq),
    rel(r, r.oursVsLimit),
    rel(r, r.oursVsLimitPipelined),
  ]);
  const head = ['scenario', 'unit', 'asynq-ts', 'BullMQ', 'ours/BullMQ', 'ours/limit', 'ours/limit P16'];
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (l) => l.map((c, i) => (i < 2 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [fmt(head), ...lines.map(fmt)].join('\n');
}
