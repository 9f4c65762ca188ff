/**
 * Server facts for `asynq stats` (Go RDB.RedisInfo / RDB.RedisClusterInfo): INFO, or CLUSTER INFO
 * on a Redis Cluster, parsed into `field → value`.
 */
import {Cluster} from 'ioredis';
import {redisOp} from './redis-op.js';
import type {RedisClient} from './script-runner.js';

/** Parses `key:value` lines (INFO and CLUSTER INFO); `# Section` headers and blank lines are skipped. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** True for an ioredis Cluster client. */
export function isCluster(client: RedisClient): boolean {
  return client instanceof Cluster || (client as {isCluster?: unknown}).isCluster === true;
}

/** INFO of the server (any node of a Cluster: CLUSTER INFO instead, as Go's CLI shows). */
export async function redisInfo(client: RedisClient): Promise<Record<string, string>> {
  if (isCluster(client)) {
    return parseInfo(String(await redisOp('redisClusterInfo', () => client.call('CLUSTER', 'INFO'))));
  }
  return parseInfo(await redisOp('redisInfo', () => client.info()));
}
