/**
 * Per-file Redis fixture for vitest: `const r = useRedis();` starts one redis-server for the
 * test file (beforeAll), flushes it before each test, and stops it by PID afterwards.
 */
import {afterAll, beforeAll, beforeEach} from 'vitest';
import type {Redis} from 'ioredis';
import {startRedisServer, type RedisServer} from './redis-server.js';

export interface RedisFixture {
  server: RedisServer;
  /** A shared client for assertions. */
  redis: Redis;
}

export function useRedis(opts: {flushEach?: boolean} = {}): RedisFixture {
  const fx = {} as RedisFixture;
  beforeAll(async () => {
    fx.server = await startRedisServer();
    fx.redis = fx.server.client();
  });
  if (opts.flushEach ?? true) {
    beforeEach(async () => {
      await fx.redis.flushall();
    });
  }
  afterAll(async () => {
    await fx.server?.stop();
  });
  return fx;
}
