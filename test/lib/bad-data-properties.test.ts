/**
 * Property-based tests (fast-check) of the dequeue, recovery and listing paths over Redis seeded
 * with random bytes, dangling ids and keys of the wrong type: nothing throws, every good task is
 * served or listed exactly once, every bad one is moved aside or named, and a broken queue never
 * hides the others. Bounded run counts keep each property to a few seconds.
 */
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import * as keys from '../../src/lib/base/keys.js';
import {encodeTaskMessage} from '../../src/lib/base/codec.js';
import {RDB, type BadData} from '../../src/lib/broker/rdb.js';
import {RDBInspector, type BadTask} from '../../src/lib/broker/inspect.js';
import {SimulatedClock, unixSeconds} from '../../src/lib/clock.js';
import {useRedis} from '../support/redis.js';
import {makeMsg, noonToday} from '../support/seed.js';

const r = useRedis();
const T0 = noonToday(500);
const T0_S = unixSeconds(T0);
const RUNS = 50;

/** What one task id of a list or zset points at. */
type Entry =
  | {kind: 'good'}
  | {kind: 'bytes'; bytes: Uint8Array}
  | {kind: 'missing'}
  | {kind: 'string'}
  | {kind: 'list'}
  | {kind: 'nomsg'}
  | {kind: 'foreign'};

const entry: fc.Arbitrary<Entry> = fc.oneof(
  {arbitrary: fc.constant({kind: 'good'} as const), weight: 3},
  fc.uint8Array({maxLength: 40}).map((bytes) => ({kind: 'bytes', bytes}) as const),
  fc.constantFrom<Entry>({kind: 'missing'}, {kind: 'string'}, {kind: 'list'}, {kind: 'nomsg'}, {kind: 'foreign'}),
);
const entries = fc.array(entry, {minLength: 1, maxLength: 8});

/** Writes the task key of id `i` as `e` says (the id goes into a list or zset separately); true for a good task. */
async function writeEntry(q: string, id: string, e: Entry, state: string): Promise<void> {
  const key = keys.taskKey(q, id);
  switch (e.kind) {
    case 'good': await r.redis.hset(key, 'msg', encodeTaskMessage(makeMsg(id, {queue: q})), 'state', state); break;
    case 'bytes': await r.redis.hset(key, 'msg', Buffer.from(e.bytes), 'state', state); break;
    case 'missing': break;
    case 'string': await r.redis.set(key, 'x'); break;
    case 'list': await r.redis.rpush(key, 'x'); break;
    case 'nomsg': await r.redis.hset(key, 'state', state); break;
    case 'foreign': await r.redis.hset(key, 'msg', encodeTaskMessage(makeMsg(`other-${id}`, {queue: q})), 'state', state); break;
  }
}

/** Whether random bytes happen to decode to this very task (valid id, type and queue matching its key). */
const isGood = (e: Entry): boolean => e.kind === 'good';

async function fresh(): Promise<{rdb: RDB; clock: SimulatedClock}> {
  await r.redis.flushdb();
  const clock = new SimulatedClock(T0);
  return {rdb: new RDB(r.redis, {clock}), clock};
}

describe('dequeue over corrupt pending tasks (property)', () => {
  it('serves every good task once, in order, and moves every other one aside', async () => {
    await fc.assert(fc.asyncProperty(entries, async (es) => {
      const {rdb} = await fresh();
      const ids = es.map((_, i) => `t${i}`);
      for (const [i, e] of es.entries()) await writeEntry('default', ids[i]!, e, 'pending');
      // LPUSH in order: t0 is the oldest, dequeued first.
      await r.redis.lpush(keys.pendingKey('default'), ...ids);
      const served: string[] = [];
      const bad: BadData[] = [];
      for (;;) {
        const got = await rdb.dequeue(['default'], undefined, (b) => bad.push(b));
        if (!got) break;
        served.push(got.msg.id);
      }
      const goodIds = ids.filter((_, i) => isGood(es[i]!));
      // Random bytes are (almost) never a valid message of the right id: they are moved aside.
      expect(served).toEqual(goodIds);
      expect(bad.map((b) => b.id)).toEqual(ids.filter((_, i) => !isGood(es[i]!)));
      expect(await r.redis.llen(keys.pendingKey('default'))).toBe(0);
      expect((await r.redis.lrange(keys.activeKey('default'), 0, -1)).sort()).toEqual([...goodIds].sort());
      expect((await r.redis.zrange(keys.leaseKey('default'), 0, -1)).sort()).toEqual([...goodIds].sort());
      expect((await r.redis.zrange(keys.corruptKey('default'), 0, -1)).sort()).toEqual(bad.map((b) => b.id!).sort());
      // Never a hash created for a missing id, never a key of another type overwritten.
      for (const [i, e] of es.entries()) {
        const type = await r.redis.type(keys.taskKey('default', ids[i]!));
        expect(type).toBe({missing: 'none', string: 'string', list: 'list'}[e.kind as string] ?? 'hash');
      }
    }), {numRuns: RUNS});
  });
});

