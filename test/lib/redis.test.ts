import {spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {Cluster, Redis} from 'ioredis';
import {Client} from '../../src/lib/client.js';
import {ValidationError} from '../../src/lib/errors.js';
import {closeRedisClient, createRedisClient, isRedisInstance, parseRedisURI, type RedisClientOpt} from '../../src/lib/redis.js';
import {Task} from '../../src/lib/task.js';
import {useRedis} from '../support/redis.js';
import {startRedisCluster, type RedisCluster} from '../support/redis-cluster.js';
import {freePort, startRedisServer, type RedisServer} from '../support/redis-server.js';
import {waitFor} from '../support/wait.js';

const r = useRedis();

const SECRET = 'S3cr3t-pw';

describe('parseRedisURI', () => {
  it.each([
    ['redis://localhost:6379', {addr: 'localhost:6379'}],
    ['redis://localhost', {addr: 'localhost:6379'}],
    ['redis://', {addr: 'localhost:6379'}],
    ['redis://10.0.0.1:7000/3', {addr: '10.0.0.1:7000', db: 3}],
    ['redis://localhost:6379/', {addr: 'localhost:6379'}],
    ['redis://localhost:6379/2/ignored', {addr: 'localhost:6379', db: 2}],
    [`redis://:${SECRET}@localhost:6379/1`, {addr: 'localhost:6379', password: SECRET, db: 1}],
    [`redis://alice:${SECRET}@localhost:6379`, {addr: 'localhost:6379', username: 'alice', password: SECRET}],
    ['redis://alice@localhost', {addr: 'localhost:6379', username: 'alice'}],
    ['redis://:p%40ss%2Fword@h:1', {addr: 'h:1', password: 'p@ss/word'}],
    ['redis://:p@ss@h:1', {addr: 'h:1', password: 'p@ss'}], // the last @ ends the user info, as Go's url.Parse
    ['redis://[::1]:6380/4', {addr: '[::1]:6380', db: 4}],
    ['REDIS://Host:1#fragment', {addr: 'Host:1'}],
    ['rediss://cache.example.com:6380/0', {addr: 'cache.example.com:6380', db: 0, tls: {servername: 'cache.example.com'}}],
    [`rediss://:${SECRET}@cache.example.com`, {addr: 'cache.example.com:6379', password: SECRET, tls: {servername: 'cache.example.com'}}],
    ['redis-socket:///var/run/redis.sock', {addr: '/var/run/redis.sock', network: 'unix'}],
    [`redis-socket://:${SECRET}@/tmp/r.sock?db=5`, {addr: '/tmp/r.sock', network: 'unix', password: SECRET, db: 5}],
    ['redis-socket://bob:pw@/tmp/my%20dir/r.sock', {addr: '/tmp/my dir/r.sock', network: 'unix', username: 'bob', password: 'pw'}],
    ['redis-sentinel://s1:26379,s2:26380/mymaster', {masterName: 'mymaster', sentinelAddrs: ['s1:26379', 's2:26380']}],
    [`redis-sentinel://:${SECRET}@s1:26379,s2/mymaster?db=2`,
      {masterName: 'mymaster', sentinelAddrs: ['s1:26379', 's2'], sentinelPassword: SECRET, db: 2}],
    ['redis-sentinel://s1:5000?master=mymaster', {masterName: 'mymaster', sentinelAddrs: ['s1:5000']}], // Go's form
  ])('%s', (uri, want) => {
    expect(parseRedisURI(uri)).toEqual(want);
  });

  it.each([
    [`foo://:${SECRET}@host`, 'unsupported scheme "foo"'],
    [`localhost:6379`, 'expected <scheme>://'],
    [`redis://:${SECRET}@host:port`, 'port "port" of the host is not a number between 1 and 65535'],
    [`redis://:${SECRET}@host:70000`, 'port "70000"'],
    [`redis://:${SECRET}@host:0`, 'port "0"'],
    [`redis://:${SECRET}@host:6379/abc`, 'the first path segment should be a database number, got "abc"'],
    [`redis://:${SECRET}@host:6379/-1`, 'should be a database number'],
    [`redis://:${SECRET}%zz@host`, 'bad percent-encoding in the password'],
    [`redis://:${SECRET}@:6379`, 'missing host name'],
    [`redis-socket://:${SECRET}@`, 'without a socket path'],
    [`redis-socket://:${SECRET}@host/tmp/r.sock`, 'has no host'],
    [`redis-socket://:${SECRET}@/tmp/r.sock?db=x`, 'query parameter db should be a database number, got "x"'],
    [`redis-sentinel://:${SECRET}@s1:26379,s2:26379`, 'without a master name'],
    [`redis-sentinel://:${SECRET}@s1:26379,,s2/m`, 'empty sentinel address'],
    [`redis-sentinel://:${SECRET}@s1:x/m`, 'port "x" of a sentinel address'],
  ])('rejects %s with a clear ValidationError that never shows the password', (uri, fragment) => {
    let caught: unknown;
    try {
      parseRedisURI(uri);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    const e = caught as ValidationError;
    expect(e.message).toContain('invalid redis URI: ');
    expect(e.message).toContain(fragment);
    expect(JSON.stringify({m: e.message, a: e.actions, s: e.stack})).not.toContain(SECRET);
  });

  it('rejects a non-string', () => {
    expect(() => parseRedisURI(42 as unknown as string)).toThrow(ValidationError);
  });
});

describe('createRedisClient', () => {
  it('connects with a URI, selecting the database from the path', async () => {
    // Given
    const {client, owned} = createRedisClient(`${r.server.url}/3`);
    try {
      // When
      await client.set('k', 'via-uri');
      // Then
      expect(owned).toBe(true);
      const db3 = r.server.client({db: 3});
      expect(await db3.get('k')).toBe('via-uri');
      expect(await r.redis.exists('k')).toBe(0);
    } finally {
      await closeRedisClient(client);
    }
    expect(client.status).toBe('end');
  });

  it('connects with a RedisClientOpt object', async () => {
    const {client, owned} = createRedisClient({addr: `127.0.0.1:${r.server.port}`, db: 2});
    try {
      await client.set('k', 'via-options');
      expect(owned).toBe(true);
      expect(await r.server.client({db: 2}).get('k')).toBe('via-options');
    } finally {
      await closeRedisClient(client);
    }
  });

  it('authenticates an ACL user from the URI, and a wrong password fails without showing it', async () => {
    await r.redis.call('ACL', 'SETUSER', 'alice', 'on', `>${SECRET}`, '~*', '&*', '+@all');
    const ok = createRedisClient(`redis://alice:${SECRET}@127.0.0.1:${r.server.port}`).client;
    try {
      expect(await ok.call('ACL', 'WHOAMI')).toBe('alice');
    } finally {
      await closeRedisClient(ok);
    }
    const bad = createRedisClient({
      addr: `127.0.0.1:${r.server.port}`, username: 'alice', password: 'wrong-pw',
      redisOptions: {maxRetriesPerRequest: 0, retryStrategy: () => null},
    }).client;
    try {
      const err = await bad.ping().then(() => undefined, (e: unknown) => e as Error);
      expect(err).toBeInstanceOf(Error);
      expect(err!.message).not.toContain('wrong-pw');
    } finally {
      await closeRedisClient(bad);
    }
  });

  it('hands back a passed-in instance unowned, and a Client does not close it', async () => {
    // Given
    const mine = r.server.client();
    const {client, owned} = createRedisClient(mine);
    expect(client).toBe(mine);
    expect(owned).toBe(false);
    // When
    const c = new Client(mine);
    await c.enqueue(new Task('t', null, {taskId: 'x'}));
    await c.close();
    // Then
    expect(mine.status).toBe('ready');
    expect(await mine.ping()).toBe('PONG');
    expect(await mine.exists('asynq:{default}:t:x')).toBe(1);
  });

  it('closes the connection it created when the Client closes', async () => {
    const c = new Client(r.server.url);
    await c.ping();
    const before = Number(await r.redis.info('clients').then((s) => /connected_clients:(\d+)/.exec(s)![1]));
    await c.close();
    await expect.poll(async () => Number(/connected_clients:(\d+)/.exec(await r.redis.info('clients'))![1])).toBe(before - 1);
    await c.close(); // idempotent
  });

  it('refuses an instance or options with an ioredis keyPrefix (keys must be exactly Go\'s)', async () => {
    const prefixed = new Redis({host: '127.0.0.1', port: r.server.port, keyPrefix: 'app:', lazyConnect: true});
    expect(() => createRedisClient(prefixed)).toThrow(/keyPrefix is not supported/);
    expect(() => new Client({addr: 'localhost:1', redisOptions: {keyPrefix: 'x:'}})).toThrow(ValidationError);
    prefixed.disconnect();
  });

  it('rejects unrecognised option objects and bad fields before connecting', () => {
    expect(() => createRedisClient({} as never)).toThrow(/unrecognised Redis option object/);
    expect(() => createRedisClient({addr: 'localhost:6379', db: -1})).toThrow(/invalid redis db -1/);
    expect(() => createRedisClient({masterName: '', sentinelAddrs: ['a:1']})).toThrow(/masterName cannot be empty/);
    expect(() => createRedisClient({addrs: []})).toThrow(/at least one address/);
    expect(() => createRedisClient('nope://x')).toThrow(ValidationError);
  });

  it('recognises ioredis instances', () => {
    const c = new Redis({lazyConnect: true});
    expect(isRedisInstance(c)).toBe(true);
    expect(isRedisInstance({addr: 'x'})).toBe(false);
    expect(isRedisInstance('redis://x')).toBe(false);
    c.disconnect();
  });
});

describe('createRedisClient over a Unix socket', () => {
  let server: RedisServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'asynq-ts-sock-'));
    server = await startRedisServer({args: ['--unixsocket', join(dir, 'r.sock'), '--unixsocketperm', '700']});
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, {recursive: true, force: true});
  });

  it('connects with redis-socket:// and selects the db from ?db=', async () => {
    const {client} = createRedisClient(`redis-socket://${join(dir, 'r.sock')}?db=4`);
    try {
      await client.set('k', 'via-socket');
      expect(await server.client({db: 4}).get('k')).toBe('via-socket');
      const info = await client.client('INFO') as string;
      expect(info).toMatch(/ laddr=\S*r\.sock/);
    } finally {
      await closeRedisClient(client);
    }
  });
});

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

