/**
 * LimitGate: the processor's hook for ServerOptions.limits (see spec.ts for what a limit is).
 *
 * - claimPlan(q, finishing): outside Redis Cluster the claim script decides (finishAndClaim-9.lua,
 *   the call that writes a queue's successes and claims its next tasks, also the fetch loop's
 *   claim of a single queue): the plan lists the limits that may apply to queue q, with the
 *   finishing tasks' tokens to give back first; the script checks every limit a claimed task's
 *   type matches, exactly as limitAcquire-3.lua would, takes its tokens or sends it back to wait
 *   (as limitDefer-5.lua), and the plan's settle records the started tasks' tokens and leaves the
 *   queue out after refusals as admit does. No round trip between the claim and the handler.
 *   The claims it does not cover (a multi-queue poll, a Cluster) go through admit. A queue whose
 *   limits are all type limits gets plans only once one of its tasks matched one (admit decides
 *   that first task), until 100 claims pass without one: unlimited queues read no message.
 * - admit(msg) runs after a dequeue the claim did not decide, before the handler: for each limit the task matches, a
 *   limitAcquire-3.lua call takes a token of its semaphore and/or a start of its rate (one call
 *   per limit for all the tasks admitted in one turn of the event loop: a batch claim's tasks). When a
 *   limit refuses, the tokens already taken for this task are given back and the task goes back
 *   to wait (limitDefer-5.lua): to the back of pending when the limit frees within the forwarder's
 *   interval (rate: when the next start is due; cap: a back-off of 50 ms doubling to 1 s while it
 *   stays full), else to `scheduled` for the time it frees (a rate of a few per hour): not started,
 *   not counted as processed or failed, its retry count untouched. No handler runs and the
 *   worker slot is free at once.
 * - No head-of-line blocking, bounded idle cost: while the task of a queue with a whole-queue
 *   limit is being decided, that queue is left out of the dequeues (so a burst of parallel fetches
 *   does not take a backlog out of pending only to send it back); a refusal by a limit that matches a whole queue
 *   leaves that queue out of the dequeues until the limit frees; the worker keeps fetching from
 *   its other queues. At that time one probe (limitAcquire-3.lua, taking nothing) asks whether it
 *   did; the queue comes back when it did (or a token of ours is released), else it waits again.
 *   A refusal by a type limit leaves the queue out only after two refusals in a row from it, for
 *   the shorter of the limit's delay and a back-off (20 ms doubling to 1 s), so the other types of
 *   that queue keep flowing.
 * - release(msg) when the attempt is decided (success, failure, cancelation, shutdown requeue,
 *   lost lease): ZREM of the task's tokens (one per limit for the tasks released in one turn); a crashed worker's
 *   tokens free themselves at the task's deadline (Go x/rate's rule).
 * - A Redis error while deciding sends the task back to wait like a refusal (a limit is never
 *   exceeded because Redis could not be asked).
 * - The limits and the server's identity are published every heartbeat interval under
 *   asynq:limits:{host:pid:server id} (TTL twice the interval) for `asynq server ls` and
 *   `asynq limit ls`.
 */
import type {TaskMessage} from '../base/codec.js';
import type {ClaimDecisions, ClaimPlan, LimitDecision, PublishedLimit, RDBLimits} from '../broker/limits.js';
import {realClock, type Clock} from '../clock.js';
import {errorMessage} from '../errors.js';
import type {Logger} from '../logger.js';
import {TickLoop} from '../tick-loop.js';
import {luaTypePattern, type Limit} from './spec.js';

/** What the processor asks before and after running a task. */
export interface TaskGate {
  /** Queues to leave out of the next dequeue (undefined: none). */
  excluded(): ReadonlySet<string> | undefined;
  /** true: start the task. A Promise: decided in Redis; false means the gate sent the task back to wait. */
  admit(msg: TaskMessage, deadline: Date): true | Promise<boolean>;
  /** The attempt is decided: gives back its tokens (once; nothing when it holds none). */
  release(msg: TaskMessage): void;
  /**
   * A claim of queue q that finishes `finishing` (successes, their tokens not yet given back):
   * the plan that decides the claimed tasks inside the claim and gives those tokens back in it,
   * or undefined (no limit applies to q, or claims are not decided in Redis here: the tokens are
   * given back at once and the claimed tasks go through admit).
   */
  claimPlan(q: string, finishing: readonly TaskMessage[]): ClaimPlan | undefined;
}

