/**
 * Test seeding and reading. The seeders write tasks straight into Redis in exactly the layout Go
 * asynq's scripts in internal/rdb/rdb.go leave: the task hash, its place in the state structure,
 * the queue in asynq:queues and, for a message with a unique key, the uniqueness lock.
 *
 * Lists are LPUSHed in the order given, so items[0] ends up at the tail: the next pending task to
 * be dequeued, or the longest-running active task.
 *
 * Also: the message builder (makeMsg), fixed times near the wall clock (T0), an RDB on a simulated
 * clock, and readers that decode what a test finds in Redis (taskHash, readMsg, zsetEntries).
 */
import type {Cluster, Redis} from 'ioredis';
import {expect} from 'vitest';
import * as keys from '../../src/lib/base/keys.js';
import {decodeTaskMessage, encodeTaskMessage, newTaskMessage, type TaskMessage} from '../../src/lib/base/codec.js';
import {RDB} from '../../src/lib/broker/rdb.js';
import {SimulatedClock, unixNanosString, unixSeconds} from '../../src/lib/clock.js';
import {dumpAll, dumpAllSince} from './dump.js';

export interface SeedItem {
  msg: TaskMessage;
  /**
   * Zset score (scheduled/retry/archived/completed/group, lease expiry for active): unix seconds,
   * or a Date (truncated to its unix second).
   */
  score?: number | Date;
  /** pending only: `pending_since`; undefined → SeedOptions.now, null → no field (requeued/run task). */
  pendingSince?: Date | null;
  /** The `result` hash field. */
  result?: Uint8Array;
}

export interface SeedOptions {
  /** SADD asynq:queues (default true). */
  register?: boolean;
  /** Time used for a default pending_since (default: the wall clock). */
  now?: Date;
  /** TTL of the uniqueness lock written for a message with uniqueKey (default 3600 s; 0 = no lock). */
  uniqueTtlSeconds?: number;
}

type Fields = Record<string, string | Buffer>;

async function writeTask(c: Redis, item: SeedItem, state: string, extra: Fields, opts: SeedOptions): Promise<void> {
  const {msg} = item;
  if (opts.register ?? true) await c.sadd(keys.allQueues, msg.queue);
  const fields: Fields = {msg: encodeTaskMessage(msg), state, ...extra};
  if (item.result !== undefined) fields.result = Buffer.from(item.result);
  await c.hset(keys.taskKey(msg.queue, msg.id), fields);
  const ttl = opts.uniqueTtlSeconds ?? 3600;
  if (msg.uniqueKey && ttl > 0) await c.set(msg.uniqueKey, msg.id, 'EX', ttl);
}

function uniqueField(msg: TaskMessage): Fields {
  return msg.uniqueKey ? {unique_key: msg.uniqueKey} : {};
}

function scoreOf(item: SeedItem): number {
  if (item.score === undefined) throw new Error(`seed: task ${item.msg.id} needs a score`);
  return item.score instanceof Date ? unixSeconds(item.score) : item.score;
}

/** enqueue(-unique) layout: hash {msg, state=pending, pending_since[, unique_key]}, LPUSH pending. */
export async function seedPending(c: Redis, items: SeedItem[], opts: SeedOptions = {}): Promise<void> {
  for (const item of items) {
    const since = item.pendingSince === undefined ? (opts.now ?? new Date()) : item.pendingSince;
    const extra: Fields = {...(since ? {pending_since: unixNanosString(since)} : {}), ...uniqueField(item.msg)};
    await writeTask(c, item, 'pending', extra, opts);
    await c.lpush(keys.pendingKey(item.msg.queue), item.msg.id);
  }
}

/** dequeue layout: hash {msg, state=active[, unique_key]}, LPUSH active, ZADD lease score = lease expiry. */
export async function seedActive(c: Redis, items: SeedItem[], opts: SeedOptions = {}): Promise<void> {
  for (const item of items) {
    await writeTask(c, item, 'active', uniqueField(item.msg), opts);
    await c.lpush(keys.activeKey(item.msg.queue), item.msg.id);
    await c.zadd(keys.leaseKey(item.msg.queue), scoreOf(item), item.msg.id);
  }
}

async function seedZSet(
  c: Redis,
  state: string,
  zsetKey: (q: string) => string,
  items: SeedItem[],
  opts: SeedOptions,
): Promise<void> {
  for (const item of items) {
    await writeTask(c, item, state, uniqueField(item.msg), opts);
    await c.zadd(zsetKey(item.msg.queue), scoreOf(item), item.msg.id);
  }
}

/** schedule(-unique) layout: hash {msg, state=scheduled[, unique_key]}, ZADD scheduled process-at. */
export function seedScheduled(c: Redis, items: SeedItem[], opts: SeedOptions = {}): Promise<void> {
  return seedZSet(c, 'scheduled', keys.scheduledKey, items, opts);
}

/** retry layout: state=retry, ZADD retry retry-at. */
export function seedRetry(c: Redis, items: SeedItem[], opts: SeedOptions = {}): Promise<void> {
  return seedZSet(c, 'retry', keys.retryKey, items, opts);
}

/** archive layout: state=archived, ZADD archived archived-at. */
export function seedArchived(c: Redis, items: SeedItem[], opts: SeedOptions = {}): Promise<void> {
  return seedZSet(c, 'archived', keys.archivedKey, items, opts);
}

