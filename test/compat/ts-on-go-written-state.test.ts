/**
 * Behaviour checklist (docs/behaviour-checklist.md), ⇄ items. There is no Go toolchain here, so
 * the Go peer is replaced by Redis contents a real Go asynq wrote (test/fixtures/compat, HEAD and
 * v0.24.1): they are loaded into a fresh redis-server and the TS side acts on them.
 *   23  a TaskID taken by a Go-written task → ID conflict, Go's task unchanged
 *   27/28  the TS client writes Go's bytes for a task with header options (same fixed ID)
 *   29  Go-enqueued tasks reach a TS handler with identical type, payload and headers
 *   37  a uniqueness lock a Go client holds → duplicate error, nothing written
 *   93/94  a task orphaned by the Go worker (its lease in the dump) is recovered by a TS recoverer
 *   140  Servers() lists a live Go server and a live TS server with their workers
 */
import {describe, expect, it} from 'vitest';
import {RDB} from '../../src/lib/broker/rdb.js';
import {RDBGroups} from '../../src/lib/broker/groups.js';
import {RDBState} from '../../src/lib/broker/state.js';
import {decodeTaskMessage} from '../../src/lib/base/codec.js';
import * as keys from '../../src/lib/base/keys.js';
import {SimulatedClock} from '../../src/lib/clock.js';
import {Client} from '../../src/lib/client.js';
import {DuplicateTaskError, TaskIdConflictError} from '../../src/lib/errors.js';
import {Heartbeater} from '../../src/lib/heartbeater.js';
import {Inspector} from '../../src/lib/inspector.js';
import {Lease} from '../../src/lib/lease.js';
import {Processor} from '../../src/lib/processor.js';
import {Recoverer} from '../../src/lib/recoverer.js';
import {Task} from '../../src/lib/task.js';
import {useRedis} from '../support/redis.js';
import {dumpAll, dumpAllSince} from '../support/dump.js';
import {
  allKeys,
  bytes,
  DUMPS,
  liveMoment,
  loadDump,
  restoreDump,
  stepTask,
  type DumpKey,
  type WireDump,
} from '../support/compat.js';
import {recordingLogger} from '../support/logger.js';
import {readMsg, zsetEntries} from '../support/seed.js';

const r = useRedis();

type GoMsg = {
  type: string;
  payload?: string;
  headers?: Record<string, string>;
  id: string;
  queue: string;
  retry?: number;
  retried?: number;
};

function goKey(d: WireDump, key: string): DumpKey {
  const k = allKeys(d).find((x) => x.key === key);
  if (!k) throw new Error(`no key ${key} in the dump`);
  return k;
}

/** The message of a captured task hash as Go decoded it (the dump's own decoding, not ours). */
const goMsg = (d: WireDump, q: string, id: string): GoMsg =>
  (goKey(d, keys.taskKey(q, id)).decoded as {msg: GoMsg}).msg;

