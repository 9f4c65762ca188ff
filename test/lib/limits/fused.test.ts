/**
 * Limits decided inside the claim (LimitGate.claimPlan, finishAndClaim-9.lua), on a real Redis:
 * a Server whose limit never binds sends no limitAcquire call for the tasks it claims in batches
 * (Redis' slow log records every command, its script's SHA1 included), processes each task once
 * and leaves no token; the gate hands the finished tasks' tokens to the claim, records the started
 * tasks' tokens and leaves a queue out after a whole-queue limit refused in the claim; plans
 * for type limits only once a task of the queue matched one; without
 * fusion (Redis Cluster) it gives the tokens back at once.
 */
import {createHash} from 'node:crypto';
import {describe, expect, it} from 'vitest';
import {RDBLimits} from '../../../src/lib/broker/limits.js';
import {RDB} from '../../../src/lib/broker/rdb.js';
import {Client} from '../../../src/lib/client.js';
import {LimitGate} from '../../../src/lib/limits/gate.js';
import {normalizeLimits, type LimitSpec} from '../../../src/lib/limits/spec.js';
import {silentLogger} from '../../../src/lib/logger.js';
import {scripts} from '../../../src/lib/scripts/index.js';
import {Server} from '../../../src/lib/server.js';
import {Task} from '../../../src/lib/task.js';
import {useRedis} from '../../support/redis.js';
import {makeMsg} from '../../support/seed.js';
import {waitFor} from '../../support/wait.js';

const r = useRedis();
const sha = (name: keyof typeof scripts): string => createHash('sha1').update(scripts[name].lua).digest('hex');

function gateOf(specs: LimitSpec[], fuseClaims: boolean): {gate: LimitGate; freed: () => number} {
  let freed = 0;
  const gate = new LimitGate({
    limits: normalizeLimits(specs), rdb: new RDBLimits(new RDB(r.redis)), logger: silentLogger, onFree: () => freed++, graceMs: 6_000,
    server: {host: 'h', pid: 1, serverId: 's'}, publishIntervalMs: 5_000, fuseClaims,
  });
  return {gate, freed: () => freed};
}