const CAP_BACKOFF_MIN_MS = 50;
const CAP_BACKOFF_MAX_MS = 1_000;
const TYPE_BACKOFF_MIN_MS = 20;
const TYPE_BACKOFF_MAX_MS = 1_000;
/** Cached (queue, type) → limits entries before the cache starts over. */
const MATCH_CACHE_SIZE = 10_000;
const ERROR_LOG_INTERVAL_MS = 3_000;
/** Claims without a limited task after which a queue's claims stop carrying a plan (type limits only). */
const PLAN_IDLE_CLAIMS = 100;

interface Exclusion {
  until: number;
  limit: Limit;
  /** A limit of the whole queue: it comes back after a successful probe; a type limit's exclusion just ends. */
  probe: boolean;
  probing: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

interface Ask {
  id: string;
  deadline: Date;
  resolve: (d: LimitDecision) => void;
  reject: (err: unknown) => void;
}

export interface LimitGateParams {
  limits: readonly Limit[];
  rdb: Pick<RDBLimits, 'acquire' | 'acquireMany' | 'releaseMany' | 'defer' | 'writeServerLimits' | 'clearServerLimits'>;
  logger: Logger;
  /** Called when a queue may be served again (the processor's wake()). */
  onFree: () => void;
  /**
   * The forwarder's interval (plus a second): added to a waiting entry's due time, and the longest
   * wait for which a refused task goes to the back of pending rather than to scheduled.
   */
  graceMs: number;
  /** Publishing: the server's identity and the heartbeat interval. */
  server: {host: string; pid: number; serverId: string};
  publishIntervalMs: number;
  /**
   * Decide the claimed tasks inside the claim script (claimPlan): true outside Redis Cluster (the
   * limit keys are in other slots than the queue's there).
   */
  fuseClaims?: boolean;
  clock?: Clock;
}

/** What `asynq server ls --json` and the published key show of a limit. */
function publishedLimit(l: Limit): PublishedLimit {
  return {
    scope: l.scope, match: {...l.match},
    ...(l.concurrency > 0 && {concurrency: l.concurrency}),
    ...(l.rate && {rate: {count: l.rate.count, perMs: l.rate.perMs, burst: l.rate.burst}}),
  };
}

export class LimitGate implements TaskGate {
  readonly #p: LimitGateParams & {clock: Clock};
  readonly #held = new Map<string, Limit[]>();
  readonly #excl = new Map<string, Exclusion>();
  readonly #streak = new Map<string, number>();
  /** Queues with a whole-queue limit whose task is being decided now: left out meanwhile (one decision at a time). */
  readonly #deciding = new Map<string, number>();
  readonly #capBackoff = new Map<string, number>();
  readonly #matchCache = new Map<string, Limit[]>();
  /** Queue → the limits that may apply to its tasks, their types as Lua patterns, and whether one applies to every task (claimPlan). */
  readonly #queueLimits = new Map<string, {limits: Limit[]; patterns: string[]; whole: boolean}>();
  /**
   * Queues whose tasks were lately seen under a type limit → claims since without one: their
   * claims carry a plan; after PLAN_IDLE_CLAIMS claims without one, they no longer do (the
   * next limited task is decided by admit and brings the plan back).
   */
  readonly #limitedSeen = new Map<string, number>();
  readonly #publish: TickLoop;
  #lastErrorLog = -Infinity;
  /** Decisions asked for in this turn of the event loop, per limit: sent as one limitAcquire call. */
  readonly #asks = new Map<Limit, Ask[]>();
  /** Tokens given back in this turn, per scope: one ZREM. */
  readonly #givenBack = new Map<string, string[]>();

