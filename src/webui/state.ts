/**
 * The page's shared state: the route (from the URL's hash, so that the page works under any base
 * path), the refresh clock (auto-refresh, pausable, with the time of the last successful read),
 * and actions (a confirmation, the request, a message, then a refresh).
 */
import {createContext} from 'preact';
import {useCallback, useContext, useEffect, useRef, useState} from 'preact/hooks';
import type {SessionJson} from '../web/api-types.js';
import {ApiError} from './api.js';

/** A route: the path segments after `#/` (decoded) and the query. */
export interface Route {
  parts: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const h = hash.replace(/^#\/?/, '');
  const q = h.indexOf('?');
  const path = q < 0 ? h : h.slice(0, q);
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  return {parts, query: new URLSearchParams(q < 0 ? '' : h.slice(q + 1))};
}

/** `#/a/b?x=1` from segments (each encoded) and a query (empty values left out). */
export function href(parts: readonly string[], query: Record<string, string | number | undefined> = {}): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return `#/${parts.map(encodeURIComponent).join('/')}${s === '' ? '' : `?${s}`}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = (): void => setRoute(parseHash(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** One confirmation at a time: the question, the button's label, and what to do on yes. */
export interface ConfirmRequest {
  question: string;
  confirm: string;
  danger: boolean;
  onYes: () => void;
}

/** A message after an action (or its error). */
export interface Notice {
  text: string;
  error: boolean;
}

export interface Shared {
  session: SessionJson;
  /** Bumped by every refresh (timer, button, action). */
  tick: number;
  /** The time of the last tick (ms since the epoch): relative times are computed from it. */
  now: number;
  refresh: () => void;
  /** Called by each successful read. */
  markUpdated: () => void;
  ask: (c: ConfirmRequest | null) => void;
  notify: (n: Notice) => void;
}

export const SharedContext = createContext<Shared | null>(null);

export function useShared(): Shared {
  const s = useContext(SharedContext);
  if (s === null) throw new Error('SharedContext missing');
  return s;
}

export interface Poll<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
}

/**
 * Reads `load()` now, whenever `key` changes and at every refresh tick (or every `everyTicks`). The last data stays shown
 * while a new read is under way and when a read fails (the error is shown beside it); answers that
 * arrive after a newer read has started are dropped.
 */
export function usePoll<T>(key: string, load: () => Promise<T>, opts: {everyTicks?: number} = {}): Poll<T> {
  const {tick: allTicks, markUpdated} = useShared();
  // Slow-changing data (daily history) is read again only every `everyTicks` refreshes.
  const tick = Math.floor(allTicks / (opts.everyTicks ?? 1));
  const [state, setState] = useState<Poll<T>>({data: null, error: null, loading: true});
  const seqRef = useRef(0);
  const loadRef = useRef(load);
  const lastKeyRef = useRef(key);
  useEffect(() => {
    loadRef.current = load;
  });
  useEffect(() => {
    const n = ++seqRef.current;
    const keyChanged = lastKeyRef.current !== key;
    lastKeyRef.current = key;
    setState((s) => ({data: keyChanged ? null : s.data, error: keyChanged ? null : s.error, loading: true}));
    loadRef.current().then(
      (data) => {
        if (n !== seqRef.current) return;
        setState({data, error: null, loading: false});
        markUpdated();
      },
      (e: unknown) => {
        if (n !== seqRef.current) return;
        const err = e instanceof ApiError ? e : new ApiError(0, 'CLIENT', String(e));
        setState((s) => ({data: s.data, error: err, loading: false}));
      },
    );
  }, [key, tick, markUpdated]);
  return state;
}

/**
 * Runs an action: asks first when `question` is given, then posts, shows the answer's message and
 * refreshes. Resolves true when the action ran and succeeded.
 */
export function useAction(): (a: {
  question?: string;
  confirm?: string;
  danger?: boolean;
  run: () => Promise<string>;
  after?: () => void;
}) => void {
  const {ask, notify, refresh} = useShared();
  return useCallback(
    (a) => {
      const go = (): void => {
        a.run().then(
          (msg) => {
            notify({text: msg, error: false});
            a.after?.();
            refresh();
          },
          (e: unknown) => {
            notify({text: e instanceof Error ? e.message : String(e), error: true});
            refresh();
          },
        );
      };
      if (a.question === undefined) go();
      else ask({question: a.question, confirm: a.confirm ?? 'Yes', danger: a.danger ?? false, onYes: go});
    },
    [ask, notify, refresh],
  );
}
