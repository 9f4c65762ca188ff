/**
 * The base classes of every `asynq` command:
 *
 * AsynqCommand: what every command has.
 * - `--json` on every command (`enableJsonFlag`); ASYNQ_CONTENT_TYPE=json works through oclif.
 *   A command returns its typed result from run() and renders tables only when !jsonEnabled().
 * - `catch()` maps any error to an exit status through exit-codes.ts, prints one `Error:` line
 *   (plus `Try:` hints) on stderr, or `{"error":{code,message,exitCode,actions}}` on stdout with
 *   --json. Stacks only with --debug or DEBUG. Passwords are blanked from every message.
 * - `this.lifecycle` (lifecycle.ts): a one-shot command ends with 130 at the first SIGINT; a
 *   long-running one sets `handlesSignals = true` and calls `this.lifecycle.untilStopped(…)`.
 * - Warnings go to stderr as one `Warning:` line, even in --json mode.
 *
 * ConnectedCommand: a command that talks to Redis.
 * - The connection flags (flags.ts); `this.connection()` resolves them after `this.parse()`
 *   (flags > ASYNQ_REDIS_URL/REDIS_URL > config file > 127.0.0.1:6379).
 * - Two connections, both checked with lifecycle.ts checkRedis (exit 5 with the address):
 *   `failFastConnection()` gives up after one failed attempt (one-shot commands, and the
 *   `inspector()` and `client()` built on it); `reconnectingConnection()` keeps ioredis's
 *   reconnecting defaults, so a long-running command rides out a Redis restart.
 *   Both are closed in finally().
 */
import * as Errors from '@oclif/core/errors';
import type * as Interfaces from '@oclif/core/interfaces';
import {Command} from '@oclif/core/command';
import {chalkStderr} from 'chalk';
import {Client, type ClientOptions} from '../lib/client.js';
import {Inspector} from '../lib/inspector.js';
import {closeRedisClient, createRedisClient, type RedisConnection} from '../lib/redis.js';
import {
  connectionSecrets,
  resolveConnection,
  type CliConnection,
  type ConnectionFlags,
  type ResolvedConnection,
} from './connection.js';
import {connectionFlags, globalFlags} from './flags.js';
import {checkRedis, failFast, Lifecycle} from './lifecycle.js';
import {applyColorPolicy, errorReport, formatErrorReport, redactSecrets, writeJson} from './output.js';

/** Value of a boolean flag in argv (`--name` → true, `--no-name` → false), ignoring anything after `--`. */
export function argvFlag(argv: readonly string[], name: string): boolean | undefined {
  let value: boolean | undefined;
  for (const a of argv) {
    if (a === '--') break;
    if (a === `--${name}`) value = true;
    else if (a === `--no-${name}`) value = false;
  }
  return value;
}

/** Passwords given on the command line (`-p X`, `-pX`, `--password X`, `--password=X`), for redaction. */
export function argvPasswords(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if ((a === '-p' || a === '--password') && i + 1 < argv.length) out.push(argv[++i]!);
    else if (a.startsWith('--password=')) out.push(a.slice('--password='.length));
    else if (/^-p[^-]/.test(a)) out.push(a.slice(2).replace(/^=/, ''));
  }
  return out.filter((p) => p !== '');
}

// oclif's FlagOutput/ArgOutput (not re-exported by @oclif/core).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Output = {[name: string]: any};

function debugFromEnv(env: NodeJS.ProcessEnv): boolean {
  const d = env.DEBUG;
  return d !== undefined && d !== '' && d !== '0' && d.toLowerCase() !== 'false';
}

export abstract class AsynqCommand extends Command {
  static override enableJsonFlag = true;
  static override baseFlags = {...globalFlags};
  /** Long-running commands (worker run, cron run, dash) handle SIGINT/SIGTERM themselves (lifecycle.untilStopped). */
  static handlesSignals = false;

  #secrets: string[] = [];
  #lifecycle?: Lifecycle;