describe('limits decided inside the claim', () => {
  it('a Server under a limit that never binds claims and decides its tasks in one call: no limitAcquire call, each task once, no token left', async () => {
    const N = 300;
    const client = new Client(r.redis);
    await client.enqueueMany(Array.from({length: N}, (_, i) => new Task('job:x', {i})), {queue: 'default'});
    await r.redis.config('SET', 'slowlog-log-slower-than', '0');
    await r.redis.config('SET', 'slowlog-max-len', '100000');
    await r.redis.slowlog('RESET');
    const seen = new Map<string, number>();
    const server = new Server(r.server.url, {
      logger: silentLogger, concurrency: 10, queues: {default: 1}, limits: [{match: {type: 'job:*'}, concurrency: 1_000, rate: {count: 1_000_000, per: '1s'}}],
    });
    await server.start(async (_task, ctx) => {
      seen.set(ctx.taskId, (seen.get(ctx.taskId) ?? 0) + 1);
    });
    try {
      await waitFor(async () => (await r.redis.get('asynq:{default}:processed')) === String(N), 'every task processed', 30_000);
    } finally {
      await server.shutdown();
      await client.close();
    }
    const log = (await r.redis.slowlog('GET', 100_000)) as Array<[number, number, number, string[]]>;
    const calls = (name: keyof typeof scripts): number => log.filter((e) => e[3][0]?.toLowerCase() === 'evalsha' && e[3][1] === sha(name)).length;
    expect(calls('finishAndClaim')).toBeGreaterThan(0);
    // Only the first claim, before any task of the queue was seen under the type limit, goes
    // through a separate decision (admit); every claim after it decides in the script.
    expect(calls('limitAcquire')).toBeLessThanOrEqual(2);
    expect(seen.size).toBe(N);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(await r.redis.exists('asynq:sema:type:job:*')).toBe(0);
    expect(Number(await r.redis.hget('asynq:limit:{asynq:sema:type:job:*}:rate', 'n')) + Number(await r.redis.hget('asynq:limit:{asynq:sema:type:job:*}:rate', 'pn'))).toBeGreaterThan(0);
  }, 60_000);

  it("the gate gives the finished tasks' tokens to the claim and holds the started tasks' tokens", async () => {
    const {gate} = gateOf([{match: {queue: 'default'}, concurrency: 2}], true);
    const a = makeMsg('a');
    expect(await gate.admit(a, new Date(Date.now() + 60_000))).toBe(true);
    expect(await r.redis.zrange('asynq:sema:queue:default', 0, -1)).toEqual(['a']);
    const plan = gate.claimPlan('default', [a])!;
    expect(plan.limits.map((l) => [l.limit.scope, l.luaPattern, l.release])).toEqual([['queue:default', '', ['a']]]);
    // Handed to the claim: the gate no longer holds it and does not ZREM it itself.
    gate.release(a);
    await new Promise((res) => setTimeout(res, 20));
    expect(await r.redis.zrange('asynq:sema:queue:default', 0, -1)).toEqual(['a']);
    // A started task's token is held: release gives it back.
    plan.settle({started: [{id: 'b', type: 'x'}], refused: [], dropped: [], failed: []});
    await r.redis.zadd('asynq:sema:queue:default', Math.floor(Date.now() / 1000) + 60, 'b');
    gate.release(makeMsg('b'));
    await waitFor(async () => (await r.redis.zrange('asynq:sema:queue:default', 0, -1)).join() === 'a', 'b given back');
    // No limit applies to another queue: no plan.
    expect(gate.claimPlan('other', [])).toBeUndefined();
  });

  it('a refusal by a whole-queue limit in the claim leaves the queue out; a failed call gives the tokens back', async () => {
    const {gate} = gateOf([{match: {queue: 'default'}, concurrency: 1}], true);
    const plan = gate.claimPlan('default', [])!;
    plan.settle({started: [], refused: [{id: 'x', index: 0, delayMs: 50, kind: 'concurrency'}], dropped: [], failed: []});
    expect([...(gate.excluded() ?? [])]).toEqual(['default']);
    await gate.shutdown();

    const second = gateOf([{match: {queue: 'default'}, concurrency: 2}], true).gate;
    const a = makeMsg('a');
    expect(await second.admit(a, new Date(Date.now() + 60_000))).toBe(true);
    second.claimPlan('default', [a])!.settle({error: new Error('connection closed')});
    await waitFor(async () => (await r.redis.exists('asynq:sema:queue:default')) === 0, 'the token given back');
  });

  it('type limits only: a queue gets plans once a task of it matched, and loses them after 100 claims without one', async () => {
    const {gate} = gateOf([{match: {type: 'email:*'}, rate: {count: 1_000, per: '1s'}}], true);
    expect(gate.claimPlan('default', [])).toBeUndefined();
    expect(await gate.admit(makeMsg('m1', {type: 'email:x'}), new Date(Date.now() + 60_000))).toBe(true);
    for (let i = 0; i < 99; i++) gate.claimPlan('default', [])!.settle({started: [{id: `o${i}`, type: 'other'}], refused: [], dropped: [], failed: []});
    // A limited task resets the count.
    gate.claimPlan('default', [])!.settle({started: [{id: 'm2', type: 'email:y'}], refused: [], dropped: [], failed: []});
    for (let i = 0; i < 100; i++) gate.claimPlan('default', [])!.settle({started: [], refused: [], dropped: [], failed: []});
    expect(gate.claimPlan('default', [])).toBeUndefined();
  });

  it('without fusion (Redis Cluster) there is no plan and the tokens go back at once', async () => {
    const {gate} = gateOf([{match: {queue: 'default'}, concurrency: 2}], false);
    const a = makeMsg('a');
    expect(await gate.admit(a, new Date(Date.now() + 60_000))).toBe(true);
    expect(gate.claimPlan('default', [a])).toBeUndefined();
    await waitFor(async () => (await r.redis.exists('asynq:sema:queue:default')) === 0, 'the token given back');
  });
});
