import {describe, expect, it} from 'vitest';
import {RDB} from '../../src/lib/broker/rdb.js';
import {RDBState} from '../../src/lib/broker/state.js';
import * as keys from '../../src/lib/base/keys.js';
import {decodeServerInfo, decodeWorkerInfo, timestampFromDate} from '../../src/lib/base/codec.js';
import {SimulatedClock, unixSeconds} from '../../src/lib/clock.js';
import {Heartbeater, type ServerStatus} from '../../src/lib/heartbeater.js';
import {Lease} from '../../src/lib/lease.js';
import type {ActiveWorker} from '../../src/lib/processor.js';
import {useRedis} from '../support/redis.js';
import {recordingLogger} from '../support/logger.js';
import {deferred, waitFor} from '../support/wait.js';
import {makeMsg, seedActive, T0, zsetEntries} from '../support/seed.js';

const r = useRedis();

const SERVER_KEY = keys.serverInfoKey('host-a', 4242, 'sid-1');
const WORKERS_KEY = keys.workersKey('host-a', 4242, 'sid-1');

function setup(workers: ActiveWorker[] = [], clock = new SimulatedClock(T0), status: ServerStatus = 'active') {
  const rdb = new RDB(r.redis, {clock});
  const state = {status};
  const hb = new Heartbeater({
    logger: recordingLogger(), state: new RDBState(rdb), rdb, host: 'host-a', pid: 4242, serverId: 'sid-1', concurrency: 10,
    queues: {critical: 6, default: 3}, strictPriority: true, status: () => state.status, workers: () => workers, clock,
  });
  return {clock, hb, state};
}