for (const file of DUMPS) {
  describe(`⇄ against Go-written Redis contents (${file})`, () => {
    const dump = loadDump(file);
    const restore = () => restoreDump(r.redis, dump, {ttlFloorMs: 600_000});

    it('checklist 23: a TaskID taken by a Go-written task is an ID conflict; the Go task stays as it was', async () => {
      await restore();
      const taken = stepTask(dump, 'taskid_retention');
      expect(taken.id).toBe('golden-custom-id');
      const before = await dumpAll(r.redis);
      const client = new Client(r.redis);
      const err = await client.enqueue(new Task('ts:other', 'x'), {taskId: taken.id}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TaskIdConflictError);
      expect((err as Error).message).toBe('task ID conflicts with another task');
      expect(await dumpAllSince(r.redis, before)).toEqual(before); // asynq:queues already held "default"
    });

    it('checklist 37: while the Go client holds the uniqueness lock, the same TS task is a duplicate and writes nothing', async () => {
      await restore();
      const holder = stepTask(dump, 'unique');
      const lock = 'asynq:{default}:unique:golden:unique:4878c556bc656228125612763e3fe150';
      expect(await r.redis.get(lock)).toBe(holder.id);
      const before = await dumpAll(r.redis);
      const err = await new Client(r.redis)
        .enqueue(new Task('golden:unique', Buffer.from('{"n":3}')), {unique: '1h'})
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DuplicateTaskError);
      expect(await dumpAllSince(r.redis, before)).toEqual(before);
    });

    it("checklist 29: Go-enqueued pending tasks reach a TS handler with Go's type, payload bytes and headers", async () => {
      // Given: the Go-written pending tasks of queue default, oldest first
      await restore();
      const pending = (await r.redis.lrange(keys.pendingKey('default'), 0, -1)).reverse();
      expect(pending.length).toBeGreaterThanOrEqual(3);
      const seen: Array<{id: string; type: string; payload: string; headers: Record<string, string>}> = [];
      const p = new Processor({
        logger: recordingLogger(),
        rdb: new RDB(r.redis),
        queues: {default: 1},
        concurrency: 1,
        handler: {
          processTask: (t, ctx) =>
            void seen.push({id: ctx.taskId, type: t.type, payload: t.payload.toString('hex'), headers: {...t.headers}}),
        },
      });
      // When
      for (let i = 0; i < pending.length; i++) {
        await p.exec();
        await p.waitForWorkers();
      }
      // Then: what the dump's Go decoding says, in dequeue order
      expect(seen).toEqual(
        pending.map((id) => {
          const m = goMsg(dump, 'default', id);
          return {id, type: m.type, payload: Buffer.from(m.payload ?? '').toString('hex'), headers: m.headers ?? {}};
        }),
      );
      if (dump.asynq_version !== 'v0.24.1') {
        expect(seen.find((s) => s.type === 'golden:headers')!.headers).toEqual({'trace-id': 'abc123', tenant: 'acme'});
      }
      // The Go unique lock is released on success; the Go retention task is kept as completed.
      expect(
        await r.redis.exists(
          'asynq:{default}:unique:golden:unique:4878c556bc656228125612763e3fe150',
          keys.pendingKey('default'),
        ),
      ).toBe(0);
      expect(await r.redis.hget(keys.taskKey('default', 'golden-custom-id'), 'state')).toBe('completed');
    });

    it('checklist 93/94: a task the Go worker left active is recovered by a TS recoverer once its lease is 30 s past', async () => {
      // Given: the Go server's in-flight task and its lease, as a crashed Go worker leaves them
      await restore();
      const active = stepTask(dump, 'active');
      const [[member, leaseS]] = (await zsetEntries(r.redis, keys.leaseKey(active.queue))) as [[string, number]];
      expect(member).toBe(active.id);
      const clock = new SimulatedClock(new Date((leaseS + 29) * 1000));
      const rdb = new RDB(r.redis, {clock});
      const recoverer = new Recoverer({
        logger: recordingLogger(),
        rdb,
        groups: new RDBGroups(rdb),
        queues: [active.queue],
        clock,
        retryDelayFunc: () => 60_000,
      });
      // When: 29 s after the lease nothing happens; at 30 s the task is recovered
      await recoverer.exec();
      expect(await r.redis.hget(keys.taskKey(active.queue, active.id), 'state')).toBe('active');
      clock.advance(1000);
      await recoverer.exec();
      // Then
      const go = goMsg(dump, active.queue, active.id);
      expect(await r.redis.hget(keys.taskKey(active.queue, active.id), 'state')).toBe('retry');
      expect(await zsetEntries(r.redis, keys.retryKey(active.queue))).toEqual([[active.id, leaseS + 30 + 60]]);
      expect(await r.redis.exists(keys.activeKey(active.queue), keys.leaseKey(active.queue))).toBe(0);
      const m = await readMsg(r.redis, active.queue, active.id);
      expect(m).toMatchObject({
        type: go.type,
        id: go.id,
        retry: go.retry,
        retried: (go.retried ?? 0) + 1,
        errorMsg: 'asynq: task lease expired',
        lastFailedAt: leaseS + 30,
      });
      expect(m.payload.toString()).toBe(go.payload);
    });

    it('checklist 140: Servers() lists the live Go server and a live TS server, each with its active workers', async () => {
      // Given: the Go server of the dump (live at that moment) and a TS heartbeater working on one task
      await restore();
      const now = liveMoment(dump);
      const clock = new SimulatedClock(now);
      const rdb = new RDB(r.redis, {clock});
      const tsTask = {
        ...decodeTaskMessage(
          bytes(
            (goKey(dump, keys.taskKey('default', stepTask(dump, 'pending').id)).value as Record<string, unknown>).msg,
          ),
        ),
        id: 'ts-task',
      };
      const hb = new Heartbeater({
        logger: recordingLogger(),
        state: new RDBState(rdb),
        rdb,
        host: 'ts-host',
        pid: 77,
        serverId: 'ts-server',
        concurrency: 3,
        queues: {default: 1},
        strictPriority: false,
        status: () => 'active',
        clock,
        workers: () => [
          {
            msg: tsTask,
            startedAt: now,
            deadline: new Date(now.getTime() + 1_800_000),
            lease: new Lease(new Date(now.getTime() + 30_000), clock),
          },
        ],
      });
      await hb.exec();
      const insp = new Inspector(r.redis, {clock});
      try {
        // When
        const servers = await insp.servers();
        // Then
        const goActive = stepTask(dump, 'active');
        const goMember = (goKey(dump, keys.allServers).value as Array<{member: string}>)[0]!.member;
        const goInfo = goKey(dump, goMember).decoded as {host: string; server_id: string; pid: number};
        expect(servers.map((s) => s.id).sort()).toEqual([goInfo.server_id, 'ts-server'].sort());
        const summary = (id: string) => {
          const s = servers.find((x) => x.id === id)!;
          return {
            host: s.host,
            pid: s.pid,
            status: s.status,
            queues: s.queues,
            workers: s.activeWorkers.map((w) => [w.taskId, w.queue]),
          };
        };
        expect(summary('ts-server')).toEqual({
          host: 'ts-host',
          pid: 77,
          status: 'active',
          queues: {default: 1},
          workers: [['ts-task', 'default']],
        });
        expect(summary(goInfo.server_id)).toEqual({
          host: goInfo.host,
          pid: goInfo.pid,
          status: 'active',
          queues: {golden_active: 1},
          workers: [[goActive.id, 'golden_active']],
        });
      } finally {
        await insp.close();
      }
    });
  });
}

