/**
 * What ScriptRunner relies on in ioredis' private auto-pipelining state (script-runner.ts
 * pendingAutoPipelines): if an ioredis release changes it, these fail instead of the worker
 * silently defining every script up front again (slower, only a benchmark would notice).
 */
import {describe, expect, it} from 'vitest';
import {Cluster, Redis} from 'ioredis';
import {pendingAutoPipelines, ScriptRunner} from '../../../src/lib/broker/script-runner.js';
import * as keys from '../../../src/lib/base/keys.js';
import {useRedis} from '../../support/redis.js';

const r = useRedis();

const pending = (client: Redis): Array<Record<string, unknown>> => [...(pendingAutoPipelines(client) ?? [])];

describe('ioredis auto-pipelines as ScriptRunner uses them', () => {
  it('every Redis and Cluster client has the map, empty while nothing is pending', () => {
    const redis = new Redis({lazyConnect: true});
    const cluster = new Cluster([{host: '127.0.0.1', port: 1}], {lazyConnect: true});
    try {
      expect(pendingAutoPipelines(redis)).toBeDefined();
      expect([...pendingAutoPipelines(redis)!]).toEqual([]);
      expect(pendingAutoPipelines(cluster)).toBeDefined();
      expect([...pendingAutoPipelines(cluster)!]).toEqual([]);
    } finally {
      redis.disconnect();
      cluster.disconnect();
    }
  });

  it('with enableAutoPipelining a command waits in a pipeline the map shows, until the next event-loop turn', async () => {
    const client = r.server.client();
    client.options.enableAutoPipelining = true;
    await client.ping();
    const reply = client.set('k', '1');
    const filling = pending(client);
    expect(filling).toHaveLength(1);
    expect(filling[0]!.length).toBe(1);
    expect(await reply).toBe('OK');
    expect(pending(client)).toEqual([]);
  });

  it('a pipeline gets the commands its client has when it is created, not those defined later', () => {
    const client = r.server.client();
    const early = client.pipeline() as unknown as Record<string, unknown>;
    client.defineCommand('probe', {numberOfKeys: 0, lua: 'return 1'});
    expect(early.probe).toBeUndefined();
    expect(typeof (client.pipeline() as unknown as Record<string, unknown>).probe).toBe('function');
  });

  it('a script ScriptRunner defines while an auto-pipeline is filling is copied onto that pipeline', async () => {
    const client = r.server.client();
    client.options.enableAutoPipelining = true;
    await client.ping();
    const runner = new ScriptRunner(client);
    const marker = client.set('marker', '1');
    const [filling] = pending(client);
    expect(filling!.asynq_enqueue).toBeUndefined();
    const enqueued = runner.run('enqueue', [keys.taskKey('q', 'a'), keys.pendingKey('q')], ['msg-a', 'a', '1']);
    expect(filling!.asynq_enqueue).toBe((client as unknown as Record<string, unknown>).asynq_enqueue);
    expect(filling!.asynq_enqueueBuffer).toBe((client as unknown as Record<string, unknown>).asynq_enqueueBuffer);
    expect(await Promise.all([marker, enqueued])).toEqual(['OK', 1]);
    expect(await r.redis.lrange(keys.pendingKey('q'), 0, -1)).toEqual(['a']);
  });
});
