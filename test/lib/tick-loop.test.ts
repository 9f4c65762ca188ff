import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest';
import {TickLoop} from '../../src/lib/tick-loop.js';
import {recordingLogger} from '../support/logger.js';

describe('TickLoop', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('first ticks after one interval by default, then once per interval after each tick ends', async () => {
    const at: number[] = [];
    const loop = new TickLoop({name: 'X', logger: recordingLogger(), intervalMs: 100, tick: async () => {
      at.push(Date.now());
      await new Promise((res) => setTimeout(res, 30)); // a slow tick delays the next one (no setInterval pile-up)
    }});
    const t0 = Date.now();
    loop.start();
    await vi.advanceTimersByTimeAsync(99);
    expect(at).toEqual([]);
    await vi.advanceTimersByTimeAsync(300);
    expect(at.map((t) => t - t0)).toEqual([100, 230, 360]);
    await loop.stop();
  });

  it('ticks at once with runAtStart', async () => {
    let n = 0;
    const loop = new TickLoop({name: 'X', logger: recordingLogger(), intervalMs: 1000, runAtStart: true, tick: () => { n++; }});
    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(n).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(n).toBe(2);
    await loop.stop();
  });

  it('start is idempotent; stop logs once, waits for the running tick and then drain, and is idempotent', async () => {
    const logger = recordingLogger();
    const events: string[] = [];
    let finishTick!: () => void;
    const loop = new TickLoop({
      name: 'Widget', logger, intervalMs: 10, runAtStart: true,
      tick: () => new Promise<void>((res) => {
        events.push('tick');
        finishTick = () => { events.push('tick done'); res(); };
      }),
      drain: async () => { events.push('drain'); },
    });
    loop.start();
    loop.start();
    await vi.advanceTimersByTimeAsync(0);
    const first = loop.stop();
    const second = loop.stop();
    expect(second).toBe(first);
    await vi.advanceTimersByTimeAsync(1000);
    expect(events).toEqual(['tick']);
    finishTick();
    await first;
    expect(events).toEqual(['tick', 'tick done', 'drain']);
    expect(logger.lines).toEqual([['debug', 'Widget shutting down...'], ['debug', 'Widget done']]);
  });

  it('keeps going after a tick that throws, logging it', async () => {
    const logger = recordingLogger();
    let n = 0;
    const loop = new TickLoop({name: 'X', logger, intervalMs: 10, tick: () => {
      n++;
      if (n === 1) throw new Error('bug');
    }});
    loop.start();
    await vi.advanceTimersByTimeAsync(20);
    expect(n).toBe(2);
    expect(logger.lines).toEqual([['error', 'X: unexpected error: bug']]);
    await loop.stop();
  });

  it('never ticks when stopped before it was started', async () => {
    let n = 0;
    const loop = new TickLoop({name: 'X', logger: recordingLogger(), intervalMs: 10, runAtStart: true, tick: () => { n++; }});
    await loop.stop();
    loop.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(n).toBe(0);
  });
});
