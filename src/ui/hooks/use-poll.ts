/**
 * usePoll: fetch, wait `intervalMs` after the fetch settles, fetch again (a setTimeout chain, so a
 * slow Redis makes refreshes rarer instead of stacking them).
 *
 * - Never two fetches at once: a new chain (new `key`, `refreshToken` bump, `isActive` back on)
 *   first waits for the fetch still in flight of the previous chain, whose result is dropped.
 * - A new `key` fetches at once; the previous data stays available with its `dataKey`, so the
 *   caller decides what may still be shown.
 * - On error the last good `data` stays and `error` is set until the next success.
 * - Unmount or `isActive: false` aborts (the signal is passed to `fetch`) and stops the chain.
 *
 * `usePollFold` keeps a fold of every good result instead of the last one (a reducer over results,
 * applied in the same state update as the result, so no render sees one without the other).
 */
import {useEffect, useRef, useState} from 'react';

export interface PollOptions {
  intervalMs: number;
  /** Polls only while true (default true). */
  isActive?: boolean;
  /** What is being fetched: a change refetches at once and restarts the chain. */
  key?: string;
  /** Bump to refetch now. */
  refreshToken?: number;
  /** Time source for `updatedAt` (tests). */
  now?: () => Date;
}

export interface PollResult<T> {
  /** Last good data (of `dataKey`), undefined before the first success. */
  data: T | undefined;
  dataKey: string | undefined;
  /** Error of the latest fetch; undefined once a fetch succeeds. */
  error: unknown;
  /** When `data` was fetched. */
  updatedAt: Date | undefined;
  /** A fetch is in flight. */
  isLoading: boolean;
}

export function usePoll<T>(fetch: (signal: AbortSignal) => Promise<T>, opts: PollOptions): PollResult<T> {
  return usePollFold(fetch, replace<T>, opts);
}

function replace<T>(_kept: T | undefined, fetched: T): T {
  return fetched;
}

/** usePoll whose `data` is `fold(kept, fetched)` over every good result (`kept` is undefined at first). */
export function usePollFold<T, D>(
  fetch: (signal: AbortSignal) => Promise<T>,
  fold: (kept: D | undefined, fetched: T) => D,
  opts: PollOptions,
): PollResult<D> {
  const {intervalMs, isActive = true, key = '', refreshToken = 0} = opts;
  const fetchRef = useRef(fetch);
  fetchRef.current = fetch;
  const foldRef = useRef(fold);
  foldRef.current = fold;
  const nowRef = useRef(opts.now);
  nowRef.current = opts.now;
  const inflight = useRef<Promise<unknown> | null>(null);
  const [result, setResult] = useState<PollResult<D>>({
    data: undefined,
    dataKey: undefined,
    error: undefined,
    updatedAt: undefined,
    isLoading: false,
  });

  useEffect(() => {
    if (!isActive) return undefined;
    const ac = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async (): Promise<void> => {
      timer = undefined;
      const previous = inflight.current;
      if (previous !== null)
        await previous.then(
          () => undefined,
          () => undefined,
        );
      if (ac.signal.aborted) return;
      setResult((r) => (r.isLoading ? r : {...r, isLoading: true}));
      const p = Promise.resolve().then(() => fetchRef.current(ac.signal));
      inflight.current = p;
      try {
        const data = await p;
        if (!ac.signal.aborted) {
          const updatedAt = (nowRef.current ?? (() => new Date()))();
          setResult((r) => ({
            data: foldRef.current(r.data, data),
            dataKey: key,
            error: undefined,
            updatedAt,
            isLoading: false,
          }));
        }
      } catch (error) {
        if (!ac.signal.aborted) setResult((r) => ({...r, error, isLoading: false}));
      } finally {
        if (inflight.current === p) inflight.current = null;
      }
      if (!ac.signal.aborted) timer = setTimeout(() => void tick(), intervalMs);
    };
    void tick();
    return () => {
      ac.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [isActive, intervalMs, key, refreshToken]);

  return result;
}
