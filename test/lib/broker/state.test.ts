import {describe, expect, it} from 'vitest';
import {RDB} from '../../../src/lib/broker/rdb.js';
import {RDBState} from '../../../src/lib/broker/state.js';
import {
  decodeSchedulerEnqueueEvent, decodeSchedulerEntry, decodeServerInfo, decodeWorkerInfo, isZeroTime, ZERO_TIME,
  type SchedulerEntry, type ServerInfo, type WorkerInfo,
} from '../../../src/lib/base/codec.js';
import {SimulatedClock} from '../../../src/lib/clock.js';
import {RedisCommandError, ValidationError} from '../../../src/lib/errors.js';
import {useRedis} from '../../support/redis.js';
import {keyTypes} from '../../support/dump.js';
import {zsetEntries} from '../../support/seed.js';

const r = useRedis();

/** 2026-01-01T00:00:00Z; the clock sits 0.7 s later to show that scores are truncated unix s. */
const T = 1767225600;
const newState = (): {state: RDBState; clock: SimulatedClock} => {
  const clock = new SimulatedClock(new Date(T * 1000 + 700));
  return {state: new RDBState(new RDB(r.redis, {clock})), clock};
};

/** Worked encoding 3 of docs/wire-format.md (ServerInfo). */
const server: ServerInfo = {
  host: 'h', pid: 7, serverId: 's', concurrency: 10, queues: {default: 1}, strictPriority: false,
  status: 'active', startTime: {seconds: T, nanos: 5}, activeWorkerCount: 0,
};
const SERVER_HEX = '0a0168100' + '71a0173200a2a0b0a0764656661756c7410013a0661637469766542080880f2d6ca061005';

const worker = (taskId: string, extra: Partial<WorkerInfo> = {}): WorkerInfo => ({
  host: 'h', pid: 7, serverId: 's', taskId, taskType: 'email:welcome', taskPayload: Buffer.from(`{"id":"${taskId}"}`),
  queue: 'default', startTime: {seconds: T - 3, nanos: 250_000_000}, deadline: {seconds: T + 1797, nanos: 250_000_000},
  ...extra,
});

/** Worked encoding 4 of docs/wire-format.md: a never-fired entry. */
const entry = (id: string, extra: Partial<SchedulerEntry> = {}): SchedulerEntry => ({
  id, spec: '@every 30s', taskType: 't', taskPayload: Buffer.alloc(0), enqueueOptions: ['Queue("default")', 'MaxRetry(5)'],
  nextEnqueueTime: {seconds: T, nanos: 0}, prevEnqueueTime: ZERO_TIME, ...extra,
});
const ENTRY_E1_HEX = '0a026531120a40657665727920333073' + '1a01742a105175657565282264656661756c7422292a0b4d61785265747279283529'
  + '32060880f2d6ca06' + '3a0b088092b8c398feffffff01';

/** Captured from real Go asynq HEAD (test/fixtures/compat/go-head-wire-dump.json, live snapshot). */
const GO_SERVER_HEX = '0a02766d108ef3011a2462336635336566652d386239632d346536642d393736642d31363063343438383235313220012a110a0d676f6c64656e5f61637469766510013a06616374697665420c0880f693d80610ffccb6b7024801';
const GO_WORKER_HEX = '0a02766d108ef3011a2462336635336566652d386239632d346536642d393736642d313630633434383832353132222465636233313264662d356539322d346437622d616263612d3663383536376361336139322a0d676f6c64656e3a61637469766532077b226e223a397d3a0d676f6c64656e5f616374697665420c0880f693d806109dde8ab8024a0c08888494d80610c3dd8ab802';
const GO_ENTRY_HEX = '0a2430613333333464642d383366362d343136632d393661372d33386165383066383163303812094065766572792031731a0b676f6c64656e3a63726f6e22087b226e223a31307d2a1451756575652822676f6c64656e5f63726f6e22292a0b4d617852657472792832293206088bf693d8063a06088af693d806';
const GO_EVENT_HEX = '0a2462326330386534612d306165332d343264352d386232302d373933356363663061623538120b0881f693d80610d5a38a01';

