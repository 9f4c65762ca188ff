import {Text} from 'ink';
import {render} from 'ink-testing-library';
import {createElement} from 'react';
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest';
import {usePoll, usePollFold, type PollOptions, type PollResult} from '../../../src/ui/hooks/use-poll.js';

type Fetch = (signal: AbortSignal) => Promise<number>;

/** Renders usePoll and records every result it returns. */
function mount(fetch: Fetch, opts: PollOptions) {
  const results: Array<PollResult<number>> = [];
  const Probe = (p: {fetch: Fetch; opts: PollOptions}) => {
    const r = usePoll(p.fetch, p.opts);
    results.push(r);
    return createElement(
      Text,
      null,
      `data=${r.data ?? '-'} key=${r.dataKey ?? '-'} error=${r.error instanceof Error ? r.error.message : '-'}`,
    );
  };
  const r = render(createElement(Probe, {fetch, opts}));
  return {
    ...r,
    results,
    last: () => results[results.length - 1]!,
    update: (o: PollOptions, f: Fetch = fetch) => r.rerender(createElement(Probe, {fetch: f, opts: o})),
  };
}

/** A fetch whose calls stay pending until resolved by the test; tracks concurrency. */
function deferredFetch() {
  const pending: Array<{resolve: (v: number) => void; reject: (e: Error) => void; signal: AbortSignal}> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const fetch: Fetch = (signal) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    return new Promise<number>((resolve, reject) => pending.push({resolve, reject, signal})).finally(() => {
      inFlight--;
    });
  };
  return {
    fetch,
    pending,
    get maxInFlight() {
      return maxInFlight;
    },
  };
}

// React runs effects from its scheduler on setImmediate (not faked): let it run around each advance.
const settle = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
};
const flush = async (ms = 0): Promise<void> => {
  await settle();
  await vi.advanceTimersByTimeAsync(ms);
  await settle();
};

beforeEach(() => {
  vi.useFakeTimers({toFake: ['setTimeout', 'clearTimeout']});
});
afterEach(() => {
  vi.useRealTimers();
});

