/**
 * Runs the Lua scripts of src/lib/scripts by name. Each script is registered on a client with
 * ioredis defineCommand (EVALSHA, falling back to EVAL on NOSCRIPT, also inside pipelines) under
 * the name `asynq_<name>`, the first time it runs there: ioredis copies every defined command onto
 * each pipeline it creates, and auto-pipelining (Server) creates one per event-loop turn, so a
 * worker with all ~50 scripts defined would pay for ~100 copies per batch. Error replies are
 * mapped to typed errors by scriptError() in rdb.ts.
 */
import type {ChainableCommander, Cluster, Redis} from 'ioredis';
import {scripts, type ScriptName} from '../scripts/index.js';
import {realClock, type Clock} from '../clock.js';
import {RedisCommandError} from '../errors.js';

export type RedisClient = Redis | Cluster;
export type ScriptArg = string | Buffer | number;

type ScriptFn = (...args: ScriptArg[]) => Promise<unknown>;

const registered = new WeakSet<object>();

type Commands = Record<string, unknown>;

/**
 * Defines script `name` on the client unless it is defined; returns its command name. Pipelines
 * get their commands when they are created, so the auto-pipelines still filling in this
 * event-loop turn get the new one too (explicit pipelines: see pipe()).
 */
function defineScript(client: RedisClient, name: ScriptName): string {
  const fn = `asynq_${name}`;
  const c = client as unknown as Commands & {_autoPipelines?: unknown};
  if (typeof c[fn] === 'function') return fn;
  const s = scripts[name];
  client.defineCommand(fn, {numberOfKeys: s.numberOfKeys, lua: s.lua});
  if (c._autoPipelines instanceof Map) {
    for (const p of c._autoPipelines.values() as Iterable<Commands>) copyCommand(c, p, fn);
  }
  return fn;
}

function copyCommand(from: Commands, to: Commands, fn: string): void {
  to[fn] = from[fn];
  to[`${fn}Buffer`] = from[`${fn}Buffer`];
}

/** Defines every script on the client at once. */
export function registerScripts(client: RedisClient): void {
  if (registered.has(client)) return;
  for (const s of Object.values(scripts)) {
    if (typeof (client as unknown as Record<string, unknown>)[`asynq_${s.name}`] !== 'function') {
      client.defineCommand(`asynq_${s.name}`, {numberOfKeys: s.numberOfKeys, lua: s.lua});
    }
  }
  registered.add(client);
}

export class ScriptRunner {
  readonly client: RedisClient;
  readonly clock: Clock;

  constructor(client: RedisClient, opts: {clock?: Clock} = {}) {
    this.client = client;
    this.clock = opts.clock ?? realClock;
    // Scripts are defined on first use, where the auto-pipelines can be reached to get them too
    // (ioredis 5's _autoPipelines); otherwise all at once.
    if (!((client as unknown as {_autoPipelines?: unknown})._autoPipelines instanceof Map)) registerScripts(client);
  }

  /** Runs script `name`; replies come back as strings/numbers. Throws the raw ioredis error. */
  run(name: ScriptName, keys: string[], argv: ScriptArg[]): Promise<unknown> {
    this.#check(name, keys);
    const fn = (this.client as unknown as Record<string, ScriptFn>)[defineScript(this.client, name)]!;
    return fn.call(this.client, ...keys, ...argv);
  }

  /** Like run, with binary-safe replies (Buffers): for scripts that return protobuf bytes. */
  runBuffer(name: ScriptName, keys: string[], argv: ScriptArg[]): Promise<unknown> {
    this.#check(name, keys);
    const fn = (this.client as unknown as Record<string, ScriptFn>)[`${defineScript(this.client, name)}Buffer`]!;
    return fn.call(this.client, ...keys, ...argv);
  }

  /**
   * Adds a script call to a pipeline (ioredis pipelines inherit the commands defined on their
   * client when created; a script defined since is copied onto it the same way).
   */
  pipe(pipeline: unknown, name: ScriptName, keys: string[], argv: ScriptArg[]): void {
    this.#check(name, keys);
    const fn = defineScript(this.client, name);
    const p = pipeline as Commands;
    if (typeof p[fn] !== 'function') copyCommand(this.client as unknown as Commands, p, fn);
    (p[fn] as (...a: ScriptArg[]) => unknown)(...keys, ...argv);
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

  #check(name: ScriptName, keys: string[]): void {
    const s = scripts[name];
    if (keys.length !== s.numberOfKeys) {
      throw new RedisCommandError(name, new Error(`script ${s.file} takes ${s.numberOfKeys} keys, got ${keys.length}`));
    }
  }
}

/** Redis error reply text (ioredis ReplyError.message) or undefined. */
export function replyText(err: unknown): string | undefined {
  return err instanceof Error && err.name === 'ReplyError' ? err.message : undefined;
}
