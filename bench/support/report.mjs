/**
 * Rows, ratios, targets and the two result files (Markdown table and JSON) of a bench run.
 *
 * A scenario returns rows like
 *   {id, group, name, unit, better: 'higher'|'lower', ours, bullmq, limit, limitPipelined, targets, note}
 * where each of ours/bullmq/limit/limitPipelined is an array of every round's value (or one
 * number, or null when not measured), and `targets` (optional) lists the goals the row is checked
 * against: {of: 'value'|'bullmq'|'limit'|'limitPipelined', cmp: '>='|'<=', goal, label?}
 * ('bullmq': ours/BullMQ; 'limit…': ours/limit, a fraction for tasks/s and a factor for ms).
 * normalize() turns the arrays into medians (the figures), keeps every round in `rounds` and
 * their spread (min, max, quartiles) in `spread`, and adds the ratios and the targets' verdicts.
 */
import {summarize} from './measure.mjs';

const FIGURES = ['ours', 'bullmq', 'limit', 'limitPipelined'];

const ok = (x) => typeof x === 'number' && Number.isFinite(x);
const ratio = (a, b) => (ok(a) && ok(b) && b !== 0 ? a / b : null);
const asRounds = (v) => (Array.isArray(v) ? v : ok(v) ? [v] : []);

/** The default label of a target, from its comparison. */
function targetLabel(t, row) {
  const sym = t.cmp === '>=' ? '≥' : '≤';
  if (t.of === 'value') return `${sym} ${t.goal} ${row.unit}`;
  if (t.of === 'bullmq') return `${sym} ${t.goal}× BullMQ`;
  const which = t.of === 'limit' ? 'the limit' : 'the limit -P 16';
  return row.better === 'higher' ? `${sym} ${Math.round(t.goal * 100)}% of ${which}` : `${sym} ${t.goal}× ${which}`;
}

/** Adds medians, spreads, every round, ratios and target verdicts to a scenario's row. */
export function normalize(row) {
  const rounds = {};
  const spread = {};
  const figures = {};
  for (const f of FIGURES) {
    rounds[f] = asRounds(row[f]);
    spread[f] = summarize(rounds[f]);
    figures[f] = spread[f]?.median ?? null;
  }
  // Rounds of ours and BullMQ run in turn: the ratio of each round's pair shows the spread of the ratio.
  const pairs =
    rounds.ours.length > 1 && rounds.ours.length === rounds.bullmq.length
      ? rounds.ours.map((x, i) => ratio(x, rounds.bullmq[i])).filter(ok)
      : [];
  const out = {
    ...row,
    ...figures,
    rounds,
    spread,
    oursVsBullmq: ratio(figures.ours, figures.bullmq),
    oursVsBullmqRange: pairs.length ? [Math.min(...pairs), Math.max(...pairs)] : null,
    oursVsLimit: ratio(figures.ours, figures.limit),
    oursVsLimitPipelined: ratio(figures.ours, figures.limitPipelined),
  };
  out.targets = (row.targets ?? []).map((t) => {
    const measured =
      t.of === 'value'
        ? out.ours
        : t.of === 'bullmq'
          ? out.oursVsBullmq
          : t.of === 'limit'
            ? out.oursVsLimit
            : out.oursVsLimitPipelined;
    const label = t.label ?? targetLabel(t, row);
    if (!ok(measured)) return {...t, label, measured: null, met: null, by: null};
    const met = t.cmp === '>=' ? measured >= t.goal : measured <= t.goal;
    // by: how far from the goal, as a factor (> 1 = margin when met, shortfall when not).
    const by = t.cmp === '>=' ? measured / t.goal : t.goal / measured;
    return {...t, label, measured, met, by};
  });
  return out;
}

function num(x, unit) {
  if (!ok(x)) return '–';
  if (unit === 'tasks/s' || unit === 'commands/s') return Math.round(x).toLocaleString('en');
  if (Math.abs(x) >= 100) return Math.round(x).toLocaleString('en');
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}
const times = (x) => (ok(x) ? `${x.toFixed(2)}×` : '–');
const pct = (x) => (ok(x) ? `${(x * 100).toFixed(0)}%` : '–');

/** "median (min–max)" of a figure, or "–". */
function cell(s, unit) {
  if (!s) return '–';
  return s.n > 1 ? `${num(s.median, unit)} (${num(s.min, unit)}–${num(s.max, unit)})` : num(s.median, unit);
}

/** A limit cell: the limit and ours as a share (tasks/s) or a factor (ms, MB) of it. */
function limitCell(r, which) {
  const s = r.spread[which];
  if (!s) return '–';
  const rel = which === 'limit' ? r.oursVsLimit : r.oursVsLimitPipelined;
  const how = r.better === 'higher' ? pct(rel) : times(rel);
  return `${cell(s, r.unit)}${ok(rel) ? ` → ${how}` : ''}`;
}

