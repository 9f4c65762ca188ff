import chalk, {chalkStderr} from 'chalk';
import {afterEach, describe, expect, it} from 'vitest';
import {parseDurationFlag, validateQueueName} from '../../src/cli/flags.js';
import {
  applyColorPolicy,
  formatAgo,
  formatBytes,
  formatDuration,
  formatTable,
  formatUntil,
  isPrintable,
  printablePayload,
  writeNdjson,
} from '../../src/cli/output.js';
import {canPrompt, colorEnabled, isInteractive, requireTty, showProgress} from '../../src/cli/tty.js';
import {ValidationError} from '../../src/lib/errors.js';

const tty = {isTTY: true};
const pipe = {isTTY: false};

describe('formatTable', () => {
  it('aligns columns in Go asynq CLI\'s layout: header, dashes, rows, two spaces, no trailing blanks', () => {
    const out = formatTable(['Queue', 'Size'], [['default', 12], ['critical', 3]]);
    expect(out).toBe(['Queue     Size', '-----     ----', 'default   12', 'critical  3'].join('\n'));
  });

  it('right-aligns numeric columns when asked and ignores ANSI colour when measuring', () => {
    const red = '\u001b[31mfailed\u001b[39m';
    const out = formatTable([{header: 'State'}, {header: 'Count', align: 'right'}], [[red, 7], ['ok', 1234]]);
    expect(out.split('\n')).toEqual(['State   Count', '-----   -----', `${red}      7`, 'ok       1234']);
  });

  it('prints empty cells for null and undefined', () => {
    expect(formatTable(['A', 'B'], [[null, undefined]])).toBe('A  B\n-  -\n');
  });
});

describe('sizes, durations, times', () => {
  it('formats bytes like Go asynq\'s byteCount (decimal units)', () => {
    expect([0, 999, 1000, 1500, 999_999, 2_000_000, 3.5e9, 1e12].map(formatBytes)).toEqual([
      '0 B', '999 B', '1.0 kB', '1.5 kB', '1000.0 kB', '2.0 MB', '3.5 GB', '1.0 TB',
    ]);
  });

  it('formats durations compactly: milliseconds under a second, else whole seconds in Go notation', () => {
    const cases: [number, string][] = [
      [0, '0s'], [150, '150ms'], [999.4, '999ms'], [1499, '1s'], [1500, '2s'], [90_000, '1m30s'],
      [3_600_000, '1h'], [3_605_000, '1h0m5s'], [5_400_000, '1h30m'], [120_000, '2m'], [129_600_000, '36h'], [-90_000, '-1m30s'],
    ];
    for (const [ms, text] of cases) expect([ms, formatDuration(ms)]).toEqual([ms, text]);
  });

  it('formats times relative to now like Go\'s dash', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(formatUntil(new Date('2026-01-01T00:01:05Z'), now)).toBe('in 1m5s');
    expect(formatUntil(new Date('2025-12-31T23:59:00Z'), now)).toBe('now');
    expect(formatUntil(new Date('2026-01-01T00:00:00.200Z'), now)).toBe('in 1s');
    expect(formatAgo(new Date('2025-12-31T23:59:55Z'), now)).toBe('5s ago');
    expect(formatAgo(now, now)).toBe('just now');
  });
});

describe('printable payloads (Go asynq CLI\'s isPrintable/sprintBytes)', () => {
  const enc = (s: string) => new TextEncoder().encode(s);

  it('prints valid UTF-8 text made of printable characters and spaces', () => {
    expect(printablePayload(enc('{"user_id": 42, "name": "Zoë 東京"}'))).toBe('{"user_id": 42, "name": "Zoë 東京"}');
    expect(isPrintable(enc('emoji 🎉 ok'))).toBe(true);
  });

  it('calls everything else non-printable: invalid UTF-8, control characters (also \\n and \\t), empty, only spaces', () => {
    for (const data of [Uint8Array.of(0xff, 0xfe), enc('line1\nline2'), enc('a\tb'), enc('bell\u0007'), enc(''), enc('   '), enc('\u00a0')]) {
      expect(printablePayload(data)).toBe('non-printable bytes');
    }
  });
});

describe('NDJSON', () => {
  it('writes one compact JSON object per line', () => {
    const chunks: string[] = [];
    writeNdjson({write: (s: string) => chunks.push(s)}, {queue: 'q', n: 1});
    writeNdjson({write: (s: string) => chunks.push(s)}, {queue: 'r', n: 2});
    expect(chunks.join('')).toBe('{"queue":"q","n":1}\n{"queue":"r","n":2}\n');
  });
});

