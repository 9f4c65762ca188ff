import {describe, expect, it} from 'vitest';
import * as keys from '../../src/lib/base/keys.js';
import type {QueueHistoryResult} from '../../src/commands/queue/history.js';
import type {QueueInspectResult} from '../../src/commands/queue/inspect.js';
import type {QueueListResult} from '../../src/commands/queue/list.js';
import {seedEveryState} from '../support/seed-every-state.js';
import {useCli} from '../support/cli.js';

const cli = useCli();

const failsUnchanged = (args: string[], code: number): Promise<string> => cli.failsUnchanged(args, code);

describe('asynq queue ls', () => {
  it('prints one queue per line, sorted; --json gives objects; the alias "list" works', async () => {
    await seedEveryState(cli.redis, new Date());
    expect((await cli.asynq(['queue', 'ls'])).stdout).toBe('critical\ndefault\nempty\n');
    expect((await cli.asynq(['queue', 'list'])).stdout).toBe('critical\ndefault\nempty\n');
    expect(await cli.asynqJson<QueueListResult>(['queue', 'ls'])).toEqual([
      {queue: 'critical'},
      {queue: 'default'},
      {queue: 'empty'},
    ]);
  });

  it('prints nothing (exit 0) when there is no queue', async () => {
    expect(await cli.asynq(['queue', 'ls'])).toMatchObject({code: 0, stdout: '', stderr: ''});
    expect(await cli.asynqJson(['queue', 'ls'])).toEqual([]);
  });
});

