/**
 * Pure layout helpers of the terminal UI: display widths, truncation and padding, compact numbers,
 * column layout, scrolling windows, sparklines and stacked bars. No React here, so every rule is
 * unit-tested on plain strings. Times, durations, sizes, rates and payload text come from
 * src/cli/format/, the one home of every format the CLI and the dash share.
 */
import stringWidth from 'string-width';

/** A run of text with one style. `color` is an Ink/chalk colour name; views drop it when colour is off. */
export interface Segment {
  text: string;
  color?: string;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
  underline?: boolean;
}

/** What a table cell or a line holds: plain text or styled segments. */
export type Cell = string | Segment[];

const graphemeSegmenter = new Intl.Segmenter(undefined, {granularity: 'grapheme'});

/** The user-perceived characters of `s` (an emoji sequence, a flag or a letter with its marks is one). */
function* graphemes(s: string): Generator<string> {
  for (const g of graphemeSegmenter.segment(s)) yield g.segment;
}

/**
 * Columns a character (one grapheme) takes in a terminal: 0 for control characters, combining marks
 * and format characters, 2 for East Asian wide ones and emoji, else 1. string-width decides, the same
 * measure the CLI's tables (src/cli/output.ts) and Ink use.
 */
function charWidth(ch: string): number {
  return stringWidth(ch);
}

/** Display width of a string; escape sequences count for nothing. */
export function textWidth(s: string): number {
  return stringWidth(s);
}

