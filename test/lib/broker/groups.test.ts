import {describe, expect, it} from 'vitest';
import {RDB, type BadData} from '../../../src/lib/broker/rdb.js';
import {RDBGroups, type AggregationCriteria} from '../../../src/lib/broker/groups.js';
import type {TaskMessage} from '../../../src/lib/base/codec.js';
import {SimulatedClock} from '../../../src/lib/clock.js';
import {FailedPreconditionError, ValidationError} from '../../../src/lib/errors.js';
import {useRedis} from '../../support/redis.js';
import {dumpAll, dumpAllSince, keyTypes} from '../../support/dump.js';
import {makeMsg, readMsg, seedGroup, zsetEntries} from '../../support/seed.js';

const r = useRedis();

/** 2026-01-01T00:00:00Z; the clock sits 0.9 s later to show that times are truncated unix s. */
const T = 1767225600;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function setup(): {groups: RDBGroups; clock: SimulatedClock} {
  const clock = new SimulatedClock(new Date(T * 1000 + 900));
  return {groups: new RDBGroups(new RDB(r.redis, {clock})), clock};
}

/** Aggregating tasks (seed.ts's addToGroup layout) with their arrival times; returns their messages by ID. */
async function seedTasks(q: string, g: string, tasks: Array<{id: string; at: number; headers?: Record<string, string>}>): Promise<Record<string, TaskMessage>> {
  const msgs = Object.fromEntries(tasks.map((t) => [t.id, makeMsg(t.id, {queue: q, groupKey: g, headers: t.headers ?? {}})]));
  await seedGroup(r.redis, g, tasks.map((t) => ({msg: msgs[t.id]!, score: t.at})), {register: false});
  return msgs;
}

const taskHashes = async (q: string): Promise<string[]> => (await r.redis.keys(`asynq:{${q}}:t:*`)).sort();

/** Five tasks whose ID order differs from their arrival (score) order. */
const FIVE = [
  {id: 'e', at: T - 50}, {id: 'c', at: T - 40}, {id: 'a', at: T - 30}, {id: 'd', at: T - 20}, {id: 'b', at: T - 10},
];
const NEVER: AggregationCriteria = {maxSize: 0, maxDelaySeconds: 0, gracePeriodSeconds: 3600};

describe('RDBGroups.listGroups', () => {
  it('returns the members of asynq:{q}:groups, sorted; [] for an unknown queue', async () => {
    const {groups} = setup();
    await seedTasks('default', 'zeta', [{id: 'z', at: T}]);
    await seedTasks('default', 'alpha', [{id: 'a', at: T}]);
    await seedTasks('other', 'beta', [{id: 'b', at: T}]);
    expect(await groups.listGroups('default')).toEqual(['alpha', 'zeta']);
    expect(await groups.listGroups('nope')).toEqual([]);
  });
});

