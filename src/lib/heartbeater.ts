/**
 * Heartbeater (Go asynq heartbeat.go, `beat`): at start and then every `intervalMs` (5 s)
 * 1. writes the ServerInfo (host, pid, server ID, concurrency, queues, strict flag, status
 *    active/stopped/closed, start time, in-flight count) and one WorkerInfo per task in flight
 *    (type, payload, queue, start time, deadline) with a TTL of 2 × interval (10 s);
 * 2. extends the lease of every in-flight task whose local lease is still valid (`ZADD lease XX
 *    now+leaseMs` per queue, default 30 s) and resets the local lease to the new expiry; a task whose local lease
 *    already expired is reported to the processor instead (Lease.lost), which abandons it.
 * A beat whose writes are slow does not delay the next one: the next one checks the leases and skips
 * its writes until the earlier ones are done (Redis unreachable: ioredis queues commands for up to
 * ~40 s where Go's fail at once, and a lost lease must still abort its task within a beat).
 * On shutdown it clears the server state (keys and zset members), last of all components.
 */
import {timestampFromDate, type ServerInfo, type WorkerInfo} from './base/codec.js';
import {LEASE_SECONDS} from './base/states.js';
import type {RDB} from './broker/rdb.js';
import type {RDBState} from './broker/state.js';
import {realClock, type Clock} from './clock.js';
import {errorMessage} from './errors.js';
import type {Logger} from './logger.js';
import {NO_OUTAGE_REPORTER, type RedisErrorSink} from './redis-outage.js';
import type {ActiveWorker} from './processor.js';
import {TickLoop} from './tick-loop.js';

/** Go's heartbeat interval. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;

/** ServerInfo.status values (Go server.go `serverStateValue.String`). */
export type ServerStatus = 'active' | 'stopped' | 'closed';

/**
 * The fixed ServerInfo fields (host, pid, serverId, concurrency, strictPriority and the queues as
 * configured: blank names and priorities ≤ 0 dropped, not GCD-normalised) plus the components.
 */
export type HeartbeaterParams = Pick<ServerInfo, 'host' | 'pid' | 'serverId' | 'concurrency' | 'queues' | 'strictPriority'> & {
  logger: Logger;
  /** Takes failed Redis commands that mean Redis is unreachable (the Server's outage reporter): those are not logged here. */
  outage?: RedisErrorSink;
  state: Pick<RDBState, 'writeServerState' | 'clearServerState'>;
  rdb: Pick<RDB, 'extendLease'>;
  /** The server's current status. */
  status: () => ServerStatus;
  /** Tasks in flight. */
  workers: () => readonly ActiveWorker[];
  /** Default 5 s; the TTL of the written state is twice this. */
  intervalMs?: number;
  /** How far each beat extends the leases; default 30 s (Go's base.LeaseDuration). */
  leaseMs?: number;
  clock?: Clock;
};

export class Heartbeater {
  readonly #p: Required<HeartbeaterParams>;
  readonly #loop: TickLoop;
  #startedAt?: Date;
  /** The Redis writes of the last beat, while they are pending. */
  #writing?: Promise<void>;

  constructor(params: HeartbeaterParams) {
    this.#p = {intervalMs: DEFAULT_HEARTBEAT_INTERVAL_MS, leaseMs: LEASE_SECONDS * 1000, clock: realClock, outage: NO_OUTAGE_REPORTER, ...params};
    this.#loop = new TickLoop({
      name: 'Heartbeater', logger: this.#p.logger, intervalMs: this.#p.intervalMs, runAtStart: true,
      // A beat does not hold up the next one: while Redis is unreachable ioredis keeps its commands
      // queued (up to ~40 s) where Go's fail at once, and the lease checks must go on meanwhile.
      tick: () => void this.exec().catch((err: unknown) => this.#p.logger.error(`Heartbeater: unexpected error: ${errorMessage(err)}`)),
      drain: async () => {
        await this.#writing;
        await this.#clear();
      },
    });
  }

  /** When the heartbeater started (ServerInfo.start_time). */
  get startedAt(): Date | undefined {
    return this.#startedAt;
  }

  /** Records the start time and beats now, then every interval. Idempotent. */
  start(): void {
    this.#startedAt ??= this.#p.clock.now();
    this.#loop.start();
  }

  /** Stops beating and clears the server state. Idempotent. */
  async shutdown(): Promise<void> {
    await this.#loop.stop();
  }

  /**
   * One beat: report expired leases to the processor, write the server state, then extend the
   * leases. While the previous beat's writes are still pending (Redis slow or unreachable) it
   * writes nothing and resolves when those are done. Never throws.
   */
  async exec(): Promise<void> {
    const p = this.#p;
    const startedAt = (this.#startedAt ??= p.clock.now());
    const workers: WorkerInfo[] = [];
    const idsByQueue = new Map<string, string[]>();
    const live = p.workers();
    for (const w of live) {
      workers.push({
        host: p.host, pid: p.pid, serverId: p.serverId, taskId: w.msg.id, taskType: w.msg.type, taskPayload: w.msg.payload,
        queue: w.msg.queue, startTime: timestampFromDate(w.startedAt), deadline: timestampFromDate(w.deadline),
      });
      if (w.lease.isValid()) {
        const ids = idsByQueue.get(w.msg.queue) ?? [];
        ids.push(w.msg.id);
        idsByQueue.set(w.msg.queue, ids);
      } else {
        w.lease.notifyExpiration();
      }
    }
    if (this.#writing) {
      p.logger.debug('Previous heartbeat still writing; skipping this one');
      await this.#writing;
      return;
    }
    const writing = this.#write(live, workers, idsByQueue, startedAt);
    this.#writing = writing;
    try {
      await writing;
    } finally {
      this.#writing = undefined;
    }
  }

  async #write(live: readonly ActiveWorker[], workers: WorkerInfo[], idsByQueue: Map<string, string[]>, startedAt: Date): Promise<void> {
    const p = this.#p;
    try {
      await p.state.writeServerState({
        host: p.host, pid: p.pid, serverId: p.serverId, concurrency: p.concurrency, queues: p.queues,
        strictPriority: p.strictPriority, status: p.status(), startTime: timestampFromDate(startedAt), activeWorkerCount: live.length,
      }, workers, this.#ttlSeconds());
    } catch (err) {
      if (!p.outage.absorb(err)) p.logger.error(`Failed to write server state data: ${errorMessage(err)}`);
    }
    const byId = new Map(live.map((w) => [w.msg.id, w]));
    for (const [qname, ids] of idsByQueue) {
      let expiresAt: Date;
      try {
        expiresAt = await p.rdb.extendLease(qname, ids, p.leaseMs);
      } catch (err) {
        if (!p.outage.absorb(err)) p.logger.error(`Failed to extend lease for tasks ${JSON.stringify(ids)}: ${errorMessage(err)}`);
        continue;
      }
      for (const id of ids) {
        const lease = byId.get(id)!.lease;
        if (!lease.reset(expiresAt)) p.logger.warn(`Lease reset failed for ${id}; lease deadline: ${lease.deadline.toISOString()}`);
      }
    }
  }

  #ttlSeconds(): number {
    return Math.max(1, Math.ceil((2 * this.#p.intervalMs) / 1000));
  }

  async #clear(): Promise<void> {
    try {
      await this.#p.state.clearServerState(this.#p.host, this.#p.pid, this.#p.serverId);
    } catch (err) {
      if (!this.#p.outage.absorb(err)) this.#p.logger.error(`Failed to clear server state: ${errorMessage(err)}`);
    }
  }
}
