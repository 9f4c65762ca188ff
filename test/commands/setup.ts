/**
 * Fixture for the command tests: one throwaway redis-server per test file (flushed before each
 * test), and `asynq(args)` running the real CLI in this process against it, with TZ=UTC (times in
 * Go's UnixDate layout use the local zone) unless a test passes another TZ.
 */
import {expect} from 'vitest';
import {dumpAll} from '../support/dump.js';
import {runCli, runCliInProcess, type CliResult, type InProcessResult, type RunCliOptions} from '../support/cli.js';
import {useRedis, type RedisFixture} from '../support/redis.js';

export interface CliFixture extends RedisFixture {
  /** Runs `asynq ...args` in process against the test server. */
  asynq(args: string[], env?: Record<string, string | undefined>): Promise<InProcessResult>;
  /** Runs `asynq ...args --json`, expects exit 0, nothing on stderr and one JSON document on stdout; returns it. */
  asynqJson<T = unknown>(args: string[]): Promise<T>;
  /** Runs the command in process, expects exit `code`, nothing on stdout and Redis unchanged; returns stderr. */
  failsUnchanged(args: string[], code: number): Promise<string>;
  /** Runs bin/run.js as a subprocess against the test server. */
  spawn(args: string[], opts?: RunCliOptions): Promise<CliResult>;
}

export function useCli(): CliFixture {
  const fx = useRedis() as CliFixture;
  const env = (): Record<string, string> => ({ASYNQ_REDIS_URL: fx.server.url, TZ: 'UTC'});
  fx.asynq = (args, extra = {}) => runCliInProcess(args, {env: {...env(), ...extra}});
  fx.asynqJson = async <T>(args: string[]): Promise<T> => {
    const r = await fx.asynq([...args, '--json']);
    expect({code: r.code, stderr: r.stderr}).toEqual({code: 0, stderr: ''});
    return JSON.parse(r.stdout) as T;
  };
  fx.failsUnchanged = async (args, code) => {
    const before = await dumpAll(fx.redis);
    const r = await fx.asynq(args);
    expect({code: r.code, stdout: r.stdout}).toEqual({code, stdout: ''});
    expect(await dumpAll(fx.redis)).toEqual(before);
    return r.stderr;
  };
  fx.spawn = (args, opts = {}) => runCli(args, {...opts, env: {...env(), ...opts.env}});
  return fx;
}

/** Lines of a table cell-split on runs of 2+ spaces (for asserting rows independent of widths). */
export function rows(text: string): string[][] {
  return text.trimEnd().split('\n').map((l) => l.trim().split(/ {2,}/));
}