describe('RDBGroups.aggregationCheck', () => {
  it('moves the maxSize oldest tasks with their scores into a new set registered at now+120 (checklist 48, 49)', async () => {
    // Given
    const {groups} = setup();
    await seedTasks('default', 'batch', FIVE);
    const hashesBefore = (await dumpAll(r.redis)).filter((d) => d.key.includes(':t:'));
    // When
    const setId = await groups.aggregationCheck('default', 'batch', {maxSize: 3, maxDelaySeconds: 0, gracePeriodSeconds: 3600});
    // Then
    expect(setId).toMatch(UUID_V4);
    const setKey = `asynq:{default}:g:batch:${setId}`;
    expect(await keyTypes(r.redis)).toEqual({
      'asynq:{default}:aggregation_sets': 'zset',
      'asynq:{default}:g:batch': 'zset',
      [setKey]: 'zset',
      'asynq:{default}:groups': 'set',
      'asynq:{default}:t:a': 'hash', 'asynq:{default}:t:b': 'hash', 'asynq:{default}:t:c': 'hash',
      'asynq:{default}:t:d': 'hash', 'asynq:{default}:t:e': 'hash',
    });
    expect(await zsetEntries(r.redis, setKey)).toEqual([['e', T - 50], ['c', T - 40], ['a', T - 30]]);
    expect(await zsetEntries(r.redis, 'asynq:{default}:g:batch')).toEqual([['d', T - 20], ['b', T - 10]]);
    expect(await zsetEntries(r.redis, 'asynq:{default}:aggregation_sets')).toEqual([[setKey, T + 120]]);
    // 49: the group is not empty, so it stays listed
    expect(await r.redis.smembers('asynq:{default}:groups')).toEqual(['batch']);
    // task hashes untouched: state stays aggregating while in a set (as in Go)
    expect((await dumpAll(r.redis)).filter((d) => d.key.includes(':t:'))).toEqual(hashesBefore);
    for (const d of await dumpAll(r.redis)) expect(d.ttl).toBe(-1);
  });

  it('removes the group from groups when a size-triggered move takes exactly all of it (checklist 49)', async () => {
    const {groups} = setup();
    await seedTasks('default', 'batch', FIVE.slice(0, 3));
    await r.redis.sadd('asynq:{default}:groups', 'other');
    const setId = await groups.aggregationCheck('default', 'batch', {maxSize: 3, maxDelaySeconds: 0, gracePeriodSeconds: 3600});
    expect(await zsetEntries(r.redis, `asynq:{default}:g:batch:${setId}`)).toEqual([['e', T - 50], ['c', T - 40], ['a', T - 30]]);
    expect(await r.redis.exists('asynq:{default}:g:batch')).toBe(0);
    expect(await r.redis.smembers('asynq:{default}:groups')).toEqual(['other']);
  });

  it('aggregates the whole group once its oldest task waited maxDelay, even while tasks keep arriving (checklist 50)', async () => {
    // Given: oldest exactly maxDelay old, newest 1 s old (well inside the grace period)
    const {groups} = setup();
    await seedTasks('default', 'g', [{id: 'old', at: T - 60}, {id: 'new', at: T - 1}]);
    const criteria = {maxSize: 10, maxDelaySeconds: 60, gracePeriodSeconds: 30};
    // When
    const setId = await groups.aggregationCheck('default', 'g', criteria);
    // Then
    expect(setId).toMatch(UUID_V4);
    expect(await zsetEntries(r.redis, `asynq:{default}:g:g:${setId}`)).toEqual([['old', T - 60], ['new', T - 1]]);
    expect(await r.redis.exists('asynq:{default}:g:g')).toBe(0);
    expect(await r.redis.exists('asynq:{default}:groups')).toBe(0);
  });

  it('aggregates all of a group whose newest task is older than the grace period and unlists it (checklist 51)', async () => {
    const {groups} = setup();
    await seedTasks('default', 'g', FIVE.map((t) => ({...t, at: t.at - 20}))); // newest at T-30
    await r.redis.sadd('asynq:{default}:groups', 'keep');
    const setId = await groups.aggregationCheck('default', 'g', {maxSize: 0, maxDelaySeconds: 0, gracePeriodSeconds: 30});
    expect((await zsetEntries(r.redis, `asynq:{default}:g:g:${setId}`)).map(([id]) => id)).toEqual(['e', 'c', 'a', 'd', 'b']);
    expect(await r.redis.exists('asynq:{default}:g:g')).toBe(0);
    expect(await r.redis.smembers('asynq:{default}:groups')).toEqual(['keep']);
  });

  it('takes all of a group smaller than maxSize on the grace rule', async () => {
    const {groups} = setup();
    await seedTasks('default', 'g', FIVE);
    const setId = await groups.aggregationCheck('default', 'g', {maxSize: 6, maxDelaySeconds: 0, gracePeriodSeconds: 10});
    expect(await r.redis.zcard(`asynq:{default}:g:g:${setId}`)).toBe(5);
    expect(await r.redis.exists('asynq:{default}:g:g', 'asynq:{default}:groups')).toBe(0);
  });

  it.each([
    {why: 'the oldest task is one second younger than maxDelay', oldest: T - 59, criteria: {maxSize: 10, maxDelaySeconds: 60, gracePeriodSeconds: 30}},
    {why: 'the newest task is inside the grace period', oldest: T - 100, criteria: {maxSize: 0, maxDelaySeconds: 0, gracePeriodSeconds: 30}},
    {why: 'the group is below maxSize and inside the grace period', oldest: T - 100, criteria: {maxSize: 3, maxDelaySeconds: 0, gracePeriodSeconds: 30}},
  ])('does not aggregate when $why, and writes nothing', async ({oldest, criteria}) => {
    const {groups} = setup();
    await seedTasks('default', 'g', [{id: 'old', at: oldest}, {id: 'new', at: T - 1}]);
    const before = await dumpAll(r.redis);
    expect(await groups.aggregationCheck('default', 'g', criteria)).toBeNull();
    expect(await dumpAllSince(r.redis, before)).toEqual(before);
  });

  it("uses the clock's now as the tick time and for the set deadline", async () => {
    // Given: a group whose only task arrived at T-29, grace 30 s
    const {groups, clock} = setup();
    await seedTasks('default', 'g', [{id: 'a', at: T - 29}]);
    const criteria = {maxSize: 0, maxDelaySeconds: 0, gracePeriodSeconds: 30};
    expect(await groups.aggregationCheck('default', 'g', criteria)).toBeNull();
    // When one second passes
    clock.advance(1000);
    const setId = await groups.aggregationCheck('default', 'g', criteria);
    // Then
    expect(setId).toMatch(UUID_V4);
    expect(await zsetEntries(r.redis, 'asynq:{default}:aggregation_sets')).toEqual([[`asynq:{default}:g:g:${setId}`, T + 1 + 120]]);
  });

  it('truncates fractional durations to whole seconds, as Go does', async () => {
    const {groups} = setup();
    await seedTasks('default', 'g', [{id: 'a', at: T - 30}]);
    expect(await groups.aggregationCheck('default', 'g', {maxSize: 0, maxDelaySeconds: 0, gracePeriodSeconds: 30.9})).toMatch(UUID_V4);
  });

  it('returns null and creates no key for an empty or unknown group', async () => {
    const {groups} = setup();
    expect(await groups.aggregationCheck('default', 'none', {maxSize: 1, maxDelaySeconds: 1, gracePeriodSeconds: 1})).toBeNull();
    expect(await keyTypes(r.redis)).toEqual({});
  });

  it('rejects a negative or fractional maxSize and negative durations with ValidationError', async () => {
    const {groups} = setup();
    await seedTasks('default', 'g', FIVE);
    const before = await dumpAll(r.redis);
    for (const bad of [{maxSize: -1}, {maxSize: 1.5}, {maxDelaySeconds: -1}, {gracePeriodSeconds: Number.NaN}]) {
      await expect(groups.aggregationCheck('default', 'g', {...NEVER, ...bad})).rejects.toBeInstanceOf(ValidationError);
    }
    expect(await dumpAllSince(r.redis, before)).toEqual(before);
  });

  it('gives each set a fresh id: a full group can be cut into several sets', async () => {
    const {groups} = setup();
    await seedTasks('default', 'g', FIVE);
    const criteria = {maxSize: 2, maxDelaySeconds: 0, gracePeriodSeconds: 3600};
    const ids = [await groups.aggregationCheck('default', 'g', criteria), await groups.aggregationCheck('default', 'g', criteria)];
    expect(new Set(ids).size).toBe(2);
    expect(await zsetEntries(r.redis, `asynq:{default}:g:g:${ids[0]}`)).toEqual([['e', T - 50], ['c', T - 40]]);
    expect(await zsetEntries(r.redis, `asynq:{default}:g:g:${ids[1]}`)).toEqual([['a', T - 30], ['d', T - 20]]);
    expect(await groups.aggregationCheck('default', 'g', criteria)).toBeNull();
    expect(await r.redis.smembers('asynq:{default}:groups')).toEqual(['g']);
  });
});

