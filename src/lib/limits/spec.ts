/**
 * Limits (ServerOptions.limits): what a limit matches, its cap and rate, and the scope that names
 * its Redis keys. Pure: no Redis here (the broker is src/lib/broker/limits.ts, the processor hook
 * src/lib/limits/gate.ts).
 *
 * - match: `queue` (a queue name) and/or `type` (a task type, `*` matches any run of characters:
 *   `email:*`). A limit with neither matches nothing and is refused.
 * - concurrency: at most this many matching tasks run at once across every asynq-ts server (and
 *   every Go handler using x/rate's semaphore with the same scope).
 * - rate: at most `count` starts per `per` across the fleet, with bursts of at most `burst`
 *   starts at once (default: one second's worth of the rate, at least 1 and at most count).
 * - scope: the Go x/rate scope (key asynq:sema:<scope>); default from the match:
 *   `queue:<q>`, `type:<pattern>` or `queue:<q>:type:<pattern>`.
 */
import {toMs, type Duration} from '../duration.js';
import {ValidationError} from '../errors.js';

export interface LimitMatch {
  /** A queue name. */
  queue?: string;
  /** A task type; `*` matches any run of characters (`email:*`). */
  type?: string;
}

export interface RateSpec {
  /** Starts allowed per `per`. */
  count: number;
  /** The interval (ms or a duration string like '1s', '1m'). */
  per: Duration;
  /** Starts allowed at once; default one second's worth of the rate (at least 1, at most count). */
  burst?: number;
}

/** One entry of ServerOptions.limits. */
export interface LimitSpec {
  match: LimitMatch;
  /** Most matching tasks running at once, fleet-wide. */
  concurrency?: number;
  /** Most matching task starts per interval, fleet-wide. */
  rate?: RateSpec;
  /** Go x/rate scope (Redis key asynq:sema:<scope>); default derived from match. */
  scope?: string;
}

/** A validated limit. */
export interface Limit {
  readonly scope: string;
  readonly match: Readonly<LimitMatch>;
  /** 0 = no cap. */
  readonly concurrency: number;
  readonly rate?: {readonly count: number; readonly perMs: number; readonly burst: number; readonly intervalMs: number};
  /** Whether a task of this queue and type is subject to the limit. */
  matches(queue: string, type: string): boolean;
}

/** The scope a limit gets when it names none. */
function defaultScope(match: LimitMatch): string {
  const parts: string[] = [];
  if (match.queue !== undefined) parts.push(`queue:${match.queue}`);
  if (match.type !== undefined) parts.push(`type:${match.type}`);
  return parts.join(':');
}

/** A task type pattern (`*` = any run of characters) as a predicate. */
export function typeMatcher(pattern: string): (type: string) => boolean {
  if (!pattern.includes('*')) return (t) => t === pattern;
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
  return (t) => re.test(t);
}

/**
 * A task type pattern as an anchored Lua pattern for the claim script (finishAndClaim-9.lua):
 * every character but `*` literal (ASCII punctuation `%`-escaped, NUL as `%z`; other bytes are literal in Lua), `*` as `.*`; undefined (every type) as "".
 */
export function luaTypePattern(pattern: string | undefined): string {
  if (pattern === undefined) return '';
  const literal = (p: string): string => p.replace(/[^A-Za-z0-9]/g, (c) => (c.charCodeAt(0) > 0x7f ? c : c === '\0' ? '%z' : `%${c}`));
  return `^${pattern.split('*').map(literal).join('.*')}$`;
}

const positiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

/** Validates ServerOptions.limits; throws ValidationError naming the limit and the problem. */
export function normalizeLimits(specs: readonly LimitSpec[] | undefined): Limit[] {
  const out: Limit[] = [];
  const scopes = new Set<string>();
  (specs ?? []).forEach((spec, i) => {
    const where = `limits[${i}]`;
    const match = spec?.match ?? {};
    const {queue, type} = match;
    if (queue === undefined && type === undefined) throw new ValidationError(`${where}: match needs a queue or a type`);
    if (queue !== undefined && (typeof queue !== 'string' || queue.trim() === '')) throw new ValidationError(`${where}: match.queue must be a queue name`);
    if (type !== undefined && (typeof type !== 'string' || type.trim() === '')) throw new ValidationError(`${where}: match.type must be a task type or a pattern like "email:*"`);
    if (spec.concurrency === undefined && spec.rate === undefined) throw new ValidationError(`${where}: give a concurrency, a rate or both`);
    if (spec.concurrency !== undefined && !positiveInt(spec.concurrency)) {
      throw new ValidationError(`${where}: concurrency must be a whole number of at least 1, got ${String(spec.concurrency)}`);
    }
    let rate: Limit['rate'];
    if (spec.rate !== undefined) {
      const {count, per, burst} = spec.rate;
      if (!positiveInt(count)) throw new ValidationError(`${where}: rate.count must be a whole number of at least 1, got ${String(count)}`);
      const perMs = toMs(per, `${where}: rate.per`);
      if (!(perMs >= 1)) throw new ValidationError(`${where}: rate.per must be at least 1ms`);
      const intervalMs = perMs / count;
      if (burst !== undefined && !positiveInt(burst)) throw new ValidationError(`${where}: rate.burst must be a whole number of at least 1, got ${String(burst)}`);
      const b = burst ?? Math.min(count, Math.max(1, Math.floor(1000 / intervalMs)));
      rate = {count, perMs, burst: b, intervalMs};
    }
    const scope = spec.scope ?? defaultScope(match);
    if (typeof scope !== 'string' || scope.trim() === '' || /[{}]/.test(scope)) {
      throw new ValidationError(`${where}: scope must be a non-empty name without braces`);
    }
    if (scopes.has(scope)) throw new ValidationError(`${where}: another limit has the scope "${scope}": give one of them its own scope`);
    scopes.add(scope);
    const typeOk = type === undefined ? () => true : typeMatcher(type);
    out.push({
      scope, match: {...(queue !== undefined && {queue}), ...(type !== undefined && {type})}, concurrency: spec.concurrency ?? 0, rate,
      matches: (q, t) => (queue === undefined || q === queue) && typeOk(t),
    });
  });
  return out;
}
