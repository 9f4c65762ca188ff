/**
 * A throwaway Redis Cluster for tests: `masters` (+ `replicasPerMaster` each) redis-server nodes
 * with `--cluster-enabled yes` on free loopback ports, joined by `redis-cli --cluster create`,
 * torn down by PID (each node is a startRedisServer instance with its own temporary directory).
 * `masters: 1` is a lone node that serves every slot (CLUSTER ADDSLOTSRANGE, no redis-cli): enough
 * for CLUSTER KEYSLOT/SLOTS/INFO and an ioredis Cluster client, and the fastest to start.
 *
 * A cluster cannot be FLUSHALLed through one connection: flush() runs FLUSHALL on every master.
 * `useRedisCluster()` is the per-file vitest fixture (like useRedis): one cluster per test file,
 * flushed before each test.
 */
import {spawnSync} from 'node:child_process';
import {afterAll, beforeAll, beforeEach} from 'vitest';
import {Cluster, Redis, type ClusterOptions} from 'ioredis';
import {startRedisServer, type RedisServer} from './redis-server.js';
import {waitFor} from './wait.js';

export interface RedisClusterOptions {
  /** Number of masters: 1 (a lone node, no replicas), or >= 3 (redis-cli refuses 2). Default 3. */
  masters?: number;
  /** Replicas per master. Default 0. */
  replicasPerMaster?: number;
  /** cluster-node-timeout in ms. Default 2000. */
  nodeTimeoutMs?: number;
}

export interface HostPort {
  host: string;
  port: number;
}

/** One slot range and the node that serves it (CLUSTER SLOTS, master only). */
interface SlotRange {
  from: number;
  to: number;
  master: RedisServer;
}

export interface RedisCluster {
  /** Every node, in the order they were handed to `redis-cli --cluster create` (masters first). */
  readonly nodes: readonly RedisServer[];
  /** `{host, port}` of every node (seed list for ioredis Cluster). */
  readonly addrs: readonly HostPort[];
  /** A new ioredis Cluster client, ready to use (closed by stop()). */
  client(opts?: ClusterOptions): Promise<Cluster>;
  /** CLUSTER KEYSLOT key. */
  keySlot(key: string): Promise<number>;
  /** The slot ranges and their masters, as the cluster reports them now. */
  slotRanges(): Promise<SlotRange[]>;
  /** The master that serves key's slot. */
  masterOf(key: string): Promise<RedisServer>;
  /** FLUSHALL on every master (replicas follow). */
  flush(): Promise<void>;
  /** Closes the clients and kills every node by PID. */
  stop(): Promise<void>;
}

const CLUSTER_SLOTS = 16384;

/** The harness polls nodes every 50 ms; a node still loading or reconfiguring may throw meanwhile. */
export const HARNESS_POLL = {everyMs: 50, retryErrors: true};

export function redisCliBinary(): string {
  const bin = process.env.REDIS_CLI_BIN ?? 'redis-cli';
  const probe = spawnSync(bin, ['--version'], {encoding: 'utf8'});
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `redis-cli not found (tried "${bin}"); it is needed to create a Redis Cluster. ` +
        'Install it (Debian: apt-get install -y redis-tools) or set REDIS_CLI_BIN to its path.',
    );
  }
  return bin;
}

/** A plain (non-cluster) connection to one node that fails fast instead of retrying. */
export function directClient(node: HostPort): Redis {
  const c = new Redis({
    host: node.host,
    port: node.port,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
    lazyConnect: false,
  });
  c.on('error', () => {});
  return c;
}

/**
 * The harness's own connections, one per node, reopened when they were closed (a node restarts,
 * or sentinel's reconfiguration sends CLIENT KILL TYPE normal).
 */
export class DirectClients {
  readonly #byPort = new Map<number, Redis>();

  get(node: HostPort): Redis {
    let c = this.#byPort.get(node.port);
    if (!c || c.status === 'end' || c.status === 'close') {
      c?.disconnect();
      this.#byPort.set(node.port, (c = directClient(node)));
    }
    return c;
  }

  drop(node: HostPort): void {
    this.#byPort.get(node.port)?.disconnect();
    this.#byPort.delete(node.port);
  }