describe('RDBGroups.readAggregationSet', () => {
  it('returns the messages in ascending score order with type, payload, headers, and the deadline (checklist 53)', async () => {
    // Given
    const {groups} = setup();
    const msgs = await seedTasks('default', 'g', FIVE.map((t) => (t.id === 'a' ? {...t, headers: {tenant: 'x'}} : t)));
    const setId = (await groups.aggregationCheck('default', 'g', {maxSize: 5, maxDelaySeconds: 0, gracePeriodSeconds: 3600}))!;
    // When
    const set = await groups.readAggregationSet('default', 'g', setId);
    // Then
    expect(set.msgs).toEqual(['e', 'c', 'a', 'd', 'b'].map((id) => msgs[id]));
    expect(set.msgs[2]!.headers).toEqual({tenant: 'x'});
    expect(set.deadline).toEqual(new Date((T + 120) * 1000));
  });

  it('skips a member whose task hash is gone', async () => {
    const {groups} = setup();
    await seedTasks('default', 'g', FIVE);
    const setId = (await groups.aggregationCheck('default', 'g', {maxSize: 3, maxDelaySeconds: 0, gracePeriodSeconds: 3600}))!;
    await r.redis.del('asynq:{default}:t:c');
    expect((await groups.readAggregationSet('default', 'g', setId)).msgs.map((m) => m.id)).toEqual(['e', 'a']);
  });

  it('throws FailedPreconditionError for a set that is not registered (deleted or reclaimed)', async () => {
    const {groups} = setup();
    await expect(groups.readAggregationSet('default', 'g', 'no-such-set')).rejects.toBeInstanceOf(FailedPreconditionError);
  });

  it('moves a member whose message cannot be decoded aside to the corrupt zset and returns the others', async () => {
    const {groups} = setup();
    await seedTasks('default', 'g', FIVE);
    const setId = (await groups.aggregationCheck('default', 'g', {maxSize: 3, maxDelaySeconds: 0, gracePeriodSeconds: 3600}))!;
    await r.redis.hset('asynq:{default}:t:c', 'msg', Buffer.from([0x0a, 0xff]));
    const bad: BadData[] = [];
    const set = await groups.readAggregationSet('default', 'g', setId, (b) => bad.push(b));
    expect(set.msgs.map((m) => m.id)).toEqual(['e', 'a']);
    expect(bad).toEqual([{queue: 'default', id: 'c', reason: expect.stringMatching(/^cannot decode TaskMessage: /)}]);
    expect(await r.redis.zrange(`asynq:{default}:g:g:${setId}`, 0, -1)).toEqual(['e', 'a']);
    expect(await r.redis.zrange('asynq:{default}:corrupt', 0, -1)).toEqual(['c']);
    expect(await r.redis.hget('asynq:{default}:corrupt_reasons', 'c')).toBe(bad[0]!.reason);
    expect(await r.redis.hget('asynq:{default}:t:c', 'state')).toBe('corrupt');
    // Read again: the member is gone, nothing more is moved.
    expect((await groups.readAggregationSet('default', 'g', setId, (b) => bad.push(b))).msgs.map((m) => m.id)).toEqual(['e', 'a']);
    expect(bad).toHaveLength(1);
  });
});

