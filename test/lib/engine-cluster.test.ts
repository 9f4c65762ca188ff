/**
 * The engine on a real Redis Cluster (test/support/redis-cluster.ts: 3 masters, one replica
 * each): Client, Server and Inspector connected with a RedisClusterClientOpt, as an application
 * would, working on six queues whose hash slots live two by two on the three masters.
 *
 * Covered: enqueue into every queue, processing, a failed attempt retried, scheduled tasks
 * forwarded, unique tasks, group aggregation (groupAggregator), the Inspector (queues,
 * getQueueInfo, listings, runTask, deleteTask, pause/unpause, clusterKeySlot/clusterNodes),
 * `asynq queue ls --cluster --cluster-addrs …`, and Client waitForReplicas (WAIT goes to the
 * node of the queue's slot). Redis state is read back from the master that owns each queue's
 * slot (a direct connection), so the spread over the masters is real.
 */
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {Redis} from 'ioredis';
import * as keys from '../../src/lib/base/keys.js';
import {Client} from '../../src/lib/client.js';
import {DuplicateTaskError} from '../../src/lib/errors.js';
import {Inspector} from '../../src/lib/inspector.js';
import type {RedisClusterClientOpt} from '../../src/lib/redis.js';
import {Server} from '../../src/lib/server.js';
import {ServeMux} from '../../src/lib/servemux.js';
import {Task} from '../../src/lib/task.js';
import type {QueueListResult} from '../../src/commands/queue/list.js';
import {runCliInProcess} from '../support/cli.js';
import {useRedisCluster} from '../support/redis-cluster.js';
import {recordingLogger} from '../support/logger.js';
import {waitFor} from '../support/wait.js';

const fx = useRedisCluster({masters: 3, replicasPerMaster: 1, flushEach: false});

const CANDIDATES = ['critical', 'default', 'low', 'emails', 'reports', 'images', 'webhooks', 'billing', 'search', 'exports',
  'thumbnails', 'invoices', 'alerts', 'imports', 'digests', 'audit'];
/** Six queues, two on each master. */
let QUEUES: string[];
/** Port of the master that serves each queue's slot, and a direct connection to it. */
const portOf = new Map<string, number>();
const on = new Map<string, Redis>();
let conn: RedisClusterClientOpt;
let seeds: string;

beforeAll(async () => {
  const perMaster = new Map<number, string[]>();
  for (const q of CANDIDATES) {
    const m = await fx.cluster.masterOf(keys.pendingKey(q));
    const list = perMaster.get(m.port) ?? [];
    if (list.length < 2) {
      list.push(q);
      portOf.set(q, m.port);
      on.set(q, m.client());
    }
    perMaster.set(m.port, list);
  }
  QUEUES = [...perMaster.values()].flat();
  if (perMaster.size !== 3 || QUEUES.length !== 6) throw new Error(`candidates do not cover 3 masters twice: ${JSON.stringify([...perMaster])}`);
  seeds = fx.cluster.addrs.slice(0, 3).map((a) => `${a.host}:${a.port}`).join(',');
  conn = {addrs: seeds.split(',')};
});

const opened: Array<{close(): Promise<void>} | {shutdown(): Promise<void>}> = [];
afterAll(async () => {
  for (const c of opened) await ('shutdown' in c ? c.shutdown() : c.close());
});
function track<T extends {close(): Promise<void>} | {shutdown(): Promise<void>}>(c: T): T {
  opened.push(c);
  return c;
}

const node = (q: string): Redis => on.get(q)!;

/** Every key of the cluster that mentions the queue, and the port of the master holding it. */
async function whereKeysLive(q: string): Promise<Set<number>> {
  const ports = new Set<number>();
  for (const n of fx.cluster.nodes) {
    const [role] = (await n.client().call('ROLE')) as [string];
    if (role === 'master' && (await n.client().keys(`asynq:{${q}}:*`)).length > 0) ports.add(n.port);
  }
  return ports;
}

