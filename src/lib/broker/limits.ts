/**
 * RDBLimits: fleet-wide limits in Redis (asynq-ts only; Go has no built-in limits, only the
 * semaphore of its x/rate package, whose layout the concurrency caps share):
 * - asynq:sema:<scope>: Go x/rate's semaphore, a zset of task ids scored by deadline (unix s);
 * - asynq:limit:{asynq:sema:<scope>}:rate / :waiting: a limit's rate state and the tasks it sent
 *   back to wait (both with TTLs);
 * - asynq:limits:{<host>:<pid>:<server id>}: the limits a server enforces (JSON, heartbeat TTL).
 * Go readers see none of the asynq-ts keys (they are outside every key pattern Go reads); a task a
 * limit sends back is an ordinary scheduled task to them.
 */
import * as keys from '../base/keys.js';
import type {TaskMessage} from '../base/codec.js';
import {unixNanosString, unixSeconds} from '../clock.js';
import type {Limit} from '../limits/spec.js';
import type {RedisSession} from './session.js';

/** What limitAcquire-3.lua answered. */
export type LimitDecision = {ok: true} | {ok: false; delayMs: number; kind: 'concurrency' | 'rate'};

/** How a refused task waits: the cap's back-off, the forwarder's grace; `probe` takes nothing. */
export interface AcquireOptions {
  backoffMs: number;
  graceMs: number;
  probe?: boolean;
}

/** A limit's use now, as Redis holds it. */
export interface LimitUsage {
  scope: string;
  /** Tokens held (members of asynq:sema:<scope> whose deadline has not passed). */
  tokensHeld: number;
  /** Task starts counted in the last rate window (estimate: this window plus the share of the one before). */
  rateUsed: number;
  /** Tasks sent back to wait by this limit, not yet due again. */
  waiting: number;
}

/** The JSON a server publishes under asynq:limits:{…}. */
export interface PublishedLimit {
  scope: string;
  match: {queue?: string; type?: string};
  concurrency?: number;
  rate?: {count: number; perMs: number; burst: number};
}

/**
 * One limit decided inside a claim (finishAndClaim-9.lua, outside Redis Cluster): the limit, its
 * type as a Lua pattern ("" = every type of the queue), the cap's back-off and the grace as
 * limitAcquire takes them, and the tasks whose tokens of it go back before the claim (tasks the
 * claim finishes, in the order it finishes them).
 */
interface ClaimLimit {
  limit: Limit;
  luaPattern: string;
  backoffMs: number;
  graceMs: number;
  release: string[];
}

/** What a claim under limits decided (`index`: 0-based, into ClaimPlan.limits). */
export interface ClaimDecisions {
  /** Claimed and started under every limit of the plan its type matches (a token of each cap taken). */
  started: Array<{id: string; type: string}>;
  /** Sent back to wait by limits[index]: not claimed. */
  refused: Array<{id: string; index: number; delayMs: number; kind: 'concurrency' | 'rate'}>;
  /** Started by the script but moved aside afterwards (a message that does not decode): its tokens go back. */
  dropped: string[];
  /** Not started, put back to pending: limits[index]'s keys could not be read or written (error: Redis' reply). */
  failed: Array<{id: string; index: number; error: string}>;
}

/** The limits a claim decides its tasks under (LimitGate.claimPlan), and where the decisions go. */
export interface ClaimPlan {
  limits: ClaimLimit[];
  /** Called once with the decisions, or with the error the call failed with (nothing decided, nothing given back). */
  settle(res: ClaimDecisions | {error: unknown}): void;
}

/** A limit's fixed argument in a claim (see limitArgument), per limit and grace. */
const limitArguments = new WeakMap<Limit, {graceMs: number; luaPattern: string; arg: string}>();

/**
 * A limit as one argument of finishAndClaim-9.lua: "<max> <interval> <burst> <window> <grace> <n>
 * <sema key><pattern>" (n: the key's length in bytes). The same on every call, so made once.
 */
function limitArgument(c: ClaimLimit): string {
  const had = limitArguments.get(c.limit);
  if (had && had.graceMs === c.graceMs && had.luaPattern === c.luaPattern) return had.arg;
  const {scope, concurrency, rate: r} = c.limit;
  const key = keys.semaphoreKey(scope);
  const arg = `${concurrency} ${r ? r.intervalMs : 0} ${r ? r.burst : 1} ${r ? r.perMs : 1} ${Math.round(c.graceMs)} ${Buffer.byteLength(key)} ${key}${c.luaPattern}`;
  limitArguments.set(c.limit, {graceMs: c.graceMs, luaPattern: c.luaPattern, arg});
  return arg;
}

