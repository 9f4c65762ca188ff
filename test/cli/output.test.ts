import chalk, {chalkStderr} from 'chalk';
import {afterEach, describe, expect, it} from 'vitest';
import {parseDurationFlag, validateQueueName} from '../../src/cli/flags.js';
import stringWidth from 'string-width';
import {applyColorPolicy, formatTable, writeJson, writeNdjson} from '../../src/cli/output.js';
import {bytesJson, LARGE_BYTES, LargeBytesText} from '../../src/cli/views/json.js';
import {taskTable} from '../../src/cli/views/text.js';
import type {TaskInfo} from '../../src/lib/index.js';
import {canPrompt, colorEnabled, isInteractive, requireTty, showProgress} from '../../src/cli/tty.js';
import {ValidationError} from '../../src/lib/errors.js';

const tty = {isTTY: true};
const pipe = {isTTY: false};

describe('formatTable', () => {
  it("aligns columns in Go asynq CLI's layout: header, dashes, rows, two spaces, no trailing blanks", () => {
    const out = formatTable(
      ['Queue', 'Size'],
      [
        ['default', 12],
        ['critical', 3],
      ],
    );
    expect(out).toBe(['Queue     Size', '-----     ----', 'default   12', 'critical  3'].join('\n'));
  });

  it('right-aligns numeric columns when asked and ignores ANSI colour when measuring', () => {
    const red = '\u001b[31mfailed\u001b[39m';
    const out = formatTable(
      [{header: 'State'}, {header: 'Count', align: 'right'}],
      [
        [red, 7],
        ['ok', 1234],
      ],
    );
    expect(out.split('\n')).toEqual(['State   Count', '-----   -----', `${red}      7`, 'ok       1234']);
  });

  it('prints empty cells for null and undefined', () => {
    expect(formatTable(['A', 'B'], [[null, undefined]])).toBe('A  B\n-  -\n');
  });

  it('measures cells in terminal columns: CJK and emoji take two, combining marks none', () => {
    const out = formatTable(
      ['Type', 'Queue', 'N'],
      [
        ['发送:欢迎', '邮件', 1],
        ['email:welcome', 'default', 2],
        ['🎉 party', 'cafe\u0301', 3],
        ['👩‍💻', '✔ok', 4],
      ],
    );
    expect(out.split('\n')).toEqual([
      'Type           Queue    N',
      '----           -----    -',
      '发送:欢迎      邮件     1',
      'email:welcome  default  2',
      '🎉 party       cafe\u0301     3',
      '👩‍💻             ✔ok      4',
    ]);
  });

  it('a CJK header gets dashes as wide as it is on screen', () => {
    expect(formatTable(['邮件', 'default'], [[3, 4]]).split('\n')).toEqual([
      '邮件  default',
      '----  -------',
      '3     4',
    ]);
  });
});

/** The terminal column where each cell of a Go-style table line starts (cells hold no double spaces). */
function cellStarts(line: string): number[] {
  const starts: number[] = [];
  const re = /(?:^|(?<= {2}))(?! )/g;
  for (const m of line.matchAll(re)) if (m.index < line.length) starts.push(stringWidth(line.slice(0, m.index)));
  return starts;
}

