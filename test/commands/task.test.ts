import {describe, expect, it} from 'vitest';
import * as keys from '../../src/lib/base/keys.js';
import type {TaskListResult} from '../../src/commands/task/list.js';
import type {TaskInspectResult} from '../../src/commands/task/inspect.js';
import {BINARY_PAYLOAD, seedEveryState} from '../support/seed-every-state.js';
import {rows, useCli} from '../support/cli.js';

const cli = useCli();

const failsUnchanged = (args: string[], code: number): Promise<string> => cli.failsUnchanged(args, code);

/** Go's time.UnixDate in UTC, e.g. `Tue Mar 10 11:59:30 UTC 2026`. */
function unixDate(d: Date): string {
  const wd = d.toLocaleString('en-US', {weekday: 'short', timeZone: 'UTC'});
  const mon = d.toLocaleString('en-US', {month: 'short', timeZone: 'UTC'});
  return `${wd} ${mon} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)} UTC ${d.getUTCFullYear()}`;
}

describe('asynq task ls', () => {
  it('shows the columns Go shows for each state', async () => {
    const {nowS} = await seedEveryState(cli.redis, new Date());
    const ls = async (...a: string[]) => rows((await cli.asynq(['task', 'ls', '-q', 'default', ...a])).stdout);
    expect(await ls('-s', 'pending')).toEqual([
      ['ID', 'Type', 'Payload'],
      ['--', '----', '-------'],
      ['p1', 'task:p1', '{"id":"p1"}'],
      ['p2', 'task:p2', '{"id":"p2"}'],
    ]);
    expect((await ls('-s', 'active')).slice(2).map((r) => r[0])).toEqual(['a1', 'a2']);
    const scheduled = await ls('-s', 'scheduled');
    expect(scheduled[0]).toEqual(['ID', 'Type', 'Payload', 'Process In']);
    expect(scheduled[2]).toEqual(['s1', 'task:s1', '{"id":"s1"}', expect.stringMatching(/^in (5\ds|1m0s)$/)]);
    expect(scheduled[3]).toEqual([
      's2',
      'task:s2',
      'non-printable bytes',
      expect.stringMatching(/^in (59m5\ds|1h0m0s)$/),
    ]);
    expect(await ls('-s', 'retry')).toEqual([
      ['ID', 'Type', 'Payload', 'Next Retry', 'Last Error', 'Last Failed', 'Retried', 'Max Retry'],
      ['--', '----', '-------', '----------', '----------', '-----------', '-------', '---------'],
      [
        'r1',
        'task:r1',
        '{"id":"r1"}',
        expect.stringMatching(/^in (1m5\ds|2m0s)$/),
        'boom',
        unixDate(new Date((nowS - 30) * 1000)),
        '2',
        '25',
      ],
    ]);
    expect((await ls('-s', 'archived'))[2]).toEqual([
      'x1',
      'task:x1',
      '{"id":"x1"}',
      unixDate(new Date((nowS - 100) * 1000)),
      'fatal',
    ]);
    expect((await ls('-s', 'completed'))[2]).toEqual([
      'c1',
      'task:c1',
      '{"id":"c1"}',
      unixDate(new Date((nowS - 10) * 1000)),
      'ok',
    ]);
    expect(await ls('-s', 'aggregating', '-g', 'g1')).toEqual([
      ['ID', 'Type', 'Payload', 'Group'],
      ['--', '----', '-------', '-----'],
      ['ag1', 'task:ag1', '{"id":"ag1"}', 'g1'],
      ['ag2', 'task:ag2', '{"id":"ag2"}', 'g1'],
    ]);
  });

  it("prints times in the local zone (TZ), as Go's CLI does", async () => {
    const {nowS} = await seedEveryState(cli.redis, new Date());
    const r = await cli.asynq(['task', 'ls', '-q', 'default', '-s', 'archived'], {TZ: 'Asia/Tokyo'});
    const tokyo = new Date((nowS - 100 + 9 * 3600) * 1000);
    expect(r.stdout).toContain(unixDate(tokyo).replace(' UTC ', ' GMT+9 '));
  });

  it('--json gives every TaskInfo field; binary payloads as base64; results as text', async () => {
    const {nowS} = await seedEveryState(cli.redis, new Date());
    const [p1] = await cli.asynqJson<TaskListResult>(['task', 'ls', '-q', 'default', '-s', 'pending', '--size', '1']);
    expect(p1).toEqual({
      id: 'p1',
      queue: 'default',
      type: 'task:p1',
      state: 'pending',
      payload: '{"id":"p1"}',
      payloadEncoding: 'utf8',
      headers: {},
      maxRetry: 25,
      retried: 0,
      lastErr: '',
      lastFailedAt: null,
      timeoutMs: 1_800_000,
      deadline: null,
      group: '',
      nextProcessAt: expect.stringMatching(/Z$/),
      isOrphaned: false,
      retentionMs: 0,
      completedAt: null,
      result: null,
      resultEncoding: null,
    });
    const scheduled = await cli.asynqJson<TaskListResult>([
      'task',
      'ls',
      '-q',
      'default',
      '-s',
      'scheduled',
      '--page',
      '2',
      '--size',
      '1',
    ]);
    expect(scheduled.map((t) => [t.id, t.payload, t.payloadEncoding, t.nextProcessAt])).toEqual([
      ['s2', BINARY_PAYLOAD.toString('base64'), 'base64', new Date((nowS + 3600) * 1000).toISOString()],
    ]);
    const active = await cli.asynqJson<TaskListResult>(['task', 'ls', '-q', 'default', '-s', 'active']);
    expect(active.map((t) => [t.id, t.isOrphaned])).toEqual([
      ['a1', false],
      ['a2', true],
    ]);
    const [c1] = await cli.asynqJson<TaskListResult>(['task', 'ls', '-q', 'default', '-s', 'completed']);
    expect(c1).toMatchObject({
      result: 'ok',
      resultEncoding: 'utf8',
      retentionMs: 3_600_000,
      completedAt: new Date((nowS - 10) * 1000).toISOString(),
    });
  });

  it('says so when a state or group is empty, and pages past the end are empty', async () => {
    await seedEveryState(cli.redis, new Date());
    expect((await cli.asynq(['task', 'ls', '-q', 'empty', '-s', 'retry'])).stdout).toBe(
      'No retry tasks in "empty" queue\n',
    );
    expect((await cli.asynq(['task', 'ls', '-q', 'default', '-s', 'aggregating', '-g', 'none'])).stdout).toBe(
      'No aggregating tasks in group "none"\n',
    );
    expect(await cli.asynqJson(['task', 'ls', '-q', 'default', '-s', 'pending', '--page', '2'])).toEqual([]);
  });

  it('bad state, bad page size, missing group: exit 2; unknown queue: exit 3', async () => {
    await seedEveryState(cli.redis, new Date());
    expect(await failsUnchanged(['task', 'ls', '-q', 'default', '-s', 'done'], 2)).toBe(
      'Error: Expected --state=done to be one of: pending, active, scheduled, retry, archived, completed, aggregating\n  Try: asynq task list --help\n',
    );
    expect(await failsUnchanged(['task', 'ls', '-q', 'default', '-s', 'pending', '--size', '0'], 2)).toContain(
      '--size',
    );
    expect(await failsUnchanged(['task', 'ls', '-q', 'default', '-s', 'pending', '--page', 'x'], 2)).toContain(
      '--page',
    );
    expect(await failsUnchanged(['task', 'ls', '-q', 'default', '-s', 'aggregating'], 2)).toBe(
      'Error: a group is required for listing aggregating tasks\n',
    );
    expect(await failsUnchanged(['task', 'ls', '-s', 'pending'], 2)).toContain('Missing required flag queue');
    expect(await failsUnchanged(['task', 'ls', '-q', 'nope', '-s', 'pending'], 3)).toBe(
      'Error: queue "nope" does not exist\n  Try: asynq queue ls\n',
    );
  });
});

