/** The TaskMessage codec on bytes that are not a task: empty, random, or a message Go could not process. */
import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {decodeTaskMessage, encodeTaskMessage, newTaskMessage, type TaskMessage} from '../../../src/lib/base/codec.js';
import {BadDataError, DecodeError} from '../../../src/lib/errors.js';

describe('decodeTaskMessage: what Go needs to process a task', () => {
  it.each([
    ['empty bytes', Buffer.alloc(0), 'id is empty'],
    ['a message without id', encodeTaskMessage(newTaskMessage({type: 't', id: '', queue: 'q'})), 'id is empty'],
    ['a message without type', encodeTaskMessage(newTaskMessage({type: '', id: 'x', queue: 'q'})), 'type is empty'],
    ['a message without queue', encodeTaskMessage(newTaskMessage({type: 't', id: 'x', queue: ''})), 'queue is empty'],
    ['a JSON text', Buffer.from('{"type":"t","id":"x","queue":"q"}'), ''],
    ['three 0xff bytes', Buffer.from([0xff, 0xff, 0xff]), ''],
  ])('rejects %s with a DecodeError (code BAD_DATA)', (_name, bytes, why) => {
    let err: unknown;
    try {
      decodeTaskMessage(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DecodeError);
    expect(err).toBeInstanceOf(BadDataError);
    expect((err as DecodeError).code).toBe('BAD_DATA');
    expect((err as Error).message).toMatch(/^cannot decode TaskMessage: /);
    expect((err as Error).message).toContain(why);
  });
});

const text = fc.string({minLength: 1, maxLength: 20});
const int = (max: number): fc.Arbitrary<number> => fc.integer({min: 0, max});
const validMessage: fc.Arbitrary<TaskMessage> = fc.record({
  type: text, id: text, queue: text,
  payload: fc.uint8Array({maxLength: 64}).map((a) => Buffer.from(a)),
  headers: fc.dictionary(text, fc.string({maxLength: 10}), {maxKeys: 3}),
  retry: int(100), retried: int(100), errorMsg: fc.string({maxLength: 30}), lastFailedAt: int(2 ** 40), timeout: int(2 ** 31),
  deadline: int(2 ** 40), uniqueKey: fc.string({maxLength: 20}), groupKey: fc.string({maxLength: 10}), retention: int(2 ** 31),
  completedAt: int(2 ** 40),
});

describe('decodeTaskMessage: properties', () => {
  it('random bytes never crash it: a valid message or a DecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({maxLength: 200}), (a) => {
      let msg: TaskMessage;
      try {
        msg = decodeTaskMessage(a);
      } catch (err) {
        expect(err).toBeInstanceOf(DecodeError);
        return;
      }
      expect(msg.id).not.toBe('');
      expect(msg.type).not.toBe('');
      expect(msg.queue).not.toBe('');
    }), {numRuns: 1000});
  });

  it('bytes that start as a valid message and then go wrong: a valid message or a DecodeError', () => {
    fc.assert(fc.property(validMessage, fc.uint8Array({maxLength: 16}), fc.nat(), (m, tail, cut) => {
      const good = encodeTaskMessage(m);
      const bad = Buffer.concat([good.subarray(0, cut % (good.length + 1)), tail]);
      try {
        const msg = decodeTaskMessage(bad);
        expect([msg.id, msg.type, msg.queue]).not.toContain('');
      } catch (err) {
        expect(err).toBeInstanceOf(DecodeError);
      }
    }), {numRuns: 1000});
  });

  it('a valid message round-trips', () => {
    fc.assert(fc.property(validMessage, (m) => {
      const wellFormed = (s: string): string => s.toWellFormed();
      const expected: TaskMessage = {
        ...m, type: wellFormed(m.type), id: wellFormed(m.id), queue: wellFormed(m.queue), errorMsg: wellFormed(m.errorMsg),
        uniqueKey: wellFormed(m.uniqueKey), groupKey: wellFormed(m.groupKey),
        headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [wellFormed(k), wellFormed(v)])),
      };
      expect(decodeTaskMessage(encodeTaskMessage(m))).toEqual(expected);
    }), {numRuns: 500});
  });
});

describe('decodeTaskMessage: truncated string fields', () => {
  // protobufjs's Buffer reader cut a string whose length runs past the end short; Go's
  // proto.Unmarshal refuses it (unexpected EOF). Found by the property above, seed 2092499263.
  it('a message whose last string is cut short is a DecodeError, as in Go', () => {
    const good = encodeTaskMessage(newTaskMessage({type: 'email:send', id: 'abc', queue: 'default'}));
    // The queue (field 4) is the last field: drop its final byte and keep its length prefix.
    const bad = good.subarray(0, good.length - 1);
    expect(() => decodeTaskMessage(bad)).toThrow(DecodeError);
    expect(() => decodeTaskMessage(new Uint8Array(bad))).toThrow(DecodeError);
  });

  it('the same with a __proto__ type, which reads the headers off the wire too (seed 2092499263)', () => {
    const bad = Buffer.from('0a095f5f70726f746f5f5f1a0120220200', 'hex');
    expect(() => decodeTaskMessage(bad)).toThrow(DecodeError);
  });
});