describe('usePoll', () => {
  it('fetches at once, then once per interval after each fetch settles', async () => {
    let n = 0;
    const p = mount(async () => ++n, {intervalMs: 100});
    await flush();
    expect(n).toBe(1);
    expect(p.last()).toMatchObject({data: 1, isLoading: false, error: undefined});
    await flush(99);
    expect(n).toBe(1);
    await flush(1);
    expect(n).toBe(2);
    await flush(300);
    expect(n).toBe(5);
    expect(p.lastFrame()).toBe('data=5 key= error=-');
    p.unmount();
  });

  it('never starts a fetch while one is in flight: a slow fetch delays the next instead of stacking', async () => {
    const d = deferredFetch();
    const p = mount(d.fetch, {intervalMs: 50});
    await flush(1000);
    expect(d.pending).toHaveLength(1);
    d.pending[0]!.resolve(7);
    await flush();
    expect(p.last().data).toBe(7);
    expect(d.pending).toHaveLength(1);
    await flush(50);
    expect(d.pending).toHaveLength(2);
    expect(d.maxInFlight).toBe(1);
    p.unmount();
  });

  it('on a new key, waits for the fetch in flight, drops its result and fetches for the new key at once', async () => {
    const d = deferredFetch();
    const p = mount(d.fetch, {intervalMs: 1000, key: 'a'});
    await flush();
    p.update({intervalMs: 1000, key: 'b'});
    await flush(10);
    expect(d.pending).toHaveLength(1); // 'a' still in flight: no second fetch yet
    expect(d.pending[0]!.signal.aborted).toBe(true);
    d.pending[0]!.resolve(1);
    await flush();
    expect(d.pending).toHaveLength(2); // 'b' started as soon as 'a' settled
    expect(p.last().data).toBeUndefined(); // 'a''s result was dropped
    d.pending[1]!.resolve(2);
    await flush();
    expect(p.last()).toMatchObject({data: 2, dataKey: 'b'});
    expect(d.maxInFlight).toBe(1);
    p.unmount();
  });

  it('keeps the last good data when a fetch fails, with the error, until a fetch succeeds', async () => {
    const answers: Array<number | Error> = [1, new Error('Connection is closed.'), 3];
    const p = mount(
      async () => {
        const a = answers.shift()!;
        if (a instanceof Error) throw a;
        return a;
      },
      {intervalMs: 10},
    );
    await flush();
    expect(p.last()).toMatchObject({data: 1, error: undefined});
    const updatedAt = p.last().updatedAt;
    await flush(10);
    expect(p.last()).toMatchObject({data: 1, error: new Error('Connection is closed.'), updatedAt});
    expect(p.lastFrame()).toBe('data=1 key= error=Connection is closed.');
    await flush(10);
    expect(p.last()).toMatchObject({data: 3, error: undefined});
    p.unmount();
  });

  it('aborts the fetch in flight on unmount and fetches no more', async () => {
    const d = deferredFetch();
    const p = mount(d.fetch, {intervalMs: 10});
    await flush();
    p.unmount();
    expect(d.pending[0]!.signal.aborted).toBe(true);
    d.pending[0]!.resolve(1);
    await flush(1000);
    expect(d.pending).toHaveLength(1);
  });

  it('does not poll while inactive, and fetches at once when it becomes active', async () => {
    let n = 0;
    const fetch = async (): Promise<number> => ++n;
    const p = mount(fetch, {intervalMs: 10, isActive: false});
    await flush(100);
    expect(n).toBe(0);
    p.update({intervalMs: 10, isActive: true});
    await flush();
    expect(n).toBe(1);
    p.update({intervalMs: 10, isActive: false});
    await flush(100);
    expect(n).toBe(1);
    p.unmount();
  });

  it('fetches at once when the refresh token changes, restarting the interval', async () => {
    let n = 0;
    const p = mount(async () => ++n, {intervalMs: 1000, refreshToken: 0});
    await flush(500);
    expect(n).toBe(1);
    p.update({intervalMs: 1000, refreshToken: 1});
    await flush();
    expect(n).toBe(2);
    await flush(999);
    expect(n).toBe(2);
    await flush(1);
    expect(n).toBe(3);
    p.unmount();
  });

  it('stamps updatedAt with the given clock', async () => {
    const at = new Date('2024-05-01T00:00:00Z');
    const p = mount(async () => 1, {intervalMs: 10, now: () => at});
    await flush();
    expect(p.last().updatedAt).toBe(at);
    p.unmount();
  });
});

describe('usePollFold', () => {
  it('keeps a fold of every good result, updated in the same render as the result; dropped results and errors are not folded', async () => {
    const d = deferredFetch();
    let stamps = 0;
    const now = (): Date => new Date(stamps++); // the n-th good result is stamped n
    const renders: Array<PollResult<number[]>> = [];
    const Probe = (p: {opts: PollOptions}) => {
      const r = usePollFold(d.fetch, (kept: number[] | undefined, n: number) => [...(kept ?? []), n], p.opts);
      renders.push(r);
      return createElement(Text, null, `kept=${r.data?.join(',') ?? '-'}`);
    };
    const r = render(createElement(Probe, {opts: {intervalMs: 10, key: 'a', now}}));
    await flush();
    d.pending[0]!.resolve(1);
    await flush(10);
    d.pending[1]!.resolve(2);
    await flush();
    expect(r.lastFrame()).toBe('kept=1,2');
    // No render shows a result's stamp without the result folded in.
    for (const x of renders)
      expect(x.data?.length ?? 0).toBe(x.updatedAt === undefined ? 0 : x.updatedAt.getTime() + 1);
    // A new key drops the result in flight; an error keeps the fold.
    await flush(10);
    r.rerender(createElement(Probe, {opts: {intervalMs: 10, key: 'b', now}}));
    await flush();
    d.pending[2]!.resolve(99);
    await flush();
    d.pending[3]!.reject(new Error('down'));
    await flush();
    expect(r.lastFrame()).toBe('kept=1,2');
    expect(renders[renders.length - 1]!.error).toEqual(new Error('down'));
    await flush(10);
    d.pending[4]!.resolve(3);
    await flush();
    expect(renders[renders.length - 1]).toMatchObject({data: [1, 2, 3], dataKey: 'b', error: undefined});
    r.unmount();
  });
});
