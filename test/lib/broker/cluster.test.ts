/**
 * The broker on a real 3-master Redis Cluster (test/support/redis-cluster.ts): every RDB,
 * RDBGroups, RDBState and RDBInspector operation on queues whose slots live on three different
 * masters. Redis 7 rejects a script whose keys — declared or built from ARGV prefixes — span
 * slots, and ioredis rejects a pipeline whose keys span nodes, so each passing test shows the
 * operation stays within one slot. State is read back from the master that owns the queue's slot
 * (a direct connection), so the spread is real, not an artefact of the cluster client.
 *
 * The last test checks that every Lua script of src/lib/scripts ran on the cluster at least once.
 */
import {createHash} from 'node:crypto';
import {beforeAll, beforeEach, describe, expect, it} from 'vitest';
import type {Redis} from 'ioredis';
import * as keys from '../../../src/lib/base/keys.js';
import {ZERO_TIME, type ServerInfo, type TaskMessage, type WorkerInfo} from '../../../src/lib/base/codec.js';
import {RDB} from '../../../src/lib/broker/rdb.js';
import {RDBGroups} from '../../../src/lib/broker/groups.js';
import {RDBInspector} from '../../../src/lib/broker/inspect.js';
import {RDBLimits} from '../../../src/lib/broker/limits.js';
import {normalizeLimits} from '../../../src/lib/limits/spec.js';
import {RDBState} from '../../../src/lib/broker/state.js';
import {SimulatedClock} from '../../../src/lib/clock.js';
import {
  DuplicateTaskError, FailedPreconditionError, QueueNotEmptyError, QueueNotFoundError, TaskIdConflictError,
} from '../../../src/lib/errors.js';
import {scripts} from '../../../src/lib/scripts/index.js';
import {useRedisCluster} from '../../support/redis-cluster.js';
import {makeMsg, readMsg, T0, T0_NS, T0_S, TODAY, zsetEntries} from '../../support/seed.js';

const fx = useRedisCluster({masters: 3});

/** Three queues whose slots are served by three different masters. */
let Q: [string, string, string];
/** A direct (non-cluster) connection to the master serving each queue's slot. */
const masterOf = new Map<string, Redis>();
const portOf = new Map<string, number>();

const CANDIDATES = ['critical', 'default', 'low', 'emails', 'reports', 'images', 'webhooks', 'billing', 'search', 'exports'];

beforeAll(async () => {
  const byMaster = new Map<number, string>();
  for (const q of CANDIDATES) {
    const m = await fx.cluster.masterOf(keys.pendingKey(q));
    if (!byMaster.has(m.port)) {
      byMaster.set(m.port, q);
      masterOf.set(q, m.client());
      portOf.set(q, m.port);
    }
  }
  const picked = [...byMaster.values()];
  if (picked.length !== 3) throw new Error(`candidate queue names cover ${picked.length} masters only: ${picked.join(', ')}`);
  Q = picked as [string, string, string];
});

let clock: SimulatedClock;
let rdb: RDB;
let insp: RDBInspector;
let groups: RDBGroups;
let state: RDBState;

beforeEach(() => {
  clock = new SimulatedClock(T0);
  rdb = new RDB(fx.redis, {clock});
  insp = new RDBInspector(rdb);
  groups = new RDBGroups(rdb);
  state = new RDBState(rdb);
});

const on = (q: string): Redis => masterOf.get(q)!;
const PAYLOAD = Buffer.from('{"user_id":42}');
const unique = (id: string, q: string, type: string): TaskMessage =>
  makeMsg(id, {queue: q, type, uniqueKey: keys.uniqueKey(q, type, PAYLOAD)});

/** Names and types of the keys of queue q, read from the master that owns its slot. */
async function queueKeyTypes(q: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const k of (await on(q).keys(`asynq:{${q}}:*`)).sort()) out[k] = await on(q).type(k);
  return out;
}

async function taskState(q: string, id: string): Promise<string | null> {
  return on(q).hget(keys.taskKey(q, id), 'state');
}

/**
 * One task in every state in queue q, through the broker: `<q>-retry` (failed once, retry in
 * 60 s), `<q>-archived`, `<q>-completed` (retention 3600 s), `<q>-active`, `<q>-pending`,
 * `<q>-scheduled` (in 60 s) and `<q>-agg` in group `grp`.
 */
async function seedEveryState(q: string): Promise<void> {
  const m = (s: string, f: Partial<TaskMessage> = {}): TaskMessage => makeMsg(`${q}-${s}`, {queue: q, ...f});
  for (const [s, finish] of [
    ['retry', (t: TaskMessage) => rdb.retry(t, new Date(T0.getTime() + 60_000), 'boom', true)],
    ['archived', (t: TaskMessage) => rdb.archive(t, 'fatal')],
    ['completed', (t: TaskMessage) => rdb.markAsComplete(t)],
    ['active', async () => {}],
  ] as const) {
    await rdb.enqueue(m(s, s === 'completed' ? {retention: 3600} : {}));
    const got = await rdb.dequeue([q]);
    expect(got?.msg.id).toBe(`${q}-${s}`);
    await finish(got!.msg);
  }
  await rdb.enqueue(m('pending'));
  await rdb.schedule(m('scheduled'), new Date(T0.getTime() + 60_000));
  await rdb.addToGroup(m('agg', {groupKey: 'grp'}), 'grp');
}