function targetText(t, r) {
  if (t.measured === null) return `${t.label}: not measured`;
  const m = t.of === 'value' ? `${num(t.measured, r.unit)}` : t.of === 'bullmq' ? times(t.measured) : null;
  const shown = m ?? (r.better === 'higher' ? pct(t.measured) : times(t.measured));
  return t.met ? `${t.label}: met (${shown})` : `${t.label}: **not met** (${shown})`;
}

/** The table alone (what goes into README's Benchmarks section). */
function markdownTable(rows) {
  const out = [
    '| # | figure | unit | asynq-ts | BullMQ | ours/BullMQ | Redis limit | limit -P 16 | target |',
    '|---|---|---|---:|---:|---:|---:|---:|---|',
  ];
  rows.forEach((r, i) => {
    const arrow = r.better === 'higher' ? '↑' : '↓';
    const range = r.oursVsBullmqRange ? ` (${r.oursVsBullmqRange.map((x) => x.toFixed(2)).join('–')})` : '';
    const vs = ok(r.oursVsBullmq) ? `${times(r.oursVsBullmq)}${range}` : '–';
    const targets = r.targets.length ? r.targets.map((t) => targetText(t, r)).join('; ') : '';
    out.push(
      `| ${i + 1} | ${r.name} | ${r.unit} ${arrow} | ${cell(r.spread.ours, r.unit)} | ${cell(r.spread.bullmq, r.unit)} | ${vs} | ` +
        `${limitCell(r, 'limit')} | ${limitCell(r, 'limitPipelined')} | ${targets} |`,
    );
  });
  return out.join('\n');
}

/** The Markdown report: the run's setting, the table, the targets' tally, a note per row. */
export function markdown(result) {
  const {machine, rows, config} = result;
  const out = [];
  out.push('# asynq-ts benchmarks', '');
  out.push(
    `Run ${machine.date} on ${machine.nproc} cores (${machine.cpu}), ${machine.memGiB} GiB, ${machine.os}; ` +
      `Node ${machine.node}, redis-server ${machine.redis} (no persistence, loopback), BullMQ ${machine.bullmq}, ioredis ${machine.ioredis}; ` +
      `asynq-ts ${machine.commit}. ${config.runs} round(s) per figure: each cell is the median, with the lowest and highest ` +
      `round in parentheses; ours and BullMQ run in turn within a round, and ours/BullMQ gives in parentheses the ` +
      `lowest and highest ratio of a round's pair. Total ${Math.round(result.elapsedSeconds)} s; 1-minute load average ` +
      `${machine.loadBefore} before, ${machine.loadAfter} after (anything above 0 is other work sharing the cores).`,
    '',
  );
  out.push(
    '↑: higher is better, ↓: lower is better. **Redis limit** is the same Redis work run by redis-benchmark with no ' +
      'client library (unpipelined, and pipelined -P 16), or the floor named in the notes; after → is ours as a share of ' +
      'the limit (↑ rows) or as a factor of it (↓ rows).',
    '',
  );
  out.push(markdownTable(rows), '');
  const all = rows.flatMap((r) => r.targets);
  const met = all.filter((t) => t.met === true).length;
  const missed = all.filter((t) => t.met === false).length;
  out.push(`Targets: ${met} met, ${missed} not met, ${all.length - met - missed} not measured.`, '');
  out.push('## What each row measures', '');
  rows.forEach((r, i) => out.push(`${i + 1}. ${r.note ?? ''}`));
  out.push(
    '',
    'Reproduce: `npm ci && npm run bench` (needs redis-server and redis-benchmark on the PATH). ' +
      'Options: `--rounds N`, `--quick`, `--only a,b`, `--skip a,b`, `--no-bullmq`, `--no-limit`, `--list`. ' +
      'Every round of every figure is in the JSON file next to this one.',
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
    cell(r.spread.ours, r.unit),
    cell(r.spread.bullmq, r.unit),
    times(r.oursVsBullmq),
    rel(r, r.oursVsLimit),
    rel(r, r.oursVsLimitPipelined),
    r.targets.map((t) => (t.met === null ? '?' : t.met ? 'met' : 'NOT MET')).join(' '),
  ]);
  const head = ['scenario', 'unit', 'asynq-ts', 'BullMQ', 'ours/BullMQ', 'ours/limit', 'ours/limit P16', 'targets'];
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (l) => l.map((c, i) => (i < 2 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [fmt(head), ...lines.map(fmt)].join('\n');
}