/**
 * finishAndClaim-9.lua's limits section (see its header): ARGV after the finished tasks', whose ids
 * are `finishing` in the call's order. Each limit's tokens to give back (ClaimLimit.release) go as
 * one flag per finished task, so they must be among `finishing`, in its order (as
 * LimitGate.claimPlan makes them); anything else throws.
 */
export function claimLimitArgs(plan: ClaimPlan, now: Date, defaultTimeoutSeconds: number, finishing: readonly string[]): Array<string | number> {
  const args: Array<string | number> = [plan.limits.length, now.getTime(), defaultTimeoutSeconds];
  for (const c of plan.limits) {
    let flags = '';
    let j = 0;
    for (let i = 0; i < finishing.length && j < c.release.length; i++) {
      if (finishing[i] === c.release[j]) {
        flags += '1';
        j++;
      } else flags += '0';
    }
    if (j < c.release.length) throw new Error(`asynq: internal error: task id=${c.release[j]} gives back a token of limit "${c.limit.scope}" but is not finished by the claim`);
    args.push(limitArgument(c), Math.max(1, Math.round(c.backoffMs)), flags);
  }
  return args;
}

export class RDBLimits {
  readonly #s: RedisSession;

  /** Works over `rdb`'s session (connection, scripts, clock). */
  constructor(rdb: {readonly session: RedisSession}) {
    this.#s = rdb.session;
  }

  /**
   * limitAcquire-3.lua for one limit and one task: takes a token / a rate start for the task when
   * every part of the limit allows it; else records the task as waiting (unless `probe`) and says
   * when to retry.
   */
  async acquire(limit: Limit, taskId: string, deadline: Date, opts: AcquireOptions): Promise<LimitDecision> {
    return (await this.acquireMany(limit, [{id: taskId, deadline}], opts))[0]!;
  }

  /**
   * limitAcquire-3.lua for one limit and several tasks, decided in the order given (one call: the
   * tasks a worker claimed together). One decision per task, in that order.
   */
  async acquireMany(limit: Limit, tasks: ReadonlyArray<{id: string; deadline: Date}>, opts: AcquireOptions): Promise<LimitDecision[]> {
    const r = limit.rate;
    const args: Array<string | number> = [unixSeconds(this.#s.clock.now()), limit.concurrency, r ? r.intervalMs : 0, r ? r.burst : 1,
      r ? r.perMs : 1, Math.max(1, Math.round(opts.backoffMs)), Math.round(opts.graceMs), opts.probe ? 1 : 0];
    for (const t of tasks) args.push(t.id, unixSeconds(t.deadline));
    const res = (await this.#s.script('rdb.LimitAcquire', 'limitAcquire',
      [keys.semaphoreKey(limit.scope), keys.limitRateKey(limit.scope), keys.limitWaitingKey(limit.scope)], args)) as Array<number | string>;
    return tasks.map((_, i) => {
      if (Number(res[3 * i]) === 1) return {ok: true};
      return {ok: false, delayMs: Number(res[3 * i + 1]), kind: res[3 * i + 2] === 'rate' ? 'rate' : 'concurrency'};
    });
  }

  /** Gives back the task's token of the limit's semaphore (ZREM; Go Semaphore.Release). Returns whether it held one. */
  async release(scope: string, taskId: string): Promise<boolean> {
    return (await this.releaseMany(scope, [taskId])) > 0;
  }

  /** Gives back the tokens of these tasks (one ZREM). Returns how many were held. */
  async releaseMany(scope: string, taskIds: readonly string[]): Promise<number> {
    return this.#s.run('rdb.LimitRelease', () => this.#s.client.zrem(keys.semaphoreKey(scope), ...taskIds));
  }

