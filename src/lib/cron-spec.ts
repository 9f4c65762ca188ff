/**
 * Cron specs as Go asynq's Scheduler reads them (robfig/cron v3's standard parser, as
 * scheduler.go configures it), with next-time computation delegated to cron-parser.
 *
 * Accepted:
 * - 5 fields `minute hour day-of-month month day-of-week`, each a comma list of `*`, `?`, `N`,
 *   `N-M`, optionally `/step` (`N/step` means `N-max/step`); month names `jan`…`dec` and weekday
 *   names `sun`…`sat` (any case); day-of-week 0–6 (Sunday = 0).
 * - Descriptors `@yearly @annually @monthly @weekly @daily @midnight @hourly`.
 * - `@every <Go duration>` (`@every 30s`, `@every 1h30m`): fires at registration (or start) time
 *   truncated to the second plus the interval, then every interval after the previous firing
 *   time (robfig's ConstantDelaySchedule). The interval is truncated to whole seconds, minimum 1 s.
 * - A `CRON_TZ=<IANA zone> ` or `TZ=<IANA zone> ` prefix, which overrides the scheduler's location.
 *
 * Refused (robfig refuses them too, so a config file stays valid for Go): a seconds field, `L`,
 * `W`, `#`, `H`, day-of-week 7, `@minutely` and the other cron-parser-only shortcuts.
 *
 * Day matching follows Vixie cron as robfig does: when both day fields are restricted (neither
 * starts with `*`/`?`), a day matching either one fires; otherwise both must match.
 * Daylight-saving transitions follow cron-parser.
 */
import type * as CronParser from 'cron-parser';
import {ValidationError} from './errors.js';
import {lazyRequire} from './lazy-require.js';
import {parseGoDuration} from './option-strings.js';

const cronParser = lazyRequire<typeof CronParser>('cron-parser');

/** A parsed cron spec. */
export interface CronSchedule {
  /** The spec as given (including any CRON_TZ= prefix). */
  readonly spec: string;
  /** IANA zone the spec is evaluated in. */
  readonly timeZone: string;
  /** For `@every`: the interval in ms (whole seconds, ≥ 1000); undefined for calendar specs. */
  readonly everyMs?: number;
  /**
   * The first activation strictly after `after` (robfig's Schedule.Next). For `@every`:
   * `after` truncated to the second plus the interval.
   */
  next(after: Date): Date;
}

interface FieldBounds {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] as const;
const DOW_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const FIELDS: readonly FieldBounds[] = [
  {name: 'minute', min: 0, max: 59},
  {name: 'hour', min: 0, max: 23},
  {name: 'day of month', min: 1, max: 31},
  {name: 'month', min: 1, max: 12, names: MONTH_NAMES},
  {name: 'day of week', min: 0, max: 6, names: DOW_NAMES},
];

/** robfig's descriptors as 5-field specs. */
const DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const EVERY = '@every ';

interface ParsedField {
  values: number[];
  /** robfig's star bit: some component was `*` or `?` with step 1. */
  star: boolean;
}

function bad(spec: string, why: string): ValidationError {
  return new ValidationError(`invalid cron spec ${JSON.stringify(spec)}: ${why}`);
}

/** robfig's mustParseInt / parseIntOrName. */
function parseValue(spec: string, text: string, f: FieldBounds): number {
  if (f.names) {
    const i = f.names.indexOf(text.toLowerCase() as never);
    if (i >= 0) return i + f.min;
  }
  if (!/^[+-]?\d+$/.test(text)) throw bad(spec, `${f.name}: cannot parse "${text}" as a number${f.names ? ' or name' : ''}`);
  const n = Number(text);
  if (n < 0) throw bad(spec, `${f.name}: negative number (${n}) not allowed`);
  return n;
}

/** One comma-separated component of a field (robfig's getRange). */
function parseRange(spec: string, expr: string, f: FieldBounds, out: Set<number>): boolean {
  const rangeAndStep = expr.split('/');
  if (rangeAndStep.length > 2) throw bad(spec, `${f.name}: too many slashes in "${expr}"`);
  const lowAndHigh = rangeAndStep[0]!.split('-');
  if (lowAndHigh.length > 2) throw bad(spec, `${f.name}: too many hyphens in "${expr}"`);
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    if (lowAndHigh.length > 1) throw bad(spec, `${f.name}: cannot parse "${expr}"`);
    start = f.min;
    end = f.max;
    star = true;
  } else {
    start = parseValue(spec, lowAndHigh[0]!, f);
    end = lowAndHigh.length === 2 ? parseValue(spec, lowAndHigh[1]!, f) : start;
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = parseValue(spec, rangeAndStep[1]!, f);
    if (lowAndHigh.length === 1) end = f.max; // "N/step" means N-max/step
    if (step > 1) star = false;
  }
  if (start < f.min) throw bad(spec, `${f.name}: beginning of range (${start}) below minimum (${f.min}) in "${expr}"`);
  if (end > f.max) throw bad(spec, `${f.name}: end of range (${end}) above maximum (${f.max}) in "${expr}"`);
  if (start > end) throw bad(spec, `${f.name}: beginning of range (${start}) beyond end of range (${end}) in "${expr}"`);
  if (step === 0) throw bad(spec, `${f.name}: step of range should be a positive number in "${expr}"`);
  for (let v = start; v <= end; v += step) out.add(v);
  return star;
}

function parseField(spec: string, text: string, f: FieldBounds): ParsedField {
  const values = new Set<number>();
  let star = false;
  for (const part of text.split(',')) {
    if (part === '') throw bad(spec, `${f.name}: empty list element in "${text}"`);
    star = parseRange(spec, part, f, values) || star;
  }
  return {values: [...values].sort((a, b) => a - b), star};
}

