/** RDB processing paths: dequeue, done, complete, requeue, retry, leases, results (Go rdb.go dequeueCmd, doneCmd, markAsCompleteCmd, requeueCmd, retryCmd, listLeaseExpiredCmd, ExtendLease, WriteResult). */
import {describe, expect, it} from 'vitest';
import {keyTypes} from '../../support/dump.js';
import {useRedis} from '../../support/redis.js';
import {InternalError, RedisCommandError, TaskNotFoundError} from '../../../src/lib/errors.js';
import {encodeTaskMessage} from '../../../src/lib/base/codec.js';
import {uniqueKey} from '../../../src/lib/base/keys.js';
import {
  DAY_S, enqueueAndDequeue, expireTime, makeMsg, newRdb, T0, T0_NS, T0_S, taskHash, TODAY, zsetEntries,
} from '../../support/seed.js';

const r = useRedis();
const UK = uniqueKey('default', 'email:welcome', Buffer.from('{"user_id":42}'));

describe('RDB.dequeue', () => {
  it('takes the oldest pending task to the head of active, leases it for 30 s, drops pending_since', async () => {
    const {rdb, clock} = newRdb(r.redis);
    await rdb.enqueue(makeMsg('old'));
    await rdb.enqueue(makeMsg('new'));
    await rdb.enqueue(makeMsg('other', {queue: 'q2'}));
    clock.advance(5000);
    const got = await rdb.dequeue(['default']);
    expect(got!.msg).toEqual(makeMsg('old'));
    expect(got!.leaseExpiresAt).toEqual(new Date(T0.getTime() + 35_000));
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['new']);
    expect(await r.redis.lrange('asynq:{default}:active', 0, -1)).toEqual(['old']);
    expect(await zsetEntries(r.redis, 'asynq:{default}:lease')).toEqual([['old', T0_S + 35]]);
    expect(await taskHash(r.redis, 'default', 'old')).toEqual({msg: makeMsg('old'), state: 'active'});
    expect(await taskHash(r.redis, 'default', 'new')).toEqual({msg: expect.anything(), state: 'pending', pending_since: T0_NS});
    await rdb.dequeue(['default']);
    expect(await r.redis.lrange('asynq:{default}:active', 0, -1)).toEqual(['new', 'old']);
  });

  it('tries queues in the given order and skips empty and paused ones', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.enqueue(makeMsg('p1', {queue: 'paused'}));
    await rdb.enqueue(makeMsg('l1', {queue: 'low'}));
    await r.redis.set('asynq:{paused}:paused', String(T0_S));
    const got = await rdb.dequeue(['empty', 'paused', 'low']);
    expect(got!.msg.id).toBe('l1');
    expect(await r.redis.lrange('asynq:{paused}:pending', 0, -1)).toEqual(['p1']);
    expect(await r.redis.exists('asynq:{paused}:active', 'asynq:{paused}:lease')).toBe(0);
    expect((await taskHash(r.redis, 'paused', 'p1')).state).toBe('pending');
  });

  it('returns null when every queue is empty or paused, and resumes after unpausing', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.enqueue(makeMsg('p1'));
    await r.redis.set('asynq:{default}:paused', String(T0_S));
    expect(await rdb.dequeue(['default', 'none'])).toBeNull();
    await r.redis.del('asynq:{default}:paused');
    expect((await rdb.dequeue(['default']))!.msg.id).toBe('p1');
  });

  it('decodes Go-encoded bytes and moves an undecodable message aside (asynq:{q}:corrupt), not to active', async () => {
    const {rdb} = newRdb(r.redis);
    const goBytes = Buffer.from('0a0d656d61696c3a77656c636f6d65120e7b22757365725f6964223a34327d1a027431220764656661756c74281940880e', 'hex');
    await r.redis.hset('asynq:{default}:t:t1', 'msg', goBytes, 'state', 'pending');
    await r.redis.lpush('asynq:{default}:pending', 't1');
    expect((await rdb.dequeue(['default']))!.msg).toEqual(makeMsg('t1', {type: 'email:welcome', payload: Buffer.from('{"user_id":42}')}));
    await r.redis.hset('asynq:{default}:t:bad', 'msg', Buffer.from([0xff, 0xff, 0xff]), 'state', 'pending');
    await r.redis.lpush('asynq:{default}:pending', 'bad');
    expect(await rdb.dequeue(['default'])).toBeNull();
    expect(await r.redis.lrange('asynq:{default}:active', 0, -1)).toEqual(['t1']);
    expect(await r.redis.zrange('asynq:{default}:corrupt', 0, -1)).toEqual(['bad']);
  });
});

