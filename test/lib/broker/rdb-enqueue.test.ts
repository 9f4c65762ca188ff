/** RDB creation paths besides plain enqueue: unique, schedule, group, batch (spec §7.3, §8.2–8.6). */
import {describe, expect, it} from 'vitest';
import {keyTypes} from '../../support/dump.js';
import {useRedis} from '../../support/redis.js';
import {DuplicateTaskError, RedisCommandError, TaskIdConflictError, ValidationError} from '../../../src/lib/errors.js';
import {uniqueKey} from '../../../src/lib/base/keys.js';
import {expireTime, msg, newRdb, T0, T0_NS, T0_S, taskHash, zset} from './rdb-fixtures.js';

const r = useRedis();
const UK = uniqueKey('default', 'email:welcome', Buffer.from('{"user_id":42}'));

describe('RDB.enqueueUnique', () => {
  it('takes the lock with the whole-second TTL and writes the hash with unique_key', async () => {
    const {rdb} = newRdb(r.redis);
    const m = msg('u1', {uniqueKey: UK});
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
    const h = await taskHash(r.redis, 'asynq:{default}:t:u1');
    expect(h.fields).toEqual({state: 'pending', pending_since: T0_NS, unique_key: UK});
    expect(h.msg).toEqual(m);
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['u1']);
  });

  it('refuses a second task while the lock is held, creating nothing', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.enqueueUnique(msg('u1', {uniqueKey: UK}), 60);
    const before = await keyTypes(r.redis);
    await expect(rdb.enqueueUnique(msg('u2', {uniqueKey: UK}), 60)).rejects.toBeInstanceOf(DuplicateTaskError);
    expect(await keyTypes(r.redis)).toEqual(before);
    expect(await r.redis.get(UK)).toBe('u1');
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['u1']);
  });

  it('does not treat the same type and payload in another queue as a duplicate', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.enqueueUnique(msg('u1', {uniqueKey: UK}), 60);
    const other = uniqueKey('other', 'email:welcome', Buffer.from('{"user_id":42}'));
    await rdb.enqueueUnique(msg('u2', {queue: 'other', uniqueKey: other}), 60);
    expect(await r.redis.get(other)).toBe('u2');
    expect(await r.redis.lrange('asynq:{other}:pending', 0, -1)).toEqual(['u2']);
  });

  it('on an ID conflict throws TaskIdConflictError and keeps the new lock (Go quirk)', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.enqueue(msg('same', {type: 'other'}));
    const before = await r.redis.hgetallBuffer('asynq:{default}:t:same');
    await expect(rdb.enqueueUnique(msg('same', {uniqueKey: UK}), 60)).rejects.toBeInstanceOf(TaskIdConflictError);
    expect(await r.redis.get(UK)).toBe('same');
    expect(await r.redis.ttl(UK)).toBeGreaterThan(58);
    expect(await r.redis.hgetallBuffer('asynq:{default}:t:same')).toEqual(before);
    expect(await r.redis.llen('asynq:{default}:pending')).toBe(1);
  });

  it.each([0, 0.999, -5, Number.NaN])('rejects TTL %s with ValidationError before sending anything', async (ttl) => {
    const {rdb} = newRdb(r.redis);
    await expect(rdb.enqueueUnique(msg('u1', {uniqueKey: UK}), ttl)).rejects.toBeInstanceOf(ValidationError);
    await expect(rdb.scheduleUnique(msg('u1', {uniqueKey: UK}), new Date(T0.getTime() + 60_000), ttl)).rejects.toBeInstanceOf(ValidationError);
    await expect(rdb.addToGroupUnique(msg('u1', {uniqueKey: UK}), 'g', ttl)).rejects.toBeInstanceOf(ValidationError);
    expect(await keyTypes(r.redis)).toEqual({});
  });

  it('rejects a message without uniqueKey with ValidationError before sending anything', async () => {
    const {rdb} = newRdb(r.redis);
    await expect(rdb.enqueueUnique(msg('u1'), 60)).rejects.toBeInstanceOf(ValidationError);
    expect(await keyTypes(r.redis)).toEqual({});
  });
});

