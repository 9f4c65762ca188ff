/** A task: its fields, payload and result (JSON, text or hex), error, retries, deadlines, headers. */
import type {TaskJson} from '../../web/api-types.js';
import {getJson, seg} from '../api.js';
import {Bytes, ErrorLine, Loading} from '../components.js';
import {duration, relative, utc} from '../format.js';
import {href, useAction, usePoll, useShared} from '../state.js';
import {taskAction, taskActions, VERB} from './task-actions.js';

function Field(props: {name: string; children: preact.ComponentChildren}) {
  return (
    <>
      <dt>{props.name}</dt>
      <dd>{props.children}</dd>
    </>
  );
}

export function TaskPage(props: {queue: string; id: string}): preact.JSX.Element {
  const {queue, id} = props;
  const {session, now} = useShared();
  const act = useAction();
  const task = usePoll(`task:${queue}:${id}`, () => getJson<TaskJson>(`queues/${seg(queue)}/tasks/${seg(id)}`));
  const crumbs = (
    <nav class="crumbs">
      <a href="#/">Queues</a> › <a href={href(['queues', queue])}>{queue}</a> › <span class="mono">{id}</span>
    </nav>
  );
  if (task.data === null)
    return (
      <div class="page" data-page="task">
        {crumbs}
        {task.error ? <ErrorLine error={task.error} /> : <Loading />}
      </div>
    );
  const t = task.data;
  const back = href(['queues', queue], {state: t.state});
  return (
    <div class="page" data-page="task">
      {crumbs}
      <div class="title-row">
        <h2>
          Task <span class="mono">{t.id}</span> <span class={`badge st-${t.state}`}>{t.state}</span>
        </h2>
        {session.readOnly ? null : (
          <span class="buttons">
            {taskActions(t.state).map((a) => (
              <button
                key={a}
                type="button"
                class={a === 'delete' ? 'danger' : undefined}
                onClick={() =>
                  act({...taskAction(queue, t.id, a), after: a === 'delete' ? () => (location.hash = back) : undefined})
                }
              >
                {VERB[a]}
              </button>
            ))}
          </span>
        )}
      </div>
      <ErrorLine error={task.error} />
      <dl class="fields">
        <Field name="Queue">
          <a href={back}>{t.queue}</a>
        </Field>
        <Field name="Type">{t.type}</Field>
        <Field name="State">{t.state}</Field>
        {t.group !== '' ? <Field name="Group">{t.group}</Field> : null}
        <Field name="Retried">{`${t.retried} of ${t.maxRetry}`}</Field>
        <Field name="Next process at">{`${utc(t.nextProcessAt)} (${relative(t.nextProcessAt, now)})`}</Field>
        <Field name="Timeout">{t.timeoutMs > 0 ? duration(t.timeoutMs) : 'none'}</Field>
        <Field name="Deadline">
          {t.deadline === null ? 'none' : `${utc(t.deadline)} (${relative(t.deadline, now)})`}
        </Field>
        {t.state === 'active' ? (
          <Field name="Orphaned">{t.isOrphaned ? 'yes (its server is gone)' : 'no'}</Field>
        ) : null}
        <Field name="Retention">{t.retentionMs > 0 ? duration(t.retentionMs) : 'none'}</Field>
        {t.completedAt !== null ? <Field name="Completed at">{utc(t.completedAt)}</Field> : null}
        <Field name="Last failed at">
          {t.lastFailedAt === null ? '-' : `${utc(t.lastFailedAt)} (${relative(t.lastFailedAt, now)})`}
        </Field>
      </dl>
      {t.lastErr !== '' ? (
        <section>
          <h3>Last error</h3>
          <pre class="errtext">{t.lastErr}</pre>
        </section>
      ) : null}
      <section>
        <h3>Payload</h3>
        <Bytes label="payload" data={String(t.payload)} encoding={t.payloadEncoding} />
      </section>
      {t.result !== null ? (
        <section>
          <h3>Result</h3>
          <Bytes label="result" data={String(t.result)} encoding={t.resultEncoding} />
        </section>
      ) : null}
      <section>
        <h3>Headers</h3>
        {Object.keys(t.headers).length === 0 ? (
          <p class="muted">(none)</p>
        ) : (
          <dl class="fields">
            {Object.entries(t.headers)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([k, v]) => (
                <Field key={k} name={k}>
                  {v}
                </Field>
              ))}
          </dl>
        )}
      </section>
    </div>
  );
}
