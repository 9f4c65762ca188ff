import {describe, expect, it} from 'vitest';
import {newTaskMessage} from '../../src/lib/base/codec.js';
import {ValidationError} from '../../src/lib/errors.js';
import {Task, taskInfoFromMessage} from '../../src/lib/task.js';

describe('Task', () => {
  it('stores an object payload as its JSON text and reads it back with json()', () => {
    const t = new Task('email:welcome', {user_id: 42});
    expect(t.type).toBe('email:welcome');
    expect(t.payload).toEqual(Buffer.from('{"user_id":42}'));
    expect(t.json<{user_id: number}>()).toEqual({user_id: 42});
  });

  it('stores a string as UTF-8 and bytes as a copy', () => {
    expect(new Task('t', 'héllo').payload).toEqual(Buffer.from('héllo', 'utf8'));
    const bytes = new Uint8Array([1, 2, 3]);
    const t = new Task('t', bytes);
    bytes[0] = 9;
    expect(t.payload).toEqual(Buffer.from([1, 2, 3]));
    expect(Buffer.isBuffer(t.payload)).toBe(true);
  });

  it('keeps "no payload" (Go nil) distinct from an empty payload', () => {
    for (const none of [undefined, null]) {
      const t = new Task('t', none);
      expect(t.payload).toEqual(Buffer.alloc(0));
      expect(t.rawPayload).toBeNull();
    }
    expect(new Task('t', '').rawPayload).toEqual(Buffer.alloc(0));
    expect(new Task('t', new Uint8Array(0)).rawPayload).toEqual(Buffer.alloc(0));
  });

  it('JSON-encodes arrays and numbers', () => {
    expect(new Task('t', [1, 'a']).payload.toString()).toBe('[1,"a"]');
    expect(new Task('t', 7 as unknown as object).payload.toString()).toBe('7');
  });

  it('rejects payloads that JSON cannot represent', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => new Task('t', circular)).toThrow(ValidationError);
    expect(() => new Task('t', {n: 1n})).toThrow(/not JSON-serialisable/);
    expect(() => new Task('t', (() => 1) as unknown as object)).toThrow(/not JSON-serialisable/);
  });

  it('json() throws a ValidationError for a non-JSON payload', () => {
    expect(() => new Task('t', 'not json').json()).toThrow(ValidationError);
  });

  it('exposes options and their headers, frozen against later edits', () => {
    const headers = {a: '1'};
    const opts = {queue: 'q', headers};
    const t = new Task('t', null, opts);
    headers.a = '2';
    opts.queue = 'other';
    expect(t.opts).toEqual({queue: 'q', headers: {a: '1'}});
    expect(t.headers).toEqual({a: '1'});
    expect(Object.isFrozen(t.opts)).toBe(true);
    expect(new Task('t').headers).toEqual({});
    expect(new Task('t', null, null).opts).toEqual({});
  });

  it('has an empty resultWriter slot that a server can fill', async () => {
    const t = new Task('t');
    expect(t.resultWriter).toBeUndefined();
    t.resultWriter = {taskId: 'x', write: async (d) => (typeof d === 'string' ? Buffer.byteLength(d) : d.length)};
    expect(await t.resultWriter.write('abc')).toBe(3);
  });
});

describe('taskInfoFromMessage', () => {
  it('maps every field as Go newTaskInfo does (seconds → ms, zero instants → null)', () => {
    const msg = newTaskMessage({
      type: 't', id: 'i', queue: 'q', payload: Buffer.from('p'), headers: {h: 'v'}, retry: 5, retried: 2,
      errorMsg: 'boom', lastFailedAt: 1767225600, timeout: 60, deadline: 1767229200, groupKey: 'g', retention: 3600,
      completedAt: 1767225700,
    });
    const next = new Date('2026-01-02T00:00:00Z');
    expect(taskInfoFromMessage(msg, 'retry', next, Buffer.from('r'))).toEqual({
      id: 'i', queue: 'q', type: 't', payload: Buffer.from('p'), headers: {h: 'v'}, state: 'retry',
      maxRetry: 5, retried: 2, lastErr: 'boom', lastFailedAt: new Date('2026-01-01T00:00:00Z'),
      timeout: 60_000, deadline: new Date('2026-01-01T01:00:00Z'), group: 'g', nextProcessAt: next,
      isOrphaned: false, retention: 3_600_000, completedAt: new Date('2026-01-01T00:01:40Z'), result: Buffer.from('r'),
    });
  });

  it('gives null instants, empty strings and no result for a fresh message', () => {
    const info = taskInfoFromMessage(newTaskMessage({type: 't', id: 'i', queue: 'q'}), 'aggregating', null);
    expect(info).toMatchObject({
      lastFailedAt: null, deadline: null, completedAt: null, nextProcessAt: null, result: null,
      lastErr: '', group: '', timeout: 0, retention: 0, isOrphaned: false,
    });
  });

  it('copies the headers so editing the info does not change the message', () => {
    const msg = newTaskMessage({type: 't', id: 'i', queue: 'q', headers: {a: '1'}});
    taskInfoFromMessage(msg, 'pending', null).headers.a = 'x';
    expect(msg.headers).toEqual({a: '1'});
  });
});