describe('asynq queue inspect', () => {
  it("prints Go's Queue Info block with latency and memory, then counts and today's stats", async () => {
    const {now} = await seedEveryState(cli.redis, new Date());
    const r = await cli.asynq(['queue', 'inspect', 'default']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^${[
          'Queue Info',
          'Name:    default',
          'Size:    11',
          'Groups:  1',
          'Paused:  false',
          'Latency: 1\\ds',
          'Memory:  [\\d.]+ k?B',
          '',
          'Task Count by State',
          'active  pending  aggregating  scheduled  retry  archived  completed',
          '------  -------  -----------  ---------  -----  --------  ---------',
          '2       2        2            2          1      1         1',
          '',
          `Daily Stats ${now.toISOString().slice(0, 10)} UTC`,
          'processed  failed  error rate',
          '---------  ------  ----------',
          '10         2       20.00%',
        ].join('\n')}\n$`,
      ),
    );
  });

  it("separates several queues with Go's line of = and gives a JSON array", async () => {
    await seedEveryState(cli.redis, new Date());
    const r = await cli.asynq(['queue', 'inspect', 'critical', 'empty']);
    expect(r.stdout).toContain(`\n\n${'='.repeat(49)}\n\nQueue Info\nName:    empty\n`);
    expect(r.stdout).toContain('Paused:  true');
    const doc = await cli.asynqJson<QueueInspectResult>(['queue', 'inspect', 'critical', 'empty']);
    expect(doc.map((q) => [q.queue, q.paused, q.size])).toEqual([
      ['critical', true, 1],
      ['empty', false, 0],
    ]);
    expect(Object.keys(doc[0]!).sort()).toEqual([
      'active',
      'aggregating',
      'archived',
      'completed',
      'failed',
      'failedTotal',
      'groups',
      'latencyMs',
      'memoryUsageBytes',
      'paused',
      'pending',
      'processed',
      'processedTotal',
      'queue',
      'retry',
      'scheduled',
      'size',
      'timestamp',
    ]);
  });

  it('an unknown queue is exit 3 with one error line and a hint, before printing anything', async () => {
    await seedEveryState(cli.redis, new Date());
    expect(await failsUnchanged(['queue', 'inspect', 'default', 'nope'], 3)).toBe(
      'Error: queue "nope" does not exist\n  Try: asynq queue ls\n',
    );
    const r = await cli.asynq(['queue', 'inspect', 'nope', '--json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toEqual({
      error: {
        code: 'QUEUE_NOT_FOUND',
        message: 'queue "nope" does not exist',
        exitCode: 3,
        actions: ['asynq queue ls'],
      },
    });
  });
});

describe('asynq queue history', () => {
  it('prints the last days newest first with the error rate; -x sets the number of days', async () => {
    const {now} = await seedEveryState(cli.redis, new Date());
    const day = (i: number) => new Date(now.getTime() - i * 86_400_000).toISOString().slice(0, 10);
    const r = await cli.asynq(['queue', 'history', 'default', '-x', '3']);
    expect(r.stdout).toBe(
      [
        'Queue: default',
        '',
        'date (UTC)  processed  failed  error rate',
        '----------  ---------  ------  ----------',
        `${day(0)}  10         2       20.00%`,
        `${day(1)}  4          0       0.00%`,
        `${day(2)}  0          0       N/A`,
        '',
      ].join('\n'),
    );
    expect(await cli.asynqJson<QueueHistoryResult>(['queue', 'history', 'default', 'empty', '--days', '1'])).toEqual([
      {queue: 'default', days: [{date: day(0), processed: 10, failed: 2}]},
      {queue: 'empty', days: [{date: day(0), processed: 0, failed: 0}]},
    ]);
  });

  it('rejects --days 0 (exit 2) and an unknown queue (exit 3)', async () => {
    await seedEveryState(cli.redis, new Date());
    expect(await failsUnchanged(['queue', 'history', 'default', '--days', '0'], 2)).toMatch(/^Error: Parsing --days/);
    await failsUnchanged(['queue', 'history', 'nope'], 3);
  });
});

describe('asynq queue pause / resume (unpause)', () => {
  it("pauses and resumes several queues with Go's messages", async () => {
    await seedEveryState(cli.redis, new Date());
    const p = await cli.asynq(['queue', 'pause', 'default', 'empty']);
    expect(p).toMatchObject({
      code: 0,
      stdout: 'Successfully paused queue "default"\nSuccessfully paused queue "empty"\n',
      stderr: '',
    });
    expect(await cli.redis.exists(keys.pausedKey('default'), keys.pausedKey('empty'))).toBe(2);
    const u = await cli.asynq(['queue', 'unpause', 'default']);
    expect(u.stdout).toBe('Successfully unpaused queue "default"\n');
    expect(await cli.asynqJson(['queue', 'resume', 'empty', 'critical'])).toEqual([
      {queue: 'empty', paused: false},
      {queue: 'critical', paused: false},
    ]);
    expect(await cli.redis.keys('*:paused')).toEqual([]);
    expect(await cli.asynqJson(['queue', 'pause', 'default'])).toEqual([{queue: 'default', paused: true}]);
  });

  it('an unknown queue among several is exit 3 and pauses none; pausing a paused queue is exit 4', async () => {
    await seedEveryState(cli.redis, new Date());
    expect(await failsUnchanged(['queue', 'pause', 'default', 'nope'], 3)).toContain('queue "nope" does not exist');
    expect(await failsUnchanged(['queue', 'pause', 'critical'], 4)).toBe('Error: queue "critical" is already paused\n');
    expect(await failsUnchanged(['queue', 'resume', 'default'], 4)).toBe('Error: queue "default" is not paused\n');
  });
});

describe('asynq queue remove (rm, delete)', () => {
  it('refuses a non-empty queue with exit 4 and the --force hint, changing nothing', async () => {
    await seedEveryState(cli.redis, new Date());
    expect(await failsUnchanged(['queue', 'rm', 'critical'], 4)).toBe(
      'Error: queue "critical" is not empty\n  Try: asynq queue rm --force critical\n',
    );
  });

  it('removes an empty queue, and with --force a non-empty one with its tasks', async () => {
    await seedEveryState(cli.redis, new Date());
    expect((await cli.asynq(['queue', 'delete', 'empty'])).stdout).toBe('Successfully removed queue "empty"\n');
    expect(await cli.asynqJson(['queue', 'remove', 'critical', '--force'])).toEqual([
      {queue: 'critical', removed: true},
    ]);
    expect((await cli.redis.smembers(keys.allQueues)).sort()).toEqual(['default']);
    expect(await cli.redis.exists(keys.taskKey('critical', 'k1'), keys.pendingKey('critical'))).toBe(0);
  });

  it('--force still refuses a queue with active tasks (exit 4) and an unknown queue (exit 3)', async () => {
    await seedEveryState(cli.redis, new Date());
    expect(await failsUnchanged(['queue', 'rm', '-f', 'default'], 4)).toBe(
      'Error: cannot remove queue with active tasks\n',
    );
    await failsUnchanged(['queue', 'rm', '-f', 'empty', 'nope'], 3);
  });
});
