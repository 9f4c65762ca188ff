/**
 * ServerOptions.limits and the Semaphore on a real Redis: Go x/rate's semaphore layout, the
 * concurrency cap across several Servers (each with its own connection), exactly-once processing,
 * a limited queue beside an unlimited one, RetryAfterError.
 */
import {describe, expect, it} from 'vitest';
import {Client} from '../../../src/lib/client.js';
import {RetryAfterError, ValidationError} from '../../../src/lib/errors.js';
import {Semaphore} from '../../../src/lib/limits/semaphore.js';
import {normalizeLimits, typeMatcher} from '../../../src/lib/limits/spec.js';
import {silentLogger} from '../../../src/lib/logger.js';
import {Server, type ServerOptions} from '../../../src/lib/server.js';
import {Task} from '../../../src/lib/task.js';
import type {Handler} from '../../../src/lib/handler.js';
import {useRedis} from '../../support/redis.js';
import {waitFor} from '../../support/wait.js';

const r = useRedis();
const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));
const nowS = (): number => Math.floor(Date.now() / 1000);

/** Starts `n` Servers, each with its own connection (the URL), with `opts` and `handler`. */
async function fleet(n: number, opts: ServerOptions, handler: Handler['processTask']): Promise<Server[]> {
  const servers = Array.from({length: n}, () => new Server(r.server.url, {
    logger: silentLogger, delayedTaskCheckInterval: 100, taskCheckInterval: 10, ...opts,
  }));
  for (const s of servers) await s.start(handler);
  return servers;
}

async function enqueueN(client: Client, n: number, type: string, queue = 'default'): Promise<string[]> {
  const res = await client.enqueueMany(Array.from({length: n}, (_, i) => new Task(type, {i})), {queue, maxRetry: 3});
  return res.map((x) => {
    if (x instanceof Error) throw x;
    return x.id;
  });
}

describe('limits: validation and matching', () => {
  it('type patterns match with * as any run of characters', () => {
    expect(typeMatcher('email:*')('email:welcome')).toBe(true);
    expect(typeMatcher('email:*')('email:')).toBe(true);
    expect(typeMatcher('email:*')('sms:email:x')).toBe(false);
    expect(typeMatcher('a.b')('axb')).toBe(false);
    expect(typeMatcher('*:send')('sms:send')).toBe(true);
  });

  it('derives scopes and the default burst, and refuses bad limits with one message each', () => {
    const [a, b] = normalizeLimits([
      {match: {type: 'email:*'}, rate: {count: 50, per: '1s'}},
      {match: {queue: 'reports'}, concurrency: 5, rate: {count: 1000, per: '1m'}},
    ]);
    expect(a!.scope).toBe('type:email:*');
    expect(a!.rate).toEqual({count: 50, perMs: 1000, burst: 50, intervalMs: 20});
    expect(b!.scope).toBe('queue:reports');
    expect(b!.rate!.burst).toBe(16);
    expect(b!.matches('reports', 'x')).toBe(true);
    expect(b!.matches('default', 'x')).toBe(false);
    expect(() => normalizeLimits([{match: {}, concurrency: 1}])).toThrow(/limits\[0\]: match needs a queue or a type/);
    expect(() => normalizeLimits([{match: {queue: 'q'}}])).toThrow(/give a concurrency, a rate or both/);
    expect(() => normalizeLimits([{match: {queue: 'q'}, concurrency: 0}])).toThrow(ValidationError);
    expect(() => normalizeLimits([{match: {queue: 'q'}, rate: {count: 1.5, per: 1000}}])).toThrow(/rate.count/);
    expect(() => normalizeLimits([{match: {queue: 'q'}, concurrency: 1}, {match: {queue: 'q'}, rate: {count: 1, per: 1}}])).toThrow(/scope "queue:q"/);
    expect(() => new Server(r.server.url, {limits: [{match: {queue: 'q'}, concurrency: -1}]})).toThrow(/concurrency must be a whole number/);
  });
});