describe('RDB.done', () => {
  it('deletes the task, counts processed (daily key expiring in 90 days) and leaves failed alone', async () => {
    const {rdb} = newRdb(r.redis);
    await enqueueAndDequeue(rdb, makeMsg('t1'));
    await rdb.done(makeMsg('t1'));
    expect(await keyTypes(r.redis)).toEqual({
      'asynq:queues': 'set',
      [`asynq:{default}:processed:${TODAY}`]: 'string',
      'asynq:{default}:processed': 'string',
    });
    expect(await r.redis.get(`asynq:{default}:processed:${TODAY}`)).toBe('1');
    expect(await expireTime(r.redis, `asynq:{default}:processed:${TODAY}`)).toBe(T0_S + 90 * DAY_S);
    expect(await r.redis.get('asynq:{default}:processed')).toBe('1');
    expect(await r.redis.ttl('asynq:{default}:processed')).toBe(-1);
  });

  it('sets the daily expiry only when it creates the counter and uses the UTC date of now', async () => {
    const {rdb, clock} = newRdb(r.redis);
    await enqueueAndDequeue(rdb, makeMsg('a'), makeMsg('b'), makeMsg('c'));
    await rdb.done(makeMsg('a'));
    clock.advance(3600_000);
    await rdb.done(makeMsg('b'));
    const daily = `asynq:{default}:processed:${TODAY}`;
    expect(await r.redis.get(daily)).toBe('2');
    expect(await expireTime(r.redis, daily)).toBe(T0_S + 90 * DAY_S);
    clock.advance(12 * 3600_000); // next UTC day
    await rdb.done(makeMsg('c'));
    const tomorrow = new Date(T0.getTime() + 13 * 3600_000).toISOString().slice(0, 10);
    expect(await r.redis.get(`asynq:{default}:processed:${tomorrow}`)).toBe('1');
    expect(await expireTime(r.redis, `asynq:{default}:processed:${tomorrow}`)).toBe(T0_S + 13 * 3600 + 90 * DAY_S);
    expect(await r.redis.get('asynq:{default}:processed')).toBe('3');
  });

  it('wraps the total counter to 1 when it holds the max int64', async () => {
    const {rdb} = newRdb(r.redis);
    await enqueueAndDequeue(rdb, makeMsg('t1'));
    await r.redis.set('asynq:{default}:processed', '9223372036854775807');
    await rdb.done(makeMsg('t1'));
    expect(await r.redis.get('asynq:{default}:processed')).toBe('1');
  });

  it('releases the unique lock the task owns', async () => {
    const {rdb} = newRdb(r.redis);
    const m = makeMsg('u1', {uniqueKey: UK});
    await rdb.enqueueUnique(m, 3600);
    await rdb.dequeue(['default']);
    await rdb.done(m);
    expect(await r.redis.exists(UK, 'asynq:{default}:t:u1')).toBe(0);
  });

  it('keeps a unique lock owned by another task', async () => {
    const {rdb} = newRdb(r.redis);
    const m = makeMsg('u1', {uniqueKey: UK});
    await enqueueAndDequeue(rdb, m);
    await r.redis.set(UK, 'u2', 'EX', 60);
    await rdb.done(m);
    expect(await r.redis.get(UK)).toBe('u2');
    expect(await r.redis.exists('asynq:{default}:t:u1')).toBe(0);
  });

  it('throws TaskNotFoundError for a task that is not active, writing nothing', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.enqueue(makeMsg('t1'));
    const before = await keyTypes(r.redis);
    const err = await rdb.done(makeMsg('t1')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskNotFoundError);
    expect(err).toMatchObject({queue: 'default', taskId: 't1'});
    await expect(rdb.done(makeMsg('t1', {uniqueKey: UK}))).rejects.toBeInstanceOf(TaskNotFoundError);
    expect(await keyTypes(r.redis)).toEqual(before);
    expect((await taskHash(r.redis, 'default', 't1')).state).toBe('pending');
  });

  it('maps other Redis failures to RedisCommandError', async () => {
    const {rdb} = newRdb(r.redis);
    await r.redis.set('asynq:{default}:active', 'not a list');
    await expect(rdb.done(makeMsg('t1'))).rejects.toBeInstanceOf(RedisCommandError);
  });
});

