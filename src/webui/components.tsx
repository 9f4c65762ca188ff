/** Building blocks of the pages: tables, figures, charts (uPlot), the payload view, messages. */
import type {ComponentChildren} from 'preact';
import {useEffect, useRef} from 'preact/hooks';
import uPlot from 'uplot';
import type {ApiError} from './api.js';
import {clock, showBytes} from './format.js';

export interface Column<R> {
  title: string;
  cell: (r: R) => ComponentChildren;
  /** Numbers are right-aligned. */
  num?: boolean;
  className?: string;
}

export function Table<R>(props: {
  columns: readonly Column<R>[];
  rows: readonly R[];
  rowKey: (r: R) => string;
  empty?: string;
  label?: string;
}): preact.JSX.Element {
  return (
    <div class="table-wrap">
      <table aria-label={props.label}>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th key={c.title} class={c.num ? 'num' : undefined}>
                {c.title}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.length === 0 ? (
            <tr>
              <td class="empty" colSpan={props.columns.length}>
                {props.empty ?? 'Nothing here.'}
              </td>
            </tr>
          ) : (
            props.rows.map((r) => (
              <tr key={props.rowKey(r)}>
                {props.columns.map((c) => (
                  <td key={c.title} class={[c.num ? 'num' : '', c.className ?? ''].join(' ').trim() || undefined}>
                    {c.cell(r)}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

/** A row of labelled figures. */
export function Figures(props: {items: ReadonlyArray<[string, ComponentChildren]>}): preact.JSX.Element {
  return (
    <dl class="figures">
      {props.items.map(([label, value]) => (
        <div key={label} class="figure">
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function ErrorLine(props: {error: ApiError | null}): preact.JSX.Element | null {
  if (props.error === null) return null;
  return (
    <p class="error" role="alert">
      {props.error.code === 'NETWORK' || props.error.status === 0 ? '' : `${props.error.code}: `}
      {props.error.message}
    </p>
  );
}

export function Loading(): preact.JSX.Element {
  return <p class="muted">Loading…</p>;
}

/** The tasks of each state as one bar (segment widths set through the CSSOM, which the CSP allows). */
export const STATE_ORDER = ['active', 'pending', 'aggregating', 'scheduled', 'retry', 'archived', 'completed'] as const;

export function StateBar(props: {counts: Record<(typeof STATE_ORDER)[number], number>; scale: number}) {
  const total = STATE_ORDER.reduce((s, k) => s + props.counts[k], 0);
  if (total === 0 || props.scale <= 0) return <div class="statebar" />;
  return (
    <div class="statebar" title={STATE_ORDER.map((k) => `${k} ${props.counts[k]}`).join(', ')}>
      {STATE_ORDER.filter((k) => props.counts[k] > 0).map((k) => (
        <span key={k} class={`seg st-${k}`} style={{width: `${(props.counts[k] / props.scale) * 100}%`}} />
      ))}
    </div>
  );
}

/** A payload or result: pretty JSON, text, or a hex dump, always as text. */
export function Bytes(props: {data: string | null; encoding: 'utf8' | 'base64' | null; label: string}) {
  const shown = showBytes(props.data, props.encoding);
  if (shown.kind === 'empty') return <p class="muted">(none)</p>;
  const note =
    shown.kind === 'json'
      ? 'JSON'
      : shown.kind === 'text'
        ? 'text'
        : `binary, hex dump${shown.cut ? ' of the first 4096 bytes' : ''}`;
  return (
    <figure class="bytes">
      <figcaption>
        {props.label} · {note} · {shown.bytes} bytes
      </figcaption>
      <pre class={`bytes-${shown.kind}`}>{shown.text}</pre>
    </figure>
  );
}

export interface ChartSeries {
  label: string;
  /** A class of app.css's palette: the chart reads the colour from it. */
  color: string;
  values: readonly (number | null)[];
}

const DAY = 86_400;

const PALETTE: Record<string, string> = {
  processed: '#2f7d4f',
  failed: '#c0392b',
};

/**
 * A uPlot chart of one x axis (unix seconds) and some series. `bars`: daily counts as bars; else
 * lines. uPlot draws on a canvas and sizes its elements through the CSSOM.
 */
export function Chart(props: {
  title: string;
  x: readonly number[];
  series: readonly ChartSeries[];
  bars?: boolean;
  height?: number;
}): preact.JSX.Element {
  const boxRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  const shape = `${props.bars ? 'b' : 'l'}:${props.series.map((s) => s.label).join('|')}`;
  const data = [props.x as number[], ...props.series.map((s) => s.values as (number | null)[])] as uPlot.AlignedData;
  const dataRef = useRef(data);
  useEffect(() => {
    dataRef.current = data;
    plotRef.current?.setData(data);
  });
  useEffect(() => {
    const el = boxRef.current;
    if (el === null) return;
    const bars = props.bars ?? false;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: props.height ?? 180,
      legend: {show: true},
      cursor: {drag: {x: false, y: false}},
      scales: {
        // Daily bars: half a day of room on each side, so that the first and last bars show whole.
        x: bars ? {time: true, range: (_u, min, max) => [min - DAY / 2, max + DAY / 2]} : {time: true},
        y: {range: (_u, _min, max) => [0, Math.max(1, max * 1.1)]},
      },
      // Days are UTC days (as Redis counts them): their axis is in UTC, one label a day (or a week).
      ...(bars ? {tzDate: (ts: number) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC')} : {}),
      axes: [
        bars
          ? {
              space: 36,
              incrs: [DAY, 7 * DAY, 28 * DAY],
              values: (_u, splits) => splits.map((t) => new Date(t * 1000).toISOString().slice(5, 10)),
            }
          : {
              space: 60,
              incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600],
              values: (_u, splits) => splits.map((t) => clock(new Date(t * 1000))),
            },
        {size: 50},
      ],
      series: [
        bars
          ? {label: 'Day', value: (_u, v) => (v === null ? '--' : new Date(v * 1000).toISOString().slice(0, 10))}
          : {},
        ...props.series.map((s) => ({
          label: s.label,
          stroke: PALETTE[s.color] ?? '#555',
          fill: bars ? `${PALETTE[s.color] ?? '#555'}cc` : undefined,
          width: bars ? 0 : 2,
          points: {show: false},
          paths: bars ? uPlot.paths.bars?.({size: [0.6, 40], align: 0}) : undefined,
        })),
      ],
    };
    const u = new uPlot(opts, dataRef.current, el);
    plotRef.current = u;
    const resize = new ResizeObserver(() => u.setSize({width: Math.max(200, el.clientWidth), height: opts.height}));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plotRef.current = null;
    };
    // The chart is made again only when its series change; data updates go through setData.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape, props.height]);
  return (
    <section class="chart">
      <h3>{props.title}</h3>
      <div ref={boxRef} class="chart-box" />
    </section>
  );
}

/** The confirmation dialog of an action. */
export function Confirm(props: {
  question: string;
  confirm: string;
  danger: boolean;
  onYes: () => void;
  onNo: () => void;
}) {
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    yes.current?.focus();
    const key = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') props.onNo();
    };
    addEventListener('keydown', key);
    return () => removeEventListener('keydown', key);
  }, [props]);
  return (
    <div class="modal-back">
      <div class="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-q">
        <p id="confirm-q">{props.question}</p>
        <div class="modal-buttons">
          <button type="button" onClick={props.onNo}>
            Cancel
          </button>
          <button ref={yes} type="button" class={props.danger ? 'danger' : 'primary'} onClick={props.onYes}>
            {props.confirm}
          </button>
        </div>
      </div>
    </div>
  );
}
