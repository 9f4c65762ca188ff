/**
 * Client: enqueues tasks (Go asynq's Client, client.go). Every option is validated and the whole
 * task message built before the first Redis command, so a bad option writes nothing (not even the
 * queue registration).
 */
import {Socket} from 'node:net';
import {RDB} from './broker/rdb.js';
import type {ReplicaWait} from './broker/replica-wait.js';
import {run} from './broker/session.js';
import {realClock, type Clock} from './clock.js';
import {toMs, type Duration} from './duration.js';
import {FailedPreconditionError, PayloadTooLargeError, ValidationError} from './errors.js';
import {planEnqueue, type EnqueuePlan, type TaskOptions} from './options.js';
import {closeRedisClient, createRedisClient, type RedisConnection, type RedisConnOpt} from './redis.js';
import {taskInfoFromMessage, type Task, type TaskInfo} from './task.js';
import {traceContextHeaders} from './tracing.js';

export interface ClientOptions {
  /** Source of "now" (default the system clock); tests pass a SimulatedClock. */
  clock?: Clock;
  /**
   * Durable acknowledgement, off by default. Every write that creates tasks is followed, in the
   * same pipeline (same connection; on a Cluster the node of the queue's slot), by Redis
   * `WAIT replicas timeout`; when fewer replicas acknowledge in time the call rejects with
   * ReplicationTimeoutError: the task may or may not be stored (retrying with the same taskId is
   * safe). With `min-replicas-to-write 1` on the Redis servers this keeps acknowledged enqueues
   * through a Sentinel failover (README, Redis Cluster and Sentinel). Costs one replication
   * round trip per enqueue (enqueues made meanwhile share the next one). `replicas`: a number
   * >= 1, or 'all': every replica the master has (INFO replication `connected_slaves`; a replica
   * that leaves is still waited for during 30 s, so a planned switchover loses nothing); with
   * more than one replica only 'all' (or their number) keeps every acknowledged enqueue through
   * a `SENTINEL FAILOVER`. `timeout` > 0 (ms or '1s'): the longest an enqueue waits, also while
   * Redis is unreachable (then ReplicationTimeoutError, reason 'no-reply').
   */
  waitForReplicas?: {replicas: number | 'all'; timeout: Duration};
  /**
   * The largest payload enqueue accepts, in bytes: DEFAULT_MAX_PAYLOAD_BYTES (64 MiB) unless
   * given; Infinity for no limit. A larger payload is a PayloadTooLargeError (a ValidationError)
   * and nothing is written. Go asynq has no limit of its own: Redis refuses a string over its
   * proto-max-bulk-len (512 MB by default), and every worker that dequeues the task holds the
   * payload in memory, as does every `asynq task ls` page that lists it.
   */
  maxPayloadBytes?: number;
  /**
   * Inject the active OpenTelemetry trace context into each task's headers (W3C `traceparent`,
   * `tracestate` with the usual global propagator), so a worker's otelMiddleware() continues the
   * trace, as would a Go worker reading the same headers. Headers the task already has under
   * those keys win. Needs the optional peer dependency `@opentelemetry/api` (loaded once, on the
   * first enqueue); without it, or without an active span, nothing is added. Off by default.
   */
  propagateTraceContext?: boolean;
}

/** ClientOptions.maxPayloadBytes unless given: 64 MiB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

/** ClientOptions.maxPayloadBytes, checked. */
function payloadLimit(opt: number | undefined): number {
  if (opt === undefined) return DEFAULT_MAX_PAYLOAD_BYTES;
  if (opt !== Number.POSITIVE_INFINITY && !(Number.isInteger(opt) && opt >= 1)) {
    throw new ValidationError(`maxPayloadBytes must be a whole number of bytes >= 1 (or Infinity), got ${String(opt)}`);
  }
  return opt;
}

/** ClientOptions.waitForReplicas, checked, as the broker takes it. */
function replicaWait(opt: ClientOptions['waitForReplicas']): ReplicaWait | undefined {
  if (opt === undefined) return undefined;
  if (typeof opt !== 'object' || opt === null) throw new ValidationError('waitForReplicas must be {replicas, timeout}');
  if (opt.replicas !== 'all' && (!Number.isInteger(opt.replicas) || opt.replicas < 1)) {
    throw new ValidationError(`waitForReplicas.replicas must be 'all' or a whole number >= 1, got ${String(opt.replicas)}`);
  }
  const timeoutMs = Math.ceil(toMs(opt.timeout, 'waitForReplicas.timeout'));
  // WAIT n 0 would block the connection until enough replicas answer, possibly forever.
  if (!(timeoutMs >= 1)) throw new ValidationError('waitForReplicas.timeout must be > 0 (WAIT with 0 waits forever)');
  return {replicas: opt.replicas, timeoutMs};
}

