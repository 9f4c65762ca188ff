/**
 * Throwaway redis-server instances for tests.
 *
 * Every test file starts its own server on a free loopback port with its own temporary
 * directory, and stops it by PID afterwards (also when tests fail or the worker dies).
 * Never touches port 6379 and never flushes a server it did not start.
 */
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {createServer} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {Redis, type RedisOptions} from 'ioredis';
import type {TlsFiles} from './tls.js';

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  readonly dir: string;
  readonly url: string;
  /** A new ioredis client to this server (closed by stop()). */
  client(opts?: {db?: number}): Redis;
  /** Deletes everything on this server (safe: we started it). */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = (): void => {
    for (const p of live) {
      try {
        p.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  };
  process.on('exit', killAll);
}

function redisServerBinary(): string {
  const bin = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  const probe = spawnSync(bin, ['--version'], {encoding: 'utf8'});
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `redis-server not found (tried "${bin}"). Install it (Debian: apt-get install -y redis-server redis-tools redis-sentinel) ` +
        'or set REDIS_SERVER_BIN to its path.',
    );
  }
  return bin;
}

export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.unref();
      srv.on('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    // Redis cluster uses port+10000 for its bus; keep room for that too.
    if (port !== 6379 && port > 1024 && port + 10000 < 65536) return port;
  }
}

async function waitReady(
  port: number,
  child: ChildProcess,
  deadlineMs: number,
  password?: string,
  tls?: RedisOptions['tls'],
): Promise<void> {
  const start = Date.now();
  let lastErr: unknown;
  while (Date.now() - start < deadlineMs) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const c = new Redis({
      host: '127.0.0.1',
      port,
      password,
      tls,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.ping();
      c.disconnect();
      return;
    } catch (err) {
      lastErr = err;
      c.disconnect();
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error(`redis-server on port ${port} did not become ready: ${String(lastErr)}`);
}

export interface StartOptions {
  /** Extra redis-server arguments, e.g. ['--cluster-enabled', 'yes']. */
  args?: string[];
  port?: number;
  /**
   * Config file text: written to `<dir>/redis.conf` and passed as the first argument (before the
   * generated `--port …` options). Sentinel mode needs this: it rewrites its config file.
   */
  config?: string;
  /** The password the server requires (its requirepass), for the readiness probe and client(). */
  password?: string;
  /**
   * TLS only (no plain port; `url` is rediss://), with these certificates (test/support/tls.ts).
   * `authClients`: whether the server requires a client certificate (the harness's own
   * connections present the server certificate, which is also a client one).
   */
  tls?: TlsFiles & {authClients: boolean};
}

export async function startRedisServer(opts: StartOptions = {}): Promise<RedisServer> {
  const bin = redisServerBinary();
  installExitHook();
  for (let attempt = 0; ; attempt++) {
    const port = opts.port ?? (await freePort());
    const dir = mkdtempSync(join(tmpdir(), 'asynq-ts-redis-'));
    const confArgs: string[] = [];
    if (opts.config !== undefined) {
      writeFileSync(join(dir, 'redis.conf'), opts.config);
      confArgs.push(join(dir, 'redis.conf'));
    }
    const t = opts.tls;
    const tlsArgs =
      t === undefined
        ? []
        : [
            '--port',
            '0',
            '--tls-port',
            String(port),
            '--tls-cert-file',
            t.serverCert,
            '--tls-key-file',
            t.serverKey,
            '--tls-ca-cert-file',
            t.ca,
            '--tls-auth-clients',
            t.authClients ? 'yes' : 'no',
          ];
    const tls =
      t === undefined
        ? undefined
        : {ca: readFileSync(t.ca), cert: readFileSync(t.serverCert), key: readFileSync(t.serverKey)};
    const child = spawn(
      bin,
      [
        ...confArgs,
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        '--logfile',
        join(dir, 'redis.log'),
        ...tlsArgs,
        ...(opts.args ?? []),
      ],
      {stdio: 'ignore'},
    );
    live.add(child);
    try {
      await waitReady(port, child, 10_000, opts.password, tls);
    } catch (err) {
      child.kill('SIGKILL');
      live.delete(child);
      rmSync(dir, {recursive: true, force: true});
      if (attempt < 3 && opts.port === undefined) continue; // port raced away; try another
      throw err;
    }
    const clients: Redis[] = [];
    const server: RedisServer = {
      host: '127.0.0.1',
      port,
      pid: child.pid!,
      dir,
      url: `${t === undefined ? 'redis' : 'rediss'}://127.0.0.1:${port}`,
      client(o = {}) {
        const c = new Redis({
          host: '127.0.0.1',
          port,
          password: opts.password,
          tls,
          db: o.db ?? 0,
          maxRetriesPerRequest: 1,
        });
        clients.push(c);
        return c;
      },
      async flush() {
        const c = new Redis({host: '127.0.0.1', port, password: opts.password, tls});
        try {
          await c.flushall();
        } finally {
          c.disconnect();
        }
      },
      async stop() {
        for (const c of clients) c.disconnect();
        // A server killed by a signal (a failover test) has signalCode set and exitCode null.
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise<void>((r) => child.once('exit', () => r()));
          try {
            process.kill(child.pid!, 'SIGKILL');
            await exited;
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // already gone
          }
        }
        live.delete(child);
        rmSync(dir, {recursive: true, force: true});
      },
    };
    return server;
  }
}
