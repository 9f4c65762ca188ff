/**
 * Behaviour checklist (docs/behaviour-checklist.md), inspector items that had no exact test:
 * aggregating counts only groups listed in `groups` (56), History(Q, 7) (104).
 */
import {afterEach, describe, expect, it} from 'vitest';
import * as keys from '../../src/lib/base/keys.js';
import {SimulatedClock} from '../../src/lib/clock.js';
import {Inspector} from '../../src/lib/inspector.js';
import {useRedis} from '../support/redis.js';
import {dumpAll, dumpAllSince} from '../support/dump.js';
import {makeMsg, seedGroup} from '../support/seed.js';

const r = useRedis();
const opened: Inspector[] = [];

function inspector(now: Date): Inspector {
  const i = new Inspector(r.redis, {clock: new SimulatedClock(now)});
  opened.push(i);
  return i;
}

afterEach(async () => {
  for (const i of opened.splice(0)) await i.close();
});

describe('checklist 56: groups and the aggregating count', () => {
  it('lists the members of `groups` with their ZCARD sizes and sums only those into aggregating', async () => {
    // Given: groups a (2 tasks) and b (1) listed; a group zset "unlisted" (3 tasks) not in `groups`,
    // as the recoverer leaves a reclaimed group (Go quirk: reclaim never SADDs)
    const now = new Date('2026-03-10T12:00:00Z');
    const t = now.getTime() / 1000;
    await seedGroup(r.redis, 'a', [{msg: makeMsg('a1'), score: t}, {msg: makeMsg('a2'), score: t}]);
    await seedGroup(r.redis, 'b', [{msg: makeMsg('b1'), score: t}]);
    for (const id of ['u1', 'u2', 'u3']) await r.redis.zadd(keys.groupKey('default', 'unlisted'), t, id);
    expect(await r.redis.smembers(keys.allGroups('default'))).toEqual(expect.arrayContaining(['a', 'b']));
    const before = await dumpAll(r.redis);
    // When
    const insp = inspector(now);
    const groups = await insp.groups('default');
    const info = await insp.getQueueInfo('default');
    // Then
    expect(groups).toEqual([{group: 'a', size: 2}, {group: 'b', size: 1}]);
    expect(info).toMatchObject({groups: 2, aggregating: 3, size: 3});
    expect(await dumpAllSince(r.redis, before)).toEqual(before);
  });
});

describe('checklist 104: History(Q, 7)', () => {
  it('returns 7 entries, today first, per UTC day, with missing days as 0', async () => {
    // Given: 00:30 UTC on March 1st, counters on three of the last seven UTC days and one older
    const now = new Date('2026-03-01T00:30:00Z');
    await r.redis.sadd(keys.allQueues, 'q');
    const day = (i: number): Date => new Date(now.getTime() - i * 86_400_000);
    await r.redis.set(keys.processedKey('q', day(0)), 7);
    await r.redis.set(keys.failedKey('q', day(0)), 1);
    await r.redis.set(keys.processedKey('q', day(1)), 20);
    await r.redis.set(keys.failedKey('q', day(6)), 4);
    await r.redis.set(keys.processedKey('q', day(7)), 99); // eight days back: outside the window
    // When
    const history = await inspector(now).history('q', 7);
    // Then
    expect(history).toEqual([
      {queue: 'q', date: '2026-03-01', processed: 7, failed: 1},
      {queue: 'q', date: '2026-02-28', processed: 20, failed: 0},
      {queue: 'q', date: '2026-02-27', processed: 0, failed: 0},
      {queue: 'q', date: '2026-02-26', processed: 0, failed: 0},
      {queue: 'q', date: '2026-02-25', processed: 0, failed: 0},
      {queue: 'q', date: '2026-02-24', processed: 0, failed: 0},
      {queue: 'q', date: '2026-02-23', processed: 0, failed: 4},
    ]);
    expect(keys.processedKey('q', day(1))).toBe('asynq:{q}:processed:2026-02-28');
  });
});