  constructor(params: LimitGateParams) {
    this.#p = {clock: realClock, ...params};
    this.#publish = new TickLoop({
      name: 'Limits', logger: params.logger, intervalMs: params.publishIntervalMs, runAtStart: true,
      tick: () => this.#write(),
      drain: async () => {
        await this.#p.rdb.clearServerLimits(this.#p.server).catch(() => {});
      },
    });
  }

  /** Starts publishing the limits. */
  start(): void {
    this.#publish.start();
  }

  /** Stops publishing (and removes the published key) and the exclusion timers. */
  async shutdown(): Promise<void> {
    for (const e of this.#excl.values()) clearTimeout(e.timer);
    await this.#publish.stop();
  }

  async #write(): Promise<void> {
    const ttl = Math.max(1, Math.ceil((2 * this.#p.publishIntervalMs) / 1000));
    try {
      await this.#p.rdb.writeServerLimits(this.#p.server, this.#p.limits.map(publishedLimit), ttl);
    } catch (err) {
      this.#logError(`Could not publish the limits: ${errorMessage(err)}`);
    }
  }

  /** The limits a task of this queue and type is subject to (cached). */
  matching(queue: string, type: string): Limit[] {
    const key = `${queue}\u0000${type}`;
    let found = this.#matchCache.get(key);
    if (!found) {
      if (this.#matchCache.size >= MATCH_CACHE_SIZE) this.#matchCache.clear();
      found = this.#p.limits.filter((l) => l.matches(queue, type));
      this.#matchCache.set(key, found);
    }
    return found;
  }

  excluded(): ReadonlySet<string> | undefined {
    if (this.#excl.size === 0 && this.#deciding.size === 0) return undefined;
    const now = this.#p.clock.now().getTime();
    const out = new Set<string>(this.#deciding.keys());
    for (const [q, e] of this.#excl) {
      if (now < e.until || e.probing) {
        out.add(q);
      } else if (e.probe) {
        out.add(q);
        this.#probe(q, e);
      } else {
        this.#unexclude(q);
      }
    }
    return out;
  }

  /** Asks Redis whether the limit that keeps queue q out would let a task start now (taking nothing). */
  #probe(q: string, e: Exclusion): void {
    e.probing = true;
    const deadline = new Date(this.#p.clock.now().getTime() + 60_000);
    this.#p.rdb.acquire(e.limit, 'probe', deadline, {backoffMs: this.#nextCapBackoff(e.limit, false), graceMs: 0, probe: true}).then((d) => {
      if (this.#excl.get(q) !== e) return;
      e.probing = false;
      if (d.ok) {
        this.#unexclude(q);
        this.#p.onFree();
      } else {
        this.#exclude(q, e.limit, d.kind === 'concurrency' ? this.#nextCapBackoff(e.limit, true) : d.delayMs, true);
      }
    }, (err: unknown) => {
      if (this.#excl.get(q) !== e) return;
      e.probing = false;
      this.#logError(`Could not check limit "${e.limit.scope}": ${errorMessage(err)}`);
      this.#exclude(q, e.limit, CAP_BACKOFF_MAX_MS, true);
    });
  }

  #exclude(q: string, limit: Limit, forMs: number, probe: boolean): void {
    const old = this.#excl.get(q);
    if (old) clearTimeout(old.timer);
    const e: Exclusion = {until: this.#p.clock.now().getTime() + forMs, limit, probe, probing: false};
    // Wake the fetch loop when the time comes: it then probes (or just serves the queue again).
    e.timer = setTimeout(() => this.#p.onFree(), Math.max(1, forMs));
    e.timer.unref?.();
    this.#excl.set(q, e);
  }

  #unexclude(q: string): void {
    const e = this.#excl.get(q);
    if (!e) return;
    clearTimeout(e.timer);
    this.#excl.delete(q);
  }

  /** The cap's back-off: 50 ms, doubling (when `grow`) up to 1 s while it stays full. */
  #nextCapBackoff(limit: Limit, grow: boolean): number {
    const cur = this.#capBackoff.get(limit.scope) ?? CAP_BACKOFF_MIN_MS;
    if (grow) this.#capBackoff.set(limit.scope, Math.min(CAP_BACKOFF_MAX_MS, cur * 2));
    return cur;
  }

  admit(msg: TaskMessage, deadline: Date): true | Promise<boolean> {
    const limits = this.matching(msg.queue, msg.type);
    if (limits.length === 0) return true;
    // Its queue holds limited tasks: its next claims decide them (claimPlan).
    this.#limitedSeen.set(msg.queue, 0);
    return this.#admit(msg, deadline, limits);
  }

  async #admit(msg: TaskMessage, deadline: Date, limits: readonly Limit[]): Promise<boolean> {
    const q = msg.queue;
    const wholeQueue = limits.some((l) => l.match.type === undefined);
    if (!wholeQueue) return this.#decide(msg, deadline, limits);
    this.#deciding.set(q, (this.#deciding.get(q) ?? 0) + 1);
    try {
      return await this.#decide(msg, deadline, limits);
    } finally {
      const n = this.#deciding.get(q)! - 1;
      if (n > 0) this.#deciding.set(q, n);
      else this.#deciding.delete(q);
      this.#p.onFree();
    }
  }

  async #decide(msg: TaskMessage, deadline: Date, limits: readonly Limit[]): Promise<boolean> {
    const taken: Limit[] = [];
    for (const limit of limits) {
      let delayMs: number;
      let kind: 'concurrency' | 'rate' | 'error';
      try {
        const d = await this.#ask(limit, msg.id, deadline);
        if (d.ok) {
          if (limit.concurrency > 0) taken.push(limit);
          continue;
        }
        ({delayMs, kind} = d);
      } catch (err) {
        this.#logError(`Could not check limit "${limit.scope}" for task id=${msg.id}: ${errorMessage(err)}; the task waits`);
        delayMs = CAP_BACKOFF_MAX_MS;
        kind = 'error';
      }
      this.#giveBack(msg.id, taken);
      await this.#refused(msg, limit, delayMs, kind);
      return false;
    }
    if (taken.length > 0) this.#held.set(msg.id, taken);
    this.#streak.delete(msg.queue);
    for (const l of limits) this.#capBackoff.delete(l.scope);
    return true;
  }

  async #refused(msg: TaskMessage, limit: Limit, delayMs: number, kind: 'concurrency' | 'rate' | 'error'): Promise<void> {
    this.#leaveOut(msg.queue, limit, delayMs, kind);
    try {
      // A limit that frees soon: back of pending (this worker leaves the queue out meanwhile, so it
      // does not come straight back); one that frees later: scheduled for then.
      const later = delayMs > this.#p.graceMs ? new Date(this.#p.clock.now().getTime() + delayMs) : undefined;
      await this.#p.rdb.defer(msg, later);
      this.#p.logger.debug(`Task id=${msg.id} waits for limit "${limit.scope}" (${kind}), ${delayMs}ms`);
    } catch (err) {
      // Left active: the recoverer retries it after its lease expires.
      this.#logError(`Could not send task id=${msg.id} back to wait for limit "${limit.scope}": ${errorMessage(err)}`);
    }
  }

  /** After a refusal: the cap's back-off grows, and queue q is left out (a whole-queue limit; a type limit after two in a row). */
  #leaveOut(q: string, limit: Limit, delayMs: number, kind: 'concurrency' | 'rate' | 'error'): void {
    if (kind === 'concurrency') this.#nextCapBackoff(limit, true);
    if (limit.match.type === undefined) {
      this.#exclude(q, limit, delayMs, true);
    } else {
      const streak = (this.#streak.get(q) ?? 0) + 1;
      this.#streak.set(q, streak);
      if (streak >= 2) {
        const backoff = Math.min(TYPE_BACKOFF_MAX_MS, TYPE_BACKOFF_MIN_MS * 2 ** (streak - 2));
        this.#exclude(q, limit, Math.min(delayMs, backoff), false);
      }
    }
  }

  release(msg: TaskMessage): void {
    const held = this.#forget(msg.id);
    if (held) this.#giveBack(msg.id, held);
  }

  /**
   * The task's tokens are going back: no longer held here, and a queue a limit among them kept
   * out is served again. Returns the limits it held (undefined: none).
   */
  #forget(id: string): Limit[] | undefined {
    const held = this.#held.get(id);
    if (!held) return undefined;
    this.#held.delete(id);
    let freed = false;
    for (const [q, e] of this.#excl) {
      if (held.includes(e.limit)) {
        this.#unexclude(q);
        freed = true;
      }
    }
    for (const l of held) this.#capBackoff.delete(l.scope);
    if (freed) this.#p.onFree();
    return held;
  }

  claimPlan(q: string, finishing: readonly TaskMessage[]): ClaimPlan | undefined {
    if (!this.#p.fuseClaims) {
      for (const msg of finishing) this.release(msg);
      return undefined;
    }
    let forQueue = this.#queueLimits.get(q);
    if (!forQueue) {
      const limits = this.#p.limits.filter((l) => l.match.queue === undefined || l.match.queue === q);
      forQueue = {limits, patterns: limits.map((l) => luaTypePattern(l.match.type)), whole: limits.some((l) => l.match.type === undefined)};
      this.#queueLimits.set(q, forQueue);
    }
    const {limits, patterns, whole} = forQueue;
    // A task holds tokens only of limits that apply to its queue.
    if (limits.length === 0) return undefined;
    // Type limits only, and no limited task of q lately: the claim reads no message (a queue of
    // unlimited types costs nothing); a limited task that comes is decided by admit.
    if (!whole && !this.#limitedSeen.has(q)) {
      for (const msg of finishing) this.release(msg);
      return undefined;
    }
    const release = limits.map((): string[] => []);
    for (const msg of finishing) {
      for (const l of this.#forget(msg.id) ?? []) release[limits.indexOf(l)]!.push(msg.id);
    }
    return {
      limits: limits.map((limit, i) => ({
        limit, luaPattern: patterns[i]!, backoffMs: this.#nextCapBackoff(limit, false), graceMs: this.#p.graceMs, release: release[i]!,
      })),
      settle: (res) => this.#settle(q, limits, release, res),
    };
  }

  /** A claim plan's outcome: the started tasks hold their caps' tokens, refusals leave the queue out as admit's do. */
  #settle(q: string, limits: readonly Limit[], release: readonly string[][], res: ClaimDecisions | {error: unknown}): void {
    if ('error' in res) {
      // The call failed: the tokens it was to give back go back on their own (or free themselves at their deadline).
      limits.forEach((l, i) => {
        for (const id of release[i]!) this.#giveBack(id, [l]);
      });
      return;
    }
    // The limits a started task's type matches are the script's (luaTypePattern and typeMatcher
    // agree); its tokens are those of the caps among them (one list per type, shared: never changed).
    let lastType: string | undefined;
    let caps: Limit[] = [];
    let limited = res.refused.length > 0 || res.failed.length > 0;
    for (const {id, type} of res.started) {
      if (type !== lastType) {
        lastType = type;
        const matched = this.matching(q, type);
        limited ||= matched.length > 0;
        caps = matched.filter((l) => l.concurrency > 0);
        for (const l of matched) this.#capBackoff.delete(l.scope);
      }
      if (caps.length > 0) this.#held.set(id, caps);
    }
    if (res.started.length > 0) this.#streak.delete(q);
    if (limited) this.#limitedSeen.set(q, 0);
    else {
      const idle = (this.#limitedSeen.get(q) ?? 0) + 1;
      if (idle >= PLAN_IDLE_CLAIMS) this.#limitedSeen.delete(q);
      else this.#limitedSeen.set(q, idle);
    }
    // Its type unknown here: every cap of the plan (a ZREM of a token it does not hold does nothing).
    const planCaps = limits.filter((l) => l.concurrency > 0);
    for (const id of res.dropped) this.#giveBack(id, planCaps);
    for (const {id, index, error} of res.failed) {
      const limit = limits[index]!;
      this.#logError(`Could not check limit "${limit.scope}" for task id=${id}: ${error}; the task waits`);
      this.#leaveOut(q, limit, CAP_BACKOFF_MAX_MS, 'error');
    }
    for (const {id, index, delayMs, kind} of res.refused) {
      const limit = limits[index]!;
      this.#leaveOut(q, limit, delayMs, kind);
      this.#p.logger.debug(`Task id=${id} waits for limit "${limit.scope}" (${kind}), ${delayMs}ms`);
    }
  }

  /**
   * One task's decision under one limit. The tasks a worker claimed together are admitted in the
   * same turn of the event loop: their decisions under a limit go to Redis as one limitAcquire call
   * (sent at the end of the turn, in the order asked), not one call each.
   */
  #ask(limit: Limit, id: string, deadline: Date): Promise<LimitDecision> {
    let asks = this.#asks.get(limit);
    if (!asks) {
      asks = [];
      this.#asks.set(limit, asks);
      queueMicrotask(() => this.#sendAsks(limit));
    }
    const list = asks;
    return new Promise((resolve, reject) => list.push({id, deadline, resolve, reject}));
  }

  #sendAsks(limit: Limit): void {
    const asks = this.#asks.get(limit)!;
    this.#asks.delete(limit);
    const opts = {backoffMs: this.#nextCapBackoff(limit, false), graceMs: this.#p.graceMs};
    this.#p.rdb.acquireMany(limit, asks, opts).then(
      (ds) => asks.forEach((a, i) => a.resolve(ds[i]!)),
      (err: unknown) => asks.forEach((a) => a.reject(err)),
    );
  }

  #giveBack(taskId: string, limits: readonly Limit[]): void {
    for (const l of limits) {
      let ids = this.#givenBack.get(l.scope);
      if (!ids) {
        ids = [];
        this.#givenBack.set(l.scope, ids);
        queueMicrotask(() => this.#sendGivenBack(l.scope));
      }
      ids.push(taskId);
    }
  }

  /**
   * The tokens given back in this turn, one ZREM per scope: not awaited, sent at the end of the
   * turn (a success's outcome write waits for the next one). A token that cannot be given back
   * frees itself at its task's deadline.
   */
  #sendGivenBack(scope: string): void {
    const ids = this.#givenBack.get(scope)!;
    this.#givenBack.delete(scope);
    this.#p.rdb.releaseMany(scope, ids).catch((err: unknown) => {
      this.#logError(`Could not release the tokens of ${ids.length === 1 ? `task id=${ids[0]}` : `${ids.length} tasks`} for limit "${scope}": ${errorMessage(err)}`);
    });
  }

  #logError(text: string): void {
    const now = this.#p.clock.now().getTime();
    if (now - this.#lastErrorLog < ERROR_LOG_INTERVAL_MS) return;
    this.#lastErrorLog = now;
    this.#p.logger.error(text);
  }
}
