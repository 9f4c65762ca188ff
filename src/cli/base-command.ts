/**
 * AsynqCommand: the base class of every `asynq` command.
 *
 * - `--json` on every command (`enableJsonFlag`); ASYNQ_CONTENT_TYPE=json works through oclif.
 *   A command returns its typed result from run() and renders tables only when !jsonEnabled().
 * - The connection flags (flags.ts) are inherited; `this.connection()` resolves them after
 *   `this.parse()` (flags > ASYNQ_REDIS_URL/REDIS_URL > config file > 127.0.0.1:6379).
 * - `catch()` maps any error to an exit status through exit-codes.ts, prints one `Error:` line
 *   (plus `Try:` hints) on stderr, or `{"error":{code,message,exitCode,actions}}` on stdout with
 *   --json. Stacks only with --debug or DEBUG. Passwords are blanked from every message.
 * - One-shot commands exit 130 on SIGINT; long-running ones set `handlesSignals = true`.
 * - Warnings go to stderr even in --json mode.
 */
import {Command, Errors, type Interfaces} from '@oclif/core';
import {connectionSecrets, resolveConnection, type ConnectionFlags, type ResolvedConnection} from './connection.js';
import {ExitCode} from './exit-codes.js';
import {connectionFlags, globalFlags} from './flags.js';
import {applyColorPolicy, errorReport, formatErrorReport, writeJson} from './output.js';

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
  static override baseFlags = {...connectionFlags, ...globalFlags};
  /** Long-running commands (worker run, cron run, dash) handle SIGINT/SIGTERM themselves. */
  static handlesSignals = false;

  #flags: ConnectionFlags = {};
  #secrets: string[] = [];
  #onSigint?: () => void;

  protected override async init(): Promise<void> {
    await super.init();
    applyColorPolicy(process, argvFlag(this.argv, 'color'));
    if (!(this.ctor as typeof AsynqCommand).handlesSignals) {
      this.#onSigint = () => {
        process.stderr.write('\n');
        process.exit(ExitCode.SIGINT);
      };
      process.once('SIGINT', this.#onSigint);
    }
  }

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
    const resolved = resolveConnection(this.#flags);
    this.#secrets = connectionSecrets(resolved.conn);
    return resolved;
  }

  /** The --json document, of any size (oclif's own colourises it with regular expressions that overflow the stack on big payloads). */
  protected override logJson(json: unknown): void {
    writeJson(process.stdout, json);
  }

  override warn(input: string | Error): string | Error {
    Errors.warn(input); // stderr, also in --json mode (stdout stays a single JSON document)
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
      if (stack !== undefined) this.logToStderr(formatErrorReport({...report, message: report.message, actions: []}, {stack, secrets}));
    } else {
      this.logToStderr(formatErrorReport(report, {stack, secrets}));
    }
    throw new Errors.ExitError(report.exitCode);
  }

  protected override async finally(err: Error | undefined): Promise<void> {
    if (this.#onSigint) process.removeListener('SIGINT', this.#onSigint);
    await super.finally(err);
  }
}