describe('RDB.markAsComplete', () => {
  it('keeps the task as completed with completedAt = now, scored now + retention; counts processed', async () => {
    const {rdb, clock} = newRdb(r.redis);
    const m = makeMsg('c1', {retention: 3600});
    await enqueueAndDequeue(rdb, m);
    await r.redis.hset('asynq:{default}:t:c1', 'result', '{"ok":true}');
    clock.advance(2000);
    await rdb.markAsComplete(m);
    expect(m.completedAt).toBe(0); // the caller's message is not modified
    expect(await taskHash(r.redis, 'default', 'c1')).toEqual({msg: {...m, completedAt: T0_S + 2}, state: 'completed', result: '{"ok":true}'});
    expect(await zsetEntries(r.redis, 'asynq:{default}:completed')).toEqual([['c1', T0_S + 2 + 3600]]);
    expect(await r.redis.exists('asynq:{default}:active', 'asynq:{default}:lease')).toBe(0);
    expect(await r.redis.get(`asynq:{default}:processed:${TODAY}`)).toBe('1');
    expect(await expireTime(r.redis, `asynq:{default}:processed:${TODAY}`)).toBe(T0_S + 2 + 90 * DAY_S);
    expect(await r.redis.get('asynq:{default}:processed')).toBe('1');
    expect(await r.redis.exists('asynq:{default}:failed')).toBe(0);
  });

  it('releases an owned unique lock, keeps one owned by another task, and keeps unique_key in the hash', async () => {
    const {rdb} = newRdb(r.redis);
    const m = makeMsg('u1', {uniqueKey: UK, retention: 60});
    await rdb.enqueueUnique(m, 3600);
    await rdb.dequeue(['default']);
    await rdb.markAsComplete(m);
    expect(await r.redis.exists(UK)).toBe(0);
    expect(await taskHash(r.redis, 'default', 'u1')).toEqual({msg: expect.anything(), state: 'completed', unique_key: UK});

    const other = makeMsg('u2', {uniqueKey: UK, retention: 60});
    await enqueueAndDequeue(rdb, other);
    await r.redis.set(UK, 'u3');
    await rdb.markAsComplete(other);
    expect(await r.redis.get(UK)).toBe('u3');
  });

  it('wraps the total counter at max int64', async () => {
    const {rdb} = newRdb(r.redis);
    await enqueueAndDequeue(rdb, makeMsg('c1', {retention: 10}));
    await r.redis.set('asynq:{default}:processed', '9223372036854775807');
    await rdb.markAsComplete(makeMsg('c1', {retention: 10}));
    expect(await r.redis.get('asynq:{default}:processed')).toBe('1');
  });

  it('throws TaskNotFoundError when the task is not active', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.enqueue(makeMsg('c1'));
    const before = await keyTypes(r.redis);
    await expect(rdb.markAsComplete(makeMsg('c1', {retention: 10}))).rejects.toBeInstanceOf(TaskNotFoundError);
    await expect(rdb.markAsComplete(makeMsg('c1', {retention: 10, uniqueKey: UK}))).rejects.toBeInstanceOf(TaskNotFoundError);
    expect(await keyTypes(r.redis)).toEqual(before);
  });

  it('throws InternalError when the ID is already in the completed set', async () => {
    const {rdb} = newRdb(r.redis);
    await enqueueAndDequeue(rdb, makeMsg('c1', {retention: 10}));
    await r.redis.zadd('asynq:{default}:completed', 1, 'c1');
    await expect(rdb.markAsComplete(makeMsg('c1', {retention: 10}))).rejects.toBeInstanceOf(InternalError);
    // Not transactional, as in Go: active/lease were already left; no stats counted, msg not rewritten.
    expect(await r.redis.exists('asynq:{default}:active', 'asynq:{default}:lease')).toBe(0);
    expect((await taskHash(r.redis, 'default', 'c1')).state).toBe('active');
    expect(await r.redis.exists('asynq:{default}:processed')).toBe(0);
  });
});

