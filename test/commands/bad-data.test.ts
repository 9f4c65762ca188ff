/**
 * Bad data in Redis seen from the CLI and the dash: the rest is shown, the broken queue or task is
 * named, and the exit status is 6 (bad data), not 5 (Redis unavailable).
 */
import {describe, expect, it} from 'vitest';
import * as keys from '../../src/lib/base/keys.js';
import {Inspector} from '../../src/lib/inspector.js';
import {RDB} from '../../src/lib/broker/rdb.js';
import {fetchDash} from '../../src/ui/dash/fetch.js';
import {inspectorSource} from '../../src/ui/dash/source.js';
import {queueTableLines} from '../../src/ui/dash/views/QueueTable.js';
import {useCli} from '../support/cli.js';
import {makeMsg} from '../support/seed.js';

const cli = useCli();

/** Two good queues, and "broken" whose pending list is a string. */
async function seedBrokenQueue(): Promise<void> {
  const rdb = new RDB(cli.redis);
  await rdb.enqueue(makeMsg('a1', {queue: 'alpha'}));
  await rdb.enqueue(makeMsg('z1', {queue: 'zulu'}));
  await cli.redis.sadd(keys.allQueues, 'broken');
  await cli.redis.set(keys.pendingKey('broken'), 'not a list');
}

describe('a queue with a key of the wrong type', () => {
  it('asynq stats shows the other queues, names the broken one and exits 6 (not 5)', async () => {
    await seedBrokenQueue();
    const r = await cli.asynq(['stats']);
    expect(r.code).toBe(6);
    expect(r.stdout).toContain('Task Count by Queue');
    expect(r.stdout).toMatch(/alpha +zulu/);
    expect(r.stdout).not.toContain('broken');
    expect(r.stderr).toMatch(/queue "broken" left out: bad data in Redis: rdb\.CurrentStats: WRONGTYPE/);
  });

  it('asynq stats --json still prints the document, with brokenQueues', async () => {
    await seedBrokenQueue();
    const r = await cli.asynq(['stats', '--json']);
    expect(r.code).toBe(6);
    const doc = JSON.parse(r.stdout) as {
      queues: Array<{queue: string}>;
      brokenQueues: Array<{queue: string; error: string}>;
    };
    expect(doc.queues.map((q) => q.queue).sort()).toEqual(['alpha', 'zulu']);
    expect(doc.brokenQueues).toEqual([{queue: 'broken', error: expect.stringMatching(/WRONGTYPE/)}]);
  });

  it('a command failing on it alone exits 6 with code BAD_DATA', async () => {
    await seedBrokenQueue();
    const r = await cli.asynq(['task', 'ls', '-q', 'broken', '-s', 'pending', '--json']);
    expect(r.code).toBe(6);
    expect(JSON.parse(r.stdout)).toMatchObject({error: {code: 'BAD_DATA', exitCode: 6}});
  });

  it('the dash lists the other queues and names the broken one under the table', async () => {
    await seedBrokenQueue();
    const insp = new Inspector(cli.redis);
    const data = await fetchDash(inspectorSource(insp), {view: 'queues'});
    expect(data).toMatchObject({
      view: 'queues',
      brokenQueues: [{queue: 'broken', error: expect.stringMatching(/WRONGTYPE/)}],
    });
    const queues = data.view === 'queues' ? data.queues : [];
    expect(queues.map((q) => q.queue).sort()).toEqual(['alpha', 'zulu']);
    const lines = queueTableLines({
      queues,
      totalQueues: 2,
      cursor: 0,
      sort: 'queue',
      desc: false,
      filter: '',
      width: 120,
      height: 12,
      color: false,
      broken: data.view === 'queues' ? (data.brokenQueues ?? []) : [],
    });
    const text = lines.map((l) => (typeof l === 'string' ? l : l.map((s) => s.text).join(''))).join('\n');
    expect(text).toContain('alpha');
    expect(text).toMatch(/Queue "broken" left out: bad data in Redis: rdb\.CurrentStats: WRONGTYPE/);
  });
});

describe('a task that cannot be read', () => {
  it('asynq task ls shows the rest of the page, names the bad tasks and exits 6', async () => {
    const rdb = new RDB(cli.redis);
    await rdb.enqueue(makeMsg('good1'));
    await cli.redis.set(keys.taskKey('default', 'str'), 'not a hash');
    await cli.redis.hset(keys.taskKey('default', 'junk'), 'msg', Buffer.from([0xff, 0xff]), 'state', 'pending');
    await cli.redis.lpush(keys.pendingKey('default'), 'str', 'junk');
    await rdb.enqueue(makeMsg('good2'));
    const r = await cli.asynq(['task', 'ls', '-q', 'default', '-s', 'pending']);
    expect(r.code).toBe(6);
    expect(r.stdout).toContain('good1');
    expect(r.stdout).toContain('good2');
    expect(r.stderr).toContain(
      'task str in queue "default" left out: bad data in Redis: task key holds a string, not a hash',
    );
    expect(r.stderr).toMatch(/task junk in queue "default" left out: bad data in Redis: cannot decode TaskMessage/);
    const json = await cli.asynq(['task', 'ls', '-q', 'default', '-s', 'pending', '--json']);
    expect(json.code).toBe(6);
    expect((JSON.parse(json.stdout) as Array<{id: string}>).map((t) => t.id)).toEqual(['good1', 'good2']);
  });

  it('asynq task inspect names a task moved aside and its reason, exit 6', async () => {
    const rdb = new RDB(cli.redis);
    await rdb.registerQueue('default');
    await cli.redis.hset(keys.taskKey('default', 'junk'), 'msg', Buffer.alloc(0), 'state', 'pending');
    await cli.redis.lpush(keys.pendingKey('default'), 'junk', 'dangling');
    expect(await rdb.dequeue(['default'])).toBeNull();
    const r = await cli.asynq(['task', 'inspect', '-q', 'default', 'junk']);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(
      'task junk in queue "default" cannot be processed and was moved aside to asynq:{default}:corrupt: cannot decode TaskMessage: id is empty',
    );
    const gone = await cli.asynq(['task', 'inspect', '-q', 'default', 'dangling', '--json']);
    expect(gone.code).toBe(6);
    expect(JSON.parse(gone.stdout)).toMatchObject({
      error: {code: 'BAD_DATA', message: expect.stringContaining('no task hash')},
    });
    expect(await new Inspector(cli.redis).listCorruptTasks('default')).toEqual([
      {id: 'dangling', reason: 'no task hash', movedAt: expect.any(Date)},
      {id: 'junk', reason: 'cannot decode TaskMessage: id is empty', movedAt: expect.any(Date)},
    ]);
  });
});
