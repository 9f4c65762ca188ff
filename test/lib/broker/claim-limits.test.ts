/**
 * finishAndClaim-9.lua with a ClaimPlan (limits decided inside the claim, outside Redis Cluster), on
 * a real Redis with exact contents: tokens scored by each task's deadline (Go x/rate layout), the
 * finished tasks' tokens given back before the claim, a refused task left exactly as a claim
 * followed by limitDefer-5.lua leaves it, a type limit's refusal letting the other types through,
 * a whole-queue limit's refusal ending the claim, a task refused in the call not claimed twice, and
 * messages the script cannot read (messageType, messageFields) or the caller cannot decode.
 */
import protobuf from 'protobufjs';
import {describe, expect, it} from 'vitest';
import {encodeTaskMessage, type TaskMessage} from '../../../src/lib/base/codec.js';
import {RDBLimits, type ClaimDecisions, type ClaimPlan} from '../../../src/lib/broker/limits.js';
import {luaTypePattern, normalizeLimits, typeMatcher, type Limit, type LimitSpec} from '../../../src/lib/limits/spec.js';
import * as keys from '../../../src/lib/base/keys.js';
import {scripts} from '../../../src/lib/scripts/index.js';
import {dumpAll} from '../../support/dump.js';
import {useRedis} from '../../support/redis.js';
import {T0, T0_NS, T0_S, makeMsg, newRdb, seedActive, seedPending} from '../../support/seed.js';

const r = useRedis();
const GRACE = 6_000;

/** A plan over these limits (in order), giving back `release[i]`'s tokens of limit i; records what it is settled with. */
function planOf(specs: LimitSpec[], release: string[][] = []): {plan: ClaimPlan; limits: Limit[]; settled: Array<ClaimDecisions | {error: unknown}>} {
  const limits = normalizeLimits(specs);
  const settled: Array<ClaimDecisions | {error: unknown}> = [];
  const plan: ClaimPlan = {
    limits: limits.map((limit, i) => ({limit, luaPattern: luaTypePattern(limit.match.type), backoffMs: 50, graceMs: GRACE, release: release[i] ?? []})),
    settle: (res) => settled.push(res),
  };
  return {plan, limits, settled};
}

const sema = (scope: string): Promise<string[]> => r.redis.zrange(`asynq:sema:${scope}`, 0, -1, 'WITHSCORES');