describe('Semaphore (Go x/rate layout)', () => {
  it('keeps asynq:sema:<scope> as Go does: task ids scored by deadline; expired holders drop out', async () => {
    const sema = new Semaphore(r.server.url, 'api', 2);
    try {
      const deadline = new Date((nowS() + 60) * 1000);
      expect(await sema.acquire({taskId: 't1', deadline})).toBe(true);
      expect(await sema.acquire({taskId: 't2', deadline})).toBe(true);
      expect(await sema.acquire({taskId: 't3', deadline})).toBe(false);
      // A holder asking again keeps its token.
      expect(await sema.acquire({taskId: 't1', deadline})).toBe(true);
      expect(await r.redis.type('asynq:sema:api')).toBe('zset');
      expect((await r.redis.zrange('asynq:sema:api', 0, -1)).sort()).toEqual(['t1', 't2']);
      expect(await r.redis.ttl('asynq:sema:api')).toBe(-1);
      expect(await r.redis.zscore('asynq:sema:api', 't2')).toBe(String(deadline.getTime() / 1000));
      await sema.release({taskId: 't1'});
      await expect(sema.release({taskId: 't1'})).rejects.toThrow(/no token found for task "t1"/);
      expect(await sema.acquire({taskId: 't3', deadline})).toBe(true);
      // A token whose deadline passed (as a crashed Go or TS worker leaves it) frees itself.
      await r.redis.zadd('asynq:sema:api', nowS() - 5, 't2');
      expect(await sema.acquire({taskId: 't4', deadline})).toBe(true);
      expect((await r.redis.zrange('asynq:sema:api', 0, -1)).sort()).toEqual(['t3', 't4']);
      await expect(sema.acquire({taskId: 'x'})).rejects.toThrow(/must have a deadline/);
      await expect(sema.acquire({deadline})).rejects.toThrow(/missing task ID/);
    } finally {
      await sema.close();
    }
  });

  it('a semaphore key written by hand in Go\'s layout is respected by a Server limit with that scope', async () => {
    // Two tokens held by "Go handlers" until a minute from now: the cap of 3 leaves one.
    await r.redis.zadd('asynq:sema:reports', nowS() + 60, 'go-task-1', nowS() + 60, 'go-task-2');
    const client = new Client(r.redis);
    let running = 0;
    let most = 0;
    let done = 0;
    await enqueueN(client, 6, 'report:build');
    const servers = await fleet(2, {concurrency: 4, limits: [{match: {type: 'report:*'}, concurrency: 3, scope: 'reports'}]}, async () => {
      running++;
      most = Math.max(most, running);
      await sleep(60);
      running--;
      done++;
    });
    try {
      await waitFor(() => done >= 2, 'two tasks done under the hand-written tokens', 20_000);
      expect(most).toBe(1);
      // The Go holders finish: the full cap is ours.
      await r.redis.zrem('asynq:sema:reports', 'go-task-1', 'go-task-2');
      await waitFor(() => done === 6, 'all six tasks', 30_000);
      expect(most).toBeLessThanOrEqual(3);
      // Each token goes back as its task's attempt is decided.
      await waitFor(async () => (await r.redis.exists('asynq:sema:reports')) === 0, 'every token given back', 10_000);
    } finally {
      await Promise.all(servers.map((s) => s.shutdown()));
    }
  }, 60_000);
});