describe('RDB.schedule', () => {
  it('stores state scheduled, scores the ID by process-at in unix seconds, no pending_since', async () => {
    const {rdb} = newRdb(r.redis);
    const m = msg('s1');
    await rdb.schedule(m, new Date(T0.getTime() + 3_600_700));
    expect(await keyTypes(r.redis)).toEqual({
      'asynq:queues': 'set',
      'asynq:{default}:scheduled': 'zset',
      'asynq:{default}:t:s1': 'hash',
    });
    const h = await taskHash(r.redis, 'asynq:{default}:t:s1');
    expect(h.fields).toEqual({state: 'scheduled'});
    expect(h.msg).toEqual(m);
    expect(await zset(r.redis, 'asynq:{default}:scheduled')).toEqual([['s1', T0_S + 3600]]);
    expect(await r.redis.smembers('asynq:queues')).toEqual(['default']);
  });

  it('does not write a group field even when the message has a group key (Go quirk §17.1)', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.schedule(msg('s1', {groupKey: 'g'}), new Date(T0.getTime() + 60_000));
    expect((await taskHash(r.redis, 'asynq:{default}:t:s1')).fields).toEqual({state: 'scheduled'});
    expect(await keyTypes(r.redis)).not.toHaveProperty('asynq:{default}:groups');
  });

  it('refuses a taken ID with TaskIdConflictError and changes nothing but the queue registration', async () => {
    const {rdb} = newRdb(r.redis);
    await r.redis.hset('asynq:{q2}:t:x', 'msg', 'x', 'state', 'pending');
    await expect(rdb.schedule(msg('x', {queue: 'q2'}), new Date(T0.getTime() + 60_000))).rejects.toBeInstanceOf(TaskIdConflictError);
    expect(await keyTypes(r.redis)).toEqual({'asynq:queues': 'set', 'asynq:{q2}:t:x': 'hash'});
    expect(await r.redis.hgetall('asynq:{q2}:t:x')).toEqual({msg: 'x', state: 'pending'});
  });
});

describe('RDB.scheduleUnique', () => {
  it('takes the lock for the given TTL and schedules with unique_key in the hash', async () => {
    const {rdb} = newRdb(r.redis);
    const m = msg('s1', {uniqueKey: UK});
    await rdb.scheduleUnique(m, new Date(T0.getTime() + 600_000), 660);
    expect(await r.redis.get(UK)).toBe('s1');
    expect(await r.redis.ttl(UK)).toBeGreaterThanOrEqual(659);
    const h = await taskHash(r.redis, 'asynq:{default}:t:s1');
    expect(h.fields).toEqual({state: 'scheduled', unique_key: UK});
    expect(h.msg).toEqual(m);
    expect(await zset(r.redis, 'asynq:{default}:scheduled')).toEqual([['s1', T0_S + 600]]);
    expect(await r.redis.exists('asynq:{default}:pending')).toBe(0);
  });

  it('throws DuplicateTaskError while the lock is held and TaskIdConflictError (lock kept) on a taken ID', async () => {
    const {rdb} = newRdb(r.redis);
    const at = new Date(T0.getTime() + 60_000);
    await r.redis.set(UK, 'someone-else');
    await expect(rdb.scheduleUnique(msg('s1', {uniqueKey: UK}), at, 60)).rejects.toBeInstanceOf(DuplicateTaskError);
    expect(await r.redis.exists('asynq:{default}:t:s1', 'asynq:{default}:scheduled')).toBe(0);
    await r.redis.del(UK);
    await rdb.schedule(msg('s1'), at);
    await expect(rdb.scheduleUnique(msg('s1', {uniqueKey: UK}), at, 60)).rejects.toBeInstanceOf(TaskIdConflictError);
    expect(await r.redis.get(UK)).toBe('s1');
    expect((await taskHash(r.redis, 'asynq:{default}:t:s1')).fields).toEqual({state: 'scheduled'});
  });
});