  closeAll(): void {
    for (const c of this.#byPort.values()) c.disconnect();
    this.#byPort.clear();
  }
}

/** Resolves with the client once it is ready (connected, and for a Cluster: slots loaded). */
export async function whenReady<T extends Redis | Cluster>(c: T): Promise<T> {
  if (c.status !== 'ready') {
    await new Promise<void>((resolve, reject) => {
      c.once('ready', () => resolve());
      c.once('end', () => reject(new Error('the client closed before it was ready')));
    });
  }
  return c;
}

/** One `field:value` line of an INFO (or CLUSTER INFO) reply. */
export function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

export async function startRedisCluster(opts: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = opts.masters ?? 3;
  const replicas = opts.replicasPerMaster ?? 0;
  const lone = masters === 1;
  if (!Number.isInteger(masters) || (masters < 3 && !lone))
    throw new Error('a Redis Cluster needs 1 or at least 3 masters');
  if (!Number.isInteger(replicas) || replicas < 0) throw new Error('replicasPerMaster must be a whole number >= 0');
  if (lone && replicas > 0) throw new Error('a one-node cluster has no replicas');
  const cli = lone ? '' : redisCliBinary();
  const count = masters * (1 + replicas);
  const settled = await Promise.allSettled(
    Array.from({length: count}, () =>
      startRedisServer({
        args: [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          String(opts.nodeTimeoutMs ?? 2000),
          // Replicas sync at once (the default waits 5 s for more replicas before a diskless sync).
          '--repl-diskless-sync-delay',
          '0',
          // A lone node never learns its address from a peer: CLUSTER SLOTS would report "".
          ...(lone ? ['--cluster-announce-ip', '127.0.0.1'] : []),
        ],
      }),
    ),
  );
  const nodes = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  const direct = new DirectClients();
  const conn = (n: RedisServer): Redis => direct.get(n);
  const clients: Cluster[] = [];
  const stop = async (): Promise<void> => {
    for (const c of clients) c.disconnect();
    direct.closeAll();
    await Promise.all(nodes.map((n) => n.stop()));
  };
  if (failed) {
    await stop();
    throw failed.reason;
  }
  try {
    if (lone) {
      await conn(nodes[0]!).call('CLUSTER', 'ADDSLOTSRANGE', '0', String(CLUSTER_SLOTS - 1));
    } else {
      const created = spawnSync(
        cli,
        [
          '--cluster',
          'create',
          ...nodes.map((n) => `${n.host}:${n.port}`),
          '--cluster-replicas',
          String(replicas),
          '--cluster-yes',
        ],
        {encoding: 'utf8', timeout: 30_000},
      );
      if (created.error || created.status !== 0) {
        throw new Error(
          `redis-cli --cluster create failed (${created.error?.message ?? `exit ${created.status}`}):\n` +
            `${created.stdout}\n${created.stderr}`,
        );
      }
    }
    // Every node sees the full cluster and all slots served; every replica is in sync.
    await waitFor(
      async () => {
        for (const n of nodes) {
          const info = (await conn(n).call('CLUSTER', 'INFO')) as string;
          if (infoField(info, 'cluster_state') !== 'ok') return false;
          if (Number(infoField(info, 'cluster_known_nodes')) !== count) return false;
          if (Number(infoField(info, 'cluster_slots_ok')) !== CLUSTER_SLOTS) return false;
        }
        for (const n of nodes) {
          const repl = await conn(n).info('replication');
          if (infoField(repl, 'role') === 'slave' && infoField(repl, 'master_link_status') !== 'up') return false;
        }
        return true;
      },
      async () => {
        const states = await Promise.all(
          nodes.map(async (n) => {
            const info = await (conn(n).call('CLUSTER', 'INFO') as Promise<string>).catch((e: Error) => e.message);
            return `${n.port}: ${info.split('\n').slice(0, 3).join(' ').replace(/\r/g, '')}`;
          }),
        );
        return `Redis Cluster did not become ready:\n${states.join('\n')}`;
      },
      15_000,
      HARNESS_POLL,
    );
  } catch (err) {
    await stop();
    throw err;
  }

  const byPort = new Map(nodes.map((n) => [n.port, n]));
  const cluster: RedisCluster = {
    nodes,
    addrs: nodes.map((n) => ({host: n.host, port: n.port})),
    async client(clusterOpts = {}) {
      const c = new Cluster(
        nodes.map((n) => ({host: n.host, port: n.port})),
        clusterOpts,
      );
      clients.push(c);
      return whenReady(c);
    },
    async keySlot(key) {
      return Number(await conn(nodes[0]!).call('CLUSTER', 'KEYSLOT', key));
    },
    async slotRanges() {
      const raw = (await conn(nodes[0]!).call('CLUSTER', 'SLOTS')) as Array<
        [number, number, [string, number, ...unknown[]], ...unknown[]]
      >;
      return raw
        .map(([from, to, [, port]]) => {
          const master = byPort.get(Number(port));
          if (!master) throw new Error(`CLUSTER SLOTS names a node this harness did not start: port ${port}`);
          return {from: Number(from), to: Number(to), master};
        })
        .sort((a, b) => a.from - b.from);
    },
    async masterOf(key) {
      const slot = await cluster.keySlot(key);
      const range = (await cluster.slotRanges()).find((r) => r.from <= slot && slot <= r.to);
      if (!range) throw new Error(`no node serves slot ${slot}`);
      return range.master;
    },
    async flush() {
      await Promise.all(
        nodes.map(async (n) => {
          const [role] = (await conn(n).call('ROLE')) as [string];
          if (role === 'master') await conn(n).flushall();
        }),
      );
    },
    stop,
  };
  return cluster;
}

export interface RedisClusterFixture {
  cluster: RedisCluster;
  /** A shared ioredis Cluster client. */
  redis: Cluster;
}

/** Per-file fixture: one cluster for the file (beforeAll), flushed before each test, stopped afterwards. */
export function useRedisCluster(opts: RedisClusterOptions & {flushEach?: boolean} = {}): RedisClusterFixture {
  const fx = {} as RedisClusterFixture;
  beforeAll(async () => {
    fx.cluster = await startRedisCluster(opts);
    fx.redis = await fx.cluster.client();
  });
  if (opts.flushEach ?? true) {
    beforeEach(async () => {
      await fx.cluster.flush();
    });
  }
  afterAll(async () => {
    await fx.cluster?.stop();
  });
  return fx;
}