describe('the harness cluster', () => {
  it('serves the three test queues from three different masters, all keys of a queue in one slot (checklist 15)', async () => {
    expect(new Set(Q.map((q) => portOf.get(q))).size).toBe(3);
    for (const q of Q) {
      const slots = await Promise.all([
        keys.pendingKey(q), keys.taskKey(q, 'x'), keys.uniqueKey(q, 't', PAYLOAD), keys.groupKey(q, 'g'),
        keys.aggregationSetKey(q, 'g', 'set'), keys.processedKey(q, T0), keys.pausedKey(q),
      ].map((k) => fx.cluster.keySlot(k)));
      expect(new Set(slots).size).toBe(1);
    }
  });
});

describe('RDB on Redis Cluster', () => {
  it('enqueues, unique-enqueues, schedules and groups tasks in queues on every master', async () => {
    const at = new Date(T0.getTime() + 60_000);
    for (const q of Q) {
      await rdb.enqueue(makeMsg(`${q}-p`, {queue: q}));
      await rdb.enqueueUnique(unique(`${q}-pu`, q, 'u:pending'), 300);
      await rdb.schedule(makeMsg(`${q}-s`, {queue: q}), at);
      await rdb.scheduleUnique(unique(`${q}-su`, q, 'u:scheduled'), at, 360);
      await rdb.addToGroup(makeMsg(`${q}-g`, {queue: q, groupKey: 'grp'}), 'grp');
      await rdb.addToGroupUnique(unique(`${q}-gu`, q, 'u:group'), 'grp', 300);
      await expect(rdb.enqueueUnique(unique(`${q}-dup`, q, 'u:pending'), 300)).rejects.toBeInstanceOf(DuplicateTaskError);
      await expect(rdb.enqueue(makeMsg(`${q}-p`, {queue: q}))).rejects.toBeInstanceOf(TaskIdConflictError);
    }
    for (const q of Q) {
      expect(await queueKeyTypes(q)).toEqual({
        [keys.allGroups(q)]: 'set',
        [keys.groupKey(q, 'grp')]: 'zset',
        [keys.pendingKey(q)]: 'list',
        [keys.scheduledKey(q)]: 'zset',
        ...Object.fromEntries(['g', 'gu', 'p', 'pu', 's', 'su'].map((s) => [keys.taskKey(q, `${q}-${s}`), 'hash'])),
        [keys.uniqueKey(q, 'u:group', PAYLOAD)]: 'string',
        [keys.uniqueKey(q, 'u:pending', PAYLOAD)]: 'string',
        [keys.uniqueKey(q, 'u:scheduled', PAYLOAD)]: 'string',
      });
      expect(await on(q).lrange(keys.pendingKey(q), 0, -1)).toEqual([`${q}-pu`, `${q}-p`]);
      expect(await zsetEntries(on(q), keys.scheduledKey(q))).toEqual([[`${q}-s`, T0_S + 60], [`${q}-su`, T0_S + 60]]);
      expect(await zsetEntries(on(q), keys.groupKey(q, 'grp'))).toEqual([[`${q}-g`, T0_S], [`${q}-gu`, T0_S]]);
      expect(await on(q).smembers(keys.allGroups(q))).toEqual(['grp']);
      expect(await on(q).hgetall(keys.taskKey(q, `${q}-pu`))).toMatchObject({
        state: 'pending', pending_since: T0_NS, unique_key: keys.uniqueKey(q, 'u:pending', PAYLOAD),
      });
      expect(await on(q).hgetall(keys.taskKey(q, `${q}-gu`))).toMatchObject({state: 'aggregating', group: 'grp'});
      expect(await on(q).get(keys.uniqueKey(q, 'u:scheduled', PAYLOAD))).toBe(`${q}-su`);
      const ttl = await on(q).ttl(keys.uniqueKey(q, 'u:scheduled', PAYLOAD));
      expect(ttl).toBeGreaterThan(350);
      expect(ttl).toBeLessThanOrEqual(360);
    }
    expect((await fx.redis.smembers(keys.allQueues)).sort()).toEqual([...Q].sort());
  });

  it('enqueues a batch spanning all masters: one pipeline per queue, results in item order', async () => {
    const later = new Date(T0.getTime() + 30_000);
    const items = [
      {msg: makeMsg('a1', {queue: Q[0]})},
      {msg: makeMsg('b1', {queue: Q[1]})},
      {msg: makeMsg('c1', {queue: Q[2]}), processAt: later},
      {msg: makeMsg('a2', {queue: Q[0]}), processAt: later},
      {msg: makeMsg('b2', {queue: Q[1]})},
      {msg: makeMsg('c2', {queue: Q[2]})},
    ];
    expect(await rdb.enqueueBatch(items)).toEqual([null, null, null, null, null, null]);
    // A second batch with an ID that exists: Go reports it as success and writes nothing.
    expect(await rdb.enqueueBatch([{msg: makeMsg('b1', {queue: Q[1], type: 'other'})}, {msg: makeMsg('c3', {queue: Q[2]})}]))
      .toEqual([null, null]);
    expect(await on(Q[0]).lrange(keys.pendingKey(Q[0]), 0, -1)).toEqual(['a1']);
    expect(await zsetEntries(on(Q[0]), keys.scheduledKey(Q[0]))).toEqual([['a2', T0_S + 30]]);
    expect(await on(Q[1]).lrange(keys.pendingKey(Q[1]), 0, -1)).toEqual(['b2', 'b1']);
    expect((await readMsg(on(Q[1]), Q[1], 'b1')).type).toBe('task:b1');
    expect(await on(Q[2]).lrange(keys.pendingKey(Q[2]), 0, -1)).toEqual(['c3', 'c2']);
    expect(await zsetEntries(on(Q[2]), keys.scheduledKey(Q[2]))).toEqual([['c1', T0_S + 30]]);
    for (const [q, id] of [[Q[0], 'a1'], [Q[1], 'b2'], [Q[2], 'c2']] as const) {
      expect(await on(q).hget(keys.taskKey(q, id), 'pending_since')).toBe(T0_NS);
    }
    expect((await fx.redis.smembers(keys.allQueues)).sort()).toEqual([...Q].sort());
  });

  it('enqueues a batch spanning queues on two masters: two tasks of one queue keep their order', async () => {
    const [qa, qb] = Q;
    const res = await rdb.enqueueBatch([
      {msg: makeMsg('a1', {queue: qa})},
      {msg: makeMsg('b1', {queue: qb})},
      {msg: makeMsg('a2', {queue: qa})},
      {msg: makeMsg('b2', {queue: qb}), processAt: new Date(T0.getTime() + 60_000)},
    ]);
    expect(res).toEqual([null, null, null, null]);
    expect(await on(qa).lrange(keys.pendingKey(qa), 0, -1)).toEqual(['a2', 'a1']);
    expect(await on(qb).lrange(keys.pendingKey(qb), 0, -1)).toEqual(['b1']);
    expect(await on(qb).zrange(keys.scheduledKey(qb), 0, -1)).toEqual(['b2']);
    expect(await on(qb).hget(keys.taskKey(qb, 'b1'), 'pending_since')).toBe(T0_NS);
    expect((await fx.redis.smembers(keys.allQueues)).sort()).toEqual([qa, qb].sort());
  });

  it('dequeues from the second queue asked (another master) the message as enqueued, and marks it done', async () => {
    const [qa, qb] = Q;
    await rdb.enqueue(makeMsg('t1', {queue: qb}));
    const got = await rdb.dequeue([qa, qb]);
    expect(got?.msg).toEqual(makeMsg('t1', {queue: qb}));
    await rdb.done(got!.msg);
    expect(await on(qb).exists(keys.taskKey(qb, 't1'))).toBe(0);
    expect(await on(qb).get(keys.processedTotalKey(qb))).toBe('1');
  });

  it('dequeues across queues on different masters in the given order, skipping paused queues', async () => {
    for (const q of Q) await rdb.enqueue(makeMsg(`${q}-t`, {queue: q}));
    await insp.pause(Q[0]);
    expect((await rdb.dequeue([...Q]))?.msg.id).toBe(`${Q[1]}-t`);
    expect((await rdb.dequeue([...Q]))?.msg.id).toBe(`${Q[2]}-t`);
    expect(await rdb.dequeue([...Q])).toBeNull();
    await insp.unpause(Q[0]);
    const last = await rdb.dequeue([...Q]);
    expect(last?.msg.id).toBe(`${Q[0]}-t`);
    expect(last?.leaseExpiresAt).toEqual(new Date(T0.getTime() + 30_000));
    for (const q of Q) {
      expect(await on(q).lrange(keys.activeKey(q), 0, -1)).toEqual([`${q}-t`]);
      expect(await zsetEntries(on(q), keys.leaseKey(q))).toEqual([[`${q}-t`, T0_S + 30]]);
      expect(await on(q).hgetall(keys.taskKey(q, `${q}-t`))).toEqual({
        msg: expect.any(String), state: 'active',
      });
    }
  });

  it('finishes a task and dequeues the next of its queue in one call on every master (finishAndDequeue)', async () => {
    for (const q of Q) {
      const first = unique(`${q}-f1`, q, 'u:f1');
      await rdb.enqueueUnique(first, 300);
      await rdb.enqueue(makeMsg(`${q}-f2`, {queue: q}));
      const leased = (await rdb.dequeue([q]))!.msg;
      const next = await rdb.finishAndDequeue(leased);
      expect(next?.msg.id).toBe(`${q}-f2`);
      expect(await rdb.finishAndDequeue({...next!.msg, retention: 60})).toBeNull();
      expect(await on(q).exists(first.uniqueKey, keys.taskKey(q, `${q}-f1`))).toBe(0);
      expect(await zsetEntries(on(q), keys.completedKey(q))).toEqual([[`${q}-f2`, T0_S + 60]]);
    }
  });

  it('claims several tasks and finishes several tasks with a claim in one call on every master (dequeueBatch, finishAndClaim)', async () => {
    for (const q of Q) {
      const lock = unique(`${q}-b1`, q, 'u:b1');
      await rdb.enqueueUnique(lock, 300);
      for (const id of ['b2', 'b3', 'b4']) await rdb.enqueue(makeMsg(`${q}-${id}`, {queue: q}));
      // On a Cluster one finishAndClaim-9.lua call per queue in the order.
      const claimed = await rdb.dequeueBatch([[q], [q]]);
      expect(claimed.map((c) => c.msg.id)).toEqual([`${q}-b1`, `${q}-b2`]);
      const res = await rdb.finishAndClaim(q, [claimed[0]!.msg, {...claimed[1]!.msg, retention: 60}], 3);
      expect(res.errors).toEqual([null, null]);
      expect(res.claimed.map((c) => c.msg.id)).toEqual([`${q}-b3`, `${q}-b4`]);
      expect(await on(q).exists(lock.uniqueKey, keys.taskKey(q, `${q}-b1`))).toBe(0);
      expect(await zsetEntries(on(q), keys.completedKey(q))).toEqual([[`${q}-b2`, T0_S + 60]]);
      expect(await on(q).lrange(keys.activeKey(q), 0, -1)).toEqual([`${q}-b4`, `${q}-b3`]);
    }
  });

  it('finishes tasks on every master: done, complete (both also unique), requeue, retry, archive, then forward', async () => {
    const kinds = ['done', 'doneu', 'complete', 'completeu', 'requeue', 'retry', 'archive'] as const;
    const make = (q: string, k: string): TaskMessage => {
      const m = k.endsWith('u') ? unique(`${q}-${k}`, q, `u:${k}`) : makeMsg(`${q}-${k}`, {queue: q});
      return {...m, retention: k.startsWith('complete') ? 3600 : 0};
    };
    for (const q of Q) {
      for (const k of kinds) {
        const m = make(q, k);
        if (m.uniqueKey) await rdb.enqueueUnique(m, 300);
        else await rdb.enqueue(m);
      }
      const leased: TaskMessage[] = [];
      for (const _ of kinds) leased.push((await rdb.dequeue([q]))!.msg);
      expect(leased.map((m) => m.id)).toEqual(kinds.map((k) => `${q}-${k}`));
      const [done, doneu, complete, completeu, requeue, retry, archive] = leased as [TaskMessage, ...TaskMessage[]];
      await rdb.done(done);
      await rdb.done(doneu!);
      await rdb.markAsComplete(complete!);
      await rdb.markAsComplete(completeu!);
      await rdb.requeue(requeue!);
      await rdb.retry(retry!, new Date(T0.getTime() + 10_000), 'boom', true);
      await rdb.archive(archive!, 'fatal');
    }
    for (const q of Q) {
      expect(await queueKeyTypes(q)).toEqual({
        [keys.archivedKey(q)]: 'zset',
        [keys.completedKey(q)]: 'zset',
        [keys.failedTotalKey(q)]: 'string',
        [keys.failedKey(q, T0)]: 'string',
        [keys.pendingKey(q)]: 'list',
        [keys.processedTotalKey(q)]: 'string',
        [keys.processedKey(q, T0)]: 'string',
        [keys.retryKey(q)]: 'zset',
        ...Object.fromEntries(['archive', 'complete', 'completeu', 'requeue', 'retry'].map((k) => [keys.taskKey(q, `${q}-${k}`), 'hash'])),
      });
      expect(await on(q).mget(keys.processedKey(q, T0), keys.failedKey(q, T0), keys.processedTotalKey(q), keys.failedTotalKey(q)))
        .toEqual(['6', '2', '6', '2']);
      expect(await on(q).lrange(keys.pendingKey(q), 0, -1)).toEqual([`${q}-requeue`]);
      expect(await zsetEntries(on(q), keys.completedKey(q))).toEqual([[`${q}-complete`, T0_S + 3600], [`${q}-completeu`, T0_S + 3600]]);
      expect(await zsetEntries(on(q), keys.retryKey(q))).toEqual([[`${q}-retry`, T0_S + 10]]);
      expect(await zsetEntries(on(q), keys.archivedKey(q))).toEqual([[`${q}-archive`, T0_S]]);
      const retried = await readMsg(on(q), q, `${q}-retry`);
      expect(retried).toMatchObject({retried: 1, errorMsg: 'boom', lastFailedAt: T0_S});
    }

    clock.advance(11_000);
    expect(await rdb.forwardIfReady([...Q])).toBe(3);
    for (const q of Q) {
      expect(await on(q).lrange(keys.pendingKey(q), 0, -1)).toEqual([`${q}-retry`, `${q}-requeue`]);
      expect(await on(q).exists(keys.retryKey(q))).toBe(0);
      expect(await taskState(q, `${q}-retry`)).toBe('pending');
    }

    // Leases and the janitor.
    for (const q of Q) expect((await rdb.dequeue([q]))?.msg.id).toBe(`${q}-requeue`);
    clock.advance(31_000);
    expect((await rdb.listLeaseExpired(clock.now(), [...Q])).map((m) => m.id).sort())
      .toEqual(Q.map((q) => `${q}-requeue`).sort());
    for (const q of Q) {
      const until = await rdb.extendLease(q, [`${q}-requeue`]);
      expect(await zsetEntries(on(q), keys.leaseKey(q))).toEqual([[`${q}-requeue`, Math.floor(until.getTime() / 1000)]]);
    }
    expect(await rdb.listLeaseExpired(clock.now(), [...Q])).toEqual([]);
    clock.advance(3600_000);
    for (const q of Q) {
      expect(await rdb.deleteExpiredCompletedTasks(q, 1)).toBe(2); // two batches of one
      expect(await on(q).exists(keys.completedKey(q), keys.taskKey(q, `${q}-complete`), keys.taskKey(q, `${q}-completeu`))).toBe(0);
      expect(await rdb.writeResult(q, `${q}-requeue`, Buffer.from('ok'))).toBe(2);
      expect(await on(q).hget(keys.taskKey(q, `${q}-requeue`), 'result')).toBe('ok');
    }
    // A corrupt task in each queue: moved aside (dequeue + moveAside scripts) on its queue's node.
    for (const q of Q) {
      await on(q).hset(keys.taskKey(q, `${q}-junk`), 'msg', Buffer.from([0xff]), 'state', 'pending');
      await on(q).rpush(keys.pendingKey(q), `${q}-junk`);
      const bad: string[] = [];
      await rdb.dequeue([q], undefined, (b) => bad.push(b.id!)); // then takes the next pending task, if any
      expect(bad).toEqual([`${q}-junk`]);
      expect(await on(q).zrange(keys.corruptKey(q), 0, -1)).toEqual([`${q}-junk`]);
    }
  });

  it('delivers cancelations through the cluster (pub/sub on a duplicate connection)', async () => {
    let wake: (id: string) => void = () => {};
    const arrived = new Promise<string>((res) => { wake = res; });
    const sub = await rdb.subscribeCancelation((id) => wake(id));
    try {
      await rdb.publishCancelation('task-x');
      expect(await arrived).toBe('task-x');
    } finally {
      await sub.close();
    }
  });
});

