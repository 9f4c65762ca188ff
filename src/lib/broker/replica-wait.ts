/**
 * Task-creating writes that must survive a lost connection and, with ClientOptions.waitForReplicas,
 * be acknowledged by replicas (asynq-ts only; Go asynq has neither). ReplicaWaiter runs the
 * enqueue/schedule/addToGroup scripts for RDB, recognises its own resent write after a connection
 * change, and ends pipelines with `WAIT replicas timeoutMs` on the same connection.
 *
 * A WAIT blocks its connection: Redis reads nothing more from it until WAIT returns. So at most one
 * WAIT pipeline is in flight per connection (per hash tag on a Cluster); writes that arrive
 * meanwhile go together in the next pipeline, behind one WAIT that covers them all (group commit).
 * Each call has a deadline (its start + timeoutMs): the WAIT gets the time left to the earliest
 * deadline of its pipeline, and a call with no reply shortly after its deadline (Redis unreachable,
 * the client reconnecting) is rejected, so a call settles within its timeout however many others
 * are waiting.
 */
import * as keys from '../base/keys.js';
import {decodeTaskMessage, encodeTaskMessage, type TaskMessage} from '../base/codec.js';
import {DuplicateTaskError, InternalError, ReplicationTimeoutError, TaskIdConflictError} from '../errors.js';
import {reconnectCount} from './reconnects.js';
import type {ChainableCommander} from 'ioredis';
import type {ScriptName} from '../scripts/index.js';
import type {ScriptArg} from './script-runner.js';
import type {Op, RedisSession} from './session.js';

/** Durable acknowledgement of task-creating writes (ClientOptions.waitForReplicas). */
export interface ReplicaWait {
  /** Replicas that must acknowledge each write (>= 1), or 'all' (ReplicaWaiter.wanted). */
  replicas: number | 'all';
  /** WAIT timeout in whole milliseconds (>= 1: WAIT 0 would block forever). */
  timeoutMs: number;
}

/** Replies of a pipeline of writes followed by WAIT (ReplicaWaiter.exec). */
export interface WaitedReplies {
  /** The replies of the writes (WAIT's removed). */
  replies: Array<[Error | null, unknown]>;
  /** WAIT's reply: replicas that acknowledged. */
  acked: number;
  /** Replicas WAIT asked for (ReplicaWait.replicas, 'all' resolved). */
  wanted: number;
  /**
   * The connection changed meanwhile (reconnects.ts). ioredis either resent the whole pipeline on
   * the new connection (no reply had arrived), where a resent script may meet its own first run
   * and write nothing for WAIT to cover, or aborted the unanswered rest (WAIT included).
   */
  uncertain: boolean;
}

/**
 * How long after its deadline a call waits for its reply before it is rejected: WAIT returns at
 * the deadline at the latest, so this is only room for the round trip and a busy event loop.
 */
const REPLY_GRACE_MS = 250;
/** replicas 'all': how often the master's replica count is read again (INFO replication). */
const REPLICA_COUNT_REFRESH_MS = 1_000;
/** replicas 'all': how long a replica that left is still waited for (see wanted()). */
const REPLICA_LEFT_HOLD_MS = 30_000;

/** What a pipeline sent through ReplicaWaiter.exec writes: a key of it (picks the lane), and for errors the queue and task. */
export interface WaitTarget {
  key: string;
  queue: string;
  taskId?: string;
}

/** One call waiting for its turn in a lane (a pipeline ending with WAIT). */
interface Pending {
  target: WaitTarget;
  add: (p: ChainableCommander) => void;
  deadline: number;
  /** Sent at once (the lane was idle, no earlier attempt): its WAIT gets the whole timeout. */
  fresh: boolean;
  settled: boolean;
  resolve: (r: WaitedReplies) => void;
  reject: (err: unknown) => void;
}

/** replicas 'all': what the last INFO replication of a lane's master said. */
interface ReplicaCount {
  /** master_replid: another master (a promoted replica has a new one) starts afresh. */
  replid: string;
  epoch: number;
  readAt: number;
  wanted: number;
  /** Since when fewer replicas than `wanted` are connected. */
  fewerSince?: number;
}

/** Go's ErrTaskIdConflict / ErrDuplicateTask for the codes of the creating scripts. */
function checkCreated(op: Op, res: unknown, msg: TaskMessage, uniqueKey?: string): void {
  if (res === 1) return;
  if (res === 0) throw new TaskIdConflictError(msg.queue, msg.id);
  if (res === -1) throw new DuplicateTaskError(msg.queue, uniqueKey);
  throw new InternalError(`${op}: unexpected return value from Lua script: ${String(res)}`);
}