describe('concurrency cap across servers', () => {
  it('5 across 3 servers of 20: never exceeded (sampled every 10 ms), fully used while work waits, each task once', async () => {
    const client = new Client(r.redis);
    const N = 60;
    const ids = await enqueueN(client, N, 'report:build', 'reports');
    const seen = new Map<string, number>();
    let running = 0;
    const samples: number[] = [];
    let pendingWork = true;
    const sampler = setInterval(() => {
      if (pendingWork) samples.push(running);
    }, 10);
    let peakRedis = 0;
    const redisSampler = setInterval(() => {
      void r.redis.zcard('asynq:sema:queue:reports').then((n) => (peakRedis = Math.max(peakRedis, n)));
    }, 10);
    const servers = await fleet(3, {concurrency: 20, queues: {reports: 1}, limits: [{match: {queue: 'reports'}, concurrency: 5}]}, async (task, ctx) => {
      seen.set(ctx.taskId, (seen.get(ctx.taskId) ?? 0) + 1);
      running++;
      await sleep(100);
      running--;
    });
    try {
      await waitFor(() => seen.size >= N - 5, 'all but the last 5 tasks started', 60_000, {everyMs: 20});
      pendingWork = false;
      await waitFor(async () => (await r.redis.get('asynq:{reports}:processed')) === String(N), 'every task processed', 30_000, {everyMs: 20});
    } finally {
      clearInterval(sampler);
      clearInterval(redisSampler);
      await Promise.all(servers.map((s) => s.shutdown()));
    }
    expect(Math.max(...samples)).toBe(5);
    expect(peakRedis).toBeLessThanOrEqual(5);
    // Fully used: from the first start to the last backlog, the cap is reached in most samples.
    const fromFirst = samples.slice(samples.findIndex((n) => n > 0));
    const full = fromFirst.filter((n) => n === 5).length / fromFirst.length;
    const mean = fromFirst.reduce((a, b) => a + b, 0) / fromFirst.length;
    console.log(`cap 5 across 3 servers: ${fromFirst.length} samples, at the cap ${(full * 100).toFixed(0)}%, mean ${mean.toFixed(2)}`);
    expect(mean).toBeGreaterThanOrEqual(4);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect([...seen.keys()].sort()).toEqual([...ids].sort());
    expect(await r.redis.get('asynq:{reports}:failed')).toBeNull();
    expect(await r.redis.exists('asynq:sema:queue:reports')).toBe(0);
  }, 120_000);
});

describe('RetryAfterError', () => {
  it('retries after the handler\'s delay without counting a failure, also with no retries left', async () => {
    const client = new Client(r.redis);
    const info = await client.enqueue(new Task('api:call', null), {maxRetry: 0});
    const attempts: number[] = [];
    const servers = await fleet(1, {concurrency: 1}, async (_task, ctx) => {
      attempts.push(ctx.retryCount);
      if (attempts.length === 1) throw new RetryAfterError(1_500, 'HTTP 429');
    });
    try {
      await waitFor(async () => (await r.redis.zscore('asynq:{default}:retry', info.id)) !== null, 'the task in retry', 10_000);
      const score = Number(await r.redis.zscore('asynq:{default}:retry', info.id));
      expect(score).toBeGreaterThanOrEqual(nowS());
      expect(score).toBeLessThanOrEqual(nowS() + 3);
      await waitFor(() => attempts.length === 2, 'the second attempt', 15_000);
      expect(attempts).toEqual([0, 0]);
      await waitFor(async () => (await r.redis.get('asynq:{default}:processed')) === '1', 'processed once', 5_000);
      expect(await r.redis.get('asynq:{default}:failed')).toBeNull();
    } finally {
      await servers[0]!.shutdown();
    }
  }, 30_000);

  it('fromHeader reads seconds and HTTP dates, else the fallback', () => {
    expect(RetryAfterError.fromHeader('3', 10).delayMs).toBe(3000);
    const now = new Date('2026-01-01T00:00:00Z');
    expect(RetryAfterError.fromHeader('Thu, 01 Jan 2026 00:00:05 GMT', 10, now).delayMs).toBe(5000);
    expect(RetryAfterError.fromHeader(null, 10).delayMs).toBe(10);
    expect(RetryAfterError.fromHeader('soon', 10).delayMs).toBe(10);
  });
});