const SKEY = 'asynq:servers:{h:7:s}';
const WKEY = 'asynq:workers:{h:7:s}';

describe('RDBState.writeServerState', () => {
  it('writes the server info, the workers hash and both zset members with TTL 10 s (checklist 87-89)', async () => {
    // Given
    const {state} = newState();
    const workers = [worker('task-1'), worker('task-2', {queue: 'critical', taskType: 'report'})];
    // When
    await state.writeServerState({...server, activeWorkerCount: 2}, workers, 10);
    // Then
    expect(await keyTypes(r.redis)).toEqual({
      'asynq:servers': 'zset', [SKEY]: 'string', 'asynq:workers': 'zset', [WKEY]: 'hash',
    });
    expect(await zsetEntries(r.redis, 'asynq:servers')).toEqual([[SKEY, T + 10]]);
    expect(await zsetEntries(r.redis, 'asynq:workers')).toEqual([[WKEY, T + 10]]);
    for (const key of [SKEY, WKEY]) {
      expect(await r.redis.ttl(key)).toBe(10);
      expect(await r.redis.pttl(key)).toBeGreaterThan(9000);
    }
    expect(decodeServerInfo((await r.redis.getBuffer(SKEY))!)).toEqual({...server, activeWorkerCount: 2});
    const hash = await r.redis.hgetallBuffer(WKEY);
    expect(Object.keys(hash).sort()).toEqual(['task-1', 'task-2']);
    expect(decodeWorkerInfo(hash['task-1']!)).toEqual(workers[0]);
    expect(decodeWorkerInfo(hash['task-2']!)).toEqual(workers[1]);
  });

  it('stores the ServerInfo bytes of worked encoding 3', async () => {
    const {state} = newState();
    await state.writeServerState(server, [], 10);
    expect((await r.redis.getBuffer(SKEY))!.toString('hex')).toBe(SERVER_HEX);
  });

  it('stores byte-identical values for records decoded from a real Go server', async () => {
    // Given: the ServerInfo and WorkerInfo a Go server wrote (single-entry map, so byte-stable)
    const {state} = newState();
    const info = decodeServerInfo(Buffer.from(GO_SERVER_HEX, 'hex'));
    const w = decodeWorkerInfo(Buffer.from(GO_WORKER_HEX, 'hex'));
    // When
    await state.writeServerState(info, [w], 10);
    // Then: the same keys as Go's live snapshot, with Go's exact bytes
    const skey = 'asynq:servers:{vm:31118:b3f53efe-8b9c-4e6d-976d-160c44882512}';
    const wkey = 'asynq:workers:{vm:31118:b3f53efe-8b9c-4e6d-976d-160c44882512}';
    expect(await keyTypes(r.redis)).toEqual({'asynq:servers': 'zset', [skey]: 'string', 'asynq:workers': 'zset', [wkey]: 'hash'});
    expect((await r.redis.getBuffer(skey))!.toString('hex')).toBe(GO_SERVER_HEX);
    const hash = await r.redis.hgetallBuffer(wkey);
    expect(Object.keys(hash)).toEqual(['ecb312df-5e92-4d7b-abca-6c8567ca3a92']);
    expect(hash['ecb312df-5e92-4d7b-abca-6c8567ca3a92']!.toString('hex')).toBe(GO_WORKER_HEX);
  });

  it('writes every Timestamp, including an all-zero one, as a present field', async () => {
    const {state} = newState();
    await state.writeServerState({...server, startTime: {seconds: 0, nanos: 0}}, [worker('x', {startTime: {seconds: 0, nanos: 0}})], 10);
    // field 8 start_time present as the 2-byte empty message
    expect((await r.redis.getBuffer(SKEY))!.toString('hex')).toMatch(/4200$/);
    expect((await r.redis.hgetBuffer(WKEY, 'x'))!.toString('hex')).toContain('4200' + '4a0b');
  });

  it('replaces the workers hash on the next beat and refreshes TTLs and scores', async () => {
    // Given
    const {state, clock} = newState();
    await state.writeServerState(server, [worker('done-task'), worker('still-running')], 10);
    // When: 5 s later only one task is in flight
    clock.advance(5000);
    await r.redis.expire(SKEY, 3);
    await state.writeServerState({...server, status: 'stopped'}, [worker('still-running')], 10);
    // Then
    expect(Object.keys(await r.redis.hgetall(WKEY))).toEqual(['still-running']);
    expect(await r.redis.ttl(SKEY)).toBe(10);
    expect(decodeServerInfo((await r.redis.getBuffer(SKEY))!).status).toBe('stopped');
    expect(await zsetEntries(r.redis, 'asynq:servers')).toEqual([[SKEY, T + 15]]);
    expect(await zsetEntries(r.redis, 'asynq:workers')).toEqual([[WKEY, T + 15]]);
  });

  it('leaves the workers key absent with no workers but still adds its asynq:workers member (as Go)', async () => {
    const {state} = newState();
    await state.writeServerState(server, [worker('a')], 10);
    await state.writeServerState({...server, status: 'closed'}, [], 10);
    expect(await keyTypes(r.redis)).toEqual({'asynq:servers': 'zset', [SKEY]: 'string', 'asynq:workers': 'zset'});
    expect(await zsetEntries(r.redis, 'asynq:workers')).toEqual([[WKEY, T + 10]]);
  });

  it('rejects status "new" and any status Go does not write with ValidationError and writes nothing', async () => {
    const {state} = newState();
    for (const status of ['new', 'running', '']) {
      await expect(state.writeServerState({...server, status}, [], 10)).rejects.toBeInstanceOf(ValidationError);
    }
    expect(await keyTypes(r.redis)).toEqual({});
  });

  it('rejects a TTL that is not a positive whole number of seconds, writing nothing', async () => {
    const {state} = newState();
    for (const ttl of [0, -1, 1.5, Number.NaN]) {
      await expect(state.writeServerState(server, [], ttl)).rejects.toBeInstanceOf(ValidationError);
    }
    expect(await keyTypes(r.redis)).toEqual({});
  });

  it('rejects a start time outside the range Go readers accept (v0.24.1 ptypes)', async () => {
    const {state} = newState();
    const bad = [{seconds: -62135596801, nanos: 0}, {seconds: 253402300800, nanos: 0}, {seconds: T, nanos: 1e9}, {seconds: Number.NaN, nanos: 0}];
    for (const startTime of bad) {
      await expect(state.writeServerState({...server, startTime}, [], 10)).rejects.toThrow(/startTime/);
    }
    expect(await keyTypes(r.redis)).toEqual({});
  });

  it('leaves out a worker with an out-of-range Timestamp, as Go skips workers it cannot encode', async () => {
    const {state} = newState();
    await state.writeServerState(server, [worker('ok'), worker('bad', {deadline: {seconds: T, nanos: -1}})], 10);
    expect(Object.keys(await r.redis.hgetall(WKEY))).toEqual(['ok']);
  });

  it('wraps a Redis failure in RedisCommandError and stops before the script (ZADD first, as Go)', async () => {
    const {state} = newState();
    await r.redis.set('asynq:servers', 'not a zset');
    const err = await state.writeServerState(server, [worker('a')], 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisCommandError);
    expect((err as RedisCommandError).op).toBe('rdb.WriteServerState');
    expect((err as Error).message).toMatch(/WRONGTYPE/);
    expect(await keyTypes(r.redis)).toEqual({'asynq:servers': 'string'});
  });
});