describe('asynq task inspect', () => {
  it("prints Go's Task Info and Last Failure blocks, with the payload", async () => {
    const {nowS} = await seedEveryState(cli.redis, new Date());
    const r = await cli.asynq(['task', 'inspect', '--queue', 'default', '--id', 'r1']);
    const next = unixDate(new Date((nowS + 120) * 1000)).replace(/[()]/g, '');
    expect(r.stdout).toMatch(
      new RegExp(
        `^${[
          'Task Info',
          'Queue:   default',
          'ID:      r1',
          'Type:    task:r1',
          'State:   retry',
          'Retried: 2/25',
          'Payload: \\{"id":"r1"\\}',
          '',
          `Next process time: ${next} \\(in (1m5\\ds|2m0s)\\)`,
          '',
          'Last Failure',
          `Failed at:     ${unixDate(new Date((nowS - 30) * 1000))}`,
          'Error message: boom',
        ].join('\n')}\n$`,
      ),
    );
  });

  it('takes the ID as an argument too; shows group and result; pending is due "now", archived "n/a"', async () => {
    await seedEveryState(cli.redis, new Date());
    expect((await cli.asynq(['task', 'inspect', '-q', 'default', 'ag1'])).stdout).toContain(
      'State:   aggregating\nRetried: 0/25\nPayload: {"id":"ag1"}\nGroup:   g1\n\nNext process time: n/a\n',
    );
    expect((await cli.asynq(['task', 'inspect', '-q', 'default', 'c1'])).stdout).toContain('Result:  ok\n');
    expect((await cli.asynq(['task', 'inspect', '-q', 'default', 'p1'])).stdout).toContain('Next process time: now\n');
    expect((await cli.asynq(['task', 'inspect', '-q', 'default', 's2'])).stdout).toContain(
      'Payload: non-printable bytes\n',
    );
    const doc = await cli.asynqJson<TaskInspectResult>(['task', 'inspect', '-q', 'default', 'x1']);
    expect(doc).toMatchObject({id: 'x1', state: 'archived', lastErr: 'fatal', retried: 25, nextProcessAt: null});
  });

  it('unknown task or queue: exit 3; no ID or two different IDs: exit 2', async () => {
    await seedEveryState(cli.redis, new Date());
    expect(await failsUnchanged(['task', 'inspect', '-q', 'default', 'zz'], 3)).toBe(
      'Error: cannot find task with id=zz in queue "default"\n  Try: asynq task ls --queue default --state <state>\n',
    );
    await failsUnchanged(['task', 'inspect', '-q', 'nope', 'p1'], 3);
    expect(await failsUnchanged(['task', 'inspect', '-q', 'default'], 2)).toBe(
      'Error: missing task ID: pass it as the argument or with --id\n',
    );
    expect(await failsUnchanged(['task', 'inspect', '-q', 'default', '-i', 'p1', 'p2'], 2)).toContain(
      'either as the argument or with --id',
    );
  });
});