/** mark-as-complete layout: state=completed, ZADD completed completed-at + retention. */
export function seedCompleted(c: Redis, items: SeedItem[], opts: SeedOptions = {}): Promise<void> {
  return seedZSet(c, 'completed', keys.completedKey, items, opts);
}

/**
 * add-to-group(-unique) layout: hash {msg with group_key = group, state=aggregating, group} (no
 * unique_key field), ZADD g:<group>, SADD groups.
 */
export async function seedGroup(c: Redis, group: string, items: SeedItem[], opts: SeedOptions = {}): Promise<void> {
  for (const item of items) {
    await writeTask(c, {...item, msg: {...item.msg, groupKey: group}}, 'aggregating', {group}, opts);
    await c.zadd(keys.groupKey(item.msg.queue, group), scoreOf(item), item.msg.id);
    await c.sadd(keys.allGroups(item.msg.queue), group);
  }
}

/**
 * A TaskMessage with Go's client defaults (retry 25, timeout 1800 s) in queue `default`, type
 * `task:<id>` and payload `{"id":"<id>"}`, unless overridden.
 */
export function makeMsg(id: string, over: Partial<TaskMessage> = {}): TaskMessage {
  return newTaskMessage({
    type: `task:${id}`,
    id,
    queue: 'default',
    retry: 25,
    timeout: 1800,
    payload: Buffer.from(`{"id":"${id}"}`),
    ...over,
  });
}

/** The start of today (UTC), read once so that every fixed time of a test run is on the same day. */
const TODAY_START_MS = Math.floor(Date.now() / 86_400_000) * 86_400_000;

/**
 * Today 12:00:00 UTC plus `plusMs`. Close to the wall clock on purpose: Redis applies EXPIREAT and
 * EX against its own clock, so a "now" far in the past would expire the 90-day stats keys at once.
 */
export function noonToday(plusMs = 0): Date {
  return new Date(TODAY_START_MS + 12 * 3_600_000 + plusMs);
}

/** Today 12:00:00.250 UTC: a "now" with a fraction of a second, to show where times are truncated. */
export const T0 = noonToday(250);
export const T0_S = unixSeconds(T0);
export const T0_NS = unixNanosString(T0);
export const DAY_S = 86_400;
/** T0's UTC date, YYYY-MM-DD (the suffix of the daily stats keys). */
export const TODAY = T0.toISOString().slice(0, 10);

/** An RDB whose clock is a SimulatedClock at `at`. */
export function newRdb(redis: Redis, at: Date = T0): {rdb: RDB; clock: SimulatedClock} {
  const clock = new SimulatedClock(at);
  return {rdb: new RDB(redis, {clock}), clock};
}

/** Through the broker's own scripts: enqueues the messages (in order) and dequeues as many, so all of them end up active and leased. */
export async function enqueueAndDequeue(rdb: RDB, ...msgs: TaskMessage[]): Promise<void> {
  for (const m of msgs) await rdb.enqueue(m);
  for (const m of msgs) await rdb.dequeue([m.queue]);
}

type Conn = Redis | Cluster;

/** A task hash: `msg` decoded, every other field as a string. Throws when the hash does not exist. */
export async function taskHash(
  c: Conn,
  q: string,
  id: string,
): Promise<{msg: TaskMessage; [field: string]: string | TaskMessage}> {
  const raw = await c.hgetallBuffer(keys.taskKey(q, id));
  if (Object.keys(raw).length === 0) throw new Error(`no task hash for ${q}/${id}`);
  const out: Record<string, string | TaskMessage> = {};
  for (const [f, v] of Object.entries(raw))
    out[f] = f === 'msg' ? decodeTaskMessage(v as Buffer) : (v as Buffer).toString();
  return out as {msg: TaskMessage};
}

/** The decoded `msg` of a task hash (throws when the hash is missing). */
export async function readMsg(c: Conn, q: string, id: string): Promise<TaskMessage> {
  const bytes = await c.hgetBuffer(keys.taskKey(q, id), 'msg');
  if (!bytes) throw new Error(`no task hash for ${q}/${id}`);
  return decodeTaskMessage(bytes);
}

/** ZRANGE WITHSCORES as [member, score] pairs. */
export async function zsetEntries(c: Conn, key: string): Promise<Array<[string, number]>> {
  const flat = await c.zrange(key, 0, -1, 'WITHSCORES');
  const out: Array<[string, number]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, Number(flat[i + 1])]);
  return out;
}

/** Absolute expiry of a key in unix seconds (Redis 7 EXPIRETIME): -1 no TTL, -2 no key. */
export async function expireTime(c: Conn, key: string): Promise<number> {
  return Number(await c.call('EXPIRETIME', key));
}

/**
 * Runs `call`, expects it to reject with `errorClass` (and `message` when given), and asserts that
 * the whole database is byte-for-byte unchanged (keys, types, TTLs, contents).
 */
export async function expectRejectsUnchanged(
  c: Redis,
  call: () => Promise<unknown>,
  errorClass: abstract new (...args: never[]) => Error,
  message?: string,
): Promise<void> {
  const before = await dumpAll(c);
  const err = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(errorClass);
  if (message !== undefined) expect((err as Error).message).toBe(message);
  expect(await dumpAllSince(c, before)).toEqual(before);
}
