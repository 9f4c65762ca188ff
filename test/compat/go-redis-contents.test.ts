/**
 * Golden tests over test/fixtures/compat: Redis contents written by real Go asynq (v0.24.1 and HEAD)
 * are loaded into a fresh redis-server and read back and moved through the TS broker; and the
 * same steps done by the TS client leave the same layout (key names, types, hash fields,
 * message fields) as Go's.
 */
import {describe, expect, it} from 'vitest';
import {RDB} from '../../src/lib/broker/rdb.js';
import {RDBInspector} from '../../src/lib/broker/inspect.js';
import {Client} from '../../src/lib/client.js';
import {Task} from '../../src/lib/task.js';
import {decodeTaskMessage} from '../../src/lib/base/codec.js';
import {SimulatedClock} from '../../src/lib/clock.js';
import {useRedis} from '../support/redis.js';
import {allKeys, DUMPS, loadDump, restoreDump, stepTask} from '../support/compat.js';

const r = useRedis();

for (const file of DUMPS) {
  describe(`Go-written Redis contents read and moved by the TS broker (${file})`, () => {
    const dump = loadDump(file);
    const capturedAt = new Date(dump.generated_at);
    const setup = async (): Promise<{clock: SimulatedClock; rdb: RDB; insp: RDBInspector}> => {
      await restoreDump(r.redis, dump, {ttlFloorMs: 60_000});
      const clock = new SimulatedClock(capturedAt);
      const rdb = new RDB(r.redis, {clock});
      return {clock, rdb, insp: new RDBInspector(rdb)};
    };

    it("lists the queues and reports each queue's counts as Go wrote them", async () => {
      const {insp} = await setup();
      expect((await insp.allQueues()).sort()).toEqual(
        [
          ...new Set(
            allKeys(dump)
              .filter((k) => k.key === 'asynq:queues')
              .flatMap((k) => k.value as string[]),
          ),
        ].sort(),
      );
      const pendingIds = allKeys(dump).find((k) => k.key === 'asynq:{default}:pending')!.value as string[];
      const stats = await insp.currentStats('default');
      expect(stats).toMatchObject({
        queue: 'default',
        pending: pendingIds.length,
        scheduled: 1,
        archived: 1,
        aggregating: 1,
        groups: 1,
        active: 0,
        retry: 0,
        completed: 0,
        paused: false,
      });
      expect(stats.size).toBe(pendingIds.length + 3);
      expect(stats.memoryUsage).toBeGreaterThan(0);
      const retry = await insp.currentStats('golden_retry');
      expect(retry).toMatchObject({retry: 1, processed: 1, failed: 1, processedTotal: 1, failedTotal: 1});
      const done = await insp.currentStats('golden_done');
      expect(done).toMatchObject({completed: 1, processed: 1, failed: 0, processedTotal: 1});
    });

    it('reads every captured task with its state, message and result', async () => {
      const {insp} = await setup();
      for (const s of [...dump.steps, ...dump.live_steps]) {
        if (!s.resulting_state) continue; // the scheduler step names an entry, not a task
        const info = await insp.getTaskInfo(s.queue, s.task_id);
        expect(info.state, s.name).toBe(s.resulting_state);
        expect(info.msg.id).toBe(s.task_id);
        expect(info.msg.queue).toBe(s.queue);
        expect(info.msg.type).toMatch(/^golden:/);
      }
      const done = stepTask(dump, 'completed');
      const info = await insp.getTaskInfo(done.queue, done.id);
      expect(info.result?.toString()).toBe('{"ok":true}');
      expect(info.msg.completedAt).toBeGreaterThan(0);
      const retry = await insp.getTaskInfo('golden_retry', stepTask(dump, 'retry').id);
      expect(retry.msg).toMatchObject({retried: 1, retry: 3, errorMsg: 'golden: induced failure'});
      expect(retry.nextProcessAt).not.toBeNull();
      const grouped = await insp.listAggregating('default', 'golden-group');
      expect(grouped.map((t) => t.msg.id)).toEqual([stepTask(dump, 'group').id]);
      expect(await insp.groupStats('default')).toEqual([{group: 'golden-group', size: 1}]);
    });

    it('lists pending tasks next-to-dequeue first, and the active task with its lease', async () => {
      const {insp} = await setup();
      const pending = await insp.listPending('default');
      expect(pending[0]!.msg.id).toBe(stepTask(dump, 'pending').id);
      const active = await insp.listActive('golden_active');
      expect(active.map((t) => t.msg.id)).toEqual([stepTask(dump, 'active').id]);
      expect(active[0]!.isOrphaned).toBe(false);
    });

    it('decodes the live server, its worker and the scheduler entry with its history', async () => {
      const {insp} = await setup();
      const servers = await insp.listServers();
      expect(servers).toHaveLength(1);
      expect(servers[0]).toMatchObject({
        concurrency: 1,
        queues: {golden_active: 1},
        status: 'active',
        activeWorkerCount: 1,
      });
      const workers = await insp.listWorkers();
      expect(workers.map((w) => w.taskId)).toEqual([stepTask(dump, 'active').id]);
      expect(workers[0]!.deadline.seconds).toBeGreaterThan(workers[0]!.startTime.seconds);
      const entries = await insp.listSchedulerEntries();
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({
        spec: '@every 1s',
        taskType: 'golden:cron',
        enqueueOptions: ['Queue("golden_cron")', 'MaxRetry(2)'],
      });
      const events = await insp.listSchedulerEnqueueEvents(entries[0]!.id);
      expect(events.length).toBeGreaterThan(0);
      // Newest first.
      for (let i = 1; i < events.length; i++)
        expect(events[i - 1]!.enqueueTime.seconds).toBeGreaterThanOrEqual(events[i]!.enqueueTime.seconds);
    });

    it('processes a Go-enqueued task: dequeue takes the oldest, done counts it and frees its unique lock', async () => {
      const {rdb} = await setup();
      const plain = stepTask(dump, 'pending');
      const first = await rdb.dequeue(['default']);
      expect(first!.msg.id).toBe(plain.id);
      expect(first!.msg.payload.toString()).toBe('{"n":1}');
      expect(await r.redis.hget(`asynq:{default}:t:${plain.id}`, 'state')).toBe('active');
      await rdb.done(first!.msg);
      expect(await r.redis.exists(`asynq:{default}:t:${plain.id}`)).toBe(0);
      expect(await r.redis.get('asynq:{default}:processed')).toBe('1');
      const unique = stepTask(dump, 'unique');
      const second = await rdb.dequeue(['default']);
      expect(second!.msg.id).toBe(unique.id);
      expect(second!.msg.uniqueKey).toMatch(/^asynq:\{default\}:unique:golden:unique:/);
      await rdb.done(second!.msg);
      expect(await r.redis.exists(second!.msg.uniqueKey)).toBe(0);
    });

    it('forwards the Go-scheduled task when due, and retries the Go retry task', async () => {
      const {rdb, clock, insp} = await setup();
      clock.advance(2 * 3600_000);
      expect(await rdb.forwardIfReady(['default', 'golden_retry'])).toBe(2);
      const sched = await insp.getTaskInfo('default', stepTask(dump, 'scheduled').id);
      expect(sched.state).toBe('pending');
      const retried = await insp.getTaskInfo('golden_retry', stepTask(dump, 'retry').id);
      expect(retried.state).toBe('pending');
    });

    it('runs, archives and deletes Go-written tasks through the inspector scripts', async () => {
      const {insp} = await setup();
      const archived = stepTask(dump, 'archived');
      await insp.runTask('default', archived.id);
      expect((await insp.getTaskInfo('default', archived.id)).state).toBe('pending');
      await insp.archiveTask('default', archived.id);
      expect((await insp.getTaskInfo('default', archived.id)).state).toBe('archived');
      await insp.deleteTask('default', archived.id);
      await expect(insp.getTaskInfo('default', archived.id)).rejects.toThrow(/cannot find task/);
    });
  });
}

