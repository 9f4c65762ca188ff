import {describe, expect, it} from 'vitest';
import {QueueNotFoundError, RedisCommandError} from '../../../src/lib/errors.js';
import {dashQuery, fetchDash, queryKey} from '../../../src/ui/dash/fetch.js';
import {inspectorSource, type DashInspector} from '../../../src/ui/dash/source.js';
import {initialDashState, type DashState} from '../../../src/ui/dash/state.js';
import {entry, fakeSource, queueInfo, taskInfo} from '../fakes.js';

const SIZES = {pageSize: 14, historyDays: 30, cronEvents: 5};

function queueState(over: Partial<NonNullable<DashState['queue']>> = {}): DashState {
  return {
    ...initialDashState(),
    queue: {name: 'q1', tab: 'retry', page: 2, cursor: 3, group: null, groupCursor: 0, detail: null, ...over},
  };
}

/** An Inspector stand-in that counts calls per method. */
function countingInspector(
  queues: string[],
  vanished: string[] = [],
): DashInspector & {counts: Record<string, number>} {
  const counts: Record<string, number> = {};
  const count = (m: string): void => {
    counts[m] = (counts[m] ?? 0) + 1;
  };
  const notUsed = (): never => {
    throw new Error('not used here');
  };
  return {
    counts,
    queues: async () => (count('queues'), queues),
    getQueueInfo: async (q: string) => {
      count('getQueueInfo');
      if (vanished.includes(q)) throw new QueueNotFoundError(q);
      if (q === 'broken') throw new RedisCommandError('getQueueInfo', new Error('LOADING'));
      return queueInfo(q);
    },
    history: notUsed,
    groups: notUsed,
    listTasks: notUsed,
    getTaskInfo: notUsed,
    servers: notUsed,
    schedulerEntries: notUsed,
    listSchedulerEnqueueEvents: notUsed,
    pauseQueue: notUsed,
    unpauseQueue: notUsed,
    runTask: notUsed,
    archiveTask: notUsed,
    deleteTask: notUsed,
    cancelProcessing: notUsed,
    bulkTasks: notUsed,
  } as DashInspector & {counts: Record<string, number>};
}

describe('inspectorSource', () => {
  it('reads 100 queues with one queues() and one getQueueInfo per queue', async () => {
    const names = Array.from({length: 100}, (_, i) => `q${String(i).padStart(3, '0')}`);
    const insp = countingInspector(names);
    const infos = await inspectorSource(insp).listQueueInfos();
    expect(infos.map((i) => i.queue)).toEqual(names);
    expect(insp.counts).toEqual({queues: 1, getQueueInfo: 100});
  });

  it('leaves out a queue removed between the two reads, but reports other errors', async () => {
    expect(
      (await inspectorSource(countingInspector(['a', 'gone', 'b'], ['gone'])).listQueueInfos()).map((i) => i.queue),
    ).toEqual(['a', 'b']);
    await expect(inspectorSource(countingInspector(['a', 'broken'])).listQueueInfos()).rejects.toBeInstanceOf(
      RedisCommandError,
    );
  });

  it('reads no queue info once aborted', async () => {
    const insp = countingInspector(['a', 'b']);
    const ac = new AbortController();
    ac.abort();
    expect(await inspectorSource(insp).listQueueInfos(ac.signal)).toEqual([]);
    expect(insp.counts).toEqual({queues: 1});
  });
});

describe('dashQuery', () => {
  it('does not depend on the cursor of the queue table (moving does not refetch)', () => {
    const a = dashQuery(initialDashState(), SIZES);
    const b = dashQuery(
      {...initialDashState(), queues: {...initialDashState().queues, cursor: 7, sort: 'size', filter: 'x'}},
      SIZES,
    );
    expect(a).toEqual({view: 'queues'});
    expect(queryKey(a)).toBe(queryKey(b));
  });

  it('names the page, page size, tab, group and detail of a queue screen, but not the row cursor', () => {
    expect(dashQuery(queueState(), SIZES)).toEqual({
      view: 'queue',
      queue: 'q1',
      tab: 'retry',
      group: null,
      page: 2,
      pageSize: 14,
      detail: null,
      historyDays: 30,
    });
    expect(queryKey(dashQuery(queueState({cursor: 9}), SIZES))).toBe(queryKey(dashQuery(queueState(), SIZES)));
    expect(dashQuery(queueState({tab: 'aggregating', page: 4}), SIZES)).toMatchObject({group: null, page: 1});
  });

  it('follows the cron cursor (the events of the selected entry are read)', () => {
    expect(dashQuery({...initialDashState(), section: 'cron', cron: {cursor: 2}}, SIZES)).toEqual({
      view: 'cron',
      cursor: 2,
      events: 5,
    });
    expect(dashQuery({...initialDashState(), section: 'servers'}, SIZES)).toEqual({view: 'servers'});
  });
});

