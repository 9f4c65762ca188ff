/**
 * ExecHandler with real child processes (test/fixtures/exec/*.sh): the command line is never seen
 * by a shell, the payload arrives on stdin byte for byte, task facts in the environment, stdout
 * becomes the result, exit statuses map to success / retry-later / skip-retry / failure, and an
 * abort kills the child's whole process group (SIGTERM, then SIGKILL after the grace period).
 */
import {chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterEach, describe, expect, it} from 'vitest';
import {
  checkExecutable,
  EXEC_RETRY_LATER_EXIT_CODE,
  EXEC_SKIP_RETRY_EXIT_CODE,
  ExecFailedError,
  ExecHandler,
  ExecRetryLaterError,
  execIsFailure,
  parseExecSpec,
  splitCommandLine,
} from '../../../src/cli/worker/exec-handler.js';
import {DeadlineExceededError, ValidationError} from '../../../src/lib/errors.js';
import type {TaskContext} from '../../../src/lib/handler.js';
import {isSkipRetry, retryAfterMs} from '../../../src/lib/retry.js';
import {Task, type ResultWriter} from '../../../src/lib/task.js';
import {processAlive} from '../../support/process.js';
import {recordingLogger} from '../../support/logger.js';
import {waitFor} from '../../support/wait.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'exec');
const script = (name: string): string => join(FIXTURES, name);

/** A payload full of things a shell would interpret, plus a newline and bytes that are not UTF-8. */
function nastyPayload(marker: string): Buffer {
  return Buffer.concat([
    Buffer.from(
      `{"q": "it's \\"quoted\\"", "cmd": "$(touch ${marker})", "tick": "\`touch ${marker}\`"}; touch ${marker}\n| rm -rf / & $HOME\n`,
    ),
    Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x0a]),
  ]);
}

interface Written {
  writes: Buffer[];
}

function taskWith(payload: Buffer | string | null, type = 'email:welcome'): Task & Written {
  const task = new Task(type, payload) as Task & Written;
  task.writes = [];
  const writer: ResultWriter = {
    taskId: 'id-1',
    write: async (data) => {
      const b = Buffer.from(data);
      task.writes.push(b);
      return b.length;
    },
  };
  task.resultWriter = writer;
  return task;
}

function ctxWith(signal: AbortSignal = new AbortController().signal, over: Partial<TaskContext> = {}): TaskContext {
  return {
    signal,
    taskId: 'id-1',
    queue: 'critical',
    retryCount: 2,
    maxRetry: 7,
    deadline: new Date('2030-01-02T03:04:05.000Z'),
    ...over,
  };
}

/** The PIDs tree.sh / stubborn.sh wrote into DIR, once both are there. */
async function groupPids(d: string): Promise<{parent: number; child: number}> {
  const child = Number(
    await waitFor(
      () => existsSync(join(d, 'child.pid')) && readFileSync(join(d, 'child.pid'), 'utf8').trim(),
      'child pid',
    ),
  );
  return {parent: Number(readFileSync(join(d, 'parent.pid'), 'utf8')), child};
}

const tmpDirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'asynq-exec-'));
  tmpDirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of tmpDirs.splice(0)) rmSync(d, {recursive: true, force: true});
});

describe('splitCommandLine', () => {
  it.each([
    ['./send.sh', ['./send.sh']],
    ['  a   b\tc ', ['a', 'b', 'c']],
    [`say 'hello world' "it's" x\\ y`, ['say', 'hello world', "it's", 'x y']],
    [`a "q\\"uote \\\\ \\$HOME \\n" 'lit\\eral'`, ['a', 'q"uote \\ $HOME \\n', 'lit\\eral']],
    [`a ''`, ['a', '']],
    [`pre'mid'"post"`, ['premidpost']],
    [`node -e "console.log(1)"`, ['node', '-e', 'console.log(1)']],
    [`x '$(rm -rf /)' "a|b;c&d>e"`, ['x', '$(rm -rf /)', 'a|b;c&d>e']],
  ])('splits %j into %j without expanding anything', (line, words) => {
    expect(splitCommandLine(line)).toEqual(words);
  });

  it.each([
    ['./a.sh | tee log', '|'],
    ['./a.sh > out', '>'],
    ['./a.sh; rm x', ';'],
    ['./a.sh && b', '&'],
    ['echo $HOME', '$'],
    ['echo `id`', '`'],
    ['(sub)', '('],
  ])('rejects unquoted shell syntax in %j instead of passing it on', (line, op) => {
    expect(() => splitCommandLine(line)).toThrow(ValidationError);
    expect(() => splitCommandLine(line)).toThrow(`shell syntax (${op})`);
  });

  it.each([
    [`a 'open`, "unterminated ' quote"],
    [`a "open`, 'unterminated " quote'],
    ['a \\', 'trailing backslash'],
    ['   ', 'the command is empty'],
  ])('rejects %j: %s', (line, message) => {
    expect(() => splitCommandLine(line)).toThrow(message);
  });
});