describe('RDBGroups on Redis Cluster', () => {
  it('aggregates, reads, deletes and reclaims aggregation sets in queues on every master', async () => {
    for (const q of Q) {
      for (const n of [1, 2, 3]) await rdb.addToGroup(makeMsg(`${q}-a${n}`, {queue: q, groupKey: 'grp'}), 'grp');
    }
    for (const q of Q) {
      expect(await groups.listGroups(q)).toEqual(['grp']);
      const setId = await groups.aggregationCheck(q, 'grp', {maxSize: 2, maxDelaySeconds: 0, gracePeriodSeconds: 60});
      expect(setId).not.toBeNull();
      const setKey = keys.aggregationSetKey(q, 'grp', setId!);
      expect(await zsetEntries(on(q), keys.allAggregationSets(q))).toEqual([[setKey, T0_S + 120]]);
      // A corrupt member: moved aside (moveAsideFromSet script) on its queue's node.
      await on(q).hset(keys.taskKey(q, `${q}-junk`), 'msg', Buffer.from([0xff]), 'state', 'aggregating');
      await on(q).zadd(setKey, T0_S, `${q}-junk`);
      const bad: string[] = [];
      const set = await groups.readAggregationSet(q, 'grp', setId!, (b) => bad.push(b.id!));
      expect(bad).toEqual([`${q}-junk`]);
      expect(await on(q).zrange(keys.corruptKey(q), 0, -1)).toEqual([`${q}-junk`]);
      expect(set.msgs.map((m) => m.id)).toEqual([`${q}-a1`, `${q}-a2`]);
      expect(set.deadline).toEqual(new Date((T0_S + 120) * 1000));
      await groups.deleteAggregationSet(q, 'grp', setId!);
      expect(await on(q).exists(setKey, keys.taskKey(q, `${q}-a1`), keys.taskKey(q, `${q}-a2`), keys.allAggregationSets(q))).toBe(0);
      expect(await zsetEntries(on(q), keys.groupKey(q, 'grp'))).toEqual([[`${q}-a3`, T0_S]]);
    }
    clock.advance(61_000); // grace period over: the rest goes into a new set, the group is dropped
    const stale = new Map<string, string>();
    for (const q of Q) {
      const setId = await groups.aggregationCheck(q, 'grp', {maxSize: 2, maxDelaySeconds: 0, gracePeriodSeconds: 60});
      expect(setId).not.toBeNull();
      stale.set(q, setId!);
      expect(await groups.listGroups(q)).toEqual([]);
    }
    clock.advance(121_000); // the aggregator never deleted the sets: the recoverer merges them back
    for (const q of Q) {
      await groups.reclaimStaleAggregationSets(q);
      expect(await zsetEntries(on(q), keys.groupKey(q, 'grp'))).toEqual([[`${q}-a3`, T0_S]]);
      expect(await on(q).exists(keys.aggregationSetKey(q, 'grp', stale.get(q)!), keys.allAggregationSets(q))).toBe(0);
    }
  });
});