describe('Go-style tables with wide characters', () => {
  const now = new Date('2026-03-10T12:00:00Z');
  const task = (id: string, type: string, payload: string): TaskInfo => ({
    id,
    queue: '邮件',
    type,
    payload: Buffer.from(payload),
    headers: {},
    state: 'pending',
    maxRetry: 25,
    retried: 0,
    lastErr: '',
    lastFailedAt: null,
    timeout: 0,
    deadline: null,
    group: '',
    nextProcessAt: now,
    isOrphaned: false,
    retention: 0,
    completedAt: null,
    result: null,
  });

  it('task ls: every column starts at the same terminal column with Chinese types and emoji payloads', () => {
    const lines = taskTable(
      'pending',
      [task('a1', '发送:欢迎', '{"to":"张伟"}'), task('b2', 'email:welcome', '🎉🎉'), task('c3', 'x', 'plain')],
      now,
      'UTC',
    ).split('\n');
    const header = cellStarts(lines[0]!);
    expect(header).toHaveLength(3);
    for (const l of lines) expect(cellStarts(l)).toEqual(header);
  });

  it('stats: the state counts and a Chinese queue header line up', () => {
    const lines = formatTable(['邮件', 'default', '通知 (paused)'], [[12, 3, 4]]).split('\n');
    const header = cellStarts(lines[0]!.replace(' (paused)', '_(paused)'));
    for (const l of lines.slice(1)) expect(cellStarts(l)).toEqual(header);
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

describe('writeJson (--json documents of any size)', () => {
  const written = (v: unknown): {text: string; biggest: number} => {
    const chunks: string[] = [];
    writeJson({write: (s: string) => chunks.push(s)}, v);
    return {text: chunks.join(''), biggest: Math.max(...chunks.map((c) => c.length))};
  };

  it('writes exactly JSON.stringify(value, null, 2) and a newline', () => {
    for (const v of [{a: 1, b: [1, 'x', null], c: {d: 'é\n"'}, u: undefined}, [], 'text', 42, null, [{e: {}}]]) {
      expect(written(v).text).toBe(`${JSON.stringify(v, null, 2)}\n`);
    }
  });

  it('writes a string of several megabytes in pieces, escapes and surrogate pairs intact', () => {
    const long = `${'a"\\\u0001'.repeat(300_000)}b${'😀'.repeat(1_000_000)}\u0000asynq-json-1:0`;
    const doc = {id: 'x', payload: long, list: [long, 'short']};
    const out = written(doc);
    expect(out.text).toBe(`${JSON.stringify(doc, null, 2)}\n`);
    expect(out.biggest).toBeLessThan(long.length);
  });

  it('writes LargeBytesText as UTF-8 text or base64, a piece at a time', () => {
    const utf8 = Buffer.from('ü€😀x'.repeat(300_000)); // multi-byte characters across piece boundaries
    const bin = Buffer.from(Array.from({length: 2_000_000}, (_, i) => (i * 7) % 256));
    const doc = {payload: new LargeBytesText(utf8, 'utf8'), result: new LargeBytesText(bin, 'base64'), n: 1};
    const out = written(doc);
    expect(out.text).toBe(
      `${JSON.stringify({payload: utf8.toString('utf8'), result: bin.toString('base64'), n: 1}, null, 2)}\n`,
    );
    expect(out.biggest).toBeLessThan(bin.length);
  });

  it('bytesJson: text or base64 below LARGE_BYTES, LargeBytesText from it on', () => {
    expect(bytesJson(Buffer.from('héllo'))).toEqual({data: 'héllo', encoding: 'utf8'});
    expect(bytesJson(Buffer.from([0xff, 0]))).toEqual({data: '/wA=', encoding: 'base64'});
    const big = Buffer.alloc(LARGE_BYTES, 'é'.charCodeAt(0)); // Latin-1 byte 0xe9 alone: not UTF-8
    const j = bytesJson(big);
    expect(j.encoding).toBe('base64');
    expect(j.data).toBeInstanceOf(LargeBytesText);
    expect(bytesJson(Buffer.alloc(LARGE_BYTES, 'x')).encoding).toBe('utf8');
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
    expect((caught as ValidationError).message).toBe(
      'asynq dash needs an interactive terminal (stdin and stdout must be a TTY)',
    );
    expect((caught as ValidationError).actions).toEqual(['asynq stats --watch --json']);
  });
});

describe('flag value parsers', () => {
  it('reads durations as Go units or plain milliseconds', () => {
    const cases: [string, number][] = [
      ['90s', 90_000],
      ['10m', 600_000],
      ['1h30m', 5_400_000],
      ['1500', 1500],
      ['0', 0],
      ['500ms', 500],
      [' 2h ', 7_200_000],
    ];
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