describe('fetchDash', () => {
  it('reads a queue screen with one info, one history and the visible page of tasks only', async () => {
    const src = fakeSource({
      queues: [queueInfo('q1', {retry: 40})],
      tasks: {'q1/retry': Array.from({length: 40}, (_, i) => taskInfo(`t${i}`, 'retry', {queue: 'q1'}))},
    });
    const data = await fetchDash(src, dashQuery(queueState(), SIZES));
    expect(src.calls.map((c) => c.method).sort()).toEqual(['getQueueInfo', 'history', 'listTasks']);
    expect(src.calls.find((c) => c.method === 'listTasks')?.args).toEqual(['q1', 'retry', {page: 2, size: 14}]);
    expect(data).toMatchObject({view: 'queue', groups: null, detail: null});
    expect(data.view === 'queue' && data.tasks?.map((t) => t.id)).toEqual(
      Array.from({length: 14}, (_, i) => `t${14 + i}`),
    );
  });

  it("reads the groups instead of tasks for the picker, and a picked group's page with its name", async () => {
    const src = fakeSource({queues: [queueInfo('q1')], groups: {q1: [{group: 'g', size: 2}]}});
    const picker = await fetchDash(src, dashQuery(queueState({tab: 'aggregating'}), SIZES));
    expect(picker).toMatchObject({tasks: null, groups: [{group: 'g', size: 2}]});
    expect(src.calls.map((c) => c.method)).not.toContain('listTasks');
    src.calls.length = 0;
    await fetchDash(src, dashQuery(queueState({tab: 'aggregating', group: 'g'}), SIZES));
    expect(src.calls.find((c) => c.method === 'listTasks')?.args).toEqual([
      'q1',
      'aggregating',
      {page: 2, size: 14, group: 'g'},
    ]);
    expect(src.calls.map((c) => c.method)).not.toContain('groups');
  });

  it('reads the task of the detail pane, and says when it no longer exists', async () => {
    const src = fakeSource({queues: [queueInfo('q1')], tasks: {'q1/retry': [taskInfo('t1', 'retry', {queue: 'q1'})]}});
    expect(await fetchDash(src, dashQuery(queueState({detail: 't1'}), SIZES))).toMatchObject({detail: {id: 't1'}});
    expect(await fetchDash(src, dashQuery(queueState({detail: 'nope'}), SIZES))).toMatchObject({detail: 'gone'});
  });

  it('fails the refresh when the queue itself is gone', async () => {
    const src = fakeSource({queues: []});
    await expect(fetchDash(src, dashQuery(queueState(), SIZES))).rejects.toBeInstanceOf(QueueNotFoundError);
  });

  it('reads the scheduler entries and the recent enqueues of the selected one', async () => {
    const src = fakeSource({
      queues: [],
      entries: [entry('e1', '@every 5s', 'a'), entry('e2', '* * * * *', 'b')],
      events: {e2: Array.from({length: 9}, (_, i) => ({taskId: `x${i}`, enqueuedAt: new Date(i * 1000)}))},
    });
    const data = await fetchDash(src, {view: 'cron', cursor: 1, events: 5});
    expect(data).toMatchObject({view: 'cron', entryId: 'e2'});
    expect(data.view === 'cron' && data.events).toHaveLength(5);
    expect(src.calls.at(-1)).toEqual({method: 'listSchedulerEnqueueEvents', args: ['e2', {page: 1, size: 5}]});
    expect(await fetchDash(fakeSource({queues: []}), {view: 'cron', cursor: 0, events: 5})).toEqual({
      view: 'cron',
      entries: [],
      entryId: null,
      events: [],
    });
  });
});
