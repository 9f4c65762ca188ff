/**
 * ScriptRunner defines each script on its client the first time it runs (ioredis copies
 * every defined command onto each pipeline it creates, one per auto-pipelined batch on a Server).
 */
import {describe, expect, it} from 'vitest';
import {ScriptRunner} from '../../../src/lib/broker/script-runner.js';
import * as keys from '../../../src/lib/base/keys.js';
import {useRedis} from '../../support/redis.js';

const r = useRedis();

const defined = (client: object): string[] => Object.keys((client as {scriptsSet: Record<string, unknown>}).scriptsSet).sort();
const enqueueArgs = (id: string): [string[], string[]] => [[keys.taskKey('q', id), keys.pendingKey('q')], [`msg-${id}`, id, '1']];
const dequeueArgs = (): [string[], Array<string | number>] => [
  [keys.pendingKey('q'), keys.pausedKey('q'), keys.activeKey('q'), keys.leaseKey('q'), keys.corruptKey('q'), keys.corruptReasonsKey('q')],
  [9_999_999_999, keys.taskKeyPrefix('q'), 1, 0, 10_000],
];

describe('ScriptRunner: scripts defined on first use', () => {
  it('defines nothing up front, then only the scripts that ran', async () => {
    const client = r.server.client();
    const runner = new ScriptRunner(client);
    expect(defined(client)).toEqual([]);
    await runner.run('enqueue', ...enqueueArgs('a'));
    await runner.runBuffer('dequeue', ...dequeueArgs());
    expect(defined(client)).toEqual(['asynq_dequeue', 'asynq_enqueue']);
  });

  it('with auto-pipelining, a script first used while a batch is filling joins that batch', async () => {
    const client = r.server.client();
    client.options.enableAutoPipelining = true;
    const runner = new ScriptRunner(client);
    // One event-loop turn: a plain command opens the auto-pipeline, then two new scripts join it.
    const got = await Promise.all([
      client.set('marker', '1'),
      runner.run('enqueue', ...enqueueArgs('a')),
      runner.runBuffer('dequeue', ...dequeueArgs()),
      runner.run('enqueue', ...enqueueArgs('b')),
    ]);
    expect(got.slice(0, 2)).toEqual(['OK', 1]);
    expect((got[2] as Buffer[]).map(String)).toEqual(['a', 'msg-a']);
    expect(got[3]).toBe(1);
    expect(await r.redis.lrange(keys.pendingKey('q'), 0, -1)).toEqual(['b']);
    expect(await r.redis.lrange(keys.activeKey('q'), 0, -1)).toEqual(['a']);
  });

  it('pipe() works on a pipeline created before the script was defined, and after SCRIPT FLUSH', async () => {
    const client = r.server.client();
    const runner = new ScriptRunner(client);
    const p1 = client.pipeline();
    runner.pipe(p1, 'enqueue', ...enqueueArgs('a'));
    runner.pipe(p1, 'enqueue', ...enqueueArgs('a'));
    expect(await p1.exec()).toEqual([[null, 1], [null, 0]]);
    await r.redis.script('FLUSH');
    const p2 = client.pipeline();
    runner.pipe(p2, 'enqueue', ...enqueueArgs('b'));
    expect(await p2.exec()).toEqual([[null, 1]]);
    expect(await r.redis.lrange(keys.pendingKey('q'), 0, -1)).toEqual(['b', 'a']);
    expect(await r.redis.hgetall(keys.taskKey('q', 'b'))).toEqual({msg: 'msg-b', state: 'pending', pending_since: '1'});
  });
});