describe('RDBGroups.deleteAggregationSet', () => {
  it('deletes the set, its task hashes and its aggregation_sets member, nothing else (checklist 52)', async () => {
    // Given: 3 of 5 tasks in a set; a unique lock held by one of them; another queued set
    const {groups} = setup();
    await seedTasks('default', 'g', FIVE);
    const setId = (await groups.aggregationCheck('default', 'g', {maxSize: 3, maxDelaySeconds: 0, gracePeriodSeconds: 3600}))!;
    await r.redis.set('asynq:{default}:unique:agg:e:', 'e', 'EX', 600);
    await r.redis.zadd('asynq:{default}:aggregation_sets', T + 500, 'asynq:{default}:g:g:other');
    // When
    await groups.deleteAggregationSet('default', 'g', setId);
    // Then
    expect(await keyTypes(r.redis)).toEqual({
      'asynq:{default}:aggregation_sets': 'zset',
      'asynq:{default}:g:g': 'zset',
      'asynq:{default}:groups': 'set',
      'asynq:{default}:t:b': 'hash', 'asynq:{default}:t:d': 'hash',
      'asynq:{default}:unique:agg:e:': 'string',
    });
    expect(await zsetEntries(r.redis, 'asynq:{default}:aggregation_sets')).toEqual([['asynq:{default}:g:g:other', T + 500]]);
    expect(await zsetEntries(r.redis, 'asynq:{default}:g:g')).toEqual([['d', T - 20], ['b', T - 10]]);
  });

  it('leaves nothing behind when it was the only set of an emptied group', async () => {
    const {groups} = setup();
    await seedTasks('default', 'g', FIVE);
    const setId = (await groups.aggregationCheck('default', 'g', {maxSize: 0, maxDelaySeconds: 0, gracePeriodSeconds: 10}))!;
    await groups.deleteAggregationSet('default', 'g', setId);
    expect(await keyTypes(r.redis)).toEqual({});
  });
});

