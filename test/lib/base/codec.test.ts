import {describe, expect, it} from 'vitest';
import {
  decodeSchedulerEnqueueEvent, decodeSchedulerEntry, decodeServerInfo, decodeTaskMessage, decodeWorkerInfo,
  encodeSchedulerEnqueueEvent, encodeSchedulerEntry, encodeServerInfo, encodeTaskMessage, encodeWorkerInfo,
  isZeroTime, newTaskMessage, ZERO_TIME, timestampFromDate, timestampToDate,
} from '../../../src/lib/base/codec.js';
import {allKeys, bytes, DUMPS, loadDump, type DumpKey} from '../../support/compat.js';

const hex = (b: Buffer): string => b.toString('hex');

describe('codec: worked encodings of docs/wire-format.md', () => {
  it('encodes a default TaskMessage byte-identically to Go', () => {
    const m = newTaskMessage({type: 'email:welcome', payload: Buffer.from('{"user_id":42}'), id: 't1', queue: 'default', retry: 25, timeout: 1800});
    expect(hex(encodeTaskMessage(m))).toBe('0a0d656d61696c3a77656c636f6d65120e7b22757365725f6964223a34327d1a027431220764656661756c74281940880e');
  });

  it('writes headers (field 15) last although declared third', () => {
    const m = newTaskMessage({type: 't', id: 'x', queue: 'q', retry: 3, deadline: 1767225600, uniqueKey: 'asynq:{q}:unique:t:', retention: 3600, groupKey: 'g', headers: {k: 'v'}});
    expect(hex(encodeTaskMessage(m))).toBe('0a01741a0178220171280348' + '80f2d6ca06' + '52136173796e713a7b717d3a756e697175653a743a' + '60901c' + '720167' + '7a060a016b120176');
  });

  it('encodes ServerInfo with its start time', () => {
    const b = encodeServerInfo({host: 'h', pid: 7, serverId: 's', concurrency: 10, queues: {default: 1}, strictPriority: false, status: 'active', startTime: {seconds: 1767225600, nanos: 5}, activeWorkerCount: 0});
    expect(hex(b)).toBe('0a01681007' + '1a0173' + '200a' + '2a0b0a0764656661756c741001' + '3a06616374697665' + '42080880f2d6ca061005');
  });

  it("encodes a never-fired scheduler entry's prev time as Go's zero time", () => {
    const b = encodeSchedulerEntry({id: 'e1', spec: '@every 30s', taskType: 't', taskPayload: Buffer.alloc(0), enqueueOptions: ['Queue("default")', 'MaxRetry(5)'], nextEnqueueTime: {seconds: 1767225600, nanos: 0}, prevEnqueueTime: ZERO_TIME});
    expect(hex(b)).toBe('0a026531120a40657665727920333073' + '1a0174' + '2a105175657565282264656661756c742229' + '2a0b4d61785265747279283529' + '32060880f2d6ca06' + '3a0b088092b8c398feffffff01');
    expect(isZeroTime(decodeSchedulerEntry(b).prevEnqueueTime)).toBe(true);
  });

  it('encodes an enqueue event and an all-zero Timestamp as a present empty message', () => {
    expect(hex(encodeSchedulerEnqueueEvent({taskId: 't1', enqueueTime: {seconds: 1767225600, nanos: 0}}))).toBe('0a02743112060880f2d6ca06');
    const w = encodeWorkerInfo({host: '', pid: 0, serverId: '', taskId: '', taskType: '', taskPayload: Buffer.alloc(0), queue: '', startTime: {seconds: 0, nanos: 0}, deadline: {seconds: 1767227400, nanos: 0}});
    expect(hex(w)).toBe('42004a06088880d7ca06');
  });

  it('converts Dates to Timestamps and back at millisecond precision', () => {
    const d = new Date('2026-01-01T00:00:00.123Z');
    expect(timestampFromDate(d)).toEqual({seconds: 1767225600, nanos: 123_000_000});
    expect(timestampToDate(timestampFromDate(d)).getTime()).toBe(d.getTime());
  });
});

type Decoded = Record<string, unknown>;

