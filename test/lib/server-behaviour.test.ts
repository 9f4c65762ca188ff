/**
 * Behaviour checklist (docs/behaviour-checklist.md), server items that had no test of their own:
 * no aggregator → group keys untouched (46), leases kept alive past 30 s every 5 s (86), SIGTSTP
 * (90), and the default intervals of the forwarder, janitor and syncer (98, 101, 114).
 */
import {afterEach, describe, expect, it, vi} from 'vitest';
import {RDB} from '../../src/lib/broker/rdb.js';
import {RDBState} from '../../src/lib/broker/state.js';
import * as keys from '../../src/lib/base/keys.js';
import {SimulatedClock, unixSeconds} from '../../src/lib/clock.js';
import {Heartbeater} from '../../src/lib/heartbeater.js';
import {Lease} from '../../src/lib/lease.js';
import {Processor, DEFAULT_TASK_CHECK_INTERVAL_MS} from '../../src/lib/processor.js';
import {Server, DEFAULT_DELAYED_TASK_CHECK_INTERVAL_MS, DEFAULT_JANITOR_INTERVAL_MS} from '../../src/lib/server.js';
import {Syncer} from '../../src/lib/syncer.js';
import {Task} from '../../src/lib/task.js';
import type {TaskContext} from '../../src/lib/handler.js';
import {useRedis} from '../support/redis.js';
import {dumpAll} from '../support/dump.js';
import {recordingLogger} from '../support/logger.js';
import {deferred, waitFor} from '../support/wait.js';
import {makeMsg, noonToday, seedGroup, zsetEntries} from '../support/seed.js';

const r = useRedis();
const T0 = noonToday();

afterEach(() => {
  vi.useRealTimers();
});

describe('checklist 46: without a GroupAggregator the server never touches group keys', () => {
  /** A group whose tasks arrived 100 s ago: ready for aggregation under a 1 s grace period. */
  async function seedReadyGroup(): Promise<void> {
    const at = new Date(Date.now() - 100_000);
    await seedGroup(r.redis, 'grp', [{msg: makeMsg('g1'), score: at}, {msg: makeMsg('g2'), score: at}]);
  }

  it('control: with an aggregator and a 1 s grace period the same group is aggregated within about a second', async () => {
    await seedReadyGroup();
    const srv = new Server(r.server.url, {logger: recordingLogger(), groupGracePeriod: '1s', groupAggregator: () => new Task('batch')});
    try {
      await srv.start(() => {});
      await waitFor(async () => (await r.redis.exists(keys.groupKey('default', 'grp'))) === 0, 'the group aggregated', 10_000);
    } finally {
      await srv.shutdown();
    }
  });

  it('reads and writes neither `groups` nor `g:<G>` over the same window', async () => {
    // Given
    await seedReadyGroup();
    const groupKeys = (await dumpAll(r.redis)).filter((d) => d.key.includes(':g') && !d.key.includes(':t:'));
    expect(groupKeys.map((d) => d.key)).toEqual(['asynq:{default}:g:grp', 'asynq:{default}:groups']);
    const conn = r.server.client();
    const monitor = await conn.monitor();
    const touched: string[][] = [];
    let heartbeats = 0;
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.includes(keys.allServers)) heartbeats++;
      if (args.some((a) => a === 'asynq:{default}:groups' || a.startsWith('asynq:{default}:g:grp'))) touched.push(args);
    });
    const srv = new Server(r.server.url, {logger: recordingLogger(), groupGracePeriod: '1s'});
    try {
      // When: longer than the aggregation interval of the control above (min(7 s, 1 s))
      await srv.start(() => {});
      await new Promise((res) => setTimeout(res, 1_200));
    } finally {
      await srv.shutdown();
      monitor.disconnect();
      conn.disconnect();
    }
    // Then: the monitor saw the server's commands (its heartbeat), none about the group
    expect(heartbeats).toBeGreaterThan(0);
    expect(touched).toEqual([]);
    expect((await dumpAll(r.redis)).filter((d) => groupKeys.some((g) => g.key === d.key))).toEqual(groupKeys);
  });
});

