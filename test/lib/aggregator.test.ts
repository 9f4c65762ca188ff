import {afterEach, describe, expect, it, vi} from 'vitest';
import {RDB} from '../../src/lib/broker/rdb.js';
import {RDBGroups} from '../../src/lib/broker/groups.js';
import {Aggregator, type AggregatorParams, type GroupAggregatorFunc} from '../../src/lib/aggregator.js';
import {Client} from '../../src/lib/client.js';
import {SimulatedClock, unixSeconds} from '../../src/lib/clock.js';
import {ValidationError} from '../../src/lib/errors.js';
import {Recoverer} from '../../src/lib/recoverer.js';
import {Task} from '../../src/lib/task.js';
import {keyTypes} from '../support/dump.js';
import {useRedis} from '../support/redis.js';
import {recordingLogger} from '../support/logger.js';
import {readMsg, zsetEntries} from '../support/seed.js';

const r = useRedis();
const T0 = new Date('2026-03-01T12:00:00.250Z');

interface Call {
  group: string;
  tasks: Array<{type: string; payload: string; headers: Record<string, string>}>;
}

/** A group aggregator that records its calls and joins the payloads into one task. */
function joiner(result: (group: string, tasks: Task[]) => Task = (g, ts) => new Task(`${g}:batch`, ts.map((t) => t.payload.toString()).join(','))) {
  const calls: Call[] = [];
  const fn: GroupAggregatorFunc = (group, tasks) => {
    calls.push({group, tasks: tasks.map((t) => ({type: t.type, payload: t.payload.toString(), headers: {...t.headers}}))});
    return result(group, tasks);
  };
  return {calls, fn};
}

function setup(over: Partial<AggregatorParams> = {}) {
  const clock = new SimulatedClock(T0);
  const rdb = new RDB(r.redis, {clock});
  const groups = new RDBGroups(rdb);
  const client = new Client(r.redis, {clock});
  const logger = recordingLogger();
  const agg = joiner();
  const aggregator = new Aggregator({
    logger, rdb, groups, queues: ['default'], gracePeriodMs: 60_000, maxDelayMs: 0, maxSize: 0, groupAggregator: agg.fn, clock, ...over,
  });
  /** Adds a task to a group through the Client, as an application would. */
  const add = (id: string, group: string, opts: {queue?: string; headers?: Record<string, string>} = {}) =>
    client.enqueue(new Task('email:send', `p-${id}`, {headers: opts.headers}), {group, taskId: id, queue: opts.queue});
  return {clock, rdb, groups, client, logger, aggregator, calls: agg.calls, add};
}

/** Fake groups whose listGroups waits until release(): keeps checks in flight. */
function gatedGroups() {
  let release!: () => void;
  const gate = new Promise<void>((res) => (release = res));
  const calls = {listed: 0, finished: 0};
  const groups = {
    listGroups: async () => {
      calls.listed++;
      await gate;
      calls.finished++;
      return [];
    },
    aggregationCheck: async () => null,
    readAggregationSet: async () => ({msgs: [], deadline: new Date(0)}),
    deleteAggregationSet: async () => {},
  };
  return {groups, calls, release: () => release()};
}

/** The pending task IDs of a queue, oldest first. */
const pendingIds = async (q = 'default'): Promise<string[]> => (await r.redis.lrange(`asynq:{${q}}:pending`, 0, -1)).reverse();

