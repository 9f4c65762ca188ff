/**
 * Formats of the web page, pure (no DOM, no Node): sizes, durations, times, and how a payload or
 * result is shown (pretty JSON, text, or a hex dump). Everything returns text: the page renders
 * it as text nodes, never as HTML.
 */

/** Bytes in decimal units as Go asynq prints them: `999 B`, `1.5 kB`, `2.0 MB`. */
export function byteCount(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let value = bytes / 1000;
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return `${value.toFixed(1)} ${units[i]}`;
}

/** A duration, compact: `0s`, `850ms`, `45s`, `1m30s`, `2h5m`, `3d4h`. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 0) ms = -ms;
  if (ms > 0 && ms < 1000) return `${Math.round(ms)}ms`;
  let s = Math.round(ms / 1000);
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const parts: Array<[number, string]> = [
    [d, 'd'],
    [h, 'h'],
    [m, 'm'],
    [s, 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  if (first < 0) return '0s';
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, u]) => `${n}${u}`)
    .join('');
}

/** An instant relative to `now`: `in 5s`, `3m10s ago`, `now`; `-` for null. */
export function relative(iso: string | null, now: number): string {
  if (iso === null) return '-';
  const ms = Date.parse(iso) - now;
  if (Number.isNaN(ms)) return iso;
  if (Math.abs(ms) < 1000) return 'now';
  return ms > 0 ? `in ${duration(ms)}` : `${duration(-ms)} ago`;
}

/** An instant as `YYYY-MM-DD HH:MM:SS UTC` (the same for every viewer); `-` for null. */
export function utc(iso: string | null): string {
  if (iso === null) return '-';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `HH:MM:SS` of the viewer's clock (the "updated at" line). */
export function clock(d: Date): string {
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** A count with thousands separators that do not depend on the locale: `1 234 567`. */
export function count(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
}

/** Bytes of a JSON document field: UTF-8 text or base64 (`…Encoding` says which). */
function bytesOf(data: string, encoding: 'utf8' | 'base64'): Uint8Array {
  if (encoding === 'utf8') return new TextEncoder().encode(data);
  const bin = atob(data);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// Printable: any character but the C0/C1 controls and DEL, line breaks and tabs allowed.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/** How a payload or result is shown: pretty JSON, text, a hex dump, or nothing. */
export interface Shown {
  kind: 'json' | 'text' | 'hex' | 'empty';
  text: string;
  /** The size in bytes. */
  bytes: number;
  /** True when the hex dump shows only the head. */
  cut: boolean;
}

/** Bytes shown at most in a hex dump. */
const HEX_MAX = 4096;

/** A hex dump: offset, 16 bytes in hex, and those bytes as ASCII (`.` for the rest). */
export function hexDump(b: Uint8Array, max = HEX_MAX): string {
  const lines: string[] = [];
  for (let off = 0; off < Math.min(b.length, max); off += 16) {
    const row = b.subarray(off, Math.min(off + 16, b.length));
    const hex = Array.from(row, (x) => x.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(row, (x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join('');
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

/**
 * A payload or result as the task page shows it: JSON objects and arrays pretty-printed, other
 * UTF-8 text without control characters as it is, anything else as a hex dump.
 */
export function showBytes(data: string | null, encoding: 'utf8' | 'base64' | null): Shown {
  if (data === null || data === '') return {kind: 'empty', text: '', bytes: 0, cut: false};
  const enc = encoding ?? 'utf8';
  if (enc === 'utf8') {
    try {
      const value: unknown = JSON.parse(data);
      if (value !== null && typeof value === 'object')
        return {kind: 'json', text: JSON.stringify(value, null, 2), bytes: bytesOf(data, enc).length, cut: false};
    } catch {
      // not JSON
    }
    if (!CONTROL.test(data)) return {kind: 'text', text: data, bytes: bytesOf(data, enc).length, cut: false};
  }
  const b = bytesOf(data, enc);
  return {kind: 'hex', text: hexDump(b), bytes: b.length, cut: b.length > HEX_MAX};
}

/** A payload in a table cell: one line, at most `max` characters; `<binary, N bytes>` otherwise. */
export function payloadLine(data: string | null, encoding: 'utf8' | 'base64' | null, max = 80): string {
  if (data === null || data === '') return '';
  if (encoding === 'base64' || CONTROL.test(data))
    return `<binary, ${byteCount(bytesOf(data, encoding ?? 'utf8').length)}>`;
  const line = data.replace(/\s+/g, ' ');
  const chars = [...line];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : line;
}

/** Tasks per second, from the change of a queue's all-time counters between two reads. */
export interface Rate {
  processed: number;
  failed: number;
}

interface Reading {
  at: number;
  processed: number;
  failed: number;
}

/** Readings closer together than this are not compared (the older one stays the base). */
const MIN_GAP_MS = 250;

/**
 * Live rates of every queue, as the terminal dash computes them (src/ui/dash/rates.ts): the
 * difference of processedTotal/failedTotal over the difference of the read timestamps. A counter
 * that went down (queue removed and created again) counts as 0.
 */
export class RateTracker {
  private readings = new Map<string, Reading>();
  private current = new Map<string, Rate>();

  /** Feeds one read of a queue; returns its rate (null until two reads far enough apart). */
  observe(queue: string, timestamp: string, processedTotal: number, failedTotal: number): Rate | null {
    const next: Reading = {at: Date.parse(timestamp), processed: processedTotal, failed: failedTotal};
    const prev = this.readings.get(queue);
    if (prev === undefined) {
      this.readings.set(queue, next);
      return null;
    }
    const gap = next.at - prev.at;
    if (gap < MIN_GAP_MS) return this.current.get(queue) ?? null;
    const perSecond = (a: number, b: number): number => (Math.max(0, b - a) * 1000) / gap;
    const rate = {processed: perSecond(prev.processed, next.processed), failed: perSecond(prev.failed, next.failed)};
    this.readings.set(queue, next);
    this.current.set(queue, rate);
    return rate;
  }

  /** Forgets the queues not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const q of [...this.readings.keys()]) {
      if (!keep.has(q)) {
        this.readings.delete(q);
        this.current.delete(q);
      }
    }
  }
}