/** Resolves an IANA zone name (and Go's "UTC"/"Local"); throws ValidationError for unknown ones. */
export function checkTimeZone(zone: string, what = 'time zone'): string {
  const z = zone === 'Local' ? Intl.DateTimeFormat().resolvedOptions().timeZone : zone;
  if (z === '') throw new ValidationError(`invalid ${what}: empty name`);
  try {
    new Intl.DateTimeFormat('en-US', {timeZone: z});
  } catch {
    throw new ValidationError(`invalid ${what} ${JSON.stringify(zone)}: unknown IANA time zone`);
  }
  return z;
}

function calendarSchedule(spec: string, body: string, timeZone: string): CronSchedule {
  const parts = body.split(/\s+/).filter((p) => p !== '');
  if (parts.length !== 5) {
    throw bad(spec, `expected exactly 5 fields (minute hour day-of-month month day-of-week), found ${parts.length}`);
  }
  const [minute, hour, dom, month, dow] = parts.map((p, i) => parseField(spec, p, FIELDS[i]!)) as [
    ParsedField, ParsedField, ParsedField, ParsedField, ParsedField,
  ];
  // cron-parser decides day matching from the `wildcard` flag, which we set from robfig's star
  // bit (so "1-31" stays a restriction, as in robfig). The other fields' flags do not matter.
  const opt = (p: ParsedField): {wildcard: boolean; rawValue: string} => ({wildcard: p.star, rawValue: p.star ? '*' : p.values.join(',')});
  const {CronDayOfMonth, CronDayOfWeek, CronExpression, CronFieldCollection, CronHour, CronMinute, CronMonth, CronSecond} = cronParser();
  let fields: CronParser.CronFieldCollection;
  try {
    fields = new CronFieldCollection({
      second: new CronSecond([0]),
      minute: new CronMinute(minute.values as never, opt(minute)),
      hour: new CronHour(hour.values as never, opt(hour)),
      dayOfMonth: new CronDayOfMonth(dom.values as never, opt(dom)),
      month: new CronMonth(month.values as never, opt(month)),
      dayOfWeek: new CronDayOfWeek(dow.values as never, opt(dow)),
    });
  } catch (err) {
    // e.g. "0 0 30 2 *" (February 30th): robfig accepts it and never fires; we say so at once.
    throw bad(spec, `no activation time found (${err instanceof Error ? err.message : String(err)})`);
  }
  const next = (after: Date): Date => {
    try {
      return new CronExpression(fields, {currentDate: after, tz: timeZone}).next().toDate();
    } catch (err) {
      // A spec with no activation left (robfig gives up after five years likewise).
      throw bad(spec, `no activation time found after ${after.toISOString()} (${err instanceof Error ? err.message : String(err)})`);
    }
  };
  next(new Date(0)); // a spec that can never fire is an error at registration, not at the first tick
  return {spec, timeZone, next};
}

/**
 * For an `@every` spec whose interval robfig changes (below 1 s, zero, negative, or not whole
 * seconds): the sentence that says so, for a warning; undefined for any other spec.
 */
export function everyRoundingNote(spec: string): string | undefined {
  let sched: CronSchedule;
  try {
    sched = parseCronSpec(spec);
  } catch {
    return undefined;
  }
  if (sched.everyMs === undefined) return undefined;
  const given = parseGoDuration(spec.trim().replace(/^(?:CRON_TZ|TZ)=\S*\s+/, '').slice(EVERY.length));
  if (given === sched.everyMs) return undefined;
  return `"${spec.trim()}" runs every ${sched.everyMs / 1000}s: as in Go asynq (robfig/cron's Every), an @every interval below 1s becomes 1s and others are cut to whole seconds`;
}

function everySchedule(spec: string, body: string, timeZone: string): CronSchedule {
  let ms: number;
  try {
    ms = parseGoDuration(body.slice(EVERY.length));
  } catch (err) {
    throw bad(spec, `failed to parse duration: ${err instanceof Error ? err.message : String(err)}`);
  }
  // robfig: below one second → one second, otherwise truncated to whole seconds.
  const everyMs = ms < 1000 ? 1000 : Math.floor(ms / 1000) * 1000;
  return {
    spec,
    timeZone,
    everyMs,
    next: (after: Date) => new Date(Math.floor(after.getTime() / 1000) * 1000 + everyMs),
  };
}

/**
 * Parses a cron spec. `location` is the scheduler's IANA zone (default UTC); a `CRON_TZ=`/`TZ=`
 * prefix overrides it. Throws ValidationError with the reason for anything robfig would refuse.
 */
export function parseCronSpec(spec: string, location = 'UTC'): CronSchedule {
  if (typeof spec !== 'string') throw new ValidationError('cron spec must be a string');
  let timeZone = checkTimeZone(location, 'location');
  let body = spec.trim();
  if (body === '') throw bad(spec, 'empty spec string');
  const tz = /^(?:CRON_TZ|TZ)=(\S*)(?:\s+|$)/.exec(body);
  if (tz) {
    timeZone = checkTimeZone(tz[1]!, `time zone in cron spec ${JSON.stringify(spec)}`);
    body = body.slice(tz[0].length).trim();
    if (body === '') throw bad(spec, 'nothing after the time zone');
  }
  if (body.startsWith('@')) {
    if (body.startsWith(EVERY)) return everySchedule(spec, body, timeZone);
    const desc = DESCRIPTORS[body];
    if (desc === undefined) {
      throw bad(spec, `unrecognized descriptor "${body}" (use @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly or @every <duration>)`);
    }
    return calendarSchedule(spec, desc, timeZone);
  }
  return calendarSchedule(spec, body, timeZone);
}