describe('parseExecSpec', () => {
  it('splits PATTERN=COMMAND at the first "=" and the command into words', () => {
    expect(parseExecSpec(`email:*=./send.sh --to=x 'a b'`)).toEqual({
      pattern: 'email:*',
      argv: ['./send.sh', '--to=x', 'a b'],
    });
    expect(parseExecSpec(' report:daily = make report ')).toEqual({pattern: 'report:daily', argv: ['make', 'report']});
  });

  it.each([
    ['./send.sh', 'expected PATTERN=COMMAND'],
    ['=./send.sh', "pattern before '=' is empty"],
    ['email:*=', 'the command is empty'],
    ['email:*=a | b', 'shell syntax (|)'],
  ])('rejects %j with a message naming the flag value', (spec, message) => {
    expect(() => parseExecSpec(spec)).toThrow(ValidationError);
    expect(() => parseExecSpec(spec)).toThrow(message);
    expect(() => parseExecSpec(spec)).toThrow(`--exec ${JSON.stringify(spec)}`);
  });
});

describe('checkExecutable', () => {
  it('accepts an executable path (relative to cwd) and a program found in PATH', () => {
    expect(() => checkExecutable('./cat.sh', {cwd: FIXTURES})).not.toThrow();
    expect(() => checkExecutable(script('cat.sh'))).not.toThrow();
    expect(() => checkExecutable('cat.sh', {env: {PATH: `/nonexistent:${FIXTURES}`}})).not.toThrow();
  });

  it('rejects a missing file, a file without the x bit, a directory and a name not in PATH', () => {
    const d = tmp();
    writeFileSync(join(d, 'plain.sh'), '#!/bin/sh\n');
    chmodSync(join(d, 'plain.sh'), 0o644);
    expect(() => checkExecutable('./missing.sh', {cwd: d})).toThrow('./missing.sh: no such executable file');
    expect(() => checkExecutable('./plain.sh', {cwd: d})).toThrow('./plain.sh: no such executable file');
    expect(() => checkExecutable(d)).toThrow('no such executable file');
    expect(() => checkExecutable('cat.sh', {env: {PATH: '/nonexistent'}})).toThrow('cat.sh: command not found in PATH');
    expect(() => new ExecHandler(['./missing.sh'], {cwd: d})).toThrow(ValidationError);
  });
});

