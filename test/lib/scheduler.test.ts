import {createHash} from 'node:crypto';
import {afterEach, describe, expect, it} from 'vitest';
import {
  decodeSchedulerEnqueueEvent, decodeSchedulerEntry, decodeTaskMessage, isZeroTime, timestampToDate, type SchedulerEntry,
} from '../../src/lib/base/codec.js';
import {SimulatedClock} from '../../src/lib/clock.js';
import {DuplicateTaskError, FailedPreconditionError, RedisCommandError, ValidationError} from '../../src/lib/errors.js';
import {periodicTaskIdentity, Scheduler, type SchedulerOptions} from '../../src/lib/scheduler.js';
import {Task, type TaskInfo} from '../../src/lib/task.js';
import {useRedis} from '../support/redis.js';
import {manualTimer, waitFor} from '../support/wait.js';
import {recordingLogger} from '../support/logger.js';

const r = useRedis();

const started: Scheduler[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.shutdown()));
});

function newScheduler(clock: SimulatedClock, opts: SchedulerOptions = {}): Scheduler {
  const s = new Scheduler(r.server.url, {clock, timer: manualTimer, logger: recordingLogger(), ...opts});
  started.push(s);
  return s;
}

const at = (iso: string): Date => new Date(iso);
const unix = (iso: string): number => Math.floor(at(iso).getTime() / 1000);

async function storedEntries(s: Scheduler): Promise<SchedulerEntry[]> {
  return (await r.redis.lrangeBuffer(`asynq:schedulers:{${s.id}}`, 0, -1)).map((b) => decodeSchedulerEntry(b));
}

async function pendingMessages(queue = 'default'): Promise<ReturnType<typeof decodeTaskMessage>[]> {
  const ids = await r.redis.lrange(`asynq:{${queue}}:pending`, 0, -1);
  return Promise.all(ids.map(async (id) => decodeTaskMessage((await r.redis.hgetBuffer(`asynq:{${queue}}:t:${id}`, 'msg'))!)));
}