describe('RDBGroups.reclaimStaleAggregationSets', () => {
  it('merges a set past its deadline back into its group with the original scores (checklist 54, Go reclaimStateAggregationSetsCmd)', async () => {
    // Given: the whole group went into a set (so the group was unlisted)
    const {groups, clock} = setup();
    const msgs = await seedTasks('default', 'g', FIVE);
    const setId = (await groups.aggregationCheck('default', 'g', {maxSize: 0, maxDelaySeconds: 0, gracePeriodSeconds: 10}))!;
    const setKey = `asynq:{default}:g:g:${setId}`;
    // When: 119 s later nothing is stale yet
    clock.advance(119_000);
    const before = await dumpAll(r.redis);
    await groups.reclaimStaleAggregationSets('default');
    expect(await dumpAllSince(r.redis, before)).toEqual(before);
    // When: at the deadline (score ≤ now) it is reclaimed
    clock.advance(1000);
    await groups.reclaimStaleAggregationSets('default');
    // Then: tasks back in g:<G> with their scores, set gone, group NOT re-listed (Go quirk)
    expect(await keyTypes(r.redis)).toEqual({
      'asynq:{default}:g:g': 'zset',
      'asynq:{default}:t:a': 'hash', 'asynq:{default}:t:b': 'hash', 'asynq:{default}:t:c': 'hash',
      'asynq:{default}:t:d': 'hash', 'asynq:{default}:t:e': 'hash',
    });
    expect(await zsetEntries(r.redis, 'asynq:{default}:g:g')).toEqual(FIVE.map((t) => [t.id, t.at]));
    expect(await r.redis.exists(setKey)).toBe(0);
    expect(await groups.listGroups('default')).toEqual([]);
    for (const id of Object.keys(msgs)) {
      expect(await r.redis.hget(`asynq:{default}:t:${id}`, 'state')).toBe('aggregating');
      expect(await readMsg(r.redis, 'default', id)).toEqual(msgs[id]);
    }
    await expect(groups.readAggregationSet('default', 'g', setId)).rejects.toBeInstanceOf(FailedPreconditionError);
  });

  it('reclaims only stale sets, into the right group even when the group name contains ":"', async () => {
    // Given: a stale set of group "a:b" beside remaining members, and a fresh set of group "c"
    const {groups, clock} = setup();
    await seedTasks('default', 'a:b', FIVE);
    const stale = (await groups.aggregationCheck('default', 'a:b', {maxSize: 2, maxDelaySeconds: 0, gracePeriodSeconds: 3600}))!;
    clock.advance(100_000);
    await seedTasks('default', 'c', [{id: 'c1', at: T}]);
    const fresh = (await groups.aggregationCheck('default', 'c', {maxSize: 1, maxDelaySeconds: 0, gracePeriodSeconds: 3600}))!;
    clock.advance(30_000);
    // When
    await groups.reclaimStaleAggregationSets('default');
    // Then
    expect(await zsetEntries(r.redis, 'asynq:{default}:g:a:b')).toEqual(FIVE.map((t) => [t.id, t.at]));
    expect(await r.redis.exists(`asynq:{default}:g:a:b:${stale}`)).toBe(0);
    const freshKey = `asynq:{default}:g:c:${fresh}`;
    expect(await zsetEntries(r.redis, freshKey)).toEqual([['c1', T]]);
    expect(await zsetEntries(r.redis, 'asynq:{default}:aggregation_sets')).toEqual([[freshKey, T + 100 + 120]]);
    expect(await groups.listGroups('default')).toEqual(['a:b']);
  });

  it('touches only the given queue', async () => {
    const {groups, clock} = setup();
    await seedTasks('q1', 'g', FIVE);
    const setId = (await groups.aggregationCheck('q1', 'g', {maxSize: 0, maxDelaySeconds: 0, gracePeriodSeconds: 10}))!;
    clock.advance(200_000);
    await groups.reclaimStaleAggregationSets('q2');
    expect(await r.redis.zcard(`asynq:{q1}:g:g:${setId}`)).toBe(5);
    expect(await taskHashes('q1')).toHaveLength(5);
  });
});
