/**
 * The dashboard: wires the state machine (state.ts), the polling hook over a DashSource and the
 * views. It draws exactly rows − 1 lines of at most `columns` characters, so Ink rewrites the
 * frame in place (no scrolling, no full-screen clears) and a resize just redraws.
 */
import {Box, useApp, useInput} from 'ink';
import {useEffect, useReducer, useRef} from 'react';
import {isRedisUnavailable} from '../../lib/errors.js';
import {AsynqError, RedisUnavailableError, redact} from '../../lib/errors.js';
import type {GroupInfo, QueueInfo, SchedulerEnqueueEvent, SchedulerEntry, ServerInfo} from '../../lib/inspector.js';
import {Lines} from '../components/Lines.js';
import {masterRows} from '../components/table.js';
import {usePoll} from '../hooks/use-poll.js';
import {useWindowSize} from '../hooks/use-window-size.js';
import {executeAction} from './actions.js';
import {dashQuery, fetchDash, queryKey, type DashData, type QueueQuery} from './fetch.js';
import type {DashSource} from './source.js';
import {initialDashState, keyToAction, reduceDash, splitKeys, visibleQueues, type DashAction, type DashState, type KeyContext} from './state.js';
import {CronView, cronEventRows} from './views/CronView.js';
import {HelpView} from './views/HelpView.js';
import {historyDays} from './views/HistoryChart.js';
import {QueueTable, queueTableRows} from './views/QueueTable.js';
import {QueueView, queuePageSize} from './views/QueueView.js';
import {ServersView} from './views/ServersView.js';
import {StatusBar} from './views/StatusBar.js';
import {TitleBar} from './views/TitleBar.js';

export interface AppProps {
  source: DashSource;
  /** Time between refreshes, ms. */
  refreshMs: number;
  /** Where the data comes from, shown top right (never with a password). */
  target?: string;
  /** Colours (false with NO_COLOR, --no-color or no colour support). */
  color?: boolean;
  /** Fixed terminal size (tests); default: the terminal's, following resizes. */
  columns?: number;
  rows?: number;
  /** Clock for relative times (tests). */
  now?: () => Date;
}

/** Smallest usable terminal. */
export const MIN_COLUMNS = 40;
export const MIN_ROWS = 12;

/** One line for an error in the status line, without secrets. */
export function errorMessage(err: unknown): string {
  const cause = err instanceof Error && err.cause !== undefined ? err.cause : undefined;
  if (err instanceof RedisUnavailableError || isRedisUnavailable(err) || isRedisUnavailable(cause)) {
    const raw = cause ?? err;
    const errno = raw instanceof AsynqError ? undefined : (raw as {code?: unknown}).code;
    return `Redis is unavailable, reconnecting${typeof errno === 'string' ? ` (${errno})` : ''}`;
  }
  if (err instanceof AsynqError) return redact(err.message);
  if (err instanceof Error) return redact(err.message || err.name);
  return redact(String(err));
}

/** The last data of each screen, kept across navigation so a screen never starts blank twice. */
interface Latest {
  queues: QueueInfo[] | null;
  queue: Extract<DashData, {view: 'queue'}> | null;
  groups: {queue: string; groups: GroupInfo[]} | null;
  servers: ServerInfo[] | null;
  cron: {entries: SchedulerEntry[]; entryId: string | null; events: SchedulerEnqueueEvent[]} | null;
}

function sameTasks(a: QueueQuery, b: QueueQuery): boolean {
  return a.queue === b.queue && a.tab === b.tab && a.group === b.group && a.page === b.page && a.pageSize === b.pageSize;
}

