/**
 * InspectorCommand: the base of the commands that read or repair queues (`stats`, `queue …`,
 * `task …`, `group ls`, `server ls`, `cron ls|history`). It adds to AsynqCommand:
 *
 * - `this.inspector()`: an Inspector on the resolved connection, with a client that fails fast
 *   (one connection attempt, 5 s connect timeout, no retries) and a PING first, so an unreachable
 *   server or wrong credentials end in one clear RedisUnavailableError line (exit 5) before any
 *   change; closed in finally();
 * - the flags these commands share (queue, state, group, task id, paging, force);
 * - `confirmDestructive()`: --force, or a y/N question on a terminal; without a terminal a usage
 *   error (exit 2) that says to re-run with --force. Never prompts with --json or on CI.
 */
import {createInterface} from 'node:readline/promises';
import {Args, Flags} from '@oclif/core';
import type {ClusterOptions, RedisOptions} from 'ioredis';
import {QueueNotFoundError, RedisUnavailableError, ValidationError, errorMessage} from '../lib/errors.js';
import {BULK_STATES, Inspector, TASK_STATES, type BulkAction, type TaskState} from '../lib/index.js';
import {closeRedisClient, createRedisClient, type RedisConnection} from '../lib/redis.js';
import {AsynqCommand} from './base-command.js';
import {describeConnection, type CliConnection, type ResolvedConnection} from './connection.js';
import {queueName} from './flags.js';
import {localTimeZone} from './views.js';
import {canPrompt} from './tty.js';

const CONNECT_TIMEOUT_MS = 5_000;
const FAIL_FAST: RedisOptions = {connectTimeout: CONNECT_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null};

/** The connection with ioredis options that give up after one failed attempt (a one-shot command must not hang). */
export function failFast(conn: CliConnection): CliConnection {
  if ('addrs' in conn) {
    const clusterOptions: ClusterOptions = {
      clusterRetryStrategy: () => null, slotsRefreshTimeout: CONNECT_TIMEOUT_MS, ...conn.clusterOptions,
      redisOptions: {...FAIL_FAST, ...conn.clusterOptions?.redisOptions},
    };
    return {...conn, clusterOptions};
  }
  const sentinel: RedisOptions = 'masterName' in conn ? {sentinelRetryStrategy: () => null} : {};
  return {...conn, redisOptions: {...FAIL_FAST, ...sentinel, ...conn.redisOptions}} as CliConnection;
}

const AUTH_FAILURE = /\b(WRONGPASS|NOAUTH|NOPERM)\b|invalid password|invalid username-password/i;

/** The error for a failed first PING: what was tried, why it failed, and what to check. */
export function unavailable(resolved: ResolvedConnection, err: unknown, lastError: unknown): RedisUnavailableError {
  const cause = lastError ?? err;
  const reason = errorMessage(cause).replace(/^rdb\.Ping: /, '');
  const where = `${describeConnection(resolved.conn)} (${resolved.source === 'default' ? 'the default address' : `from ${resolved.source}`})`;
  if (AUTH_FAILURE.test(reason) || AUTH_FAILURE.test(errorMessage(err))) {
    return new RedisUnavailableError(`Redis at ${where} refused the credentials: ${reason}`, {
      cause, actions: ['check --username/--password, the user and password in the URI, or ~/.asynq.yml'],
    });
  }
  return new RedisUnavailableError(`cannot connect to Redis at ${where}: ${reason}`, {
    cause, actions: ['check --uri (or ASYNQ_REDIS_URL, REDIS_URL, ~/.asynq.yml) and that Redis is running there'],
  });
}

// Flags shared by the inspection commands.
export const inspectFlags = {
  queue: queueName({required: true, summary: 'Queue name.'}),
  group: Flags.string({char: 'g', helpValue: '<group>', summary: 'Aggregation group (required with --state aggregating).'}),
  id: Flags.string({char: 'i', helpValue: '<task-id>', summary: 'Task ID (or give it as the argument).'}),
  page: Flags.integer({min: 1, default: 1, helpValue: '<n>', summary: 'Page number (1-based).'}),
  size: Flags.integer({min: 1, default: 30, helpValue: '<n>', summary: 'Page size.'}),
  force: Flags.boolean({char: 'f', summary: 'Do it without asking (required when not on a terminal).'}),
};

/** -s/--state limited to the given states (a wrong one is a usage error, exit 2). */
export function stateFlag(states: readonly TaskState[] = TASK_STATES) {
  return Flags.string({char: 's', required: true, options: [...states], helpValue: '<state>', summary: `Task state: ${states.join(', ')}.`});
}

/** The optional TASK_ID argument of the single-task commands (same as --id). */
export const taskIdArg = {id: Args.string({description: 'Task ID (same as --id).'})};

/** The task ID from the argument or --id: exactly one of them. */
export function taskIdFrom(arg: string | undefined, flag: string | undefined): string {
  if (arg !== undefined && flag !== undefined && arg !== flag) throw new ValidationError('give the task ID either as the argument or with --id, not both');
  const id = arg ?? flag;
  if (id === undefined || id === '') throw new ValidationError('missing task ID: pass it as the argument or with --id');
  return id;
}

export abstract class InspectorCommand extends AsynqCommand {
  #client?: RedisConnection;
  #inspector?: Inspector;

  /** "Now" for relative times in human output. */
  protected readonly now = new Date();
  /** Zone of the times printed in Go's UnixDate layout (the local zone, as Go's CLI; TZ honoured). */
  protected readonly timeZone = localTimeZone();

