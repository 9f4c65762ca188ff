/**
 * An idle Server: one dequeue call per poll for all its queues, backing off while nothing
 * arrives, woken at once by an asynq-ts client's enqueue notification (pub/sub on
 * asynq:wake:<qname>), and still finding a task written the Go way (no notification) by polling.
 */
import {describe, expect, it} from 'vitest';
import * as keys from '../../src/lib/base/keys.js';
import {encodeTaskMessage} from '../../src/lib/base/codec.js';
import {Client} from '../../src/lib/client.js';
import {idleBackoffCeilingMs} from '../../src/lib/processor.js';
import {Server} from '../../src/lib/server.js';
import {Task} from '../../src/lib/task.js';
import {useRedis} from '../support/redis.js';
import {recordingLogger} from '../support/logger.js';
import {waitFor} from '../support/wait.js';
import {makeMsg} from '../support/seed.js';

const r = useRedis();
const pause = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

/** Commands Redis ran since the last RESETSTAT, counting those inside scripts (INFO commandstats). */
async function commandCount(): Promise<{all: number; scripts: number}> {
  const info = await r.redis.info('commandstats');
  let all = 0;
  let scripts = 0;
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (m[1] === 'info' || m[1] === 'config') continue;
    all += Number(m[2]);
    if (/^eval/.test(m[1]!)) scripts += Number(m[2]);
  }
  return {all, scripts};
}

