/**
 * Option strings: the Go `Option.String()` forms that a scheduler stores in
 * `SchedulerEntry.enqueue_options` (Go client.go, the `String()` method of each option type), and their parser (Go's
 * `Inspector.parseOption`), so that Go's `asynq cron ls`, Asynqmon and our Inspector show the
 * options of a TypeScript scheduler's entries. Each option is written `<go name>(<value>)`, its
 * Go name from OPTION_SPECS (option-specs.ts) and the value after the option's kind:
 *
 * | kind     | example                                   | value written as                |
 * |----------|-------------------------------------------|---------------------------------|
 * | int      | `MaxRetry(5)`                             | decimal (below the floor: the floor) |
 * | string   | `Queue("critical")`, `TaskID("abc")`      | Go `%q` (strconv.Quote)         |
 * | duration | `Timeout(30m0s)`, `ProcessIn(10s)`        | Go Duration.String              |
 * | time     | `Deadline(Thu Jan  1 09:05:00 UTC 2026)`  | Go time.UnixDate                |
 * | headers  | one `Header(["k","v"])` per header        | Go encoding/json of `[k, v]`    |
 *
 * Also home of Go's `time.ParseDuration`, `strconv.Quote`/`Unquote` and `time.Parse(time.UnixDate)`
 * in TypeScript, which these strings need.
 */
import {goDurationString, goUnixDate, type Duration} from './duration.js';
import {ValidationError} from './errors.js';
import {OPTION_CONFLICTS, OPTION_KEYS, OPTION_SPECS, optionSpec, type OptionKey, type OptionSpec} from './option-specs.js';
import type {TaskOptions} from './task.js';

// ---------------------------------------------------------------------------------------------
// Go time.ParseDuration

const GO_UNIT_NS: Readonly<Record<string, bigint>> = {
  ns: 1n, us: 1_000n, '\u00b5s': 1_000n, '\u03bcs': 1_000n, ms: 1_000_000n, s: 1_000_000_000n,
  m: 60_000_000_000n, h: 3_600_000_000_000n,
};
const MAX_INT64 = (1n << 63n) - 1n;

/**
 * Go's `time.ParseDuration`, in nanoseconds: `[-+]?(<number><unit>)+` with units ns, us, µs,
 * ms, s, m, h, or a bare `0`. Throws ValidationError (Go's `time: invalid duration "…"`).
 */
export function parseGoDurationNs(s: string): bigint {
  const invalid = (why = 'invalid duration'): ValidationError => new ValidationError(`time: ${why} ${goQuote(s)}`);
  let rest = s;
  let neg = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    neg = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') throw invalid();
  let total = 0n;
  const token = /^(\d*)(?:\.(\d*))?([^\d.]*)/;
  while (rest !== '') {
    const m = token.exec(rest)!;
    const [all, int = '', frac] = m;
    if (int === '' && (frac === undefined || frac === '')) throw invalid();
    const unitText = m[3]!;
    if (unitText === '') throw invalid('missing unit in duration');
    const unit = GO_UNIT_NS[unitText];
    if (unit === undefined) throw invalid(`unknown unit ${goQuote(unitText)} in duration`);
    let ns = BigInt(int === '' ? '0' : int) * unit;
    if (frac) {
      // Go keeps the fraction's precision down to the nanosecond (truncating beyond).
      const scale = 10n ** BigInt(frac.length);
      ns += (BigInt(frac) * unit) / scale;
    }
    total += ns;
    if (total > MAX_INT64 + (neg ? 1n : 0n)) throw invalid();
    rest = rest.slice(all.length);
  }
  return neg ? -total : total;
}

/** Go's `time.ParseDuration` in milliseconds (fractional below 1 ms). */
export function parseGoDuration(s: string): number {
  const ns = parseGoDurationNs(s);
  const ms = Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6;
  return ms === 0 ? 0 : ms;
}

// ---------------------------------------------------------------------------------------------
// Go strconv.Quote / Unquote

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

/**
 * Go's `strconv.Quote` (`%q`): double quotes; `\"` and `\\`; `\a \b \f \n \r \t \v`; other
 * non-printable runes as `\xHH`, `\uHHHH` or `\UHHHHHHHH` (lowercase hex). Printable Unicode
 * stays as it is. Lone surrogates become U+FFFD, as Go sees them after UTF-8 encoding.
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s.toWellFormed()) {
    const r = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (PRINTABLE.test(ch)) out += ch;
    else if (r === 7) out += '\\a';
    else if (r === 8) out += '\\b';
    else if (r === 12) out += '\\f';
    else if (r === 10) out += '\\n';
    else if (r === 13) out += '\\r';
    else if (r === 9) out += '\\t';
    else if (r === 11) out += '\\v';
    else if (r < 0x20 || r === 0x7f) out += '\\x' + hex(r, 2);
    else if (r < 0x10000) out += '\\u' + hex(r, 4);
    else out += '\\U' + hex(r, 8);
  }
  return out + '"';
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"',
};

/**
 * Go's `strconv.Unquote` for double-quoted (with Go escapes, including `\xHH` and octal `\ooo`
 * byte escapes, which are decoded as UTF-8) and back-quoted (raw) strings. Throws
 * ValidationError for anything else.
 */
