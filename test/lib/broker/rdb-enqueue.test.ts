/** RDB creation paths besides plain enqueue: unique, schedule, group, batch (Go client.go BatchEnqueueContext; rdb.go enqueueUniqueCmd, scheduleCmd, scheduleUniqueCmd, addToGroupCmd, addToGroupUniqueCmd). */
import {describe, expect, it} from 'vitest';
import {keyTypes} from '../../support/dump.js';
import {useRedis} from '../../support/redis.js';
import {DuplicateTaskError, RedisCommandError, TaskIdConflictError, ValidationError} from '../../../src/lib/errors.js';
import {uniqueKey} from '../../../src/lib/base/keys.js';
import {expireTime, makeMsg, newRdb, T0, T0_NS, T0_S, taskHash, zsetEntries} from '../../support/seed.js';

const r = useRedis();
const UK = uniqueKey('default', 'email:welcome', Buffer.from('{"user_id":42}'));

describe('RDB.enqueueUnique', () => {
  it('takes the lock with the whole-second TTL and writes the hash with unique_key', async () => {
    const {rdb} = newRdb(r.redis);
    const m = makeMsg('u1', {uniqueKey: UK});
    await rdb.enqueueUnique(m, 3600.9);
    expect(await keyTypes(r.redis)).toEqual({
      'asynq:queues': 'set',
      'asynq:{default}:pending': 'list',
      'asynq:{default}:t:u1': 'hash',
      [UK]: 'string',
    });
    expect(UK).toBe('asynq:{default}:unique:email:welcome:1181f89307fa271072c095747d5813cc');
    expect(await r.redis.get(UK)).toBe('u1');
    const ttl = await r.redis.ttl(UK);
    expect(ttl).toBeGreaterThanOrEqual(3599);
    expect(ttl).toBeLessThanOrEqual(3600);
    expect(await taskHash(r.redis, 'default', 'u1')).toEqual({msg: m, state: 'pending', pending_since: T0_NS, unique_key: UK});
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['u1']);
  });

  it('refuses a second task while the lock is held, creating nothing', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.enqueueUnique(makeMsg('u1', {uniqueKey: UK}), 60);
    const before = await keyTypes(r.redis);
    await expect(rdb.enqueueUnique(makeMsg('u2', {uniqueKey: UK}), 60)).rejects.toBeInstanceOf(DuplicateTaskError);
    expect(await keyTypes(r.redis)).toEqual(before);
    expect(await r.redis.get(UK)).toBe('u1');
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['u1']);
  });

  it('does not treat the same type and payload in another queue as a duplicate', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.enqueueUnique(makeMsg('u1', {uniqueKey: UK}), 60);
    const other = uniqueKey('other', 'email:welcome', Buffer.from('{"user_id":42}'));
    await rdb.enqueueUnique(makeMsg('u2', {queue: 'other', uniqueKey: other}), 60);
    expect(await r.redis.get(other)).toBe('u2');
    expect(await r.redis.lrange('asynq:{other}:pending', 0, -1)).toEqual(['u2']);
  });

  it('on an ID conflict throws TaskIdConflictError and keeps the new lock (Go quirk)', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.enqueue(makeMsg('same', {type: 'other'}));
    const before = await r.redis.hgetallBuffer('asynq:{default}:t:same');
    await expect(rdb.enqueueUnique(makeMsg('same', {uniqueKey: UK}), 60)).rejects.toBeInstanceOf(TaskIdConflictError);
    expect(await r.redis.get(UK)).toBe('same');
    expect(await r.redis.ttl(UK)).toBeGreaterThan(58);
    expect(await r.redis.hgetallBuffer('asynq:{default}:t:same')).toEqual(before);
    expect(await r.redis.llen('asynq:{default}:pending')).toBe(1);
  });

  it.each([0, 0.999, -5, Number.NaN])('rejects TTL %s with ValidationError before sending anything', async (ttl) => {
    const {rdb} = newRdb(r.redis);
    await expect(rdb.enqueueUnique(makeMsg('u1', {uniqueKey: UK}), ttl)).rejects.toBeInstanceOf(ValidationError);
    await expect(rdb.scheduleUnique(makeMsg('u1', {uniqueKey: UK}), new Date(T0.getTime() + 60_000), ttl)).rejects.toBeInstanceOf(ValidationError);
    await expect(rdb.addToGroupUnique(makeMsg('u1', {uniqueKey: UK}), 'g', ttl)).rejects.toBeInstanceOf(ValidationError);
    expect(await keyTypes(r.redis)).toEqual({});
  });

  it('rejects a message without uniqueKey with ValidationError before sending anything', async () => {
    const {rdb} = newRdb(r.redis);
    await expect(rdb.enqueueUnique(makeMsg('u1'), 60)).rejects.toBeInstanceOf(ValidationError);
    expect(await keyTypes(r.redis)).toEqual({});
  });
});

