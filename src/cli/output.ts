/**
 * Human output of the CLI: colour policy, aligned tables, Go-style sizes/durations/payloads, the
 * NDJSON writer, and the error report printed by AsynqCommand.catch(). stdout carries data only;
 * everything else goes to stderr.
 */
import {stripVTControlCharacters} from 'node:util';
import chalk, {chalkStderr} from 'chalk';
import {goDurationString} from '../lib/duration.js';
import {AsynqError, redact} from '../lib/errors.js';
import {errorCodeFor, exitCodeFor, isOclifParseError, type CliErrorCode, type ExitCode} from './exit-codes.js';
import {colorEnabled, type TerminalIo} from './tty.js';

/**
 * Sets chalk's level for stdout and stderr explicitly (never relying on detection):
 * 0 when the stream is not a TTY, when NO_COLOR is set, or with --no-color; `flag` true forces colour.
 */
export function applyColorPolicy(io: TerminalIo & {stderr?: {isTTY?: boolean}} = process, flag?: boolean): void {
  chalk.level = colorEnabled(io, flag) ? Math.max(chalk.level, 1) as typeof chalk.level : 0;
  chalkStderr.level = colorEnabled({stdout: io.stderr, env: io.env}, flag) ? Math.max(chalkStderr.level, 1) as typeof chalk.level : 0;
}

export interface TableColumn {
  header: string;
  /** Numbers read best right-aligned. Default 'left'. */
  align?: 'left' | 'right';
}

function visibleWidth(s: string): number {
  return [...stripVTControlCharacters(s)].length;
}

function pad(s: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - visibleWidth(s)));
  return align === 'right' ? fill + s : s + fill;
}

/**
 * An aligned table in Go asynq CLI's layout: a header row, a row of dashes as long as each
 * header, then the rows; columns separated by two spaces, no trailing whitespace. Cells may carry
 * ANSI colour (widths ignore it). Returns the lines joined by '\n', without a final newline.
 */
export function formatTable(columns: readonly (string | TableColumn)[], rows: readonly (readonly unknown[])[]): string {
  const cols = columns.map((c) => (typeof c === 'string' ? {header: c, align: 'left' as const} : {align: 'left' as const, ...c}));
  const cells = rows.map((r) => cols.map((_, i) => (r[i] === undefined || r[i] === null ? '' : String(r[i]))));
  const lines = [cols.map((c) => c.header), cols.map((c) => '-'.repeat(visibleWidth(c.header))), ...cells];
  const widths = cols.map((_, i) => Math.max(...lines.map((l) => visibleWidth(l[i]!))));
  return lines
    .map((l) => l.map((cell, i) => pad(cell, widths[i]!, cols[i]!.align)).join('  ').trimEnd())
    .join('\n');
}

/** Go asynq's byteCount: decimal units, `999 B`, `1.5 kB`, `2.0 MB`. */
export function formatBytes(bytes: number): string {
  const unit = 1000;
  if (bytes < unit) return `${bytes} B`;
  let div = unit;
  let exp = 0;
  for (let n = Math.floor(bytes / unit); n >= unit; n = Math.floor(n / unit)) {
    div *= unit;
    exp++;
  }
  return `${(bytes / div).toFixed(1)} ${'kMGTPE'[exp]}B`;
}

/**
 * A compact duration: under a second in milliseconds (`150ms`), otherwise rounded to whole
 * seconds in Go's notation without zero tails (`5s`, `1m30s`, `1h`, `1h0m5s`, `36h1m`).
 */
export function formatDuration(ms: number): string {
  if (Math.abs(ms) < 1000) return goDurationString(Math.round(ms));
  const s = goDurationString(Math.round(ms / 1000) * 1000);
  return s.replace(/([hm])0s$/, '$1').replace(/h0m$/, 'h');
}

/** Go dash's formatNextProcessTime: `now` if due, else `in 1m5s`. */
export function formatUntil(at: Date, now: Date): string {
  const ms = at.getTime() - now.getTime();
  return ms <= 0 ? 'now' : `in ${formatDuration(Math.max(1000, ms))}`;
}

/** Go dash's formatPastTime: `just now`, else `5s ago`. */
export function formatAgo(at: Date, now: Date): string {
  const ms = now.getTime() - at.getTime();
  return ms <= 0 ? 'just now' : `${formatDuration(Math.max(1000, ms))} ago`;
}

const utf8 = new TextDecoder('utf-8', {fatal: true});
// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space only.
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]*$/u;

/** Go asynq CLI's isPrintable: valid UTF-8, every rune printable, not all spaces (so not empty). */
export function isPrintable(data: Uint8Array): boolean {
  let s: string;
  try {
    s = utf8.decode(data);
  } catch {
    return false;
  }
  return PRINTABLE.test(s) && /[^ ]/.test(s);
}

/** Go asynq CLI's sprintBytes: the payload as text, or `non-printable bytes`. */
export function printablePayload(data: Uint8Array): string {
  return isPrintable(data) ? utf8.decode(data) : 'non-printable bytes';
}

/** Writes one NDJSON line (for --watch --json streams and bulk progress). */
export function writeNdjson(stream: {write(s: string): unknown}, value: unknown): void {
  stream.write(`${JSON.stringify(value)}\n`);
}

/** What the CLI reports about an error: the JSON `{"error": …}` body, and the exit status. */
export interface ErrorReport {
  code: CliErrorCode;
  message: string;
  exitCode: ExitCode;
  actions: string[];
}

/** Blanks URI passwords and every known secret out of a message. */
export function redactSecrets(message: string, secrets: readonly string[] = []): string {
  let out = redact(message);
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('***');
  return out;
}

/**
 * Builds the report for any thrown value. oclif parse messages lose their "See more help with
 * --help" tail, which becomes an action (`helpCommand`) instead.
 */
export function errorReport(err: unknown, opts: {secrets?: readonly string[]; helpCommand?: string} = {}): ErrorReport {
  const actions: string[] = err instanceof AsynqError ? [...err.actions] : [];
  let message = err instanceof Error ? err.message : String(err);
  if (isOclifParseError(err) || /\nSee more help with --help$/.test(message)) {
    message = message.replace(/\s*\nSee more help with --help$/, '').replace(/ ?\n\t/g, ': ');
    if (opts.helpCommand !== undefined) actions.push(opts.helpCommand);
  }
  if (message.trim() === '') message = err instanceof Error ? err.name : 'unknown error';
  return {
    code: errorCodeFor(err),
    message: redactSecrets(message, opts.secrets),
    exitCode: exitCodeFor(err),
    actions: actions.map((a) => redactSecrets(a, opts.secrets)),
  };
}

/**
 * The stderr text for a report: `Error: <message>`, one `Try: <action>` line per action, and the
 * (redacted) stack only when `stack` is given (--debug / DEBUG).
 */
export function formatErrorReport(report: ErrorReport, opts: {stack?: string; secrets?: readonly string[]} = {}): string {
  const lines = [`${chalkStderr.red('Error:')} ${report.message}`, ...report.actions.map((a) => `  ${chalkStderr.dim('Try:')} ${a}`)];
  if (opts.stack !== undefined) lines.push(redactSecrets(opts.stack, opts.secrets));
  return lines.join('\n');
}