  /** This run's signals and early end (created when the run starts). */
  protected get lifecycle(): Lifecycle {
    return (this.#lifecycle ??= new Lifecycle());
  }

  /**
   * The run, raced against an early end (lifecycle.interrupt): a signal that ends the command
   * does not wait for it, and oclif's error handler exits with the status it carries.
   */
  protected override async _run<T>(): Promise<T> {
    const lifecycle = this.lifecycle;
    if (!(this.ctor as typeof AsynqCommand).handlesSignals) lifecycle.interruptOnSigint();
    try {
      return await Promise.race([super._run<T>(), lifecycle.interrupted]);
    } finally {
      lifecycle.dispose();
    }
  }

  protected override async init(): Promise<void> {
    await super.init();
    applyColorPolicy(process, argvFlag(this.argv, 'color'));
  }

  /** Strings blanked from every error message (passwords of the connection in use). */
  protected redact(secrets: readonly string[]): void {
    this.#secrets.push(...secrets);
  }

  /** One `Warning: …` line on stderr (like the `Error:` line; not wrapped), also in --json mode. */
  /** The --json document, of any size (oclif's own colourises it with regular expressions that overflow the stack on big payloads). */
  protected override logJson(json: unknown): void {
    writeJson(process.stdout, json);
  }

  override warn(input: string | Error): string | Error {
    const message = input instanceof Error ? input.message : input;
    // Not logToStderr: oclif silences that in --json mode.
    process.stderr.write(
      `${chalkStderr.yellow('Warning:')} ${redactSecrets(message, [...this.#secrets, ...argvPasswords(this.argv)])}\n`,
    );
    return input;
  }

  protected override async catch(err: Error & {exitCode?: number}): Promise<never> {
    if (err instanceof Errors.ExitError) throw err; // this.exit(n): the command chose to stop
    const debug = argvFlag(this.argv, 'debug') === true || debugFromEnv(process.env);
    const secrets = [...this.#secrets, ...argvPasswords(this.argv)];
    const id = this.id === undefined ? '' : ` ${this.id.replaceAll(':', ' ')}`;
    const report = errorReport(err, {secrets, helpCommand: `${this.config.bin}${id} --help`});
    const stack = debug && err.stack !== undefined ? err.stack : undefined;
    if (this.jsonEnabled()) {
      this.logJson({error: report});
      if (stack !== undefined)
        this.logToStderr(formatErrorReport({...report, message: report.message, actions: []}, {stack, secrets}));
    } else {
      this.logToStderr(formatErrorReport(report, {stack, secrets}));
    }
    throw new Errors.ExitError(report.exitCode);
  }
}

/** A command that talks to Redis (see the file comment). */
export abstract class ConnectedCommand extends AsynqCommand {
  static override baseFlags = {...connectionFlags, ...globalFlags};

  #flags: ConnectionFlags = {};
  #resolved?: ResolvedConnection;
  readonly #connections: RedisConnection[] = [];
  #failFast?: Promise<RedisConnection>;
  #inspector?: Inspector;

  protected override async parse<F extends Output, B extends Output, A extends Output>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const out = await super.parse(options, argv);
    this.#flags = out.flags as ConnectionFlags;
    return out;
  }

  /**
   * The Redis connection from the parsed flags, the environment and the config file.
   * Call after `this.parse()`. Throws ValidationError (exit 2) for contradictory settings.
   */
  protected connection(): ResolvedConnection {
    if (this.#resolved) return this.#resolved;
    const resolved = resolveConnection(this.#flags);
    this.redact(connectionSecrets(resolved.conn));
    for (const w of resolved.warnings ?? []) this.warn(w);
    this.#resolved = resolved;
    return resolved;
  }

  /**
   * A connection that gives up after one failed attempt, checked with a PING (exit 5 when Redis
   * cannot be reached); one per command, closed in finally(). For one-shot commands.
   */
  protected failFastConnection(): Promise<RedisConnection> {
    this.#failFast ??= this.#checked(failFast(this.connection().conn));
    return this.#failFast;
  }

  /**
   * A new connection with ioredis's reconnecting defaults (after `adjust`), checked as fast as
   * failFastConnection(); closed in finally(). For long-running commands.
   */
  protected reconnectingConnection(
    adjust: (conn: CliConnection) => CliConnection = (c) => c,
  ): Promise<RedisConnection> {
    return this.#checked(adjust(this.connection().conn));
  }

  /** An Inspector on failFastConnection(). */
  protected async inspector(): Promise<Inspector> {
    const conn = await this.failFastConnection();
    this.#inspector ??= new Inspector(conn);
    return this.#inspector;
  }

  /** A Client on failFastConnection(). */
  protected async client(options?: ClientOptions): Promise<Client> {
    return new Client(await this.failFastConnection(), options);
  }

  async #checked(conn: CliConnection): Promise<RedisConnection> {
    const {client} = createRedisClient(conn);
    this.#connections.push(client);
    await checkRedis(this.connection(), client);
    return client;
  }

  protected override async finally(err: Error | undefined): Promise<void> {
    try {
      await this.#inspector?.close();
      await Promise.all(this.#connections.splice(0).map((c) => closeRedisClient(c)));
    } finally {
      await super.finally(err);
    }
  }
}
