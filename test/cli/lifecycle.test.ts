/**
 * src/cli/lifecycle.ts: a command's signals end it through `interrupted` (an oclif ExitError the
 * base class races against the run), never by exiting the process itself; checkRedis fails fast
 * with the address on a fail-fast and on a reconnecting connection, and passes on a live server.
 * Signals are emitted in-process with process.emit.
 */
import {createServer, type Server, type Socket} from 'node:net';
import {Errors} from '@oclif/core';
import {afterAll, afterEach, describe, expect, it, vi} from 'vitest';
import {checkRedis, failFast, Lifecycle} from '../../src/cli/lifecycle.js';
import type {ResolvedConnection} from '../../src/cli/connection.js';
import {RedisUnavailableError} from '../../src/lib/errors.js';
import {closeRedisClient, createRedisClient} from '../../src/lib/redis.js';
import {SAME_SIGNAL_MS} from '../../src/lib/signals.js';
import {useRedis} from '../support/redis.js';
import {recordingLogger} from '../support/logger.js';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGTSTP'] as const;
const counts = (): number[] => SIGNALS.map((s) => process.listenerCount(s));

async function exitCodeOf(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(Errors.ExitError);
    return (err as Errors.ExitError).oclif.exit;
  }
  return undefined;
}

describe('Lifecycle', () => {
  const before = counts();
  let lifecycle: Lifecycle | undefined;
  afterEach(() => {
    lifecycle?.dispose();
    expect(counts()).toEqual(before);
  });

  it('a one-shot command: the first SIGINT ends it with 130, and only SIGINT is listened to', async () => {
    lifecycle = new Lifecycle();
    lifecycle.interruptOnSigint();
    expect(process.listenerCount('SIGTERM')).toBe(before[1]);
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      process.emit('SIGINT');
    } finally {
      write.mockRestore();
    }
    expect(await exitCodeOf(lifecycle.interrupted)).toBe(130);
  });

  it('a long-running command: the first signal stops (logged), a second forces and ends it with 130', async () => {
    lifecycle = new Lifecycle();
    const logger = recordingLogger();
    const text = (): string => logger.lines.map(([, l]) => l).join('\n');
    const stop = vi.fn();
    const force = vi.fn();
    const {stopped} = lifecycle.untilStopped({logger, stopping: (sig) => `Received ${sig}`, stop, force});
    let ended = false;
    void lifecycle.interrupted.catch(() => (ended = true));
    process.emit('SIGTERM');
    expect(await stopped).toBe('SIGTERM');
    expect(stop).toHaveBeenCalledTimes(1);
    expect(text()).toContain('Received SIGTERM');
    await Promise.resolve();
    expect(ended).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, SAME_SIGNAL_MS));
    process.emit('SIGINT');
    expect(force).toHaveBeenCalledTimes(1);
    expect(await exitCodeOf(lifecycle.interrupted)).toBe(130);
  });

  it('SIGHUP reloads one at a time, logs a failed reload and goes on; none after a stop signal', async () => {
    lifecycle = new Lifecycle();
    const logger = recordingLogger();
    const text = (): string => logger.lines.map(([, l]) => l).join('\n');
    const order: string[] = [];
    let n = 0;
    const reload = async (): Promise<void> => {
      const i = ++n;
      order.push(`start ${i}`);
      await new Promise((r) => setTimeout(r, 20));
      order.push(`end ${i}`);
      if (i === 1) throw new Error('broken file');
    };
    const s = lifecycle.untilStopped({logger, reload});
    process.emit('SIGHUP');
    process.emit('SIGHUP');
    await s.reloads();
    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
    expect(text()).toContain('Reload failed: Error: broken file');
    process.emit('SIGINT');
    await s.stopped;
    process.emit('SIGHUP');
    await s.reloads();
    expect(n).toBe(2);
  });

  it('SIGTSTP calls tstp', () => {
    lifecycle = new Lifecycle();
    const tstp = vi.fn();
    lifecycle.untilStopped({tstp});
    if (process.platform !== 'win32') {
      process.emit('SIGTSTP');
      expect(tstp).toHaveBeenCalledTimes(1);
    }
  });
});

describe('checkRedis', () => {
  const r = useRedis({flushEach: false});
  const closed: ResolvedConnection = {conn: {addr: '127.0.0.1:1'}, source: 'flags'};
  const sockets = new Set<Socket>();
  let silent: Server | undefined;
  afterAll(() => {
    for (const s of sockets) s.destroy();
    silent?.close();
  });

  it('passes on a live server', async () => {
    const {client} = createRedisClient({addr: `127.0.0.1:${r.server.port}`});
    try {
      await checkRedis({conn: {addr: `127.0.0.1:${r.server.port}`}, source: 'flags'}, client);
    } finally {
      await closeRedisClient(client);
    }
  });

  it('fails at once with the address, on a fail-fast and on a reconnecting connection', async () => {
    for (const conn of [failFast(closed.conn), closed.conn]) {
      const {client} = createRedisClient(conn);
      const t0 = Date.now();
      try {
        const err = await checkRedis(closed, client).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(RedisUnavailableError);
        expect((err as Error).message).toBe(
          'cannot connect to Redis at 127.0.0.1:1 (from flags): connect ECONNREFUSED 127.0.0.1:1',
        );
        expect(Date.now() - t0).toBeLessThan(2000);
      } finally {
        await closeRedisClient(client);
      }
    }
  });

  it('gives up on a server that never answers after the timeout', async () => {
    silent = createServer((s) => void sockets.add(s));
    await new Promise<void>((resolve) => silent!.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as {port: number}).port;
    const resolved: ResolvedConnection = {conn: {addr: `127.0.0.1:${port}`}, source: 'flags'};
    const {client} = createRedisClient(resolved.conn);
    try {
      await expect(checkRedis(resolved, client, 200)).rejects.toThrow(
        `cannot connect to Redis at 127.0.0.1:${port} (from flags): no answer to PING within 0.2s`,
      );
    } finally {
      client.disconnect();
    }
  });
});