export function App(props: AppProps) {
  const {source, refreshMs, target = '', color = false} = props;
  const {exit} = useApp();
  const size = useWindowSize({columns: props.columns, rows: props.rows});
  const [state, dispatch] = useReducer(reduceDash, undefined, initialDashState);
  const stateRef = useRef<DashState>(state);
  stateRef.current = state;
  const mounted = useRef(true);
  useEffect(() => () => {
    mounted.current = false;
  }, []);

  const now = (props.now ?? (() => new Date()))();
  const width = Math.max(1, size.columns);
  const height = Math.max(4, size.rows - 1);
  const content = height - 3;
  const tooSmall = size.columns < MIN_COLUMNS || size.rows < MIN_ROWS;
  const pageSize = queuePageSize(content);
  const query = dashQuery(state, {pageSize, historyDays: historyDays(width), cronEvents: cronEventRows(content)});
  const key = queryKey(query);
  const poll = usePoll((signal) => fetchDash(source, query, signal), {intervalMs: refreshMs, key, refreshToken: state.refresh, now: props.now});

  // Keep the latest data of every screen.
  const latest = useRef<Latest>({queues: null, queue: null, groups: null, servers: null, cron: null});
  const data = poll.data;
  if (data !== undefined) {
    const l = latest.current;
    if (data.view === 'queues' && l.queues !== data.queues) l.queues = data.queues;
    if (data.view === 'queue' && l.queue !== data) {
      l.queue = data;
      if (data.groups !== null) l.groups = {queue: data.query.queue, groups: data.groups};
    }
    if (data.view === 'servers') l.servers = data.servers;
    if (data.view === 'cron') l.cron = data;
  }
  const l = latest.current;

  // What the screens show.
  const screen = state.queue;
  const qd = screen !== null && l.queue !== null && l.queue.query.queue === screen.name ? l.queue : null;
  const info = qd?.info ?? l.queues?.find((q) => q.queue === screen?.name) ?? null;
  const tasksFresh = qd !== null && query.view === 'queue' && sameTasks(qd.query, query);
  const tasks = tasksFresh ? qd.tasks : null;
  const groups = screen !== null && l.groups?.queue === screen.name ? l.groups.groups : null;
  const detail = qd !== null && screen?.detail !== null && qd.query.detail === screen?.detail ? qd.detail : null;
  const shownQueues = visibleQueues(l.queues ?? [], state.queues);
  const cronEntry = l.cron?.entries[Math.min(state.cron.cursor, l.cron.entries.length - 1)];
  const cronEvents = l.cron !== null && cronEntry !== undefined && l.cron.entryId === cronEntry.id ? l.cron.events : null;

  let total: number | null = null;
  if (screen !== null && info !== null) {
    total = screen.tab === 'aggregating' ? (groups?.find((g) => g.group === screen.group)?.size ?? null) : info[screen.tab];
  }
  const paused: Record<string, boolean> = {};
  for (const q of l.queues ?? []) paused[q.queue] = q.paused;
  if (qd !== null) paused[qd.info.queue] = qd.info.paused;
  const ctx: KeyContext = {
    queueNames: shownQueues.map((q) => q.queue),
    paused,
    tasks: tasks?.map((t) => ({id: t.id, state: t.state})) ?? [],
    groups: groups ?? [],
    total,
    pageSize: state.section === 'queues' ? (screen === null ? queueTableRows(content) : pageSize) : masterRows(content, Infinity),
    servers: l.servers?.length ?? 0,
    cronEntries: l.cron?.entries.length ?? 0,
    detail: detail !== null && detail !== 'gone' ? {id: detail.id, state: detail.state} : null,
  };
  const ctxRef = useRef(ctx);
  ctxRef.current = ctx;

  const send = (action: DashAction): void => {
    if (!mounted.current) return;
    stateRef.current = reduceDash(stateRef.current, action); // the next key of a burst sees this one
    dispatch(action);
  };

  useInput((input, k) => {
    for (const [char, press] of splitKeys(input, k)) {
      if (stateRef.current.quit) return;
      const action = keyToAction(char, press, stateRef.current, ctxRef.current);
      if (action === null) continue;
      send(action);
      if (action.type === 'quit') {
        exit();
      } else if (action.type === 'execute') {
        const request = action.request;
        executeAction(source, request).then(
          (text) => send({type: 'actionDone', request, text}),
          (err: unknown) => send({type: 'actionFailed', request, text: errorMessage(err)}),
        );
      }
    }
  });

  // A page past the end (tasks were run, archived or deleted): go back to the last page.
  const emptyPage = tasksFresh && tasks !== null && tasks.length === 0 && screen !== null && screen.page > 1;
  useEffect(() => {
    if (!emptyPage || screen === null) return;
    const last = total === null ? screen.page - 1 : Math.max(1, Math.ceil(total / pageSize));
    if (last < screen.page) send({type: 'page', page: last});
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [emptyPage, total, pageSize]);

  let body;
  if (tooSmall) {
    body = <Lines lines={[`Too small: ${size.columns}×${size.rows}, need ${MIN_COLUMNS}×${MIN_ROWS}`]} width={width} height={content} color={color} />;
  } else if (state.help) {
    body = <HelpView width={width} height={content} color={color} />;
  } else if (state.section === 'servers') {
    body = <ServersView servers={l.servers} cursor={state.servers.cursor} width={width} height={content} color={color} now={now} />;
  } else if (state.section === 'cron') {
    body = <CronView entries={l.cron?.entries ?? null} events={cronEvents} cursor={state.cron.cursor} width={width} height={content} color={color} now={now} />;
  } else if (screen !== null) {
    body = (
      <QueueView
        screen={screen} info={info} history={qd?.history ?? null} tasks={tasks} groups={groups} detail={detail}
        pageSize={pageSize} width={width} height={content} color={color} now={now}
      />
    );
  } else {
    body = (
      <QueueTable
        queues={shownQueues} totalQueues={l.queues?.length ?? 0} cursor={state.queues.cursor} sort={state.queues.sort}
        desc={state.queues.desc} filter={state.queues.draft ?? state.queues.filter} width={width} height={content} color={color}
        loading={l.queues === null}
      />
    );
  }

  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <TitleBar section={state.section} target={target} queue={screen?.name ?? null} width={width} color={color} />
      {body}
      <StatusBar
        state={state} pollError={poll.error === undefined ? undefined : errorMessage(poll.error)} updatedAt={poll.updatedAt}
        refreshMs={refreshMs} width={width} color={color}
      />
    </Box>
  );
}