describe('RDBState.clearServerState', () => {
  it('removes both keys and both zset members, leaving other servers alone (checklist 91)', async () => {
    // Given: two servers
    const {state} = newState();
    await state.writeServerState(server, [worker('a')], 10);
    await state.writeServerState({...server, serverId: 'other'}, [worker('b', {serverId: 'other'})], 10);
    // When
    await state.clearServerState('h', 7, 's');
    // Then
    expect(await keyTypes(r.redis)).toEqual({
      'asynq:servers': 'zset', 'asynq:servers:{h:7:other}': 'string', 'asynq:workers': 'zset', 'asynq:workers:{h:7:other}': 'hash',
    });
    expect(await r.redis.zrange('asynq:servers', 0, -1)).toEqual(['asynq:servers:{h:7:other}']);
    expect(await r.redis.zrange('asynq:workers', 0, -1)).toEqual(['asynq:workers:{h:7:other}']);
    // When the last server shuts down nothing is left
    await state.clearServerState('h', 7, 'other');
    expect(await keyTypes(r.redis)).toEqual({});
  });

  it('is harmless when nothing was written', async () => {
    const {state} = newState();
    await state.clearServerState('h', 7, 's');
    expect(await keyTypes(r.redis)).toEqual({});
  });
});

describe('RDBState.writeSchedulerEntries', () => {
  const SCHED = 'host:42:9022a8b5-fa98-46a6-acc8-f8832e686dd7';
  const LKEY = `asynq:schedulers:{${SCHED}}`;

  it('writes the entries LIST (LPUSH order, so reversed) with TTL 20 s and a member scored now+20 (checklist 115)', async () => {
    // Given
    const {state} = newState();
    const e1 = entry('e1');
    const e2 = entry('e2', {spec: '*/5 * * * *', prevEnqueueTime: {seconds: T - 300, nanos: 0}});
    // When
    await state.writeSchedulerEntries(SCHED, [e1, e2], 20);
    // Then
    expect(await keyTypes(r.redis)).toEqual({'asynq:schedulers': 'zset', [LKEY]: 'list'});
    expect(await zsetEntries(r.redis, 'asynq:schedulers')).toEqual([[LKEY, T + 20]]);
    expect(await r.redis.ttl(LKEY)).toBe(20);
    expect(await r.redis.ttl('asynq:schedulers')).toBe(-1);
    const list = await r.redis.lrangeBuffer(LKEY, 0, -1);
    expect(list.map((b) => decodeSchedulerEntry(b))).toEqual([e2, e1]);
  });

  it("writes a never-fired entry's prev time as Go's zero time, byte for byte (worked encoding 4)", async () => {
    const {state} = newState();
    await state.writeSchedulerEntries(SCHED, [entry('e1')], 20);
    const [bytes] = await r.redis.lrangeBuffer(LKEY, 0, -1);
    expect(bytes!.toString('hex')).toBe(ENTRY_E1_HEX);
    // field 7 = seconds -62135596800 as a 10-byte varint, nanos omitted
    expect(bytes!.subarray(-13).toString('hex')).toBe('3a0b088092b8c398feffffff01');
    expect(isZeroTime(decodeSchedulerEntry(bytes!).prevEnqueueTime)).toBe(true);
  });

  it('stores byte-identical values for an entry decoded from a real Go scheduler', async () => {
    const {state} = newState();
    await state.writeSchedulerEntries(SCHED, [decodeSchedulerEntry(Buffer.from(GO_ENTRY_HEX, 'hex'))], 20);
    expect((await r.redis.lrangeBuffer(LKEY, 0, -1)).map((b) => b.toString('hex'))).toEqual([GO_ENTRY_HEX]);
  });

  it('replaces the previous list on each beat', async () => {
    const {state, clock} = newState();
    await state.writeSchedulerEntries(SCHED, [entry('e1'), entry('e2'), entry('e3')], 20);
    clock.advance(10_000);
    await state.writeSchedulerEntries(SCHED, [entry('e3')], 20);
    expect((await r.redis.lrangeBuffer(LKEY, 0, -1)).map((b) => decodeSchedulerEntry(b).id)).toEqual(['e3']);
    expect(await zsetEntries(r.redis, 'asynq:schedulers')).toEqual([[LKEY, T + 30]]);
    expect(await r.redis.ttl(LKEY)).toBe(20);
  });

  it('with no entries leaves the LIST absent but still adds the asynq:schedulers member (as Go)', async () => {
    const {state} = newState();
    await state.writeSchedulerEntries(SCHED, [entry('e1')], 20);
    await state.writeSchedulerEntries(SCHED, [], 20);
    expect(await keyTypes(r.redis)).toEqual({'asynq:schedulers': 'zset'});
    expect(await zsetEntries(r.redis, 'asynq:schedulers')).toEqual([[LKEY, T + 20]]);
  });

  it('leaves out an entry with an out-of-range Timestamp (Go skips it) and rejects a bad TTL', async () => {
    const {state} = newState();
    await state.writeSchedulerEntries(SCHED, [entry('ok'), entry('bad', {nextEnqueueTime: {seconds: 1e15, nanos: 0}})], 20);
    expect((await r.redis.lrangeBuffer(LKEY, 0, -1)).map((b) => decodeSchedulerEntry(b).id)).toEqual(['ok']);
    await expect(state.writeSchedulerEntries('other', [entry('x')], 0)).rejects.toBeInstanceOf(ValidationError);
    expect(await r.redis.exists('asynq:schedulers:{other}')).toBe(0);
    expect(await r.redis.zrange('asynq:schedulers', 0, -1)).toEqual([LKEY]);
  });

  it('clearSchedulerEntries removes the member and the LIST, leaving other schedulers alone', async () => {
    const {state} = newState();
    await state.writeSchedulerEntries(SCHED, [entry('e1')], 20);
    await state.writeSchedulerEntries('other', [entry('e2')], 20);
    await state.clearSchedulerEntries(SCHED);
    expect(await keyTypes(r.redis)).toEqual({'asynq:schedulers': 'zset', 'asynq:schedulers:{other}': 'list'});
    expect(await r.redis.zrange('asynq:schedulers', 0, -1)).toEqual(['asynq:schedulers:{other}']);
  });
});