describe('Aggregator.exec', () => {
  it('aggregates the oldest maxSize tasks into one pending task of the same queue and deletes the originals and the set', async () => {
    // Given: four tasks in group "g", one second apart, with headers
    const {aggregator, add, clock} = setup({maxSize: 3, groupAggregator: joiner((g, ts) =>
      new Task('email:digest', ts.map((t) => t.payload.toString()).join('|'), {taskId: 'agg-1', maxRetry: 3, queue: 'elsewhere', headers: {n: String(ts.length)}})).fn});
    for (const [i, id] of ['t1', 't2', 't3', 't4'].entries()) {
      if (i > 0) clock.advance(1000);
      await add(id, 'g', {headers: {seq: String(i + 1)}});
    }
    // When
    await aggregator.exec();
    // Then: tasks passed in arrival order with type, payload and headers
    expect(await pendingIds()).toEqual(['agg-1']);
    const m = await readMsg(r.redis, 'default', 'agg-1');
    expect(m).toMatchObject({type: 'email:digest', queue: 'default', retry: 3, retried: 0, timeout: 1800, headers: {n: '3'}});
    expect(m.payload.toString()).toBe('p-t1|p-t2|p-t3');
    expect(await r.redis.hget('asynq:{default}:t:agg-1', 'state')).toBe('pending');
    // the three aggregated tasks are gone, the fourth waits in its group, which stays listed
    expect(await r.redis.exists('asynq:{default}:t:t1', 'asynq:{default}:t:t2', 'asynq:{default}:t:t3')).toBe(0);
    expect(await zsetEntries(r.redis, 'asynq:{default}:g:g')).toEqual([['t4', unixSeconds(T0) + 3]]);
    expect(await r.redis.smembers('asynq:{default}:groups')).toEqual(['g']);
    expect(await r.redis.exists('asynq:{default}:aggregation_sets')).toBe(0);
    expect(await r.redis.keys('asynq:{default}:g:g:*')).toEqual([]);
    // the queue option of the returned task was overridden
    expect(await r.redis.keys('asynq:{elsewhere}:*')).toEqual([]);
    expect(await r.redis.smembers('asynq:queues')).toEqual(['default']);
  });

  it('passes the tasks to Aggregate in arrival order with type, payload and headers', async () => {
    const {aggregator, calls, add, clock} = setup({maxSize: 3});
    await add('a', 'g', {headers: {k: 'v1'}});
    clock.advance(2000);
    await add('b', 'g');
    clock.advance(1000);
    await add('c', 'g', {headers: {k: 'v3', trace: 'x'}});
    await aggregator.exec();
    expect(calls).toEqual([{group: 'g', tasks: [
      {type: 'email:send', payload: 'p-a', headers: {k: 'v1'}},
      {type: 'email:send', payload: 'p-b', headers: {}},
      {type: 'email:send', payload: 'p-c', headers: {k: 'v3', trace: 'x'}},
    ]}]);
    const [id] = await pendingIds();
    const m = await readMsg(r.redis, 'default', id!);
    expect(m).toMatchObject({type: 'g:batch', queue: 'default', retry: 25, timeout: 1800});
    expect(m.payload.toString()).toBe('p-a,p-b,p-c');
    // Once the size is reached the whole group was taken: it leaves `groups`
    expect(await r.redis.exists('asynq:{default}:g:g', 'asynq:{default}:groups')).toBe(0);
  });

  it('aggregates a group whose oldest task waited maxDelay, even while tasks keep arriving', async () => {
    const {aggregator, calls, add, clock} = setup({maxDelayMs: 10_000, gracePeriodMs: 60_000});
    await add('a', 'g');
    clock.advance(9000);
    await add('b', 'g');
    await aggregator.exec();
    expect(calls).toEqual([]);
    clock.advance(1000);
    await add('c', 'g');
    await aggregator.exec();
    expect(calls.map((c) => c.tasks.map((t) => t.payload))).toEqual([['p-a', 'p-b', 'p-c']]);
    expect(await pendingIds()).toHaveLength(1);
    expect(await r.redis.exists('asynq:{default}:g:g', 'asynq:{default}:groups', 'asynq:{default}:aggregation_sets')).toBe(0);
    expect(await r.redis.keys('asynq:{default}:t:*')).toEqual([`asynq:{default}:t:${(await pendingIds())[0]}`]);
  });

  it('aggregates a group once no task arrived for the grace period', async () => {
    const {aggregator, calls, add, clock} = setup({gracePeriodMs: 5000});
    await add('a', 'g');
    clock.advance(2000);
    await add('b', 'g');
    clock.advance(4000);
    await aggregator.exec();
    expect(calls).toEqual([]);
    expect(await zsetEntries(r.redis, 'asynq:{default}:g:g')).toEqual([['a', unixSeconds(T0)], ['b', unixSeconds(T0) + 2]]);
    clock.advance(1000);
    await aggregator.exec();
    expect(calls.map((c) => c.tasks.map((t) => t.payload))).toEqual([['p-a', 'p-b']]);
    expect(await pendingIds()).toHaveLength(1);
    expect(await r.redis.exists('asynq:{default}:g:g', 'asynq:{default}:groups', 'asynq:{default}:t:a', 'asynq:{default}:t:b')).toBe(0);
  });

  it('writes nothing while no group is ready', async () => {
    const {aggregator, calls, add, clock} = setup({maxSize: 5, maxDelayMs: 60_000, gracePeriodMs: 30_000});
    await add('a', 'g');
    clock.advance(29_000);
    const before = await keyTypes(r.redis);
    const members = await zsetEntries(r.redis, 'asynq:{default}:g:g');
    await aggregator.exec();
    expect(calls).toEqual([]);
    expect(await keyTypes(r.redis)).toEqual(before);
    expect(await zsetEntries(r.redis, 'asynq:{default}:g:g')).toEqual(members);
  });

  it('handles every group of every configured queue, and only those', async () => {
    const {aggregator, calls, add, clock} = setup({queues: ['default', 'low'], gracePeriodMs: 1000});
    await add('d1', 'x');
    await add('d2', 'y');
    await add('l1', 'x', {queue: 'low'});
    await add('o1', 'x', {queue: 'other'});
    clock.advance(1000);
    await aggregator.exec();
    expect(calls.map((c) => [c.group, c.tasks.map((t) => t.payload)])).toEqual([['x', ['p-d1']], ['y', ['p-d2']], ['x', ['p-l1']]]);
    expect(await pendingIds('default')).toHaveLength(2);
    expect(await pendingIds('low')).toHaveLength(1);
    expect(await zsetEntries(r.redis, 'asynq:{other}:g:x')).toEqual([['o1', unixSeconds(T0)]]);
    expect(await r.redis.smembers('asynq:{other}:groups')).toEqual(['x']);
    expect(await r.redis.exists('asynq:{other}:pending', 'asynq:{other}:aggregation_sets')).toBe(0);
  });

  it('accepts a GroupAggregator object whose aggregate() is async', async () => {
    const seen: string[] = [];
    const {aggregator, add, clock} = setup({
      gracePeriodMs: 1000,
      groupAggregator: {
        async aggregate(group, tasks) {
          seen.push(`${group}:${tasks.length}`);
          await new Promise((res) => setImmediate(res));
          return new Task('merged', null, {taskId: 'm1'});
        },
      },
    });
    await add('a', 'g');
    await add('b', 'g');
    clock.advance(1000);
    await aggregator.exec();
    expect(seen).toEqual(['g:2']);
    expect(await pendingIds()).toEqual(['m1']);
  });

  it('applies the other options of the returned task: processIn schedules it in the same queue', async () => {
    const {aggregator, add, clock} = setup({
      gracePeriodMs: 1000,
      groupAggregator: () => new Task('later', 'x', {taskId: 'sched', processIn: 60_000, queue: 'ignored', retention: '1h'}),
    });
    await add('a', 'g');
    clock.advance(1000);
    await aggregator.exec();
    expect(await zsetEntries(r.redis, 'asynq:{default}:scheduled')).toEqual([['sched', unixSeconds(T0) + 61]]);
    expect(await readMsg(r.redis, 'default', 'sched')).toMatchObject({queue: 'default', retention: 3600});
    expect(await r.redis.exists('asynq:{default}:t:a', 'asynq:{default}:aggregation_sets')).toBe(0);
  });

  it('leaves the set when the enqueue fails; the recoverer merges it back after its deadline', async () => {
    // Given: the aggregated task's ID is taken
    const {aggregator, logger, add, clock, rdb, groups} = setup({
      gracePeriodMs: 1000, groupAggregator: () => new Task('agg', 'x', {taskId: 'taken'}),
    });
    const {client} = setup();
    await client.enqueue(new Task('other', 'y'), {taskId: 'taken'});
    await add('a', 'g');
    clock.advance(3000);
    await add('b', 'g');
    clock.advance(1000);
    // When
    await aggregator.exec();
    // Then: the originals sit in the set, registered with its deadline
    const sets = await zsetEntries(r.redis, 'asynq:{default}:aggregation_sets');
    expect(sets).toHaveLength(1);
    const [[setKey, deadline]] = sets as [[string, number]];
    expect(deadline).toBe(unixSeconds(clock.now()) + 120);
    const setId = setKey.slice('asynq:{default}:g:g:'.length);
    expect(await zsetEntries(r.redis, setKey)).toEqual([['a', unixSeconds(T0)], ['b', unixSeconds(T0) + 3]]);
    expect(await r.redis.hget('asynq:{default}:t:a', 'state')).toBe('aggregating');
    expect(await pendingIds()).toEqual(['taken']);
    expect(logger.lines.filter(([l]) => l === 'error')).toEqual([
      ['error', `Failed to enqueue aggregated task (queue="default", group="g", setID="${setId}"): task ID conflicts with another task`],
    ]);
    // When the deadline passes, the recoverer puts the tasks back into the group with their scores
    clock.advance(120_000);
    await new Recoverer({logger, rdb, groups, queues: ['default'], clock}).exec();
    expect(await zsetEntries(r.redis, 'asynq:{default}:g:g')).toEqual([['a', unixSeconds(T0)], ['b', unixSeconds(T0) + 3]]);
    expect(await r.redis.exists(setKey, 'asynq:{default}:aggregation_sets')).toBe(0);
  });

  it('does not enqueue when Aggregate outlasted the set\'s deadline (the recoverer may have reclaimed it)', async () => {
    const clockRef: {clock?: SimulatedClock} = {};
    const {aggregator, logger, add, clock} = setup({
      gracePeriodMs: 1000,
      groupAggregator: () => {
        clockRef.clock!.advance(120_000);
        return new Task('slow', 'x');
      },
    });
    clockRef.clock = clock;
    await add('a', 'g');
    clock.advance(1000);
    await aggregator.exec();
    expect(await r.redis.exists('asynq:{default}:pending')).toBe(0);
    expect(await r.redis.zcard('asynq:{default}:aggregation_sets')).toBe(1);
    expect(logger.lines.filter(([l]) => l === 'error').map(([, m]) => m)).toEqual([
      expect.stringMatching(/^Failed to enqueue aggregated task \(queue="default", group="g", setID="[0-9a-f-]{36}"\): context deadline exceeded$/),
    ]);
  });

  it('logs an Aggregate that throws or returns no Task, leaves the set and goes on with the next group', async () => {
    const {aggregator, logger, add, clock} = setup({
      gracePeriodMs: 1000,
      groupAggregator: (group) => {
        if (group === 'bad') throw new Error('cannot merge');
        if (group === 'null') return null as unknown as Task;
        return new Task('ok', 'x', {taskId: 'ok1'});
      },
    });
    await add('a', 'bad');
    await add('b', 'good');
    await add('c', 'null');
    clock.advance(1000);
    await aggregator.exec();
    expect(await pendingIds()).toEqual(['ok1']);
    expect(await r.redis.zcard('asynq:{default}:aggregation_sets')).toBe(2);
    expect(logger.lines.filter(([l]) => l === 'error')).toEqual([
      ['error', 'GroupAggregator.aggregate failed (group="bad"): cannot merge'],
      ['error', 'GroupAggregator.aggregate failed (group="null"): expected a Task, got null'],
    ]);
  });

  it('logs Redis failures at error level and never throws', async () => {
    const logger = recordingLogger();
    const clock = new SimulatedClock(T0);
    const rdb = new RDB(r.redis, {clock});
    const groups = {
      listGroups: async (q: string) => {
        if (q === 'a') throw new Error('LOADING');
        return ['g1', 'g2'];
      },
      aggregationCheck: async (_q: string, g: string) => {
        if (g === 'g1') throw new Error('OOM');
        return 'set-1';
      },
      readAggregationSet: async () => {
        throw new Error('gone');
      },
      deleteAggregationSet: async () => {},
    };
    const aggregator = new Aggregator({logger, rdb, groups, queues: ['a', 'b'], gracePeriodMs: 1000, maxDelayMs: 0, maxSize: 0, groupAggregator: () => new Task('x')});
    await expect(aggregator.exec()).resolves.toBeUndefined();
    expect(logger.lines).toEqual([
      ['error', 'Failed to list groups in queue: "a": LOADING'],
      ['error', 'Failed to run aggregation check: queue="b" group="g1": OOM'],
      ['error', 'Failed to read aggregation set: queue="b", group="g2", setID="set-1": gone'],
    ]);
  });

  it('warns when deleting the set fails after the enqueue; the set stays registered', async () => {
    const logger = recordingLogger();
    const clock = new SimulatedClock(T0);
    const rdb = new RDB(r.redis, {clock});
    const real = new RDBGroups(rdb);
    const groups = {
      listGroups: (q: string) => real.listGroups(q),
      aggregationCheck: real.aggregationCheck.bind(real),
      readAggregationSet: real.readAggregationSet.bind(real),
      deleteAggregationSet: async () => {
        throw new Error('READONLY');
      },
    };
    const client = new Client(r.redis, {clock});
    await client.enqueue(new Task('t', 'x'), {group: 'g', taskId: 'a'});
    clock.advance(1000);
    const aggregator = new Aggregator({logger, rdb, groups, queues: ['default'], gracePeriodMs: 1000, maxDelayMs: 0, maxSize: 0, groupAggregator: () => new Task('agg', null, {taskId: 'agg'})});
    await aggregator.exec();
    expect(await pendingIds()).toEqual(['agg']);
    expect(await r.redis.zcard('asynq:{default}:aggregation_sets')).toBe(1);
    expect(logger.lines.filter(([l]) => l !== 'debug')).toEqual([
      ['warn', expect.stringMatching(/^Failed to delete aggregation set: queue="default", group="g", setID="[0-9a-f-]{36}": READONLY$/)],
    ]);
  });

  it('runs at most 3 checks at once and skips a tick with a warning', async () => {
    const logger = recordingLogger();
    const {groups, calls, release} = gatedGroups();
    const aggregator = new Aggregator({logger, rdb: new RDB(r.redis), groups, queues: ['q'], gracePeriodMs: 1000, maxDelayMs: 0, maxSize: 0, groupAggregator: () => new Task('x')});
    const running = [aggregator.exec(), aggregator.exec(), aggregator.exec()];
    await aggregator.exec();
    expect(calls.listed).toBe(3);
    expect(logger.lines).toEqual([['warn', 'Max number of aggregation checks in flight. Skipping']]);
    release();
    await Promise.all(running);
    await aggregator.exec();
    expect(calls.listed).toBe(4);
  });
});

