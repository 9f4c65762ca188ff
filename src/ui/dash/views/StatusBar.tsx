/**
 * The two bottom lines: the status line (confirmation prompt, filter being typed, the result or
 * error of an action, or a polling error next to the time of the last good data) and the key
 * hints of the current screen.
 */
import {Lines} from '../../components/Lines.js';
import {compactDuration, dashClockTime} from '../../../cli/format/time.js';
import {fit, segmentsWidth, type Segment} from '../../format.js';
import {STATUS_COLOR} from '../../theme.js';
import type {DashState} from '../state.js';
import {confirmSegments} from './ConfirmPrompt.js';

export interface StatusBarProps {
  state: DashState;
  /** Message of the last failed refresh (undefined after a good one). */
  pollError?: string;
  updatedAt?: Date;
  refreshMs: number;
  width: number;
  color: boolean;
}

type Hint = readonly [key: string, label: string];

/** Key hints for the screen on display, most useful first (`? help` is always shown last). */
function keyHints(s: DashState): Hint[] {
  if (s.confirm !== null)
    return [
      ['y/a', 'confirm'],
      ['n/Esc', 'cancel'],
    ];
  if (s.help)
    return [
      ['Esc/?', 'close help'],
      ['q', 'quit'],
    ];
  if (s.section === 'queues' && s.queue === null && s.queues.draft !== null)
    return [
      ['Enter', 'apply filter'],
      ['Esc', 'cancel'],
    ];
  if (s.section !== 'queues')
    return [
      ['↑↓', 'move'],
      ['Tab', 'next view'],
      ['Esc', 'queues'],
      ['r', 'refresh'],
      ['q', 'quit'],
    ];
  const q = s.queue;
  if (q === null) {
    return [
      ['Enter', 'open'],
      ['Tab', 'servers/cron'],
      ['/', 'filter'],
      ['s/S', 'sort'],
      ['P', 'pause/resume'],
      ['↑↓', 'move'],
      ['r', 'refresh'],
      ['q', 'quit'],
    ];
  }
  if (q.detail !== null)
    return [
      ['R', 'run'],
      ['A', 'archive'],
      ['D', 'delete'],
      ['C', 'cancel'],
      ['↑↓', 'prev/next'],
      ['Esc', 'back'],
      ['P', 'pause'],
    ];
  if (q.tab === 'aggregating' && q.group === null)
    return [
      ['Enter', 'group tasks'],
      ['←→', 'state'],
      ['R/A/D', 'whole group'],
      ['Esc', 'back'],
    ];
  return [
    ['Enter', 'details'],
    ['←→', 'state'],
    ['R', 'run'],
    ['A', 'archive'],
    ['D', 'delete'],
    ['C', 'cancel'],
    ['n/p', 'page'],
    ['P', 'pause'],
    ['Esc', 'back'],
  ];
}

/** As many hints as fit in `width`, then `? help`. */
function hintSegments(hints: readonly Hint[], width: number, color: boolean): Segment[] {
  const item = ([k, label]: Hint): Segment[] => [
    {text: k, ...(color ? {bold: true} : {})},
    {text: ` ${label}`, ...(color ? {dim: true} : {})},
  ];
  const help = item(['?', 'help']);
  const out: Segment[] = [];
  let used = segmentsWidth(help);
  for (const h of hints) {
    const segs = item(h);
    const w = segmentsWidth(segs) + 2;
    if (used + w > width) break;
    out.push(...segs, {text: '  '});
    used += w;
  }
  return [...out, ...help];
}

function leftSegments(p: StatusBarProps): Segment[] {
  const {state: s, color} = p;
  const paint = (text: string, kind: keyof typeof STATUS_COLOR): Segment[] => [
    {text, ...(color ? {color: STATUS_COLOR[kind]} : {})},
  ];
  if (s.confirm !== null) return confirmSegments(s.confirm, color);
  if (s.section === 'queues' && s.queue === null && s.queues.draft !== null)
    return [{text: `/${s.queues.draft}`}, {text: '▏'}];
  if (s.status?.kind === 'error') return paint(`Error: ${s.status.text}`, 'error');
  if (p.pollError !== undefined) {
    const since = p.updatedAt === undefined ? '' : ` (showing data from ${dashClockTime(p.updatedAt)})`;
    return paint(`Error: ${p.pollError}${since}`, 'error');
  }
  if (s.status !== null) return paint(s.status.text, s.status.kind);
  return [];
}

function statusBarLines(p: StatusBarProps): Segment[][] {
  const right = `${p.updatedAt === undefined ? 'loading…' : `updated ${dashClockTime(p.updatedAt)}`} · every ${compactDuration(p.refreshMs)}`;
  const left = leftSegments(p);
  const room = p.width - right.length - 1;
  const status: Segment[] =
    room > 10 && segmentsWidth(left) <= room
      ? [...left, {text: fit('', room - segmentsWidth(left) + 1)}, {text: right, ...(p.color ? {dim: true} : {})}]
      : left;
  return [status, hintSegments(keyHints(p.state), p.width, p.color)];
}

export function StatusBar(p: StatusBarProps) {
  return <Lines lines={statusBarLines(p)} width={p.width} height={2} color={p.color} />;
}
