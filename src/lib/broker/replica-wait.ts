/**
 * Task-creating writes that must survive a lost connection and, with ClientOptions.waitForReplicas,
 * be acknowledged by replicas (asynq-ts only; Go asynq has neither). ReplicaWaiter runs the
 * enqueue/schedule/addToGroup scripts for RDB, recognises its own resent write after a connection
 * change, and ends pipelines with `WAIT replicas timeoutMs` on the same connection.
 */
import * as keys from '../base/keys.js';
import {encodeTaskMessage, type TaskMessage} from '../base/codec.js';
import {DuplicateTaskError, InternalError, ReplicationTimeoutError, TaskIdConflictError} from '../errors.js';
import {reconnectCount} from './reconnects.js';
import type {ChainableCommander} from 'ioredis';
import type {ScriptName} from '../scripts/index.js';
import type {ScriptArg} from './script-runner.js';
import type {Op, RedisSession} from './session.js';

/** Durable acknowledgement of task-creating writes (ClientOptions.waitForReplicas). */
export interface ReplicaWait {
  /** Replicas that must acknowledge each write (>= 1). */
  replicas: number;
  /** WAIT timeout in whole milliseconds (>= 1: WAIT 0 would block forever). */
  timeoutMs: number;
}

/** Replies of a pipeline of writes followed by WAIT (ReplicaWaiter.exec). */
export interface WaitedReplies {
  /** The replies of the writes (WAIT's removed). */
  replies: Array<[Error | null, unknown]>;
  /** WAIT's reply: replicas that acknowledged. */
  acked: number;
  /**
   * The connection changed meanwhile (reconnects.ts). ioredis either resent the whole pipeline on
   * the new connection (no reply had arrived), where a resent script may meet its own first run
   * and write nothing for WAIT to cover, or aborted the unanswered rest (WAIT included).
   */
  uncertain: boolean;
}

/** Go's ErrTaskIdConflict / ErrDuplicateTask for the codes of the creating scripts. */
function checkCreated(op: Op, res: unknown, msg: TaskMessage, uniqueKey?: string): void {
  if (res === 1) return;
  if (res === 0) throw new TaskIdConflictError(msg.queue, msg.id);
  if (res === -1) throw new DuplicateTaskError(msg.queue, uniqueKey);
  throw new InternalError(`${op}: unexpected return value from Lua script: ${String(res)}`);
}

export class ReplicaWaiter {
  readonly #s: RedisSession;
  /** waitForReplicas, when set. */
  readonly wait: ReplicaWait | undefined;

  constructor(session: RedisSession, wait: ReplicaWait | undefined) {
    this.#s = session;
    this.wait = wait;
  }

  /**
   * Runs the commands `add` puts in a pipeline (scripts through runner.pipeEval), then WAIT on the
   * same connection. Throws the raw ioredis error; the caller's run(op) maps it.
   */
  async exec(wait: ReplicaWait, add: (p: ChainableCommander) => void): Promise<WaitedReplies> {
    const client = this.#s.client;
    const epoch = reconnectCount(client);
    const p = client.pipeline();
    add(p);
    p.wait(wait.replicas, wait.timeoutMs);
    const replies = await p.exec();
    if (!replies) throw new Error('pipeline returned no replies');
    const [waitErr, acked] = replies.pop()!;
    const uncertain = reconnectCount(client) !== epoch;
    // When the connection closes after some replies of a pipeline arrived, ioredis aborts the
    // rest (WAIT included) instead of resending it: the writes may have happened, unconfirmed.
    if (waitErr && !uncertain) throw waitErr;
    return {replies, acked: waitErr ? 0 : Number(acked), uncertain};
  }

  /**
   * One task-creating script (codes 1 / 0 conflict / -1 duplicate, checkCreated). ioredis may
   * resend a script whose reply was lost with its connection, so after a connection change a
   * conflict can be our own write: it counts as success when the stored task has exactly the bytes
   * we sent (and, for unique tasks, the lock holds our ID). Without a connection change a conflict
   * is one, even with identical bytes (Go behaviour). With waitForReplicas an uncertain WAIT is not
   * trusted: the write is sent once more (the ID check makes that idempotent) and that WAIT
   * decides; uncertain twice → ReplicationTimeoutError with `acknowledged` null.
   */
  async create(op: Op, name: ScriptName, k: string[], argv: ScriptArg[], msg: TaskMessage, uniqueKey?: string): Promise<void> {
    const s = this.#s;
    const wait = this.wait;
    const once = async (): Promise<{res: unknown; acked?: number; uncertain: boolean}> => {
      if (!wait) {
        const epoch = reconnectCount(s.client);
        const res = await s.script(op, name, k, argv);
        return {res, uncertain: reconnectCount(s.client) !== epoch};
      }
      return s.run(op, async () => {
        const {replies: [[err, res]], acked, uncertain} = await this.exec(wait, (p) => s.runner.pipeEval(p, name, k, argv));
        if (err) throw err;
        return {res, acked, uncertain};
      });
    };
    let {res, acked, uncertain} = await once();
    const resent = uncertain;
    if (uncertain && wait) {
      ({res, acked, uncertain} = await once());
      if (uncertain) throw new ReplicationTimeoutError(msg.queue, msg.id, null, wait.replicas, wait.timeoutMs);
    }
    if ((res === 0 || res === -1) && resent && await this.#storedByUs(op, msg, uniqueKey)) return;
    checkCreated(op, res, msg, uniqueKey);
    if (wait && acked! < wait.replicas) throw new ReplicationTimeoutError(msg.queue, msg.id, acked!, wait.replicas, wait.timeoutMs);
  }

  /** The task exists with exactly msg's bytes (and the uniqueness lock, if any, holds its ID). */
  async #storedByUs(op: Op, msg: TaskMessage, uniqueKey?: string): Promise<boolean> {
    const client = this.#s.client;
    const [stored, holder] = await this.#s.run(op, () => Promise.all([
      client.hgetBuffer(keys.taskKey(msg.queue, msg.id), 'msg'),
      uniqueKey ? client.get(uniqueKey) : Promise.resolve(msg.id),
    ]));
    return stored !== null && stored.equals(encodeTaskMessage(msg)) && holder === msg.id;
  }
}
