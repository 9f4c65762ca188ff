/**
 * Table lines for the dashboard's views: a header, a scrolling window of rows with a `>` cursor
 * marker (plus reverse video when colour is on), columns laid out by `layoutColumns`.
 */
import {fitCell, layoutColumns, scrollOffset, type Column, type PlacedColumn, type Segment} from '../format.js';
import {CURSOR} from '../theme.js';

export interface TableOptions {
  width: number;
  /** Rows shown at once (the table scrolls to keep the cursor in view). */
  visible: number;
  /** Index of the selected row, -1 for none. */
  cursor: number;
  color: boolean;
}

export interface TableLines<R> {
  header: Segment[];
  rows: Segment[][];
  /** Index of the first row shown. */
  offset: number;
  placed: PlacedColumn<R>[];
}

const MARKER_WIDTH = 2;

/** One row as segments (the marker included). */
export function rowSegments<R>(
  placed: readonly PlacedColumn<R>[],
  row: R,
  selected: boolean,
  color: boolean,
  style: Partial<Segment> = {},
): Segment[] {
  const out: Segment[] = [{text: selected ? `${CURSOR} ` : '  ', ...(selected && color ? {bold: true} : {})}];
  placed.forEach(({column, width}, i) => {
    if (i > 0) out.push({text: ' ', ...(selected && color ? {inverse: true} : {})});
    for (const seg of fitCell(column.cell(row, width), width, column.align)) {
      const highlight = selected && color && seg.color === undefined;
      out.push({...style, ...seg, ...(highlight ? {inverse: true} : {})});
    }
  });
  return out;
}

/** The header row of placed columns. */
function headerSegments<R>(placed: readonly PlacedColumn<R>[], color: boolean): Segment[] {
  const out: Segment[] = [{text: ' '.repeat(MARKER_WIDTH)}];
  placed.forEach(({column, width}, i) => {
    if (i > 0) out.push({text: ' '});
    out.push(...fitCell(column.header, width, column.align).map((s) => ({...s, ...(color ? {bold: true} : {})})));
  });
  return out;
}

/** Lays out `columns` in `width` and renders the header and the visible window of rows. */
export function tableLines<R>(columns: readonly Column<R>[], rows: readonly R[], opts: TableOptions): TableLines<R> {
  const placed = layoutColumns(columns, opts.width - MARKER_WIDTH);
  const offset = scrollOffset(opts.cursor, rows.length, opts.visible);
  const cursor = Math.min(opts.cursor, rows.length - 1);
  const shown = rows.slice(offset, offset + Math.max(0, opts.visible));
  return {
    header: headerSegments(placed, opts.color),
    rows: shown.map((r, i) => rowSegments(placed, r, offset + i === cursor, opts.color)),
    offset,
    placed,
  };
}

/** `1-17 of 100` for a scrolled window (empty when everything fits). */
export function windowLabel(offset: number, shown: number, total: number): string {
  if (total <= shown) return '';
  return `${offset + 1}-${offset + shown} of ${total}`;
}

/** Rows the upper table of a master/detail screen `height` lines high shows (half the screen at most). */
export function masterRows(height: number, count: number): number {
  return Math.max(1, Math.min(count, Math.floor((height - 3) / 2)));
}

export interface MasterDetailOptions<R, S> {
  columns: readonly Column<R>[];
  rows: readonly R[];
  cursor: number;
  /** The line above the lower table, for the selected row. */
  title: (row: R) => Segment[];
  subColumns: readonly Column<S>[];
  /** The lower table's rows for the selected row; null while loading. */
  subRows: (row: R) => readonly S[] | null;
  /** What the lower part says when `subRows` is empty. */
  empty: string;
  width: number;
  height: number;
  color: boolean;
}

/** A screen with a table of items on top and a table about the selected item below (servers, cron). */
export function masterDetailLines<R, S>(p: MasterDetailOptions<R, S>): Array<string | Segment[]> {
  const t = tableLines(p.columns, p.rows, {
    width: p.width,
    visible: masterRows(p.height, p.rows.length),
    cursor: p.cursor,
    color: p.color,
  });
  const lines: Array<string | Segment[]> = [t.header, ...t.rows];
  const where = windowLabel(t.offset, t.rows.length, p.rows.length);
  if (where !== '') lines.push([{text: `  ${where}`, ...(p.color ? {dim: true} : {})}]);
  lines.push('');
  const row = p.rows[Math.min(p.cursor, p.rows.length - 1)]!;
  lines.push(p.title(row));
  const sub = p.subRows(row);
  if (sub === null || sub.length === 0) {
    lines.push(`  ${sub === null ? 'Loading…' : p.empty}`);
    return lines;
  }
  const s = tableLines(p.subColumns, sub, {
    width: p.width,
    visible: Math.max(1, p.height - lines.length - 1),
    cursor: -1,
    color: p.color,
  });
  lines.push(s.header, ...s.rows);
  return lines;
}