describe('RDBState on Redis Cluster', () => {
  const server = (serverId: string): ServerInfo => ({
    host: 'h', pid: 7, serverId, concurrency: 10, queues: Object.fromEntries(Q.map((q, i) => [q, i + 1])),
    strictPriority: false, status: 'active', startTime: {seconds: T0_S, nanos: 0}, activeWorkerCount: 1,
  });
  const worker = (serverId: string, taskId: string, queue: string): WorkerInfo => ({
    host: 'h', pid: 7, serverId, taskId, taskType: 'email:welcome', taskPayload: PAYLOAD, queue,
    startTime: {seconds: T0_S, nanos: 0}, deadline: {seconds: T0_S + 1800, nanos: 0},
  });

  it('writes and clears server, worker and scheduler state; the inspector lists it', async () => {
    // Several servers: their {host:pid:id} tags spread over the masters.
    const ids = ['s1', 's2', 's3', 's4', 's5', 's6'];
    for (const [i, id] of ids.entries()) {
      await state.writeServerState(server(id), [worker(id, `task-${id}`, Q[i % 3]!)], 10);
    }
    expect(new Set(await Promise.all(ids.map(async (id) =>
      (await fx.cluster.masterOf(keys.serverInfoKey('h', 7, id))).port))).size).toBeGreaterThan(1);
    expect((await insp.listServers()).map((s) => s.serverId).sort()).toEqual(ids);
    expect((await insp.listWorkers()).map((w) => w.taskId).sort()).toEqual(ids.map((id) => `task-${id}`));
    expect(await fx.redis.ttl(keys.workersKey('h', 7, 's1'))).toBeGreaterThan(0);

    await state.writeSchedulerEntries('h:7:sched', [{
      id: 'e1', spec: '@every 30s', taskType: 'cron:tick', taskPayload: Buffer.alloc(0), enqueueOptions: [`Queue("${Q[1]}")`],
      nextEnqueueTime: {seconds: T0_S + 30, nanos: 0}, prevEnqueueTime: ZERO_TIME,
    }], 10);
    await state.recordSchedulerEnqueueEvent('e1', {taskId: 'cron-1', enqueueTime: {seconds: T0_S, nanos: 0}});
    await state.recordSchedulerEnqueueEvent('e1', {taskId: 'cron-2', enqueueTime: {seconds: T0_S + 30, nanos: 0}});
    expect((await insp.listSchedulerEntries()).map((e) => e.id)).toEqual(['e1']);
    expect((await insp.listSchedulerEnqueueEvents('e1')).map((e) => e.taskId)).toEqual(['cron-2', 'cron-1']);

    for (const id of ids) await state.clearServerState('h', 7, id);
    await state.clearSchedulerEntries('h:7:sched');
    await state.clearSchedulerHistory('e1');
    expect(await insp.listServers()).toEqual([]);
    expect(await insp.listWorkers()).toEqual([]);
    expect(await insp.listSchedulerEntries()).toEqual([]);
    for (const k of [keys.allServers, keys.allWorkers, keys.allSchedulers, keys.schedulerHistoryKey('e1'),
      keys.serverInfoKey('h', 7, 's1'), keys.workersKey('h', 7, 's1'), keys.schedulerEntriesKey('h:7:sched')]) {
      expect(await fx.redis.exists(k)).toBe(0);
    }
  });
});