describe('colour and terminal policy', () => {
  const saved = {stdout: chalk.level, stderr: chalkStderr.level};
  afterEach(() => {
    chalk.level = saved.stdout;
    chalkStderr.level = saved.stderr;
  });

  it('colours only a TTY without NO_COLOR, unless --color/--no-color says otherwise', () => {
    expect(colorEnabled({stdout: tty, env: {}})).toBe(true);
    expect(colorEnabled({stdout: pipe, env: {}})).toBe(false);
    expect(colorEnabled({stdout: tty, env: {NO_COLOR: '1'}})).toBe(false);
    expect(colorEnabled({stdout: tty, env: {NO_COLOR: ''}})).toBe(true);
    expect(colorEnabled({stdout: tty, env: {}}, false)).toBe(false);
    expect(colorEnabled({stdout: pipe, env: {NO_COLOR: '1'}}, true)).toBe(true);
  });

  it('sets chalk.level explicitly for stdout and stderr', () => {
    applyColorPolicy({stdout: pipe, stderr: tty, env: {}});
    expect(chalk.level).toBe(0);
    expect(chalkStderr.level).toBeGreaterThan(0);
    expect(chalk.red('x')).toBe('x');
    applyColorPolicy({stdout: tty, stderr: tty, env: {NO_COLOR: '1'}});
    expect([chalk.level, chalkStderr.level]).toEqual([0, 0]);
    applyColorPolicy({stdout: pipe, stderr: pipe, env: {}}, true);
    expect(chalk.level).toBeGreaterThan(0);
  });

  it('shows progress only on a stderr TTY outside CI', () => {
    expect(showProgress({stderr: tty, env: {}})).toBe(true);
    expect(showProgress({stderr: tty, env: {CI: 'true'}})).toBe(false);
    expect(showProgress({stderr: tty, env: {CI: '0'}})).toBe(true);
    expect(showProgress({stderr: pipe, env: {}})).toBe(false);
  });

  it('prompts only for a human at a terminal, never with --json or on CI', () => {
    expect(isInteractive({stdin: tty, stdout: tty})).toBe(true);
    expect(isInteractive({stdin: pipe, stdout: tty})).toBe(false);
    expect(canPrompt({stdin: tty, stdout: tty, env: {}})).toBe(true);
    expect(canPrompt({stdin: tty, stdout: tty, env: {}}, true)).toBe(false);
    expect(canPrompt({stdin: tty, stdout: tty, env: {CI: '1'}})).toBe(false);
  });

  it('requireTty is a usage error naming the scriptable alternative', () => {
    expect(() => requireTty('asynq dash', 'asynq stats --watch --json', {stdin: tty, stdout: tty})).not.toThrow();
    let caught: unknown;
    try {
      requireTty('asynq dash', 'asynq stats --watch --json', {stdin: pipe, stdout: pipe});
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).message).toBe('asynq dash needs an interactive terminal (stdin and stdout must be a TTY)');
    expect((caught as ValidationError).actions).toEqual(['asynq stats --watch --json']);
  });
});

describe('flag value parsers', () => {
  it('reads durations as Go units or plain milliseconds', () => {
    const cases: [string, number][] = [['90s', 90_000], ['10m', 600_000], ['1h30m', 5_400_000], ['1500', 1500], ['0', 0], ['500ms', 500], [' 2h ', 7_200_000]];
    for (const [input, ms] of cases) expect([input, parseDurationFlag(input)]).toEqual([input, ms]);
  });

  it('rejects garbage, missing units and negative durations with the flag name', () => {
    expect(() => parseDurationFlag('soon', '--timeout')).toThrow(/invalid --timeout "soon"/);
    expect(() => parseDurationFlag('1h30x', '--timeout')).toThrow(ValidationError);
    expect(() => parseDurationFlag('1.5', '--timeout')).toThrow(/missing unit/);
    expect(() => parseDurationFlag('-5s', '--timeout')).toThrow(/must not be negative/);
  });

  it('validates queue names like Go asynq (at least one non-space character)', () => {
    expect(validateQueueName('critical')).toBe('critical');
    expect(validateQueueName(' spaced name ')).toBe(' spaced name ');
    expect(() => validateQueueName('  ')).toThrow('queue name must contain one or more characters');
  });
});
