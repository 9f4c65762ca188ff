/** A queue: its figures and history, a tab per state with counts, the paged task table, search. */
import {useMemo, useRef, useState} from 'preact/hooks';
import {dashErrorRate, dashRate} from '../../cli/format/number.js';
import type {
  GroupsJson,
  QueueHistoryJson,
  QueueInfoJson,
  SearchJson,
  TaskJson,
  TaskPageJson,
  TaskState,
} from '../../web/api-types.js';
import {ApiError, getJson, seg} from '../api.js';
import {Chart, ErrorLine, Figures, Loading, STATE_ORDER, Table, type Column} from '../components.js';
import {byteCount, count, duration, payloadLine, relative, utc} from '../format.js';
import {href, useAction, usePoll, useShared, type Route} from '../state.js';
import {QueueButtons} from './queue-actions.js';
import {useLiveRates} from './queues.js';
import {bulkAction, bulkActions, bulkVerb, taskAction, taskActions, VERB} from './task-actions.js';

const PAGE_SIZE = 20;
/** Matches a search gathers before it waits for "Look further". */
const SEARCH_PAGE = 30;
/** Requests a search makes by itself at most (each bounded by the server: 1,000 tasks, 200 ms). */
const SEARCH_ROUNDS = 10;

function isState(s: string | null): s is TaskState {
  return s !== null && (STATE_ORDER as readonly string[]).includes(s);
}

/** The columns of `asynq task ls` for each state (Go's), plus the row's actions. */
function taskColumns(
  queue: string,
  state: TaskState,
  now: number,
  actions: (t: TaskJson) => preact.JSX.Element | null,
) {
  const id: Column<TaskJson> = {
    title: 'ID',
    className: 'mono',
    cell: (t) => (
      <a class="task-link" href={href(['queues', queue, 'tasks', t.id])}>
        {t.id}
      </a>
    ),
  };
  const type: Column<TaskJson> = {title: 'Type', cell: (t) => t.type};
  const payload: Column<TaskJson> = {
    title: 'Payload',
    className: 'payload',
    cell: (t) => payloadLine(String(t.payload), t.payloadEncoding),
  };
  const base = [id, type, payload];
  const extra: Record<TaskState, Column<TaskJson>[]> = {
    active: [],
    pending: [],
    scheduled: [{title: 'Process In', cell: (t) => relative(t.nextProcessAt, now)}],
    retry: [
      {title: 'Next Retry', cell: (t) => relative(t.nextProcessAt, now)},
      {title: 'Last Error', className: 'err', cell: (t) => t.lastErr},
      {title: 'Last Failed', cell: (t) => relative(t.lastFailedAt, now)},
      {title: 'Retried', num: true, cell: (t) => t.retried},
      {title: 'Max Retry', num: true, cell: (t) => t.maxRetry},
    ],
    archived: [
      {title: 'Last Failed', cell: (t) => relative(t.lastFailedAt, now)},
      {title: 'Last Error', className: 'err', cell: (t) => t.lastErr},
    ],
    completed: [
      {title: 'CompletedAt', cell: (t) => utc(t.completedAt)},
      {
        title: 'Result',
        className: 'payload',
        cell: (t) => payloadLine(t.result === null ? null : String(t.result), t.resultEncoding),
      },
    ],
    aggregating: [{title: 'Group', cell: (t) => t.group}],
  };
  return [...base, ...extra[state], {title: 'Actions', cell: actions}];
}

