import {describe, expect, it} from 'vitest';
import type {StatsResult} from '../../src/commands/stats.js';
import {seedEveryState} from '../support/seed-every-state.js';
import {useCli} from '../support/cli.js';

const cli = useCli();
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('asynq stats', () => {
  it("prints Go's four sections: counts by state, size by queue (paused marked), today's counters, Redis info", async () => {
    const {now} = await seedEveryState(cli.redis, new Date());
    const r = await cli.asynq(['stats']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const [byState, byQueue, daily, redis] = r.stdout.trimEnd().split('\n\n');
    expect(byState).toBe(
      [
        'Task Count by State',
        'active  pending  aggregating  scheduled  retry  archived  completed',
        '------  -------  -----------  ---------  -----  --------  ---------',
        '2       3        2            2          1      1         1',
      ].join('\n'),
    );
    expect(byQueue).toBe(
      [
        'Task Count by Queue',
        'critical (paused)  default  empty',
        '-----------------  -------  -----',
        '1                  11       0',
      ].join('\n'),
    );
    expect(daily).toBe(
      [
        `Daily Stats ${now.toISOString().slice(0, 10)} UTC`,
        'processed  failed  error rate',
        '---------  ------  ----------',
        '10         2       20.00%',
      ].join('\n'),
    );
    const version = (await cli.redis.info('server')).match(/redis_version:(\S+)/)![1]!;
    expect(redis).toMatch(
      new RegExp(
        `^Redis Info\nversion +uptime +connections +memory usage +peak memory usage\n[- ]+\n${version.replaceAll('.', '\\.')} +0 days +\\d+ +[\\d.]+[KMG]B +[\\d.]+[KMG]B$`,
      ),
    );
  });

  it('--json prints one document: aggregate, queues (camelCase, latencyMs) and the INFO map', async () => {
    await seedEveryState(cli.redis, new Date());
    const doc = await cli.asynqJson<StatsResult>(['stats']);
    expect(doc.aggregate).toEqual({
      active: 2,
      pending: 3,
      aggregating: 2,
      scheduled: 2,
      retry: 1,
      archived: 1,
      completed: 1,
      processed: 10,
      failed: 2,
      timestamp: expect.stringMatching(ISO),
    });
    expect(doc.queues.map((q) => q.queue)).toEqual(['critical', 'default', 'empty']);
    expect(doc.queues[1]).toEqual({
      queue: 'default',
      paused: false,
      size: 11,
      groups: 1,
      pending: 2,
      active: 2,
      scheduled: 2,
      retry: 1,
      archived: 1,
      completed: 1,
      aggregating: 2,
      processed: 10,
      failed: 2,
      processedTotal: 100,
      failedTotal: 7,
      latencyMs: expect.any(Number),
      memoryUsageBytes: expect.any(Number),
      timestamp: expect.stringMatching(ISO),
    });
    expect(doc.queues[1]!.latencyMs).toBeGreaterThanOrEqual(10_000);
    expect(doc.queues[0]).toMatchObject({queue: 'critical', paused: true, size: 1});
    expect(doc.redis.tcp_port).toBe(String(cli.server.port));
  });

  it('works on an empty server', async () => {
    const r = await cli.asynq(['stats']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Task Count by Queue\nNo queues\n');
    expect((await cli.asynqJson<StatsResult>(['stats'])).queues).toEqual([]);
  });
});
