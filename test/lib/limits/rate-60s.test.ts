/**
 * The long one (about 75 s): a fleet-wide rate of 50 starts/s holds within ±5% over 60 s, with 3
 * servers (each its own connection) at concurrency 20 and a backlog of 10,000 tasks of the limited
 * type. Every task started is processed once.
 *
 * The rate is measured on Redis' clock (TIME, read in the same MULTI as the processed counter),
 * not on this process's timers: the limit itself runs on Redis' clock, and a loaded machine that
 * delays this test's polls then shifts both ends of the window, not the count.
 * ASYNQ_LIMITS_RATE_SECONDS shortens the window for a quick local run (default 60).
 */
import {describe, expect, it} from 'vitest';
import {Client} from '../../../src/lib/client.js';
import {silentLogger} from '../../../src/lib/logger.js';
import {Server} from '../../../src/lib/server.js';
import {Task} from '../../../src/lib/task.js';
import {useRedis} from '../../support/redis.js';

const r = useRedis();
const WINDOW_S = Number(process.env.ASYNQ_LIMITS_RATE_SECONDS ?? 60);

/** Redis' clock (ms) and the processed counter, read atomically. */
async function sample(): Promise<{t: number; n: number}> {
  const res = (await r.redis.multi().time().get('asynq:{default}:processed').exec())!;
  const [sec, usec] = res[0]![1] as [string, string];
  return {t: Number(sec) * 1000 + Number(usec) / 1000, n: Number(res[1]![1] ?? 0)};
}

describe('rate limit, fleet-wide', () => {
  it(`50/s for email:* holds within ±5% over ${WINDOW_S} s with 3 servers × 20 and a backlog of 10,000`, async () => {
    const client = new Client(r.redis);
    for (let b = 0; b < 10; b++) {
      const res = await client.enqueueMany(Array.from({length: 1000}, (_, i) => new Task('email:send', {i: b * 1000 + i})));
      expect(res.filter((x) => x instanceof Error)).toEqual([]);
    }
    const seen = new Map<string, number>();
    const servers = Array.from({length: 3}, () => new Server(r.server.url, {
      concurrency: 20, logger: silentLogger, limits: [{match: {type: 'email:*'}, rate: {count: 50, per: '1s'}}],
    }));
    for (const s of servers) {
      await s.start(async (_task, ctx) => {
        seen.set(ctx.taskId, (seen.get(ctx.taskId) ?? 0) + 1);
      });
    }
    let first: {t: number; n: number} | undefined;
    let last: {t: number; n: number};
    try {
      for (;;) {
        last = await sample();
        if (!first && last.n > 0) first = last;
        if (first && last.t - first.t >= WINDOW_S * 1000) break;
        await new Promise((res) => setTimeout(res, 100));
      }
    } finally {
      await Promise.all(servers.map((s) => s.shutdown()));
    }
    const rate = ((last.n - first!.n) * 1000) / (last.t - first!.t);
    console.log(`rate limit 50/s: ${last.n - first!.n} tasks in ${((last.t - first!.t) / 1000).toFixed(2)} s of Redis time = ${rate.toFixed(2)}/s`);
    expect(rate).toBeGreaterThanOrEqual(47.5);
    expect(rate).toBeLessThanOrEqual(52.5);
    // Exactly once, and nothing lost: every task is done, waiting, or back in pending/scheduled.
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    const processed = Number(await r.redis.get('asynq:{default}:processed'));
    expect(processed).toBe(seen.size);
    expect(await r.redis.get('asynq:{default}:failed')).toBeNull();
    const left = (await r.redis.llen('asynq:{default}:pending')) + (await r.redis.zcard('asynq:{default}:scheduled'))
      + (await r.redis.llen('asynq:{default}:active'));
    expect(left + processed).toBe(10_000);
  }, (WINDOW_S + 60) * 1000);
});
