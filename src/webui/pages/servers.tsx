/** Servers and the tasks their workers are running. */
import type {ServersJson, ServerJson} from '../../web/api-types.js';
import {getJson} from '../api.js';
import {ErrorLine, Loading, Table} from '../components.js';
import {payloadLine, relative, utc} from '../format.js';
import {href, usePoll, useShared} from '../state.js';

type Worker = ServerJson['activeWorkers'][number];

export function ServersPage(): preact.JSX.Element {
  const servers = usePoll('servers', () => getJson<ServersJson>('servers'));
  const {now} = useShared();
  if (servers.data === null) return servers.error ? <ErrorLine error={servers.error} /> : <Loading />;
  const list = [...servers.data].sort((a, b) => (a.host === b.host ? a.pid - b.pid : a.host < b.host ? -1 : 1));
  return (
    <div class="page" data-page="servers">
      <h2>Servers</h2>
      <ErrorLine error={servers.error} />
      <Table
        label="servers"
        rows={list}
        rowKey={(s) => s.id}
        empty="No server is running."
        columns={[
          {title: 'Host', cell: (s) => s.host},
          {title: 'PID', num: true, cell: (s) => s.pid},
          {title: 'State', cell: (s) => s.status},
          {title: 'Active Workers', num: true, cell: (s) => `${s.activeWorkers.length}/${s.concurrency}`},
          {
            title: 'Queues',
            cell: (s) =>
              Object.entries(s.queues)
                .sort(([a], [b]) => (a < b ? -1 : 1))
                .map(([q, p]) => `${q}:${p}`)
                .join(' ') + (s.strictPriority ? ' (strict)' : ''),
          },
          {title: 'Started', cell: (s) => relative(s.startedAt, now)},
          {title: 'ID', className: 'mono', cell: (s) => s.id},
        ]}
      />
      {list.map((s) => (
        <section key={s.id} class="workers">
          <h3>
            Workers of {s.host} pid {s.pid}
          </h3>
          <Table<Worker>
            label={`workers of ${s.id}`}
            rows={s.activeWorkers}
            rowKey={(w) => w.taskId}
            empty="Idle."
            columns={[
              {
                title: 'Task ID',
                className: 'mono',
                cell: (w) => <a href={href(['queues', w.queue, 'tasks', w.taskId])}>{w.taskId}</a>,
              },
              {title: 'Type', cell: (w) => w.taskType},
              {
                title: 'Payload',
                className: 'payload',
                cell: (w) => payloadLine(String(w.taskPayload), w.taskPayloadEncoding),
              },
              {title: 'Queue', cell: (w) => w.queue},
              {title: 'Started', cell: (w) => relative(w.startedAt, now)},
              {title: 'Deadline', cell: (w) => utc(w.deadline)},
            ]}
          />
        </section>
      ))}
    </div>
  );
}