/** ioredis' AbortError: a command of a pipeline dropped when its connection closed after part of the pipeline was answered. */
function isAborted(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

/** A field of an INFO reply (`name:value` lines). */
function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*?)\\r?$`, 'm').exec(info)?.[1];
}

export class ReplicaWaiter {
  readonly #s: RedisSession;
  /** waitForReplicas, when set. */
  readonly wait: ReplicaWait | undefined;
  /** Calls waiting per lane, and whether the lane has a pipeline in flight. */
  readonly #lanes = new Map<string, {busy: boolean; queue: Pending[]}>();
  readonly #counts = new Map<string, ReplicaCount>();

  constructor(session: RedisSession, wait: ReplicaWait | undefined) {
    this.#s = session;
    this.wait = wait;
  }

  /**
   * The lane of a key: one per client, on a Cluster one per hash tag (every key of a pipeline
   * shares its slot, so a lane's pipelines all go to one node).
   */
  #lane(key: string): string {
    if (!this.#s.isCluster) return '';
    const open = key.indexOf('{');
    const close = open < 0 ? -1 : key.indexOf('}', open + 1);
    return close > open + 1 ? key.slice(open + 1, close) : key;
  }

  /**
   * Runs the commands `add` puts in a pipeline (scripts through runner.pipeEval), then WAIT on the
   * same connection, possibly in one pipeline with other calls' commands (group commit). Rejects
   * with the raw ioredis error (the caller's run(op) maps it), or with ReplicationTimeoutError
   * (acknowledged null, reason 'no-reply') when nothing came back by `deadline` plus a little
   * room; the commands may still run later. `deadline` (default now + timeoutMs) is given for a
   * second attempt within the first one's time.
   */
  exec(target: WaitTarget, add: (p: ChainableCommander) => void, deadline?: number): Promise<WaitedReplies> {
    const lane = this.#lane(target.key);
    if (deadline !== undefined && deadline <= Date.now()) return Promise.reject(this.#noReply(target));
    let l = this.#lanes.get(lane);
    if (!l) this.#lanes.set(lane, (l = {busy: false, queue: []}));
    const lanes = l;
    const fresh = deadline === undefined && !l.busy;
    const due = deadline ?? Date.now() + this.#waitOpts().timeoutMs;
    return new Promise<WaitedReplies>((resolve, reject) => {
      // eslint-disable-next-line prefer-const -- assigned once the item it clears exists
      let timer: NodeJS.Timeout | undefined;
      const item: Pending = {
        target, add, deadline: due, fresh, settled: false,
        resolve: (r) => {
          clearTimeout(timer);
          if (item.settled) return;
          item.settled = true;
          resolve(r);
        },
        reject: (err) => {
          clearTimeout(timer);
          if (item.settled) return;
          item.settled = true;
          reject(err);
        },
      };
      timer = setTimeout(() => item.reject(this.#noReply(target)), due - Date.now() + REPLY_GRACE_MS);
      lanes.queue.push(item);
      void this.#pump(lane);
    });
  }

  /** No reply by the deadline: the write may or may not have happened. */
  #noReply(target: WaitTarget): ReplicationTimeoutError {
    const wait = this.#waitOpts();
    const wanted = wait.replicas === 'all' ? this.#counts.get(this.#lane(target.key))?.wanted ?? 1 : wait.replicas;
    return new ReplicationTimeoutError(target.queue, target.taskId, null, wanted, wait.timeoutMs, 'no-reply');
  }

  /** Sends the lane's waiting calls, one pipeline at a time, until none is left. */
  async #pump(lane: string): Promise<void> {
    const l = this.#lanes.get(lane)!;
    if (l.busy) return;
    l.busy = true;
    try {
      for (;;) {
        const batch = l.queue.splice(0).filter((it) => !it.settled);
        if (batch.length === 0) break;
        await this.#send(batch);
      }
    } finally {
      l.busy = false;
      if (l.queue.length === 0) this.#lanes.delete(lane);
    }
  }

  /** One pipeline: the writes of `batch`, then WAIT with the time left to the earliest deadline. */
  async #send(batch: Pending[]): Promise<void> {
    const client = this.#s.client;
    const epoch = reconnectCount(client);
    const replicas = this.#waitOpts().replicas;
    let wanted: number;
    try {
      // A number needs no await: a call to an idle lane is sent in the turn it was made.
      wanted = typeof replicas === 'number' ? replicas : await this.wanted(batch[0]!.target.key);
    } catch (err) {
      for (const it of batch) it.reject(err);
      return;
    }
    const now = Date.now();
    const live = batch.filter((it) => !it.settled && it.deadline > now);
    for (const it of batch) if (!live.includes(it)) it.reject(this.#noReply(it.target));
    if (live.length === 0) return;
    const p = client.pipeline();
    const spans: Array<[number, number]> = [];
    const sent: Pending[] = [];
    for (const it of live) {
      const from = p.length;
      try {
        it.add(p);
      } catch (err) {
        // Nothing a caller adds throws after adding commands (the script runner checks first).
        it.reject(err);
        continue;
      }
      spans.push([from, p.length]);
      sent.push(it);
    }
    if (sent.length === 0) return;
    const timeoutMs = this.#waitOpts().timeoutMs;
    p.wait(wanted, Math.max(1, Math.min(...sent.map((it) => (it.fresh ? timeoutMs : it.deadline - now)))));
    let replies: Array<[Error | null, unknown]> | null;
    try {
      replies = await p.exec();
      if (!replies) throw new Error('pipeline returned no replies');
    } catch (err) {
      for (const it of sent) it.reject(err);
      return;
    }
    const [waitErr, acked] = replies[replies.length - 1]!;
    const uncertain = reconnectCount(client) !== epoch;
    sent.forEach((it, i) => {
      const [from, to] = spans[i]!;
      // When the connection closes after some replies of a pipeline arrived, ioredis aborts the
      // rest (WAIT included) instead of resending it: the writes may have happened, unconfirmed.
      if (waitErr && !uncertain) it.reject(waitErr);
      else it.resolve({replies: replies.slice(from, to), acked: waitErr ? 0 : Number(acked), wanted, uncertain});
    });
  }

  /**
   * The replicas a WAIT asks for. A number as given; 'all': the replicas connected to the master
   * the lane's connection reaches (INFO replication `connected_slaves`, read again after a
   * reconnect and at most once a second), at least 1. A replica that leaves is still counted for
   * REPLICA_LEFT_HOLD_MS: in a planned switchover the promoted replica leaves first, while the
   * old master still accepts writes and the other replicas still follow it; those writes are
   * wiped when the replicas resync from the new master, so they must not count as acknowledged.
   * Another master (another `master_replid`) is counted afresh.
   */
  async wanted(key: string): Promise<number> {
    const wait = this.#waitOpts();
    if (wait.replicas !== 'all') return wait.replicas;
    const client = this.#s.client;
    const lane = this.#lane(key);
    const epoch = reconnectCount(client);
    const last = this.#counts.get(lane);
    const now = Date.now();
    if (last && last.epoch === epoch && now - last.readAt < REPLICA_COUNT_REFRESH_MS) return last.wanted;
    // A keyed command first so that, on a Cluster, INFO goes to the node of the lane's slot.
    const p = client.pipeline();
    if (this.#s.isCluster) p.exists(key);
    p.info('replication');
    const replies = await p.exec();
    const [err, info] = replies?.[replies.length - 1] ?? [new Error('pipeline returned no replies')];
    if (err) throw err;
    const connected = Math.max(1, Number(infoField(String(info), 'connected_slaves') ?? 0) || 0);
    const replid = infoField(String(info), 'master_replid') ?? '';
    const next: ReplicaCount = {replid, epoch, readAt: now, wanted: connected};
    if (last && last.replid === replid && connected < last.wanted) {
      next.fewerSince = last.fewerSince ?? now;
      if (now - next.fewerSince < REPLICA_LEFT_HOLD_MS) next.wanted = last.wanted;
      else delete next.fewerSince;
    }
    this.#counts.set(lane, next);
    return next.wanted;
  }

  #waitOpts(): ReplicaWait {
    if (!this.wait) throw new Error('ReplicaWaiter: waitForReplicas is not set');
    return this.wait;
  }

  /**
   * One task-creating script (codes 1 / 0 conflict / -1 duplicate, checkCreated). ioredis may
   * resend a script whose reply was lost with its connection, so after a connection change a
   * conflict can be our own write. It counts as success when the task under our ID is ours
   * (sameTask: our message, possibly processed since; for unique tasks, the lock holds our ID),
   * read right after the script ran. Without a connection change a conflict is one, even with
   * identical bytes (Go behaviour).
   *
   * After a connection change the script is sent once more with the reads behind it in the same
   * pipeline (Redis runs them back to back; a worker needs two round trips, dequeue and done, to
   * delete the task between them), unless it reported success (no waitForReplicas: it ran, on
   * this connection or the former one) or the reads alone already show our task. With
   * waitForReplicas an uncertain WAIT is never trusted: that second write's WAIT decides, within
   * the first one's deadline; uncertain twice → ReplicationTimeoutError with `acknowledged` null.
   * A task deleted by a worker before the second write is written again: it may run twice
   * (at-least-once), never reported as a conflict.
   */
  async create(op: Op, name: ScriptName, k: string[], argv: ScriptArg[], msg: TaskMessage, uniqueKey?: string): Promise<void> {
    const s = this.#s;
    const wait = this.wait;
    const deadline = Date.now() + (wait?.timeoutMs ?? 0);
    const taskKey = keys.taskKey(msg.queue, msg.id);
    const target = {key: k[0]!, queue: msg.queue, taskId: msg.id};
    /** The script, then (`check`) HGET msg and GET lock; WAIT with waitForReplicas. */
    const attempt = async (check: boolean): Promise<Attempt> => {
      const add = (p: ChainableCommander): void => {
        s.runner.pipeEval(p, name, k, argv);
        if (check) {
          p.hgetBuffer(taskKey, 'msg');
          if (uniqueKey) p.get(uniqueKey);
        }
      };
      return s.run(op, async () => {
        const client = s.client;
        const epoch = reconnectCount(client);
        let replies: Array<[Error | null, unknown]>;
        let acked: number | undefined;
        let wanted: number | undefined;
        let uncertain: boolean;
        if (wait) {
          ({replies, acked, wanted, uncertain} = await this.exec(target, add, check ? deadline : undefined));
        } else if (check) {
          const p = client.pipeline();
          add(p);
          replies = (await p.exec()) ?? [];
          uncertain = reconnectCount(client) !== epoch;
        } else {
          try {
            replies = [[null, await s.runner.run(name, k, argv)]];
          } catch (err) {
            // On an auto-pipelining connection (Client, Server) a script behind other commands
            // whose replies arrived before the connection closed is aborted, not resent: like a
            // lost reply, the second attempt decides.
            if (!isAborted(err) || reconnectCount(client) === epoch) throw err;
            replies = [[err as Error, undefined]];
          }
          uncertain = reconnectCount(client) !== epoch;
        }
        const [[err, res] = [new Error('pipeline returned no replies'), undefined], stored, holder] = replies;
        // A write aborted with its connection (a later one in a pipeline) may or may not have run:
        // the second attempt decides.
        if (err && (!uncertain || (!wait && !isAborted(err)))) throw err;
        const ours = !err && !stored?.[0] && !holder?.[0] && check
          ? sameTask(stored?.[1] as Buffer | null, msg) && (!uniqueKey || holder?.[1] === msg.id)
          : false;
        return {res: err ? undefined : res, ours, acked, wanted, uncertain};
      });
    };
    const first = await attempt(false);
    let r = first;
    if (first.uncertain) {
      if (!wait && (first.res === 1 || await this.#storedByUs(op, msg, uniqueKey))) return;
      r = await attempt(true);
      if (wait && r.uncertain) throw new ReplicationTimeoutError(msg.queue, msg.id, null, r.wanted!, wait.timeoutMs);
      // Ours: written by one of the two attempts, or found by the reads. Else the first code
      // that was not lost (a unique task's second run meets the lock its first run took).
      if (r.ours || r.res === 1 || first.res === 1) r.res = 1;
      else if (first.res !== undefined) r.res = first.res;
    }
    checkCreated(op, r.res, msg, uniqueKey);
    if (wait && r.acked! < r.wanted!) throw new ReplicationTimeoutError(msg.queue, msg.id, r.acked!, r.wanted!, wait.timeoutMs);
  }

  /** The task under msg's ID is ours (sameTask; the uniqueness lock, if any, holds its ID). */
  async #storedByUs(op: Op, msg: TaskMessage, uniqueKey?: string): Promise<boolean> {
    const client = this.#s.client;
    const [stored, holder] = await this.#s.run(op, () => Promise.all([
      client.hgetBuffer(keys.taskKey(msg.queue, msg.id), 'msg'),
      uniqueKey ? client.get(uniqueKey) : Promise.resolve(msg.id),
    ]));
    return sameTask(stored, msg) && holder === msg.id;
  }
}

/** What one attempt of ReplicaWaiter.create got back. */
interface Attempt {
  /** The script's code; undefined when its reply was lost with the connection. */
  res: unknown;
  /** The reads after the script show our task (only with `check`). */
  ours: boolean;
  acked?: number | undefined;
  wanted?: number | undefined;
  uncertain: boolean;
}

/**
 * `stored` (a task hash's msg) is msg, possibly processed since: a worker rewrites the message
 * when the task is retried (retried, error_msg, last_failed_at) or completed with retention
 * (completed_at); every other field is ours byte for byte.
 */
function sameTask(stored: Buffer | null | undefined, msg: TaskMessage): boolean {
  if (!stored) return false;
  const mine = encodeTaskMessage(msg);
  if (stored.equals(mine)) return true;
  let theirs: TaskMessage;
  try {
    theirs = decodeTaskMessage(stored);
  } catch {
    return false;
  }
  const unprocessed = {...theirs, retried: msg.retried, errorMsg: msg.errorMsg, lastFailedAt: msg.lastFailedAt, completedAt: msg.completedAt};
  return encodeTaskMessage(unprocessed).equals(mine);
}
