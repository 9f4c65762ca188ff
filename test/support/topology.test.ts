/**
 * Self-test of the topology harness (redis-cluster.ts, redis-sentinel.ts): the topologies are
 * what the broker suites assume — a strict cluster that rejects cross-slot scripts, a Sentinel
 * set-up that really fails over — and stop() leaves no process or directory behind.
 */
import {existsSync} from 'node:fs';
import {afterEach, describe, expect, it} from 'vitest';
import {directClient, infoField, redisCliBinary, startRedisCluster, type RedisCluster} from './redis-cluster.js';
import {startRedisSentinel, type RedisSentinel} from './redis-sentinel.js';
import type {RedisServer} from './redis-server.js';
import {processAlive} from './process.js';

function expectGone(servers: readonly RedisServer[]): void {
  for (const s of servers) {
    expect(processAlive(s.pid)).toBe(false);
    expect(existsSync(s.dir)).toBe(false);
  }
}

let toStop: Array<RedisCluster | RedisSentinel> = [];
afterEach(async () => {
  for (const t of toStop) await t.stop();
  toStop = [];
});

describe('startRedisCluster', () => {
  it('starts 3 masters covering all 16384 slots, rejects cross-slot scripts, and stops every node', async () => {
    const cluster = await startRedisCluster({masters: 3});
    toStop.push(cluster);
    expect(cluster.nodes).toHaveLength(3);
    expect(cluster.addrs).toEqual(cluster.nodes.map((n) => ({host: '127.0.0.1', port: n.port})));
    const ranges = await cluster.slotRanges();
    expect(ranges.map((r) => [r.from, r.to])).toEqual([
      [0, 5460],
      [5461, 10922],
      [10923, 16383],
    ]);
    expect(new Set(ranges.map((r) => r.master.port)).size).toBe(3);
    for (const n of cluster.nodes) {
      expect(infoField((await n.client().call('CLUSTER', 'INFO')) as string, 'cluster_state')).toBe('ok');
    }

    const c = await cluster.client();
    // Keys on every master through the cluster client; each key lands on the master masterOf names.
    for (const key of ['a', 'b', 'c', 'd', 'e', 'f']) {
      await c.set(key, key);
      expect(await (await cluster.masterOf(key)).client().get(key)).toBe(key);
    }
    // Strict: declared keys in two slots, or an undeclared key in another slot, are refused.
    const [ka, kb] = await pickKeysOnTwoMasters(cluster);
    await expect(c.eval('return 1', 2, ka, kb)).rejects.toThrow(/CROSSSLOT/);
    await expect(c.eval(`return redis.call('GET', '${kb}')`, 1, ka)).rejects.toThrow(/slot|non local|cluster/i);

    await cluster.flush();
    for (const n of cluster.nodes) expect(await n.client().dbsize()).toBe(0);
    await cluster.stop();
    toStop = [];
    expectGone(cluster.nodes);
  });

  it('adds replicas that are in sync with their masters', async () => {
    const cluster = await startRedisCluster({masters: 3, replicasPerMaster: 1});
    toStop.push(cluster);
    expect(cluster.nodes).toHaveLength(6);
    const roles = await Promise.all(
      cluster.nodes.map(async (n) => {
        const repl = await n.client().info('replication');
        return [infoField(repl, 'role'), infoField(repl, 'master_link_status') ?? null];
      }),
    );
    expect(roles.filter(([r]) => r === 'master')).toHaveLength(3);
    expect(roles.filter(([r, link]) => r === 'slave' && link === 'up')).toHaveLength(3);
  });

  it('explains how to get redis-cli when it is missing', () => {
    const saved = process.env.REDIS_CLI_BIN;
    process.env.REDIS_CLI_BIN = '/nonexistent/redis-cli';
    try {
      expect(() => redisCliBinary()).toThrow(/redis-cli not found.*apt-get install -y redis-tools.*REDIS_CLI_BIN/);
    } finally {
      if (saved === undefined) delete process.env.REDIS_CLI_BIN;
      else process.env.REDIS_CLI_BIN = saved;
    }
  });
});

/** Two keys whose slots are served by different masters. */
async function pickKeysOnTwoMasters(cluster: RedisCluster): Promise<[string, string]> {
  const first = 'k0';
  const m0 = (await cluster.masterOf(first)).port;
  for (let i = 1; ; i++) {
    if ((await cluster.masterOf(`k${i}`)).port !== m0) return [first, `k${i}`];
  }
}

describe('startRedisSentinel', () => {
  it('starts a master, a replica and 3 sentinels that know both; failover() swaps them; stop() kills all', async () => {
    const topo = await startRedisSentinel({replicas: 1, sentinels: 3, masterName: 'mymaster'});
    toStop.push(topo);
    const {master, replicas} = topo;
    expect(replicas).toHaveLength(1);
    expect(topo.sentinels).toHaveLength(3);
    expect(topo.sentinelOptions()).toEqual({sentinels: topo.sentinels.map((s) => ({...s})), name: 'mymaster'});
    for (const s of topo.sentinels) {
      const c = directSentinel(s.port);
      expect(await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')).toEqual([
        '127.0.0.1',
        String(master.port),
      ]);
      c.disconnect();
    }
    expect(infoField(await replicas[0]!.client().info('replication'), 'master_port')).toBe(String(master.port));

    const client = await topo.client();
    await client.set('before', '1');
    const promoted = await topo.failover();
    expect(promoted).toBe(replicas[0]);
    expect(topo.master).toBe(promoted);
    expect(topo.replicas).toEqual([master]);
    // The old master now replicates the new one; the data survived; the sentinel client follows.
    const oldRepl = await master.client().info('replication');
    expect([
      infoField(oldRepl, 'role'),
      infoField(oldRepl, 'master_port'),
      infoField(oldRepl, 'master_link_status'),
    ]).toEqual(['slave', String(promoted.port), 'up']);
    expect(await promoted.client().get('before')).toBe('1');
    await client.set('after', '2');
    expect(await promoted.client().get('after')).toBe('2');

    await topo.stop();
    toStop = [];
    expectGone([master, promoted]);
    for (const s of topo.sentinels) expect(await reachable(s.port)).toBe(false);
  });
});

const directSentinel = (port: number): ReturnType<typeof directClient> => directClient({host: '127.0.0.1', port});

async function reachable(port: number): Promise<boolean> {
  const c = directSentinel(port);
  try {
    await c.ping();
    return true;
  } catch {
    return false;
  } finally {
    c.disconnect();
  }
}
