/**
 * RDB.finishAndDequeue (finishAndDequeue-9.lua): finishing a task and claiming the next of its
 * queue in one call must leave exactly what the separate scripts leave: done / doneUnique /
 * markAsComplete / markAsCompleteUnique (Go's doneCmd, markAsCompleteCmd), then dequeue-4.lua of
 * the same queue; a failed finish dequeues nothing.
 */
import {describe, expect, it} from 'vitest';
import * as keys from '../../../src/lib/base/keys.js';
import type {TaskMessage} from '../../../src/lib/base/codec.js';
import type {RDB} from '../../../src/lib/broker/rdb.js';
import {InternalError, TaskNotFoundError} from '../../../src/lib/errors.js';
import {dumpAll} from '../../support/dump.js';
import {useRedis} from '../../support/redis.js';
import {makeMsg, newRdb} from '../../support/seed.js';

const r = useRedis();

interface Case {
  name: string;
  /** The task to finish (it is enqueued first, then dequeued, unless `leased` is false). */
  msg: TaskMessage;
  /** Tasks enqueued behind it. */
  behind: number;
  paused?: boolean;
  leased?: boolean;
  /** Arranges a failure after the dequeue. */
  spoil?: (rdb: RDB, msg: TaskMessage) => Promise<unknown>;
}

const uniq = (id: string, over: Partial<TaskMessage> = {}): TaskMessage =>
  makeMsg(id, {uniqueKey: `asynq:{default}:unique:task:${id}:x`, uniqueKeyDeadline: 0, ...over});

const CASES: Case[] = [
  {name: 'done, a task behind', msg: makeMsg('t1'), behind: 2},
  {name: 'doneUnique, a task behind', msg: uniq('t1'), behind: 1},
  {name: 'markAsComplete, a task behind', msg: makeMsg('t1', {retention: 3600}), behind: 1},
  {name: 'markAsCompleteUnique, queue empty', msg: uniq('t1', {retention: 60}), behind: 0},
  {name: 'done, queue empty', msg: makeMsg('t1'), behind: 0},
  {name: 'done, queue paused', msg: makeMsg('t1'), behind: 2, paused: true},
  {name: 'done, task not active (NOT FOUND)', msg: makeMsg('t1'), behind: 1, leased: false},
  {name: 'done, task hash gone (NOT FOUND after removal from active)', msg: makeMsg('t1'), behind: 1,
    spoil: (rdb) => rdb.client.del(keys.taskKey('default', 't1'))},
  {name: 'markAsComplete, already in completed (INTERNAL)', msg: makeMsg('t1', {retention: 60}), behind: 1,
    spoil: (rdb) => rdb.client.zadd(keys.completedKey('default'), 1, 't1')},
];

async function arrange(c: Case): Promise<RDB> {
  const {rdb} = newRdb(r.redis);
  if (c.msg.uniqueKey) await rdb.enqueueUnique(c.msg, 300);
  else await rdb.enqueue(c.msg);
  for (let i = 0; i < c.behind; i++) await rdb.enqueue(makeMsg(`next${i}`));
  if (c.leased !== false) await rdb.dequeue(['default']);
  if (c.paused) await r.redis.set(keys.pausedKey('default'), '1');
  await c.spoil?.(rdb, c.msg);
  return rdb;
}

/** The result or the error class of a call. */
async function outcome(p: Promise<{msg: TaskMessage} | null | void>): Promise<string> {
  try {
    const res = await p;
    return res ? `task ${res.msg.id}` : 'none';
  } catch (err) {
    return (err as Error).constructor.name;
  }
}

describe('RDB.finishAndDequeue', () => {
  it.each(CASES)('$name: the state of the separate scripts', async (c) => {
    const fused = await outcome((await arrange(c)).finishAndDequeue(c.msg, 60_000));
    const afterFused = await dumpAll(r.redis);

    await r.redis.flushall();
    const rdb = await arrange(c);
    let separate = await outcome(c.msg.retention > 0 ? rdb.markAsComplete(c.msg) : rdb.done(c.msg));
    if (separate === 'none') separate = await outcome(rdb.dequeue(['default'], 60_000));
    expect(fused).toBe(separate);
    expect(afterFused).toEqual(await dumpAll(r.redis));
    if (c.leased === false || c.spoil) expect([TaskNotFoundError.name, InternalError.name]).toContain(fused);
    else expect(fused).toBe(c.behind > 0 && !c.paused ? 'task next0' : 'none');
  });
});