describe('recovery over corrupt leased tasks (property)', () => {
  it('returns every good lease-expired task and moves every other one aside, without throwing', async () => {
    await fc.assert(fc.asyncProperty(entries, async (es) => {
      const {rdb} = await fresh();
      const ids = es.map((_, i) => `t${i}`);
      for (const [i, e] of es.entries()) {
        await writeEntry('default', ids[i]!, e, 'active');
        await r.redis.lpush(keys.activeKey('default'), ids[i]!);
        await r.redis.zadd(keys.leaseKey('default'), T0_S - 60 + i, ids[i]!);
      }
      const bad: BadData[] = [];
      const msgs = await rdb.listLeaseExpired(T0, ['default'], (b) => bad.push(b));
      const goodIds = ids.filter((_, i) => isGood(es[i]!));
      expect(msgs.map((m) => m.id)).toEqual(goodIds);
      expect(bad.map((b) => b.id)).toEqual(ids.filter((_, i) => !isGood(es[i]!)));
      expect((await r.redis.zrange(keys.leaseKey('default'), 0, -1))).toEqual(goodIds);
    }), {numRuns: RUNS});
  });
});

describe('listings over corrupt tasks (property)', () => {
  it('list every good task of a page in order and name every other one', async () => {
    const state = fc.constantFrom('pending', 'active', 'scheduled', 'retry', 'archived', 'completed');
    await fc.assert(fc.asyncProperty(entries, state, async (es, st) => {
      const {rdb} = await fresh();
      await rdb.registerQueue('default');
      const ids = es.map((_, i) => `t${i}`);
      for (const [i, e] of es.entries()) {
        await writeEntry('default', ids[i]!, e, st);
        if (st === 'pending' || st === 'active') await r.redis.lpush(`asynq:{default}:${st}`, ids[i]!);
        else await r.redis.zadd(`asynq:{default}:${st}`, T0_S + i, ids[i]!);
      }
      if (st === 'active') for (const id of ids) await r.redis.zadd(keys.leaseKey('default'), T0_S + 30, id);
      const insp = new RDBInspector(rdb);
      const bad: BadTask[] = [];
      const list = {pending: 'listPending', active: 'listActive', scheduled: 'listScheduled', retry: 'listRetry', archived: 'listArchived', completed: 'listCompleted'} as const;
      const got = await insp[list[st as keyof typeof list]]('default', {size: 100, onBadData: (b) => bad.push(b)});
      // 'foreign' messages decode fine: a listing shows what the hash holds, as Go does.
      const listed = (e: Entry): boolean => e.kind === 'good' || e.kind === 'foreign';
      expect(got.map((t) => t.msg.id)).toEqual(es.flatMap((e, i) => (listed(e) ? [e.kind === 'foreign' ? `other-t${i}` : `t${i}`] : [])));
      expect(bad.map((b) => b.id)).toEqual(ids.filter((_, i) => !listed(es[i]!)));
      // The task view of each bad one names it as bad data (or not found for a missing hash).
      for (const b of bad) {
        const err = await insp.getTaskInfo('default', b.id).catch((e: unknown) => e);
        expect((err as {code?: string}).code).toMatch(/^(BAD_DATA|TASK_NOT_FOUND)$/);
      }
    }), {numRuns: RUNS});
  });
});

describe('a queue key of the wrong type (property)', () => {
  it('never stops the dequeue, recovery, or stats of the other queues', async () => {
    const keyOf = fc.constantFrom(keys.pendingKey, keys.activeKey, keys.leaseKey, keys.corruptKey, keys.corruptReasonsKey, keys.archivedKey);
    const wrong = fc.constantFrom('string', 'list', 'hash', 'set', 'zset');
    await fc.assert(fc.asyncProperty(keyOf, wrong, async (key, type) => {
      const {rdb} = await fresh();
      const k = key('broken');
      switch (type) {
        case 'string': await r.redis.set(k, 'x'); break;
        case 'list': await r.redis.rpush(k, 'x'); break;
        case 'hash': await r.redis.hset(k, 'x', 'y'); break;
        case 'set': await r.redis.sadd(k, 'x'); break;
        case 'zset': await r.redis.zadd(k, 1, 'x'); break;
      }
      await rdb.registerQueue('broken');
      await r.redis.hset(keys.taskKey('broken', 'b1'), 'msg', encodeTaskMessage(makeMsg('b1', {queue: 'broken'})), 'state', 'active');
      await rdb.enqueue(makeMsg('ok1', {queue: 'ok'}));
      const got = await rdb.dequeue(['broken', 'ok']);
      expect(got?.msg.id === 'ok1' || got?.msg.queue === 'broken').toBe(true);
      if (got?.msg.queue === 'broken') expect((await rdb.dequeue(['broken', 'ok']))!.msg.id).toBe('ok1');
      await rdb.listLeaseExpired(new Date(T0.getTime() + 3600_000), ['broken', 'ok']);
      const insp = new RDBInspector(rdb);
      expect((await insp.currentStats('ok')).active).toBe(1);
      await insp.currentStats('broken').catch((err: unknown) => expect((err as {code?: string}).code).toBe('BAD_DATA'));
    }), {numRuns: RUNS});
  });
});
