/**
 * Task detail pane (Go dash's task modal): identity, state, retries, times, the last error in
 * full, the payload pretty-printed when it is JSON, and the result.
 */
import type {TaskInfo} from '../../../lib/task.js';
import {Lines} from '../../components/Lines.js';
import {dashPayloadLines} from '../../../cli/format/bytes.js';
import {compactDuration, dashRelativeTime, dashUtcTime} from '../../../cli/format/time.js';
import {wrapText, type Segment} from '../../format.js';

export interface TaskDetailProps {
  taskId: string;
  /** The task; 'gone' when it no longer exists, null while loading. */
  task: TaskInfo | 'gone' | null;
  width: number;
  height: number;
  color: boolean;
  now: Date;
}

const KEY = 12;

function when(d: Date | null, now: Date): string {
  return d === null ? '-' : `${dashRelativeTime(d, now)} (${dashUtcTime(d)})`;
}

function field(name: string, value: string, color: boolean, valueColor?: string): Segment[] {
  return [
    {text: name.padEnd(KEY), ...(color ? {bold: true} : {})},
    {text: value, ...(color && valueColor ? {color: valueColor} : {})},
  ];
}

export function taskDetailLines(p: TaskDetailProps): Array<string | Segment[]> {
  const title: Segment[] = [
    {text: `Task ${p.taskId}`, ...(p.color ? {bold: true, underline: true} : {})},
    {text: '   Esc: back  ↑↓: previous/next task'},
  ];
  if (p.task === null) return [title, 'Loading…'];
  if (p.task === 'gone') return [title, `Task "${p.taskId}" no longer exists.`];
  const t = p.task;
  const c = p.color;
  const inner = Math.max(10, p.width - 2);
  const state = `${t.state}${t.isOrphaned ? ' (orphaned: its worker lost the lease)' : ''}, retried ${t.retried}/${t.maxRetry}`;
  const lines: Array<string | Segment[]> = [
    title,
    field('Type', t.type, c),
    field('State', state, c, t.state === 'retry' || t.state === 'archived' ? 'red' : undefined),
    field('Queue', t.group ? `${t.queue}   group ${t.group}` : t.queue, c),
  ];
  // The last error first: it is what an operator opens a retry or archived task for.
  if (t.lastErr !== '' || t.lastFailedAt !== null) {
    lines.push(field('Last error', when(t.lastFailedAt, p.now), c));
    for (const l of wrapText(t.lastErr, inner)) lines.push([{text: `  ${l}`, ...(c ? {color: 'red'} : {})}]);
  }
  lines.push(field('Next run', t.nextProcessAt === null ? 'n/a' : when(t.nextProcessAt, p.now), c));
  lines.push(field('Timeout', t.timeout > 0 ? compactDuration(t.timeout) : 'none', c));
  if (t.deadline !== null) lines.push(field('Deadline', when(t.deadline, p.now), c));
  if (t.completedAt !== null) lines.push(field('Completed', when(t.completedAt, p.now), c));
  if (t.retention > 0) lines.push(field('Retention', compactDuration(t.retention), c));
  const headers = Object.entries(t.headers);
  if (headers.length > 0) lines.push(field('Headers', headers.map(([k, v]) => `${k}=${v}`).join(' '), c));
  lines.push([{text: 'Payload', ...(c ? {bold: true} : {})}]);
  for (const l of dashPayloadLines(t.payload)) lines.push(...wrapText(l, inner).map((w) => `  ${w}`));
  if (t.result !== null) {
    lines.push([{text: 'Result', ...(c ? {bold: true} : {})}]);
    for (const l of dashPayloadLines(t.result, 'result')) lines.push(...wrapText(l, inner).map((w) => `  ${w}`));
  }
  if (lines.length > p.height) {
    const cut = lines.slice(0, Math.max(1, p.height - 1));
    cut.push(`  … ${lines.length - cut.length} more lines (a taller terminal shows more)`);
    return cut;
  }
  return lines;
}

export function TaskDetail(p: TaskDetailProps) {
  return <Lines lines={taskDetailLines(p)} width={p.width} height={p.height} color={p.color} />;
}