describe('RDB.requeue', () => {
  it('puts the task at the tail of pending (next to dequeue) with no pending_since and no stats', async () => {
    const {rdb} = newRdb(r.redis);
    await enqueueAndDequeue(rdb, makeMsg('t1'));
    await rdb.enqueue(makeMsg('t2'));
    await rdb.requeue(makeMsg('t1'));
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['t2', 't1']);
    expect(await r.redis.exists('asynq:{default}:active', 'asynq:{default}:lease')).toBe(0);
    expect(await taskHash(r.redis, 'default', 't1')).toEqual({msg: makeMsg('t1'), state: 'pending'});
    expect(Object.keys(await keyTypes(r.redis)).filter((k) => /processed|failed/.test(k))).toEqual([]);
    expect((await rdb.dequeue(['default']))!.msg.id).toBe('t1');
  });

  it('throws TaskNotFoundError for a task that is not active', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.enqueue(makeMsg('t1'));
    await expect(rdb.requeue(makeMsg('t1'))).rejects.toBeInstanceOf(TaskNotFoundError);
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['t1']);
  });
});

describe('RDB.retry', () => {
  it('on failure: retried+1, error and last-failed time in msg, ZADD retry, processed and failed +1', async () => {
    const {rdb, clock} = newRdb(r.redis);
    const m = makeMsg('r1', {retried: 2});
    await enqueueAndDequeue(rdb, m);
    clock.advance(1000);
    await rdb.retry(m, new Date(T0.getTime() + 61_000), 'boom', true);
    expect(m.retried).toBe(2);
    expect(await taskHash(r.redis, 'default', 'r1')).toEqual({msg: {...m, retried: 3, errorMsg: 'boom', lastFailedAt: T0_S + 1}, state: 'retry'});
    expect(await zsetEntries(r.redis, 'asynq:{default}:retry')).toEqual([['r1', T0_S + 61]]);
    expect(await r.redis.exists('asynq:{default}:active', 'asynq:{default}:lease')).toBe(0);
    for (const k of [`asynq:{default}:processed:${TODAY}`, `asynq:{default}:failed:${TODAY}`]) {
      expect(await r.redis.get(k)).toBe('1');
      expect(await expireTime(r.redis, k)).toBe(T0_S + 1 + 90 * DAY_S);
    }
    expect(await r.redis.get('asynq:{default}:processed')).toBe('1');
    expect(await r.redis.get('asynq:{default}:failed')).toBe('1');
    expect(await r.redis.ttl('asynq:{default}:failed')).toBe(-1);
  });

  it('on a non-failure: retried unchanged and no counters at all', async () => {
    const {rdb} = newRdb(r.redis);
    const m = makeMsg('r1', {retried: 2});
    await enqueueAndDequeue(rdb, m);
    await rdb.retry(m, new Date(T0.getTime() + 10_000), 'context canceled', false);
    expect((await taskHash(r.redis, 'default', 'r1')).msg).toEqual({...m, errorMsg: 'context canceled', lastFailedAt: T0_S});
    expect(await zsetEntries(r.redis, 'asynq:{default}:retry')).toEqual([['r1', T0_S + 10]]);
    expect(Object.keys(await keyTypes(r.redis)).filter((k) => /processed|failed/.test(k))).toEqual([]);
  });

  it('keeps the unique lock', async () => {
    const {rdb} = newRdb(r.redis);
    const m = makeMsg('u1', {uniqueKey: UK});
    await rdb.enqueueUnique(m, 3600);
    await rdb.dequeue(['default']);
    await rdb.retry(m, new Date(T0.getTime() + 10_000), 'x', true);
    expect(await r.redis.get(UK)).toBe('u1');
    expect(await taskHash(r.redis, 'default', 'u1')).toEqual({msg: expect.anything(), state: 'retry', unique_key: UK});
  });

  it('wraps both totals to 1 when processed holds the max int64', async () => {
    const {rdb} = newRdb(r.redis);
    await enqueueAndDequeue(rdb, makeMsg('r1'));
    await r.redis.set('asynq:{default}:processed', '9223372036854775807');
    await r.redis.set('asynq:{default}:failed', '17');
    await rdb.retry(makeMsg('r1'), T0, 'x', true);
    expect(await r.redis.mget('asynq:{default}:processed', 'asynq:{default}:failed')).toEqual(['1', '1']);
  });

  it('throws TaskNotFoundError for a task that is not active, writing nothing', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.enqueue(makeMsg('r1'));
    const before = await keyTypes(r.redis);
    await expect(rdb.retry(makeMsg('r1'), T0, 'x', true)).rejects.toBeInstanceOf(TaskNotFoundError);
    expect(await keyTypes(r.redis)).toEqual(before);
  });
});

