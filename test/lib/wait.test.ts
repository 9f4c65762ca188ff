/**
 * waitForTask: polls until completed/archived, times out with WaitTimeoutError, aborts with the
 * signal, notices a vanished task; against a scripted source and against real Redis through the
 * Inspector.
 */
import {describe, expect, it} from 'vitest';
import {RDB} from '../../src/lib/broker/rdb.js';
import {Client} from '../../src/lib/client.js';
import {QueueNotFoundError, TaskFailedError, TaskNotFoundError, WaitTimeoutError} from '../../src/lib/errors.js';
import {Inspector} from '../../src/lib/inspector.js';
import {Task, type TaskInfo} from '../../src/lib/task.js';
import type {TaskState} from '../../src/lib/base/states.js';
import {waitForTask, waitForTaskSuccess, type TaskInfoSource} from '../../src/lib/wait.js';
import {useRedis} from '../support/redis.js';
import {makeMsg, seedArchived, seedCompleted, seedPending} from '../support/seed.js';

function info(state: TaskState, over: Partial<TaskInfo> = {}): TaskInfo {
  return {
    id: 't1', queue: 'default', type: 'x', payload: Buffer.alloc(0), headers: {}, state, maxRetry: 3, retried: 0, lastErr: '',
    lastFailedAt: null, timeout: 0, deadline: null, group: '', nextProcessAt: null, isOrphaned: false, retention: 0,
    completedAt: null, result: null, ...over,
  };
}

/** A source that returns the scripted states in order (the last one repeats) and counts reads. */
function scripted(...steps: Array<TaskInfo | Error>): TaskInfoSource & {reads: number; args: string[][]} {
  const src = {
    reads: 0,
    args: [] as string[][],
    async getTaskInfo(queue: string, id: string): Promise<TaskInfo> {
      src.args.push([queue, id]);
      const step = steps[Math.min(src.reads++, steps.length - 1)]!;
      if (step instanceof Error) throw step;
      return step;
    },
  };
  return src;
}