describe('Aggregator configuration and lifecycle', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const base = () => ({
    logger: recordingLogger(), rdb: new RDB(r.redis), groups: new RDBGroups(new RDB(r.redis)), queues: ['default'],
    maxDelayMs: 0, maxSize: 0, groupAggregator: () => new Task('x'),
  });

  it('rejects a grace period under one second, and bad limits, in the constructor', () => {
    expect(() => new Aggregator({...base(), gracePeriodMs: 999})).toThrow(ValidationError);
    expect(() => new Aggregator({...base(), gracePeriodMs: 999})).toThrow('GroupGracePeriod cannot be less than a second');
    expect(() => new Aggregator({...base(), gracePeriodMs: 0})).toThrow(ValidationError);
    expect(() => new Aggregator({...base(), gracePeriodMs: 1000, maxSize: -1})).toThrow(ValidationError);
    expect(() => new Aggregator({...base(), gracePeriodMs: 1000, maxDelayMs: -1})).toThrow(ValidationError);
    expect(() => new Aggregator({...base(), gracePeriodMs: 1000})).not.toThrow();
  });

  it('checks every min(7 s, grace period) unless an interval is given', () => {
    expect(new Aggregator({...base(), gracePeriodMs: 60_000}).intervalMs).toBe(7000);
    expect(new Aggregator({...base(), gracePeriodMs: 2000}).intervalMs).toBe(2000);
    expect(new Aggregator({...base(), gracePeriodMs: 60_000, intervalMs: 500}).intervalMs).toBe(500);
  });

  it('ticks every interval without waiting for slow checks, and shutdown waits for the running ones', async () => {
    vi.useFakeTimers();
    const logger = recordingLogger();
    const {groups, calls, release} = gatedGroups();
    const aggregator = new Aggregator({...base(), logger, groups, gracePeriodMs: 2000});
    aggregator.start();
    aggregator.start();
    await vi.advanceTimersByTimeAsync(1999);
    expect(calls.listed).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.listed).toBe(1);
    await vi.advanceTimersByTimeAsync(6000);
    expect(calls.listed).toBe(3);
    expect(logger.lines).toEqual([['warn', 'Max number of aggregation checks in flight. Skipping']]);
    const stopped = aggregator.shutdown();
    let done = false;
    void stopped.then(() => (done = true));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(done).toBe(false);
    release();
    await stopped;
    expect(calls.finished).toBe(3);
    expect(logger.lines.slice(1)).toEqual([
      ['debug', 'Aggregator shutting down...'],
      ['debug', 'Waiting for all aggregation checks to finish...'],
      ['debug', 'Aggregator done'],
    ]);
  });
});