/** The dump's decoded JSON (snake_case, payload as text, Timestamps with rfc3339) → our shape. */
function expectedTaskMessage(d: Decoded): unknown {
  return newTaskMessage({
    type: d.type as string, id: d.id as string, queue: d.queue as string,
    payload: Buffer.from((d.payload as string | undefined) ?? '', 'utf8'),
    headers: (d.headers as Record<string, string>) ?? {},
    retry: (d.retry as number) ?? 0, retried: (d.retried as number) ?? 0,
    errorMsg: (d.error_msg as string) ?? '', lastFailedAt: (d.last_failed_at as number) ?? 0,
    timeout: (d.timeout as number) ?? 0, deadline: (d.deadline as number) ?? 0,
    uniqueKey: (d.unique_key as string) ?? '', groupKey: (d.group_key as string) ?? '',
    retention: (d.retention as number) ?? 0, completedAt: (d.completed_at as number) ?? 0,
  });
}

const tsOf = (t: unknown): {seconds: number; nanos: number} => {
  const o = t as {seconds: number; nanos: number};
  return {seconds: o.seconds, nanos: o.nanos};
};

interface Sample { key: string; kind: NonNullable<DumpKey['decoded_as']>; raw: Buffer; decoded: Decoded }

function samples(file: (typeof DUMPS)[number]): Sample[] {
  const out: Sample[] = [];
  for (const k of allKeys(loadDump(file))) {
    if (!k.decoded_as) continue;
    const kind = k.decoded_as;
    if (k.type === 'hash' && kind === 'TaskMessage') {
      out.push({key: k.key, kind, raw: bytes((k.value as Decoded).msg), decoded: (k.decoded as Decoded).msg as Decoded});
    } else if (k.type === 'hash') {
      for (const [f, v] of Object.entries(k.value as Decoded)) out.push({key: `${k.key}#${f}`, kind, raw: bytes(v), decoded: (k.decoded as Decoded)[f] as Decoded});
    } else if (k.type === 'string') {
      out.push({key: k.key, kind, raw: bytes(k.value), decoded: k.decoded as Decoded});
    } else if (k.type === 'list') {
      (k.value as unknown[]).forEach((v, i) => out.push({key: `${k.key}[${i}]`, kind, raw: bytes(v), decoded: (k.decoded as Decoded[])[i]!}));
    } else if (k.type === 'zset') {
      (k.value as Array<{member: unknown}>).forEach((e, i) => out.push({key: `${k.key}[${i}]`, kind, raw: bytes(e.member), decoded: (k.decoded as Decoded[])[i]!}));
    }
  }
  return out;
}