describe('RDB.schedule', () => {
  it('stores state scheduled, scores the ID by process-at in unix seconds, no pending_since', async () => {
    const {rdb} = newRdb(r.redis);
    const m = makeMsg('s1');
    await rdb.schedule(m, new Date(T0.getTime() + 3_600_700));
    expect(await keyTypes(r.redis)).toEqual({
      'asynq:queues': 'set',
      'asynq:{default}:scheduled': 'zset',
      'asynq:{default}:t:s1': 'hash',
    });
    expect(await taskHash(r.redis, 'default', 's1')).toEqual({msg: m, state: 'scheduled'});
    expect(await zsetEntries(r.redis, 'asynq:{default}:scheduled')).toEqual([['s1', T0_S + 3600]]);
    expect(await r.redis.smembers('asynq:queues')).toEqual(['default']);
  });

  it('does not write a group field even when the message has a group key (Go quirk: scheduleCmd writes no group field)', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.schedule(makeMsg('s1', {groupKey: 'g'}), new Date(T0.getTime() + 60_000));
    expect(await taskHash(r.redis, 'default', 's1')).toEqual({msg: expect.anything(), state: 'scheduled'});
    expect(await keyTypes(r.redis)).not.toHaveProperty('asynq:{default}:groups');
  });

  it('refuses a taken ID with TaskIdConflictError and changes nothing but the queue registration', async () => {
    const {rdb} = newRdb(r.redis);
    await r.redis.hset('asynq:{q2}:t:x', 'msg', 'x', 'state', 'pending');
    await expect(rdb.schedule(makeMsg('x', {queue: 'q2'}), new Date(T0.getTime() + 60_000))).rejects.toBeInstanceOf(TaskIdConflictError);
    expect(await keyTypes(r.redis)).toEqual({'asynq:queues': 'set', 'asynq:{q2}:t:x': 'hash'});
    expect(await r.redis.hgetall('asynq:{q2}:t:x')).toEqual({msg: 'x', state: 'pending'});
  });
});

describe('RDB.scheduleUnique', () => {
  it('takes the lock for the given TTL and schedules with unique_key in the hash', async () => {
    const {rdb} = newRdb(r.redis);
    const m = makeMsg('s1', {uniqueKey: UK});
    await rdb.scheduleUnique(m, new Date(T0.getTime() + 600_000), 660);
    expect(await r.redis.get(UK)).toBe('s1');
    expect(await r.redis.ttl(UK)).toBeGreaterThanOrEqual(659);
    expect(await taskHash(r.redis, 'default', 's1')).toEqual({msg: m, state: 'scheduled', unique_key: UK});
    expect(await zsetEntries(r.redis, 'asynq:{default}:scheduled')).toEqual([['s1', T0_S + 600]]);
    expect(await r.redis.exists('asynq:{default}:pending')).toBe(0);
  });

  it('throws DuplicateTaskError while the lock is held and TaskIdConflictError (lock kept) on a taken ID', async () => {
    const {rdb} = newRdb(r.redis);
    const at = new Date(T0.getTime() + 60_000);
    await r.redis.set(UK, 'someone-else');
    await expect(rdb.scheduleUnique(makeMsg('s1', {uniqueKey: UK}), at, 60)).rejects.toBeInstanceOf(DuplicateTaskError);
    expect(await r.redis.exists('asynq:{default}:t:s1', 'asynq:{default}:scheduled')).toBe(0);
    await r.redis.del(UK);
    await rdb.schedule(makeMsg('s1'), at);
    await expect(rdb.scheduleUnique(makeMsg('s1', {uniqueKey: UK}), at, 60)).rejects.toBeInstanceOf(TaskIdConflictError);
    expect(await r.redis.get(UK)).toBe('s1');
    expect(await taskHash(r.redis, 'default', 's1')).toEqual({msg: expect.anything(), state: 'scheduled'});
  });
});