export function QueuePage(props: {queue: string; route: Route}): preact.JSX.Element {
  const {queue, route} = props;
  const {session} = useShared();
  const act = useAction();
  const state: TaskState = isState(route.query.get('state')) ? (route.query.get('state') as TaskState) : 'active';
  const page = Math.max(1, Number(route.query.get('page') ?? '1') || 1);
  const group = route.query.get('group') ?? '';
  const go = (q: Record<string, string | number | undefined>): void => {
    location.hash = href(['queues', queue], {state, page: 1, group: group || undefined, ...q});
  };

  const info = usePoll(`q:${queue}`, () => getJson<QueueInfoJson>(`queues/${seg(queue)}`));
  const history = usePoll(`h:${queue}`, () => getJson<QueueHistoryJson>(`queues/${seg(queue)}/history`, {days: 14}), {
    everyTicks: 15,
  });
  const groups = usePoll(`g:${queue}`, () => getJson<GroupsJson>(`queues/${seg(queue)}/groups`));
  const needGroup = state === 'aggregating' && group === '';
  const tasks = usePoll(`t:${queue}:${state}:${page}:${group}`, () =>
    needGroup
      ? Promise.resolve<TaskPageJson>({tasks: [], page, size: PAGE_SIZE, total: 0})
      : getJson<TaskPageJson>(`queues/${seg(queue)}/tasks`, {
          state,
          page,
          size: PAGE_SIZE,
          group: state === 'aggregating' ? group : undefined,
        }),
  );
  const infoList = useMemo(() => (info.data === null ? null : [info.data]), [info.data]);
  const {rates} = useLiveRates(infoList);
  const [search, setSearch] = useState<{
    q: string;
    state: TaskState;
    tasks: TaskJson[];
    cursor: string | null;
    scanned: number;
    busy: boolean;
    error: ApiError | null;
  } | null>(null);
  const [text, setText] = useState('');
  const searchSeqRef = useRef(0);

  /**
   * Searches from `cursor` and goes on by itself (the server bounds each request) until it has
   * SEARCH_PAGE more matches, reached the end, or made SEARCH_ROUNDS requests; "Look further" goes on
   * from there. A newer search or Clear drops the answers of an older one.
   */
  const runSearch = (q: string, cursor: string | null, before: TaskJson[], scannedBefore: number): void => {
    const n = ++searchSeqRef.current;
    const want = before.length + SEARCH_PAGE;
    const step = (cur: string | null, tasks: TaskJson[], scanned: number, round: number): void => {
      setSearch({q, state, tasks, cursor: cur, scanned, busy: true, error: null});
      getJson<SearchJson>(`queues/${seg(queue)}/search`, {state, q, cursor: cur}).then(
        (r) => {
          if (n !== searchSeqRef.current) return;
          const all = [...tasks, ...r.tasks];
          if (r.cursor !== null && all.length < want && round + 1 < SEARCH_ROUNDS)
            return step(r.cursor, all, scanned + r.scanned, round + 1);
          setSearch({q, state, tasks: all, cursor: r.cursor, scanned: scanned + r.scanned, busy: false, error: null});
        },
        (e: unknown) => {
          if (n !== searchSeqRef.current) return;
          const error = e instanceof ApiError ? e : new ApiError(0, 'CLIENT', String(e));
          setSearch({q, state, tasks, cursor: cur, scanned, busy: false, error});
        },
      );
    };
    step(cursor, before, scannedBefore, 0);
  };

  if (info.data === null) return info.error ? <ErrorLine error={info.error} /> : <Loading />;
  const q = info.data;
  const now = Date.parse(q.timestamp);
  const rate = rates[queue] ?? null;
  const rowActions = (t: TaskJson): preact.JSX.Element | null =>
    session.readOnly ? null : (
      <span class="buttons">
        {taskActions(t.state).map((a) => (
          <button
            key={a}
            type="button"
            class={a === 'delete' ? 'danger small' : 'small'}
            onClick={() => act(taskAction(queue, t.id, a))}
          >
            {VERB[a]}
          </button>
        ))}
      </span>
    );
  const columns = taskColumns(queue, state, now, rowActions);
  const total = tasks.data?.total ?? (state === 'aggregating' ? 0 : q[state]);
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const days = [...(history.data?.days ?? [])].reverse();
  const searching = search !== null && search.state === state;

  return (
    <div class="page" data-page="queue">
      <nav class="crumbs">
        <a href="#/">Queues</a> › <span class="queue-name">{queue}</span>
      </nav>
      <div class="title-row">
        <h2>
          Queue <span class="queue-name">{queue}</span>{' '}
          {q.paused ? <span class="badge paused">paused</span> : <span class="badge run">run</span>}
        </h2>
        <QueueButtons queue={q} afterRemove={() => (location.hash = '#/')} />
      </div>
      <ErrorLine error={info.error} />
      <Figures
        items={[
          ['Size', count(q.size)],
          ['Groups', count(q.groups)],
          ['Latency', duration(q.latencyMs)],
          ['Memory', byteCount(q.memoryUsageBytes)],
          ['Processed today', count(q.processed)],
          ['Failed today', count(q.failed)],
          ['Error rate', dashErrorRate(q.processed, q.failed)],
          ['Processed/s', dashRate(rate?.processed ?? null)],
          ['Failed/s', dashRate(rate?.failed ?? null)],
        ]}
      />
      <Chart
        title="Processed and failed per day (UTC)"
        bars
        height={150}
        x={days.map((d) => Date.parse(`${d.date}T00:00:00Z`) / 1000)}
        series={[
          {label: 'processed', color: 'processed', values: days.map((d) => d.processed)},
          {label: 'failed', color: 'failed', values: days.map((d) => d.failed)},
        ]}
      />
      <div class="tabs" role="tablist">
        {STATE_ORDER.map((s) => (
          <a
            key={s}
            role="tab"
            aria-selected={s === state}
            class={s === state ? 'tab active' : 'tab'}
            href={href(['queues', queue], {state: s, group: s === 'aggregating' ? group || undefined : undefined})}
          >
            {s} <span class="tab-count">{count(q[s])}</span>
          </a>
        ))}
      </div>
      <div class="toolbar">
        {state === 'aggregating' ? (
          <label class="picker">
            Group{' '}
            <select value={group} onChange={(e) => go({group: e.currentTarget.value || undefined})}>
              <option value="">choose a group…</option>
              {(groups.data ?? []).map((g) => (
                <option key={g.group} value={g.group}>
                  {`${g.group} (${g.size})`}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <form
          class="search"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            if (text.trim() === '') {
              searchSeqRef.current++;
              setSearch(null);
            } else runSearch(text, null, [], 0);
          }}
        >
          <input
            type="search"
            name="q"
            placeholder={`Search ${state} tasks: ID, type prefix, payload text`}
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
          />
          <button type="submit">Search</button>
          {searching ? (
            <button
              type="button"
              onClick={() => {
                searchSeqRef.current++;
                setSearch(null);
                setText('');
              }}
            >
              Clear
            </button>
          ) : null}
        </form>
        {!session.readOnly && !searching && total > 0 && !needGroup ? (
          <span class="buttons bulk">
            {bulkActions(state).map((b) => (
              <button
                key={b}
                type="button"
                class={b === 'deleteall' ? 'danger' : undefined}
                onClick={() => act(bulkAction(queue, state, total, b, state === 'aggregating' ? group : undefined))}
              >
                {bulkVerb(b)} ({count(total)})
              </button>
            ))}
          </span>
        ) : null}
      </div>
      {searching ? (
        <section class="search-results" aria-label="search results">
          <p class="muted">
            {search.busy ? 'Searching… ' : ''}
            {`${search.tasks.length} ${search.tasks.length === 1 ? 'match' : 'matches'} for "${search.q}" among ${search.scanned} ${state} tasks looked at`}
            {search.cursor === null && !search.busy ? ' (all looked at)' : ''}
          </p>
          <ErrorLine error={search.error} />
          <Table
            label="search results"
            columns={columns}
            rows={search.tasks}
            rowKey={(t) => t.id}
            empty={search.busy ? 'Searching…' : 'No match.'}
          />
          {search.cursor !== null && !search.busy ? (
            <button type="button" onClick={() => runSearch(search.q, search.cursor, search.tasks, search.scanned)}>
              Look further
            </button>
          ) : null}
        </section>
      ) : (
        <section aria-label={`${state} tasks`}>
          <ErrorLine error={tasks.error} />
          {needGroup ? (
            <p class="muted">Choose a group to see its tasks.</p>
          ) : (
            <Table
              label={`${state} tasks`}
              columns={columns}
              rows={tasks.data?.tasks ?? []}
              rowKey={(t) => t.id}
              empty={tasks.loading && tasks.data === null ? 'Loading…' : `No ${state} tasks.`}
            />
          )}
          {(tasks.data?.badTasks ?? []).map((b) => (
            <p key={b.id} class="error">
              {`Task ${b.id} cannot be read: ${b.reason}`}
            </p>
          ))}
          <div class="pager">
            <button type="button" disabled={page <= 1} onClick={() => go({page: page - 1})}>
              ‹ Previous
            </button>
            <span>
              Page {page} of {pages}
            </span>
            <button type="button" disabled={page >= pages} onClick={() => go({page: page + 1})}>
              Next ›
            </button>
          </div>
        </section>
      )}
    </div>
  );
}