describe('the TS client writes the layout Go wrote for the same steps', () => {
  const dump = loadDump('go-head-wire-dump.json');

  /** Hash field names and decoded message field presence (ids and times differ run to run). */
  function shape(fields: Record<string, Buffer | string>): {fields: string[]; msg: string[]; state: string} {
    const raw = fields.msg!;
    const m = decodeTaskMessage(typeof raw === 'string' ? Buffer.from(raw) : raw);
    const present = Object.entries(m)
      .filter(
        ([, v]) =>
          !(
            v === 0 ||
            v === '' ||
            (Buffer.isBuffer(v) && v.length === 0) ||
            (typeof v === 'object' && !Buffer.isBuffer(v) && Object.keys(v as object).length === 0)
          ),
      )
      .map(([k]) => k)
      .sort();
    return {fields: Object.keys(fields).sort(), msg: present, state: String(fields.state)};
  }

  it.each([
    ['pending', () => [new Task('golden:plain', Buffer.from('{"n":1}')), {}]],
    ['scheduled', () => [new Task('golden:scheduled', Buffer.from('{"n":2}')), {processIn: '1h'}]],
    ['unique', () => [new Task('golden:unique', Buffer.from('{"n":3}')), {unique: '1h'}]],
    [
      'taskid_retention',
      () => [
        new Task('golden:taskid', Buffer.from('{"n":4}')),
        {taskId: 'golden-custom-id', retention: '24h', maxRetry: 5, timeout: '30s'},
      ],
    ],
    ['group', () => [new Task('golden:grouped', Buffer.from('{"n":5}')), {group: 'golden-group'}]],
    [
      'headers',
      () => [new Task('golden:headers', Buffer.from('{"n":11}')), {headers: {'trace-id': 'abc123', tenant: 'acme'}}],
    ],
  ] as const)('step %s', async (name, make) => {
    const [task, opts] = make();
    const client = new Client(r.redis);
    const info = await client.enqueue(task, opts);
    const step = stepTask(dump, name);
    const goHash = allKeys(dump).find((k) => k.key === `asynq:{${step.queue}}:t:${step.id}`)!;
    const goFields: Record<string, Buffer> = {};
    for (const [f, v] of Object.entries(goHash.value as Record<string, unknown>)) {
      goFields[f] = typeof v === 'string' ? Buffer.from(v) : Buffer.from((v as {base64: string}).base64, 'base64');
    }
    const ours = await r.redis.hgetallBuffer(`asynq:{${info.queue}}:t:${info.id}`);
    expect(shape(ours)).toEqual(shape(goFields));
    if (name === 'unique') {
      const m = decodeTaskMessage(ours.msg!);
      expect(m.uniqueKey).toBe('asynq:{default}:unique:golden:unique:4878c556bc656228125612763e3fe150');
      expect(await r.redis.get(m.uniqueKey)).toBe(info.id);
    }
    if (name === 'taskid_retention') {
      // Everything but pending_since is byte-identical for a fixed id.
      expect(ours.msg!.toString('hex')).toBe(goFields.msg!.toString('hex'));
    }
  });
});
