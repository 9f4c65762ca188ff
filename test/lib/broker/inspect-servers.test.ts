import {describe, expect, it} from 'vitest';
import {RDB} from '../../../src/lib/broker/rdb.js';
import {RDBInspector} from '../../../src/lib/broker/inspect.js';
import {
  encodeSchedulerEnqueueEvent, encodeSchedulerEntry, encodeServerInfo, encodeWorkerInfo, ZERO_TIME,
  type SchedulerEnqueueEvent, type SchedulerEntry, type ServerInfo, type WorkerInfo,
} from '../../../src/lib/base/codec.js';
import * as keys from '../../../src/lib/base/keys.js';
import {SimulatedClock} from '../../../src/lib/clock.js';
import {InternalError, ValidationError} from '../../../src/lib/errors.js';
import {useRedis} from '../../support/redis.js';
import {zsetEntries} from '../../support/seed.js';

const r = useRedis();

const NOW = new Date('2026-03-10T12:00:00Z');
const NOW_S = NOW.getTime() / 1000;
const BAD = Buffer.from([0xff, 0xff, 0xff]);

function inspector(): RDBInspector {
  return new RDBInspector(new RDB(r.redis, {clock: new SimulatedClock(NOW)}));
}

function server(id: string): ServerInfo {
  return {host: 'h', pid: 42, serverId: id, concurrency: 10, queues: {default: 3, critical: 6}, strictPriority: false,
    status: 'active', startTime: {seconds: NOW_S - 100, nanos: 5}, activeWorkerCount: 1};
}

function worker(serverId: string, taskId: string): WorkerInfo {
  return {host: 'h', pid: 42, serverId, taskId, taskType: 'email', taskPayload: Buffer.from('{}'), queue: 'default',
    startTime: {seconds: NOW_S - 3, nanos: 0}, deadline: {seconds: NOW_S + 1797, nanos: 0}};
}

function entry(id: string): SchedulerEntry {
  return {id, spec: '@every 30s', taskType: 'cron', taskPayload: Buffer.from('p'), enqueueOptions: ['Queue("low")'],
    nextEnqueueTime: {seconds: NOW_S + 30, nanos: 0}, prevEnqueueTime: ZERO_TIME};
}

describe('RDBInspector.listServers', () => {
  it('returns live servers, drops expired members (lazy expiry) and skips missing or undecodable values', async () => {
    const live = keys.serverInfoKey('h', 42, 'live');
    const boundary = keys.serverInfoKey('h', 42, 'boundary');
    const expired = keys.serverInfoKey('h', 42, 'expired');
    const missing = keys.serverInfoKey('h', 42, 'missing');
    const bad = keys.serverInfoKey('h', 42, 'bad');
    await r.redis.set(live, encodeServerInfo(server('live')));
    await r.redis.set(boundary, encodeServerInfo(server('boundary')));
    await r.redis.set(expired, encodeServerInfo(server('expired')));
    await r.redis.set(bad, BAD);
    await r.redis.zadd(keys.allServers, NOW_S + 10, live, NOW_S, boundary, NOW_S - 1, expired, NOW_S + 10, missing, NOW_S + 10, bad);

    const servers = await inspector().listServers();

    expect(servers.sort((a, b) => a.serverId.localeCompare(b.serverId))).toEqual([server('boundary'), server('live')]);
    expect((await zsetEntries(r.redis, keys.allServers)).map(([m]) => m).sort()).toEqual([bad, boundary, live, missing].sort());
    expect(await r.redis.exists(expired)).toBe(1); // only the zset member goes; the key expires by its TTL
  });

  it('returns an empty list when no server is registered', async () => {
    expect(await inspector().listServers()).toEqual([]);
  });
});

describe('RDBInspector.listWorkers', () => {
  it('returns the workers of live servers, drops expired members and skips undecodable values', async () => {
    const live = keys.workersKey('h', 42, 's1');
    const expired = keys.workersKey('h', 42, 's2');
    await r.redis.hset(live, 't1', encodeWorkerInfo(worker('s1', 't1')), 't2', encodeWorkerInfo(worker('s1', 't2')), 'bad', BAD);
    await r.redis.hset(expired, 't3', encodeWorkerInfo(worker('s2', 't3')));
    await r.redis.zadd(keys.allWorkers, NOW_S + 10, live, NOW_S - 10, expired);

    const workers = await inspector().listWorkers();

    expect(workers.sort((a, b) => a.taskId.localeCompare(b.taskId))).toEqual([worker('s1', 't1'), worker('s1', 't2')]);
    expect(await zsetEntries(r.redis, keys.allWorkers)).toEqual([[live, NOW_S + 10]]);
  });
});

describe('RDBInspector.listSchedulerEntries', () => {
  it('returns the entries of live schedulers, drops expired members and skips undecodable values', async () => {
    const live = keys.schedulerEntriesKey('h:1:a');
    const expired = keys.schedulerEntriesKey('h:2:b');
    await r.redis.rpush(live, encodeSchedulerEntry(entry('e1')), BAD, encodeSchedulerEntry(entry('e2')));
    await r.redis.rpush(expired, encodeSchedulerEntry(entry('e3')));
    await r.redis.zadd(keys.allSchedulers, NOW_S + 20, live, NOW_S - 20, expired);

    expect(await inspector().listSchedulerEntries()).toEqual([entry('e1'), entry('e2')]);
    expect(await zsetEntries(r.redis, keys.allSchedulers)).toEqual([[live, NOW_S + 20]]);
  });
});

describe('RDBInspector.listSchedulerEnqueueEvents', () => {
  const event = (i: number): SchedulerEnqueueEvent => ({taskId: `task${i}`, enqueueTime: {seconds: NOW_S - 100 + i, nanos: 7}});

  it('pages the history newest first', async () => {
    const key = keys.schedulerHistoryKey('entry-1');
    for (let i = 0; i < 5; i++) await r.redis.zadd(key, NOW_S - 100 + i, encodeSchedulerEnqueueEvent(event(i)));
    const insp = inspector();
    expect(await insp.listSchedulerEnqueueEvents('entry-1')).toEqual([event(4), event(3), event(2), event(1), event(0)]);
    expect(await insp.listSchedulerEnqueueEvents('entry-1', {page: 2, size: 2})).toEqual([event(2), event(1)]);
    expect(await insp.listSchedulerEnqueueEvents('entry-1', {page: 4, size: 2})).toEqual([]);
    expect(await insp.listSchedulerEnqueueEvents('no-such-entry')).toEqual([]);
    await expect(insp.listSchedulerEnqueueEvents('entry-1', {size: 0})).rejects.toBeInstanceOf(ValidationError);
  });

  it('fails on an undecodable event, as Go', async () => {
    const key = keys.schedulerHistoryKey('entry-1');
    await r.redis.zadd(key, NOW_S, encodeSchedulerEnqueueEvent(event(1)), NOW_S + 1, BAD);
    await expect(inspector().listSchedulerEnqueueEvents('entry-1')).rejects.toBeInstanceOf(InternalError);
  });
});
