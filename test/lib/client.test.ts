import {afterEach, beforeEach, describe, expect, it} from 'vitest';
import {RDB} from '../../src/lib/broker/rdb.js';
import {RDBInspector} from '../../src/lib/broker/inspect.js';
import {Client, DEFAULT_MAX_PAYLOAD_BYTES} from '../../src/lib/client.js';
import {SimulatedClock} from '../../src/lib/clock.js';
import {
  DuplicateTaskError, FailedPreconditionError, PayloadTooLargeError, RedisCommandError, TaskIdConflictError, ValidationError,
} from '../../src/lib/errors.js';
import {Task, type TaskInfo} from '../../src/lib/task.js';
import type {TaskOptions} from '../../src/lib/options.js';
import {useRedis} from '../support/redis.js';
import {Redis} from 'ioredis';
import {dumpAll, keyTypes} from '../support/dump.js';
import {taskHash, zsetEntries} from '../support/seed.js';

const r = useRedis();

const START = new Date('2026-01-01T00:00:00.123Z');
const NOW_S = 1767225600;
const NOW_NS = '1767225600123000000';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let clock: SimulatedClock;
let client: Client;

beforeEach(() => {
  clock = new SimulatedClock(START);
  client = new Client(r.server.url, {clock});
});
afterEach(async () => {
  await client.close();
});

async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e as Error);
}

describe('Client.enqueue: pending (checklist 16, 34, 35)', () => {
  it('enqueues with Go\'s defaults and leaves exactly Go\'s keys', async () => {
    // When
    const info = await client.enqueue(new Task('email:welcome', {user_id: 42}));
    // Then
    expect(info).toEqual({
      id: expect.stringMatching(UUID_V4), queue: 'default', type: 'email:welcome', payload: Buffer.from('{"user_id":42}'),
      headers: {}, state: 'pending', maxRetry: 25, retried: 0, lastErr: '', lastFailedAt: null, timeout: 1_800_000,
      deadline: null, group: '', nextProcessAt: START, isOrphaned: false, retention: 0, completedAt: null, result: null,
    } satisfies TaskInfo);
    expect(await keyTypes(r.redis)).toEqual({
      'asynq:queues': 'set', 'asynq:{default}:pending': 'list', [`asynq:{default}:t:${info.id}`]: 'hash',
    });
    expect(await taskHash(r.redis, 'default', info.id)).toEqual({
      state: 'pending', pending_since: NOW_NS,
      msg: {
        type: 'email:welcome', payload: Buffer.from('{"user_id":42}'), headers: {}, id: info.id, queue: 'default',
        retry: 25, retried: 0, errorMsg: '', lastFailedAt: 0, timeout: 1800, deadline: 0, uniqueKey: '', groupKey: '',
        retention: 0, completedAt: 0,
      },
    });
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual([info.id]);
    expect(await r.redis.smembers('asynq:queues')).toEqual(['default']);
  });

  it('stores Go\'s exact bytes for a fixed id (worked encoding 1)', async () => {
    await client.enqueue(new Task('email:welcome', {user_id: 42}), {taskId: 't1'});
    expect((await r.redis.hgetBuffer('asynq:{default}:t:t1', 'msg'))!.toString('hex')).toBe(
      '0a0d656d61696c3a77656c636f6d65120e7b22757365725f6964223a34327d1a027431220764656661756c74281940880e',
    );
  });

  it('never writes stats counters, whatever the path', async () => {
    await client.enqueue(new Task('a'));
    await client.enqueue(new Task('b'), {processIn: '1h', unique: '1h'});
    await client.enqueue(new Task('c'), {group: 'g', unique: '1h'});
    await client.enqueueMany([new Task('d'), new Task('e')]);
    const names = Object.keys(await keyTypes(r.redis));
    expect(names.filter((k) => /:(processed|failed)(:|$)/.test(k))).toEqual([]);
  });
});