/** Cuts `s` to at most `width` columns, ending with `…` when something was cut. */
export function truncate(s: string, width: number): string {
  if (width <= 0) return '';
  if (textWidth(s) <= width) return s;
  let out = '';
  let w = 0;
  for (const ch of graphemes(s)) {
    const cw = charWidth(ch);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return `${out}…`;
}

/** Truncates or pads `s` to exactly `width` columns. */
export function fit(s: string, width: number, align: 'left' | 'right' = 'left'): string {
  const t = truncate(s, width);
  const fill = ' '.repeat(Math.max(0, width - textWidth(t)));
  return align === 'right' ? fill + t : t + fill;
}

/** Total display width of segments. */
export function segmentsWidth(segs: readonly Segment[]): number {
  return segs.reduce((w, s) => w + textWidth(s.text), 0);
}

/** Truncates or pads segments to exactly `width` columns (padding is unstyled). */
export function fitSegments(segs: readonly Segment[], width: number): Segment[] {
  const out: Segment[] = [];
  let left = width;
  const total = segmentsWidth(segs);
  for (const s of segs) {
    if (left <= 0) break;
    const w = textWidth(s.text);
    if (w <= left && (total <= width || w < left)) {
      out.push(s);
      left -= w;
    } else {
      out.push({...s, text: truncate(s.text, left)});
      left -= textWidth(out[out.length - 1]!.text);
      break;
    }
  }
  if (left > 0) out.push({text: ' '.repeat(left)});
  return out;
}

/** A cell as segments, fitted to `width` and aligned. */
export function fitCell(cell: Cell, width: number, align: 'left' | 'right' = 'left'): Segment[] {
  if (typeof cell === 'string') return [{text: fit(cell, width, align)}];
  if (align === 'right') {
    const w = segmentsWidth(cell);
    if (w < width) return [{text: ' '.repeat(width - w)}, ...cell];
  }
  return fitSegments(cell, width);
}

/** 1234 → `1234`, 12345 → `12.3k`, 1234567 → `1.2M`: at most 5 columns. */
export function compactNumber(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const abs = Math.abs(n);
  if (abs < 10_000) return String(n);
  const units: Array<[number, string]> = [
    [1e12, 'T'],
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [size, unit] of units) {
    if (abs >= size) {
      const v = n / size;
      return `${Math.abs(v) < 100 ? v.toFixed(1).replace(/\.0$/, '') : Math.round(v)}${unit}`;
    }
  }
  return String(n);
}

/** Wraps text to `width` columns (hard breaks inside long words), keeping existing line breaks. */
export function wrapText(text: string, width: number): string[] {
  if (width <= 0) return [];
  const out: string[] = [];
  for (const para of text.split(/\r?\n/)) {
    let line = '';
    let w = 0;
    for (const ch of graphemes(para)) {
      const cw = charWidth(ch);
      if (w + cw > width) {
        out.push(line);
        line = '';
        w = 0;
      }
      line += ch;
      w += cw;
    }
    out.push(line);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tables

/** One column of a table. Columns without `priority` are never dropped. */
export interface Column<R> {
  header: string;
  /** Minimum (and, without `flex`, exact) width in columns. */
  width: number;
  /** Share of the spare width this column takes (0 or absent: fixed). */
  flex?: number;
  /** Upper bound for a flexible column. */
  max?: number;
  align?: 'left' | 'right';
  /** When the table is too wide, the column with the lowest priority goes first. */
  priority?: number;
  cell: (row: R, width: number) => Cell;
}

/** A column with its computed width. */
export interface PlacedColumn<R> {
  column: Column<R>;
  width: number;
}

/**
 * Fits columns into `width`: drops the lowest-priority columns until the minimum widths fit,
 * then hands the spare columns to the flexible ones in proportion to `flex` (respecting `max`).
 */
export function layoutColumns<R>(columns: readonly Column<R>[], width: number, gap = 1): PlacedColumn<R>[] {
  const kept = [...columns];
  const need = (cs: readonly Column<R>[]): number =>
    cs.reduce((s, c) => s + c.width, 0) + gap * Math.max(0, cs.length - 1);
  while (need(kept) > width) {
    let drop = -1;
    kept.forEach((c, i) => {
      if (c.priority !== undefined && (drop < 0 || c.priority < kept[drop]!.priority!)) drop = i;
    });
    if (drop < 0) break;
    kept.splice(drop, 1);
  }
  const widths = kept.map((c) => c.width);
  let spare = width - need(kept);
  for (let round = 0; spare > 0 && round < 8; round++) {
    const growable = kept
      .map((c, i) => ({c, i}))
      .filter(({c, i}) => (c.flex ?? 0) > 0 && (c.max === undefined || widths[i]! < c.max));
    const shares = growable.reduce((s, {c}) => s + c.flex!, 0);
    if (shares === 0) break;
    let given = 0;
    for (const {c, i} of growable) {
      const room = c.max === undefined ? Infinity : c.max - widths[i]!;
      const add = Math.min(room, Math.floor((spare * c.flex!) / shares));
      widths[i]! += add;
      given += add;
    }
    if (given === 0) {
      // rounding left a few columns: give them one by one
      for (const {c, i} of growable) {
        if (spare - given <= 0) break;
        if (c.max !== undefined && widths[i]! >= c.max) continue;
        widths[i]! += 1;
        given += 1;
      }
    }
    spare -= given;
    if (given === 0) break;
  }
  return kept.map((column, i) => ({column, width: widths[i]!}));
}

/** The first index of a window of `visible` rows that keeps `cursor` in view (centred when it can), for `count` rows. */
export function scrollOffset(cursor: number, count: number, visible: number): number {
  if (visible <= 0 || count <= visible) return 0;
  const c = Math.max(0, Math.min(cursor, count - 1));
  return Math.min(Math.max(0, c - Math.floor(visible / 2)), count - visible);
}

// ---------------------------------------------------------------------------------------------
// Charts

const SPARKS = '▁▂▃▄▅▆▇█';

/** One character per value, scaled to `max` (default the largest value); zero is a blank. */
export function sparkline(values: readonly number[], max = Math.max(0, ...values)): string {
  return values
    .map((v) => {
      if (v <= 0 || max <= 0) return ' ';
      const i = Math.min(SPARKS.length - 1, Math.max(0, Math.ceil((v / max) * SPARKS.length) - 1));
      return SPARKS[i]!;
    })
    .join('');
}

/** A part of a stacked bar. */
export interface BarPart {
  value: number;
  color: string;
  /** Character used when colour is off (each state gets its own so the bar still reads). */
  glyph: string;
}

/**
 * Widths of the parts of a bar `width` columns long at full scale, for a total of `scale`
 * (the largest total among the rows): each non-zero part gets at least one column when the bar
 * has room, and the rounding follows the largest remainders so the bar length is exact.
 */
export function barWidths(parts: readonly number[], scale: number, width: number): number[] {
  const total = parts.reduce((s, v) => s + v, 0);
  if (total <= 0 || scale <= 0 || width <= 0) return parts.map(() => 0);
  const length = Math.max(1, Math.min(width, Math.round((total / scale) * width)));
  const exact = parts.map((v) => (v / total) * length);
  const widths = exact.map((x) => Math.floor(x));
  let left = length - widths.reduce((s, v) => s + v, 0);
  const order = exact.map((x, i) => ({i, r: x - Math.floor(x)})).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const {i} of order) {
    if (left <= 0) break;
    widths[i]! += 1;
    left--;
  }
  // a non-zero part squeezed to nothing borrows a column from the widest part
  for (let i = 0; i < parts.length; i++) {
    if (parts[i]! > 0 && widths[i] === 0) {
      const widest = widths.indexOf(Math.max(...widths));
      if (widths[widest]! > 1) {
        widths[widest]! -= 1;
        widths[i] = 1;
      }
    }
  }
  return widths;
}

/** A stacked bar as segments, `width` columns at full scale. */
export function stackedBar(parts: readonly BarPart[], scale: number, width: number, color: boolean): Segment[] {
  const widths = barWidths(
    parts.map((p) => p.value),
    scale,
    width,
  );
  return parts
    .map((p, i) => ({text: (color ? '█' : p.glyph).repeat(widths[i]!), ...(color ? {color: p.color} : {})}))
    .filter((s) => s.text !== '');
}
