import {describe, expect, it} from 'vitest';
import {createLogger, formatLogMessage, withLevel, type LogFields} from '../../src/lib/logger.js';
import {recordingLogger} from '../support/logger.js';

const NOW = new Date('2026-03-10T12:34:56.789Z');

function capture(format: 'text' | 'json'): {lines: string[]; logger: ReturnType<typeof createLogger>} {
  const lines: string[] = [];
  return {lines, logger: createLogger({level: 'debug', format, write: (l) => lines.push(l), now: () => NOW})};
}

const done: LogFields = {type: 'email:welcome', taskId: 'j1', queue: 'low', attempt: 1, durationMs: 12.4, outcome: 'success'};

describe('logger: structured fields', () => {
  it('text format: the fields follow the message as key=value, as the worker has always printed them', () => {
    const {lines, logger} = capture('text');
    logger.info('Task done:', done);
    logger.warn('Task failed:', {type: 'a b', taskId: 'x1', queue: 'default', durationMs: 1500, outcome: 'failure', error: 'exit status 3: "smtp" down'});
    logger.warn('Retry exhausted for task', {taskId: 'x2'});
    logger.info('plain message');
    expect(lines).toEqual([
      `asynq: pid=${process.pid} 2026/03/10 12:34:56.789000 INFO: Task done: type="email:welcome" id=j1 queue=low duration=12ms outcome=success`,
      `asynq: pid=${process.pid} 2026/03/10 12:34:56.789000 WARN: Task failed: type="a b" id=x1 queue=default duration=2s outcome=failure error="exit status 3: \\"smtp\\" down"`,
      `asynq: pid=${process.pid} 2026/03/10 12:34:56.789000 WARN: Retry exhausted for task id=x2`,
      `asynq: pid=${process.pid} 2026/03/10 12:34:56.789000 INFO: plain message`,
    ]);
  });

  it('JSON format: each field in its own key next to time, level and msg; the message stays the same for every task', () => {
    const {lines, logger} = capture('json');
    logger.info('Task done:', done);
    logger.warn('Retry exhausted for task', {taskId: 'x2', queue: undefined});
    logger.error('plain');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      {time: NOW.toISOString(), level: 'info', pid: process.pid, msg: 'Task done', type: 'email:welcome', taskId: 'j1', queue: 'low', attempt: 1, durationMs: 12.4, outcome: 'success'},
      {time: NOW.toISOString(), level: 'warn', pid: process.pid, msg: 'Retry exhausted for task', taskId: 'x2'},
      {time: NOW.toISOString(), level: 'error', pid: process.pid, msg: 'plain'},
    ]);
  });

  it('fields cannot overwrite time, level, pid or msg, and secrets in their values are blanked', () => {
    const {lines, logger} = capture('json');
    logger.error('Could not connect', {error: 'redis://:hunter2@h:6379 refused', level: 'x', msg: 'y'});
    const doc = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(doc).toMatchObject({level: 'error', msg: 'Could not connect'});
    expect(JSON.stringify(doc)).not.toContain('hunter2');
  });

  it('withLevel passes the fields on to a user logger; the recording logger keeps them and the text form', () => {
    const rec = recordingLogger();
    const logger = withLevel(rec, 'info');
    logger.debug('dropped', {taskId: 'a'});
    logger.info('Task done:', {taskId: 'a', type: 't'});
    expect(rec.lines).toEqual([['info', 'Task done: type="t" id=a']]);
    expect(rec.records).toEqual([{level: 'info', msg: 'Task done:', fields: {taskId: 'a', type: 't'}}]);
    expect(formatLogMessage('Task done:', {taskId: 'a', type: 't'})).toBe('Task done: type="t" id=a');
  });
});