describe('Client.enqueue: options (checklist 17, 19-21, 24, 27)', () => {
  it('lets enqueue-time options override the task\'s: only the last queue is written and registered', async () => {
    const info = await client.enqueue(new Task('t', null, {queue: 'a', taskId: 'x'}), {queue: 'b'});
    expect(info.queue).toBe('b');
    expect(await keyTypes(r.redis)).toEqual({'asynq:queues': 'set', 'asynq:{b}:pending': 'list', 'asynq:{b}:t:x': 'hash'});
    expect(await r.redis.smembers('asynq:queues')).toEqual(['b']);
  });

  it('enqueues a task with processIn(-5s) directly to pending', async () => {
    const info = await client.enqueue(new Task('t', null, {taskId: 'x'}), {processIn: '-5s'});
    expect(info.state).toBe('pending');
    expect(info.nextProcessAt).toEqual(START);
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['x']);
    expect(await r.redis.exists('asynq:{default}:scheduled')).toBe(0);
  });

  it('lets the later of processAt and processIn win', async () => {
    const at = new Date('2026-01-01T05:00:00Z');
    const a = await client.enqueue(new Task('t', null, {processAt: at}), {processIn: '-1s'});
    expect(a.state).toBe('pending');
    const b = await client.enqueue(new Task('t', null, {processIn: '-1s'}), {processAt: at});
    expect(b.state).toBe('scheduled');
    expect(await zsetEntries(r.redis, 'asynq:{default}:scheduled')).toEqual([[b.id, 1767243600]]);
  });

  it('stores maxRetry(-3) as retry 0', async () => {
    const info = await client.enqueue(new Task('t'), {maxRetry: -3});
    expect(info.maxRetry).toBe(0);
    expect((await taskHash(r.redis, 'default', info.id)).msg.retry).toBe(0);
  });

  it.each([['24h', 86400], ['500ms', 0]])('stores retention %s as %d seconds', async (retention, want) => {
    const info = await client.enqueue(new Task('t'), {retention});
    expect((await taskHash(r.redis, 'default', info.id)).msg.retention).toBe(want);
    expect(info.retention).toBe(want * 1000);
  });

  it('stores a deadline without the 30-minute default timeout, and both when both are given', async () => {
    const deadline = new Date('2026-01-02T00:00:00Z');
    const a = await client.enqueue(new Task('t'), {deadline});
    expect((await taskHash(r.redis, 'default', a.id)).msg).toMatchObject({deadline: 1767312000, timeout: 0});
    const b = await client.enqueue(new Task('t'), {deadline, timeout: '1m'});
    expect((await taskHash(r.redis, 'default', b.id)).msg).toMatchObject({deadline: 1767312000, timeout: 60});
    expect(b).toMatchObject({deadline, timeout: 60_000});
  });

  it('merges the task\'s headers with header options, the option winning on a clash', async () => {
    const t = new Task('t', null, {headers: {trace: 'task', tenant: 'acme'}});
    const info = await client.enqueue(t, {headers: {trace: 'opt', lang: 'en'}});
    expect((await taskHash(r.redis, 'default', info.id)).msg.headers).toEqual({trace: 'opt', tenant: 'acme', lang: 'en'});
    expect(info.headers).toEqual({trace: 'opt', tenant: 'acme', lang: 'en'});
  });
});

describe('Client.enqueue: scheduled and grouped (checklist 18, 25, 26, 34)', () => {
  it('schedules processAt(now+1h): state scheduled, score = unix s, no pending_since', async () => {
    const at = new Date(START.getTime() + 3_600_000);
    const info = await client.enqueue(new Task('t', null, {taskId: 'x'}), {processAt: at});
    expect(info).toMatchObject({state: 'scheduled', nextProcessAt: at});
    expect(await keyTypes(r.redis)).toEqual({
      'asynq:queues': 'set', 'asynq:{default}:scheduled': 'zset', 'asynq:{default}:t:x': 'hash',
    });
    const h = await taskHash(r.redis, 'default', 'x');
    expect(Object.keys(h).sort()).toEqual(['msg', 'state']);
    expect(h.state).toBe('scheduled');
    expect(await zsetEntries(r.redis, 'asynq:{default}:scheduled')).toEqual([['x', NOW_S + 3600]]);
  });

  it('adds a group task to its group: state aggregating, group field, score now, group listed, no nextProcessAt', async () => {
    const info = await client.enqueue(new Task('t', null, {taskId: 'x'}), {group: 'g'});
    expect(info).toMatchObject({state: 'aggregating', group: 'g', nextProcessAt: null});
    expect(await keyTypes(r.redis)).toEqual({
      'asynq:queues': 'set', 'asynq:{default}:g:g': 'zset', 'asynq:{default}:groups': 'set', 'asynq:{default}:t:x': 'hash',
    });
    const h = await taskHash(r.redis, 'default', 'x');
    expect({state: h.state, group: h.group, groupKey: h.msg.groupKey}).toEqual({state: 'aggregating', group: 'g', groupKey: 'g'});
    expect(await zsetEntries(r.redis, 'asynq:{default}:g:g')).toEqual([['x', NOW_S]]);
    expect(await r.redis.smembers('asynq:{default}:groups')).toEqual(['g']);
  });

  it('schedules a group task with processIn(1m) without a group field, so forwarding makes it pending (Go quirk)', async () => {
    // Given
    await client.enqueue(new Task('t', null, {taskId: 'x'}), {group: 'g', processIn: '1m'});
    const h = await taskHash(r.redis, 'default', 'x');
    expect(h.state).toBe('scheduled');
    expect(h.group).toBeUndefined();
    expect(h.msg.groupKey).toBe('g');
    // When
    clock.advance(61_000);
    await new RDB(r.redis, {clock}).forwardIfReady(['default']);
    // Then
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['x']);
    expect(await r.redis.exists('asynq:{default}:g:g')).toBe(0);
  });
});

