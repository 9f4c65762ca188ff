import {describe, expect, it} from 'vitest';
import {RDB} from '../../src/lib/broker/rdb.js';
import * as keys from '../../src/lib/base/keys.js';
import {SimulatedClock} from '../../src/lib/clock.js';
import {Syncer} from '../../src/lib/syncer.js';
import {useRedis} from '../support/redis.js';
import {recordingLogger} from '../support/logger.js';
import {makeMsg, noonToday, seedActive} from '../support/seed.js';

const r = useRedis();

const T0 = noonToday();

/** A write that fails `failures` times, then runs `then`. */
function flaky(failures: number, then: () => Promise<unknown> = async () => {}): {fn: () => Promise<unknown>; calls: () => number} {
  let n = 0;
  return {
    fn: async () => {
      n++;
      if (n <= failures) throw new Error(`attempt ${n} failed`);
      return then();
    },
    calls: () => n,
  };
}

describe('Syncer', () => {
  it('retries a failed outcome write each round until it succeeds', async () => {
    const clock = new SimulatedClock(T0);
    const rdb = new RDB(r.redis, {clock});
    const m = makeMsg('t1');
    await seedActive(r.redis, [{msg: m, score: new Date(T0.getTime() + 30_000)}]);
    const syncer = new Syncer({logger: recordingLogger(), clock});
    const w = flaky(2, () => rdb.done(m));
    syncer.add({fn: w.fn, errMsg: 'could not mark t1 done', deadline: new Date(T0.getTime() + 30_000)});
    await syncer.exec();
    expect(syncer.pending).toBe(1);
    clock.advance(5_000);
    await syncer.exec();
    expect(syncer.pending).toBe(1);
    expect(await r.redis.exists(keys.taskKey('default', 't1'))).toBe(1);
    clock.advance(5_000);
    await syncer.exec();
    expect(syncer.pending).toBe(0);
    expect(w.calls()).toBe(3);
    expect(await r.redis.exists(keys.taskKey('default', 't1'))).toBe(0);
    expect(await r.redis.get(keys.processedTotalKey('default'))).toBe('1');
  });

  it('drops a request once its lease deadline has passed', async () => {
    const clock = new SimulatedClock(T0);
    const syncer = new Syncer({logger: recordingLogger(), clock});
    const w = flaky(100);
    syncer.add({fn: w.fn, errMsg: 'x', deadline: new Date(T0.getTime() + 10_000)});
    await syncer.exec();
    clock.advance(10_001);
    await syncer.exec();
    expect(syncer.pending).toBe(0);
    expect(w.calls()).toBe(1);
  });

  it('checks each deadline when its turn comes: a slow write before it does not let a stale one through', async () => {
    const clock = new SimulatedClock(T0);
    const syncer = new Syncer({logger: recordingLogger(), clock});
    const slow = flaky(1, async () => clock.advance(20_000)); // succeeds on the 2nd round after 20 s
    const later = flaky(1);
    syncer.add({fn: slow.fn, errMsg: 'slow', deadline: new Date(T0.getTime() + 60_000)});
    syncer.add({fn: later.fn, errMsg: 'later', deadline: new Date(T0.getTime() + 15_000)});
    await syncer.exec();
    clock.advance(5_000);
    await syncer.exec(); // slow takes 20 s: later's deadline (T0 + 15 s) has passed when its turn comes
    expect(slow.calls()).toBe(2);
    expect(later.calls()).toBe(1);
    expect(syncer.pending).toBe(0);
  });

  it('tries every pending request once more on shutdown and logs the ones that still fail', async () => {
    const clock = new SimulatedClock(T0);
    const logger = recordingLogger();
    const syncer = new Syncer({logger, clock});
    const ok = flaky(0);
    const bad = flaky(100);
    syncer.add({fn: ok.fn, errMsg: 'ok', deadline: T0});
    syncer.add({fn: bad.fn, errMsg: 'still failing', deadline: T0});
    syncer.start();
    await syncer.shutdown();
    expect(ok.calls()).toBe(1);
    expect(bad.calls()).toBe(1);
    expect(logger.lines).toContainEqual(['error', 'still failing']);
    expect(syncer.pending).toBe(0);
  });

  it('does not run a request whose lease deadline has passed on shutdown either (the task may be running elsewhere by now)', async () => {
    // Go runs the last attempt under a context with the lease deadline, so a stale write fails
    // before reaching Redis. Here: t1's done failed, its lease ran out, and t1 is active again
    // (recovered and dequeued by another server); a late done would delete it under that server.
    const clock = new SimulatedClock(T0);
    const rdb = new RDB(r.redis, {clock});
    const m = makeMsg('t1');
    await seedActive(r.redis, [{msg: m, score: new Date(T0.getTime() + 90_000)}]);
    const logger = recordingLogger();
    const syncer = new Syncer({logger, clock});
    const stale = flaky(0, () => rdb.done(m));
    syncer.add({fn: stale.fn, errMsg: 'could not mark t1 done', deadline: new Date(T0.getTime() + 30_000)});
    syncer.start();
    clock.advance(30_001);
    await syncer.shutdown();
    expect(stale.calls()).toBe(0);
    expect(await r.redis.hget(keys.taskKey('default', 't1'), 'state')).toBe('active');
    expect(logger.lines).toContainEqual(['error', 'could not mark t1 done']);
    expect(syncer.pending).toBe(0);
  });
});
