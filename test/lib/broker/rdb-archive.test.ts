/** RDB.archive: move to archived, age and size trims that delete the trimmed hashes (Go archiveCmd). */
import {describe, expect, it} from 'vitest';
import {keyTypes} from '../../support/dump.js';
import {useRedis} from '../../support/redis.js';
import {TaskNotFoundError} from '../../../src/lib/errors.js';
import {uniqueKey} from '../../../src/lib/base/keys.js';
import {
  DAY_S, enqueueAndDequeue, expireTime, makeMsg, newRdb, T0, T0_S, taskHash, TODAY, zsetEntries,
} from '../../support/seed.js';

const r = useRedis();

/** Puts n archived tasks (hash + zset entry) with scores from `score(i)`. */
async function seedArchived(n: number, score: (i: number) => number, prefix = 'old'): Promise<void> {
  const p = r.redis.pipeline();
  for (let i = 0; i < n; i++) {
    const id = `${prefix}${String(i).padStart(5, '0')}`;
    p.hset(`asynq:{default}:t:${id}`, 'msg', 'x', 'state', 'archived');
    p.zadd('asynq:{default}:archived', score(i), id);
  }
  await p.exec();
}

describe('RDB.archive', () => {
  it('stores the message with error and last-failed time (retried unchanged), scores now, counts processed+failed', async () => {
    const {rdb, clock} = newRdb(r.redis);
    const m = makeMsg('a1', {retry: 0, retried: 0});
    await enqueueAndDequeue(rdb, m);
    clock.advance(3000);
    await rdb.archive(m, 'fatal');
    expect(await keyTypes(r.redis)).toEqual({
      'asynq:queues': 'set',
      'asynq:{default}:archived': 'zset',
      [`asynq:{default}:failed:${TODAY}`]: 'string',
      'asynq:{default}:failed': 'string',
      [`asynq:{default}:processed:${TODAY}`]: 'string',
      'asynq:{default}:processed': 'string',
      'asynq:{default}:t:a1': 'hash',
    });
    expect(await taskHash(r.redis, 'default', 'a1')).toEqual({msg: {...m, errorMsg: 'fatal', lastFailedAt: T0_S + 3}, state: 'archived'});
    expect(await zsetEntries(r.redis, 'asynq:{default}:archived')).toEqual([['a1', T0_S + 3]]);
    for (const k of ['processed', 'failed']) {
      expect(await r.redis.get(`asynq:{default}:${k}:${TODAY}`)).toBe('1');
      expect(await expireTime(r.redis, `asynq:{default}:${k}:${TODAY}`)).toBe(T0_S + 3 + 90 * DAY_S);
      expect(await r.redis.get(`asynq:{default}:${k}`)).toBe('1');
      expect(await expireTime(r.redis, `asynq:{default}:${k}`)).toBe(-1);
    }
  });

  it('keeps the unique lock', async () => {
    const {rdb} = newRdb(r.redis);
    const uk = uniqueKey('default', 'email:welcome', Buffer.from('{"user_id":42}'));
    const m = makeMsg('u1', {uniqueKey: uk});
    await rdb.enqueueUnique(m, 3600);
    await rdb.dequeue(['default']);
    await rdb.archive(m, 'x');
    expect(await r.redis.get(uk)).toBe('u1');
    expect(await taskHash(r.redis, 'default', 'u1')).toEqual({msg: expect.anything(), state: 'archived', unique_key: uk});
  });

  it('deletes archived tasks scored at or before now - 90 days, hash and zset entry', async () => {
    const {rdb} = newRdb(r.redis);
    const cutoff = T0_S - 90 * DAY_S;
    await seedArchived(3, (i) => cutoff - 1 + i); // cutoff-1, cutoff, cutoff+1
    await enqueueAndDequeue(rdb, makeMsg('a1'));
    await rdb.archive(makeMsg('a1'), 'x');
    expect(await zsetEntries(r.redis, 'asynq:{default}:archived')).toEqual([['old00002', cutoff + 1], ['a1', T0_S]]);
    expect(await r.redis.exists('asynq:{default}:t:old00000', 'asynq:{default}:t:old00001')).toBe(0);
    expect(await r.redis.exists('asynq:{default}:t:old00002')).toBe(1);
  });

  it('trims a full archive (10 000 after the add) to 9 999, deleting the oldest task hash', async () => {
    const {rdb} = newRdb(r.redis);
    await seedArchived(9_999, (i) => T0_S - 10_000 + i);
    await enqueueAndDequeue(rdb, makeMsg('a1'));
    await rdb.archive(makeMsg('a1'), 'x');
    expect(await r.redis.zcard('asynq:{default}:archived')).toBe(9_999);
    expect(await r.redis.zscore('asynq:{default}:archived', 'old00000')).toBeNull();
    expect(await r.redis.exists('asynq:{default}:t:old00000')).toBe(0);
    expect(await r.redis.exists('asynq:{default}:t:old00001')).toBe(1);
    expect(await r.redis.zscore('asynq:{default}:archived', 'a1')).toBe(String(T0_S));
    expect((await taskHash(r.redis, 'default', 'a1')).state).toBe('archived');
  });

  it('trims an over-full archive down to 9 999 with every trimmed hash deleted', async () => {
    const {rdb} = newRdb(r.redis);
    await seedArchived(10_005, (i) => T0_S - 20_000 + i);
    await enqueueAndDequeue(rdb, makeMsg('a1'));
    await rdb.archive(makeMsg('a1'), 'x');
    expect(await r.redis.zcard('asynq:{default}:archived')).toBe(9_999);
    // 10 006 entries → ranks 0..6 go.
    for (let i = 0; i <= 6; i++) expect(await r.redis.exists(`asynq:{default}:t:old0000${i}`)).toBe(0);
    expect(await r.redis.exists('asynq:{default}:t:old00007')).toBe(1);
    const taskKeys = (await r.redis.keys('asynq:{default}:t:*')).length;
    expect(taskKeys).toBe(9_999);
  });

  it('leaves a 9 998-entry archive untouched apart from the new task', async () => {
    const {rdb} = newRdb(r.redis);
    await seedArchived(9_998, (i) => T0_S - 10_000 + i);
    await enqueueAndDequeue(rdb, makeMsg('a1'));
    await rdb.archive(makeMsg('a1'), 'x');
    expect(await r.redis.zcard('asynq:{default}:archived')).toBe(9_999);
    expect(await r.redis.exists('asynq:{default}:t:old00000')).toBe(1);
  });

  it('wraps both totals to 1 when processed holds the max int64', async () => {
    const {rdb} = newRdb(r.redis);
    await enqueueAndDequeue(rdb, makeMsg('a1'));
    await r.redis.set('asynq:{default}:processed', '9223372036854775807');
    await r.redis.set('asynq:{default}:failed', '5');
    await rdb.archive(makeMsg('a1'), 'x');
    expect(await r.redis.mget('asynq:{default}:processed', 'asynq:{default}:failed')).toEqual(['1', '1']);
  });

  it('throws TaskNotFoundError for a task that is not active, writing nothing', async () => {
    const {rdb} = newRdb(r.redis);
    await rdb.enqueue(makeMsg('a1'));
    await seedArchived(1, () => T0_S - 100 * DAY_S);
    const before = await keyTypes(r.redis);
    await expect(rdb.archive(makeMsg('a1'), 'x')).rejects.toBeInstanceOf(TaskNotFoundError);
    expect(await keyTypes(r.redis)).toEqual(before);
    expect(await r.redis.zcard('asynq:{default}:archived')).toBe(1);
  });
});

it('T0 fixture sits near the wall clock so Redis keeps the 90-day keys', () => {
  expect(Math.abs(T0.getTime() - Date.now())).toBeLessThan(DAY_S * 1000);
});
