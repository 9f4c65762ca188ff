import {describe, expect, it} from 'vitest';
import * as barrel from '../../src/lib/index.js';
import * as errors from '../../src/lib/errors.js';
import {
  AsynqError, DecodeError, DuplicateTaskError, FailedPreconditionError, HandlerNotFoundError, InternalError, QueueNotEmptyError,
  QueueNotFoundError, RedisCommandError, RedisUnavailableError, ReplicationTimeoutError, ServerClosedError, ServerStateError,
  TaskFailedError, TaskIdConflictError, TaskNotFoundError, ValidationError, WaitTimeoutError,
} from '../../src/lib/errors.js';

/** One of every engine error, as the engine builds them. */
const engineErrors = (): AsynqError[] => [
  new ValidationError('bad payload'),
  new DuplicateTaskError('q', 'asynq:{q}:unique:x'),
  new TaskIdConflictError('q', 'id1'),
  new QueueNotFoundError('q'),
  new TaskNotFoundError('q', 'id1'),
  new QueueNotEmptyError('q'),
  new FailedPreconditionError('task is already running'),
  new ServerStateError('asynq: the server is already running'),
  new ServerClosedError(),
  new RedisCommandError('EVALSHA', new Error('boom')),
  new RedisUnavailableError('connection refused'),
  new InternalError('broken invariant'),
  new DecodeError('TaskMessage', new Error('index out of range')),
  new HandlerNotFoundError('email:send'),
  new TaskFailedError('q', 'id1', 'boom'),
  new WaitTimeoutError('q', 'id1', 'pending', 5000),
  new ReplicationTimeoutError('q', 'id1', 0, 1, 1000),
  new ReplicationTimeoutError('q', undefined, null, 1, 1000),
];

describe('library errors carry data, not CLI text', () => {
  it('no message or field of an engine error names an asynq command', () => {
    for (const err of engineErrors()) {
      const text = JSON.stringify({message: err.message, actions: err.actions, fields: {...err}});
      expect(text, err.name).not.toContain('asynq ');
      expect(err.actions, err.name).toEqual([]);
    }
  });

  it('keeps the data an error is about', () => {
    expect(new QueueNotFoundError('emails')).toMatchObject({code: 'QUEUE_NOT_FOUND', queue: 'emails', message: 'queue "emails" does not exist'});
    expect(new TaskNotFoundError('q', 'id1')).toMatchObject({code: 'TASK_NOT_FOUND', queue: 'q', taskId: 'id1'});
    expect(new WaitTimeoutError('q', 'id1', 'active', 1500)).toMatchObject({queue: 'q', taskId: 'id1', state: 'active', waitedMs: 1500});
  });

  it('gives the errors that may reach the CLI a code: decode failures are BAD_DATA, handler-not-found INTERNAL', () => {
    const decode = new DecodeError('TaskMessage', new Error('index out of range'));
    expect([decode.code, decode.name, decode.message]).toEqual(['BAD_DATA', 'DecodeError', 'cannot decode TaskMessage: index out of range']);
    const missing = new HandlerNotFoundError('email:send');
    expect([missing.code, missing.name, missing.message, missing.taskType]).toEqual(['INTERNAL', 'HandlerNotFoundError', 'handler not found for task "email:send"', 'email:send']);
    expect(new ServerClosedError()).toBeInstanceOf(FailedPreconditionError);
  });
});

describe('all error classes in one place', () => {
  it('the package root exports every error class from src/lib/errors.ts', () => {
    const classes = Object.entries(barrel).filter(([, v]) => typeof v === 'function' && (v as {prototype?: unknown}).prototype instanceof Error);
    expect(classes.length).toBeGreaterThan(10);
    for (const [name, cls] of classes) expect([name, (errors as Record<string, unknown>)[name]]).toEqual([name, cls]);
  });
});