describe('Client.enqueue: validation before any Redis command (checklist 22)', () => {
  it.each([
    ['blank queue', new Task('t'), {queue: '  '}, 'queue name must contain one or more characters'],
    ['blank task id', new Task('t'), {taskId: ''}, 'task ID cannot be empty'],
    ['blank group', new Task('t'), {group: ' '}, 'group key cannot be empty'],
    ['blank type', new Task(' '), {}, 'task typename cannot be empty'],
    ['unique < 1s', new Task('t'), {unique: '999ms'}, 'Unique TTL cannot be less than 1s'],
    ['bad duration', new Task('t'), {timeout: 'forever'}, 'invalid timeout "forever": expected a duration like "90s", "10m", "1h30m" or milliseconds'],
    ['unknown option', new Task('t'), {queues: 'x'} as unknown as TaskOptions, 'unknown task option "queues"'],
  ] as Array<[string, Task, TaskOptions, string]>)('%s: ValidationError, no SADD, no keys', async (_name, task, opts, message) => {
    const err = await rejection(client.enqueue(task, {queue: 'q', ...opts}));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toBe(message);
    expect(await keyTypes(r.redis)).toEqual({});
  });
});

describe('Client: payload size limit (maxPayloadBytes)', () => {
  it('refuses a payload over 64 MiB by default with PayloadTooLargeError, before any Redis command', async () => {
    expect(DEFAULT_MAX_PAYLOAD_BYTES).toBe(64 * 1024 * 1024);
    const err = await rejection(client.enqueue(new Task('big', Buffer.alloc(DEFAULT_MAX_PAYLOAD_BYTES + 1))));
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({size: DEFAULT_MAX_PAYLOAD_BYTES + 1, limit: DEFAULT_MAX_PAYLOAD_BYTES, code: 'VALIDATION'});
    expect(err.message).toBe('payload of 67108865 bytes is over the limit of 67108864 bytes: raise ClientOptions.maxPayloadBytes to enqueue it');
    expect(await keyTypes(r.redis)).toEqual({});
  });

  it('takes its limit from ClientOptions; Infinity turns it off; enqueueMany fails only the items over it', async () => {
    const small = new Client(r.server.url, {clock, maxPayloadBytes: 10});
    const none = new Client(r.server.url, {clock, maxPayloadBytes: Number.POSITIVE_INFINITY});
    try {
      expect((await small.enqueue(new Task('t', 'x'.repeat(10), {taskId: 'ten'}))).state).toBe('pending');
      expect(await rejection(small.enqueue(new Task('t', 'x'.repeat(11))))).toBeInstanceOf(PayloadTooLargeError);
      const out = await small.enqueueMany([new Task('t', 'y', {taskId: 'a'}), new Task('t', 'y'.repeat(11), {taskId: 'b'})]);
      expect(out.map((x) => (x instanceof Error ? x.constructor.name : x.id))).toEqual(['a', 'PayloadTooLargeError']);
      expect((await none.enqueue(new Task('t', Buffer.alloc(DEFAULT_MAX_PAYLOAD_BYTES + 1), {taskId: 'huge'}))).id).toBe('huge');
      expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['huge', 'a', 'ten']);
    } finally {
      await small.close();
      await none.close();
    }
  });

  it.each([0, -1, 1.5, Number.NaN])('maxPayloadBytes %s is a ValidationError', (v) => {
    expect(() => new Client(r.server.url, {maxPayloadBytes: v})).toThrow(ValidationError);
  });
});