for (const file of DUMPS) {
  describe(`codec: golden messages captured from Go (${file})`, () => {
    const all = samples(file);

    it('covers every message kind the dump holds', () => {
      const kinds = new Set(all.map((s) => s.kind));
      expect([...kinds].sort()).toEqual(['SchedulerEnqueueEvent', 'SchedulerEntry', 'ServerInfo', 'TaskMessage', 'WorkerInfo']);
      expect(all.length).toBeGreaterThan(15);
    });

    it.each(all.map((s) => [s.key, s] as const))('%s decodes to the captured fields and re-encodes to the same bytes', (_k, s) => {
      switch (s.kind) {
        case 'TaskMessage': {
          const m = decodeTaskMessage(s.raw);
          expect(m).toEqual(expectedTaskMessage(s.decoded));
          const re = encodeTaskMessage(m);
          if (Object.keys(m.headers).length > 1) {
            // Go writes map entries in random order: compare everything but the order of entries.
            expect(re.length).toBe(s.raw.length);
            expect(decodeTaskMessage(re)).toEqual(m);
          } else {
            expect(hex(re)).toBe(hex(s.raw));
          }
          break;
        }
        case 'ServerInfo': {
          const m = decodeServerInfo(s.raw);
          expect(m).toMatchObject({host: s.decoded.host, pid: s.decoded.pid, serverId: s.decoded.server_id, concurrency: s.decoded.concurrency, queues: s.decoded.queues, status: s.decoded.status, startTime: tsOf(s.decoded.start_time), activeWorkerCount: s.decoded.active_worker_count ?? 0});
          expect(hex(encodeServerInfo(m))).toBe(hex(s.raw)); // one queue: map is byte-stable
          break;
        }
        case 'WorkerInfo': {
          const m = decodeWorkerInfo(s.raw);
          expect(m).toMatchObject({host: s.decoded.host, taskId: s.decoded.task_id, taskType: s.decoded.task_type, queue: s.decoded.queue, startTime: tsOf(s.decoded.start_time), deadline: tsOf(s.decoded.deadline)});
          expect(m.taskPayload.toString()).toBe(s.decoded.task_payload);
          expect(hex(encodeWorkerInfo(m))).toBe(hex(s.raw));
          break;
        }
        case 'SchedulerEntry': {
          const m = decodeSchedulerEntry(s.raw);
          expect(m).toMatchObject({id: s.decoded.id, spec: s.decoded.spec, taskType: s.decoded.task_type, enqueueOptions: s.decoded.enqueue_options, nextEnqueueTime: tsOf(s.decoded.next_enqueue_time), prevEnqueueTime: tsOf(s.decoded.prev_enqueue_time)});
          expect(hex(encodeSchedulerEntry(m))).toBe(hex(s.raw));
          break;
        }
        case 'SchedulerEnqueueEvent': {
          const m = decodeSchedulerEnqueueEvent(s.raw);
          expect(m).toEqual({taskId: s.decoded.task_id, enqueueTime: tsOf(s.decoded.enqueue_time)});
          expect(hex(encodeSchedulerEnqueueEvent(m))).toBe(hex(s.raw));
          break;
        }
      }
    });
  });
}

describe('codec: UTF-8 safety', () => {
  it('replaces lone surrogates in string fields so Go can decode the message', () => {
    const m = newTaskMessage({type: 't', id: 'x', queue: 'q', errorMsg: 'bad \uD800 text', headers: {'k\uDC00': 'v\uD800'}});
    const b = encodeTaskMessage(m);
    // Strict UTF-8 decoding of the whole message would throw on invalid sequences.
    expect(() => new TextDecoder('utf-8', {fatal: true}).decode(b)).not.toThrow();
    const back = decodeTaskMessage(b);
    expect(back.errorMsg).toBe('bad \uFFFD text');
    expect(back.headers).toEqual({'k\uFFFD': 'v\uFFFD'});
  });
});

describe('codec: header names that are Object.prototype names', () => {
  it('keeps a header named __proto__ on encode and decode (found by the codec property test)', () => {
    const headers = Object.fromEntries([['__proto__', 'x'], ['constructor', 'y'], ['a', 'b']]);
    const m = newTaskMessage({type: 't', id: 'x', queue: 'q', headers});
    const b = encodeTaskMessage(m);
    // The map entry is on the wire, as Go writes it: field 15 {1: "__proto__", 2: "x"}.
    expect(hex(b)).toContain(`7a0e0a09${hex(Buffer.from('__proto__'))}12017`);
    const back = decodeTaskMessage(b);
    expect(Object.keys(back.headers).sort()).toEqual(['__proto__', 'a', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(back.headers, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(back.headers)).toBe(Object.prototype);
    expect(back.headers.constructor).toBe('y');
  });
});

describe('compat fixtures', () => {
  it('the in-repo copy equals ../shared/compat when that folder is present', async () => {
    const {readFileSync, existsSync} = await import('node:fs');
    const {join} = await import('node:path');
    const {FIXTURE_COMPAT_DIR, SHARED_COMPAT_DIR} = await import('../../support/compat.js');
    for (const f of DUMPS) {
      const copy = readFileSync(join(FIXTURE_COMPAT_DIR, f), 'utf8');
      expect(JSON.parse(copy).keys.length).toBeGreaterThan(10);
      if (existsSync(join(SHARED_COMPAT_DIR, f))) expect(copy).toBe(readFileSync(join(SHARED_COMPAT_DIR, f), 'utf8'));
    }
  });
});