describe('RDBInspector on Redis Cluster', () => {
  it('reports stats, history and group stats of queues on every master', async () => {
    for (const q of Q) await seedEveryState(q);
    expect((await insp.allQueues()).sort()).toEqual([...Q].sort());
    clock.advance(2_000);
    for (const q of Q) {
      expect(await insp.queueExists(q)).toBe(true);
      const s = await insp.currentStats(q);
      expect(s).toMatchObject({
        queue: q, paused: false, size: 7, groups: 1, pending: 1, active: 1, scheduled: 1, retry: 1, archived: 1,
        completed: 1, aggregating: 1, processed: 3, failed: 2, processedTotal: 3, failedTotal: 2, latencyMs: 2000,
      });
      expect(s.memoryUsage).toBeGreaterThan(0);
      const days = await insp.historicalStats(q, 2);
      expect(days.map((d) => [d.date, d.processed, d.failed])).toEqual([
        [TODAY, 3, 2], [keys.utcDate(new Date(T0.getTime() - 86_400_000)), 0, 0],
      ]);
      expect(await insp.groupStats(q)).toEqual([{group: 'grp', size: 1}]);
    }
    await expect(insp.currentStats('no-such-queue')).rejects.toBeInstanceOf(QueueNotFoundError);
  });

  it('reads and lists tasks in every state of queues on every master', async () => {
    for (const q of Q) await seedEveryState(q);
    clock.advance(31_000); // the active task's lease has expired: it is listed as orphaned
    for (const q of Q) {
      for (const s of ['pending', 'active', 'scheduled', 'retry', 'archived', 'completed'] as const) {
        const info = await insp.getTaskInfo(q, `${q}-${s}`);
        expect([info.msg.id, info.state]).toEqual([`${q}-${s}`, s]);
      }
      expect((await insp.getTaskInfo(q, `${q}-agg`)).state).toBe('aggregating');
      const ids = async (p: Promise<Array<{msg: TaskMessage}>>): Promise<string[]> => (await p).map((r) => r.msg.id);
      expect(await ids(insp.listPending(q))).toEqual([`${q}-pending`]);
      const active = await insp.listActive(q);
      expect(active.map((r) => [r.msg.id, r.isOrphaned])).toEqual([[`${q}-active`, true]]);
      expect(await ids(insp.listScheduled(q))).toEqual([`${q}-scheduled`]);
      expect(await ids(insp.listRetry(q))).toEqual([`${q}-retry`]);
      expect(await ids(insp.listArchived(q))).toEqual([`${q}-archived`]);
      expect(await ids(insp.listCompleted(q))).toEqual([`${q}-completed`]);
      expect(await ids(insp.listAggregating(q, 'grp'))).toEqual([`${q}-agg`]);
    }
  });

  it('runs tasks of every state back to pending on every master', async () => {
    for (const q of Q) {
      await seedEveryState(q);
      await insp.runTask(q, `${q}-scheduled`);
      await expect(insp.runTask(q, `${q}-active`)).rejects.toBeInstanceOf(FailedPreconditionError);
      expect(await insp.runAllRetry(q)).toBe(1);
      expect(await insp.runAllArchived(q)).toBe(1);
      expect(await insp.runAllAggregating(q, 'grp')).toBe(1);
      expect(await insp.runAllScheduled(q)).toBe(0);
      expect((await on(q).lrange(keys.pendingKey(q), 0, -1)).sort())
        .toEqual(['agg', 'archived', 'pending', 'retry', 'scheduled'].map((s) => `${q}-${s}`).sort());
      for (const s of ['agg', 'archived', 'retry', 'scheduled']) expect(await taskState(q, `${q}-${s}`)).toBe('pending');
      expect(await on(q).exists(keys.scheduledKey(q), keys.retryKey(q), keys.archivedKey(q), keys.groupKey(q, 'grp'))).toBe(0);
      expect(await on(q).smembers(keys.allGroups(q))).toEqual([]);
    }
  });

  it('archives tasks of every state on every master', async () => {
    for (const q of Q) {
      await seedEveryState(q);
      await rdb.schedule(makeMsg(`${q}-scheduled2`, {queue: q}), new Date(T0.getTime() + 60_000));
      await insp.archiveTask(q, `${q}-scheduled2`);
      await expect(insp.archiveTask(q, `${q}-archived`)).rejects.toBeInstanceOf(FailedPreconditionError);
      expect(await insp.archiveAllPending(q)).toBe(1);
      expect(await insp.archiveAllScheduled(q)).toBe(1);
      expect(await insp.archiveAllRetry(q)).toBe(1);
      expect(await insp.archiveAllAggregating(q, 'grp')).toBe(1);
      expect((await zsetEntries(on(q), keys.archivedKey(q))).map(([id]) => id).sort())
        .toEqual(['agg', 'archived', 'pending', 'retry', 'scheduled', 'scheduled2'].map((s) => `${q}-${s}`).sort());
      for (const s of ['agg', 'pending', 'retry', 'scheduled', 'scheduled2']) expect(await taskState(q, `${q}-${s}`)).toBe('archived');
    }
  });

  it('deletes tasks of every state and updates a scheduled payload on every master', async () => {
    for (const q of Q) {
      await seedEveryState(q);
      await rdb.enqueueUnique(unique(`${q}-u`, q, 'u:del'), 300);
      await insp.deleteTask(q, `${q}-u`);
      expect(await on(q).exists(keys.uniqueKey(q, 'u:del', PAYLOAD), keys.taskKey(q, `${q}-u`))).toBe(0);
      await expect(insp.deleteTask(q, `${q}-active`)).rejects.toBeInstanceOf(FailedPreconditionError);
      await insp.updateTaskPayload(q, `${q}-scheduled`, Buffer.from('new'));
      expect((await insp.getTaskInfo(q, `${q}-scheduled`)).msg.payload).toEqual(Buffer.from('new'));
      expect(await insp.deleteAllPending(q)).toBe(1);
      expect(await insp.deleteAllScheduled(q)).toBe(1);
      expect(await insp.deleteAllRetry(q)).toBe(1);
      expect(await insp.deleteAllArchived(q)).toBe(1);
      expect(await insp.deleteAllCompleted(q)).toBe(1);
      expect(await insp.deleteAllAggregating(q, 'grp')).toBe(1);
      expect(Object.keys(await queueKeyTypes(q)).filter((k) => k.startsWith(keys.taskKeyPrefix(q)))).toEqual([keys.taskKey(q, `${q}-active`)]);
    }
  });

  it('pauses, unpauses and removes queues on every master', async () => {
    for (const q of Q) {
      await seedEveryState(q);
      await insp.pause(q);
      await expect(insp.pause(q)).rejects.toBeInstanceOf(FailedPreconditionError);
      expect((await insp.currentStats(q)).paused).toBe(true);
      expect(await on(q).get(keys.pausedKey(q))).toBe(String(T0_S));
      await insp.unpause(q);
      await expect(insp.removeQueue(q, false)).rejects.toBeInstanceOf(QueueNotEmptyError);
      await expect(insp.removeQueue(q, true)).rejects.toBeInstanceOf(FailedPreconditionError); // an active task
      const active = (await insp.listActive(q))[0]!.msg;
      await rdb.done(active);
      await insp.removeQueue(q, true);
      expect(await insp.queueExists(q)).toBe(false);
      // As Go: completed tasks and groups outlive the queue (Go inspect.go RemoveQueue).
      expect(Object.keys(await queueKeyTypes(q)).filter((k) => k.startsWith(keys.taskKeyPrefix(q))))
        .toEqual([keys.taskKey(q, `${q}-agg`), keys.taskKey(q, `${q}-completed`)]);
    }
    expect(await insp.allQueues()).toEqual([]);
  });

  it('reports the key slot and the nodes serving each queue', async () => {
    for (const q of Q) {
      const slot = await insp.clusterKeySlot(q);
      expect(slot).toBe(await fx.cluster.keySlot(keys.pendingKey(q)));
      expect(await insp.clusterNodes(q)).toEqual([
        {id: expect.stringMatching(/^[0-9a-f]{40}$/), addr: `127.0.0.1:${portOf.get(q)}`},
      ]);
    }
  });
});

