/**
 * Terminal policy of the CLI, decided in one place: when to use colour, when to
 * draw progress, when prompting or a full-screen UI is allowed.
 */
import {ValidationError} from '../lib/errors.js';

/** The parts of `process` this module looks at (tests pass plain objects). */
export interface TerminalIo {
  stdin?: {isTTY?: boolean};
  stdout?: {isTTY?: boolean};
  stderr?: {isTTY?: boolean};
  env?: NodeJS.ProcessEnv;
}

function isSet(v: string | undefined): boolean {
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** True on a CI runner (CI=true/1, as oclif and most CI systems set it). */
function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return isSet(env.CI);
}

/**
 * Colour on stdout: `--color`/`--no-color` win; otherwise on only when stdout is a TTY and
 * NO_COLOR is unset or empty (https://no-color.org).
 */
export function colorEnabled(io: TerminalIo = process, flag?: boolean): boolean {
  if (flag !== undefined) return flag;
  const env = io.env ?? {};
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return io.stdout?.isTTY === true;
}

/** Spinners and progress bars: only when stderr is a TTY and not on CI (oclif's rule). */
export function showProgress(io: TerminalIo = process): boolean {
  return io.stderr?.isTTY === true && !isCi(io.env ?? {});
}

/** A human is at the keyboard: stdin and stdout are TTYs. */
export function isInteractive(io: TerminalIo = process): boolean {
  return io.stdin?.isTTY === true && io.stdout?.isTTY === true;
}

/** Prompts are allowed only for a human and never in --json mode. */
export function canPrompt(io: TerminalIo = process, json = false): boolean {
  return !json && isInteractive(io) && !isCi(io.env ?? {});
}

/**
 * Fails with a usage error (exit 2) unless a terminal is attached, e.g. for `asynq dash`.
 * `alternative` is the scriptable command to suggest instead.
 */
export function requireTty(what: string, alternative?: string, io: TerminalIo = process): void {
  if (isInteractive(io)) return;
  throw new ValidationError(`${what} needs an interactive terminal (stdin and stdout must be a TTY)`, {
    actions: alternative === undefined ? [] : [alternative],
  });
}