describe.skipIf(!hasOpenssl)('createRedisClient over TLS (needs openssl for a throwaway certificate)', () => {
  let server: RedisServer;
  let dir: string;
  let tlsPort: number;
  let ca: Buffer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'asynq-ts-tls-'));
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'),
      '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost']);
    if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr.toString()}`);
    ca = readFileSync(join(dir, 'cert.pem'));
    tlsPort = await freePort();
    server = await startRedisServer({args: ['--tls-port', String(tlsPort), '--tls-cert-file', join(dir, 'cert.pem'),
      '--tls-key-file', join(dir, 'key.pem'), '--tls-auth-clients', 'no']});
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, {recursive: true, force: true});
  });

  it('speaks TLS for rediss:// (server name from the host) and verifies the certificate', async () => {
    const parsed = parseRedisURI(`rediss://localhost:${tlsPort}/5`) as RedisClientOpt;
    expect(parsed.tls).toEqual({servername: 'localhost'});
    const {client} = createRedisClient({...parsed, tls: {...(parsed.tls as object), ca}});
    try {
      await client.set('k', 'via-tls');
      expect(await server.client({db: 5}).get('k')).toBe('via-tls');
    } finally {
      await closeRedisClient(client);
    }
    // Without the CA the self-signed certificate is refused: TLS really is in use.
    const untrusted = createRedisClient({
      ...(parseRedisURI(`rediss://localhost:${tlsPort}`) as RedisClientOpt),
      redisOptions: {maxRetriesPerRequest: 0, retryStrategy: () => null},
    }).client;
    try {
      await expect(untrusted.ping()).rejects.toThrow();
    } finally {
      await closeRedisClient(untrusted);
    }
  });
});

