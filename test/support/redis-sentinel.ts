/**
 * A throwaway Redis Sentinel topology for tests: one master, `replicas` replicas (`--replicaof`)
 * and `sentinels` sentinels (`redis-server <conf> --sentinel`), all startRedisServer instances on
 * free loopback ports with their own temporary directories, torn down by PID.
 *
 * The sentinels' timers are shortened with SENTINEL DEBUG (Redis >= 7; ignored by older servers)
 * so that discovery and failover take about a second instead of the default 10-20 s.
 */
import {Redis, type RedisOptions} from 'ioredis';
import {startRedisServer, type RedisServer} from './redis-server.js';
import {DirectClients, HARNESS_POLL, infoField, whenReady, type HostPort} from './redis-cluster.js';
import {waitFor} from './wait.js';

export interface RedisSentinelOptions {
  /** Replicas of the master. Default 1. */
  replicas?: number;
  /** Sentinels. Default 3. */
  sentinels?: number;
  /** Default 'mymaster'. */
  masterName?: string;
  /** Sentinels that must agree the master is down. Default: a majority. */
  quorum?: number;
  /** down-after-milliseconds. Default 1000. */
  downAfterMs?: number;
  /** failover-timeout in ms. Default 3000. */
  failoverTimeoutMs?: number;
  /** Extra redis-server arguments for the master and the replicas, e.g. ['--min-replicas-to-write', '1']. */
  dataArgs?: string[];
}

export interface RedisSentinel {
  /** The current master (changes with failover()). */
  readonly master: RedisServer;
  /** The current replicas (change with failover()). */
  readonly replicas: readonly RedisServer[];
  readonly sentinels: readonly HostPort[];
  readonly masterName: string;
  /** ioredis options that reach the master through the sentinels: `{sentinels, name}`. */
  sentinelOptions(): {sentinels: HostPort[]; name: string};
  /** A new ioredis client through the sentinels, ready to use (closed by stop()). */
  client(opts?: RedisOptions): Promise<Redis>;
  /**
   * Fails over and waits until it is complete: every sentinel reports the new master, it is
   * the former replica, it accepts writes, and the former master (unless killed) replicates it.
   * Before the switch it waits (WAIT) until the replicas have every write the master
   * acknowledged, like a planned switchover; writes sent during the switch are not covered.
   * `{kill: true}` SIGKILLs the master and lets the sentinels detect it (down-after + election)
   * instead of sending SENTINEL FAILOVER. Resolves with the new master.
   */
  failover(opts?: {kill?: boolean}): Promise<RedisServer>;
  /** SIGKILLs sentinel `index` (a sentinel that went down); `sentinels` keeps its address. */
  killSentinel(index: number): Promise<void>;
  /** FLUSHALL on the current master. */
  flush(): Promise<void>;
  /** Closes the clients and kills every process by PID. */
  stop(): Promise<void>;
}

/** SENTINEL replies like SENTINEL MASTER: flat [field, value, …] → object. */
function fields(flat: unknown): Record<string, string> {
  const a = flat as string[];
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < a.length; i += 2) out[a[i]!] = a[i + 1]!;
  return out;
}

/**
 * Faster sentinel timers (ms): INFO every 100 ms (default 10 s) so replicas and role changes are
 * seen at once, hello every 500 ms (default 2 s) so sentinels discover each other and the new
 * configuration quickly. Not lower: a sentinel that has not yet heard of a failover turns the
 * promoted replica back into a replica 4 publish periods after it reports the master role, and
 * the leader needs about a second (INFO during failover is fixed at 1 s) to announce it.
 */
const SENTINEL_DEBUG = ['info-period', '100', 'publish-period', '500'];

/** The harness's own write probe; deleted right away, never left in the keyspace. */
const PROBE_KEY = 'asynq-ts-harness:probe';