describe('finishAndClaim-9.lua with limits', () => {
  it('starts tasks under every limit their type matches: a token scored by the deadline, a rate start, nothing else touched', async () => {
    const a = makeMsg('a', {type: 'email:welcome', timeout: 60});
    const b = makeMsg('b', {type: 'email:bye', timeout: 0, deadline: T0_S + 500});
    const c = makeMsg('c', {type: 'email:x', timeout: 0, deadline: 0});
    const d = makeMsg('d', {type: 'email:y', timeout: 900, deadline: T0_S + 300});
    const e = makeMsg('e', {type: 'report'});
    await seedPending(r.redis, [a, b, c, d, e].map((msg) => ({msg})), {now: T0});
    const {rdb} = newRdb(r.redis);
    const {plan, settled} = planOf([
      {match: {type: 'email:*'}, concurrency: 10, rate: {count: 100, per: '1s'}},
      {match: {queue: 'default'}, concurrency: 10},
    ]);
    const res = await rdb.finishAndClaim('default', [], 5, 30_000, () => {}, plan);
    expect(res.claimed.map((x) => [x.msg.id, x.admitted])).toEqual([['a', true], ['b', true], ['c', true], ['d', true], ['e', true]]);
    // computeDeadline in unix seconds: timeout; deadline; neither (30 min); the earlier of both.
    expect(await sema('type:email:*')).toEqual(['a', String(T0_S + 60), 'd', String(T0_S + 300), 'b', String(T0_S + 500), 'c', String(T0_S + 1800)]);
    expect((await sema('queue:default')).filter((_, i) => i % 2 === 0).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(await r.redis.hget('asynq:limit:{asynq:sema:type:email:*}:rate', 'n')).toBe('4');
    expect(await r.redis.exists('asynq:limit:{asynq:sema:type:email:*}:waiting', 'asynq:limit:{asynq:sema:queue:default}:rate')).toBe(0);
    expect(settled).toEqual([{started: ['a', 'b', 'c', 'd', 'e'].map((id) => ({id, type: id === 'e' ? 'report' : expect.any(String)})), refused: [], dropped: [], failed: []}]);
  });

  it("gives the finished tasks' tokens back before the claim: a cap of 1 passes from the finished task to the next", async () => {
    const {rdb} = newRdb(r.redis);
    const x = makeMsg('x', {type: 'job'});
    const y = makeMsg('y', {type: 'job'});
    await seedPending(r.redis, [{msg: x}, {msg: y}], {now: T0});
    const first = planOf([{match: {type: 'job'}, concurrency: 1}]);
    expect((await rdb.finishAndClaim('default', [], 2, 30_000, () => {}, first.plan)).claimed.map((t) => t.msg.id)).toEqual(['x']);
    // y was refused (the cap is full) and went to the back of pending.
    expect(first.settled[0]).toMatchObject({refused: [{id: 'y', index: 0, delayMs: 50, kind: 'concurrency'}]});
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['y']);
    const second = planOf([{match: {type: 'job'}, concurrency: 1}], [['x']]);
    const res = await rdb.finishAndClaim('default', [x], 1, 30_000, () => {}, second.plan);
    expect(res.errors).toEqual([null]);
    expect(res.claimed.map((t) => t.msg.id)).toEqual(['y']);
    expect(await sema('type:job')).toEqual(['y', String(T0_S + 1800)]);
    // y started: no longer recorded as waiting.
    expect(await r.redis.exists('asynq:limit:{asynq:sema:type:job}:waiting')).toBe(0);
  });

  it('a refused task ends exactly as a claim followed by limitDefer-5.lua leaves it (Redis dumps compared)', async () => {
    const msgs = [makeMsg('p1', {type: 'email:a'}), makeMsg('p2', {type: 'other'})];
    const run = async (fused: boolean): Promise<unknown> => {
      await r.redis.flushall();
      await seedPending(r.redis, msgs.map((msg) => ({msg})), {now: T0});
      // The cap is full: another worker holds its one token.
      await r.redis.zadd('asynq:sema:type:email:*', T0_S + 600, 'held');
      const {rdb} = newRdb(r.redis);
      if (fused) {
        const {plan} = planOf([{match: {type: 'email:*'}, concurrency: 1}]);
        const res = await rdb.finishAndClaim('default', [], 2, 30_000, () => {}, plan);
        expect(res.claimed.map((t) => t.msg.id)).toEqual(['p2']);
      } else {
        const res = await rdb.finishAndClaim('default', [], 1, 30_000);
        await new RDBLimits(rdb).defer(res.claimed[0]!.msg);
        await rdb.finishAndClaim('default', [], 1, 30_000);
      }
      // The waiting set is asynq-ts' own record (limitAcquire-3.lua writes it in the separate path).
      await r.redis.del('asynq:limit:{asynq:sema:type:email:*}:waiting');
      return dumpAll(r.redis);
    };
    const separate = await run(false);
    expect(await run(true)).toEqual(separate);
    const pending = (separate as Array<{key: string; value: unknown}>).find((k) => k.key === 'asynq:{default}:pending')!.value as Buffer[];
    expect(pending.map(String)).toEqual(['p1']);
    expect(await r.redis.hget('asynq:{default}:t:p1', 'pending_since')).toBe(T0_NS);
  });

  it('a type limit lets the other types through; a whole-queue limit ends the claim at its refusal', async () => {
    const {rdb} = newRdb(r.redis);
    const ids = ['e1', 'o1', 'e2', 'o2'];
    await seedPending(r.redis, ids.map((id) => ({msg: makeMsg(id, {type: id.startsWith('e') ? 'email:x' : 'other'})})), {now: T0});
    await r.redis.zadd('asynq:sema:type:email:*', T0_S + 600, 'held');
    const typed = planOf([{match: {type: 'email:*'}, concurrency: 1}]);
    const res = await rdb.finishAndClaim('default', [], 4, 30_000, () => {}, typed.plan);
    expect(res.claimed.map((t) => t.msg.id)).toEqual(['o1', 'o2']);
    expect((typed.settled[0] as ClaimDecisions).refused.map((x) => x.id)).toEqual(['e1', 'e2']);
    expect(await r.redis.zrange('asynq:limit:{asynq:sema:type:email:*}:waiting', 0, -1)).toEqual(['e1', 'e2']);

    await r.redis.flushall();
    await seedPending(r.redis, ids.map((id) => ({msg: makeMsg(id)})), {now: T0});
    await r.redis.zadd('asynq:sema:queue:default', T0_S + 600, 'held');
    const whole = planOf([{match: {queue: 'default'}, concurrency: 1}]);
    expect((await rdb.finishAndClaim('default', [], 4, 30_000, () => {}, whole.plan)).claimed).toEqual([]);
    expect((whole.settled[0] as ClaimDecisions).refused.map((x) => x.id)).toEqual(['e1']);
    // Only e1 was taken out and put at the back: the others were not touched.
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['e1', 'o2', 'e2', 'o1']);
  });

  it('a task refused in this call that comes round again is put back as it was, and the claim ends', async () => {
    const {rdb} = newRdb(r.redis);
    await seedPending(r.redis, [{msg: makeMsg('only', {type: 'email:x'})}], {now: T0});
    await r.redis.zadd('asynq:sema:type:email:*', T0_S + 600, 'held');
    const {plan, settled} = planOf([{match: {type: 'email:*'}, concurrency: 1}]);
    expect((await rdb.finishAndClaim('default', [], 5, 30_000, () => {}, plan)).claimed).toEqual([]);
    expect((settled[0] as ClaimDecisions).refused.map((x) => x.id)).toEqual(['only']);
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['only']);
    expect(await r.redis.exists('asynq:{default}:active', 'asynq:{default}:lease')).toBe(0);
    expect(await r.redis.hgetall('asynq:{default}:t:only')).toMatchObject({state: 'pending', pending_since: T0_NS});
  });

  it('a rate that frees after the grace sends the task to scheduled at ceil((now + delay) / 1000)', async () => {
    const {rdb} = newRdb(r.redis);
    await seedPending(r.redis, [{msg: makeMsg('r1', {type: 'slow'})}, {msg: makeMsg('r2', {type: 'slow'})}], {now: T0});
    const {plan, settled} = planOf([{match: {type: 'slow'}, rate: {count: 1, per: '1m'}}]);
    expect((await rdb.finishAndClaim('default', [], 2, 30_000, () => {}, plan)).claimed.map((t) => t.msg.id)).toEqual(['r1']);
    const refused = (settled[0] as ClaimDecisions).refused[0]!;
    expect(refused).toMatchObject({id: 'r2', index: 0, kind: 'rate'});
    expect(refused.delayMs).toBeGreaterThan(55_000);
    expect(refused.delayMs).toBeLessThanOrEqual(60_000);
    expect(await r.redis.zrange('asynq:{default}:scheduled', 0, -1, 'WITHSCORES')).toEqual(['r2', String(Math.ceil((T0.getTime() + refused.delayMs) / 1000))]);
    expect(await r.redis.hget('asynq:{default}:t:r2', 'state')).toBe('scheduled');
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual([]);
  });

  it('a message the script cannot read is claimed undecided (nothing taken); one only the caller rejects gives its tokens back', async () => {
    const {rdb} = newRdb(r.redis);
    // A varint that runs past the end: unreadable to both.
    await r.redis.hset('asynq:{default}:t:bad', 'msg', Buffer.from([0x0a, 0x05, 0x61]), 'state', 'pending');
    // Well-formed protobuf whose id is another task's: the script reads it, the caller rejects it.
    await r.redis.hset('asynq:{default}:t:other', 'msg', Buffer.from(encodeTaskMessage(makeMsg('someone-else', {type: 'job'}))), 'state', 'pending');
    await r.redis.lpush('asynq:{default}:pending', 'bad', 'other');
    const {plan, settled} = planOf([{match: {type: 'job'}, concurrency: 5}]);
    const bad: string[] = [];
    const res = await rdb.finishAndClaim('default', [], 2, 30_000, (b) => bad.push(String(b.id)), plan);
    expect(res.claimed).toEqual([]);
    expect(bad.sort()).toEqual(['bad', 'other']);
    expect(settled).toEqual([{started: [], refused: [], dropped: ['other'], failed: []}]);
    // The script took other's token (its caller gives it back through the gate); none for bad.
    expect((await sema('type:job')).filter((_, i) => i % 2 === 0)).toEqual(['other']);
  });

  it('a limit key of another type: the task is put back unstarted, the claim ends, the rest of the call stands (bad data harms only itself)', async () => {
    const {rdb} = newRdb(r.redis);
    await seedPending(r.redis, ['k1', 'k2'].map((id) => ({msg: makeMsg(id, {type: 'job'})})), {now: T0});
    await seedActive(r.redis, [{msg: makeMsg('done1', {type: 'job'}), score: T0_S + 30}]);
    await r.redis.set('asynq:sema:type:job', 'not a zset');
    const {plan, settled} = planOf([{match: {type: 'job'}, concurrency: 5}], [['done1']]);
    const res = await rdb.finishAndClaim('default', [makeMsg('done1', {type: 'job'})], 2, 30_000, () => {}, plan);
    // The finish went through; nothing was claimed, k1 is back where it was.
    expect(res.errors).toEqual([null]);
    expect(res.claimed).toEqual([]);
    expect(await r.redis.get('asynq:{default}:processed')).toBe('1');
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['k2', 'k1']);
    expect(await r.redis.exists('asynq:{default}:active', 'asynq:{default}:lease')).toBe(0);
    expect(await r.redis.hgetall('asynq:{default}:t:k1')).toMatchObject({state: 'pending', pending_since: T0_NS});
    expect(settled).toEqual([{started: [], refused: [], dropped: [], failed: [{id: 'k1', index: 0, error: expect.stringMatching(/WRONGTYPE/)}]}]);
  });

  it('gives back the tokens of the finished tasks a limit names, under a scope of any bytes (one argument per limit)', async () => {
    const {rdb} = newRdb(r.redis);
    const scope = 'my scope ü\n2';
    const done = ['d1', 'd2', 'd3'].map((id) => makeMsg(id, {type: 'job'}));
    await seedActive(r.redis, done.map((msg) => ({msg, score: T0_S + 30})));
    await r.redis.zadd(`asynq:sema:${scope}`, T0_S + 900, 'd1', T0_S + 900, 'd2', T0_S + 900, 'd3');
    await seedPending(r.redis, [{msg: makeMsg('next', {type: 'job'})}], {now: T0});
    const {plan, settled} = planOf([{match: {type: 'job'}, concurrency: 5, rate: {count: 100, per: '1s'}, scope}], [['d1', 'd3']]);
    const res = await rdb.finishAndClaim('default', done, 1, 30_000, () => {}, plan);
    expect(res.errors).toEqual([null, null, null]);
    expect(res.claimed.map((t) => [t.msg.id, t.admitted])).toEqual([['next', true]]);
    // d2 was not named: its token stays; next took one.
    expect(await sema(scope)).toEqual(['d2', String(T0_S + 900), 'next', String(T0_S + 1800)]);
    // The script builds the rate key from the sema key: the names keys.ts gives (what limit ls reads).
    expect(await r.redis.hget(keys.limitRateKey(scope), 'n')).toBe('1');
    expect(await r.redis.exists(keys.semaphoreKey(scope))).toBe(1);
    expect(settled).toEqual([{started: [{id: 'next', type: 'job'}], refused: [], dropped: [], failed: []}]);
  });

  it('refuses a token to give back that the call does not finish: the plan is settled with the error, nothing written', async () => {
    const {rdb} = newRdb(r.redis);
    const x = makeMsg('x', {type: 'job'});
    await seedActive(r.redis, [{msg: x, score: T0_S + 30}]);
    await seedPending(r.redis, [{msg: makeMsg('next', {type: 'job'})}], {now: T0});
    const before = await dumpAll(r.redis);
    const {plan, settled} = planOf([{match: {type: 'job'}, concurrency: 5}], [['ghost']]);
    await expect(rdb.finishAndClaim('default', [x], 1, 30_000, () => {}, plan)).rejects.toThrow(/ghost/);
    expect(settled).toEqual([{error: expect.any(Error)}]);
    expect(await dumpAll(r.redis)).toEqual(before);
  });

  it('a malformed limit argument is refused before any write (the finishes of the call included)', async () => {
    const x = makeMsg('x', {type: 'job'});
    await seedActive(r.redis, [{msg: x, score: T0_S + 30}]);
    await seedPending(r.redis, [{msg: makeMsg('next', {type: 'job'})}], {now: T0});
    const before = await dumpAll(r.redis);
    const q = 'default';
    const keyList = [keys.activeKey(q), keys.leaseKey(q), keys.processedKey(q, T0), keys.processedTotalKey(q), keys.completedKey(q), keys.pendingKey(q), keys.pausedKey(q),
      keys.corruptKey(q), keys.corruptReasonsKey(q)];
    const argv = [T0_S + 90 * 86_400, '9223372036854775807', keys.taskKeyPrefix(q), T0_S + 30, T0_S, T0_S - 90 * 86_400, 10_000, 1, 100, 1, 'x', '', '', '',
      1, T0.getTime(), 1800, 'not a limit', 50, '1'];
    await expect(r.redis.eval(scripts.finishAndClaim.lua, keyList.length, ...keyList, ...argv)).rejects.toThrow(/limit 1 is not/);
    expect(await dumpAll(r.redis)).toEqual(before);
  });

  it('settles the plan with the error when the call fails', async () => {
    const {rdb} = newRdb(r.redis);
    await r.redis.set('asynq:{default}:active', 'not a list');
    const {plan, settled} = planOf([{match: {type: 'job'}, concurrency: 5}], [['gone']]);
    await expect(rdb.finishAndClaim('default', [makeMsg('gone', {type: 'job'})], 1, 30_000, () => {}, plan)).resolves.toBeDefined();
    expect(settled).toHaveLength(1);
    // A WRONGTYPE of a finished task is an item error, not a failed call; a closed connection is.
    const closed = newRdb(r.redis.duplicate());
    closed.rdb.client.disconnect();
    const failing = planOf([{match: {type: 'job'}, concurrency: 5}]);
    await expect(closed.rdb.finishAndClaim('default', [], 1, 30_000, () => {}, failing.plan)).rejects.toThrow();
    expect(failing.settled).toEqual([{error: expect.any(Error)}]);
  });
});