describe('Client, Server and Inspector on a 3-master Redis Cluster', () => {
  it('processes tasks of queues on every master: plain, retried, scheduled, unique, aggregated', async () => {
    const client = track(new Client(conn));
    const done = new Map<string, string[]>(); // type → "queue/id" (or payload for aggregates)
    const record = (type: string, what: string): void => void done.set(type, [...(done.get(type) ?? []), what]);
    const duplicateChecked = new Set<string>();
    const mux = new ServeMux()
      .handleFunc('work', (_t, ctx) => record('work', `${ctx.queue}/${ctx.taskId}`))
      .handleFunc('flaky', (_t, ctx) => {
        if (ctx.retryCount === 0) throw new Error('first attempt fails');
        record('flaky', `${ctx.queue}/${ctx.taskId}`);
      })
      .handleFunc('later', (_t, ctx) => record('later', `${ctx.queue}/${ctx.taskId}`))
      // Held until the duplicate was refused: an idle server picks a task up at once (wake notification).
      .handleFunc('uniq', async (_t, ctx) => {
        await waitFor(() => duplicateChecked.has(ctx.queue), 'the duplicate enqueue');
        record('uniq', `${ctx.queue}/${ctx.taskId}`);
      })
      .handleFunc('batch', (t, ctx) => record('batch', `${ctx.queue}/${t.payload.toString()}`));
    const server = track(new Server(conn, {
      concurrency: 6, queues: Object.fromEntries(QUEUES.map((q) => [q, 1])), logger: recordingLogger(), logLevel: 'warn',
      delayedTaskCheckInterval: 50, retryDelayFunc: () => 0, groupGracePeriod: '1s', groupMaxSize: 3,
      groupAggregator: (group, tasks) => new Task('batch', `${group}:${tasks.map((t) => t.payload.toString()).sort().join('+')}`),
    }));
    await server.start(mux);
    try {
      const expected: Record<string, string[]> = {work: [], flaky: [], later: [], uniq: [], batch: []};
      for (const q of QUEUES) {
        for (let i = 0; i < 3; i++) {
          await client.enqueue(new Task('work', null, {taskId: `w${i}`, queue: q}));
          expected.work!.push(`${q}/w${i}`);
        }
        await client.enqueue(new Task('flaky', null, {taskId: 'f', queue: q, maxRetry: 1}));
        expected.flaky!.push(`${q}/f`);
        await client.enqueue(new Task('later', null, {taskId: 'l', queue: q, processIn: '1s'}));
        expected.later!.push(`${q}/l`);
        await client.enqueue(new Task('uniq', 'same', {taskId: 'u', queue: q, unique: '1h'}));
        await expect(client.enqueue(new Task('uniq', 'same', {taskId: 'u2', queue: q, unique: '1h'}))).rejects.toBeInstanceOf(DuplicateTaskError);
        duplicateChecked.add(q);
        expected.uniq!.push(`${q}/u`);
        for (const part of ['a', 'b', 'c']) await client.enqueue(new Task('part', part, {queue: q, group: 'g'}));
        expected.batch!.push(`${q}/g:a+b+c`);
      }
      await waitFor(() => Object.entries(expected).every(([type, want]) => (done.get(type) ?? []).length >= want.length),
        'every task processed', 10_000);
      for (const [type, want] of Object.entries(expected)) expect([type, [...done.get(type)!].sort()]).toEqual([type, [...want].sort()]);

      const insp = track(new Inspector(conn));
      for (const q of QUEUES) {
        // Counters on the master of the queue's slot, and nothing of the queue on another master.
        const info = await insp.getQueueInfo(q);
        expect({q, ...info}).toMatchObject({
          q, pending: 0, active: 0, scheduled: 0, retry: 0, aggregating: 0, groups: 0,
          processedTotal: 3 + 2 + 1 + 1 + 1, failedTotal: 1, paused: false,
        });
        expect(await node(q).get(keys.processedTotalKey(q))).toBe('8');
        expect([...await whereKeysLive(q)]).toEqual([portOf.get(q)]);
      }
      expect((await insp.queues()).sort()).toEqual([...QUEUES].sort());
    } finally {
      await server.shutdown();
    }
  });

  it('Inspector: listings, runTask, deleteTask and pause/unpause per queue; key slot and nodes', async () => {
    const [qa, qb] = [QUEUES[0]!, QUEUES[2]!]; // two different masters
    const client = track(new Client(conn));
    const insp = track(new Inspector(conn));
    for (const id of ['s1', 's2', 's3']) await client.enqueue(new Task('work', null, {taskId: id, queue: qa, processIn: '1h'}));
    expect((await insp.listScheduledTasks(qa)).map((t) => t.id).sort()).toEqual(['s1', 's2', 's3']);
    await insp.runTask(qa, 's1');
    await insp.deleteTask(qa, 's2');
    expect((await insp.listTasks(qa, 'pending')).map((t) => t.id)).toEqual(['s1']);
    expect((await insp.listScheduledTasks(qa)).map((t) => t.id)).toEqual(['s3']);
    expect(await node(qa).exists(keys.taskKey(qa, 's2'))).toBe(0);

    await insp.pauseQueue(qb);
    await client.enqueue(new Task('work', null, {taskId: 'held', queue: qb}));
    const seen: string[] = [];
    const server = track(new Server(conn, {concurrency: 2, queues: {[qa]: 1, [qb]: 1}, logger: recordingLogger(), logLevel: 'warn'}));
    await server.start((_t, ctx) => void seen.push(`${ctx.queue}/${ctx.taskId}`));
    try {
      await waitFor(() => seen.includes(`${qa}/s1`), 's1 processed');
      expect((await insp.getQueueInfo(qb))).toMatchObject({paused: true, pending: 1});
      expect(await node(qb).exists(keys.pausedKey(qb))).toBe(1);
      expect(seen).toEqual([`${qa}/s1`]);
      await insp.unpauseQueue(qb);
      await waitFor(() => seen.includes(`${qb}/held`), 'held task processed after unpause');
    } finally {
      await server.shutdown();
    }

    for (const q of [qa, qb]) {
      expect(await insp.clusterKeySlot(q)).toBe(await fx.cluster.keySlot(keys.pendingKey(q)));
      const master = portOf.get(q)!;
      const replicaOfMaster = await Promise.all(fx.cluster.nodes.map(async (n) =>
        /master_port:(\d+)/.exec(await n.client().info('replication'))?.[1] === String(master) ? n.port : null));
      const ports = async (): Promise<number[]> => (await insp.clusterNodes(q)).map((n) => Number(n.addr.split(':')[1]));
      // Master first, then its replica (CLUSTER SLOTS leaves out a replica another node briefly
      // suspects of failing, which happens on a loaded machine: wait for the full answer).
      const full = await waitFor(async () => { const p = await ports(); return p.length === 2 ? p : null; },
        'master and replica in CLUSTER SLOTS', 15_000);
      expect(full).toEqual([master, ...replicaOfMaster.filter((p): p is number => p !== null)]);
    }
  });

  it('asynq queue ls --cluster --cluster-addrs shows each queue\'s slot and nodes', async () => {
    const insp = track(new Inspector(conn));
    const r = await runCliInProcess<QueueListResult>(['queue', 'ls', '--cluster', '--cluster-addrs', seeds, '--json']);
    expect(r.code).toBe(0);
    const doc = r.result!;
    expect(doc.map((d) => d.queue)).toEqual([...await insp.queues()].sort());
    const known = new Set(fx.cluster.addrs.map((a) => `${a.host}:${a.port}`));
    for (const d of doc) {
      expect(d.clusterKeySlot).toBe(await fx.cluster.keySlot(keys.pendingKey(d.queue)));
      // The master of the slot first (then its replica, unless a node briefly suspects it).
      expect(d.clusterNodes![0]!.addr).toBe(`127.0.0.1:${(await fx.cluster.masterOf(keys.pendingKey(d.queue))).port}`);
      expect(d.clusterNodes!.every((n) => known.has(n.addr) && /^[0-9a-f]{40}$/.test(n.id))).toBe(true);
    }
    const table = await runCliInProcess(['queue', 'ls', '--cluster', '--cluster-addrs', seeds]);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Queue +Cluster KeySlot +Cluster Nodes$/);
    expect(lines).toHaveLength(doc.length + 2);
    for (const d of doc) {
      const master = d.clusterNodes![0]!.addr.replace(/\./g, '\\.');
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${d.queue} +${d.clusterKeySlot} +${master}( 127\\.0\\.0\\.1:\\d+)*$`)));
    }
  });

  it('waitForReplicas: WAIT runs on the master of the queue\'s slot, right after the write', async () => {
    const client = track(new Client(conn, {waitForReplicas: {replicas: 1, timeout: '2s'}}));
    const q = QUEUES.find((x) => portOf.get(x) !== undefined)!;
    await client.enqueue(new Task('work', null, {taskId: 'first', queue: q})); // registers the queue (asynq:queues' node WAITs too)
    const masters = fx.cluster.nodes.filter((n) => [...portOf.values()].includes(n.port));
    const waits = async (): Promise<number[]> => Promise.all(masters.map(async (n) =>
      Number(/^cmdstat_wait:calls=(\d+)/m.exec(await n.client().info('commandstats'))?.[1] ?? 0)));
    const before = await waits();
    await client.enqueue(new Task('work', null, {taskId: 'second', queue: q}));
    await client.enqueueMany([new Task('work', null, {taskId: 'b1', queue: q}), new Task('work', null, {taskId: 'b2', queue: q})]);
    const after = await waits();
    expect(after.map((n, i) => n - before[i]!)).toEqual(masters.map((n) => (n.port === portOf.get(q) ? 2 : 0)));
    expect((await node(q).lrange(keys.pendingKey(q), 0, -1)).reverse()).toEqual(['first', 'second', 'b1', 'b2']);
  });
});