describe('RDB.addToGroup', () => {
  it('stores state aggregating and group, ZADDs the group with score now and SADDs groups', async () => {
    const {rdb} = newRdb(r.redis);
    const m = msg('g1', {groupKey: 'batch'});
    await rdb.addToGroup(m, 'batch');
    expect(await keyTypes(r.redis)).toEqual({
      'asynq:queues': 'set',
      'asynq:{default}:g:batch': 'zset',
      'asynq:{default}:groups': 'set',
      'asynq:{default}:t:g1': 'hash',
    });
    const h = await taskHash(r.redis, 'asynq:{default}:t:g1');
    expect(h.fields).toEqual({state: 'aggregating', group: 'batch'});
    expect(h.msg).toEqual(m);
    expect(await zset(r.redis, 'asynq:{default}:g:batch')).toEqual([['g1', T0_S]]);
    expect(await r.redis.smembers('asynq:{default}:groups')).toEqual(['batch']);
  });

  it('refuses a taken ID with TaskIdConflictError without touching the group', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.enqueue(msg('g1'));
    await expect(rdb.addToGroup(msg('g1', {groupKey: 'batch'}), 'batch')).rejects.toBeInstanceOf(TaskIdConflictError);
    expect(await r.redis.exists('asynq:{default}:g:batch', 'asynq:{default}:groups')).toBe(0);
  });
});

describe('RDB.addToGroupUnique', () => {
  it('takes the lock but writes no unique_key field; the message keeps its unique key', async () => {
    const {rdb} = newRdb(r.redis);
    const m = msg('g1', {groupKey: 'batch', uniqueKey: UK});
    await rdb.addToGroupUnique(m, 'batch', 120);
    expect(await r.redis.get(UK)).toBe('g1');
    expect(await r.redis.ttl(UK)).toBeGreaterThanOrEqual(119);
    const h = await taskHash(r.redis, 'asynq:{default}:t:g1');
    expect(h.fields).toEqual({state: 'aggregating', group: 'batch'});
    expect(h.msg!.uniqueKey).toBe(UK);
    expect(await zset(r.redis, 'asynq:{default}:g:batch')).toEqual([['g1', T0_S]]);
    expect(await r.redis.smembers('asynq:{default}:groups')).toEqual(['batch']);
  });

  it('throws DuplicateTaskError while the lock is held, TaskIdConflictError (lock kept) on a taken ID', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.addToGroupUnique(msg('g1', {groupKey: 'b', uniqueKey: UK}), 'b', 60);
    await expect(rdb.addToGroupUnique(msg('g2', {groupKey: 'b', uniqueKey: UK}), 'b', 60)).rejects.toBeInstanceOf(DuplicateTaskError);
    expect(await zset(r.redis, 'asynq:{default}:g:b')).toEqual([['g1', T0_S]]);
    await r.redis.del(UK);
    await expect(rdb.addToGroupUnique(msg('g1', {groupKey: 'b', uniqueKey: UK}), 'b', 60)).rejects.toBeInstanceOf(TaskIdConflictError);
    expect(await r.redis.get(UK)).toBe('g1');
    expect(await zset(r.redis, 'asynq:{default}:g:b')).toEqual([['g1', T0_S]]);
  });
});