describe('idle Server', () => {
  it('polls its 3 queues with one call per poll and backs off: few Redis commands over 2 s', async () => {
    const srv = new Server(r.server.url, {logger: recordingLogger(), queues: {a: 3, b: 2, c: 1}});
    await srv.start(() => {});
    try {
      await pause(1_000); // backed off by now (20 ms doubling to 90 ms)
      await r.redis.config('RESETSTAT');
      await pause(2_000);
      const {all, scripts} = await commandCount();
      // An idle poll is one LINDEX of pending per queue (the paused and key-type checks run only
      // when there is a task), so 3 commands inside each call of 3 queues: at most about 45 calls
      // (jittered polls at least 45 ms apart) and 180 commands in 2 s. Polling each queue every
      // 20 ms would be about 300 calls and 1,200 commands (computed, not measured). The bound leaves
      // room for a heartbeat and a forwarder round.
      expect(scripts).toBeLessThan(75);
      expect(all).toBeLessThan(300);
    } finally {
      await srv.shutdown();
    }
  });

  it('picks up a task from an asynq-ts client at once, and a Go-written task by polling', async () => {
    const queues = Object.fromEntries(Array.from({length: 500}, (_, i) => [`q${i}`, 1]));
    expect(idleBackoffCeilingMs(500)).toBe(1_000);
    const seen = new Map<string, number>();
    const srv = new Server(r.server.url, {logger: recordingLogger(), queues});
    const client = new Client(r.server.url);
    await srv.start((t) => void seen.set(t.type, Date.now()));
    try {
      await waitFor(async () => (await r.redis.pubsub('NUMSUB', keys.wakeChannel('q123')))[1] === 1, 'wake subscription');
      await pause(2_500); // backed off to about 1 s between polls
      for (const [n, q] of ['q123', 'q7', 'q399'].entries()) {
        const t0 = Date.now();
        await client.enqueue(new Task(`ts${n}`), {queue: q});
        const at = await waitFor(() => seen.get(`ts${n}`), `task ts${n}`);
        // Polling alone would take up to 1.5 s here.
        expect(at - t0).toBeLessThan(200);
        await pause(1_500);
      }
      // What a Go client writes (enqueueCmd: no notification).
      const msg = makeMsg('go1', {queue: 'q200', type: 'go'});
      await r.redis.sadd(keys.allQueues, 'q200');
      await r.redis.hset(keys.taskKey('q200', 'go1'), 'msg', encodeTaskMessage(msg), 'state', 'pending', 'pending_since', String(Date.now() * 1e6));
      await r.redis.lpush(keys.pendingKey('q200'), 'go1');
      await waitFor(() => seen.get('go'), 'the Go-written task', 3_000);
    } finally {
      await client.close();
      await srv.shutdown();
    }
  });

  describe('one queue: waits on its pending list (BLMOVE of the list onto itself) instead of polling', () => {
    /** Connections of the test's Redis blocked in BLMOVE on this key (CLIENT LIST). */
    async function blockedOn(): Promise<number> {
      const list = await r.redis.client('LIST');
      return String(list).split('\n').filter((l) => /\bcmd=blmove\b/.test(l)).length;
    }
    const goWrite = async (q: string, id: string): Promise<void> => {
      const msg = makeMsg(id, {queue: q, type: id});
      await r.redis.sadd(keys.allQueues, q);
      await r.redis.hset(keys.taskKey(q, id), 'msg', encodeTaskMessage(msg), 'state', 'pending', 'pending_since', String(Date.now() * 1e6));
      await r.redis.lpush(keys.pendingKey(q), id);
    };

    it('sends a few commands while idle and starts a Go-written task (no notification) without waiting for a poll', async () => {
      const seen = new Map<string, number>();
      const srv = new Server(r.server.url, {logger: recordingLogger(), queues: {solo: 1}});
      await srv.start((t) => void seen.set(t.type, Date.now()));
      try {
        await waitFor(async () => (await blockedOn()) === 1, 'a connection blocked in BLMOVE');
        await pause(500);
        await r.redis.config('RESETSTAT');
        await pause(2_000);
        const {scripts} = await commandCount();
        // The fallback poll runs once a second (about 2 calls in 2 s, plus a forwarder round); the
        // polling back-off alone would make about 22 calls.
        expect(scripts).toBeLessThanOrEqual(8);
        for (const id of ['go1', 'go2']) {
          const t0 = Date.now();
          await goWrite('solo', id);
          const at = await waitFor(() => seen.get(id), `the Go-written task ${id}`, 3_000);
          // Within the fallback poll's second it could be luck; the watch answers in milliseconds.
          expect(at - t0).toBeLessThan(800);
          await waitFor(async () => (await blockedOn()) === 1, 'the watch blocked again');
        }
      } finally {
        await srv.shutdown();
      }
      // Its connection goes with the server.
      expect(await blockedOn()).toBe(0);
    });

    it('does not loop on a paused queue whose list stays non-empty, and leaves the list as it was', async () => {
      for (const id of ['p1', 'p2', 'p3']) await goWrite('held', id);
      await r.redis.set(keys.pausedKey('held'), '1');
      const before = await r.redis.lrange(keys.pendingKey('held'), 0, -1);
      const seen: string[] = [];
      const srv = new Server(r.server.url, {logger: recordingLogger(), queues: {held: 1}});
      await srv.start((t) => void seen.push(t.type));
      try {
        await pause(1_000);
        await r.redis.config('RESETSTAT');
        await pause(2_000);
        const info = await r.redis.info('commandstats');
        const calls = (cmd: string): number => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
        // A watch that returns at once followed by a poll, then a timed sleep (at most 90 ms by
        // then): about 22 of each in 2 s; a loop would be thousands.
        expect(calls('blmove')).toBeLessThan(60);
        expect(calls('evalsha') + calls('eval')).toBeLessThan(100);
        expect(await r.redis.lrange(keys.pendingKey('held'), 0, -1)).toEqual(before);
        expect(seen).toEqual([]);
        // Resumed: the backlog runs.
        await r.redis.del(keys.pausedKey('held'));
        await waitFor(() => seen.length === 3, 'the backlog after resuming');
      } finally {
        await srv.shutdown();
      }
    });

    it('polls as before with several queues or an explicit taskCheckInterval (no watch connection)', async () => {
      for (const opts of [{queues: {a: 1, b: 1}}, {queues: {solo: 1}, taskCheckInterval: 50}]) {
        const srv = new Server(r.server.url, {logger: recordingLogger(), ...opts});
        await srv.start(() => {});
        try {
          await pause(500);
          expect(await blockedOn()).toBe(0);
        } finally {
          await srv.shutdown();
        }
      }
    });
  });
});