describe('asynq task archive / delete (remove, rm) / run', () => {
  it("archives, deletes and runs single tasks with Go's messages", async () => {
    const {nowS} = await seedEveryState(cli.redis, new Date());
    expect(await cli.asynq(['task', 'archive', '-q', 'default', '-i', 's1'])).toMatchObject({
      code: 0,
      stdout: 'task archived\n',
      stderr: '',
    });
    const archivedAt = Number(await cli.redis.zscore(keys.archivedKey('default'), 's1'));
    expect(archivedAt).toBeGreaterThanOrEqual(nowS);
    expect(await cli.redis.hget(keys.taskKey('default', 's1'), 'state')).toBe('archived');

    expect((await cli.asynq(['task', 'run', '-q', 'default', 'x1'])).stdout).toBe('task is now pending\n');
    expect(await cli.redis.lindex(keys.pendingKey('default'), 0)).toBe('x1');
    expect(await cli.redis.zscore(keys.archivedKey('default'), 'x1')).toBeNull();

    expect((await cli.asynq(['task', 'rm', '-q', 'default', 'r1'])).stdout).toBe('task deleted\n');
    expect(await cli.redis.exists(keys.taskKey('default', 'r1'))).toBe(0);
    expect(await cli.asynqJson(['task', 'remove', '-q', 'default', 'c1'])).toEqual({
      queue: 'default',
      id: 'c1',
      state: 'deleted',
    });
    expect(await cli.asynqJson(['task', 'delete', '-q', 'default', 'ag2'])).toEqual({
      queue: 'default',
      id: 'ag2',
      state: 'deleted',
    });
    expect(await cli.asynqJson(['task', 'run', '-q', 'default', 'ag1'])).toEqual({
      queue: 'default',
      id: 'ag1',
      state: 'pending',
    });
    expect(await cli.redis.exists(keys.groupKey('default', 'g1'), keys.taskKey('default', 'ag2'))).toBe(0);
    expect(await cli.asynqJson(['task', 'archive', '-q', 'default', 'p2'])).toEqual({
      queue: 'default',
      id: 'p2',
      state: 'archived',
    });
  });

  it('refuses active tasks and pending runs (exit 4) and unknown tasks or queues (exit 3), changing nothing', async () => {
    await seedEveryState(cli.redis, new Date());
    expect(await failsUnchanged(['task', 'archive', '-q', 'default', 'a1'], 4)).toBe(
      'Error: cannot archive task in active state. use CancelProcessing instead.\n',
    );
    expect(await failsUnchanged(['task', 'delete', '-q', 'default', 'a1'], 4)).toBe(
      'Error: cannot delete task in active state. use CancelProcessing instead.\n',
    );
    expect(await failsUnchanged(['task', 'run', '-q', 'default', 'p1'], 4)).toBe(
      'Error: task is already in pending state\n',
    );
    expect(await failsUnchanged(['task', 'archive', '-q', 'default', 'x1'], 4)).toContain('task is already archived');
    await failsUnchanged(['task', 'run', '-q', 'default', 'nope'], 3);
    await failsUnchanged(['task', 'delete', '-q', 'nope', 'p1'], 3);
  });
});