/** Adds the active trace context's headers to each plan's message; the task's own headers win. */
async function addTraceContext(plans: readonly EnqueuePlan[]): Promise<void> {
  const carrier = await traceContextHeaders();
  if (Object.keys(carrier).length === 0) return;
  for (const p of plans) p.msg.headers = {...carrier, ...p.msg.headers};
}

/** One item of enqueueMany: a task, or a task with options of its own. */
export type EnqueueManyItem = Task | [Task, TaskOptions];

/**
 * Single enqueues sent in one event-loop turn before the rest of that turn's are coalesced into one
 * socket write (Client #coalesceWrites).
 */
const COALESCE_AFTER = 64;

/**
 * Enqueues tasks into Redis, wire-compatible with Go asynq: a Go server processes them and Go
 * tools inspect them.
 *
 * ```ts
 * const client = new Client('redis://localhost:6379');
 * const info = await client.enqueue(new Task('email:welcome', {userId: 42}), {queue: 'critical', processIn: '10m'});
 * await client.close();
 * ```
 */
export class Client {
  readonly #rdb: RDB;
  readonly #conn: RedisConnection;
  readonly #owned: boolean;
  readonly #clock: Clock;
  readonly #maxPayloadBytes: number;
  readonly #propagateTraceContext: boolean;
  #closed = false;
  /** The socket corked by #coalesceWrites until the end of this event-loop turn, if any. */
  #corked: Socket | undefined;
  /** Single enqueues sent in this event-loop turn, and in the last turn that sent any. */
  #turnEnqueues = 0;
  #lastTurnEnqueues = 0;

  /**
   * @param conn where Redis is (URI, option object or an ioredis instance, which stays the
   *   caller's: close() then leaves it open).
   */
  constructor(conn: RedisConnOpt, opts: ClientOptions = {}) {
    const waitForReplicas = replicaWait(opts.waitForReplicas); // before connecting
    this.#maxPayloadBytes = payloadLimit(opts.maxPayloadBytes);
    this.#propagateTraceContext = opts.propagateTraceContext === true;
    const {client, owned} = createRedisClient(conn);
    // No auto-pipelining on the client's connection: measured side by side (npm run bench, 8
    // concurrent callers), it cut single enqueues from ~46k to ~19k tasks/s, as every
    // auto-pipeline carries a copy of the defined script commands. Concurrent enqueues share
    // socket writes instead (#coalesceWrites).
    this.#conn = client;
    this.#owned = owned;
    this.#clock = opts.clock ?? realClock;
    this.#rdb = new RDB(client, {clock: this.#clock, ...(waitForReplicas ? {waitForReplicas} : {})});
  }

  /**
   * Enqueues a task (Go `Client.Enqueue`). Options given here override the task's own options.
   * Resolves with the TaskInfo: state 'pending' (nextProcessAt = now), 'scheduled' (processAt in
   * the future; nextProcessAt = processAt) or 'aggregating' (group; nextProcessAt null).
   *
   * Rejects with ValidationError (bad task or option, or PayloadTooLargeError: a payload over
   * maxPayloadBytes; nothing written), DuplicateTaskError (the
   * uniqueness lock is held), TaskIdConflictError (the task ID exists; with `unique`, the lock just
   * taken stays held until its TTL, as in Go) or RedisCommandError; with waitForReplicas also
   * ReplicationTimeoutError. A conflict caused by ioredis resending this very write after a
   * reconnect (same ID, byte-identical task) is not an error.
   */
  async enqueue(task: Task, opts?: TaskOptions): Promise<TaskInfo> {
    this.#checkOpen();
    const plan = planEnqueue(task, [opts], this.#clock.now());
    this.#checkPayload(plan);
    if (this.#propagateTraceContext) await addTraceContext([plan]);
    this.#coalesceWrites();
    await this.#write(plan);
    return infoOf(plan);
  }

  /**
   * Enqueues many tasks (Go `Client.BatchEnqueue`, HEAD). Each item is a task or `[task, options]`;
   * options are layered task options → `opts` → item options. Resolves with one entry per item,
   * in order: its TaskInfo, or the Error of that item (a ValidationError for a bad item, checked
   * before anything is sent; the other items still go).
   *
   * Plain items (no `unique`, no `group` unless scheduled) are written as Go does: pipelined
   * enqueue/schedule scripts sharing one `pending_since`, not atomic across items, and an item
   * whose ID already exists is skipped **and reported as success** (Go behaviour). Unlike Go,
   * which rejects them, unique and group items are supported: each is written on its own exactly
   * as `enqueue` would (so a duplicate gets DuplicateTaskError and a taken ID TaskIdConflictError),
   * in input order between the pipelined runs, so pending lists keep the input order.
   */
  async enqueueMany(items: ReadonlyArray<EnqueueManyItem>, opts?: TaskOptions): Promise<Array<TaskInfo | Error>> {
    this.#checkOpen();
    if (!Array.isArray(items)) throw new ValidationError('enqueueMany expects an array of tasks or [task, options] pairs');
    const now = this.#clock.now();
    const plans: Array<EnqueuePlan | Error> = items.map((item) => {
      try {
        const [task, itemOpts] = Array.isArray(item) ? item : [item as Task, undefined];
        return this.#checkPayload(planEnqueue(task, [opts, itemOpts], now));
      } catch (err) {
        return err as Error;
      }
    });
    if (this.#propagateTraceContext) await addTraceContext(plans.filter((p): p is EnqueuePlan => !(p instanceof Error)));
    const results: Array<TaskInfo | Error> = plans.map((p) => (p instanceof Error ? p : infoOf(p)));
    let run: number[] = [];
    const flush = async (): Promise<void> => {
      if (run.length === 0) return;
      const batch = run;
      run = [];
      const errs = await this.#rdb.enqueueBatch(batch.map((i) => {
        const p = plans[i] as EnqueuePlan;
        return p.route.state === 'scheduled' ? {msg: p.msg, processAt: p.route.processAt} : {msg: p.msg};
      }));
      batch.forEach((i, n) => {
        const err = errs[n];
        if (err) results[i] = err;
      });
    };
    for (const [i, p] of plans.entries()) {
      if (p instanceof Error) continue;
      if (p.uniqueTtlSeconds === null && p.route.state !== 'aggregating') {
        run.push(i);
        continue;
      }
      await flush();
      try {
        await this.#write(p);
      } catch (err) {
        results[i] = err as Error;
      }
    }
    await flush();
    return results;
  }