describe('RDB.addToGroup', () => {
  it('stores state aggregating and group, ZADDs the group with score now and SADDs groups', async () => {
    const {rdb} = newRdb(r.redis);
    const m = makeMsg('g1', {groupKey: 'batch'});
    await rdb.addToGroup(m, 'batch');
    expect(await keyTypes(r.redis)).toEqual({
      'asynq:queues': 'set',
      'asynq:{default}:g:batch': 'zset',
      'asynq:{default}:groups': 'set',
      'asynq:{default}:t:g1': 'hash',
    });
    expect(await taskHash(r.redis, 'default', 'g1')).toEqual({msg: m, state: 'aggregating', group: 'batch'});
    expect(await zsetEntries(r.redis, 'asynq:{default}:g:batch')).toEqual([['g1', T0_S]]);
    expect(await r.redis.smembers('asynq:{default}:groups')).toEqual(['batch']);
  });

  it('refuses a taken ID with TaskIdConflictError without touching the group', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.enqueue(makeMsg('g1'));
    await expect(rdb.addToGroup(makeMsg('g1', {groupKey: 'batch'}), 'batch')).rejects.toBeInstanceOf(TaskIdConflictError);
    expect(await r.redis.exists('asynq:{default}:g:batch', 'asynq:{default}:groups')).toBe(0);
  });
});

describe('RDB.addToGroupUnique', () => {
  it('takes the lock but writes no unique_key field; the message keeps its unique key', async () => {
    const {rdb} = newRdb(r.redis);
    const m = makeMsg('g1', {groupKey: 'batch', uniqueKey: UK});
    await rdb.addToGroupUnique(m, 'batch', 120);
    expect(await r.redis.get(UK)).toBe('g1');
    expect(await r.redis.ttl(UK)).toBeGreaterThanOrEqual(119);
    expect(await taskHash(r.redis, 'default', 'g1')).toEqual({msg: m, state: 'aggregating', group: 'batch'});
    expect(await zsetEntries(r.redis, 'asynq:{default}:g:batch')).toEqual([['g1', T0_S]]);
    expect(await r.redis.smembers('asynq:{default}:groups')).toEqual(['batch']);
  });

  it('throws DuplicateTaskError while the lock is held, TaskIdConflictError (lock kept) on a taken ID', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.addToGroupUnique(makeMsg('g1', {groupKey: 'b', uniqueKey: UK}), 'b', 60);
    await expect(rdb.addToGroupUnique(makeMsg('g2', {groupKey: 'b', uniqueKey: UK}), 'b', 60)).rejects.toBeInstanceOf(DuplicateTaskError);
    expect(await zsetEntries(r.redis, 'asynq:{default}:g:b')).toEqual([['g1', T0_S]]);
    await r.redis.del(UK);
    await expect(rdb.addToGroupUnique(makeMsg('g1', {groupKey: 'b', uniqueKey: UK}), 'b', 60)).rejects.toBeInstanceOf(TaskIdConflictError);
    expect(await r.redis.get(UK)).toBe('g1');
    expect(await zsetEntries(r.redis, 'asynq:{default}:g:b')).toEqual([['g1', T0_S]]);
  });
});