describe('RDB.enqueueBatch', () => {
  it('enqueues all items with one shared pending_since, LPUSHed in input order', async () => {
    const {rdb, clock} = newRdb(r.redis);
    const items = ['a', 'b', 'c'].map((id) => ({msg: msg(id)}));
    // The clock moving while the batch is built must not matter: one value for all.
    const now = clock.now.bind(clock);
    let calls = 0;
    clock.now = () => { calls++; const d = now(); clock.advance(1000); return d; };
    expect(await rdb.enqueueBatch(items)).toEqual([null, null, null]);
    expect(calls).toBe(1);
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['c', 'b', 'a']);
    for (const it of items) {
      const h = await taskHash(r.redis, `asynq:{default}:t:${it.msg.id}`);
      expect(h.fields).toEqual({state: 'pending', pending_since: T0_NS});
      expect(h.msg).toEqual(it.msg);
    }
  });

  it('schedules future items, enqueues past ones, and registers every queue once', async () => {
    const {rdb} = newRdb(r.redis);
    const res = await rdb.enqueueBatch([
      {msg: msg('now', {queue: 'q1'})},
      {msg: msg('later', {queue: 'q2'}), processAt: new Date(T0.getTime() + 90_000)},
      {msg: msg('past', {queue: 'q1'}), processAt: new Date(T0.getTime() - 5000)},
      {msg: msg('exact', {queue: 'q1'}), processAt: T0},
    ]);
    expect(res).toEqual([null, null, null, null]);
    expect((await r.redis.smembers('asynq:queues')).sort()).toEqual(['q1', 'q2']);
    expect(await r.redis.lrange('asynq:{q1}:pending', 0, -1)).toEqual(['exact', 'past', 'now']);
    expect(await zset(r.redis, 'asynq:{q2}:scheduled')).toEqual([['later', T0_S + 90]]);
    expect((await taskHash(r.redis, 'asynq:{q2}:t:later')).fields).toEqual({state: 'scheduled'});
  });

  it('reports an existing ID as success and leaves that task unchanged (Go behaviour)', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.schedule(msg('dup', {type: 'first'}), new Date(T0.getTime() + 60_000));
    const before = await r.redis.hgetallBuffer('asynq:{default}:t:dup');
    expect(await rdb.enqueueBatch([{msg: msg('dup')}, {msg: msg('new')}])).toEqual([null, null]);
    expect(await r.redis.hgetallBuffer('asynq:{default}:t:dup')).toEqual(before);
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['new']);
  });

  it('reports a per-item Redis error for that item only', async () => {
    const {rdb} = newRdb(r.redis);
    await r.redis.set('asynq:{bad}:pending', 'not a list');
    const res = await rdb.enqueueBatch([{msg: msg('a', {queue: 'bad'})}, {msg: msg('b')}]);
    expect(res[0]).toBeInstanceOf(RedisCommandError);
    expect(res[1]).toBeNull();
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['b']);
  });

  it('gives every item the error of a failed pipeline and forgets the queues it registered', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.enqueueBatch([{msg: msg('a')}]);
    const client = rdb.client as unknown as {pipeline(): unknown};
    const real = client.pipeline.bind(client);
    client.pipeline = () => {
      const p = real() as {exec(): Promise<unknown>};
      p.exec = () => Promise.reject(new Error('connection lost'));
      return p;
    };
    const res = await rdb.enqueueBatch([{msg: msg('b')}, {msg: msg('c', {queue: 'q2'})}]);
    client.pipeline = real;
    expect(res.map((e) => e instanceof RedisCommandError && /connection lost/.test(e.message))).toEqual([true, true]);
    // Both queues were dropped from the cache: the next write SADDs them again.
    await r.redis.del('asynq:queues');
    await rdb.enqueue(msg('d'));
    await rdb.enqueue(msg('e', {queue: 'q2'}));
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
    await rdb.enqueue(msg('a'));
    await rdb.enqueueUnique(msg('b', {uniqueKey: UK}), 60);
    await rdb.schedule(msg('c'), new Date(T0.getTime() + 1000));
    await rdb.addToGroup(msg('d'), 'g');
    await rdb.enqueueBatch([{msg: msg('e')}]);
    const names = Object.keys(await keyTypes(r.redis));
    expect(names.filter((k) => /:(processed|failed)/.test(k))).toEqual([]);
    expect(await expireTime(r.redis, UK)).toBeGreaterThan(0);
  });
});
