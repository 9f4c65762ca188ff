import {Errors} from '@oclif/core';
import {describe, expect, it} from 'vitest';
import {argvFlag, argvPasswords} from '../../src/cli/command.js';
import {EXIT_CODE_OF_ERROR, EXIT_STATUS, ExitCode, errorCodeFor, exitCodeFor} from '../../src/cli/exit-codes.js';
import {errorReport, formatErrorReport, redactSecrets} from '../../src/cli/output.js';
import {
  DuplicateTaskError,
  FailedPreconditionError,
  InternalError,
  QueueNotEmptyError,
  QueueNotFoundError,
  RedisCommandError,
  RedisUnavailableError,
  ReplicationTimeoutError,
  TaskIdConflictError,
  TaskFailedError,
  TaskNotFoundError,
  ValidationError,
  WaitTimeoutError,
  isRedisUnavailable,
  BadDataError,
  DecodeError,
  WrongTypeError,
} from '../../src/lib/errors.js';

const SECRET = 'hunter2-secret';

/** A real oclif parse error, as the parser throws it for an unknown flag. */
function parseError(): Error {
  const err = new Errors.CLIError('Nonexistent flag: --bogus\nSee more help with --help', {exit: 2});
  return Object.assign(err, {parse: {input: {}, output: {}}});
}

function errnoError(code: string, message: string): Error {
  return Object.assign(new Error(message), {code});
}

describe('exit status table', () => {
  it('documents 0, 1, 2, 3, 4, 5, 6, 7 and 130 in that order', () => {
    expect(EXIT_STATUS.map((r) => r.code)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 130]);
    for (const r of EXIT_STATUS) expect(r.meaning.length).toBeGreaterThan(10);
  });

  it('maps every engine error class to its exit status', () => {
    const cases: [Error, number][] = [
      [new ValidationError('bad payload'), 2],
      [new QueueNotFoundError('q'), 3],
      [new TaskNotFoundError('q', 'id1'), 3],
      [new DuplicateTaskError('q'), 4],
      [new TaskIdConflictError('q', 'id1'), 4],
      [new QueueNotEmptyError('q'), 4],
      [new FailedPreconditionError('task is already running'), 4],
      [new RedisCommandError('EVALSHA', new Error('boom')), 5],
      [new RedisUnavailableError('connection refused'), 5],
      [new ReplicationTimeoutError('q', 'id1', 0, 1, 1000), 5],
      [new InternalError('broken invariant'), 1],
      [new BadDataError('task t1 has no task hash', {queue: 'q', taskId: 't1'}), 6],
      [new DecodeError('TaskMessage', new Error('id is empty')), 6],
      [
        new WrongTypeError(
          'rdb.CurrentStats',
          new Error('WRONGTYPE Operation against a key holding the wrong kind of value'),
        ),
        6,
      ],
    ];
    for (const [err, code] of cases) expect([err.name, exitCodeFor(err)]).toEqual([err.name, code]);
    // Every code listed in the mapping is a documented exit status.
    const documented = new Set(EXIT_STATUS.map((r) => r.code));
    for (const code of Object.values(EXIT_CODE_OF_ERROR)) expect(documented.has(code)).toBe(true);
  });

  it('maps oclif parse errors to 2 and anything unexpected to 1', () => {
    expect(exitCodeFor(parseError())).toBe(ExitCode.USAGE);
    // A value rejected by a flag's parse function (oclif's integer flag throws a plain Error).
    const badValue = new Error('Parsing --db \n\tExpected an integer but received: x\nSee more help with --help');
    expect([exitCodeFor(badValue), errorCodeFor(badValue)]).toEqual([2, 'USAGE']);
    expect(errorReport(badValue).message).toBe('Parsing --db: Expected an integer but received: x');
    expect(errorCodeFor(parseError())).toBe('USAGE');
    expect(exitCodeFor(new TypeError('x is undefined'))).toBe(ExitCode.INTERNAL);
    expect(exitCodeFor('a string')).toBe(ExitCode.INTERNAL);
    expect(errorCodeFor(new TypeError('x'))).toBe('INTERNAL');
  });

  it('maps raw socket and ioredis failures to 5 (Redis unavailable)', () => {
    const unavailable = [
      errnoError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'),
      errnoError('ETIMEDOUT', 'connect ETIMEDOUT'),
      errnoError('ENOTFOUND', 'getaddrinfo ENOTFOUND nohost'),
      Object.assign(new Error('Reached the max retries per request limit (which is 1).'), {
        name: 'MaxRetriesPerRequestError',
      }),
      new Error('NOAUTH Authentication required.'),
      new Error('WRONGPASS invalid username-password pair or user is disabled.'),
      new Error('CLUSTERDOWN The cluster is down'),
      new Error('Connection is closed.'),
      new Error('None of startup nodes is available'),
    ];
    for (const err of unavailable) {
      expect([err.message, isRedisUnavailable(err)]).toEqual([err.message, true]);
      expect(exitCodeFor(err)).toBe(5);
      expect(errorCodeFor(err)).toBe('REDIS_UNAVAILABLE');
    }
    expect(isRedisUnavailable(new Error('ERR unknown command'))).toBe(false);
    expect(isRedisUnavailable(errnoError('ENOENT', 'no such file'))).toBe(false);
  });

  it('reports a failed Redis command as REDIS_UNAVAILABLE when the connection was the cause', () => {
    const lost = new RedisCommandError('allQueues', new Error('Connection is closed.'));
    expect([errorCodeFor(lost), exitCodeFor(lost)]).toEqual(['REDIS_UNAVAILABLE', 5]);
    const wrongType = new WrongTypeError(
      'rdb.CurrentStats',
      Object.assign(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'), {
        name: 'ReplyError',
      }),
    );
    expect([errorCodeFor(wrongType), exitCodeFor(wrongType), isRedisUnavailable(wrongType.cause)]).toEqual([
      'BAD_DATA',
      6,
      false,
    ]);
    const scriptBug = new RedisCommandError(
      'enqueue',
      new Error('ERR user_script:1: Script attempted to access nonexistent global variable'),
    );
    expect([errorCodeFor(scriptBug), exitCodeFor(scriptBug)]).toEqual(['REDIS_COMMAND', 5]);
  });
});

