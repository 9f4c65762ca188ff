/**
 * A throwaway redis-server for the benchmarks: free loopback port, temporary directory, no
 * persistence (no RDB snapshots, no AOF), stopped by PID. A small copy of test/support/redis-server.ts,
 * so that `npm run bench` needs nothing but the compiled lib/ at run time.
 */
import {spawn, spawnSync} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {createServer} from 'node:net';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {Redis} from 'ioredis';

const live = new Set();
process.on('exit', () => {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/** `redis-server --version` text, e.g. "7.0.15"; throws with install advice when missing. */
export function redisServerVersion(bin = process.env.REDIS_SERVER_BIN ?? 'redis-server') {
  const probe = spawnSync(bin, ['--version'], {encoding: 'utf8'});
  if (probe.error || probe.status !== 0) {
    throw new Error(`redis-server not found (tried "${bin}"). Debian: apt-get install -y redis-server redis-tools`);
  }
  return /v=(\S+)/.exec(probe.stdout)?.[1] ?? probe.stdout.trim();
}

async function freePort() {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const srv = createServer();
      srv.unref();
      srv.on('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const p = srv.address().port;
        srv.close(() => resolve(p));
      });
    });
    if (port !== 6379 && port > 1024) return port;
  }
}

async function waitReady(port, child) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const c = new Redis({
      host: '127.0.0.1',
      port,
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
      c.disconnect();
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not become ready: ${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Starts redis-server; resolves with {host, port, url, pid, stop()}. */
export async function startRedisServer() {
  const bin = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'asynq-ts-bench-'));
    const child = spawn(
      bin,
      [
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
      ],
      {stdio: 'ignore'},
    );
    live.add(child);
    try {
      await waitReady(port, child);
    } catch (err) {
      child.kill('SIGKILL');
      live.delete(child);
      rmSync(dir, {recursive: true, force: true});
      if (attempt < 3) continue;
      throw err;
    }
    return {
      host: '127.0.0.1',
      port,
      url: `redis://127.0.0.1:${port}`,
      pid: child.pid,
      async stop() {
        if (child.exitCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          process.kill(child.pid, 'SIGKILL');
          await exited;
        }
        live.delete(child);
        rmSync(dir, {recursive: true, force: true});
      },
    };
  }
}
