/**
 * RDBLimits on a real Redis, with exact contents: limitDefer-5.lua (back of pending or scheduled,
 * message and counters untouched), limitAcquire-3.lua (cap with Go's expiry rule, GCRA rate with
 * its burst and delay, waiting entries, TTLs, nothing taken when refused or probing).
 */
import {describe, expect, it} from 'vitest';
import {encodeTaskMessage} from '../../../src/lib/base/codec.js';
import {RDBLimits} from '../../../src/lib/broker/limits.js';
import {RDB} from '../../../src/lib/broker/rdb.js';
import {TaskNotFoundError} from '../../../src/lib/errors.js';
import {normalizeLimits} from '../../../src/lib/limits/spec.js';
import {dumpAll} from '../../support/dump.js';
import {useRedis} from '../../support/redis.js';
import {makeMsg, seedActive, seedPending} from '../../support/seed.js';

const r = useRedis();
const limitsOf = (): RDBLimits => new RDBLimits(new RDB(r.redis));
const nowS = (): number => Math.floor(Date.now() / 1000);

describe('limitDefer-5.lua', () => {
  it('moves an active task to the back of pending (pending_since now) with its message and the counters untouched', async () => {
    const t1 = makeMsg('t1', {retried: 2});
    await seedPending(r.redis, [{msg: makeMsg('p1')}]);
    await seedActive(r.redis, [{msg: t1, score: nowS() + 30}]);
    await limitsOf().defer(t1);
    const dump = await dumpAll(r.redis);
    expect(dump.map((d) => d.key)).toEqual(['asynq:queues', 'asynq:{default}:pending', 'asynq:{default}:t:p1', 'asynq:{default}:t:t1']);
    const pending = dump.find((d) => d.key === 'asynq:{default}:pending')!.value as Buffer[];
    // LPUSH: t1 is at the end dequeued last (dequeue takes from the right).
    expect(pending.map(String)).toEqual(['t1', 'p1']);
    const hash = dump.find((d) => d.key === 'asynq:{default}:t:t1')!.value as Record<string, Buffer>;
    expect(Object.keys(hash).sort()).toEqual(['msg', 'pending_since', 'state']);
    expect(String(hash.state)).toBe('pending');
    expect(hash.msg!.equals(Buffer.from(encodeTaskMessage(t1)))).toBe(true);
  });

  it('moves it to scheduled at the given time when the limit frees later; NOT FOUND when it is not active', async () => {
    const t1 = makeMsg('t1');
    await seedActive(r.redis, [{msg: t1, score: nowS() + 30}]);
    await limitsOf().defer(t1, new Date((nowS() + 120) * 1000 + 1));
    expect(await r.redis.zrange('asynq:{default}:scheduled', 0, -1, 'WITHSCORES')).toEqual(['t1', String(nowS() + 121)]);
    expect(await r.redis.hget('asynq:{default}:t:t1', 'state')).toBe('scheduled');
    expect(await r.redis.exists('asynq:{default}:active', 'asynq:{default}:lease')).toBe(0);
    await expect(limitsOf().defer(t1)).rejects.toBeInstanceOf(TaskNotFoundError);
  });
});

