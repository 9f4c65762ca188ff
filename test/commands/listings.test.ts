// group ls, server ls, cron ls, cron history
import {describe, expect, it} from 'vitest';
import * as keys from '../../src/lib/base/keys.js';
import type {CronHistoryResult} from '../../src/commands/cron/history.js';
import type {CronListResult} from '../../src/commands/cron/list.js';
import type {ServerListResult} from '../../src/commands/server/list.js';
import {seedEveryState} from '../support/seed-every-state.js';
import {rows, useCli} from '../support/cli.js';

const cli = useCli();
const iso = (s: number): string => new Date(s * 1000).toISOString();

describe('asynq group ls', () => {
  it('prints group names, one per line; --json adds sizes', async () => {
    const {nowS} = await seedEveryState(cli.redis, new Date());
    await cli.redis.zadd(keys.groupKey('default', 'a-first'), nowS, 'zz');
    await cli.redis.sadd(keys.allGroups('default'), 'a-first');
    expect(await cli.asynq(['group', 'ls', '-q', 'default'])).toMatchObject({
      code: 0,
      stdout: 'a-first\ng1\n',
      stderr: '',
    });
    expect(await cli.asynqJson(['group', 'list', '--queue', 'default'])).toEqual([
      {group: 'a-first', size: 1},
      {group: 'g1', size: 2},
    ]);
  });

  it('says when a queue has no group; an unknown queue is exit 3', async () => {
    await seedEveryState(cli.redis, new Date());
    expect((await cli.asynq(['group', 'ls', '-q', 'empty'])).stdout).toBe('No groups found in queue "empty"\n');
    expect(await cli.asynqJson(['group', 'ls', '-q', 'empty'])).toEqual([]);
    expect(await cli.asynq(['group', 'ls', '-q', 'nope'])).toMatchObject({
      code: 3,
      stdout: '',
      stderr: 'Error: queue "nope" does not exist\n  Try: asynq queue ls\n',
    });
  });
});

describe('asynq server ls', () => {
  it("prints Go's table: host, PID, state, busy/concurrency, queues by priority, uptime", async () => {
    await seedEveryState(cli.redis, new Date());
    expect(rows((await cli.asynq(['server', 'ls'])).stdout)).toEqual([
      ['Host', 'PID', 'State', 'Active Workers', 'Queues', 'Started'],
      ['----', '---', '-----', '--------------', '------', '-------'],
      ['worker-host', '4242', 'active', '1/10', 'critical:6 default:3', expect.stringMatching(/^1h2m(3|4)s ago$/)],
    ]);
  });

  it('--json includes the tasks in progress with start time and deadline', async () => {
    const {nowS} = await seedEveryState(cli.redis, new Date());
    expect(await cli.asynqJson<ServerListResult>(['server', 'list'])).toEqual([
      {
        id: 'srv-1',
        host: 'worker-host',
        pid: 4242,
        concurrency: 10,
        queues: {default: 3, critical: 6},
        strictPriority: false,
        status: 'active',
        startedAt: iso(nowS - 3723),
        activeWorkers: [
          {
            taskId: 'a1',
            taskType: 'task:a1',
            taskPayload: '{"id":"a1"}',
            taskPayloadEncoding: 'utf8',
            queue: 'default',
            startedAt: iso(nowS - 3),
            deadline: iso(nowS + 1797),
          },
        ],
      },
    ]);
  });

  it('says "No running servers" when none is alive (expired ones are dropped)', async () => {
    await cli.redis.zadd(keys.allServers, 1, keys.serverInfoKey('h', 1, 'old'));
    expect((await cli.asynq(['server', 'ls'])).stdout).toBe('No running servers\n');
    expect(await cli.redis.zcard(keys.allServers)).toBe(0);
    expect(await cli.asynqJson(['server', 'ls'])).toEqual([]);
  });
});

describe('asynq cron ls / history', () => {
  it('lists entries sorted by spec with options as Go prints them, next and previous enqueue', async () => {
    await seedEveryState(cli.redis, new Date());
    expect(rows((await cli.asynq(['cron', 'ls'])).stdout)).toEqual([
      ['EntryID', 'Spec', 'Type', 'Payload', 'Options', 'Next', 'Prev'],
      ['-------', '----', '----', '-------', '-------', '----', '----'],
      ['entry-0', '* * * * *', 'cron:minute', '', '[]', expect.stringMatching(/^In (39|40)s$/), 'N/A'],
      [
        'entry-1',
        '@every 30s',
        'cron:ping',
        '{"n":1}',
        '[Queue("low") MaxRetry(3) TaskID("fixed")]',
        expect.stringMatching(/^In (19|20)s$/),
        expect.stringMatching(/^1[01]s ago$/),
      ],
    ]);
  });

  it('--json gives entries with option strings and ISO times (prev null when never run)', async () => {
    const {nowS} = await seedEveryState(cli.redis, new Date());
    expect(await cli.asynqJson<CronListResult>(['cron', 'list'])).toEqual([
      {
        id: 'entry-0',
        spec: '* * * * *',
        taskType: 'cron:minute',
        taskPayload: '',
        taskPayloadEncoding: 'utf8',
        options: [],
        nextEnqueueAt: iso(nowS + 40),
        prevEnqueueAt: null,
      },
      {
        id: 'entry-1',
        spec: '@every 30s',
        taskType: 'cron:ping',
        taskPayload: '{"n":1}',
        taskPayloadEncoding: 'utf8',
        options: ['Queue("low")', 'MaxRetry(3)', 'TaskID("fixed")'],
        nextEnqueueAt: iso(nowS + 20),
        prevEnqueueAt: iso(nowS - 10),
      },
    ]);
    await cli.redis.flushall();
    expect((await cli.asynq(['cron', 'ls'])).stdout).toBe('No scheduler entries\n');
  });

  it('history prints the enqueue events newest first per entry, Go time format, with paging', async () => {
    const {nowS} = await seedEveryState(cli.redis, new Date());
    const goTime = (s: number) => `${iso(s).slice(0, 10)} ${iso(s).slice(11, 19)} +0000 UTC`;
    const r = await cli.asynq(['cron', 'history', 'entry-1', 'entry-0']);
    expect(r.stdout).toBe(
      [
        'Entry: entry-1',
        '',
        'TaskID  EnqueuedAt',
        '------  ----------',
        `t-new   ${goTime(nowS - 30)}`,
        `t-old   ${goTime(nowS - 60)}`,
        '',
        '='.repeat(49),
        '',
        'Entry: entry-0',
        '',
        'No scheduler enqueue events found for entry: entry-0',
        '',
      ].join('\n'),
    );
    expect(
      await cli.asynqJson<CronHistoryResult>(['cron', 'history', 'entry-1', '--page', '2', '--size', '1']),
    ).toEqual([{entryId: 'entry-1', events: [{taskId: 't-old', enqueuedAt: iso(nowS - 60)}]}]);
    expect((await cli.asynq(['cron', 'history', 'entry-1', '--size', '0'])).code).toBe(2);
  });
});
