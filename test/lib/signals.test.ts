/**
 * onStopSignals and waitForSignals: the first SIGINT/SIGTERM stops, a later one forces (or, without
 * `force`, finds no listener left), SIGHUP reloads until a stop signal, SIGTSTP, and the disposer
 * removes every listener. Signals are emitted in-process with process.emit.
 */
import {afterEach, describe, expect, it, vi} from 'vitest';
import {SAME_SIGNAL_MS, onStopSignals, waitForSignals} from '../../src/lib/signals.js';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGTSTP'] as const;
const counts = (): number[] => SIGNALS.map((s) => process.listenerCount(s));

describe('onStopSignals', () => {
  const before = counts();
  const disposers: (() => void)[] = [];
  afterEach(() => {
    vi.useRealTimers();
    for (const d of disposers.splice(0)) d();
    expect(counts()).toEqual(before);
  });

  it('the first SIGINT or SIGTERM calls stop, a later one calls force', () => {
    vi.useFakeTimers();
    const stop = vi.fn();
    const force = vi.fn();
    disposers.push(onStopSignals({stop, force}));
    process.emit('SIGTERM');
    expect(stop).toHaveBeenCalledTimes(1);
    expect(stop).toHaveBeenCalledWith('SIGTERM');
    expect(force).not.toHaveBeenCalled();
    vi.advanceTimersByTime(SAME_SIGNAL_MS);
    process.emit('SIGINT');
    expect(stop).toHaveBeenCalledTimes(1);
    expect(force).toHaveBeenCalledWith('SIGINT');
  });

  it('without force, every listener goes once a repeat can no longer be the same signal (a second one gets Node\'s default)', () => {
    vi.useFakeTimers();
    const stop = vi.fn();
    const reload = vi.fn();
    const tstp = vi.fn();
    disposers.push(onStopSignals({stop, reload, tstp}));
    expect(process.listenerCount('SIGINT')).toBe(before[0]! + 1);
    process.emit('SIGINT');
    process.emit('SIGINT');
    expect(stop).toHaveBeenCalledTimes(1);
    expect(stop).toHaveBeenCalledWith('SIGINT');
    vi.advanceTimersByTime(SAME_SIGNAL_MS);
    expect(counts()).toEqual(before);
  });

  it('a stop signal within SAME_SIGNAL_MS of the first is the same one delivered twice (npm/npx forwarding Ctrl-C), not a force', () => {
    vi.useFakeTimers();
    const stop = vi.fn();
    const force = vi.fn();
    disposers.push(onStopSignals({stop, force}));
    process.emit('SIGINT');
    vi.advanceTimersByTime(SAME_SIGNAL_MS - 50);
    process.emit('SIGINT');
    expect([stop.mock.calls.length, force.mock.calls.length]).toEqual([1, 0]);
    vi.advanceTimersByTime(50);
    process.emit('SIGINT');
    expect([stop.mock.calls.length, force.mock.calls.length]).toEqual([1, 1]);
  });

  it('SIGHUP calls reload until the first stop signal; no SIGHUP listener without reload', () => {
    const reload = vi.fn();
    disposers.push(onStopSignals({stop: () => {}}));
    expect(process.listenerCount('SIGHUP')).toBe(before[2]);
    disposers.pop()!();
    disposers.push(onStopSignals({stop: () => {}, force: () => {}, reload}));
    process.emit('SIGHUP');
    process.emit('SIGHUP');
    expect(reload).toHaveBeenCalledTimes(2);
    process.emit('SIGTERM');
    process.emit('SIGHUP');
    expect(reload).toHaveBeenCalledTimes(2);
  });

  it.skipIf(process.platform === 'win32')('SIGTSTP calls tstp', () => {
    const tstp = vi.fn();
    const stop = vi.fn();
    disposers.push(onStopSignals({stop, tstp}));
    process.emit('SIGTSTP');
    expect(tstp).toHaveBeenCalledTimes(1);
    expect(stop).not.toHaveBeenCalled();
  });

  it('listens only to the stop signals it is given', () => {
    const stop = vi.fn();
    disposers.push(onStopSignals({stop, signals: ['SIGINT']}));
    expect(process.listenerCount('SIGTERM')).toBe(before[1]);
    process.emit('SIGINT');
    expect(stop).toHaveBeenCalledWith('SIGINT');
  });

  it('the disposer removes every listener and is idempotent', () => {
    const stop = vi.fn();
    const dispose = onStopSignals({stop, force: () => {}, reload: () => {}, tstp: () => {}});
    expect(counts()).not.toEqual(before);
    dispose();
    dispose();
    expect(counts()).toEqual(before);
    expect(stop).not.toHaveBeenCalled();
  });
});

describe('waitForSignals', () => {
  it('resolves at the first SIGTERM and removes its listeners', async () => {
    const before = counts();
    const done = waitForSignals();
    expect(process.listenerCount('SIGTERM')).toBe(before[1]! + 1);
    process.emit('SIGTERM');
    await done;
    expect(counts()).toEqual(before);
  });

  it('resolves when the AbortSignal aborts (or was aborted already)', async () => {
    const before = counts();
    const ac = new AbortController();
    const done = waitForSignals(ac.signal);
    ac.abort();
    await done;
    expect(counts()).toEqual(before);
    await waitForSignals(ac.signal);
    expect(counts()).toEqual(before);
  });
});