describe('limitAcquire-3.lua', () => {
  const opts = {backoffMs: 50, graceMs: 6000};
  const deadline = (): Date => new Date((nowS() + 60) * 1000);

  it('cap: takes a token (Go layout), refuses when full (recording the task as waiting), drops expired holders', async () => {
    const [cap] = normalizeLimits([{match: {queue: 'q'}, concurrency: 1}]);
    const l = limitsOf();
    expect(await l.acquire(cap!, 'a', deadline(), opts)).toEqual({ok: true});
    expect(await r.redis.zrange('asynq:sema:queue:q', 0, -1, 'WITHSCORES')).toEqual(['a', String(nowS() + 60)]);
    expect(await l.acquire(cap!, 'b', deadline(), {...opts, probe: true})).toEqual({ok: false, delayMs: 50, kind: 'concurrency'});
    expect(await r.redis.exists('asynq:limit:{asynq:sema:queue:q}:waiting')).toBe(0);
    expect(await l.acquire(cap!, 'b', deadline(), opts)).toEqual({ok: false, delayMs: 50, kind: 'concurrency'});
    expect(await r.redis.zrange('asynq:limit:{asynq:sema:queue:q}:waiting', 0, -1)).toEqual(['b']);
    const ttl = await r.redis.pttl('asynq:limit:{asynq:sema:queue:q}:waiting');
    expect(ttl).toBeGreaterThan(6000);
    expect(ttl).toBeLessThanOrEqual(7100);
    // A's deadline passed (a crashed holder): b gets the token and leaves the waiting set.
    await r.redis.zadd('asynq:sema:queue:q', nowS() - 2, 'a');
    expect(await l.acquire(cap!, 'b', deadline(), opts)).toEqual({ok: true});
    expect(await r.redis.zrange('asynq:sema:queue:q', 0, -1)).toEqual(['b']);
    expect(await r.redis.exists('asynq:limit:{asynq:sema:queue:q}:waiting')).toBe(0);
    expect(await l.release('queue:q', 'b')).toBe(true);
    expect(await l.release('queue:q', 'b')).toBe(false);
  });

  it('rate: an interval of a fraction of a ms (3 per second) starts and refuses without a Redis error (PEXPIRE takes whole ms)', async () => {
    const [rate] = normalizeLimits([{match: {type: 'thirds'}, rate: {count: 3, per: '1s'}}]);
    const l = limitsOf();
    for (const id of ['a', 'b', 'c']) expect(await l.acquire(rate!, id, deadline(), opts)).toEqual({ok: true});
    expect(await l.acquire(rate!, 'd', deadline(), opts)).toMatchObject({ok: false, kind: 'rate'});
    const ttl = await r.redis.pttl('asynq:limit:{asynq:sema:type:thirds}:rate');
    expect(ttl).toBeGreaterThan(2000);
    expect(ttl).toBeLessThanOrEqual(3001);
  });

  it('rate: a burst of `burst` starts, then one per interval; a refusal says when, takes nothing; the state has a TTL', async () => {
    const [rate] = normalizeLimits([{match: {type: 'email:*'}, rate: {count: 10, per: '1s', burst: 3}}]);
    const l = limitsOf();
    for (const id of ['a', 'b', 'c']) expect(await l.acquire(rate!, id, deadline(), opts)).toEqual({ok: true});
    const refused = await l.acquire(rate!, 'd', deadline(), opts);
    expect(refused).toMatchObject({ok: false, kind: 'rate'});
    const delay = (refused as {delayMs: number}).delayMs;
    expect(delay).toBeGreaterThan(0);
    expect(delay).toBeLessThanOrEqual(100);
    const key = 'asynq:limit:{asynq:sema:type:email:*}:rate';
    expect((await r.redis.hkeys(key)).sort()).toEqual(['n', 'pn', 'tat', 'ws']);
    expect(await r.redis.hget(key, 'n')).toBe('3');
    const ttl = await r.redis.pttl(key);
    expect(ttl).toBeGreaterThan(2000);
    expect(ttl).toBeLessThanOrEqual(2300);
    expect(await r.redis.exists('asynq:sema:type:email:*')).toBe(0);
    await new Promise((res) => setTimeout(res, delay + 5));
    expect(await l.acquire(rate!, 'd', deadline(), opts)).toEqual({ok: true});
    const [use] = await l.usage([{scope: 'type:email:*', match: {type: 'email:*'}, rate: {count: 10, perMs: 1000, burst: 3}}]);
    expect(use).toEqual({scope: 'type:email:*', tokensHeld: 0, rateUsed: 4, waiting: 0});
  });

  it('a batch: one call decides each task in turn as separate calls would (cap and rate together), and one ZREM gives back many', async () => {
    const [both] = normalizeLimits([{match: {queue: 'q'}, concurrency: 3, rate: {count: 10, per: '1s', burst: 2}}]);
    const l = limitsOf();
    // 'held' holds a token already (a task asking again keeps it and is not counted twice).
    await r.redis.zadd('asynq:sema:queue:q', nowS() + 60, 'held');
    await r.redis.config('RESETSTAT');
    const ds = await l.acquireMany(both!, ['a', 'b', 'c', 'held'].map((id) => ({id, deadline: deadline()})), opts);
    const calls = await r.redis.info('commandstats');
    expect([...calls.matchAll(/cmdstat_eval(?:sha)?:calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0)).toBe(1);
    // a and b: tokens 2 and 3 and the rate's burst of 2; c: the cap is full; held: holds a token, but the rate is used up.
    expect(ds.map((d) => (d.ok ? 'ok' : d.kind))).toEqual(['ok', 'ok', 'concurrency', 'rate']);
    expect((await r.redis.zrange('asynq:sema:queue:q', 0, -1)).sort()).toEqual(['a', 'b', 'held']);
    expect(await r.redis.hget('asynq:limit:{asynq:sema:queue:q}:rate', 'n')).toBe('2');
    expect((await r.redis.zrange('asynq:limit:{asynq:sema:queue:q}:waiting', 0, -1)).sort()).toEqual(['c', 'held']);
    // The cap alone: d takes the third token after a and b, e and f find it full (one refusal each).
    const [cap] = normalizeLimits([{match: {queue: 'r'}, concurrency: 3}]);
    const dc = await l.acquireMany(cap!, ['a', 'b', 'd', 'e', 'f', 'a'].map((id) => ({id, deadline: deadline()})), opts);
    expect(dc.map((d) => (d.ok ? 'ok' : `${d.kind} ${d.delayMs}`))).toEqual(['ok', 'ok', 'ok', 'concurrency 50', 'concurrency 50', 'ok']);
    expect((await r.redis.zrange('asynq:sema:queue:r', 0, -1)).sort()).toEqual(['a', 'b', 'd']);
    expect(await l.releaseMany('queue:r', ['a', 'd', 'zz'])).toBe(2);
    expect(await r.redis.zrange('asynq:sema:queue:r', 0, -1)).toEqual(['b']);
  });
});
