/**
 * Runs the Lua scripts of src/lib/scripts by name. Each script is registered once per client with
 * ioredis defineCommand (EVALSHA, falling back to EVAL on NOSCRIPT, also inside pipelines) under
 * the name `asynq_<name>`. Error replies are mapped to typed errors by script-errors.ts.
 */
import type {ChainableCommander, Cluster, Redis} from 'ioredis';
import {scripts, type ScriptName} from '../scripts/index.js';
import {realClock, type Clock} from '../clock.js';
import {RedisCommandError} from '../errors.js';

export type RedisClient = Redis | Cluster;
export type ScriptArg = string | Buffer | number;

type ScriptFn = (...args: ScriptArg[]) => Promise<unknown>;

const registered = new WeakSet<object>();

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
    registerScripts(client);
  }

  /** Runs script `name`; replies come back as strings/numbers. Throws the raw ioredis error. */
  run(name: ScriptName, keys: string[], argv: ScriptArg[]): Promise<unknown> {
    this.#check(name, keys);
    const fn = (this.client as unknown as Record<string, ScriptFn>)[`asynq_${name}`]!;
    return fn.call(this.client, ...keys, ...argv);
  }

  /** Like run, with binary-safe replies (Buffers): for scripts that return protobuf bytes. */
  runBuffer(name: ScriptName, keys: string[], argv: ScriptArg[]): Promise<unknown> {
    this.#check(name, keys);
    const fn = (this.client as unknown as Record<string, ScriptFn>)[`asynq_${name}Buffer`]!;
    return fn.call(this.client, ...keys, ...argv);
  }

  /** Adds a script call to a pipeline (ioredis pipelines inherit the client's defined commands). */
  pipe(pipeline: unknown, name: ScriptName, keys: string[], argv: ScriptArg[]): void {
    this.#check(name, keys);
    (pipeline as Record<string, (...a: ScriptArg[]) => unknown>)[`asynq_${name}`]!(...keys, ...argv);
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