describe('RDBLimits on Redis Cluster', () => {
  it('decides limits (cap and rate keys in one slot), sends tasks back to wait and takes Go semaphore tokens on every master', async () => {
    const limits = new RDBLimits(rdb);
    const deadline = new Date(T0.getTime() + 60_000);
    const [cap] = normalizeLimits([{match: {type: 'email:*'}, concurrency: 1, rate: {count: 10, per: '1s'}}]);
    expect(await limits.acquire(cap!, 'a', deadline, {backoffMs: 50, graceMs: 1000})).toEqual({ok: true});
    expect(await limits.acquire(cap!, 'b', deadline, {backoffMs: 50, graceMs: 1000})).toEqual({ok: false, delayMs: 50, kind: 'concurrency'});
    expect(await limits.release('type:email:*', 'a')).toBe(true);
    expect(await limits.semaphoreAcquire('reports', 2, 'r1', deadline)).toBe(true);
    for (const q of Q) {
      await rdb.enqueue(makeMsg(`${q}-t`, {queue: q}));
      const got = await rdb.dequeue([q]);
      await limits.defer(got!.msg);
      expect(await on(q).lrange(keys.pendingKey(q), 0, -1)).toEqual([`${q}-t`]);
      expect(await taskState(q, `${q}-t`)).toBe('pending');
    }
  });
});

describe('script coverage', () => {
  // Runs last (vitest runs a file's tests in order): FLUSHALL between tests keeps the script caches.
  it('ran every Lua script of src/lib/scripts on the cluster', async () => {
    const masters = [...new Set(masterOf.values())];
    // A script whose header says it is not for Redis Cluster (keys of several queues) is never sent there.
    const all = Object.values(scripts).filter((s) => !/NOTE: not for Redis Cluster/.test(s.lua));
    const shas = all.map((s) => createHash('sha1').update(s.lua).digest('hex'));
    const seen = shas.map(() => false);
    for (const m of masters) {
      const exists = (await m.script('EXISTS', ...shas)) as number[];
      exists.forEach((e, i) => { if (e === 1) seen[i] = true; });
    }
    expect(all.filter((_, i) => !seen[i]).map((s) => s.file)).toEqual([]);
  });
});
