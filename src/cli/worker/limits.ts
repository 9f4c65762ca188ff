/**
 * `asynq worker run --limit` (repeatable): one fleet-wide limit per flag, as ServerOptions.limits.
 *
 *   --limit 'MATCH=RULE[, RULE…]'
 *
 * MATCH: a task type or pattern (`email:*`, `*` = any run of characters); `type:PATTERN` says the
 * same explicitly (for a type that starts with "queue:"); `queue:NAME` a whole queue;
 * `queue:NAME/PATTERN` the tasks of that type in that queue.
 * RULE: `N/s`, `N/m`, `N/h` or `N/DURATION` (`N/10s`): at most N starts per interval;
 * `concurrency N`: at most N running at once; `burst N`: starts allowed at once (default one
 * second's worth of the rate); `scope NAME`: the Go x/rate scope (key asynq:sema:NAME) to share.
 */
import {toMs} from '../../lib/duration.js';
import {ValidationError} from '../../lib/errors.js';
import type {LimitSpec} from '../../lib/limits/spec.js';

const UNITS: Record<string, number> = {
  s: 1_000,
  sec: 1_000,
  second: 1_000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
};
const FIX = `expected MATCH=RULE[, RULE...], e.g. 'email:*=50/s' or 'queue:reports=concurrency 5'`;

/** Parses the --limit values; ValidationError (one line, naming the flag and the fix) on bad input. */
export function parseLimitFlags(values: readonly string[] = []): LimitSpec[] {
  return values.map((value) => parseLimit(value));
}

function parseLimit(value: string): LimitSpec {
  const flag = `--limit ${JSON.stringify(value)}`;
  const bad = (problem: string): ValidationError => new ValidationError(`invalid ${flag}: ${problem}`);
  const eq = value.indexOf('=');
  if (eq < 0) throw bad(FIX);
  const matchText = value.slice(0, eq).trim();
  const spec: LimitSpec = {match: parseMatch(matchText, bad)};
  const rules = value
    .slice(eq + 1)
    .split(',')
    .map((r) => r.trim());
  if (rules.every((r) => r === '')) throw bad(`no rule after "=": ${FIX}`);
  for (const rule of rules) {
    if (rule === '') throw bad('an empty rule between commas');
    let m: RegExpExecArray | null;
    if ((m = /^(?:concurrency|max)\s*[ =]\s*(\S+)$/i.exec(rule))) {
      if (spec.concurrency !== undefined) throw bad('concurrency is given twice');
      spec.concurrency = positive(m[1]!, 'concurrency', bad);
    } else if ((m = /^burst\s*[ =]\s*(\S+)$/i.exec(rule))) {
      spec.rate = {...(spec.rate ?? {count: 0, per: 0}), burst: positive(m[1]!, 'burst', bad)};
    } else if ((m = /^scope\s*[ =]\s*(\S+)$/i.exec(rule))) {
      spec.scope = m[1]!;
    } else if ((m = /^(\S+)\s*\/\s*(\S+)$/.exec(rule))) {
      if (spec.rate?.count) throw bad('a rate is given twice');
      const count = positive(m[1]!, 'rate count', bad);
      const unit = m[2]!.toLowerCase();
      const per = UNITS[unit] ?? UNITS[unit.replace(/s$/, '')] ?? perDuration(m[2]!, bad);
      spec.rate = {...spec.rate, count, per};
    } else {
      throw bad(
        `unknown rule ${JSON.stringify(rule)}: use N/s, N/m, N/h, N/DURATION, "concurrency N", "burst N" or "scope NAME"`,
      );
    }
  }
  if (spec.rate && !spec.rate.count) throw bad('burst needs a rate such as 50/s');
  if (spec.concurrency === undefined && spec.rate === undefined) throw bad(`give a rate (50/s) or "concurrency N"`);
  return spec;
}

function parseMatch(text: string, bad: (p: string) => ValidationError): LimitSpec['match'] {
  if (text === '') throw bad(`nothing before "=": ${FIX}`);
  if (text.startsWith('type:')) {
    const type = text.slice(5).trim();
    if (type === '') throw bad('type: needs a task type or pattern');
    return {type};
  }
  if (!text.startsWith('queue:')) return {type: text};
  const rest = text.slice(6);
  const slash = rest.indexOf('/');
  const queue = (slash < 0 ? rest : rest.slice(0, slash)).trim();
  if (queue === '') throw bad('queue: needs a queue name');
  if (slash < 0) return {queue};
  const type = rest.slice(slash + 1).trim();
  if (type === '') throw bad('nothing after "/": give a task type or pattern');
  return {queue, type};
}

function positive(text: string, what: string, bad: (p: string) => ValidationError): number {
  if (!/^[1-9]\d*$/.test(text) || !Number.isSafeInteger(Number(text)))
    throw bad(`${what} must be a whole number of at least 1, got ${JSON.stringify(text)}`);
  return Number(text);
}

function perDuration(text: string, bad: (p: string) => ValidationError): number {
  let ms: number;
  try {
    ms = toMs(text, 'interval');
  } catch {
    throw bad(`unknown interval ${JSON.stringify(text)}: use s, m, h or a duration like 10s`);
  }
  if (!(ms >= 1)) throw bad(`the interval must be at least 1ms, got ${JSON.stringify(text)}`);
  return ms;
}
