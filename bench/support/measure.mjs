/** Small measuring helpers: medians, percentiles, waiting for a condition, sleeping. */
import {performance} from 'node:perf_hooks';

export const now = () => performance.now();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** Polls `cond` every `everyMs` until it is truthy; throws after `timeoutMs`. */
export async function waitUntil(cond, {timeoutMs = 120_000, everyMs = 5, what = 'condition'} = {}) {
  const deadline = now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Runs `fn` `runs` times (after `warmup` unrecorded runs) and returns every result and the median. */
export async function repeat(runs, fn, {warmup = 0} = {}) {
  for (let i = 0; i < warmup; i++) await fn(-1 - i);
  const values = [];
  for (let i = 0; i < runs; i++) values.push(await fn(i));
  return {values, median: median(values)};
}

/** `n` async callers sharing a countdown of `total` calls to `call(i)`; resolves with elapsed ms. */
export async function concurrently(total, callers, call) {
  let next = 0;
  const t0 = now();
  await Promise.all(
    Array.from({length: callers}, async () => {
      for (let i = next++; i < total; i = next++) await call(i);
    }),
  );
  return now() - t0;
}

/**
 * Runs every function of `fns` ({name: async () => number}) once per round, for `runs` rounds
 * (after `warmup` unrecorded rounds), in turn, so that each sees the same machine noise; null
 * entries are skipped. Returns every round's value of each name (null for skipped ones): rows
 * take these arrays as they are, and the report gives their median and spread.
 */
export async function interleaved(runs, fns, {warmup = 0} = {}) {
  const live = Object.entries(fns).filter(([, fn]) => fn);
  const values = Object.fromEntries(live.map(([k]) => [k, []]));
  for (let r = -warmup; r < runs; r++) {
    for (const [k, fn] of live) {
      const v = await fn();
      if (r >= 0) values[k].push(v);
    }
  }
  return Object.fromEntries(Object.keys(fns).map((k) => [k, values[k] ?? null]));
}

/**
 * Median and spread of one figure's rounds: {median, min, max, p25, p75, n}. p25/p75 are the
 * nearest-rank quartiles (with 7 rounds: the 2nd and 6th value).
 */
export function summarize(values) {
  const xs = values.filter((x) => typeof x === 'number' && Number.isFinite(x));
  if (xs.length === 0) return null;
  return {
    median: median(xs),
    min: Math.min(...xs),
    max: Math.max(...xs),
    p25: percentile(xs, 25),
    p75: percentile(xs, 75),
    n: xs.length,
  };
}

/**
 * What Redis has done so far: {calls, info, mget, cpu}: every command's calls (INFO commandstats,
 * commands run inside scripts counted under their own names), the INFO and MGET calls among them,
 * and the server's CPU seconds (used_cpu_user + used_cpu_sys of INFO cpu).
 */
export async function redisWork(admin) {
  const text = `${await admin.info('commandstats')}\n${await admin.info('cpu')}`;
  let calls = 0;
  const by = {};
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls += Number(m[2]);
    by[m[1]] = Number(m[2]);
  }
  const cpu = ['used_cpu_user', 'used_cpu_sys']
    .map((k) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(text)?.[1] ?? NaN))
    .reduce((a, b) => a + b, 0);
  return {calls, info: by.info ?? 0, mget: by.mget ?? 0, cpu};
}
