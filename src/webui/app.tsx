/** The page: session (login), navigation, the refresh bar, the routed page, dialogs and messages. */
import {useCallback, useEffect, useMemo, useState} from 'preact/hooks';
import type {SessionJson} from '../web/api-types.js';
import {ApiError, getJson, postJson, rememberSession, setUnauthorizedHandler} from './api.js';
import {Confirm, ErrorLine} from './components.js';
import {clock} from './format.js';
import {CronPage} from './pages/cron.js';
import {LoginPage} from './pages/login.js';
import {QueuePage} from './pages/queue.js';
import {QueuesPage} from './pages/queues.js';
import {RedisPage} from './pages/redis.js';
import {ServersPage} from './pages/servers.js';
import {TaskPage} from './pages/task.js';
import {SharedContext, useRoute, type ConfirmRequest, type Notice, type Route, type Shared} from './state.js';

const INTERVALS = [1, 2, 5, 10, 30] as const;

function Page(props: {route: Route}): preact.JSX.Element {
  const [top, a, b, c] = props.route.parts;
  if (top === 'queues' && a !== undefined && b === 'tasks' && c !== undefined)
    return <TaskPage key={`${a}/${c}`} queue={a} id={c} />;
  if (top === 'queues' && a !== undefined) return <QueuePage key={a} queue={a} route={props.route} />;
  if (top === 'servers') return <ServersPage />;
  if (top === 'cron') return <CronPage entry={a ?? null} />;
  if (top === 'redis') return <RedisPage />;
  return <QueuesPage />;
}

function Nav(props: {route: Route}) {
  const top = props.route.parts[0] ?? 'queues';
  const link = (path: string, name: string, label: string) => (
    <a
      href={path}
      class={top === name ? 'nav-link active' : 'nav-link'}
      aria-current={top === name ? 'page' : undefined}
    >
      {label}
    </a>
  );
  return (
    <nav class="nav">
      {link('#/', 'queues', 'Queues')}
      {link('#/servers', 'servers', 'Servers')}
      {link('#/cron', 'cron', 'Scheduler')}
      {link('#/redis', 'redis', 'Redis')}
    </nav>
  );
}

function Dashboard(props: {session: SessionJson; onSession: (s: SessionJson) => void}) {
  const route = useRoute();
  const [{tick, now}, setClock] = useState(() => ({tick: 0, now: Date.now()}));
  const [paused, setPaused] = useState(false);
  const [every, setEvery] = useState(2);
  const [updated, setUpdated] = useState<Date | null>(null);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);

  useEffect(() => {
    if (paused) return;
    const t = setInterval(() => setClock((c) => ({tick: c.tick + 1, now: Date.now()})), every * 1000);
    return () => clearInterval(t);
  }, [paused, every]);
  useEffect(() => {
    if (notice === null || notice.error) return;
    const t = setTimeout(() => setNotice(null), 6000);
    return () => clearTimeout(t);
  }, [notice]);

  const refresh = useCallback(() => setClock((c) => ({tick: c.tick + 1, now: Date.now()})), []);
  const markUpdated = useCallback(() => setUpdated(new Date()), []);
  const shared = useMemo<Shared>(
    () => ({session: props.session, tick, now, refresh, markUpdated, ask: setConfirm, notify: setNotice}),
    [props.session, tick, now, refresh, markUpdated],
  );
  const logout = (): void => {
    postJson<SessionJson>('logout').then(props.onSession, (e: unknown) =>
      setNotice({text: e instanceof Error ? e.message : String(e), error: true}),
    );
  };

  return (
    <SharedContext.Provider value={shared}>
      <header class="top">
        <h1>
          <a href="#/">asynq</a>
        </h1>
        <Nav route={route} />
        <div class="refresh" aria-label="refresh">
          <span class="updated" data-updated={updated === null ? '' : String(updated.getTime())}>
            {updated === null ? 'not updated yet' : `updated at ${clock(updated)}`}
            {paused ? ' (paused)' : ''}
          </span>
          <select
            aria-label="refresh interval"
            value={String(every)}
            onChange={(e) => setEvery(Number(e.currentTarget.value))}
          >
            {INTERVALS.map((s) => (
              <option key={s} value={String(s)}>{`every ${s}s`}</option>
            ))}
          </select>
          <button type="button" class="pause" aria-pressed={paused} onClick={() => setPaused((p) => !p)}>
            {paused ? 'Resume updates' : 'Pause updates'}
          </button>
          <button type="button" onClick={refresh}>
            Refresh
          </button>
          {props.session.readOnly ? <span class="badge readonly">read-only</span> : null}
          {props.session.authRequired ? (
            <span class="user">
              {props.session.user ?? ''}{' '}
              <button type="button" class="logout" onClick={logout}>
                Log out
              </button>
            </span>
          ) : null}
        </div>
      </header>
      {notice !== null ? (
        <div class={notice.error ? 'notice error' : 'notice'} role="status">
          <span>{notice.text}</span>
          <button type="button" class="small" aria-label="dismiss" onClick={() => setNotice(null)}>
            ×
          </button>
        </div>
      ) : null}
      <main>
        <Page route={route} />
      </main>
      {confirm !== null ? (
        <Confirm
          question={confirm.question}
          confirm={confirm.confirm}
          danger={confirm.danger}
          onNo={() => setConfirm(null)}
          onYes={() => {
            setConfirm(null);
            confirm.onYes();
          }}
        />
      ) : null}
    </SharedContext.Provider>
  );
}

export function App(): preact.JSX.Element {
  const [session, setSession] = useState<SessionJson | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const load = useCallback(() => {
    getJson<SessionJson>('session').then(
      (s) => {
        rememberSession(s);
        setSession(s);
        setError(null);
      },
      (e: unknown) => setError(e instanceof ApiError ? e : new ApiError(0, 'CLIENT', String(e))),
    );
  }, []);
  useEffect(() => {
    setUnauthorizedHandler(load);
    load();
  }, [load]);
  const onSession = useCallback((s: SessionJson) => {
    rememberSession(s);
    setSession(s);
  }, []);
  if (session === null)
    return error === null ? (
      <p class="muted">Loading…</p>
    ) : (
      <div class="page">
        <ErrorLine error={error} />
        <button type="button" onClick={load}>
          Try again
        </button>
      </div>
    );
  if (!session.authenticated) return <LoginPage session={session} onLogin={onSession} />;
  return <Dashboard session={session} onSession={onSession} />;
}
