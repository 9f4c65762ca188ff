/**
 * One page of tasks of a state, with the columns Go's dash shows for that state: retries for
 * active/pending, the next process time for scheduled, the last failure for retry/archived, the
 * completion time and result for completed, the group for aggregating.
 */
import type {TaskState} from '../../../lib/base/states.js';
import type {TaskInfo} from '../../../lib/task.js';
import {Lines} from '../../components/Lines.js';
import {tableLines} from '../../components/table.js';
import {dashPayloadLine} from '../../../cli/format/bytes.js';
import {dashRelativeTime} from '../../../cli/format/time.js';
import type {Column, Segment} from '../../format.js';

export interface TaskTableProps {
  state: TaskState;
  tasks: readonly TaskInfo[] | null;
  cursor: number;
  width: number;
  /** Rows of tasks (the page size); the header adds one line. */
  rows: number;
  color: boolean;
  now: Date;
}

type Col = Column<TaskInfo>;

function idColumn(): Col {
  return {header: 'ID', width: 10, flex: 1, max: 36, cell: (t) => t.id};
}

const typeColumn: Col = {header: 'Type', width: 8, flex: 1, max: 32, cell: (t) => t.type};
const payloadColumn = (priority?: number): Col => ({
  header: 'Payload',
  width: 10,
  flex: 2,
  priority,
  cell: (t) => dashPayloadLine(t.payload),
});
const retried: Col = {header: 'Retried', width: 7, align: 'right', cell: (t) => String(t.retried)};
const maxRetry: Col = {header: 'Max Retry', width: 9, align: 'right', priority: 20, cell: (t) => String(t.maxRetry)};
const retryOf: Col = {header: 'Retry', width: 7, align: 'right', cell: (t) => `${t.retried}/${t.maxRetry}`};

function lastError(color: boolean): Col {
  return {
    header: 'Last Failure',
    width: 12,
    flex: 3,
    cell: (t) => (color && t.lastErr ? [{text: t.lastErr, color: 'red'}] : t.lastErr),
  };
}

/** The columns of a state's table (Go dash's set, with relative times). */
function taskColumns(state: TaskState, now: Date, color: boolean): Col[] {
  const failedAt: Col = {header: 'Failed', width: 10, priority: 30, cell: (t) => dashRelativeTime(t.lastFailedAt, now)};
  const next: Col = {header: 'Next', width: 10, cell: (t) => dashRelativeTime(t.nextProcessAt, now)};
  switch (state) {
    case 'active':
      return [
        idColumn(),
        typeColumn,
        retried,
        maxRetry,
        payloadColumn(10),
        {
          header: 'Lease',
          width: 8,
          priority: 5,
          cell: (t) => (t.isOrphaned ? [{text: 'orphaned', ...(color ? {color: 'yellow'} : {})}] : 'ok'),
        },
      ];
    case 'pending':
      return [idColumn(), typeColumn, retried, maxRetry, payloadColumn(10)];
    case 'aggregating':
      return [
        idColumn(),
        typeColumn,
        payloadColumn(10),
        {header: 'Group', width: 8, flex: 1, max: 24, cell: (t) => t.group},
      ];
    case 'scheduled':
      return [idColumn(), typeColumn, {...next, header: 'Process'}, payloadColumn(10)];
    case 'retry':
      return [idColumn(), typeColumn, retryOf, lastError(color), failedAt, next, payloadColumn(10)];
    case 'archived':
      return [idColumn(), typeColumn, retryOf, lastError(color), failedAt, payloadColumn(10)];
    case 'completed':
      return [
        idColumn(),
        typeColumn,
        {header: 'Completed', width: 10, cell: (t) => dashRelativeTime(t.completedAt, now)},
        payloadColumn(10),
        {
          header: 'Result',
          width: 8,
          flex: 1,
          priority: 15,
          cell: (t) => (t.result === null ? '' : dashPayloadLine(t.result)),
        },
      ];
  }
}

export function taskTableLines(p: TaskTableProps): Array<string | Segment[]> {
  if (p.tasks === null) return ['  Loading…'];
  const cols = taskColumns(p.state, p.now, p.color);
  const t = tableLines(cols, p.tasks, {width: p.width, visible: p.rows, cursor: p.cursor, color: p.color});
  if (p.tasks.length === 0) return [t.header, `  No ${p.state} tasks.`];
  return [t.header, ...t.rows];
}

export function TaskTable(p: TaskTableProps) {
  return <Lines lines={taskTableLines(p)} width={p.width} height={p.rows + 1} color={p.color} />;
}