/**
 * One Redis Sentinel (redis-server --sentinel, with its own password) watching one master: lighter
 * than test/support/redis-sentinel.ts's topology, which starts its own master, replicas and three
 * sentinels and has no sentinel password.
 */
async function startSentinel(masterPort: number, password: string): Promise<RedisServer> {
  const sentinel = await startRedisServer({
    config: `sentinel monitor mymaster 127.0.0.1 ${masterPort} 1\nrequirepass ${password}\n`, args: ['--sentinel'], password,
  });
  const probe = sentinel.client();
  try {
    await waitFor(async () => Number(((await probe.call('SENTINEL', 'get-master-addr-by-name', 'mymaster')) as string[] | null)?.[1])
      === masterPort, 'the sentinel to report the master', 10_000, {everyMs: 50, retryErrors: true});
  } catch (err) {
    await sentinel.stop();
    throw err;
  }
  return sentinel;
}

describe('createRedisClient through Sentinel', () => {
  let sentinel: RedisServer;
  beforeAll(async () => {
    sentinel = await startSentinel(r.server.port, SECRET);
  });
  afterAll(async () => {
    await sentinel?.stop();
  });

  it('finds the master via redis-sentinel:// (password = the sentinels\', as in Go) and writes to it', async () => {
    const {client, owned} = createRedisClient(`redis-sentinel://:${SECRET}@127.0.0.1:${sentinel.port}/mymaster?db=1`);
    try {
      await client.set('k', 'via-sentinel');
      expect(owned).toBe(true);
      expect(await r.server.client({db: 1}).get('k')).toBe('via-sentinel');
    } finally {
      await closeRedisClient(client);
    }
  });

  it('follows failovers by default (failoverDetector, READONLY reconnect, retries <= 500 ms); redisOptions override', () => {
    const opt = {masterName: 'mymaster', sentinelAddrs: ['127.0.0.1:1'], redisOptions: {lazyConnect: true}};
    const {client} = createRedisClient(opt) as {client: Redis};
    expect(client.options.failoverDetector).toBe(true);
    expect([1, 4, 100].map((n) => client.options.retryStrategy!(n))).toEqual([50, 200, 500]);
    expect(client.options.reconnectOnError!(new Error('READONLY You can\'t write against a read only replica.'))).toBe(2);
    expect(client.options.reconnectOnError!(new Error('NOREPLICAS Not enough good replicas to write.'))).toBe(false);
    client.disconnect();
    const custom = createRedisClient({...opt, redisOptions: {lazyConnect: true, failoverDetector: false}}).client as Redis;
    expect(custom.options.failoverDetector).toBe(false);
    custom.disconnect();
  });

  it('reconnects when the failover detector cuts a reconnect short (ioredis would end the client for good)', async () => {
    const opt = {masterName: 'mymaster', sentinelAddrs: [`127.0.0.1:${sentinel.port}`], sentinelPassword: SECRET};
    type Internals = Redis & {connector: {disconnect(): void}};
    const c = createRedisClient(opt).client as Internals;
    try {
      await c.ping();
      // What FailoverDetector does on +switch-master, while the client asks the sentinels for the master.
      c.once('connecting', () => c.connector.disconnect());
      const ended = new Promise((res) => c.once('end', res));
      c.disconnect(true);
      // A command sent during the outage waits for the reconnect (ioredis failed it with
      // "Connection is closed.": enqueues sent during a failover were lost that way).
      const during = c.echo('sent while reconnecting');
      await ended;
      await new Promise((res) => c.once('ready', res));
      expect(await during).toBe('sent while reconnecting');
      expect(await c.ping()).toBe('PONG');
      // Its duplicates (the cancelation subscriber's connection) too.
      const dup = c.duplicate() as Internals;
      await dup.ping();
      dup.once('connecting', () => dup.connector.disconnect());
      dup.disconnect(true);
      await new Promise((res) => dup.once('end', res));
      await new Promise((res) => dup.once('ready', res));
      expect(await dup.ping()).toBe('PONG');
      dup.disconnect();
    } finally {
      await closeRedisClient(c);
    }
    // disconnect() while connecting is final, as in ioredis.
    const d = createRedisClient(opt).client as Internals;
    d.once('connecting', () => d.disconnect());
    await new Promise((res) => d.once('end', res));
    await new Promise((res) => setTimeout(res, 200));
    expect(d.status).toBe('end');
  });

  it('finds the master via a RedisFailoverClientOpt and enqueues through a Client', async () => {
    const c = new Client({masterName: 'mymaster', sentinelAddrs: [`127.0.0.1:${sentinel.port}`], sentinelPassword: SECRET});
    try {
      const info = await c.enqueue(new Task('t', 'p', {taskId: 'via-sentinel'}));
      expect(info.state).toBe('pending');
      expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['via-sentinel']);
    } finally {
      await c.close();
    }
  });
});

