/**
 * Cron screen: the entries of live schedulers (spec, task type, payload, options, next and
 * previous enqueue) and, below, the recent enqueues of the selected entry, newest first.
 */
import type {SchedulerEnqueueEvent, SchedulerEntry} from '../../../lib/inspector.js';
import {Lines} from '../../components/Lines.js';
import {masterDetailLines, masterRows} from '../../components/table.js';
import {dashPayloadLine} from '../../../cli/format/bytes.js';
import {dashRelativeTime, dashUtcTime} from '../../../cli/format/time.js';
import type {Segment} from '../../format.js';

export interface CronViewProps {
  entries: readonly SchedulerEntry[] | null;
  /** Enqueue events of the selected entry (null while loading). */
  events: readonly SchedulerEnqueueEvent[] | null;
  cursor: number;
  width: number;
  height: number;
  color: boolean;
  now: Date;
}

/** How many recent enqueues the cron screen reads for a screen `height` lines high. */
export function cronEventRows(height: number): number {
  return Math.max(1, height - masterRows(height, Number.MAX_SAFE_INTEGER) - 4);
}

function cronViewLines(p: CronViewProps): Array<string | Segment[]> {
  if (p.entries === null) return ['  Loading scheduler entries…'];
  if (p.entries.length === 0)
    return ['  No scheduler entries (no scheduler is running, or none has registered periodic tasks).'];
  const now = p.now;
  return masterDetailLines<SchedulerEntry, SchedulerEnqueueEvent>({
    columns: [
      {header: 'Entry ID', width: 10, flex: 1, max: 36, priority: 20, cell: (e) => e.id},
      {header: 'Spec', width: 11, flex: 1, max: 24, cell: (e) => e.spec},
      {header: 'Type', width: 8, flex: 1, max: 30, cell: (e) => e.task.type},
      {header: 'Payload', width: 8, flex: 1, priority: 10, cell: (e) => dashPayloadLine(e.task.payload)},
      {header: 'Options', width: 8, flex: 1, priority: 15, cell: (e) => e.options.join(' ')},
      {header: 'Next', width: 10, cell: (e) => dashRelativeTime(e.next, now)},
      {header: 'Prev', width: 10, cell: (e) => (e.prev === null ? 'N/A' : dashRelativeTime(e.prev, now))},
    ],
    rows: p.entries,
    cursor: p.cursor,
    title: (e) => [
      {text: `Recent enqueues of ${e.id}`, ...(p.color ? {bold: true} : {})},
      {text: ` (${e.spec} ${e.task.type})`},
    ],
    subColumns: [
      {header: 'Task ID', width: 10, flex: 1, max: 36, cell: (e) => e.taskId},
      {header: 'Enqueued', width: 10, cell: (e) => dashRelativeTime(e.enqueuedAt, now)},
      {header: 'At', width: 23, priority: 10, cell: (e) => dashUtcTime(e.enqueuedAt)},
    ],
    subRows: () => p.events,
    empty: 'none yet',
    width: p.width,
    height: p.height,
    color: p.color,
  });
}

export function CronView(p: CronViewProps) {
  return <Lines lines={cronViewLines(p)} width={p.width} height={p.height} color={p.color} />;
}
