/**
 * The dashboard: wires the state machine (state.ts), the data hook over a DashSource
 * (use-dash-data.ts), what is on screen (select.ts) and the views. It draws exactly rows − 1
 * lines of at most `columns` characters, so Ink rewrites the frame in place (no scrolling, no
 * full-screen clears) and a resize just redraws.
 */
import {Box, useApp, useInput} from 'ink';
import {useEffect, useReducer, useRef} from 'react';
import {isRedisUnavailable} from '../../lib/errors.js';
import {AsynqError, RedisUnavailableError, redact} from '../../lib/errors.js';
import {Lines} from '../components/Lines.js';
import {useDashData} from '../hooks/use-dash-data.js';
import {useWindowSize} from '../hooks/use-window-size.js';
import {executeAction} from './actions.js';
import {dashQuery} from './fetch.js';
import {MIN_COLUMNS, MIN_ROWS, screenSizes, selectScreen} from './select.js';
import type {DashSource} from './source.js';
import {initialDashState, keyToAction, reduceDash, splitKeys, type DashAction, type DashState} from './state.js';
import {CronView} from './views/CronView.js';
import {HelpView} from './views/HelpView.js';
import {QueueTable} from './views/QueueTable.js';
import {QueueView} from './views/QueueView.js';
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

/** One line for an error in the status line, without secrets. */
export function statusLineError(err: unknown): string {
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

export function App(props: AppProps) {
  const {source, refreshMs, target = '', color = false} = props;
  const {exit} = useApp();
  const size = useWindowSize({columns: props.columns, rows: props.rows});
  const [state, dispatch] = useReducer(reduceDash, undefined, initialDashState);
  const stateRef = useRef<DashState>(state);
  stateRef.current = state;
  const mounted = useRef(true);
  useEffect(
    () => () => {
      mounted.current = false;
    },
    [],
  );

  const now = (props.now ?? (() => new Date()))();
  const sizes = screenSizes(size.columns, size.rows);
  const {width, content, pageSize} = sizes;
  const query = dashQuery(state, sizes);
  const {latest, poll} = useDashData(source, query, refreshMs, {refreshToken: state.refresh, now: props.now});
  const shown = selectScreen(latest, state, sizes);
  const ctxRef = useRef(shown.keyContext);
  ctxRef.current = shown.keyContext;

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
          (err: unknown) => send({type: 'actionFailed', request, text: statusLineError(err)}),
        );
      }
    }
  });

  // A page past the end (tasks were run, archived or deleted): go back to the last page.
  useEffect(() => {
    if (shown.backToPage !== null) send({type: 'page', page: shown.backToPage});
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shown.emptyPage, shown.total, pageSize]);

  // The cursor keeps to its task across refreshes (the reducer checks the read is of the page on display).
  const shownTasks = shown.tasks;
  const shownQueue = state.queue;
  useEffect(() => {
    const q = shownQueue;
    if (shownTasks === null || q === null) return;
    send({
      type: 'tasksShown',
      queue: q.name,
      tab: q.tab,
      group: q.group,
      page: q.page,
      ids: shownTasks.map((t) => t.id),
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shownTasks]);

  let body;
  if (sizes.tooSmall) {
    body = (
      <Lines
        lines={[`Too small: ${size.columns}×${size.rows}, need ${MIN_COLUMNS}×${MIN_ROWS}`]}
        width={width}
        height={content}
        color={color}
      />
    );
  } else if (state.help) {
    body = <HelpView width={width} height={content} color={color} />;
  } else if (state.section === 'servers') {
    body = (
      <ServersView
        servers={shown.servers}
        cursor={state.servers.cursor}
        width={width}
        height={content}
        color={color}
        now={now}
      />
    );
  } else if (state.section === 'cron') {
    body = (
      <CronView
        entries={shown.cronEntries}
        events={shown.cronEvents}
        cursor={state.cron.cursor}
        width={width}
        height={content}
        color={color}
        now={now}
      />
    );
  } else if (state.queue !== null) {
    body = (
      <QueueView
        screen={state.queue}
        info={shown.info}
        history={shown.history}
        tasks={shown.tasks}
        cursor={shown.taskCursor}
        groups={shown.groups}
        detail={shown.detail}
        series={shown.queueSeries}
        pageSize={pageSize}
        width={width}
        height={content}
        color={color}
        now={now}
      />
    );
  } else {
    body = (
      <QueueTable
        queues={shown.queues}
        totalQueues={shown.totalQueues}
        cursor={state.queues.cursor}
        sort={state.queues.sort}
        desc={state.queues.desc}
        filter={state.queues.draft ?? state.queues.filter}
        width={width}
        height={content}
        color={color}
        loading={shown.loadingQueues}
        broken={shown.brokenQueues}
        rates={shown.rates}
        series={shown.systemSeries}
      />
    );
  }

  return (
    <Box flexDirection="column" width={width} height={sizes.height} overflow="hidden">
      <TitleBar section={state.section} target={target} queue={state.queue?.name ?? null} width={width} color={color} />
      {body}
      <StatusBar
        state={state}
        pollError={poll.error === undefined ? undefined : statusLineError(poll.error)}
        updatedAt={poll.updatedAt}
        refreshMs={refreshMs}
        width={width}
        color={color}
      />
    </Box>
  );
}