describe("⇄ checklist 27/28: the TS client writes Go's bytes for a task with header options", () => {
  it('produces the message Go wrote for the same task, ID and headers (header entries in any order)', async () => {
    // Given: the Go HEAD capture of NewTask("golden:headers", {"n":11}) + Header("trace-id", …) + Header("tenant", …)
    const dump = loadDump('go-head-wire-dump.json');
    const go = stepTask(dump, 'headers');
    const goBytes = bytes((goKey(dump, keys.taskKey('default', go.id)).value as Record<string, unknown>).msg);
    // When: the same task through the TS client, the headers split between task and options
    const info = await new Client(r.redis).enqueue(
      new Task('golden:headers', Buffer.from('{"n":11}'), {headers: {'trace-id': 'overridden'}}),
      {taskId: go.id, headers: {'trace-id': 'abc123', tenant: 'acme'}},
    );
    const ours = (await r.redis.hgetBuffer(keys.taskKey('default', info.id), 'msg'))!;
    // Then: same length; everything before the header map (field 15, written last) byte-identical;
    // the two map entries the same, in whichever order Go's map iteration chose.
    const entry = (k: string, v: string): Buffer =>
      Buffer.concat([
        Buffer.from([0x7a, 4 + k.length + v.length, 0x0a, k.length]),
        Buffer.from(k),
        Buffer.from([0x12, v.length]),
        Buffer.from(v),
      ]);
    const entries = [entry('trace-id', 'abc123'), entry('tenant', 'acme')];
    const mapLen = entries[0]!.length + entries[1]!.length;
    expect(ours.length).toBe(goBytes.length);
    expect(ours.subarray(0, ours.length - mapLen).toString('hex')).toBe(
      goBytes.subarray(0, goBytes.length - mapLen).toString('hex'),
    );
    for (const b of [ours, goBytes]) {
      const tail = b.subarray(b.length - mapLen).toString('hex');
      expect([
        entries[0]!.toString('hex') + entries[1]!.toString('hex'),
        entries[1]!.toString('hex') + entries[0]!.toString('hex'),
      ]).toContain(tail);
    }
  });
});
