/**
 * Durations and Go time formatting.
 *
 * A `Duration` is a number of milliseconds or a string with units ('90s', '10m', '24h', '1h30m',
 * '500ms', '1.5µs', '-5s', '2 days'), parsed by the `parse-duration` package after a strict
 * check: every number needs a unit (only '0' may stand alone) and nothing else may appear, so
 * '10', '1h30' and '1h garbage' are errors instead of silent guesses.
 *
 * goDurationString and goUnixDate reproduce Go's `time.Duration.String()` and the
 * `time.UnixDate` layout, which Go asynq uses in option strings (client.go, each option's `String()`).
 */
import parse from 'parse-duration';
import {ValidationError} from './errors.js';

/** Milliseconds (may be fractional or negative), or a string with units such as '90s' or '1h30m'. */
export type Duration = number | string;

const TOKEN = /(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?\s*(\p{L}*)/uy;

/** Unit lookup as parse-duration does it: case-insensitive, a trailing plural `s` allowed. */
function isKnownUnit(name: string): boolean {
  const units = parse.unit as unknown as Record<string, unknown>;
  const n = name.toLowerCase();
  const v = units[n] ?? (n.endsWith('s') ? units[n.slice(0, -1)] : undefined);
  return typeof v === 'number';
}

/** Throws unless `s` is a sequence of <number><unit> tokens, optionally signed. */
function checkDurationString(s: string, what: string): void {
  const body = s.trim().replace(/^-\s*/, '');
  if (body === '0') return;
  let pos = 0;
  let tokens = 0;
  while (pos < body.length) {
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(body);
    if (!m) break;
    const unit = m[1]!;
    if (unit === '') throw new ValidationError(`invalid ${what} ${JSON.stringify(s)}: missing unit (write e.g. "10s" or "10ms")`);
    if (!isKnownUnit(unit)) throw new ValidationError(`invalid ${what} ${JSON.stringify(s)}: unknown unit "${unit}"`);
    tokens++;
    pos = TOKEN.lastIndex;
    while (pos < body.length && /\s/.test(body[pos]!)) pos++;
  }
  if (tokens === 0 || pos !== body.length) {
    throw new ValidationError(`invalid ${what} ${JSON.stringify(s)}: expected a duration like "90s", "10m", "1h30m" or milliseconds`);
  }
}

/**
 * Milliseconds of a Duration. Numbers must be finite; strings must be well-formed (see the module
 * comment). Negative values are allowed (ProcessIn(-5s) means "in the past").
 * `what` names the value in the error message.
 */
export function toMs(d: Duration, what = 'duration'): number {
  if (typeof d === 'number') {
    if (!Number.isFinite(d)) throw new ValidationError(`invalid ${what} ${String(d)}: must be a finite number of milliseconds`);
    return d;
  }
  if (typeof d !== 'string') throw new ValidationError(`invalid ${what}: expected milliseconds or a string like "90s", got ${typeof d}`);
  const s = d.replace(/\u03bc/g, '\u00b5'); // Greek mu, as Go accepts both
  checkDurationString(s, what);
  const ms = parse(s.trim(), 'ms');
  if (ms === null || !Number.isFinite(ms)) throw new ValidationError(`invalid ${what} ${JSON.stringify(d)}`);
  return ms === 0 ? 0 : ms; // no -0
}

const NS_PER_MS = 1_000_000n;

/**
 * Integer nanoseconds of a millisecond count (Go's time.Duration), rounded to the nearest ns.
 * Works on the number's shortest decimal form, so 25920000000.001 ms keeps its microsecond.
 */
function msToNanos(ms: number): bigint {
  const abs = Math.abs(ms);
  let text = abs.toString();
  if (text.includes('e')) text = abs < 1 ? abs.toFixed(7) : BigInt(Math.round(abs)).toString();
  const [int = '0', frac = ''] = text.split('.');
  const digits = frac.padEnd(7, '0');
  let ns = BigInt(int) * NS_PER_MS + BigInt(digits.slice(0, 6));
  if (digits[6]! >= '5') ns += 1n;
  return ms < 0 ? -ns : ns;
}

/** Go's fmtFrac: the fraction of v / 10^prec without trailing zeros ('' when zero), and v / 10^prec. */
function fmtFrac(v: bigint, prec: number): [string, bigint] {
  let digits = '';
  let printed = false;
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n;
    printed ||= digit !== 0n;
    if (printed) digits = digit.toString() + digits;
    v /= 10n;
  }
  return [printed ? `.${digits}` : '', v];
}

/**
 * Go's `time.Duration.String()` of a Duration: `0s`, `500ms`, `1.5µs`, `1m30s`, `1h0m0s`,
 * `36h1m30s`, `-1.5s`. Sub-nanosecond parts are rounded to whole nanoseconds, as Go has none.
 */
export function goDurationString(d: Duration): string {
  let u = msToNanos(toMs(d));
  const neg = u < 0n;
  if (neg) u = -u;
  let out: string;
  if (u < 1_000_000_000n) {
    if (u === 0n) return '0s';
    const [unit, prec] = u < 1000n ? ['ns', 0] : u < 1_000_000n ? ['µs', 3] : ['ms', 6];
    const [frac, int] = fmtFrac(u, prec);
    out = `${int}${frac}${unit}`;
  } else {
    const [frac, secs] = fmtFrac(u, 9);
    out = `${secs % 60n}${frac}s`;
    const mins = secs / 60n;
    if (mins > 0n) {
      out = `${mins % 60n}m${out}`;
      const hours = mins / 60n;
      if (hours > 0n) out = `${hours}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

/**
 * A compact duration: under a second in milliseconds (`150ms`), otherwise rounded to whole
 * seconds in Go's notation without zero tails (`5s`, `1m30s`, `1h`, `1h0m5s`, `36h1m`).
 * Used in log lines (worker, cron run) and by the dash (refresh interval, timeout, retention).
 */
export function compactDuration(ms: number): string {
  if (Math.abs(ms) < 1000) return goDurationString(Math.round(ms));
  const s = goDurationString(Math.round(ms / 1000) * 1000);
  return s.replace(/([hm])0s$/, '$1').replace(/h0m$/, 'h');
}

/**
 * A Date in Go's `time.UnixDate` layout (`Mon Jan _2 15:04:05 MST 2006`), e.g.
 * `Thu Jan  1 09:05:00 UTC 2026`, in the given IANA time zone (default UTC). Outside UTC the zone
 * abbreviation comes from ICU (`EST`, or `GMT+1` where ICU has no abbreviation); Go's parser
 * reads `GMT+1` with its offset, whereas an unknown abbreviation would get offset 0.
 */
export function goUnixDate(date: Date, timeZone = 'UTC'): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new ValidationError('invalid date');
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone, weekday: 'short', month: 'short', day: 'numeric', year: 'numeric',
      hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
    });
  } catch (err) {
    throw new ValidationError(`invalid time zone ${JSON.stringify(timeZone)}`, {cause: err});
  }
  const p: Record<string, string> = {};
  for (const part of fmt.formatToParts(date)) p[part.type] = part.value;
  const day = p.day!.padStart(2, ' ');
  return `${p.weekday} ${p.month} ${day} ${p.hour}:${p.minute}:${p.second} ${p.timeZoneName} ${p.year!.padStart(4, '0')}`;
}
