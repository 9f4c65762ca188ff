/**
 * The inspector over Redis contents written by real Go asynq (HEAD and v0.24.1, test/fixtures/compat):
 * every captured task, server, worker and scheduler entry is read back, and admin writes act on
 * Go-written tasks.
 */
import {describe, expect, it} from 'vitest';
import {RDB} from '../../../src/lib/broker/rdb.js';
import {RDBInspector} from '../../../src/lib/broker/inspect.js';
import {SimulatedClock} from '../../../src/lib/clock.js';
import {useRedis} from '../../support/redis.js';
import {DUMPS, liveMoment, loadDump, restoreDump, stepTask} from '../../support/compat.js';

const r = useRedis();

for (const file of DUMPS) {
  describe(`RDBInspector over ${file}`, () => {
    const dump = loadDump(file);

    async function setup(at: Date = liveMoment(dump)): Promise<{clock: SimulatedClock; insp: RDBInspector}> {
      await restoreDump(r.redis, dump, {ttlFloorMs: 600_000});
      const clock = new SimulatedClock(at);
      return {clock, insp: new RDBInspector(new RDB(r.redis, {clock}))};
    }

    it('reads every captured task in its state and every queue\'s stats', async () => {
      const {insp} = await setup();
      for (const step of [...dump.steps, ...dump.live_steps].filter((s) => s.resulting_state)) {
        const info = await insp.getTaskInfo(step.queue, step.task_id);
        expect([step.name, info.state, info.msg.id, info.msg.queue]).toEqual([step.name, step.resulting_state, step.task_id, step.queue]);
      }
      const queues = (await insp.allQueues()).sort();
      expect(queues).toEqual(['default', 'golden_active', 'golden_cron', 'golden_done', 'golden_retry']);
      for (const q of queues) expect((await insp.currentStats(q)).memoryUsage).toBeGreaterThan(0);
      const pendingSteps = dump.steps.filter((s) => s.queue === 'default' && s.resulting_state === 'pending').map((s) => s.task_id);
      const stats = await insp.currentStats('default');
      expect(stats).toMatchObject({pending: pendingSteps.length, scheduled: 1, archived: 1, aggregating: 1, groups: 1,
        size: pendingSteps.length + 3, paused: false});
      expect(stats.latencyMs).toBeGreaterThan(0); // Go wrote pending_since
      // The clock is on the capture day, so the Go-written daily counters are today's.
      expect(await insp.currentStats('golden_retry')).toMatchObject({retry: 1, processed: 1, failed: 1, processedTotal: 1, failedTotal: 1});
      expect((await insp.historicalStats('golden_done', 2)).map((d) => d.processed)).toEqual([1, 0]);
    });

    it('lists Go tasks in Go order with their errors, results and lease state', async () => {
      const {clock, insp} = await setup();
      const pendingSteps = dump.steps.filter((s) => s.queue === 'default' && s.resulting_state === 'pending').map((s) => s.task_id);
      expect((await insp.listPending('default')).map((t) => t.msg.id)).toEqual(pendingSteps); // oldest first
      const [retry] = await insp.listRetry('golden_retry');
      expect(retry!.msg).toMatchObject({errorMsg: 'golden: induced failure', retried: 1, retry: 3});
      expect(retry!.nextProcessAt).not.toBeNull();
      const [completed] = await insp.listCompleted('golden_done');
      expect(completed!.result!.toString()).toBe('{"ok":true}');
      expect((await insp.listAggregating('default', 'golden-group')).map((t) => t.msg.id)).toEqual([stepTask(dump, 'group').id]);
      expect(await insp.groupStats('default')).toEqual([{group: 'golden-group', size: 1}]);
      const [active] = await insp.listActive('golden_active');
      expect([active!.msg.id, active!.isOrphaned]).toEqual([stepTask(dump, 'active').id, false]);
      clock.advance(60_000); // past the captured lease
      expect((await insp.listActive('golden_active'))[0]!.isOrphaned).toBe(true);
    });

    it('reads the Go server, its worker and the scheduler entry with its history, then expires them lazily', async () => {
      const {clock, insp} = await setup();
      const [srv, ...moreServers] = await insp.listServers();
      expect(moreServers).toEqual([]);
      expect(srv).toMatchObject({status: 'active', queues: {golden_active: 1}, activeWorkerCount: 1});
      const workers = await insp.listWorkers();
      expect(workers.map((w) => [w.taskId, w.serverId, w.queue])).toEqual([[stepTask(dump, 'active').id, srv!.serverId, 'golden_active']]);
      const entryId = stepTask(dump, 'scheduler').id.replace(/^entry /, '');
      const [entry, ...moreEntries] = await insp.listSchedulerEntries();
      expect(moreEntries).toEqual([]);
      expect(entry).toMatchObject({id: entryId, spec: '@every 1s', taskType: 'golden:cron'});
      expect(entry!.enqueueOptions).toEqual(expect.arrayContaining(['Queue("golden_cron")', 'MaxRetry(2)']));
      const events = await insp.listSchedulerEnqueueEvents(entryId, {size: 100});
      expect(events.length).toBe(await r.redis.zcard(`asynq:scheduler_history:${entryId}`));
      const times = events.map((e) => e.enqueueTime.seconds);
      expect(times).toEqual([...times].sort((a, b) => b - a)); // newest first

      clock.advance(3600_000);
      expect(await insp.listServers()).toEqual([]);
      expect(await insp.listWorkers()).toEqual([]);
      expect(await insp.listSchedulerEntries()).toEqual([]);
      expect(await r.redis.exists('asynq:servers', 'asynq:workers', 'asynq:schedulers')).toBe(0);
    });

    it('runs, archives and deletes Go-written tasks (releasing the Go unique lock)', async () => {
      const {insp} = await setup();
      const unique = stepTask(dump, 'unique').id;
      const lockKey = (await r.redis.hget(`asynq:{default}:t:${unique}`, 'unique_key'))!;
      expect(await r.redis.get(lockKey)).toBe(unique);
      await insp.deleteTask('default', unique);
      expect(await r.redis.exists(lockKey, `asynq:{default}:t:${unique}`)).toBe(0);

      await insp.runTask('default', stepTask(dump, 'archived').id);
      expect(await r.redis.lindex('asynq:{default}:pending', 0)).toBe(stepTask(dump, 'archived').id);
      await insp.archiveTask('default', stepTask(dump, 'scheduled').id);
      expect((await insp.getTaskInfo('default', stepTask(dump, 'scheduled').id)).state).toBe('archived');
      expect(await insp.deleteAllAggregating('default', 'golden-group')).toBe(1);
      expect(await r.redis.exists('asynq:{default}:groups')).toBe(0);
    });
  });
}