describe('Client.enqueue: task id conflicts (checklist 23)', () => {
  it('refuses an existing id with TaskIdConflictError and leaves the first task unchanged', async () => {
    await client.enqueue(new Task('first', 'a'), {taskId: 'same'});
    const before = await r.redis.hgetallBuffer('asynq:{default}:t:same');
    clock.advance(5000);
    const err = await rejection(client.enqueue(new Task('second', 'b'), {taskId: 'same'}));
    expect(err).toBeInstanceOf(TaskIdConflictError);
    expect(err.message).toBe('task ID conflicts with another task');
    expect(await r.redis.hgetallBuffer('asynq:{default}:t:same')).toEqual(before);
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['same']);
  });

  it.each([
    ['scheduled', {processIn: '1h'}],
    ['grouped', {group: 'g'}],
  ] as Array<[string, TaskOptions]>)('refuses an existing id for a %s task too', async (_n, opts) => {
    await client.enqueue(new Task('first'), {taskId: 'same'});
    const before = await keyTypes(r.redis);
    await expect(client.enqueue(new Task('second'), {taskId: 'same', ...opts})).rejects.toBeInstanceOf(TaskIdConflictError);
    expect(await keyTypes(r.redis)).toEqual(before);
  });
});

describe('Client.enqueue: uniqueness (checklist 36-45)', () => {
  const lockKey = 'asynq:{default}:unique:email:1181f89307fa271072c095747d5813cc';
  const uniqueTask = (id?: string) => new Task('email', {user_id: 42}, id ? {taskId: id} : {});

  it('takes the lock SET NX EX 3600 with the task id, and records unique_key in hash and message', async () => {
    await client.enqueue(uniqueTask('x'), {unique: '1h'});
    expect(await r.redis.get(lockKey)).toBe('x');
    expect(await r.redis.ttl(lockKey)).toBe(3600);
    const h = await taskHash(r.redis, 'default', 'x');
    expect(h.unique_key).toBe(lockKey);
    expect(h.msg.uniqueKey).toBe(lockKey);
    expect(h.state).toBe('pending');
    expect(h.pending_since).toBe(NOW_NS);
  });

  it('refuses an identical task while the lock is held, creating nothing', async () => {
    await client.enqueue(uniqueTask('x'), {unique: '1h'});
    const before = await keyTypes(r.redis);
    const err = await rejection(client.enqueue(uniqueTask('y'), {unique: '1h'}));
    expect(err).toBeInstanceOf(DuplicateTaskError);
    expect(err.message).toBe('task already exists');
    expect(await keyTypes(r.redis)).toEqual(before);
    expect(await r.redis.get(lockKey)).toBe('x');
  });

  it('does not treat the same type and payload in another queue as a duplicate', async () => {
    await client.enqueue(uniqueTask('x'), {unique: '1h'});
    await client.enqueue(uniqueTask('y'), {unique: '1h', queue: 'other'});
    expect(await r.redis.get('asynq:{other}:unique:email:1181f89307fa271072c095747d5813cc')).toBe('y');
  });

  it('uses a trailing ":" for a task without payload and the MD5 of nothing for an empty one', async () => {
    await client.enqueue(new Task('t', null, {taskId: 'nil'}), {unique: '1h'});
    await client.enqueue(new Task('t', '', {taskId: 'empty'}), {unique: '1h'});
    expect(await r.redis.get('asynq:{default}:unique:t:')).toBe('nil');
    expect(await r.redis.get('asynq:{default}:unique:t:d41d8cd98f00b204e9800998ecf8427e')).toBe('empty');
  });

  it('releases the lock when the task succeeds (done), as long as it holds this id', async () => {
    const rdb = new RDB(r.redis, {clock});
    await client.enqueue(uniqueTask('x'), {unique: '1h'});
    const got = await rdb.dequeue(['default']);
    await rdb.done(got!.msg);
    expect(await r.redis.exists(lockKey)).toBe(0);
  });

  it('keeps a lock that another id owns when the task succeeds', async () => {
    const rdb = new RDB(r.redis, {clock});
    await client.enqueue(uniqueTask('x'), {unique: '1h'});
    await r.redis.set(lockKey, 'someone-else', 'EX', 100);
    const got = await rdb.dequeue(['default']);
    await rdb.done(got!.msg);
    expect(await r.redis.get(lockKey)).toBe('someone-else');
  });

  it('keeps the lock after a retry and after an archive', async () => {
    const rdb = new RDB(r.redis, {clock});
    await client.enqueue(uniqueTask('x'), {unique: '1h'});
    const a = await rdb.dequeue(['default']);
    await rdb.retry(a!.msg, new Date(START.getTime() + 60_000), 'boom', true);
    expect(await r.redis.get(lockKey)).toBe('x');
    await client.enqueue(new Task('other', 'p', {taskId: 'y'}), {unique: '1h'});
    const b = await rdb.dequeue(['default']);
    await rdb.archive(b!.msg, 'boom');
    expect(await r.redis.get('asynq:{default}:unique:other:83878c91171338902e0fe0fb97a8c47a')).toBe('y');
  });

  it('gives a scheduled unique task a lock TTL of whole seconds until processAt + unique TTL', async () => {
    const at = new Date(START.getTime() + 600_000 + 500);
    await client.enqueue(uniqueTask('x'), {unique: '1h', processAt: at});
    expect(await r.redis.ttl(lockKey)).toBe(4200);
    const h = await taskHash(r.redis, 'default', 'x');
    expect(h.unique_key).toBe(lockKey);
    expect(h.state).toBe('scheduled');
  });

  it('gives a grouped unique task the unique TTL; the hash has no unique_key but the message does', async () => {
    await client.enqueue(uniqueTask('x'), {unique: '90s', group: 'g'});
    expect(await r.redis.ttl(lockKey)).toBe(90);
    const h = await taskHash(r.redis, 'default', 'x');
    expect(h.unique_key).toBeUndefined();
    expect(h.msg.uniqueKey).toBe(lockKey);
    expect(h.state).toBe('aggregating');
  });

  it('on an id conflict reports TaskIdConflictError and leaves the new lock held (Go quirk)', async () => {
    await client.enqueue(new Task('other'), {taskId: 'x'});
    const err = await rejection(client.enqueue(uniqueTask('x'), {unique: '1m'}));
    expect(err).toBeInstanceOf(TaskIdConflictError);
    expect(await r.redis.get(lockKey)).toBe('x');
    expect(await r.redis.ttl(lockKey)).toBe(60);
    expect((await taskHash(r.redis, 'default', 'x')).msg.type).toBe('other');
  });

  it('Inspector deleteTask releases the lock it owns; deleteAllPending does not', async () => {
    const inspector = new RDBInspector(new RDB(r.redis, {clock}));
    await client.enqueue(uniqueTask('x'), {unique: '1h'});
    await inspector.deleteTask('default', 'x');
    expect(await r.redis.exists(lockKey)).toBe(0);
    await client.enqueue(uniqueTask('y'), {unique: '1h'});
    await inspector.deleteAllPending('default');
    expect(await r.redis.get(lockKey)).toBe('y');
  });
});

