/**
 * RDBState: server and scheduler state in Redis (Go asynq internal/rdb/rdb.go WriteServerState,
 * ClearServerState, WriteSchedulerEntries, ClearSchedulerEntries, RecordSchedulerEnqueueEvent,
 * ClearSchedulerHistory; messages of internal/proto/asynq.proto), readable by v0.24.1 peers too.
 *
 * The global zsets (asynq:servers, asynq:workers, asynq:schedulers) are written with separate
 * commands before the script, as Go does, so these operations are not atomic as a whole.
 */
import * as keys from '../base/keys.js';
import {
  encodeSchedulerEnqueueEvent, encodeSchedulerEntry, encodeServerInfo, encodeWorkerInfo,
  type SchedulerEnqueueEvent, type SchedulerEntry, type ServerInfo, type Timestamp, type WorkerInfo,
} from '../base/codec.js';
import {MAX_SCHEDULER_EVENTS} from '../base/states.js';
import {unixSeconds} from '../clock.js';
import {ValidationError} from '../errors.js';
import type {ScriptArg} from './script-runner.js';
import type {Op, RedisSession} from './session.js';

/** ServerInfo.status values a server writes (Go `serverStateValue.String`); "new" never reaches Redis. */
const WRITTEN_SERVER_STATUSES = ['active', 'stopped', 'closed'] as const;

/** Timestamp range every Go reader accepts (0001-01-01 … 9999-12-31T23:59:59Z; v0.24.1 rejects others). */
const MIN_TIMESTAMP_SECONDS = -62135596800;
const MAX_TIMESTAMP_SECONDS = 253402300799;

export class RDBState {
  readonly #s: RedisSession;

  /** Works over `rdb`'s session (connection, scripts, clock). */
  constructor(rdb: {readonly session: RedisSession}) {
    this.#s = rdb.session;
  }

  /**
   * Heartbeat write (Go WriteServerState, writeServerStateCmd): ZADD asynq:servers and
   * asynq:workers (score now + ttl, unix s) as two
   * separate commands, then one script that SETEXes the ServerInfo and replaces the workers hash
   * (field = task ID, value = WorkerInfo) with the same TTL. With no workers the workers key is
   * absent but its asynq:workers member is still written (as Go).
   *
   * Throws ValidationError (nothing written) when ttlSeconds is not a positive integer, the status
   * is not active/stopped/closed or startTime is outside the range Go readers accept. A worker
   * with an out-of-range Timestamp is left out, as Go skips workers it cannot encode.
   */
  async writeServerState(info: ServerInfo, workers: readonly WorkerInfo[], ttlSeconds: number): Promise<void> {
    const op = 'rdb.WriteServerState';
    checkTtl(op, ttlSeconds);
    const problem = serverInfoProblem(info);
    if (problem !== undefined) throw new ValidationError(`${op}: ${problem}`);
    const argv: ScriptArg[] = [ttlSeconds, encodeServerInfo(info)];
    for (const w of workers) {
      if (workerInfoProblem(w) === undefined) argv.push(w.taskId, encodeWorkerInfo(w));
    }
    const expiresAt = this.#expiry(ttlSeconds);
    const serverKey = keys.serverInfoKey(info.host, info.pid, info.serverId);
    const workersKey = keys.workersKey(info.host, info.pid, info.serverId);
    await this.#s.run(op, async () => {
      await this.#s.client.zadd(keys.allServers, expiresAt, serverKey);
      await this.#s.client.zadd(keys.allWorkers, expiresAt, workersKey);
      await this.#s.runner.run('writeServerState', [serverKey, workersKey], argv);
    });
  }

  /** Shutdown (Go ClearServerState): ZREM both zset members (separate commands), then DEL both keys. */
  async clearServerState(host: string, pid: number, serverId: string): Promise<void> {
    const serverKey = keys.serverInfoKey(host, pid, serverId);
    const workersKey = keys.workersKey(host, pid, serverId);
    await this.#s.run('rdb.ClearServerState', async () => {
      await this.#s.client.zrem(keys.allServers, serverKey);
      await this.#s.client.zrem(keys.allWorkers, workersKey);
      await this.#s.runner.run('clearServerState', [serverKey, workersKey], []);
    });
  }

  /**
   * Scheduler heartbeat (Go WriteSchedulerEntries, writeSchedulerEntriesCmd): ZADD
   * asynq:schedulers (now + ttl), then one script that replaces
   * the LIST `asynq:schedulers:{<schedulerId>}` by LPUSHing the entries in the given order (so
   * Redis holds them reversed, as Go) with the TTL. An entry with an out-of-range Timestamp is
   * left out (Go skips entries it cannot encode). Never-fired entries must carry
   * prevEnqueueTime = ZERO_TIME. Throws ValidationError when ttlSeconds is not a positive integer.
   */
  async writeSchedulerEntries(schedulerId: string, entries: readonly SchedulerEntry[], ttlSeconds: number): Promise<void> {
    const op = 'rdb.WriteSchedulerEntries';
    checkTtl(op, ttlSeconds);
    const argv: ScriptArg[] = [ttlSeconds];
    for (const e of entries) {
      if (schedulerEntryProblem(e) === undefined) argv.push(encodeSchedulerEntry(e));
    }
    const key = keys.schedulerEntriesKey(schedulerId);
    const expiresAt = this.#expiry(ttlSeconds);
    await this.#s.run(op, async () => {
      await this.#s.client.zadd(keys.allSchedulers, expiresAt, key);
      await this.#s.runner.run('writeSchedulerEntries', [key], argv);
    });
  }

  /** Scheduler shutdown: ZREM the asynq:schedulers member, then DEL the entries key (plain commands). */
  async clearSchedulerEntries(schedulerId: string): Promise<void> {
    const key = keys.schedulerEntriesKey(schedulerId);
    await this.#s.run('rdb.ClearSchedulerEntries', async () => {
      await this.#s.client.zrem(keys.allSchedulers, key);
      await this.#s.client.del(key);
    });
  }

  /**
   * One successful firing (Go RecordSchedulerEnqueueEvent, recordSchedulerEnqueueEventCmd): trims
   * `asynq:scheduler_history:<entryId>` to its newest 999
   * events, then ZADDs the encoded event scored by its enqueue time (unix s), so at most 1000
   * remain. Throws ValidationError (nothing written) for an out-of-range enqueue time.
   */
  async recordSchedulerEnqueueEvent(entryId: string, event: SchedulerEnqueueEvent): Promise<void> {
    const op = 'rdb.RecordSchedulerEnqueueEvent';
    const problem = timestampsProblem([['SchedulerEnqueueEvent.enqueueTime', event.enqueueTime]]);
    if (problem !== undefined) throw new ValidationError(`${op}: ${problem}`);
    await this.#s.script(op, 'recordSchedulerEnqueueEvent',
      [keys.schedulerHistoryKey(entryId)],
      [event.enqueueTime.seconds, encodeSchedulerEnqueueEvent(event), MAX_SCHEDULER_EVENTS],
    );
  }

  /** DEL `asynq:scheduler_history:<entryId>` (when the owning scheduler shuts down). */
  async clearSchedulerHistory(entryId: string): Promise<void> {
    await this.#s.run('rdb.ClearSchedulerHistory', () => this.#s.client.del(keys.schedulerHistoryKey(entryId)));
  }

  /** Go: clock.Now().Add(ttl).Unix(). */
  #expiry(ttlSeconds: number): number {
    return unixSeconds(this.#s.clock.now()) + ttlSeconds;
  }
}