  /** Checks the connection (PING). Rejects with RedisCommandError when Redis cannot be reached. */
  async ping(): Promise<void> {
    this.#checkOpen();
    await run('rdb.Ping', () => this.#rdb.ping());
  }

  /**
   * Closes the Redis connection if the Client created it; a connection passed in as an ioredis
   * instance stays open. Idempotent; any other call afterwards fails.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) await closeRedisClient(this.#conn);
  }

  /**
   * Round-trip sharing for many concurrent single enqueues without auto-pipelining: once more than
   * COALESCE_AFTER enqueues are made in one event-loop turn (or were in the last turn that made
   * any), the connection's socket is corked until the end of the turn (process.nextTick runs after
   * the promise jobs of the turn), so the commands still to be sent in it (all of them, in
   * practice: a command leaves after its call's first await) leave in one write (writev) and
   * their replies come back together. Below that each goes out at once: with a
   * few callers, corking made them wait for each other in lockstep (measured side by side with 8
   * callers: 19k/s corked against 29k/s written at once; with 128 callers 58k/s against 29k/s).
   * Each command is still sent and answered on its own, in the same order: Redis sees exactly
   * what it saw before. Only on a ready single-node connection (a Cluster spreads commands over
   * several sockets).
   */
  #coalesceWrites(): void {
    if (this.#turnEnqueues++ === 0) process.nextTick(this.#endTurn);
    if (this.#corked !== undefined) return;
    if (this.#turnEnqueues <= COALESCE_AFTER && this.#lastTurnEnqueues <= COALESCE_AFTER) return;
    const conn = this.#conn as {stream?: unknown; status?: unknown};
    const socket = conn.stream;
    if (!(socket instanceof Socket) || conn.status !== 'ready' || !socket.writable) return;
    socket.cork();
    this.#corked = socket;
  }

  readonly #endTurn = (): void => {
    this.#lastTurnEnqueues = this.#turnEnqueues;
    this.#turnEnqueues = 0;
    const socket = this.#corked;
    this.#corked = undefined;
    socket?.uncork();
  };

  #checkPayload(plan: EnqueuePlan): EnqueuePlan {
    const size = plan.msg.payload.length;
    if (size > this.#maxPayloadBytes) throw new PayloadTooLargeError(size, this.#maxPayloadBytes);
    return plan;
  }

  #checkOpen(): void {
    if (this.#closed) throw new FailedPreconditionError('asynq: client is closed');
  }

  /** One task, through the script its route and uniqueness call for (Go enqueue/schedule/addToGroup). */
  async #write(plan: EnqueuePlan): Promise<void> {
    const {msg, route, uniqueTtlSeconds: ttl} = plan;
    switch (route.state) {
      case 'scheduled':
        return ttl === null ? this.#rdb.schedule(msg, route.processAt) : this.#rdb.scheduleUnique(msg, route.processAt, ttl);
      case 'aggregating':
        return ttl === null ? this.#rdb.addToGroup(msg, route.group) : this.#rdb.addToGroupUnique(msg, route.group, ttl);
      case 'pending':
        return ttl === null ? this.#rdb.enqueue(msg) : this.#rdb.enqueueUnique(msg, ttl);
    }
  }
}

function infoOf(plan: EnqueuePlan): TaskInfo {
  return taskInfoFromMessage(plan.msg, plan.route.state, plan.nextProcessAt);
}