describe('waitForTask (scripted source)', () => {
  it('polls through pending/active/retry until completed and reports every read', async () => {
    const done = info('completed', {result: Buffer.from('ok')});
    const src = scripted(info('pending'), info('active'), info('retry', {retried: 1, lastErr: 'boom'}), info('active'), done);
    const seen: string[] = [];
    const got = await waitForTask(src, 'default', 't1', {pollMs: 5, onUpdate: (t) => seen.push(t.state)});
    expect(got).toBe(done);
    expect(seen).toEqual(['pending', 'active', 'retry', 'active', 'completed']);
    expect(src.args).toEqual(Array(5).fill(['default', 't1']));
  });

  it('onAttempt: one call per read showing a new attempt, counted or not; none for the archiving one', async () => {
    const at = (s: number): Date => new Date(s * 1000);
    const enqueued = info('pending');
    const src = scripted(
      info('pending'),
      info('retry', {lastErr: 'exit status 75 (retry later)', lastFailedAt: at(1)}),
      info('retry', {lastErr: 'exit status 75 (retry later)', lastFailedAt: at(1)}),
      info('retry', {lastErr: 'exit status 75 (retry later)', lastFailedAt: at(2)}),
      info('active', {lastErr: 'exit status 75 (retry later)', lastFailedAt: at(2)}),
      info('retry', {retried: 1, lastErr: 'boom', lastFailedAt: at(3)}),
      info('archived', {retried: 1, lastErr: 'boom again', lastFailedAt: at(4)}),
    );
    const seen: string[] = [];
    const got = await waitForTask(src, 'default', 't1', {pollMs: 1, previous: enqueued, onAttempt: (t, counted) => seen.push(`${counted} ${t.lastErr}`)});
    expect(got.state).toBe('archived');
    expect(seen).toEqual(['false exit status 75 (retry later)', 'false exit status 75 (retry later)', 'true boom']);
  });

  it('resolves with an archived task; waitForTaskSuccess turns it into TaskFailedError with the last error', async () => {
    const archived = info('archived', {lastErr: 'exit status 3: smtp down'});
    expect(await waitForTask(scripted(archived), 'default', 't1')).toBe(archived);
    const err = await waitForTaskSuccess(scripted(info('active'), archived), 'default', 't1', {pollMs: 1}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskFailedError);
    expect(err).toMatchObject({queue: 'default', taskId: 't1', lastErr: 'exit status 3: smtp down', code: 'TASK_FAILED'});
    expect((err as Error).message).toBe('task t1 in queue "default" failed: exit status 3: smtp down');
  });

  it('gives up after timeoutMs with WaitTimeoutError naming the last state (task untouched)', async () => {
    const src = scripted(info('active'));
    const started = Date.now();
    const err = await waitForTask(src, 'default', 't1', {timeoutMs: 120, pollMs: 20}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect(err).toMatchObject({state: 'active', code: 'WAIT_TIMEOUT'});
    expect((err as Error).message).toMatch(/^task t1 in queue "default" is still active after waiting 1[2-9]\dms$/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(115);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(src.reads).toBeGreaterThanOrEqual(5); // 25 ms first pause, capped at pollMs = 20
  });

  it('timeoutMs 0 reads once and then times out; a final state on that read still wins', async () => {
    await expect(waitForTask(scripted(info('pending')), 'q', 't1', {timeoutMs: 0})).rejects.toThrow(WaitTimeoutError);
    expect((await waitForTask(scripted(info('completed')), 'q', 't1', {timeoutMs: 0})).state).toBe('completed');
  });

  it('rejects with the abort reason when the signal aborts while waiting', async () => {
    const ac = new AbortController();
    const wait = waitForTask(scripted(info('pending')), 'q', 't1', {pollMs: 10_000, signal: ac.signal});
    setTimeout(() => ac.abort(new Error('stop waiting')), 50);
    const started = Date.now();
    await expect(wait).rejects.toThrow('stop waiting');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('a task that is gone on the first read is TaskNotFoundError; one that vanishes later says so', async () => {
    const missing = new TaskNotFoundError('q', 't1');
    await expect(waitForTask(scripted(missing), 'q', 't1')).rejects.toBe(missing);
    const err = await waitForTask(scripted(info('active'), missing), 'q', 't1', {pollMs: 1}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskNotFoundError);
    expect((err as Error).message).toBe('task t1 in queue "q" no longer exists (deleted, aggregated, or completed without a retention)');
  });

  it('passes other errors through', async () => {
    const boom = new Error('redis down');
    await expect(waitForTask(scripted(info('active'), boom), 'q', 't1', {pollMs: 1})).rejects.toBe(boom);
  });
});

describe('waitForTask (Redis, through the Inspector)', () => {
  const r = useRedis();

  it('returns completed tasks with their result and archived tasks with their error', async () => {
    const now = Math.floor(Date.now() / 1000);
    await seedCompleted(r.redis, [{msg: makeMsg('c1', {retention: 600, completedAt: now}), score: now + 600, result: Buffer.from('the result')}]);
    await seedArchived(r.redis, [{msg: makeMsg('a1', {errorMsg: 'it broke', retried: 25}), score: now}]);
    const insp = new Inspector(r.redis);
    const done = await waitForTask(insp, 'default', 'c1');
    expect(done).toMatchObject({id: 'c1', state: 'completed', result: Buffer.from('the result')});
    await expect(waitForTaskSuccess(insp, 'default', 'a1')).rejects.toThrow('task a1 in queue "default" failed: it broke');
  });

  it('sees a pending task finish, and reports unknown tasks and queues', async () => {
    const insp = new Inspector(r.redis);
    const client = new Client(r.redis);
    const enq = await client.enqueue(new Task('x', 'p'), {retention: '1h'});
    await expect(waitForTask(insp, 'default', enq.id, {timeoutMs: 60, pollMs: 10})).rejects.toThrow(WaitTimeoutError);
    await expect(waitForTask(insp, 'default', 'nope')).rejects.toThrow(TaskNotFoundError);
    await expect(waitForTask(insp, 'nowhere', 'nope')).rejects.toThrow(QueueNotFoundError);
    await r.redis.flushall();
    await seedPending(r.redis, [{msg: makeMsg('p1', {retention: 60})}]);
    const wait = waitForTask(insp, 'default', 'p1', {pollMs: 10});
    await new Promise((res) => setTimeout(res, 40));
    // Move it the way a worker does, each step atomic, so the task exists at every poll.
    const rdb = new RDB(r.redis);
    const got = await rdb.dequeue(['default']);
    await rdb.writeResult('default', 'p1', Buffer.from('late'));
    await rdb.markAsComplete(got!.msg);
    expect((await wait).result).toEqual(Buffer.from('late'));
  });
});