describe('RDB.enqueueBatch', () => {
  it('enqueues all items with one shared pending_since, LPUSHed in input order', async () => {
    const {rdb, clock} = newRdb(r.redis);
    const items = ['a', 'b', 'c'].map((id) => ({msg: makeMsg(id)}));
    // The clock moving while the batch is built must not matter: one value for all.
    const now = clock.now.bind(clock);
    let calls = 0;
    clock.now = () => { calls++; const d = now(); clock.advance(1000); return d; };
    expect(await rdb.enqueueBatch(items)).toEqual([null, null, null]);
    expect(calls).toBe(1);
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['c', 'b', 'a']);
    for (const it of items) {
      expect(await taskHash(r.redis, 'default', it.msg.id)).toEqual({msg: it.msg, state: 'pending', pending_since: T0_NS});
    }
  });

  it('schedules future items, enqueues past ones, and registers every queue once', async () => {
    const {rdb} = newRdb(r.redis);
    const res = await rdb.enqueueBatch([
      {msg: makeMsg('now', {queue: 'q1'})},
      {msg: makeMsg('later', {queue: 'q2'}), processAt: new Date(T0.getTime() + 90_000)},
      {msg: makeMsg('past', {queue: 'q1'}), processAt: new Date(T0.getTime() - 5000)},
      {msg: makeMsg('exact', {queue: 'q1'}), processAt: T0},
    ]);
    expect(res).toEqual([null, null, null, null]);
    expect((await r.redis.smembers('asynq:queues')).sort()).toEqual(['q1', 'q2']);
    expect(await r.redis.lrange('asynq:{q1}:pending', 0, -1)).toEqual(['exact', 'past', 'now']);
    expect(await zsetEntries(r.redis, 'asynq:{q2}:scheduled')).toEqual([['later', T0_S + 90]]);
    expect(await taskHash(r.redis, 'q2', 'later')).toEqual({msg: expect.anything(), state: 'scheduled'});
  });

  it('reports an existing ID as success and leaves that task unchanged (Go behaviour)', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.schedule(makeMsg('dup', {type: 'first'}), new Date(T0.getTime() + 60_000));
    const before = await r.redis.hgetallBuffer('asynq:{default}:t:dup');
    expect(await rdb.enqueueBatch([{msg: makeMsg('dup')}, {msg: makeMsg('new')}])).toEqual([null, null]);
    expect(await r.redis.hgetallBuffer('asynq:{default}:t:dup')).toEqual(before);
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['new']);
  });

  it('reports a per-item Redis error for that item only', async () => {
    const {rdb} = newRdb(r.redis);
    await r.redis.set('asynq:{bad}:pending', 'not a list');
    const res = await rdb.enqueueBatch([{msg: makeMsg('a', {queue: 'bad'})}, {msg: makeMsg('b')}]);
    expect(res[0]).toBeInstanceOf(RedisCommandError);
    expect(res[1]).toBeNull();
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['b']);
  });

  it('gives every item the error of a failed pipeline and forgets the queues it registered', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.enqueueBatch([{msg: makeMsg('a')}]);
    const client = rdb.client as unknown as {pipeline(): unknown};
    const real = client.pipeline.bind(client);
    client.pipeline = () => {
      const p = real() as {exec(): Promise<unknown>};
      p.exec = () => Promise.reject(new Error('connection lost'));
      return p;
    };
    const res = await rdb.enqueueBatch([{msg: makeMsg('b')}, {msg: makeMsg('c', {queue: 'q2'})}]);
    client.pipeline = real;
    expect(res.map((e) => e instanceof RedisCommandError && /connection lost/.test(e.message))).toEqual([true, true]);
    // Both queues were dropped from the cache: the next write SADDs them again.
    await r.redis.del('asynq:queues');
    await rdb.enqueue(makeMsg('d'));
    await rdb.enqueue(makeMsg('e', {queue: 'q2'}));
    expect((await r.redis.smembers('asynq:queues')).sort()).toEqual(['default', 'q2']);
  });

  it('returns an empty list for an empty batch without touching Redis', async () => {
    const {rdb} = newRdb(r.redis);
    expect(await rdb.enqueueBatch([])).toEqual([]);
    expect(await keyTypes(r.redis)).toEqual({});
  });
});

describe('creation paths never write stats counters', () => {
  it('leaves no processed/failed keys after every kind of enqueue', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.enqueue(makeMsg('a'));
    await rdb.enqueueUnique(makeMsg('b', {uniqueKey: UK}), 60);
    await rdb.schedule(makeMsg('c'), new Date(T0.getTime() + 1000));
    await rdb.addToGroup(makeMsg('d'), 'g');
    await rdb.enqueueBatch([{msg: makeMsg('e')}]);
    const names = Object.keys(await keyTypes(r.redis));
    expect(names.filter((k) => /:(processed|failed)/.test(k))).toEqual([]);
    expect(await expireTime(r.redis, UK)).toBeGreaterThan(0);
  });
});