describe('createRedisClient on Redis Cluster', () => {
  let cluster: RedisCluster;
  let node: RedisServer;
  beforeAll(async () => {
    cluster = await startRedisCluster({masters: 1});
    node = cluster.nodes[0]!;
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('connects with a RedisClusterClientOpt and runs the enqueue scripts (all keys of a queue in one slot)', async () => {
    const c = new Client({addrs: [`127.0.0.1:${node.port}`], maxRedirects: 3});
    try {
      await c.enqueue(new Task('t', 'p', {taskId: 'a'}), {queue: 'q', unique: '1h'});
      const many = await c.enqueueMany([new Task('t', 'x', {taskId: 'b'}), new Task('t', 'y', {taskId: 'c', queue: 'other'})]);
      expect(many.every((x) => !(x instanceof Error))).toBe(true);
      const check = node.client();
      expect(await check.lrange('asynq:{q}:pending', 0, -1)).toEqual(['a']);
      expect(await check.lrange('asynq:{default}:pending', 0, -1)).toEqual(['b']);
      expect(await check.lrange('asynq:{other}:pending', 0, -1)).toEqual(['c']);
      expect((await check.smembers('asynq:queues')).sort()).toEqual(['default', 'other', 'q']);
    } finally {
      await c.close();
    }
  });

  it('hands back a passed-in Cluster unowned', async () => {
    const cluster = new Cluster([{host: '127.0.0.1', port: node.port}]);
    try {
      const c = new Client(cluster);
      await c.ping();
      await c.close();
      expect(cluster.status).toBe('ready');
    } finally {
      cluster.disconnect();
    }
  });
});