describe('RDBState.recordSchedulerEnqueueEvent', () => {
  const HKEY = 'asynq:scheduler_history:e1';

  it('adds the encoded event scored by its enqueue time in unix s, without TTL (checklist 118, worked encoding 5)', async () => {
    const {state} = newState();
    await state.recordSchedulerEnqueueEvent('e1', {taskId: 't1', enqueueTime: {seconds: T, nanos: 0}});
    await state.recordSchedulerEnqueueEvent('e1', {taskId: 't2', enqueueTime: {seconds: T + 30, nanos: 999_000_000}});
    expect(await keyTypes(r.redis)).toEqual({[HKEY]: 'zset'});
    expect(await r.redis.ttl(HKEY)).toBe(-1);
    const flat = await r.redis.zrangeBuffer(HKEY, 0, -1, 'WITHSCORES');
    expect(flat[0]!.toString('hex')).toBe('0a02743112060880f2d6ca06');
    expect(Number(flat[1]!.toString())).toBe(T);
    expect(decodeSchedulerEnqueueEvent(flat[2]!)).toEqual({taskId: 't2', enqueueTime: {seconds: T + 30, nanos: 999_000_000}});
    expect(Number(flat[3]!.toString())).toBe(T + 30);
  });

  it('stores the bytes of an event decoded from a real Go scheduler unchanged', async () => {
    const {state} = newState();
    await state.recordSchedulerEnqueueEvent('e1', decodeSchedulerEnqueueEvent(Buffer.from(GO_EVENT_HEX, 'hex')));
    const flat = await r.redis.zrangeBuffer(HKEY, 0, -1, 'WITHSCORES');
    expect(flat.map((b) => b.toString())).toEqual([Buffer.from(GO_EVENT_HEX, 'hex').toString(), '1795488513']);
  });

  it('keeps at most the newest 1000 events (checklist 119)', async () => {
    // Given/When: 1005 firings
    const {state} = newState();
    await Promise.all(Array.from({length: 1005}, (_, i) =>
      state.recordSchedulerEnqueueEvent('e1', {taskId: `t${i}`, enqueueTime: {seconds: T + i, nanos: 0}})));
    // Then
    expect(await r.redis.zcard(HKEY)).toBe(1000);
    const [oldest] = await r.redis.zrangeBuffer(HKEY, 0, 0);
    expect(decodeSchedulerEnqueueEvent(oldest!).taskId).toBe('t5');
    const [newest] = await r.redis.zrevrangeBuffer(HKEY, 0, 0);
    expect(decodeSchedulerEnqueueEvent(newest!).taskId).toBe('t1004');
  });

  it('trims to the newest 999 before adding: 999 → 1000 keeps all, 1200 (older writer) → 1000', async () => {
    const {state} = newState();
    const seed = async (key: string, n: number): Promise<void> => {
      const args: Array<string | number> = [];
      for (let i = 1; i <= n; i++) args.push(i, `old-${i}`);
      await r.redis.zadd(key, ...args);
    };
    await seed('asynq:scheduler_history:a', 999);
    await seed('asynq:scheduler_history:b', 1200);
    const ev = {taskId: 'new', enqueueTime: {seconds: T, nanos: 0}};
    await state.recordSchedulerEnqueueEvent('a', ev);
    await state.recordSchedulerEnqueueEvent('b', ev);
    expect(await r.redis.zcard('asynq:scheduler_history:a')).toBe(1000);
    expect(await r.redis.zrange('asynq:scheduler_history:a', 0, 0)).toEqual(['old-1']);
    expect(await r.redis.zcard('asynq:scheduler_history:b')).toBe(1000);
    expect(await r.redis.zrange('asynq:scheduler_history:b', 0, 0)).toEqual(['old-202']);
  });

  it('rejects an out-of-range enqueue time with ValidationError and writes nothing', async () => {
    const {state} = newState();
    await expect(state.recordSchedulerEnqueueEvent('e1', {taskId: 't', enqueueTime: {seconds: T, nanos: 1.5}})).rejects.toBeInstanceOf(ValidationError);
    expect(await keyTypes(r.redis)).toEqual({});
  });

  it('clearSchedulerHistory deletes only that entry\'s history', async () => {
    const {state} = newState();
    await state.recordSchedulerEnqueueEvent('e1', {taskId: 't', enqueueTime: {seconds: T, nanos: 0}});
    await state.recordSchedulerEnqueueEvent('e2', {taskId: 't', enqueueTime: {seconds: T, nanos: 0}});
    await state.clearSchedulerHistory('e1');
    expect(await keyTypes(r.redis)).toEqual({'asynq:scheduler_history:e2': 'zset'});
  });
});

describe('scheduler shutdown at broker level (checklist 122)', () => {
  it('clearing the entries and each entry history leaves no scheduler key behind', async () => {
    // Given: a running scheduler with two entries, one of which fired
    const {state} = newState();
    const sched = 'host:1:abc';
    await state.writeSchedulerEntries(sched, [entry('e1'), entry('e2')], 20);
    await state.recordSchedulerEnqueueEvent('e1', {taskId: 't', enqueueTime: {seconds: T, nanos: 0}});
    // When: the scheduler shuts down (Go: ClearSchedulerEntries, then ClearSchedulerHistory per entry)
    await state.clearSchedulerEntries(sched);
    for (const id of ['e1', 'e2']) await state.clearSchedulerHistory(id);
    // Then
    expect(await keyTypes(r.redis)).toEqual({});
  });
});