describe('RDB.listLeaseExpired', () => {
  it('lists messages with lease at or before the cutoff over the given queues, skipping missing hashes', async () => {
    const {rdb, clock} = newRdb(r.redis);
    await enqueueAndDequeue(rdb, makeMsg('a'), makeMsg('b', {queue: 'q2'}));
    clock.advance(10_000);
    await enqueueAndDequeue(rdb, makeMsg('late'));
    await r.redis.zadd('asynq:{default}:lease', T0_S, 'ghost'); // no hash
    const atA = new Date((T0_S + 30) * 1000);
    expect((await rdb.listLeaseExpired(atA, ['default', 'q2'])).map((m) => m.id)).toEqual(['a', 'b']);
    expect(await rdb.listLeaseExpired(new Date((T0_S + 29) * 1000), ['default', 'q2'])).toEqual([]);
    expect((await rdb.listLeaseExpired(new Date((T0_S + 40) * 1000), ['default'])).map((m) => m.id)).toEqual(['a', 'late']);
    expect(await rdb.listLeaseExpired(new Date((T0_S + 40) * 1000), ['q2'])).toEqual([makeMsg('b', {queue: 'q2'})]);
  });
});

describe('RDB.extendLease', () => {
  it('moves existing lease scores to now + 30 s and never adds IDs', async () => {
    const {rdb, clock} = newRdb(r.redis);
    await enqueueAndDequeue(rdb, makeMsg('a'), makeMsg('b'));
    clock.advance(20_000);
    const expiry = await rdb.extendLease('default', ['a', 'gone']);
    expect(expiry).toEqual(new Date(T0.getTime() + 50_000));
    expect(await zsetEntries(r.redis, 'asynq:{default}:lease')).toEqual([['b', T0_S + 30], ['a', T0_S + 50]]);
    expect(await rdb.extendLease('default', [])).toEqual(new Date(T0.getTime() + 50_000));
  });
});

describe('RDB.writeResult', () => {
  it('HSETs the result bytes and returns their length', async () => {
    const {rdb} = newRdb(r.redis);
    await enqueueAndDequeue(rdb, makeMsg('t1'));
    const data = new Uint8Array([0, 1, 2, 0xff]);
    expect(await rdb.writeResult('default', 't1', data.subarray(1))).toBe(3);
    expect(await r.redis.hgetBuffer('asynq:{default}:t:t1', 'result')).toEqual(Buffer.from([1, 2, 0xff]));
    expect((await taskHash(r.redis, 'default', 't1')).state).toBe('active');
  });
});

describe('cancelation', () => {
  it('delivers published task ids to the subscriber until it is closed', async () => {
    const {rdb} = newRdb(r.redis);
    const got: string[] = [];
    let wake: () => void = () => {};
    const sub = await rdb.subscribeCancelation((id) => { got.push(id); wake(); });
    const arrived = new Promise<void>((res) => { wake = res; });
    await rdb.publishCancelation('task-1');
    await arrived;
    expect(got).toEqual(['task-1']);
    expect(await r.redis.call('PUBSUB', 'NUMSUB', 'asynq:cancel')).toEqual(['asynq:cancel', 1]);
    await sub.close();
    await sub.close();
    expect(await r.redis.call('PUBSUB', 'NUMSUB', 'asynq:cancel')).toEqual(['asynq:cancel', 0]);
    expect(await r.redis.publish('asynq:cancel', 'task-2')).toBe(0);
  });

  it('reports a throwing handler to onError and keeps delivering', async () => {
    const {rdb} = newRdb(r.redis);
    const errors: string[] = [];
    const got: string[] = [];
    let wake: () => void = () => {};
    const sub = await rdb.subscribeCancelation((id) => {
      got.push(id);
      wake();
      if (id === 'bad') throw new Error('handler failed');
    }, (err) => errors.push(err.message));
    let arrived = new Promise<void>((res) => { wake = res; });
    await rdb.publishCancelation('bad');
    await arrived;
    arrived = new Promise<void>((res) => { wake = res; });
    await rdb.publishCancelation('good');
    await arrived;
    expect(got).toEqual(['bad', 'good']);
    expect(errors).toEqual(['handler failed']);
    await sub.close();
  });
});

it('encodes messages it writes exactly as the codec does (sanity for the decoded comparisons)', async () => {
  const {rdb} = newRdb(r.redis);
  await enqueueAndDequeue(rdb, makeMsg('t1'));
  expect(await r.redis.hgetBuffer('asynq:{default}:t:t1', 'msg')).toEqual(encodeTaskMessage(makeMsg('t1')));
});