  /** Connects (after this.parse()) and checks the connection with a PING; one Inspector per command. */
  protected async inspector(): Promise<Inspector> {
    if (this.#inspector) return this.#inspector;
    const resolved = this.connection();
    let lastError: unknown;
    const {client} = createRedisClient(failFast(resolved.conn));
    client.on('error', (e: unknown) => { lastError = e; });
    this.#client = client;
    const inspector = new Inspector(client);
    let timer: NodeJS.Timeout | undefined;
    const noAnswer = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer to PING within ${CONNECT_TIMEOUT_MS / 1000}s`)), CONNECT_TIMEOUT_MS);
    });
    try {
      await Promise.race([inspector.ping(), noAnswer]);
    } catch (err) {
      throw unavailable(resolved, err, lastError);
    } finally {
      clearTimeout(timer);
    }
    this.#inspector = inspector;
    return inspector;
  }

  /** The checked connection behind this.inspector(), for a Client on the same socket; closed in finally(). */
  protected async redis(): Promise<RedisConnection> {
    await this.inspector();
    return this.#client!;
  }

  /** Fails with QueueNotFoundError (exit 3) unless every queue exists: checked before a multi-queue change. */
  protected async requireQueues(inspector: Inspector, queues: readonly string[]): Promise<void> {
    const known = new Set(await inspector.queues());
    const missing = queues.find((q) => !known.has(q));
    if (missing !== undefined) throw new QueueNotFoundError(missing);
  }

  /**
   * Applies `act` to each queue in order, after checking that all of them exist (so an unknown
   * name changes nothing). Stops at the first failure; the queues before it stay changed.
   */
  protected async forEachQueue<T>(queues: readonly string[], act: (inspector: Inspector, queue: string) => Promise<T>): Promise<T[]> {
    const inspector = await this.inspector();
    await this.requireQueues(inspector, queues);
    const out: T[] = [];
    for (const q of queues) out.push(await act(inspector, q));
    return out;
  }

  /**
   * Asks before a destructive change unless --force was given. Without a terminal (or with
   * --json, or on CI) it fails with exit 2 and says to re-run with --force.
   */
  protected async confirmDestructive(what: string, force: boolean): Promise<void> {
    if (force) return;
    if (!canPrompt(process, this.jsonEnabled())) {
      throw new ValidationError(`refusing to ${what} without confirmation: re-run with --force`);
    }
    const rl = createInterface({input: process.stdin, output: process.stderr});
    try {
      const answer = await rl.question(`${what[0]!.toUpperCase()}${what.slice(1)}? [y/N] `);
      if (!/^y(es)?$/i.test(answer.trim())) throw new ValidationError(`not confirmed: nothing was changed (use --force to skip the question)`);
    } finally {
      rl.close();
    }
  }

  protected override async finally(err: Error | undefined): Promise<void> {
    try {
      await this.#inspector?.close();
      if (this.#client) await closeRedisClient(this.#client);
    } finally {
      await super.finally(err);
    }
  }
}

/** What a single-task command did: the task's state afterwards ('deleted' when it is gone). */
export interface TaskActionResult {
  queue: string;
  id: string;
  state: 'archived' | 'pending' | 'deleted';
}

/**
 * `asynq task archive|delete|run`: one task, by --queue and the ID (argument or --id).
 * Subclasses declare `static override args = taskIdArg` themselves: oclif's parse() spreads the
 * command class, which drops inherited statics other than flags.
 */
export abstract class TaskActionCommand extends InspectorCommand {
  static override flags = {queue: inspectFlags.queue, id: inspectFlags.id};

  /** The state the task is in afterwards. */
  protected abstract readonly outcome: TaskActionResult['state'];
  /** Go CLI's success line. */
  protected abstract readonly doneMessage: string;
  protected abstract act(inspector: Inspector, queue: string, id: string): Promise<void>;

  async run(): Promise<TaskActionResult> {
    const {args, flags} = await this.parse();
    const id = taskIdFrom(args.id as string | undefined, flags.id as string | undefined);
    const queue = flags.queue as string;
    await this.act(await this.inspector(), queue, id);
    this.log(this.doneMessage);
    return {queue, id, state: this.outcome};
  }
}

/** What a bulk command did. */
export interface BulkActionResult {
  queue: string;
  state: TaskState;
  /** The group, for state 'aggregating'; otherwise null. */
  group: string | null;
  /** Number of tasks deleted, archived or moved to pending. */
  count: number;
}

/** `asynq task deleteall|archiveall|runall`: every task of a state (or of a group). */
export abstract class BulkTaskCommand extends InspectorCommand {
  protected abstract readonly action: BulkAction;
  /** Deleting and archiving everything asks first (or needs --force). */
  protected abstract readonly destructive: boolean;
  /** Go CLI's success line, given the count. */
  protected abstract doneMessage(count: number): string;

  /** The flags of a bulk command for the states `action` supports. */
  static bulkFlags(action: BulkAction, destructive: boolean) {
    return {
      queue: inspectFlags.queue,
      state: stateFlag(BULK_STATES[action]),
      group: inspectFlags.group,
      ...(destructive ? {force: inspectFlags.force} : {}),
    };
  }

  async run(): Promise<BulkActionResult> {
    const {flags} = await this.parse();
    const queue = flags.queue as string;
    const state = flags.state as TaskState;
    const group = state === 'aggregating' ? (flags.group as string | undefined) ?? '' : null;
    if (group === '') throw new ValidationError('--group is required with --state aggregating');
    const inspector = await this.inspector();
    if (this.destructive) {
      const what = group === null ? `${state} tasks in queue "${queue}"` : `aggregating tasks of group "${group}" in queue "${queue}"`;
      await this.confirmDestructive(`${this.action} all ${what}`, flags.force === true);
    }
    const count = await inspector.bulkTasks(this.action, queue, state, {group: group ?? undefined});
    this.log(this.doneMessage(count));
    return {queue, state, group, count};
  }
}
