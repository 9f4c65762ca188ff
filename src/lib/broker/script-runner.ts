/**
 * Runs the Lua scripts of src/lib/scripts by name. Each script is registered on a client with
 * ioredis defineCommand (EVALSHA, falling back to EVAL on NOSCRIPT, also inside pipelines) under
 * the name `asynq_<name>`, the first time it runs there: ioredis copies every defined command onto
 * each pipeline it creates, and auto-pipelining (Server) creates one per event-loop turn, so a
 * worker with all ~50 scripts defined would pay for ~100 copies per batch. Error replies are
 * mapped to typed errors by brokerError() in session.ts.
 */
import type {ChainableCommander, Cluster, Redis} from 'ioredis';
import {scripts, type ScriptName} from '../scripts/index.js';

export type RedisClient = Redis | Cluster;
export type ScriptArg = string | Buffer | number;

/** A client or pipeline seen as its commands, by name (defineCommand adds `<name>` and `<name>Buffer`). */
type Commands = Record<string, unknown>;
type ScriptFn = (...args: ScriptArg[]) => Promise<unknown>;

const commandsOf = (o: RedisClient | ChainableCommander): Commands => o as unknown as Commands;

/**
 * The auto-pipelines ioredis is still filling in this event-loop turn, or undefined when the
 * client does not show them. ioredis 5 keeps them in the private map `_autoPipelines` (slot key →
 * Pipeline) on every Redis and Cluster client; this is the only place that reads it, and
 * test/lib/broker/auto-pipelines.test.ts pins what it relies on. Without the map, ScriptRunner
 * defines every script up front (correct, and slower per auto-pipelined batch).
 */
export function pendingAutoPipelines(client: RedisClient): Iterable<Commands> | undefined {
  const map = (client as unknown as {_autoPipelines?: unknown})._autoPipelines;
  return map instanceof Map ? (map.values() as Iterable<Commands>) : undefined;
}

/** Copies defined command `fn` (and its Buffer variant) from a client onto a pipeline. */
function copyCommand(from: Commands, to: Commands, fn: string): void {
  to[fn] = from[fn];
  to[`${fn}Buffer`] = from[`${fn}Buffer`];
}

/**
 * The one registration path: defines script `name` on the client unless it is defined, and returns
 * its command name. Pipelines get their commands when they are created, so the auto-pipelines
 * still filling in this event-loop turn get the new one too (explicit pipelines: see pipe()).
 */
function defineScript(client: RedisClient, name: ScriptName): string {
  const fn = `asynq_${name}`;
  const c = commandsOf(client);
  if (typeof c[fn] === 'function') return fn;
  const s = scripts[name];
  client.defineCommand(fn, {numberOfKeys: s.numberOfKeys, lua: s.lua});
  for (const p of pendingAutoPipelines(client) ?? []) copyCommand(c, p, fn);
  return fn;
}

export class ScriptRunner {
  readonly client: RedisClient;

  constructor(client: RedisClient) {
    this.client = client;
    // Scripts are defined on first use, where the auto-pipelines can be reached to get them too;
    // otherwise all at once.
    if (pendingAutoPipelines(client) === undefined) {
      for (const name of Object.keys(scripts) as ScriptName[]) defineScript(client, name);
    }
  }

  /** Runs script `name`; replies come back as strings/numbers. Throws the raw ioredis error. */
  run(name: ScriptName, keys: string[], argv: ScriptArg[]): Promise<unknown> {
    this.#check(name, keys);
    const fn = commandsOf(this.client)[defineScript(this.client, name)] as ScriptFn;
    return fn.call(this.client, ...keys, ...argv);
  }

  /** Like run, with binary-safe replies (Buffers): for scripts that return protobuf bytes. */
  runBuffer(name: ScriptName, keys: string[], argv: ScriptArg[]): Promise<unknown> {
    this.#check(name, keys);
    const fn = commandsOf(this.client)[`${defineScript(this.client, name)}Buffer`] as ScriptFn;
    return fn.call(this.client, ...keys, ...argv);
  }

  /**
   * Adds a script call to a pipeline (ioredis pipelines inherit the commands defined on their
   * client when created; a script defined since is copied onto it the same way).
   */
  pipe(pipeline: ChainableCommander, name: ScriptName, keys: string[], argv: ScriptArg[]): void {
    this.#check(name, keys);
    const fn = defineScript(this.client, name);
    const p = commandsOf(pipeline);
    if (typeof p[fn] !== 'function') copyCommand(commandsOf(this.client), p, fn);
    void (p[fn] as ScriptFn)(...keys, ...argv);
  }

  /**
   * Adds a script call to a pipeline as EVAL with the full source. Unlike pipe() it never meets
   * NOSCRIPT, which ioredis answers by resending the script behind the rest of the pipeline: the
   * commands after it (a WAIT) are sure to run after its writes.
   */
  pipeEval(pipeline: ChainableCommander, name: ScriptName, keys: string[], argv: ScriptArg[]): void {
    this.#check(name, keys);
    pipeline.eval(scripts[name].lua, keys.length, ...keys, ...argv);
  }

  /** A wrong key count is a bug here: thrown before anything is sent (the caller's op wraps it). */
  #check(name: ScriptName, keys: string[]): void {
    const s = scripts[name];
    if (keys.length !== s.numberOfKeys) throw new Error(`script ${s.file} takes ${s.numberOfKeys} keys, got ${keys.length}`);
  }
}

/** Redis error reply text (ioredis ReplyError.message) or undefined. */
export function replyText(err: unknown): string | undefined {
  return err instanceof Error && err.name === 'ReplyError' ? err.message : undefined;
}