  /**
   * limitDefer-5.lua: the active task goes back to wait, its message and the counters untouched:
   * to the back of pending when processAt is undefined, else to scheduled until processAt.
   * TaskNotFoundError when it is no longer active here.
   */
  async defer(msg: TaskMessage, processAt?: Date): Promise<void> {
    const q = msg.queue;
    await this.#s.script('rdb.LimitDefer', 'limitDefer',
      [keys.activeKey(q), keys.leaseKey(q), keys.pendingKey(q), keys.scheduledKey(q), keys.taskKey(q, msg.id)],
      [msg.id, processAt ? Math.ceil(processAt.getTime() / 1000) : 0, unixNanosString(this.#s.clock.now())], {task: msg});
  }

  /** Go x/rate Semaphore.Acquire (semaphoreAcquire-1.lua): true when the task got (or holds) a token. */
  async semaphoreAcquire(scope: string, maxTokens: number, taskId: string, deadline: Date): Promise<boolean> {
    const res = await this.#s.script('rdb.SemaphoreAcquire', 'semaphoreAcquire', [keys.semaphoreKey(scope)],
      [maxTokens, unixSeconds(this.#s.clock.now()), unixSeconds(deadline), taskId]);
    return Number(res) === 1;
  }

  /** The use of each limit now (three reads per limit, pipelined). */
  async usage(limits: readonly PublishedLimit[]): Promise<LimitUsage[]> {
    const nowS = unixSeconds(this.#s.clock.now());
    return this.#s.run('rdb.LimitUsage', async () => {
      const [sec, usec] = (await this.#s.client.time()) as [string | number, string | number];
      const nowMs = Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
      return Promise.all(limits.map(async (l) => {
        const [held, rate, waiting] = await Promise.all([
          this.#s.client.zcount(keys.semaphoreKey(l.scope), `(${nowS - 1}`, '+inf'),
          this.#s.client.hmget(keys.limitRateKey(l.scope), 'ws', 'n', 'pn'),
          this.#s.client.zcount(keys.limitWaitingKey(l.scope), `(${nowMs}`, '+inf'),
        ]);
        return {scope: l.scope, tokensHeld: held, rateUsed: rateUsed(rate, nowMs, l.rate?.perMs), waiting};
      }));
    });
  }

  /** Publishes a server's limits (SET … EX ttl), next to its asynq:servers:{…} key. */
  async writeServerLimits(server: {host: string; pid: number; serverId: string}, limits: readonly PublishedLimit[], ttlSeconds: number): Promise<void> {
    const key = keys.serverLimitsKey(server.host, server.pid, server.serverId);
    await this.#s.run('rdb.WriteServerLimits', () => this.#s.client.set(key, JSON.stringify(limits), 'EX', ttlSeconds));
  }

  /** Removes a server's published limits (at shutdown). */
  async clearServerLimits(server: {host: string; pid: number; serverId: string}): Promise<void> {
    await this.#s.run('rdb.ClearServerLimits', () => this.#s.client.del(keys.serverLimitsKey(server.host, server.pid, server.serverId)));
  }

  /** The limits each server published (servers without any are left out); unreadable values are skipped. */
  async readServerLimits(servers: ReadonlyArray<{host: string; pid: number; serverId: string}>): Promise<Map<string, PublishedLimit[]>> {
    const out = new Map<string, PublishedLimit[]>();
    if (servers.length === 0) return out;
    const values = await this.#s.run('rdb.ReadServerLimits', () =>
      Promise.all(servers.map((s) => this.#s.client.get(keys.serverLimitsKey(s.host, s.pid, s.serverId)))));
    servers.forEach((s, i) => {
      const v = values[i];
      if (v === null || v === undefined) return;
      try {
        const parsed = JSON.parse(v) as unknown;
        if (Array.isArray(parsed)) out.set(s.serverId, parsed as PublishedLimit[]);
      } catch {
        // Not ours to judge: an unreadable value shows as no limits.
      }
    });
    return out;
  }
}

/** Starts in the last window: the current window's count plus the previous one's, weighted by the part of it still inside. */
function rateUsed(fields: Array<string | null>, nowMs: number, perMs: number | undefined): number {
  if (perMs === undefined) return 0;
  const [ws, n, pn] = fields.map((f) => (f === null ? undefined : Number(f)));
  if (ws === undefined || n === undefined) return 0;
  const elapsed = nowMs - ws;
  if (elapsed >= 2 * perMs) return 0;
  if (elapsed >= perMs) return Math.round(n * Math.max(0, 1 - (elapsed - perMs) / perMs));
  return Math.round(n + (pn ?? 0) * Math.max(0, 1 - elapsed / perMs));
}