export function goUnquote(s: string): string {
  const invalid = (): ValidationError => new ValidationError(`invalid Go quoted string ${JSON.stringify(s)}`);
  if (s.length >= 2 && s.startsWith('`') && s.endsWith('`')) {
    const body = s.slice(1, -1);
    if (body.includes('`')) throw invalid();
    return body.replace(/\r/g, '');
  }
  if (s.length < 2 || !s.startsWith('"') || !s.endsWith('"')) throw invalid();
  const body = s.slice(1, -1);
  const bytes: number[] = [];
  const pushText = (t: string): void => {
    for (const b of Buffer.from(t, 'utf8')) bytes.push(b);
  };
  for (let i = 0; i < body.length;) {
    const c = body[i]!;
    if (c === '"' || c === '\n') throw invalid();
    if (c !== '\\') {
      const cp = body.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      pushText(ch);
      i += ch.length;
      continue;
    }
    const e = body[i + 1];
    if (e === undefined) throw invalid();
    if (e in SIMPLE_ESCAPES) {
      pushText(SIMPLE_ESCAPES[e]!);
      i += 2;
    } else if (e === 'x') {
      const h = body.slice(i + 2, i + 4);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) throw invalid();
      bytes.push(parseInt(h, 16));
      i += 4;
    } else if (e >= '0' && e <= '7') {
      const o = body.slice(i + 1, i + 4);
      if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) > 255) throw invalid();
      bytes.push(parseInt(o, 8));
      i += 4;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const h = body.slice(i + 2, i + 2 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) throw invalid();
      const cp = parseInt(h, 16);
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw invalid();
      pushText(String.fromCodePoint(cp));
      i += 2 + n;
    } else {
      throw invalid();
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Go's `encoding/json` text of a string array: like JSON.stringify, but `<`, `>`, `&`, U+2028
 * and U+2029 are escaped as `\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029` (HTML-safe, Go's default).
 */
export function goJsonStrings(values: readonly string[]): string {
  return JSON.stringify(values.map((v) => v.toWellFormed())).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + hex(c.charCodeAt(0), 4));
}

// ---------------------------------------------------------------------------------------------
// Go time.Parse(time.UnixDate, …)

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const UNIX_DATE = new RegExp(
  `^(?:${WEEKDAYS.join('|')}) (${MONTHS.join('|')}) ( ?\\d|\\d\\d) (\\d\\d?):(\\d\\d):(\\d\\d) ` +
  '(UTC|GMT(?:[+-]\\d{1,2}(?::\\d\\d)?)?|[A-Z]{3,5}|ChST|MeST|[+-]\\d\\d(?:\\d\\d)?) (\\d{4})$',
);

/** A time parsed from Go's `time.UnixDate` layout: the instant, and the zone abbreviation as written. */
export interface GoUnixDate {
  date: Date;
  zone: string;
}

/**
 * Go's `time.Parse(time.UnixDate, s)`, e.g. `Thu Jan  1 09:05:00 UTC 2026`. As Go on a UTC
 * host: `UTC`/`GMT` are offset 0, `GMT+3`/`GMT-11` carry their hour offset, and any other zone
 * abbreviation (`JST`, `EST`…) is read with offset 0 (Go does the same unless the abbreviation
 * is the host's own zone). The weekday is checked for form only, as in Go.
 */
export function parseGoUnixDate(s: string): GoUnixDate {
  const m = UNIX_DATE.exec(s);
  const invalid = (why: string): ValidationError =>
    new ValidationError(`cannot parse ${JSON.stringify(s)} as Go time.UnixDate ("Mon Jan _2 15:04:05 MST 2006"): ${why}`);
  if (!m) throw invalid('layout mismatch');
  const [, mon, dayText, hh, mm, ss, zone, yyyy] = m as unknown as [string, string, string, string, string, string, string, string];
  const month = MONTHS.indexOf(mon as (typeof MONTHS)[number]);
  const day = Number(dayText.trim());
  const year = Number(yyyy);
  const [hour, minute, second] = [Number(hh), Number(mm), Number(ss)];
  if (hour > 23 || minute > 59 || second > 59) throw invalid('hour, minute or second out of range');
  const wall = new Date(0);
  wall.setUTCFullYear(year, month, day);
  wall.setUTCHours(hour, minute, second, 0);
  if (day < 1 || wall.getUTCDate() !== day) throw invalid('day out of range');
  const offset = zoneOffsetMs(zone);
  if (Math.abs(offset) >= 24 * 3_600_000) throw invalid('zone offset out of range');
  return {date: new Date(wall.getTime() - offset), zone};
}

/**
 * The offset Go gives a parsed zone abbreviation: `GMT±h` its hours (we also read the minutes
 * of ICU's `GMT+5:30`, which Go cannot parse), anything else 0.
 */
function zoneOffsetMs(zone: string): number {
  const gmt = /^GMT([+-])(\d{1,2})(?::(\d\d))?$/.exec(zone);
  if (!gmt) return 0;
  const sign = gmt[1] === '-' ? -1 : 1;
  return sign * (Number(gmt[2]) * 3_600_000 + Number(gmt[3] ?? 0) * 60_000);
}

/** Go's `t.Format(time.UnixDate)` of a parsed time, in the zone it was parsed with. */
export function formatGoUnixDate(t: GoUnixDate): string {
  const wall = new Date(t.date.getTime() + zoneOffsetMs(t.zone));
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${WEEKDAYS[wall.getUTCDay()]} ${MONTHS[wall.getUTCMonth()]} ${String(wall.getUTCDate()).padStart(2, ' ')} ` +
    `${two(wall.getUTCHours())}:${two(wall.getUTCMinutes())}:${two(wall.getUTCSeconds())} ${t.zone} ` +
    String(wall.getUTCFullYear()).padStart(4, '0');
}

// ---------------------------------------------------------------------------------------------
// Options → strings

/** An int option's value as Go's option constructor keeps it (MaxRetry: negative → 0). */
function intOf(spec: OptionSpec, n: number): number {
  return spec.floor === undefined ? n : Math.max(spec.floor, n);
}

/**
 * The Go `String()` forms of a TaskOptions object, in the object's key order (as Go keeps the
 * order options were passed in); `headers` give one `Header([k,v])` per header in key order.
 * Fields set to undefined are left out. Deadline and processAt are written in `timeZone` (an IANA
 * zone, default UTC), like Go formats a time in its own location. Values are not validated here
 * (the Client does that); a value that cannot be written at all throws ValidationError.
 */
export function optionStrings(opts: TaskOptions | null | undefined, timeZone = 'UTC'): string[] {
  const out: string[] = [];
  if (!opts) return out;
  for (const [key, value] of Object.entries(opts)) {
    if (value === undefined) continue;
    const spec = optionSpec(key);
    if (!spec) throw new ValidationError(`unknown task option "${key}"`);
    switch (spec.kind) {
      case 'int': out.push(`${spec.go}(${intOf(spec, Math.trunc(Number(value)))})`); break;
      case 'string': out.push(`${spec.go}(${goQuote(String(value))})`); break;
      case 'duration': out.push(`${spec.go}(${goDurationString(value as Duration)})`); break;
      case 'time': out.push(`${spec.go}(${goUnixDate(value as Date, timeZone)})`); break;
      case 'headers':
        for (const [k, v] of Object.entries(value as Record<string, string>)) out.push(`${spec.go}(${goJsonStrings([k, String(v)])})`);
        break;
    }
  }
  return out;
}

/**
 * Merges option layers as the Client does (later fields win, headers merged, later keys win),
 * keeping the first-seen key order. Used for what a scheduler entry shows: the task's own
 * options followed by the entry's options.
 */
export function mergeOptionLayers(...layers: ReadonlyArray<TaskOptions | null | undefined>): TaskOptions {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      if (optionSpec(k)?.kind === 'headers') {
        out[k] = {...(out[k] as Record<string, string> | undefined), ...(v as Record<string, string>)};
        continue;
      }
      // Two options that set the same thing (processAt, processIn) overwrite each other, as in Go; keep only the later one.
      for (const pair of OPTION_CONFLICTS) if (pair.includes(k as OptionKey)) delete out[pair[0] === k ? pair[1] : pair[0]];
      out[k] = v;
    }
  }
  return out as TaskOptions;
}

// ---------------------------------------------------------------------------------------------
// Strings → options (Go Inspector.parseOption)

type Specs = typeof OPTION_SPECS;

/** The parsed argument of each kind: durations in ms; times with the zone abbreviation they were written in. */
interface ParsedArg {
  int: {value: number};
  string: {value: string};
  duration: {ms: number};
  time: {time: GoUnixDate};
  headers: {key: string; value: string};
}

/** One option string, parsed: `type` is the Go name (`MaxRetry`), the rest depends on the option's kind. */
export type ParsedOption = {[K in OptionKey]: {type: Specs[K]['go']} & ParsedArg[Specs[K]['kind']]}[OptionKey];

/** Go name → option key. */
const BY_GO_NAME: ReadonlyMap<string, OptionKey> = new Map(OPTION_KEYS.map((k) => [OPTION_SPECS[k].go, k]));

function specOfParsed(p: ParsedOption): [OptionKey, OptionSpec] {
  const key = BY_GO_NAME.get(p.type)!;
  return [key, OPTION_SPECS[key]];
}

/**
 * Parses one option string (Go `parseOption`). Throws ValidationError for an unknown name or a
 * bad argument. Differences from Go, all in the direction of accepting what we write:
 * - the argument runs to the **last** `)` (Go stops at the first, so `Queue("a)b")` fails there);
 * - `TaskID` and `Group` are parsed (Go's Inspector drops them, so Go tools do not show them;
 *   `GO_DISPLAYED_OPTIONS` lists the ones Go shows);
 * - `MaxRetry` takes an optional sign, as Go's Atoi.
 */
export function parseOptionString(s: string): ParsedOption {
  const m = /^([A-Za-z]+)\((.*)\)$/s.exec(s);
  if (!m) throw new ValidationError(`cannot parse option string ${JSON.stringify(s)}`);
  const [, name, arg] = m as unknown as [string, string, string];
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (err) {
      throw new ValidationError(`cannot parse option string ${JSON.stringify(s)}: ${err instanceof Error ? err.message : String(err)}`, {cause: err});
    }
  };
  const key = BY_GO_NAME.get(name);
  if (key === undefined) throw new ValidationError(`cannot parse option string ${JSON.stringify(s)}: unknown option ${JSON.stringify(name)}`);
  const spec: OptionSpec = OPTION_SPECS[key];
  let parsed: ParsedArg[keyof ParsedArg];
  switch (spec.kind) {
    case 'int':
      if (!/^[+-]?\d+$/.test(arg)) throw new ValidationError(`cannot parse option string ${JSON.stringify(s)}: not an integer`);
      parsed = {value: intOf(spec, Number(arg))};
      break;
    case 'string':
      parsed = {value: wrap(() => goUnquote(arg))};
      break;
    case 'duration':
      parsed = {ms: wrap(() => parseGoDuration(arg))};
      break;
    case 'time':
      parsed = {time: wrap(() => parseGoUnixDate(arg))};
      break;
    case 'headers': {
      const pair = wrap(() => JSON.parse(arg) as unknown);
      if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((x) => typeof x === 'string')) {
        throw new ValidationError(`cannot parse option string ${JSON.stringify(s)}: expected a JSON array of two strings`);
      }
      parsed = {key: pair[0] as string, value: pair[1] as string};
      break;
    }
  }
  return {type: name, ...parsed} as ParsedOption;
}

/** The option names Go's Inspector (HEAD) parses back and so shows; v0.24.1 also drops Header. */
export const GO_DISPLAYED_OPTIONS: ReadonlySet<ParsedOption['type']> = new Set(
  OPTION_KEYS.filter((k) => OPTION_SPECS[k].goShown).map((k) => OPTION_SPECS[k].go),
);

/** The string Go shows for a parsed option (its `String()` after parsing; normalises e.g. `Timeout(90s)` → `Timeout(1m30s)`). */
export function formatParsedOption(p: ParsedOption): string {
  const [, spec] = specOfParsed(p);
  const a = p as ParsedArg[keyof ParsedArg] & {type: string};
  switch (spec.kind) {
    case 'int': return `${p.type}(${(a as ParsedArg['int']).value})`;
    case 'string': return `${p.type}(${goQuote((a as ParsedArg['string']).value)})`;
    case 'duration': return `${p.type}(${goDurationString((a as ParsedArg['duration']).ms)})`;
    case 'time': return `${p.type}(${formatGoUnixDate((a as ParsedArg['time']).time)})`;
    case 'headers': {
      const h = a as ParsedArg['headers'];
      return `${p.type}(${goJsonStrings([h.key, h.value])})`;
    }
  }
}

/** TaskOptions equivalent to a list of parsed options (later ones win, headers merge). */
export function parsedOptionsToTaskOptions(list: readonly ParsedOption[]): TaskOptions {
  const layers = list.map((p): TaskOptions => {
    const [key, spec] = specOfParsed(p);
    const a = p as ParsedArg[keyof ParsedArg];
    switch (spec.kind) {
      case 'int': case 'string': return {[key]: (a as ParsedArg['int' | 'string']).value};
      case 'duration': return {[key]: (a as ParsedArg['duration']).ms};
      case 'time': return {[key]: (a as ParsedArg['time']).time.date};
      case 'headers': {
        const h = a as ParsedArg['headers'];
        return {[key]: {[h.key]: h.value}};
      }
    }
  });
  return mergeOptionLayers(...layers);
}