export async function startRedisSentinel(opts: RedisSentinelOptions = {}): Promise<RedisSentinel> {
  const replicaCount = opts.replicas ?? 1;
  const sentinelCount = opts.sentinels ?? 3;
  const masterName = opts.masterName ?? 'mymaster';
  const quorum = opts.quorum ?? Math.floor(sentinelCount / 2) + 1;
  if (replicaCount < 1) throw new Error('a Sentinel topology needs at least one replica to fail over to');
  const dataArgs = ['--repl-diskless-sync-delay', '0', ...(opts.dataArgs ?? [])];

  const started: RedisServer[] = [];
  const direct = new DirectClients();
  const conn = (n: HostPort): Redis => direct.get(n);
  const clients: Redis[] = [];
  const stop = async (): Promise<void> => {
    for (const c of clients) c.disconnect();
    direct.closeAll();
    await Promise.all(started.map((s) => s.stop()));
  };
  const track = async (p: Promise<RedisServer>): Promise<RedisServer> => {
    const s = await p;
    started.push(s);
    return s;
  };

  let master: RedisServer;
  let replicas: RedisServer[];
  let sentinelServers: RedisServer[];
  try {
    master = await track(startRedisServer({args: dataArgs}));
    replicas = await Promise.all(
      Array.from({length: replicaCount}, () =>
        track(startRedisServer({args: [...dataArgs, '--replicaof', master.host, String(master.port)]})),
      ),
    );
    await waitFor(
      async () =>
        (
          await Promise.all(
            replicas.map(async (r) => infoField(await conn(r).info('replication'), 'master_link_status') === 'up'),
          )
        ).every(Boolean),
      () => 'replicas did not sync with the master',
      10_000,
      HARNESS_POLL,
    );

    const conf = [
      'sentinel resolve-hostnames no',
      `sentinel monitor ${masterName} ${master.host} ${master.port} ${quorum}`,
      `sentinel down-after-milliseconds ${masterName} ${opts.downAfterMs ?? 1000}`,
      `sentinel failover-timeout ${masterName} ${opts.failoverTimeoutMs ?? 3000}`,
      `sentinel parallel-syncs ${masterName} ${replicaCount}`,
      '',
    ].join('\n');
    sentinelServers = await Promise.all(
      Array.from({length: sentinelCount}, () => track(startRedisServer({config: conf, args: ['--sentinel']}))),
    );
    await Promise.all(
      sentinelServers.map(async (s) => {
        try {
          await conn(s).call('SENTINEL', 'DEBUG', ...SENTINEL_DEBUG);
        } catch {
          // Redis < 7 has no SENTINEL DEBUG: slower, still correct
        }
      }),
    );
  } catch (err) {
    await stop();
    throw err;
  }

  const sentinels = sentinelServers.map((s) => ({host: s.host, port: s.port}));
  const byPort = new Map(started.map((s) => [s.port, s]));
  /** The sentinels not killed by killSentinel(). */
  const live = (): RedisServer[] => sentinelServers.filter((s) => started.includes(s));

  /** Every sentinel agrees on the master, knows the other sentinels and sees every replica up. */
  const settled = async (): Promise<boolean> => {
    for (const s of live()) {
      const m = fields(await conn(s).call('SENTINEL', 'MASTER', masterName));
      if (Number(m.port) !== master.port || m.flags !== 'master') return false;
      if (Number(m['num-other-sentinels']) !== sentinelCount - 1) return false;
      const known = ((await conn(s).call('SENTINEL', 'REPLICAS', masterName)) as unknown[]).map(fields);
      for (const r of replicas) {
        const seen = known.find((k) => Number(k.port) === r.port);
        if (
          !seen ||
          seen.flags !== 'slave' ||
          seen['master-link-status'] !== 'ok' ||
          Number(seen['master-port']) !== master.port
        ) {
          return false;
        }
      }
    }
    return true;
  };
  const describeState = async (what: string): Promise<string> => {
    const views = await Promise.all(
      live().map(async (s) => {
        try {
          const m = fields(await conn(s).call('SENTINEL', 'MASTER', masterName));
          const reps = ((await conn(s).call('SENTINEL', 'REPLICAS', masterName)) as unknown[]).map(fields);
          return (
            `sentinel ${s.port}: master ${m.port} ${m.flags} others=${m['num-other-sentinels']} replicas=` +
            reps.map((r) => `${r.port}(${r.flags},${r['master-link-status']},->${r['master-port']})`).join(' ')
          );
        } catch (err) {
          return `sentinel ${s.port}: ${String(err)}`;
        }
      }),
    );
    return `${what} (master ${master.port}, replicas ${replicas.map((r) => r.port).join(',')}):\n${views.join('\n')}`;
  };
  try {
    await waitFor(settled, () => describeState('sentinels did not discover the topology'), 15_000, HARNESS_POLL);
  } catch (err) {
    await stop();
    throw err;
  }

  const topology: RedisSentinel = {
    get master() {
      return master;
    },
    get replicas() {
      return replicas;
    },
    sentinels,
    masterName,
    sentinelOptions: () => ({sentinels: sentinels.map((s) => ({...s})), name: masterName}),
    async client(redisOpts = {}) {
      const c = new Redis({...topology.sentinelOptions(), ...redisOpts});
      clients.push(c);
      return whenReady(c);
    },
    async failover(fo = {}) {
      const old = master;
      // Redis replicates asynchronously and Sentinel promotes a replica without waiting for it to
      // catch up, so a write acknowledged just before the switch can be lost by any failover.
      // Tests are about the clients, not about that: first wait until every replica has it all.
      // WAIT covers this connection's writes, which come after everything acknowledged so far.
      await conn(old).set(PROBE_KEY, '1');
      await conn(old).del(PROBE_KEY);
      const synced = Number(await conn(old).call('WAIT', replicas.length, 5000));
      if (synced < replicas.length)
        throw new Error(`only ${synced} of ${replicas.length} replicas caught up before the failover`);
      if (fo.kill) {
        direct.drop(old);
        started.splice(started.indexOf(old), 1); // RedisServer.stop() must not run twice
        await old.stop();
      } else {
        // NOGOODSLAVE / INPROG right after a previous failover: the sentinel's view is still refreshing.
        await waitFor(
          async () => {
            await conn(live()[0]!).call('SENTINEL', 'FAILOVER', masterName);
            return true;
          },
          () => describeState('SENTINEL FAILOVER was refused'),
          10_000,
          {...HARNESS_POLL, everyMs: 100},
        );
      }
      const others = [...replicas, ...(fo.kill ? [] : [old])];
      /** The new master all sentinels agree on, made current (undefined while they do not agree). */
      const agreed = async (): Promise<RedisServer | undefined> => {
        const addrs = await Promise.all(
          live().map(
            async (s) => (await conn(s).call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName)) as [string, string],
          ),
        );
        const ports = new Set(addrs.map(([, p]) => Number(p)));
        const next = ports.size === 1 && !ports.has(old.port) ? byPort.get([...ports][0]!) : undefined;
        if (next) {
          master = next;
          replicas = others.filter((r) => r !== next);
        }
        return next;
      };
      await waitFor(
        async () => (await agreed()) !== undefined,
        () => describeState('the sentinels did not agree on a new master'),
        20_000,
        HARNESS_POLL,
      );
      const writable = async (): Promise<boolean> => {
        const [role] = (await conn(master).call('ROLE')) as [string];
        if (role !== 'master') return false;
        await conn(master).del(PROBE_KEY); // a write: refused by a replica (or without enough replicas)
        return true;
      };
      // Re-read the agreement each round: under load a failover attempt can time out and the
      // sentinels then promote another replica.
      await waitFor(
        async () => (await agreed()) !== undefined && (await settled()) && (await writable()),
        () => describeState('the failover did not settle'),
        20_000,
        HARNESS_POLL,
      );
      return master;
    },
    async killSentinel(index) {
      const s = sentinelServers[index];
      if (!s || !started.includes(s)) throw new Error(`no running sentinel ${index}`);
      direct.drop(s);
      started.splice(started.indexOf(s), 1);
      await s.stop();
    },
    async flush() {
      await conn(master).flushall();
    },
    stop,
  };
  return topology;
}
