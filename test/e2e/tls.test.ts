/**
 * TLS: the `asynq` CLI and the library against a TLS-only redis-server (`--port 0 --tls-port`),
 * with a CA, server and client certificates made by openssl in the test. Nothing prints Node's
 * DEP0123 warning (an IP address as TLS server name); a server certificate that cannot be
 * verified is exit 5 with the fix; a bad PEM file is exit 2 naming it.
 */
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {Client} from '../../src/lib/client.js';
import {createRedisClient, closeRedisClient} from '../../src/lib/redis.js';
import {Task} from '../../src/lib/task.js';
import {ensureBuilt, runCli, runCliInProcess, type CliResult} from '../support/cli.js';
import {startRedisServer, type RedisServer} from '../support/redis-server.js';
import {hasOpenssl, makeTlsFiles, type TlsFiles} from '../support/tls.js';

describe.skipIf(!hasOpenssl)('TLS (needs openssl for throwaway certificates)', () => {
  let dir: string;
  let files: TlsFiles;
  /** Does not ask for a client certificate. */
  let open: RedisServer;
  /** Requires a client certificate signed by the CA. */
  let mtls: RedisServer;

  beforeAll(async () => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'asynq-ts-tls-'));
    files = makeTlsFiles(dir);
    [open, mtls] = await Promise.all([
      startRedisServer({tls: {...files, authClients: false}}),
      startRedisServer({tls: {...files, authClients: true}}),
    ]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([open?.stop(), mtls?.stop()]);
    rmSync(dir, {recursive: true, force: true});
  });

  const stats = (server: RedisServer, ...flags: string[]): Promise<CliResult> =>
    runCli(['stats', '--uri', server.url, ...flags]);

  /** A failure is one message line (and Try: hints), no stack trace. */
  function expectOneLine(r: Pick<CliResult, 'stderr'>, message: RegExp): void {
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => !/^\s*Try:|^\s{2,}\S/.test(l));
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }

  it('connects over rediss://127.0.0.1 with --tls-ca-cert and prints no warning', async () => {
    const r = await stats(open, '--tls-ca-cert', files.ca);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('refuses an unverifiable server certificate with exit 5, the reason and the fix', async () => {
    const r = await stats(open);
    expect(r.code).toBe(5);
    expectOneLine(
      r,
      /^Error: cannot connect to Redis at 127\.0\.0\.1:\d+ over TLS \(from flags\): self[- ]signed certificate in certificate chain$/,
    );
    expect(r.stderr).toContain('--tls-ca-cert');
  });

  it('hints at TLS when a plain connection is reset by a TLS-only port', async () => {
    const r = await runCli(['stats', '--uri', `127.0.0.1:${open.port}`]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('rediss://… or --tls');
  });

  it('skips verification with --tls-insecure', async () => {
    const r = await stats(open, '--tls-insecure');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('checks the certificate against --tls-server, an IP address too, without a warning', async () => {
    for (const name of ['localhost', '127.0.0.1']) {
      const r = await stats(open, '--tls-ca-cert', files.ca, '--tls-server', name);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
    const wrong = await stats(open, '--tls-ca-cert', files.ca, '--tls-server', 'other.example');
    expect(wrong.code).toBe(5);
    expect(wrong.stderr).toContain('--tls-server');
  });

  it('presents a client certificate with --tls-cert/--tls-key, and says so when the server wants one', async () => {
    const ok = await stats(
      mtls,
      '--tls-ca-cert',
      files.ca,
      '--tls-cert',
      files.clientCert,
      '--tls-key',
      files.clientKey,
    );
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const without = await stats(mtls, '--tls-ca-cert', files.ca);
    expect(without.code).toBe(5);
    // OpenSSL's alert, or the close that follows it when the client reads that first (TLS 1.3:
    // the server checks the client's certificate after the client's side of the handshake).
    expectOneLine(without, /^Error: cannot connect to Redis at .* over TLS \(from flags\): .*(alert|ECONNRESET).*$/);
    expect(without.stderr).toContain('--tls-cert');
  });

  it('rejects a missing or non-PEM file with exit 2 naming it, before connecting', async () => {
    const missing = join(dir, 'no-such.pem');
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate\n');
    const cases = [
      [['--tls-ca-cert', missing], `CA certificate file ${missing} does not exist`],
      [['--tls-ca-cert', garbage], `CA certificate file ${garbage} is not a PEM certificate`],
      [
        ['--tls-cert', garbage, '--tls-key', files.clientKey],
        `client certificate file ${garbage} is not a PEM certificate`,
      ],
      [['--tls-cert', files.clientCert, '--tls-key', garbage], `client key file ${garbage} is not a PEM private key`],
      [
        ['--tls-cert', files.clientCert, '--tls-key', files.serverKey],
        `client key file ${files.serverKey} does not belong to`,
      ],
      [['--tls-cert', files.clientCert], '--tls-cert and --tls-key go together'],
    ] as const;
    for (const [flags, message] of cases) {
      const r = await runCliInProcess(['stats', '--uri', open.url, ...flags]);
      expect(r.code, r.stderr).toBe(2);
      expectOneLine(r, new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    }
  });

  it('reads the TLS settings from the config file (paths relative to it) and from ASYNQ_TLS_*', async () => {
    const config = join(dir, 'asynq.yml');
    writeFileSync(config, `uri: ${mtls.url}\ntls_ca_cert: ca.crt\ntls_cert: client.crt\ntls_key: ${files.clientKey}\n`);
    const noUrl = {ASYNQ_REDIS_URL: undefined};
    const fromConfig = await runCli(['stats', '--config', config], {env: noUrl});
    expect(fromConfig.stderr).toBe('');
    expect(fromConfig.code).toBe(0);
    writeFileSync(config, `uri: 127.0.0.1:${open.port}\ntls_server: localhost\ninsecure: true\n`); // Go asynq CLI's keys
    expect((await runCli(['stats', '--config', config], {env: noUrl})).code).toBe(0);
    const fromEnv = await runCli(['stats'], {
      env: {
        ASYNQ_REDIS_URL: mtls.url,
        ASYNQ_TLS_CA_CERT: files.ca,
        ASYNQ_TLS_CERT: files.clientCert,
        ASYNQ_TLS_KEY: files.clientKey,
      },
    });
    expect(fromEnv.stderr).toBe('');
    expect(fromEnv.code).toBe(0);
  });

  it('library: a Client with the tls option enqueues, and no DEP0123 warning is emitted', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): number => warnings.push(w);
    process.on('warning', onWarning);
    const ca = readFileSync(files.ca);
    const client = new Client({
      addr: `127.0.0.1:${mtls.port}`,
      tls: {ca, cert: readFileSync(files.clientCert), key: readFileSync(files.clientKey)},
    });
    try {
      const info = await client.enqueue(new Task('tls:check', Buffer.from('{}')));
      expect(await mtls.client().hget(`asynq:{default}:t:${info.id}`, 'state')).toBe('pending');
    } finally {
      await client.close();
    }
    // An IP address as servername (as rediss://127.0.0.1 used to set) is checked, not sent.
    const {client: redis} = createRedisClient({addr: `127.0.0.1:${open.port}`, tls: {ca, servername: '127.0.0.1'}});
    try {
      expect(await redis.ping()).toBe('PONG');
    } finally {
      await closeRedisClient(redis);
    }
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    expect(warnings.map((w) => w.message)).toEqual([]);
  });

  it('library: Sentinel over TLS (sentinel and master), and Cluster nodes get the same TLS options', async () => {
    const ca = readFileSync(files.ca);
    const sentinel = await startRedisServer({
      config: `sentinel monitor tlsmaster 127.0.0.1 ${open.port} 1\n`,
      args: ['--sentinel', '--tls-replication', 'yes'],
      tls: {...files, authClients: false},
    });
    const {client} = createRedisClient({
      masterName: 'tlsmaster',
      sentinelAddrs: [`127.0.0.1:${sentinel.port}`],
      tls: {ca},
    });
    try {
      await client.set('via-sentinel-tls', '1');
      expect(await open.client().get('via-sentinel-tls')).toBe('1');
    } finally {
      await closeRedisClient(client);
      await sentinel.stop();
    }
    const {client: cluster} = createRedisClient({
      addrs: ['127.0.0.1:1'],
      tls: {ca, servername: '127.0.0.1'},
      clusterOptions: {lazyConnect: true},
    });
    const nodeTls = (cluster.options as {redisOptions?: {tls?: Record<string, unknown>}}).redisOptions?.tls;
    expect(nodeTls?.ca).toBe(ca);
    expect(nodeTls).not.toHaveProperty('servername');
    cluster.disconnect();
  });
});