describe('asynq task archiveall / deleteall / runall', () => {
  it('without --force and without a terminal, deleteall and archiveall are exit 2 and change nothing', async () => {
    await seedEveryState(cli.redis, new Date());
    expect(await failsUnchanged(['task', 'deleteall', '-q', 'default', '-s', 'archived'], 2)).toBe(
      'Error: refusing to delete all archived tasks in queue "default" without confirmation: re-run with --force\n',
    );
    expect(await failsUnchanged(['task', 'archiveall', '-q', 'default', '-s', 'aggregating', '-g', 'g1'], 2)).toContain(
      'refusing to archive all aggregating tasks of group "g1" in queue "default" without confirmation: re-run with --force',
    );
    const r = await cli.asynq(['task', 'deleteall', '-q', 'default', '-s', 'retry', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({code: 'VALIDATION', exitCode: 2});
  });

  it('with --force they act on every task of the state and report the count', async () => {
    await seedEveryState(cli.redis, new Date());
    expect((await cli.asynq(['task', 'archiveall', '-q', 'default', '-s', 'pending', '--force'])).stdout).toBe(
      '2 tasks archived\n',
    );
    expect(await cli.redis.zcard(keys.archivedKey('default'))).toBe(3);
    expect(await cli.redis.llen(keys.pendingKey('default'))).toBe(0);
    expect(await cli.asynqJson(['task', 'deleteall', '-q', 'default', '-s', 'archived', '-f'])).toEqual({
      queue: 'default',
      state: 'archived',
      group: null,
      count: 3,
    });
    expect(
      await cli.redis.exists(keys.archivedKey('default'), keys.taskKey('default', 'x1'), keys.taskKey('default', 'p1')),
    ).toBe(0);
    expect(
      (await cli.asynq(['task', 'deleteall', '-q', 'default', '-s', 'aggregating', '-g', 'g1', '--force'])).stdout,
    ).toBe('2 tasks deleted\n');
    expect(await cli.redis.smembers(keys.allGroups('default'))).toEqual([]);
  });

  it('runall needs no --force; it moves scheduled, retry, archived or a group to pending', async () => {
    await seedEveryState(cli.redis, new Date());
    expect((await cli.asynq(['task', 'runall', '-q', 'default', '-s', 'scheduled'])).stdout).toBe(
      '2 tasks are now pending\n',
    );
    expect(await cli.asynqJson(['task', 'runall', '-q', 'default', '-s', 'aggregating', '-g', 'g1'])).toEqual({
      queue: 'default',
      state: 'aggregating',
      group: 'g1',
      count: 2,
    });
    expect((await cli.redis.lrange(keys.pendingKey('default'), 0, -1)).sort()).toEqual([
      'ag1',
      'ag2',
      'p1',
      'p2',
      's1',
      's2',
    ]);
  });

  it('states an action does not support are exit 2; a missing group exit 2; an unknown queue exit 3', async () => {
    await seedEveryState(cli.redis, new Date());
    expect(await failsUnchanged(['task', 'runall', '-q', 'default', '-s', 'pending'], 2)).toContain(
      'Expected --state=pending to be one of: scheduled, retry, archived, aggregating',
    );
    expect(await failsUnchanged(['task', 'archiveall', '-q', 'default', '-s', 'completed', '--force'], 2)).toContain(
      'one of: pending, scheduled, retry, aggregating',
    );
    expect(await failsUnchanged(['task', 'deleteall', '-q', 'default', '-s', 'active', '--force'], 2)).toContain(
      'one of: pending, scheduled, retry, archived, completed, aggregating',
    );
    expect(await failsUnchanged(['task', 'deleteall', '-q', 'default', '-s', 'aggregating', '--force'], 2)).toBe(
      'Error: --group is required with --state aggregating\n',
    );
    await failsUnchanged(['task', 'deleteall', '-q', 'nope', '-s', 'archived', '--force'], 3);
    await failsUnchanged(['task', 'runall', '-q', 'nope', '-s', 'archived'], 3);
  });
});

describe('asynq task cancel', () => {
  it("publishes each ID on asynq:cancel and prints Go's line per task", async () => {
    const sub = cli.server.client();
    const got: string[] = [];
    sub.on('message', (_ch: string, m: string) => got.push(m));
    await sub.subscribe(keys.cancelChannel);
    const r = await cli.asynq(['task', 'cancel', 'a1', 'a2']);
    expect(r).toMatchObject({
      code: 0,
      stdout: 'Sent cancelation signal for task a1\nSent cancelation signal for task a2\n',
    });
    const json = await cli.asynq(['task', 'cancel', 'a3', '--json']);
    expect(JSON.parse(json.stdout)).toEqual([{id: 'a3', signalSent: true, queue: null, state: null}]);
    expect(json.stderr).toContain('no task a3 in any queue'); // unknown IDs: a warning, as test/e2e/command-line.test.ts checks
    await expect.poll(() => got).toEqual(['a1', 'a2', 'a3']);
    await sub.quit();
  });
});
