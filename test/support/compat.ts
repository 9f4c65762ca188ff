/**
 * Loader for test/fixtures/compat: Redis contents captured from real Go asynq deployments
 * (v0.24.1 and HEAD). Binary values come as {base64, hex}; plain strings as strings.
 */
import {existsSync, readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import type {Redis} from 'ioredis';
import {allServers} from '../../src/lib/base/keys.js';

/**
 * The captures live in test/fixtures/compat so a clean clone tests on its own; when their
 * original folder ../shared/compat sits beside the project, the tests read it instead (and a test checks
 * that the copy is identical).
 */
export const FIXTURE_COMPAT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'compat');
export const SHARED_COMPAT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'compat');
const COMPAT_DIR = existsSync(join(SHARED_COMPAT_DIR, 'go-head-wire-dump.json'))
  ? SHARED_COMPAT_DIR
  : FIXTURE_COMPAT_DIR;

type Bin = {base64: string; hex: string};
export interface DumpKey {
  key: string;
  type: 'string' | 'hash' | 'list' | 'set' | 'zset';
  pttl_ms: number;
  ttl_s: number;
  value: unknown;
  decoded?: unknown;
  decoded_as?: 'TaskMessage' | 'ServerInfo' | 'WorkerInfo' | 'SchedulerEntry' | 'SchedulerEnqueueEvent';
}
export interface WireDump {
  asynq_version: string;
  generated_at: string;
  keys: DumpKey[];
  live_keys: DumpKey[];
  steps: Array<{name: string; task_id: string; queue: string; resulting_state?: string}>;
  live_steps: Array<{name: string; task_id: string; queue: string; resulting_state?: string}>;
}

export const DUMPS = ['go-v0.24.1-wire-dump.json', 'go-head-wire-dump.json'] as const;

export function loadDump(file: (typeof DUMPS)[number]): WireDump {
  return JSON.parse(readFileSync(join(COMPAT_DIR, file), 'utf8')) as WireDump;
}

export function bytes(v: unknown): Buffer {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (v && typeof v === 'object' && 'base64' in v) return Buffer.from((v as Bin).base64, 'base64');
  throw new Error(`not a dump value: ${JSON.stringify(v)}`);
}

/**
 * The union of static and live keys; a live key replaces a static one of the same name
 * (the live snapshot was taken later).
 */
export function allKeys(d: WireDump): DumpKey[] {
  const m = new Map<string, DumpKey>();
  for (const k of [...d.keys, ...d.live_keys]) m.set(k.key, k);
  return [...m.values()];
}

/** The task a named step of the capture wrote: its ID and queue (throws for an unknown step). */
export function stepTask(d: WireDump, name: string): {id: string; queue: string} {
  const s = [...d.steps, ...d.live_steps].find((x) => x.name === name);
  if (!s) throw new Error(`no step ${name}`);
  return {id: s.task_id, queue: s.queue};
}

/**
 * A moment at which the captured servers, workers and schedulers are still alive: 5 s before the
 * first server's heartbeat expires (Go scores its asynq:servers member at the last beat + 10 s).
 */
export function liveMoment(d: WireDump): Date {
  const servers = allKeys(d).find((k) => k.key === allServers);
  if (!servers) throw new Error(`no ${allServers} in the dump`);
  return new Date(((servers.value as Array<{score: number}>)[0]!.score - 5) * 1000);
}

/** Writes every captured key into `c` (a server the test started), with its TTL. */
export async function restoreDump(c: Redis, d: WireDump, opts: {ttlFloorMs?: number} = {}): Promise<void> {
  for (const k of allKeys(d)) {
    const v = k.value;
    switch (k.type) {
      case 'string':
        await c.set(k.key, bytes(v));
        break;
      case 'hash': {
        const obj = v as Record<string, unknown>;
        const args: Array<string | Buffer> = [];
        for (const [f, x] of Object.entries(obj)) args.push(f, bytes(x));
        await c.hset(k.key, ...args);
        break;
      }
      case 'list': {
        // Dumps list from head to tail; RPUSH keeps that order.
        const items = (v as unknown[]).map(bytes);
        if (items.length) await c.rpush(k.key, ...items);
        break;
      }
      case 'set':
        await c.sadd(k.key, ...(v as string[]));
        break;
      case 'zset':
        for (const e of v as Array<{member: unknown; score: number}>) await c.zadd(k.key, e.score, bytes(e.member));
        break;
    }
    if (k.pttl_ms > 0) await c.pexpire(k.key, Math.max(k.pttl_ms, opts.ttlFloorMs ?? 0));
  }
}