function checkTtl(op: Op, ttlSeconds: number): void {
  // SETEX/EXPIRE take whole positive seconds; Go would send e.g. "1.5" and get a Redis error.
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new ValidationError(`${op}: TTL must be a positive whole number of seconds, got ${ttlSeconds}`);
  }
}

function timestampProblem(t: Timestamp): string | undefined {
  if (!Number.isSafeInteger(t.seconds) || t.seconds < MIN_TIMESTAMP_SECONDS || t.seconds > MAX_TIMESTAMP_SECONDS) {
    return `seconds ${t.seconds} is outside [${MIN_TIMESTAMP_SECONDS}, ${MAX_TIMESTAMP_SECONDS}]`;
  }
  if (!Number.isInteger(t.nanos) || t.nanos < 0 || t.nanos >= 1e9) return `nanos ${t.nanos} is outside [0, 1e9)`;
  return undefined;
}

/**
 * First out-of-range Timestamp among the named ones, if any. Go HEAD would write it and v0.24.1
 * readers (Asynqmon) would reject the record. Strings need no check: the codec replaces
 * lone surrogates so they always encode as valid UTF-8.
 */
function timestampsProblem(stamps: Array<[string, Timestamp]>): string | undefined {
  for (const [name, t] of stamps) {
    const p = timestampProblem(t);
    if (p !== undefined) return `${name} ${p}`;
  }
  return undefined;
}

function serverInfoProblem(s: ServerInfo): string | undefined {
  if (!(WRITTEN_SERVER_STATUSES as readonly string[]).includes(s.status)) {
    return `ServerInfo.status "${s.status}" is not one of ${WRITTEN_SERVER_STATUSES.join(', ')}`;
  }
  return timestampsProblem([['ServerInfo.startTime', s.startTime]]);
}

const workerInfoProblem = (w: WorkerInfo): string | undefined =>
  timestampsProblem([['startTime', w.startTime], ['deadline', w.deadline]]);

const schedulerEntryProblem = (e: SchedulerEntry): string | undefined =>
  timestampsProblem([['nextEnqueueTime', e.nextEnqueueTime], ['prevEnqueueTime', e.prevEnqueueTime]]);
