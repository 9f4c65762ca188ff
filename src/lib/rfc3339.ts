/**
 * RFC 3339 times (Go's `time.RFC3339` and `time.RFC3339Nano` layouts), the one parser for every
 * format that carries a time as text: `asynq enqueue --deadline/--process-at`, the JSON Lines of
 * `enqueue --from`, and the YAML periodic task file.
 */
import {ValidationError} from './errors.js';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/**
 * An RFC 3339 time (`2026-01-02T15:04:05Z`, `2026-01-02T15:04:05.5+09:00`); a space may replace
 * the T, and surrounding blanks are ignored. The offset must be within ±23:59. Throws
 * ValidationError naming `what` otherwise, also for impossible dates such as Feb 30 or 24:00.
 * Fractions finer than a millisecond are truncated.
 */
export function parseRfc3339(s: string, what = 'time'): Date {
  const m = typeof s === 'string' ? RFC3339.exec(s.trim()) : null;
  const bad = (): ValidationError =>
    new ValidationError(`invalid ${what} ${JSON.stringify(s)}: expected an RFC 3339 time like 2026-01-02T15:04:05Z`);
  if (!m) throw bad();
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const local = new Date(Date.UTC(y, mo - 1, d, h, mi, sec));
  local.setUTCFullYear(y); // Date.UTC maps years 0-99 to 1900-1999
  const fields = [local.getUTCFullYear(), local.getUTCMonth() + 1, local.getUTCDate(), local.getUTCHours(), local.getUTCMinutes(), local.getUTCSeconds()];
  if (fields.some((f, i) => f !== [y, mo, d, h, mi, sec][i])) throw bad(); // Feb 30, 24:00, :60 …
  const zone = m[8]!.toUpperCase();
  const offsetMin = zone === 'Z' ? 0 : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const fracMs = m[7] === undefined ? 0 : Math.floor(Number(`0${m[7]}`) * 1000);
  return new Date(local.getTime() + fracMs - offsetMin * 60_000);
}
