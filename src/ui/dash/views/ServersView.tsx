/**
 * Servers screen: live worker servers (host, PID, status, busy workers / concurrency, queues with
 * priorities, fleet-wide limits with their use, uptime) and, below, the tasks the selected server's workers are processing.
 */
import type {LimitInfo, ServerInfo, WorkerInfo} from '../../../lib/inspector.js';
import {Lines} from '../../components/Lines.js';
import {masterDetailLines} from '../../components/table.js';
import {dashPayloadLine} from '../../../cli/format/bytes.js';
import {dashRelativeTime, shortDuration} from '../../../cli/format/time.js';
import type {Segment} from '../../format.js';

export interface ServersViewProps {
  servers: readonly ServerInfo[] | null;
  cursor: number;
  width: number;
  height: number;
  color: boolean;
  now: Date;
}

/** Queues as `name:priority`, highest priority first (Go CLI's order). */
function queuesLabel(queues: Record<string, number>): string {
  return Object.entries(queues)
    .sort(([a, pa], [b, pb]) => pb - pa || (a < b ? -1 : a > b ? 1 : 0))
    .map(([q, p]) => `${q}:${p}`)
    .join(' ');
}

/**
 * A server's limits with their fleet-wide use: `queue:reports 3/5 · email:* 41/50/s` (running out
 * of the cap; starts in the last window out of the rate; `+N waiting` when tasks wait); `-` for none.
 */
function limitsLabel(limits: readonly LimitInfo[] | undefined): string {
  if (!limits || limits.length === 0) return '-';
  return limits
    .map((l) => {
      const m =
        l.match.queue !== undefined
          ? `queue:${l.match.queue}${l.match.type === undefined ? '' : `/${l.match.type}`}`
          : (l.match.type ?? l.scope);
      const use: string[] = [];
      if (l.concurrency !== undefined) use.push(`${l.tokensHeld}/${l.concurrency}`);
      if (l.rate)
        use.push(
          `${l.rateUsed}/${l.rate.count}${l.rate.perMs === 1000 ? '/s' : l.rate.perMs === 60_000 ? '/m' : l.rate.perMs === 3_600_000 ? '/h' : ` per ${shortDuration(l.rate.perMs)}`}`,
        );
      return `${m} ${use.join(' ')}${l.waiting > 0 ? ` +${l.waiting} waiting` : ''}`;
    })
    .join(' · ');
}

function serversViewLines(p: ServersViewProps): Array<string | Segment[]> {
  if (p.servers === null) return ['  Loading servers…'];
  if (p.servers.length === 0)
    return ['  No running servers (a server shows up within 5 s of starting and is gone 30 s after it stops).'];
  const now = p.now;
  return masterDetailLines<ServerInfo, WorkerInfo>({
    columns: [
      {header: 'Host', width: 10, flex: 1, max: 40, cell: (s) => s.host},
      {header: 'PID', width: 7, align: 'right', cell: (s) => String(s.pid)},
      {
        header: 'Status',
        width: 7,
        cell: (s) => (s.status === 'active' || !p.color ? s.status : [{text: s.status, color: 'yellow'}]),
      },
      {header: 'Workers', width: 9, align: 'right', cell: (s) => `${s.activeWorkers.length}/${s.concurrency}`},
      {
        header: 'Queues',
        width: 12,
        flex: 2,
        cell: (s) => `${queuesLabel(s.queues)}${s.strictPriority ? ' (strict)' : ''}`,
      },
      // Only when some server enforces limits (Go servers and most fleets have none).
      ...(p.servers.some((s) => s.limits)
        ? [{header: 'Limits', width: 10, flex: 4, priority: 15, cell: (s: ServerInfo) => limitsLabel(s.limits)}]
        : []),
      {
        header: 'Uptime',
        width: 8,
        align: 'right',
        priority: 10,
        cell: (s) => shortDuration(Math.max(0, now.getTime() - s.started.getTime())),
      },
    ],
    rows: p.servers,
    cursor: p.cursor,
    title: (s) => [{text: `Workers of ${s.host}:${s.pid}`, ...(p.color ? {bold: true} : {})}, {text: ` (${s.id})`}],
    subColumns: [
      {header: 'Task ID', width: 10, flex: 1, max: 36, cell: (x) => x.taskId},
      {header: 'Type', width: 8, flex: 1, max: 30, cell: (x) => x.taskType},
      {header: 'Queue', width: 8, flex: 1, max: 20, cell: (x) => x.queue},
      {header: 'Started', width: 10, cell: (x) => dashRelativeTime(x.started, now)},
      {header: 'Deadline', width: 10, priority: 20, cell: (x) => dashRelativeTime(x.deadline, now)},
      {header: 'Payload', width: 10, flex: 2, priority: 10, cell: (x) => dashPayloadLine(x.taskPayload)},
    ],
    subRows: (s) => s.activeWorkers,
    empty: 'idle',
    width: p.width,
    height: p.height,
    color: p.color,
  });
}

export function ServersView(p: ServersViewProps) {
  return <Lines lines={serversViewLines(p)} width={p.width} height={p.height} color={p.color} />;
}