describe('Heartbeater', () => {
  it('writes the server info with status, start time and in-flight count, and one WorkerInfo per task, TTL 10 s', async () => {
    const clock = new SimulatedClock(T0);
    const m1 = makeMsg('w1', {type: 'email', payload: Buffer.from('p1'), queue: 'critical'});
    const workers: ActiveWorker[] = [{msg: m1, startedAt: new Date(T0.getTime() - 2000), deadline: new Date(T0.getTime() + 60_000), lease: new Lease(new Date(T0.getTime() + 30_000), clock)}];
    await seedActive(r.redis, [{msg: m1, score: new Date(T0.getTime() + 30_000)}]);
    const {hb} = setup(workers, clock);
    hb.start();
    await hb.exec();
    const info = decodeServerInfo((await r.redis.getBuffer(SERVER_KEY))!);
    expect(info).toEqual({
      host: 'host-a', pid: 4242, serverId: 'sid-1', concurrency: 10, queues: {critical: 6, default: 3}, strictPriority: true,
      status: 'active', startTime: timestampFromDate(T0), activeWorkerCount: 1,
    });
    const ttl = await r.redis.ttl(SERVER_KEY);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10);
    expect(await zsetEntries(r.redis, keys.allServers)).toEqual([[SERVER_KEY, unixSeconds(T0) + 10]]);
    expect(await zsetEntries(r.redis, keys.allWorkers)).toEqual([[WORKERS_KEY, unixSeconds(T0) + 10]]);
    const fields = await r.redis.hgetallBuffer(WORKERS_KEY);
    expect(Object.keys(fields)).toEqual(['w1']);
    expect(decodeWorkerInfo(fields.w1!)).toEqual({
      host: 'host-a', pid: 4242, serverId: 'sid-1', taskId: 'w1', taskType: 'email', taskPayload: Buffer.from('p1'), queue: 'critical',
      startTime: timestampFromDate(new Date(T0.getTime() - 2000)), deadline: timestampFromDate(new Date(T0.getTime() + 60_000)),
    });
    expect(await r.redis.ttl(WORKERS_KEY)).toBeLessThanOrEqual(10);
    await hb.shutdown();
  });

  it('writes the current status on each beat (stopped after Stop)', async () => {
    const {hb, state} = setup();
    await hb.exec();
    state.status = 'stopped';
    await hb.exec();
    expect(decodeServerInfo((await r.redis.getBuffer(SERVER_KEY))!).status).toBe('stopped');
    expect(await r.redis.exists(WORKERS_KEY)).toBe(0); // no workers → no workers hash
  });

  it('extends valid leases to now + 30 s (ZADD XX) and resets the local lease; reports an expired one as lost', async () => {
    const clock = new SimulatedClock(T0);
    const a = makeMsg('a');
    const b = makeMsg('b');
    const gone = makeMsg('gone');
    const leaseA = new Lease(new Date(T0.getTime() + 5_000), clock);
    const leaseB = new Lease(new Date(T0.getTime() - 1_000), clock); // already expired locally
    const leaseGone = new Lease(new Date(T0.getTime() + 5_000), clock);
    await seedActive(r.redis, [{msg: a, score: new Date(T0.getTime() + 5_000)}, {msg: b, score: new Date(T0.getTime() - 1_000)}]);
    const w = (m: typeof a, lease: Lease): ActiveWorker => ({msg: m, startedAt: T0, deadline: new Date(T0.getTime() + 60_000), lease});
    // 'gone' is in flight locally but no longer leased in Redis: XX must not add it back.
    const {hb} = setup([w(a, leaseA), w(b, leaseB), w(gone, leaseGone)], clock);
    clock.advance(3_000);
    await hb.exec();
    const scores = Object.fromEntries(await zsetEntries(r.redis, keys.leaseKey('default')));
    expect(scores).toEqual({a: unixSeconds(T0) + 33, b: unixSeconds(T0) - 1});
    expect(leaseA.deadline.getTime()).toBe(T0.getTime() + 33_000);
    expect(leaseB.lost.aborted).toBe(true);
    expect(leaseA.lost.aborted).toBe(false);
  });

  it('on shutdown clears the server and workers keys and their zset members', async () => {
    const clock = new SimulatedClock(T0);
    const m1 = makeMsg('w1');
    const {hb} = setup([{msg: m1, startedAt: T0, deadline: T0, lease: new Lease(new Date(T0.getTime() + 30_000), clock)}], clock);
    hb.start();
    await hb.exec();
    expect(await r.redis.exists(SERVER_KEY, WORKERS_KEY)).toBe(2);
    await hb.shutdown();
    expect(await r.redis.exists(SERVER_KEY, WORKERS_KEY)).toBe(0);
    expect(await r.redis.zcard(keys.allServers)).toBe(0);
    expect(await r.redis.zcard(keys.allWorkers)).toBe(0);
  });

  it('still reports an expired lease on time while a beat\'s Redis writes hang (Redis unreachable: ioredis queues them)', async () => {
    // Go's writes fail fast and the next beat notices the expired lease; ours wait in the offline
    // queue for up to ~40 s. Later beats must not wait behind them: they check the leases, and
    // skip their own writes while the earlier ones are still pending.
    const clock = new SimulatedClock(T0);
    const lease = new Lease(new Date(T0.getTime() + 30_000), clock);
    const hung = deferred();
    let writes = 0;
    const hb = new Heartbeater({
      logger: recordingLogger(), host: 'host-a', pid: 4242, serverId: 'sid-1', concurrency: 1, queues: {default: 1},
      strictPriority: false, status: () => 'active', intervalMs: 10, clock,
      state: {writeServerState: () => (writes++, hung.promise), clearServerState: async () => {}},
      rdb: {extendLease: async () => new Date(clock.now().getTime() + 30_000)},
      workers: () => [{msg: makeMsg('w'), startedAt: T0, deadline: new Date(T0.getTime() + 3_600_000), lease}],
    });
    hb.start();
    await waitFor(() => writes === 1, 'first beat writing');
    clock.advance(31_000);
    await waitFor(() => lease.lost.aborted, 'lease reported lost', 5_000);
    expect(writes).toBe(1); // no pile-up of writes behind the hung one
    hung.resolve();
    await hb.shutdown();
  });
});
