/**
 * Every time and duration format of the CLI and the dash, in one place.
 *
 * Names say whose output a function reproduces:
 * - `go…`      Go's standard library, byte for byte (`time.Duration.String()`, `time.UnixDate`, `time.Time.String()`);
 * - `goCli…`   Go asynq's CLI (tools/asynq/cmd), byte for byte, for the `asynq` commands' text output;
 * - `dash…`    the dash's own forms, after Go asynq's dash (tools/asynq/cmd/dash/draw.go) where it has one,
 *              shortened to fit narrow columns (each says how it differs);
 * - the rest   asynq-ts's own compact forms (log lines, status bar, detail pane).
 *
 * Every function is pure: `now` and the time zone are parameters, so tests pin them.
 * goDurationString and goUnixDate live in the library (src/lib/duration.ts) because option strings
 * stored in Redis (scheduler entries) are written with them, and compactDuration because the
 * library's log lines use it; they are re-exported here so that presentation code has one module
 * to import.
 */
import {compactDuration, goDurationString, goUnixDate} from '../../lib/duration.js';

export {compactDuration, goDurationString, goUnixDate};

/** The local IANA time zone, as Go's time.Local (TZ is honoured). */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
}

// ---------------------------------------------------------------------------------------------
// Go's standard library

/** Go's `d.Round(time.Second)` printed by `%v`: `0s`, `59s`, `1m0s`, `1h2m3s`. */
export function goRoundedDuration(ms: number): string {
  return goDurationString(Math.round(ms / 1000) * 1000);
}

/** Go's `time.Time.String()` in UTC: `2026-03-10 11:59:30 +0000 UTC` (fraction only when non-zero). */
export function goTimeString(d: Date): string {
  const s = d.toISOString(); // 2026-03-10T11:59:30.123Z
  const frac = s.slice(20, 23).replace(/0+$/, '');
  return `${s.slice(0, 10)} ${s.slice(11, 19)}${frac === '' ? '' : `.${frac}`} +0000 UTC`;
}

// ---------------------------------------------------------------------------------------------
// Go asynq CLI (tools/asynq/cmd)

/** Go CLI's formatProcessAt (task ls: Process In, Next Retry): '' for none, `right now` when due, else `in <d>`. */
export function goCliProcessAt(at: Date | null, now: Date): string {
  if (at === null) return '';
  const d = at.getTime() - now.getTime();
  return d < 0 ? 'right now' : `in ${goRoundedDuration(d)}`;
}

/** Go CLI's formatPastTime (task ls: Last Failed, CompletedAt): the time in `time.UnixDate`, or '' for none. */
export function goCliPastTime(at: Date | null, timeZone: string): string {
  return at === null || at.getTime() === 0 ? '' : goUnixDate(at, timeZone);
}

/** Go CLI's formatNextProcessAt (task inspect): `n/a`, `now`, or `<UnixDate> (in <d>)`. */
export function goCliNextProcessAt(at: Date | null, now: Date, timeZone: string): string {
  if (at === null || at.getTime() === 0) return 'n/a';
  if (at.getTime() < now.getTime()) return 'now';
  return `${goUnixDate(at, timeZone)} (in ${goRoundedDuration(at.getTime() - now.getTime())})`;
}

/** Go CLI's `%v ago` of `time.Since(t).Round(time.Second)` (server ls: Started): `5s ago`, `1h0m0s ago`. */
export function goCliSince(at: Date, now: Date): string {
  return `${goRoundedDuration(now.getTime() - at.getTime())} ago`;
}

/** Go CLI's nextEnqueue (cron ls: Next): `Now` when the rounded wait is negative, else `In <d>`. */
export function goCliNextEnqueue(next: Date, now: Date): string {
  const d = Math.round((next.getTime() - now.getTime()) / 1000) * 1000;
  return d < 0 ? 'Now' : `In ${goDurationString(d)}`;
}

/** Go CLI's prevEnqueue (cron ls: Prev): `N/A` for none, else `<d> ago`. */
export function goCliPrevEnqueue(prev: Date | null, now: Date): string {
  return prev === null ? 'N/A' : goCliSince(prev, now);
}

// ---------------------------------------------------------------------------------------------
// asynq-ts's own compact forms

/** A duration in at most two units: `45s`, `5m30s`, `3h5m`, `12d23h` (sub-second: `0s`). */
export function shortDuration(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  const units: Array<[number, string]> = [
    [86_400, 'd'],
    [3600, 'h'],
    [60, 'm'],
    [1, 's'],
  ];
  for (let i = 0; i < units.length; i++) {
    const [size, unit] = units[i]!;
    if (s >= size || unit === 's') {
      const major = Math.floor(s / size);
      const next = units[i + 1];
      const minor = next === undefined ? 0 : Math.floor((s % size) / next[0]);
      return minor > 0 ? `${major}${unit}${minor}${next![1]}` : `${major}${unit}`;
    }
  }
  return '0s';
}

// ---------------------------------------------------------------------------------------------
// The dash (after Go asynq's dash, tools/asynq/cmd/dash/draw.go)

/**
 * Go dash's formatNextProcessTime with compactDuration: `now` if due, else `in 1m5s`
 * (Go prints `in 1m5s` too, but `in 1h0m0s` where this prints `in 1h`).
 */
export function dashNextProcessTime(at: Date, now: Date): string {
  const ms = at.getTime() - now.getTime();
  return ms <= 0 ? 'now' : `in ${compactDuration(Math.max(1000, ms))}`;
}

/** Go dash's formatPastTime with compactDuration: `just now`, else `5s ago`. */
export function dashPastTime(at: Date, now: Date): string {
  const ms = now.getTime() - at.getTime();
  return ms <= 0 ? 'just now' : `${compactDuration(Math.max(1000, ms))} ago`;
}

/** Latency as Go's dash rounds it (to whole seconds), without Go's zero tails to fit the column: `0s`, `5s`, `1m30s`, `1h`. */
export function dashLatency(ms: number): string {
  return compactDuration(Math.round(ms / 1000) * 1000);
}

/** Time relative to now, compact: `in 5s`, `now`, `3m10s ago`, `just now`; `-` for null. */
export function dashRelativeTime(at: Date | null, now: Date): string {
  if (at === null) return '-';
  const ms = at.getTime() - now.getTime();
  if (Math.abs(ms) < 1000) return ms >= 0 ? 'now' : 'just now';
  return ms > 0 ? `in ${shortDuration(ms)}` : `${shortDuration(-ms)} ago`;
}

/** `HH:MM:SS` local time (the dash's status bar). */
export function dashClockTime(d: Date): string {
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** `YYYY-MM-DD HH:MM:SS UTC`, for absolute times in the dash's detail pane and cron history. */
export function dashUtcTime(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}