describe('ExecHandler', () => {
  it('passes the payload on stdin byte for byte; shell syntax in it never runs; stdout becomes the result', async () => {
    const d = tmp();
    const marker = join(d, 'pwned');
    const payload = nastyPayload(marker);
    const task = taskWith(payload);
    await new ExecHandler([script('cat.sh')]).processTask(task, ctxWith());
    expect(Buffer.concat(task.writes).equals(payload)).toBe(true);
    expect(task.writes).toHaveLength(1);
    expect(existsSync(marker)).toBe(false);
  });

  it('passes the argument words as they are (no globbing, no variables)', async () => {
    const task = taskWith(null);
    await new ExecHandler(splitCommandLine(`${script('argv.sh')} '*' '$HOME' "a b"`)).processTask(task, ctxWith());
    expect(Buffer.concat(task.writes).toString()).toBe('[*]\n[$HOME]\n[a b]\n');
  });

  it('sets ASYNQ_TASK_ID, ASYNQ_TASK_TYPE, ASYNQ_QUEUE, ASYNQ_RETRY_COUNT, ASYNQ_MAX_RETRY, ASYNQ_DEADLINE over the inherited environment', async () => {
    const task = taskWith('{}', 'report:daily');
    const handler = new ExecHandler([script('env.sh')], {
      env: {PATH: process.env.PATH, ASYNQ_TASK_ID: 'stale', ASYNQ_QUEUE: 'stale'},
    });
    await handler.processTask(task, ctxWith(undefined, {taskId: 'abc-123', queue: 'low', retryCount: 3, maxRetry: 9}));
    expect(Buffer.concat(task.writes).toString()).toBe(
      'id=abc-123\ntype=report:daily\nqueue=low\nretry=3\nmax=9\ndeadline=2030-01-02T03:04:05.000Z\n',
    );
  });

  it('writes no result when the command prints nothing', async () => {
    const task = taskWith('x');
    await new ExecHandler([script('exit.sh'), '0']).processTask(task, ctxWith());
    expect(task.writes).toEqual([]);
  });

  it('keeps only the first resultLimitBytes of stdout and warns that the result was cut off', async () => {
    const task = taskWith(Buffer.alloc(5000, 'x'));
    const logger = recordingLogger();
    await new ExecHandler([script('cat.sh')], {resultLimitBytes: 1000, logger}).processTask(task, ctxWith());
    expect(Buffer.concat(task.writes).equals(Buffer.alloc(1000, 'x'))).toBe(true);
    expect(logger.lines).toContainEqual(['warn', 'task id=id-1: result cut off at 1000 bytes of stdout']);
  });

  it(`exit ${EXEC_RETRY_LATER_EXIT_CODE} rejects with ExecRetryLaterError, which execIsFailure does not count as a failure`, async () => {
    const err = await new ExecHandler([script('exit.sh'), '75', 'rate limited'])
      .processTask(taskWith('x'), ctxWith())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecRetryLaterError);
    expect((err as Error).message).toBe('exit status 75 (retry later): rate limited');
    expect(execIsFailure(err)).toBe(false);
    expect(isSkipRetry(err)).toBe(false);
  });

  it(`exit ${EXEC_RETRY_LATER_EXIT_CODE} with a Retry-After line on stderr carries that delay (RetryAfterError as its cause)`, async () => {
    const err = await new ExecHandler([script('exit.sh'), '75', 'Retry-After: 7'])
      .processTask(taskWith('x'), ctxWith())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecRetryLaterError);
    expect(retryAfterMs(err)).toBe(7000);
    const plain = await new ExecHandler([script('exit.sh'), '75', 'busy'])
      .processTask(taskWith('x'), ctxWith())
      .catch((e: unknown) => e);
    expect(retryAfterMs(plain)).toBeUndefined();
  });

  it(`exit ${EXEC_SKIP_RETRY_EXIT_CODE} rejects with SkipRetry (archive now)`, async () => {
    const err = await new ExecHandler([script('exit.sh'), '65', 'bad payload'])
      .processTask(taskWith('x'), ctxWith())
      .catch((e: unknown) => e);
    expect(isSkipRetry(err)).toBe(true);
    expect((err as Error).message).toBe('exit status 65 (skip retry): bad payload');
    expect(execIsFailure(err)).toBe(true);
  });

  it('any other status rejects with ExecFailedError carrying the status and the stderr text', async () => {
    const err = await new ExecHandler([script('exit.sh'), '3', 'smtp down'])
      .processTask(taskWith('x'), ctxWith())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecFailedError);
    expect(err).toMatchObject({message: 'exit status 3: smtp down', exitCode: 3, exitSignal: null});
    expect(execIsFailure(err)).toBe(true);
    const quiet = await new ExecHandler([script('exit.sh'), '1'])
      .processTask(taskWith('x'), ctxWith())
      .catch((e: unknown) => e);
    expect((quiet as Error).message).toBe('exit status 1');
  });

  it('keeps only the last whole lines of a long stderr as the error', async () => {
    const d = tmp();
    const noisy = join(d, 'noisy.sh');
    writeFileSync(
      noisy,
      '#!/bin/sh\ni=0\nwhile [ $i -lt 500 ]; do echo "line $i of the log" >&2; i=$((i+1)); done\nexit 2\n',
    );
    chmodSync(noisy, 0o755);
    const err = (await new ExecHandler([noisy])
      .processTask(taskWith(null), ctxWith())
      .catch((e: unknown) => e)) as Error;
    expect(err.message.startsWith('exit status 2: line ')).toBe(true);
    expect(err.message.endsWith('line 499 of the log')).toBe(true);
    expect(err.message).not.toContain('line 0 of');
    expect(Buffer.byteLength(err.message)).toBeLessThanOrEqual(2048 + 'exit status 2: '.length);
  });

  it('a command killed by a signal (not by us) fails with the signal name', async () => {
    const d = tmp();
    const selfKill = join(d, 'self-kill.sh');
    writeFileSync(selfKill, '#!/bin/sh\nkill -SEGV $$\n');
    chmodSync(selfKill, 0o755);
    const err = await new ExecHandler([selfKill]).processTask(taskWith(null), ctxWith()).catch((e: unknown) => e);
    expect(err).toMatchObject({message: 'killed by signal SIGSEGV', exitCode: null, exitSignal: 'SIGSEGV'});
  });

  it('a program that vanished after the check fails with "cannot run"', async () => {
    const d = tmp();
    const gone = join(d, 'gone.sh');
    writeFileSync(gone, '#!/bin/sh\n');
    chmodSync(gone, 0o755);
    const handler = new ExecHandler([gone]);
    rmSync(gone);
    const err = await handler.processTask(taskWith(null), ctxWith()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecFailedError);
    expect((err as Error).message).toMatch(/^cannot run .*gone\.sh: .*ENOENT/);
    expect(handler.running).toBe(0);
  });

  it('does not start the command when the signal is already aborted', async () => {
    const d = tmp();
    const ac = new AbortController();
    ac.abort(new DeadlineExceededError());
    const err = await new ExecHandler([script('tree.sh'), d])
      .processTask(taskWith(null), ctxWith(ac.signal))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineExceededError);
    expect(existsSync(join(d, 'parent.pid'))).toBe(false);
  });

  it('on abort SIGTERMs the whole process group (grandchildren too) and rejects with the abort reason', async () => {
    const d = tmp();
    const ac = new AbortController();
    const handler = new ExecHandler([script('tree.sh'), d], {killGraceMs: 5_000});
    const run = handler.processTask(taskWith(null), ctxWith(ac.signal)).catch((e: unknown) => e);
    const {parent, child} = await groupPids(d);
    expect(processAlive(parent) && processAlive(child)).toBe(true);
    expect(handler.running).toBe(1);
    const started = Date.now();
    ac.abort(new DeadlineExceededError());
    expect(await run).toBeInstanceOf(DeadlineExceededError);
    expect(Date.now() - started).toBeLessThan(2_000); // SIGTERM was enough, no grace period waited out
    await waitFor(() => !processAlive(child) && !processAlive(parent), 'the group to be gone');
    expect(handler.running).toBe(0);
  });

  it('SIGKILLs a group that ignores SIGTERM once the grace period is over; close() waits for it', async () => {
    const d = tmp();
    const ac = new AbortController();
    const handler = new ExecHandler([script('stubborn.sh'), d], {killGraceMs: 300});
    const run = handler.processTask(taskWith(null), ctxWith(ac.signal)).catch((e: unknown) => e);
    const {parent, child} = await groupPids(d);
    const started = Date.now();
    ac.abort(new Error('context canceled'));
    await new Promise((r) => setTimeout(r, 150));
    expect(processAlive(parent) && processAlive(child)).toBe(true); // SIGTERM ignored, still in its grace period
    await handler.close();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(((await run) as Error).message).toBe('context canceled');
    await waitFor(() => !processAlive(child) && !processAlive(parent), 'SIGKILL to end the group');
  });

  it('killAll() sends a signal to every running group', async () => {
    const d = tmp();
    const handler = new ExecHandler([script('stubborn.sh'), d], {killGraceMs: 60_000});
    const run = handler.processTask(taskWith(null), ctxWith()).catch((e: unknown) => e);
    const {child} = await groupPids(d);
    handler.killAll('SIGKILL');
    expect(await run).toMatchObject({message: 'killed by signal SIGKILL'});
    await waitFor(() => !processAlive(child), 'the grandchild to be killed');
  });
});
