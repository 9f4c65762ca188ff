/** Scheduler entries and the enqueue history of one of them. */
import type {CronHistoryJson, CronJson} from '../../web/api-types.js';
import {getJson, seg} from '../api.js';
import {ErrorLine, Loading, Table} from '../components.js';
import {payloadLine, relative, utc} from '../format.js';
import {href, usePoll, useShared} from '../state.js';

function History(props: {entry: string}) {
  const {now} = useShared();
  const h = usePoll(`cron:${props.entry}`, () =>
    getJson<CronHistoryJson>(`cron/${seg(props.entry)}/history`, {page: 1, size: 50}),
  );
  return (
    <section class="cron-history" aria-label="enqueue history">
      <h3>
        Enqueue history of <span class="mono">{props.entry}</span>
      </h3>
      <ErrorLine error={h.error} />
      {h.data === null ? (
        h.error ? null : (
          <Loading />
        )
      ) : (
        <Table
          label="enqueue history"
          rows={h.data.events}
          rowKey={(e) => `${e.taskId}@${e.enqueuedAt}`}
          empty="Nothing enqueued yet."
          columns={[
            {title: 'TaskID', className: 'mono', cell: (e) => e.taskId},
            {title: 'EnqueuedAt', cell: (e) => `${utc(e.enqueuedAt)} (${relative(e.enqueuedAt, now)})`},
          ]}
        />
      )}
    </section>
  );
}

export function CronPage(props: {entry: string | null}): preact.JSX.Element {
  const cron = usePoll('cron', () => getJson<CronJson>('cron'));
  const {now} = useShared();
  if (cron.data === null) return cron.error ? <ErrorLine error={cron.error} /> : <Loading />;
  return (
    <div class="page" data-page="cron">
      <h2>Scheduler entries</h2>
      <ErrorLine error={cron.error} />
      <Table
        label="scheduler entries"
        rows={cron.data}
        rowKey={(e) => e.id}
        empty="No scheduler is running."
        columns={[
          {
            title: 'EntryID',
            className: 'mono',
            cell: (e) => (
              <a href={href(['cron', e.id])} aria-current={e.id === props.entry ? 'true' : undefined}>
                {e.id}
              </a>
            ),
          },
          {title: 'Spec', cell: (e) => e.spec},
          {title: 'Type', cell: (e) => e.taskType},
          {
            title: 'Payload',
            className: 'payload',
            cell: (e) => payloadLine(String(e.taskPayload), e.taskPayloadEncoding),
          },
          {title: 'Options', cell: (e) => e.options.join(', ')},
          {title: 'Next', cell: (e) => relative(e.nextEnqueueAt, now)},
          {title: 'Prev', cell: (e) => relative(e.prevEnqueueAt, now)},
        ]}
      />
      {props.entry !== null ? (
        <History entry={props.entry} />
      ) : (
        <p class="muted">Choose an entry to see what it enqueued.</p>
      )}
    </div>
  );
}