describe('Client.enqueueMany (checklist 30-33)', () => {
  it('writes N immediate tasks sharing one pending_since, LPUSHed in input order', async () => {
    const out = await client.enqueueMany(['a', 'b', 'c'].map((id) => new Task('t', id, {taskId: id})));
    expect(out.map((x) => (x instanceof Error ? x : x.state))).toEqual(['pending', 'pending', 'pending']);
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['c', 'b', 'a']);
    for (const id of ['a', 'b', 'c']) {
      const h = await taskHash(r.redis, 'default', id);
      expect(h.pending_since).toBe(NOW_NS);
      expect(h.msg).toMatchObject({id, retry: 25, timeout: 1800, payload: Buffer.from(id)});
    }
  });

  it('puts a future-dated item in scheduled with the right score', async () => {
    const at = new Date(START.getTime() + 7_200_000);
    const out = await client.enqueueMany([[new Task('t', null, {taskId: 's'}), {processAt: at}], new Task('t', null, {taskId: 'p'})]);
    expect((out[0] as TaskInfo)).toMatchObject({state: 'scheduled', nextProcessAt: at});
    expect((out[1] as TaskInfo)).toMatchObject({state: 'pending', nextProcessAt: START});
    expect(await zsetEntries(r.redis, 'asynq:{default}:scheduled')).toEqual([['s', NOW_S + 7200]]);
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['p']);
  });

  it('skips an item whose id exists, leaves that task unchanged and reports success (Go behaviour)', async () => {
    await client.enqueue(new Task('old', 'o'), {taskId: 'dup'});
    const before = await r.redis.hgetallBuffer('asynq:{default}:t:dup');
    const out = await client.enqueueMany([new Task('new', 'n', {taskId: 'dup'}), new Task('t', null, {taskId: 'fresh'})]);
    expect(out.some((x) => x instanceof Error)).toBe(false);
    expect(await r.redis.hgetallBuffer('asynq:{default}:t:dup')).toEqual(before);
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['fresh', 'dup']);
  });

  it('gives an invalid item its ValidationError in its slot and writes the others', async () => {
    const out = await client.enqueueMany([
      new Task('t', null, {taskId: 'ok1'}),
      [new Task('t'), {queue: ''}],
      new Task(''),
      new Task('t', null, {taskId: 'ok2'}),
    ]);
    expect(out[1]).toBeInstanceOf(ValidationError);
    expect((out[1] as Error).message).toBe('queue name must contain one or more characters');
    expect((out[2] as Error).message).toBe('task typename cannot be empty');
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['ok2', 'ok1']);
  });

  it('writes nothing at all when every item is invalid', async () => {
    const out = await client.enqueueMany([new Task(''), [new Task('t'), {unique: 1}]]);
    expect(out.every((x) => x instanceof ValidationError)).toBe(true);
    expect(await keyTypes(r.redis)).toEqual({});
  });

  it('supports unique and group items per item (unlike Go, which rejects them), in input order', async () => {
    // Given: a lock held by an earlier task
    await client.enqueue(new Task('u', 'dup', {taskId: 'holder'}), {unique: '1h'});
    // When
    const out = await client.enqueueMany([
      new Task('t', null, {taskId: 'a'}),
      [new Task('u', 'x', {taskId: 'uniq'}), {unique: '1h'}],
      [new Task('t', null, {taskId: 'grp'}), {group: 'g'}],
      [new Task('u', 'dup', {taskId: 'dup'}), {unique: '1h'}],
      new Task('t', null, {taskId: 'b'}),
    ]);
    // Then
    expect(out.map((x) => (x instanceof Error ? x.constructor.name : x.state)))
      .toEqual(['pending', 'pending', 'aggregating', 'DuplicateTaskError', 'pending']);
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['b', 'uniq', 'a', 'holder']);
    expect(await r.redis.get('asynq:{default}:unique:u:9dd4e461268c8034f5c8564e155c67a6')).toBe('uniq');
    expect(await r.redis.ttl('asynq:{default}:unique:u:9dd4e461268c8034f5c8564e155c67a6')).toBe(3600);
    expect(await zsetEntries(r.redis, 'asynq:{default}:g:g')).toEqual([['grp', NOW_S]]);
    expect(await r.redis.exists('asynq:{default}:t:dup')).toBe(0);
  });

  it('layers options: task options, then the shared options, then the item\'s', async () => {
    const out = await client.enqueueMany(
      [new Task('t', null, {queue: 'task', maxRetry: 1}), [new Task('t', null, {queue: 'task'}), {queue: 'item'}]],
      {queue: 'shared', retention: '1h'},
    );
    expect(out.map((x) => (x as TaskInfo).queue)).toEqual(['shared', 'item']);
    expect(out.map((x) => (x as TaskInfo).maxRetry)).toEqual([1, 25]);
    expect(out.map((x) => (x as TaskInfo).retention)).toEqual([3_600_000, 3_600_000]);
    expect((await r.redis.smembers('asynq:queues')).sort()).toEqual(['item', 'shared']);
  });

  it('returns an empty array for no items and rejects a non-array', async () => {
    expect(await client.enqueueMany([])).toEqual([]);
    await expect(client.enqueueMany('x' as unknown as Task[])).rejects.toBeInstanceOf(ValidationError);
    expect(await keyTypes(r.redis)).toEqual({});
  });
});