describe('errorReport', () => {
  it('carries code, message, exit status and actions of an engine error', () => {
    expect(errorReport(new QueueNotFoundError('emails'))).toEqual({
      code: 'QUEUE_NOT_FOUND',
      message: 'queue "emails" does not exist',
      exitCode: 3,
      actions: ['asynq queue ls'],
    });
  });

  it("adds the CLI's hints for an engine error code (CLI_ERROR_TABLE), which the error itself does not carry", () => {
    const cases: [Error, string[]][] = [
      [new QueueNotFoundError('q'), ['asynq queue ls']],
      [new TaskNotFoundError('q', 'id1'), ['asynq task ls --queue q --state <state>']],
      [new QueueNotEmptyError('q'), ['asynq queue rm --force q']],
      [new TaskFailedError('q', 'id1', 'boom'), ['asynq task inspect --queue q id1']],
      [new WaitTimeoutError('q', 'id1', 'active', 2000), ['asynq task inspect --queue q id1']],
      [new ReplicationTimeoutError('q', 'id1', 0, 1, 1000), ['asynq task inspect --queue q id1']],
      [new ReplicationTimeoutError('q', undefined, 0, 1, 1000), []],
      [new DuplicateTaskError('q'), []],
      [new ValidationError('bad', {actions: ['quote the payload']}), ['quote the payload']],
    ];
    for (const [err, actions] of cases) {
      expect([err.name, errorReport(err).actions]).toEqual([err.name, actions]);
      expect([err.name, (err as ValidationError).actions.some((a) => a.startsWith('asynq '))]).toEqual([
        err.name,
        false,
      ]);
    }
  });

  it('turns oclif\'s "See more help" tail into an action', () => {
    expect(errorReport(parseError(), {helpCommand: 'asynq queue ls --help'})).toEqual({
      code: 'USAGE',
      message: 'Nonexistent flag: --bogus',
      exitCode: 2,
      actions: ['asynq queue ls --help'],
    });
  });

  it('joins oclif\'s "Parsing --flag" prefix onto one line', () => {
    const err = new ValidationError('invalid --timeout "soon"');
    err.message = `Parsing --timeout \n\t${err.message}\nSee more help with --help`;
    expect(errorReport(err, {helpCommand: 'asynq x --help'})).toMatchObject({
      message: 'Parsing --timeout: invalid --timeout "soon"',
      exitCode: 2,
      actions: ['asynq x --help'],
    });
  });

  it('never shows a password: URI user info and every known secret are blanked', () => {
    const err = new Error(`connect to redis://:${SECRET}@h:1 failed; AUTH ${SECRET} rejected`);
    const report = errorReport(err, {secrets: [SECRET]});
    expect(report.message).toBe('connect to redis://:***@h:1 failed; AUTH *** rejected');
    expect(JSON.stringify(report)).not.toContain(SECRET);
    expect(redactSecrets(`x ${SECRET} y`, ['', SECRET])).toBe('x *** y');
  });

  it('names an error without a message by its class', () => {
    expect(errorReport(new TypeError('')).message).toBe('TypeError');
  });
});

describe('formatErrorReport', () => {
  it('prints one Error line and one Try line per action, the stack only when asked', () => {
    const report = errorReport(new QueueNotEmptyError('q1'));
    expect(formatErrorReport(report)).toBe('Error: queue "q1" is not empty\n  Try: asynq queue rm --force q1');
    const withStack = formatErrorReport(report, {
      stack: `Error: x\n    at f (/src/${SECRET}.ts:1:1)`,
      secrets: [SECRET],
    });
    expect(withStack.split('\n')).toHaveLength(4);
    expect(withStack).toContain('at f (/src/***.ts:1:1)');
  });
});

describe('argv scanning for catch() (works even when parsing failed)', () => {
  it('reads --debug / --no-color style switches up to "--"', () => {
    expect(argvFlag(['queue', 'ls', '--debug'], 'debug')).toBe(true);
    expect(argvFlag(['--color', '--no-color'], 'color')).toBe(false);
    expect(argvFlag(['--', '--debug'], 'debug')).toBeUndefined();
    expect(argvFlag([], 'color')).toBeUndefined();
  });

  it('collects passwords in every flag spelling', () => {
    expect(argvPasswords(['-p', 'a1', '--password', 'b2', '--password=c3', '-pd4', '-p=e5', '-u', 'x'])).toEqual([
      'a1',
      'b2',
      'c3',
      'd4',
      'e5',
    ]);
    expect(argvPasswords(['--', '-p', 'zz'])).toEqual([]);
  });
});