async function history(entryId: string): Promise<Array<{taskId: string; at: Date; score: number}>> {
  const flat = await r.redis.zrangeBuffer(`asynq:scheduler_history:${entryId}`, 0, -1, 'WITHSCORES');
  const out: Array<{taskId: string; at: Date; score: number}> = [];
  for (let i = 0; i < flat.length; i += 2) {
    const ev = decodeSchedulerEnqueueEvent(flat[i]!);
    out.push({taskId: ev.taskId, at: timestampToDate(ev.enqueueTime), score: Number(flat[i + 1]!.toString())});
  }
  return out;
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('Scheduler.register / unregister', () => {
  it('returns a UUIDv4 per entry and lists the entries', () => {
    const s = newScheduler(new SimulatedClock(at('2026-01-01T12:00:30Z')));
    const a = s.register('* * * * *', new Task('a'));
    const b = s.register('@every 30s', new Task('b', {x: 1}), {queue: 'low'});
    expect(a).toMatch(UUID_V4);
    expect(b).toMatch(UUID_V4);
    expect(a).not.toBe(b);
    expect(s.entries().map((e) => [e.id, e.spec, e.task.type, e.optionStrings, e.next, e.prev])).toEqual([
      [a, '* * * * *', 'a', [], null, null],
      [b, '@every 30s', 'b', ['Queue("low")'], null, null],
    ]);
  });

  it('refuses a bad spec, task or option with a ValidationError and registers nothing', () => {
    const s = newScheduler(new SimulatedClock(at('2026-01-01T12:00:30Z')));
    expect(() => s.register('61 * * * *', new Task('a'))).toThrow(/invalid cron spec "61 \* \* \* \*"/);
    expect(() => s.register('* * * * *', new Task(' '))).toThrow(ValidationError);
    expect(() => s.register('* * * * *', {type: 'x'} as never)).toThrow(ValidationError);
    expect(() => s.register('* * * * *', new Task('a'), {unique: '500ms'})).toThrow(/Unique TTL cannot be less than 1s/);
    expect(() => s.register('* * * * *', new Task('a'), {bogus: 1} as never)).toThrow(/unknown task option "bogus"/);
    expect(s.entries()).toEqual([]);
  });

  it('refuses an unknown entry id on unregister', () => {
    const s = newScheduler(new SimulatedClock());
    expect(() => s.unregister('nope')).toThrow(ValidationError);
  });

  it('stops firing an entry unregistered while running, and registers new ones from now', async () => {
    const clock = new SimulatedClock(at('2026-01-01T12:00:30Z'));
    const s = newScheduler(clock);
    const a = s.register('* * * * *', new Task('a'));
    await s.start();
    s.unregister(a);
    clock.set(at('2026-01-01T12:00:45Z'));
    const b = s.register('* * * * *', new Task('b'));
    expect(s.entries().map((e) => [e.id, e.next])).toEqual([[b, at('2026-01-01T12:01:00Z')]]);
    clock.set(at('2026-01-01T12:01:00Z'));
    await s.tick(clock.now());
    expect((await pendingMessages()).map((m) => m.type)).toEqual(['b']);
    await s.heartbeat();
    expect((await storedEntries(s)).map((e) => e.id)).toEqual([b]);
  });
});

describe('Scheduler heartbeat (Go writeSchedulerEntriesCmd, checklist 115-117)', () => {
  it('writes the entries in Go\'s format at start, with TTL 2 x interval and a member in asynq:schedulers', async () => {
    // Given
    const clock = new SimulatedClock(at('2026-01-01T12:00:30.400Z'));
    const s = newScheduler(clock);
    const id = s.register('* * * * *', new Task('task:periodic', {username: '孙悟空'}), {queue: 'low', maxRetry: 3, timeout: '1m', unique: '1h'});
    const every = s.register('@every 10s', new Task('ping'));
    // When
    await s.start();
    // Then
    const key = `asynq:schedulers:{${s.id}}`;
    expect(s.id).toMatch(new RegExp(`^.+:${process.pid}:[0-9a-f-]{36}$`));
    expect(await r.redis.type(key)).toBe('list');
    expect(await r.redis.ttl(key)).toBe(20);
    expect(await r.redis.zrange('asynq:schedulers', 0, -1, 'WITHSCORES')).toEqual([key, String(unix('2026-01-01T12:00:30Z') + 20)]);
    const entries = await storedEntries(s);
    // Go writes the entries sorted by next tick with LPUSH, so Redis holds them reversed.
    expect(entries.map((e) => e.id)).toEqual([id, every]);
    const e = entries[0]!;
    expect(e.spec).toBe('* * * * *');
    expect(e.taskType).toBe('task:periodic');
    expect(e.taskPayload.toString('utf8')).toBe('{"username":"孙悟空"}');
    expect(e.enqueueOptions).toEqual(['Queue("low")', 'MaxRetry(3)', 'Timeout(1m0s)', 'Unique(1h0m0s)']);
    expect(timestampToDate(e.nextEnqueueTime)).toEqual(at('2026-01-01T12:01:00Z'));
    expect(isZeroTime(e.prevEnqueueTime)).toBe(true);
    expect(e.prevEnqueueTime).toEqual({seconds: -62135596800, nanos: 0});
    expect(timestampToDate(entries[1]!.nextEnqueueTime)).toEqual(at('2026-01-01T12:00:40Z'));
  });

  it('uses the configured heartbeat interval for the TTL and records prev after a firing', async () => {
    const clock = new SimulatedClock(at('2026-01-01T12:00:30Z'));
    const s = newScheduler(clock, {heartbeatInterval: '5s'});
    s.register('* * * * *', new Task('a'));
    await s.start();
    expect(await r.redis.ttl(`asynq:schedulers:{${s.id}}`)).toBe(10);
    clock.set(at('2026-01-01T12:01:00.250Z'));
    await s.tick(clock.now());
    await s.heartbeat();
    const [e] = await storedEntries(s);
    expect(timestampToDate(e!.prevEnqueueTime)).toEqual(at('2026-01-01T12:01:00Z'));
    expect(timestampToDate(e!.nextEnqueueTime)).toEqual(at('2026-01-01T12:02:00Z'));
  });

  it('refuses a heartbeat interval below one second', () => {
    expect(() => new Scheduler(r.server.url, {heartbeatInterval: 500})).toThrow(ValidationError);
  });
});

describe('Scheduler firing (Go scheduler.go enqueueJob.Run, checklist 118-121)', () => {
  it('fires a 5-field spec at minute boundaries only, recording one history event per firing', async () => {
    const clock = new SimulatedClock(at('2026-01-01T12:00:30Z'));
    const s = newScheduler(clock);
    const id = s.register('* * * * *', new Task('task:periodic', {username: '孙悟空'}), {queue: 'low'});
    await s.start();

    await s.tick(at('2026-01-01T12:00:59.999Z'));
    expect(await r.redis.exists('asynq:{low}:pending')).toBe(0);

    clock.set(at('2026-01-01T12:01:00.300Z'));
    await s.tick(clock.now());
    clock.set(at('2026-01-01T12:02:00.100Z'));
    await s.tick(clock.now());

    const msgs = await pendingMessages('low');
    expect(msgs).toHaveLength(2);
    for (const m of msgs) {
      expect(m.type).toBe('task:periodic');
      expect(m.payload.toString('utf8')).toBe('{"username":"孙悟空"}');
      expect(m.queue).toBe('low');
      expect(m.id).toMatch(UUID_V4); // an ordinary task ID, as a Go client would write
    }
    const events = await history(id);
    expect(events.map((e) => e.taskId).sort()).toEqual(msgs.map((m) => m.id).sort());
    // Event time = "now" at the firing; score = its unix seconds.
    expect(events.map((e) => [e.at.toISOString(), e.score])).toEqual([
      ['2026-01-01T12:01:00.300Z', unix('2026-01-01T12:01:00Z')],
      ['2026-01-01T12:02:00.100Z', unix('2026-01-01T12:02:00Z')],
    ]);
    expect(await r.redis.ttl(`asynq:scheduler_history:${id}`)).toBe(-1);
  });

  it('fires @every from start time truncated to the second, then every interval', async () => {
    const clock = new SimulatedClock(at('2026-01-01T12:00:10.700Z'));
    const s = newScheduler(clock);
    const id = s.register('@every 30s', new Task('ping'));
    await s.start();
    expect(s.entries()[0]!.next).toEqual(at('2026-01-01T12:00:40Z'));
    await s.tick(at('2026-01-01T12:00:39.999Z'));
    expect(await r.redis.llen('asynq:{default}:pending')).toBe(0);
    for (const t of ['2026-01-01T12:00:40Z', '2026-01-01T12:01:10Z', '2026-01-01T12:01:40Z']) {
      clock.set(at(t));
      await s.tick(clock.now());
    }
    expect(await r.redis.llen('asynq:{default}:pending')).toBe(3);
    expect((await history(id)).map((e) => e.score)).toEqual(
      ['2026-01-01T12:00:40Z', '2026-01-01T12:01:10Z', '2026-01-01T12:01:40Z'].map(unix));
    expect(s.entries()[0]!.next).toEqual(at('2026-01-01T12:02:10Z'));
  });

  it('reads specs in the scheduler location, and CRON_TZ= overrides it', async () => {
    const clock = new SimulatedClock(at('2026-01-10T00:00:00Z'));
    const s = newScheduler(clock, {location: 'Asia/Tokyo'});
    s.register('0 9 * * *', new Task('tokyo'));
    s.register('CRON_TZ=America/New_York 0 9 * * *', new Task('ny'));
    s.register('0 9 * * *', new Task('deadline'), {deadline: at('2026-02-01T00:00:00Z')});
    await s.start();
    expect(s.entries().map((e) => [e.task.type, e.next!.toISOString()])).toEqual([
      ['tokyo', '2026-01-11T00:00:00.000Z'],
      ['deadline', '2026-01-11T00:00:00.000Z'],
      ['ny', '2026-01-10T14:00:00.000Z'],
    ].sort((a, b) => a[1]!.localeCompare(b[1]!)));
    // Option times are written in the entry's zone.
    expect(s.entries().find((e) => e.task.type === 'deadline')!.optionStrings).toEqual(['Deadline(Sun Feb  1 09:00:00 GMT+9 2026)']);
    clock.set(at('2026-01-10T14:00:00Z'));
    await s.tick(clock.now());
    expect((await pendingMessages()).map((m) => m.type)).toEqual(['ny']);
  });

  it('keeps at most the newest 1000 history events per entry', async () => {
    const clock = new SimulatedClock(at('2026-01-01T12:00:30Z'));
    const s = newScheduler(clock);
    const id = s.register('* * * * *', new Task('a'));
    const key = `asynq:scheduler_history:${id}`;
    const args: Array<string | number> = [];
    for (let i = 0; i < 1000; i++) args.push(i, `old-${i}`);
    await r.redis.zadd(key, ...args);
    await s.start();
    clock.set(at('2026-01-01T12:01:00Z'));
    await s.tick(clock.now());
    expect(await r.redis.zcard(key)).toBe(1000);
    expect(await r.redis.zscore(key, 'old-0')).toBeNull();
    expect(await r.redis.zscore(key, 'old-1')).toBe('1');
    const [newest] = await r.redis.zrevrangeBuffer(key, 0, 0);
    expect(decodeSchedulerEnqueueEvent(newest!).taskId).toBe((await pendingMessages())[0]!.id);
  });

  it('calls preEnqueueFunc and postEnqueueFunc; a unique duplicate reaches the hook and records no history', async () => {
    const clock = new SimulatedClock(at('2026-01-01T12:00:30Z'));
    const calls: string[] = [];
    const infos: Array<TaskInfo | null> = [];
    const errors: Array<Error | null> = [];
    const s = newScheduler(clock, {
      preEnqueueFunc: (task, opts) => void calls.push(`pre ${task.type} ${JSON.stringify(opts)}`),
      postEnqueueFunc: async (info, err) => {
        calls.push(`post ${info?.state ?? '-'} ${err?.name ?? '-'}`);
        infos.push(info);
        errors.push(err);
      },
    });
    const id = s.register('* * * * *', new Task('report', 'p'), {unique: '1h'});
    await s.start();
    for (const t of ['2026-01-01T12:01:00Z', '2026-01-01T12:02:00Z']) {
      clock.set(at(t));
      await s.tick(clock.now());
    }
    expect(calls).toEqual([
      'pre report {"unique":"1h"}', 'post pending -',
      'pre report {"unique":"1h"}', 'post - DuplicateTaskError',
    ]);
    expect(infos[0]!.type).toBe('report');
    expect(infos[1]).toBeNull();
    expect(errors[1]).toBeInstanceOf(DuplicateTaskError);
    expect(await r.redis.llen('asynq:{default}:pending')).toBe(1);
    expect((await history(id)).map((e) => e.taskId)).toEqual([infos[0]!.id]);
  });

  it('still enqueues when a hook throws, and logs the hook error', async () => {
    const clock = new SimulatedClock(at('2026-01-01T12:00:30Z'));
    const logger = recordingLogger();
    const s = newScheduler(clock, {logger, preEnqueueFunc: () => { throw new Error('boom'); }});
    s.register('* * * * *', new Task('a'));
    await s.start();
    clock.set(at('2026-01-01T12:01:00Z'));
    await s.tick(clock.now());
    expect(await r.redis.llen('asynq:{default}:pending')).toBe(1);
    expect(logger.lines).toContainEqual(['error', 'Scheduler preEnqueueFunc threw: boom']);
  });
});

describe('Scheduler: no duplicates across instances', () => {
  it('enqueues a tick exactly once when two schedulers with the same entry tick the same instant', async () => {
    // Given two scheduler instances (own connections, own clocks) with the same entry
    const c1 = new SimulatedClock(at('2026-01-01T12:00:30Z'));
    const c2 = new SimulatedClock(at('2026-01-01T12:00:31Z'));
    const posts: string[] = [];
    const mk = (clock: SimulatedClock, name: string): {s: Scheduler; id: string} => {
      const s = newScheduler(clock, {preEnqueueFunc: () => void posts.push(`${name} pre`), postEnqueueFunc: () => void posts.push(`${name} post`)});
      return {s, id: s.register('* * * * *', new Task('task:periodic', {username: '孙悟空'}), {queue: 'low'})};
    };
    const a = mk(c1, 'a');
    const b = mk(c2, 'b');
    await Promise.all([a.s.start(), b.s.start()]);
    // When both tick the same minute at once, then the next minute
    for (const t of ['2026-01-01T12:01:00Z', '2026-01-01T12:02:00Z']) {
      c1.set(at(t));
      c2.set(at(t));
      await Promise.all([a.s.tick(c1.now()), b.s.tick(c2.now())]);
    }
    // Then one task and one history event per tick, in total
    expect(await r.redis.llen('asynq:{low}:pending')).toBe(2);
    const events = [...await history(a.id), ...await history(b.id)];
    expect(events.map((e) => e.score).sort()).toEqual([unix('2026-01-01T12:01:00Z'), unix('2026-01-01T12:02:00Z')]);
    // and the instance that lost a tick called no hooks for it.
    expect(posts.filter((p) => p.endsWith('pre'))).toHaveLength(2);
    expect(posts.filter((p) => p.endsWith('post'))).toHaveLength(2);
  });

  it('holds when a skewed peer ticks 300 ms late, after a worker already processed and deleted the task', async () => {
    const c1 = new SimulatedClock(at('2026-01-01T12:00:30Z'));
    const c2 = new SimulatedClock(at('2026-01-01T12:00:30Z'));
    const a = newScheduler(c1);
    const b = newScheduler(c2);
    a.register('* * * * *', new Task('t'));
    b.register('* * * * *', new Task('t'));
    await Promise.all([a.start(), b.start()]);
    c1.set(at('2026-01-01T12:01:00.050Z'));
    await a.tick(c1.now());
    const [msg] = await pendingMessages();
    // A worker takes and finishes the task (no retention): the task is gone.
    await r.redis.del('asynq:{default}:pending', `asynq:{default}:t:${msg!.id}`);
    c2.set(at('2026-01-01T12:01:00.350Z'));
    await b.tick(c2.now());
    expect(await r.redis.llen('asynq:{default}:pending')).toBe(0);
    expect(b.entries()[0]!.prev).toEqual(at('2026-01-01T12:01:00Z'));
  });

  it('names the lock after the entry identity and the nominal tick, with the queue hash tag, expiring a minute later', async () => {
    const clock = new SimulatedClock(at('2026-01-01T12:00:30Z'));
    const s = newScheduler(clock);
    const task = new Task('task:periodic', {username: '孙悟空'});
    s.register('* * * * *', task, {queue: 'low', maxRetry: 3});
    await s.start();
    clock.set(at('2026-01-01T12:01:00.400Z'));
    await s.tick(clock.now());
    const identity = createHash('sha256')
      .update('* * * * *').update('task:periodic').update('{"username":"孙悟空"}').update('MaxRetry(3)').update('Queue("low")')
      .digest('hex');
    expect(periodicTaskIdentity('* * * * *', task, {queue: 'low', maxRetry: 3})).toBe(identity);
    const key = `asynq:{low}:scheduler_lock:${identity}:${unix('2026-01-01T12:01:00Z')}`;
    expect(await r.redis.get(key)).toBe(s.id);
    const pttl = await r.redis.pttl(key);
    expect(pttl).toBeGreaterThan(59_000);
    expect(pttl).toBeLessThanOrEqual(59_600);
  });

  it('enqueues each @every window once across instances started at different times', async () => {
    // a starts at :05 and ticks :35, :05, :35…; b starts at :20 and ticks :50, :20, :50…
    const c1 = new SimulatedClock(at('2026-01-01T12:00:05Z'));
    const c2 = new SimulatedClock(at('2026-01-01T12:00:20Z'));
    const a = newScheduler(c1);
    const b = newScheduler(c2);
    a.register('@every 30s', new Task('ping'));
    b.register('@every 30s', new Task('ping'));
    await a.start();
    await b.start();
    const due: Array<[Scheduler, SimulatedClock, string]> = [
      [a, c1, '2026-01-01T12:00:35Z'], [b, c2, '2026-01-01T12:00:50Z'], [a, c1, '2026-01-01T12:01:05Z'],
      [b, c2, '2026-01-01T12:01:20Z'], [a, c1, '2026-01-01T12:01:35Z'], [b, c2, '2026-01-01T12:01:50Z'],
    ];
    for (const [s, clock, t] of due) {
      clock.set(at(t));
      await s.tick(clock.now());
    }
    // Windows [12:00:30, 12:01:00), [12:01:00, 12:01:30), [12:01:30, 12:02:00): one task each.
    expect(await r.redis.llen('asynq:{default}:pending')).toBe(3);
  });

  it('gives the tick back when the enqueue fails on a Redis error, so a peer can still enqueue it', async () => {
    const c1 = new SimulatedClock(at('2026-01-01T12:00:30Z'));
    const c2 = new SimulatedClock(at('2026-01-01T12:00:30Z'));
    const errors: Array<Error | null> = [];
    const a = newScheduler(c1, {postEnqueueFunc: (_i, err) => void errors.push(err)});
    const b = newScheduler(c2);
    a.register('* * * * *', new Task('t'));
    b.register('* * * * *', new Task('t'));
    await Promise.all([a.start(), b.start()]);
    await r.redis.set('asynq:{default}:pending', 'not a list'); // the enqueue script fails with WRONGTYPE
    c1.set(at('2026-01-01T12:01:00Z'));
    await a.tick(c1.now());
    expect(errors[0]).toBeInstanceOf(RedisCommandError);
    expect(await r.redis.keys('asynq:{default}:scheduler_lock:*')).toEqual([]);
    await r.redis.del('asynq:{default}:pending');
    c2.set(at('2026-01-01T12:01:00.200Z'));
    await b.tick(c2.now());
    expect(await r.redis.llen('asynq:{default}:pending')).toBe(1);
  });
});

describe('Scheduler lifecycle', () => {
  it('on shutdown removes the entries key and member and the history of registered entries only (checklist 122)', async () => {
    const clock = new SimulatedClock(at('2026-01-01T12:00:30Z'));
    const s = newScheduler(clock);
    const kept = s.register('* * * * *', new Task('kept'));
    const dropped = s.register('* * * * *', new Task('dropped'));
    await s.start();
    clock.set(at('2026-01-01T12:01:00Z'));
    await s.tick(clock.now());
    expect(await r.redis.exists(`asynq:scheduler_history:${kept}`, `asynq:scheduler_history:${dropped}`)).toBe(2);
    s.unregister(dropped);
    await s.shutdown();
    expect(await r.redis.exists(`asynq:schedulers:{${s.id}}`)).toBe(0);
    expect(await r.redis.zrange('asynq:schedulers', 0, -1)).toEqual([]);
    expect(await r.redis.exists(`asynq:scheduler_history:${kept}`)).toBe(0);
    // Go: Unregister removes an entry from cron only; its history outlives the scheduler.
    expect(await r.redis.exists(`asynq:scheduler_history:${dropped}`)).toBe(1);
    // The tasks themselves stay.
    expect(await r.redis.llen('asynq:{default}:pending')).toBe(2);
  });

  it('refuses start twice or after shutdown, register after shutdown; shutdown twice is harmless', async () => {
    const s = newScheduler(new SimulatedClock(at('2026-01-01T12:00:30Z')));
    await s.start();
    await expect(s.start()).rejects.toBeInstanceOf(FailedPreconditionError);
    await s.shutdown();
    await s.shutdown();
    await expect(s.start()).rejects.toThrow('asynq: the scheduler has already been stopped');
    expect(() => s.register('* * * * *', new Task('a'))).toThrow(FailedPreconditionError);
  });

  it('leaves a passed-in ioredis connection open', async () => {
    const conn = r.server.client();
    const s = new Scheduler(conn, {clock: new SimulatedClock(), timer: manualTimer, logger: recordingLogger()});
    await s.start();
    await s.shutdown();
    expect(await conn.ping()).toBe('PONG');
  });

  it('fires on its own with real timers, and run() returns after the signal', async () => {
    const ac = new AbortController();
    const s = new Scheduler(r.server.url, {logger: recordingLogger()});
    const id = s.register('@every 1s', new Task('tick'));
    const running = s.run({signal: ac.signal});
    await waitFor(async () => (await r.redis.llen('asynq:{default}:pending')) >= 1, 'a task from the timer loop', 4_000);
    ac.abort();
    await running;
    expect(await r.redis.exists(`asynq:schedulers:{${s.id}}`, `asynq:scheduler_history:${id}`)).toBe(0);
    await expect(s.start()).rejects.toBeInstanceOf(FailedPreconditionError);
  });
});