describe('Client.enqueue: concurrent callers share socket writes', () => {
  it('sends a few enqueues of one turn at once, many in one write, and stores exactly what one-by-one enqueues store', async () => {
    const tasks = Array.from({length: 8}, (_, i) => new Task('t', {n: i}, {taskId: `id-${i}`, queue: i % 2 ? 'a' : 'b'}));
    // One by one
    for (const t of tasks) await client.enqueue(t);
    const oneByOne = await dumpAll(r.redis);
    await r.redis.flushdb();
    // Concurrently, on a connection whose socket writes are counted
    let concurrent: unknown;
    const conn = new Redis(r.server.url);
    const shared = new Client(conn, {clock});
    try {
      await shared.ping();
      const socket = (conn as unknown as {stream: {_write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void}}).stream;
      const writes: number[] = [];
      const write = socket._write.bind(socket);
      const writev = socket._writev.bind(socket);
      socket._write = (...a) => { writes.push(1); write(...a); };
      socket._writev = (chunks, ...a) => { writes.push((chunks as unknown[]).length); writev(chunks, ...a); };
      // When: the first round registers queues a and b (SADD) before the scripts; the second
      // round has them cached and sends only its eight scripts.
      await Promise.all(tasks.map((t) => shared.enqueue(t, {taskId: `first-${t.opts.taskId}`})));
      writes.length = 0;
      await r.redis.flushdb();
      const infos = await Promise.all(tasks.map((t) => shared.enqueue(t)));
      // Then: a few callers' enqueues go out at once, one write each (corking them made the
      // callers wait for each other).
      expect(writes).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
      expect(infos.map((i) => i.id)).toEqual(tasks.map((t) => t.opts.taskId));
      await r.redis.sadd('asynq:queues', 'a', 'b'); // as the first round left them
      concurrent = await dumpAll(r.redis);

      // Many in one turn (over 64): one write (a command leaves after its call's first await, so
      // all 100 are still to be sent when the 65th call corks the socket); the next turn, after
      // one that sent that many, is coalesced from its first enqueue.
      await r.redis.flushdb();
      writes.length = 0;
      const many = Array.from({length: 100}, (_, i) => new Task('t', {n: i}, {taskId: `m-${i}`, queue: 'a'}));
      const manyInfos = await Promise.all(many.map((t) => shared.enqueue(t)));
      expect(writes).toEqual([100]);
      expect(manyInfos.map((i) => i.id)).toEqual(many.map((t) => t.opts.taskId));
      writes.length = 0;
      await Promise.all(many.slice(0, 10).map((t) => shared.enqueue(t, {taskId: `n-${t.opts.taskId}`})));
      expect(writes).toEqual([10]);
      expect(await r.redis.lrange('asynq:{a}:pending', 0, -1)).toEqual([
        ...many.slice(0, 10).map((t) => `n-${t.opts.taskId}`).reverse(),
        ...many.map((t) => t.opts.taskId).reverse(),
      ]);
    } finally {
      await shared.close();
      conn.disconnect();
    }
    expect(concurrent).toEqual(oneByOne);
  });
});

describe('Client lifecycle', () => {
  it('pings Redis', async () => {
    await expect(client.ping()).resolves.toBeUndefined();
  });

  it('refuses every call after close, and close is idempotent', async () => {
    await client.close();
    await client.close();
    await expect(client.enqueue(new Task('t'))).rejects.toBeInstanceOf(FailedPreconditionError);
    await expect(client.enqueueMany([new Task('t')])).rejects.toBeInstanceOf(FailedPreconditionError);
    await expect(client.ping()).rejects.toBeInstanceOf(FailedPreconditionError);
    expect(await keyTypes(r.redis)).toEqual({});
  });

  it('reports an unreachable Redis as RedisCommandError', async () => {
    const dead = new Client({addr: '127.0.0.1:1', redisOptions: {maxRetriesPerRequest: 0, retryStrategy: () => null}});
    try {
      await expect(dead.ping()).rejects.toBeInstanceOf(RedisCommandError);
      await expect(dead.enqueue(new Task('t'))).rejects.toBeInstanceOf(RedisCommandError);
    } finally {
      await dead.close();
    }
  });
});