describe('checklist 86: a task running longer than 30 s keeps its lease', () => {
  it('moves the lease score to now + 30 s at every 5 s heartbeat, and the task then completes normally', async () => {
    // Given: a processor running one task, a heartbeater reporting its workers
    const clock = new SimulatedClock(T0);
    const rdb = new RDB(r.redis, {clock});
    const gate = deferred();
    let ctx: TaskContext | undefined;
    const p = new Processor({
      logger: recordingLogger(), rdb, queues: {default: 1}, concurrency: 1, clock,
      handler: {processTask: async (_t, c) => {
        ctx = c;
        await gate.promise;
      }},
    });
    const hb = new Heartbeater({
      logger: recordingLogger(), state: new RDBState(rdb), rdb, host: 'h', pid: 1, serverId: 's', concurrency: 1,
      queues: {default: 1}, strictPriority: false, status: () => 'active', workers: () => p.activeWorkers(), clock,
    });
    await rdb.enqueue(makeMsg('long'));
    await p.exec();
    await waitFor(() => ctx, 'handler running');
    expect(await zsetEntries(r.redis, keys.leaseKey('default'))).toEqual([['long', unixSeconds(T0) + 30]]);
    // When: 60 s pass in heartbeat steps of 5 s
    for (let s = 5; s <= 60; s += 5) {
      clock.advance(5000);
      await hb.exec();
      // Then: each beat pushes the lease to now + 30 s
      expect(await zsetEntries(r.redis, keys.leaseKey('default'))).toEqual([['long', unixSeconds(T0) + s + 30]]);
    }
    expect(ctx!.signal.aborted).toBe(false);
    gate.resolve();
    await p.waitForWorkers();
    expect(await r.redis.exists(keys.taskKey('default', 'long'), keys.leaseKey('default'))).toBe(0);
    expect(await r.redis.get(keys.processedTotalKey('default'))).toBe('1');
  });

  it('beats (and extends leases) at start and then every 5 s by default', async () => {
    vi.useFakeTimers();
    const clock = new SimulatedClock(T0);
    const beats: number[] = [];
    const extended: string[][] = [];
    const hb = new Heartbeater({
      logger: recordingLogger(), host: 'h', pid: 1, serverId: 's', concurrency: 1, queues: {default: 1}, strictPriority: false,
      status: () => 'active', clock,
      state: {writeServerState: async (_i, _w, ttl) => void beats.push(ttl), clearServerState: async () => {}},
      rdb: {extendLease: async (_q, ids) => {
        extended.push(ids);
        return new Date(clock.now().getTime() + 30_000);
      }},
      workers: () => [{msg: makeMsg('w'), startedAt: T0, deadline: new Date(T0.getTime() + 60_000), lease: new Lease(new Date(T0.getTime() + 30_000), clock)}],
    });
    hb.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(beats).toEqual([10]); // TTL 2 × 5 s
    await vi.advanceTimersByTimeAsync(4_999);
    expect(beats).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(beats).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(beats).toHaveLength(3);
    expect(extended).toEqual([['w'], ['w'], ['w']]);
    await hb.shutdown();
  });
});

describe('checklist 90: SIGTSTP stops taking new tasks', () => {
  it('under run(), SIGTSTP puts the server in "stopped"; a new task stays pending; SIGTERM then closes it', async () => {
    const srv = new Server(r.server.url, {logger: recordingLogger()});
    const seen: string[] = [];
    const listeners = process.listenerCount('SIGTSTP');
    const done = srv.run((t) => void seen.push(t.type));
    await waitFor(() => process.listenerCount('SIGTSTP') > listeners, 'signal handlers installed');
    await new RDB(r.redis).enqueue(makeMsg('before', {type: 'before'}));
    await waitFor(() => seen.includes('before'), 'first task processed');
    process.emit('SIGTSTP');
    expect(srv.state).toBe('stopped');
    await new RDB(r.redis).enqueue(makeMsg('after', {type: 'after'}));
    // 20 idle-poll intervals: a running fetch loop would have taken it long before
    await new Promise((res) => setTimeout(res, 20 * DEFAULT_TASK_CHECK_INTERVAL_MS));
    expect(seen).toEqual(['before']);
    expect(await r.redis.lrange(keys.pendingKey('default'), 0, -1)).toEqual(['after']);
    process.emit('SIGTERM');
    await done;
    expect(srv.state).toBe('closed');
    expect(process.listenerCount('SIGTSTP')).toBe(listeners);
  });
});

describe('checklist 98, 101, 114: default intervals of the forwarder, janitor and syncer', () => {
  it('uses Go\'s defaults: forwarder 5 s, janitor 8 s', () => {
    expect(DEFAULT_DELAYED_TASK_CHECK_INTERVAL_MS).toBe(5_000);
    expect(DEFAULT_JANITOR_INTERVAL_MS).toBe(8_000);
  });

  it('syncer: retries a failed write every 5 s by default (first after one interval)', async () => {
    vi.useFakeTimers();
    const clock = new SimulatedClock(T0);
    const syncer = new Syncer({logger: recordingLogger(), clock});
    let calls = 0;
    syncer.add({fn: async () => {
      calls++;
      throw new Error('still down');
    }, errMsg: 'x', deadline: new Date(T0.getTime() + 3_600_000)});
    syncer.start();
    await vi.advanceTimersByTimeAsync(4_999);
    expect(calls).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls).toBe(2);
    await syncer.shutdown(); // one last try on shutdown
    expect(calls).toBe(3);
  });
});