describe('messageFields (through a claim): the type, timeout and deadline of any well-formed encoding', () => {
  it('reads multi-byte varints and fields in any order; an absent type is ""', async () => {
    const {rdb} = newRdb(r.redis);
    // Fields written out of number order (deadline, queue, id, timeout, type last), long varints.
    const w = protobuf.Writer.create();
    w.uint32((9 << 3) | 0).int64(T0_S + 100_000);
    w.uint32((4 << 3) | 2).string('default');
    w.uint32((3 << 3) | 2).string('ooo');
    w.uint32((8 << 3) | 0).int64(200_000);
    w.uint32((1 << 3) | 2).string('t'.repeat(200));
    await r.redis.hset('asynq:{default}:t:ooo', 'msg', Buffer.from(w.finish()), 'state', 'pending');
    const untyped: TaskMessage = makeMsg('untyped', {type: ''});
    await r.redis.hset('asynq:{default}:t:untyped', 'msg', Buffer.from(encodeTaskMessage(untyped)), 'state', 'pending');
    await r.redis.lpush('asynq:{default}:pending', 'ooo', 'untyped');
    const {plan, settled} = planOf([
      {match: {type: 't*'}, concurrency: 5},
      {match: {queue: 'default'}, concurrency: 5},
    ]);
    const bad: string[] = [];
    const res = await rdb.finishAndClaim('default', [], 2, 30_000, (b) => bad.push(`${b.id}: ${b.reason}`), plan);
    expect(res.claimed.map((t) => t.msg.id)).toEqual(['ooo']);
    // A task without a type cannot run (the caller moves it aside); the script read it as type "":
    // the whole-queue limit matched it, `t*` did not (its token goes back through the gate).
    expect(bad).toEqual(['untyped: cannot decode TaskMessage: type is empty']);
    expect(settled).toEqual([{started: [{id: 'ooo', type: 't'.repeat(200)}], refused: [], dropped: ['untyped'], failed: []}]);
    expect(await sema('type:t*')).toEqual(['ooo', String(T0_S + 100_000)]);
    expect(await sema('queue:default')).toEqual(['untyped', String(T0_S + 1800), 'ooo', String(T0_S + 100_000)]);
  });

  it('matches type patterns as typeMatcher does, Lua magic characters and bytes beyond ASCII included', async () => {
    const {rdb} = newRdb(r.redis);
    const patterns = ['a.b*', 'x%y', '(z)*', 'ü*', '*-[q]', 'plain'];
    // Short types are read at the message's start (messageType); one of 150 bytes has a two-byte length (messageFields).
    const types = ['a.b', 'aXb', 'a.bc', 'x%y', 'x%%y', '(z)', '(z)zz', 'z', 'üx', 'u', 'n-[q]', '-q', 'plain', 'plai', `a.b${'x'.repeat(147)}`];
    await seedPending(r.redis, types.map((type, i) => ({msg: makeMsg(`t${i}`, {type})})), {now: T0});
    const {plan} = planOf(patterns.map((type, i) => ({match: {type}, concurrency: 100, scope: `p${i}`})));
    await rdb.finishAndClaim('default', [], types.length, 30_000, () => {}, plan);
    for (const [i, pattern] of patterns.entries()) {
      const expected = types.flatMap((type, k) => (typeMatcher(pattern)(type) ? [`t${k}`] : [])).sort();
      expect([pattern, (await sema(`p${i}`)).filter((_, j) => j % 2 === 0).sort()]).toEqual([pattern, expected]);
    }
  });
});
