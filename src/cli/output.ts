/**
 * Human output of the CLI: colour policy, aligned tables, the NDJSON writer, and the error report
 * printed by AsynqCommand.catch(). Sizes, durations, times and payload text are in ./format/.
 * stdout carries data only; everything else goes to stderr.
 */
import chalk, {chalkStderr} from 'chalk';
import stringWidth from 'string-width';
import {AsynqError, redact} from '../lib/errors.js';
import {
  cliHintsFor,
  errorCodeFor,
  exitCodeFor,
  isOclifParseError,
  type CliErrorCode,
  type ExitCode,
} from './exit-codes.js';
import {colorEnabled, type TerminalIo} from './tty.js';

/**
 * Sets chalk's level for stdout and stderr explicitly (never relying on detection):
 * 0 when the stream is not a TTY, when NO_COLOR is set, or with --no-color; `flag` true forces colour.
 */
export function applyColorPolicy(io: TerminalIo & {stderr?: {isTTY?: boolean}} = process, flag?: boolean): void {
  chalk.level = colorEnabled(io, flag) ? (Math.max(chalk.level, 1) as typeof chalk.level) : 0;
  chalkStderr.level = colorEnabled({stdout: io.stderr, env: io.env}, flag)
    ? (Math.max(chalkStderr.level, 1) as typeof chalk.level)
    : 0;
}

export interface TableColumn {
  header: string;
  /** Numbers read best right-aligned. Default 'left'. */
  align?: 'left' | 'right';
}

/** Terminal columns `s` takes: ANSI escapes none, CJK and emoji two, combining marks none (as the dash measures). */
function visibleWidth(s: string): number {
  return stringWidth(s);
}

function pad(s: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - visibleWidth(s)));
  return align === 'right' ? fill + s : s + fill;
}

/**
 * An aligned table in Go asynq CLI's layout: a header row, a row of dashes as long as each
 * header, then the rows; columns separated by two spaces, no trailing whitespace. Cells may carry
 * ANSI colour (widths ignore it); widths are terminal columns, so CJK and emoji cells line up. Returns the lines joined by '\n', without a final newline.
 */
export function formatTable(columns: readonly (string | TableColumn)[], rows: readonly (readonly unknown[])[]): string {
  const cols = columns.map((c) =>
    typeof c === 'string' ? {header: c, align: 'left' as const} : {align: 'left' as const, ...c},
  );
  const cells = rows.map((r) => cols.map((_, i) => (r[i] === undefined || r[i] === null ? '' : String(r[i]))));
  const lines = [cols.map((c) => c.header), cols.map((c) => '-'.repeat(visibleWidth(c.header))), ...cells];
  const widths = cols.map((_, i) => Math.max(...lines.map((l) => visibleWidth(l[i]!))));
  return lines
    .map((l) =>
      l
        .map((cell, i) => pad(cell, widths[i]!, cols[i]!.align))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Writes one NDJSON line (for --watch --json streams and bulk progress). */
export function writeNdjson(stream: {write(s: string): unknown}, value: unknown): void {
  stream.write(`${JSON.stringify(value)}\n`);
}

/**
 * A JSON string too big to build as one JS string (V8 caps strings near 512 MiB, Redis strings
 * are up to 512 MB and base64 adds a third): writeJson writes it piece by piece. `chunks()`
 * yields the string's content, each piece a whole number of characters (no split surrogate pair).
 */
export interface ChunkedJsonString {
  chunks(): Iterable<string>;
}

function isChunkedJsonString(v: unknown): v is ChunkedJsonString {
  return typeof v === 'object' && v !== null && typeof (v as Partial<ChunkedJsonString>).chunks === 'function';
}

/** Strings longer than this are written in pieces of this many characters. */
const JSON_STRING_PIECE = 1 << 20;

function* stringPieces(s: string): Iterable<string> {
  for (let i = 0; i < s.length;) {
    let end = Math.min(s.length, i + JSON_STRING_PIECE);
    const last = s.charCodeAt(end - 1);
    if (end < s.length && last >= 0xd800 && last <= 0xdbff) end--; // keep a surrogate pair together
    yield s.slice(i, end);
    i = end;
  }
}

/**
 * Writes `value` as `JSON.stringify(value, null, 2)` followed by a newline, for any size: long
 * strings and ChunkedJsonString values are written in pieces, never as one string and never
 * through a regular expression (oclif's logJson colourises with regular expressions that overflow
 * the stack on a string of a few megabytes).
 */
export function writeJson(stream: {write(s: string): unknown}, value: unknown): void {
  const big: Array<string | ChunkedJsonString> = [];
  const mark = `\u0000asynq-json-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}:`;
  const skeleton = JSON.stringify(
    value,
    function (this: Record<string, unknown>, key: string, v: unknown) {
      const own = this[key];
      if (isChunkedJsonString(own) || (typeof v === 'string' && v.length > JSON_STRING_PIECE)) {
        big.push(isChunkedJsonString(own) ? own : (v as string));
        return `${mark}${big.length - 1}`;
      }
      return v;
    },
    2,
  ) as string | undefined;
  if (skeleton === undefined) return;
  if (big.length === 0) {
    stream.write(`${skeleton}\n`);
    return;
  }
  // The placeholders appear as "\u0000asynq-json-…:N" in the skeleton (JSON escapes the NUL).
  const escapedMark = JSON.stringify(mark).slice(1, -1);
  const parts = skeleton.split(new RegExp(`"${escapedMark.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}(\\d+)"`));
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 0) {
      stream.write(parts[i]!);
      continue;
    }
    const item = big[Number(parts[i])]!;
    stream.write('"');
    for (const piece of typeof item === 'string' ? stringPieces(item) : item.chunks())
      stream.write(JSON.stringify(piece).slice(1, -1));
    stream.write('"');
  }
  stream.write('\n');
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
 * Builds the report for any thrown value. Its actions are the error's own, then the CLI's hints
 * for its code (CLI_ERROR_TABLE). oclif parse messages lose their "See more help with --help"
 * tail, which becomes an action (`helpCommand`) instead.
 */
export function errorReport(err: unknown, opts: {secrets?: readonly string[]; helpCommand?: string} = {}): ErrorReport {
  const actions: string[] = err instanceof AsynqError ? [...err.actions, ...cliHintsFor(err)] : [];
  let message = err instanceof Error ? err.message : String(err);
  if (isOclifParseError(err) || /\nSee more help with --help$/.test(message)) {
    message = message.replace(/\s*\nSee more help with --help$/, '').replace(/ ?\n\t/g, ': ');
    // oclif's required-flag and flag-constraint errors: "The following error occurred:\n  A\n  B" → "A; B".
    message = message.replace(/^The following errors? occurred:\s*\n\s*/, '').replace(/\s*\n\s*/g, '; ');
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
export function formatErrorReport(
  report: ErrorReport,
  opts: {stack?: string; secrets?: readonly string[]} = {},
): string {
  const lines = [
    `${chalkStderr.red('Error:')} ${report.message}`,
    ...report.actions.map((a) => `  ${chalkStderr.dim('Try:')} ${a}`),
  ];
  if (opts.stack !== undefined) lines.push(redactSecrets(opts.stack, opts.secrets));
  return lines.join('\n');
}
