/**
 * JSON Lines task descriptions: per-line validation with line numbers, payload forms, options with
 * JSON values (durations, RFC 3339 times, Go snake_case names), and streaming in batches.
 */
import {Readable} from 'node:stream';
import {describe, expect, it} from 'vitest';
import {ValidationError} from '../../../src/lib/errors.js';
import {
  parseTaskLine,
  readTaskLines,
  taskOptionsFromJson,
  type JsonlError,
  type JsonlTask,
} from '../../../src/cli/enqueue/jsonl.js';

describe('taskOptionsFromJson', () => {
  it('converts every option, accepting Go snake_case names', () => {
    expect(
      taskOptionsFromJson({
        queue: 'critical',
        max_retry: 3,
        timeout: '90s',
        deadline: '2030-01-01T00:00:00Z',
        unique: 3_600_000,
        process_in: '10m',
        task_id: 'abc',
        retention: '24h',
        group: 'g',
        headers: {a: '1'},
      }),
    ).toEqual({
      queue: 'critical',
      maxRetry: 3,
      timeout: '90s',
      deadline: new Date('2030-01-01T00:00:00Z'),
      unique: 3_600_000,
      processIn: '10m',
      taskId: 'abc',
      retention: '24h',
      group: 'g',
      headers: {a: '1'},
    });
    expect(taskOptionsFromJson({processAt: '2030-01-01T00:00:00+01:00', maxRetry: 0})).toEqual({
      processAt: new Date('2029-12-31T23:00:00Z'),
      maxRetry: 0,
    });
    expect(taskOptionsFromJson(undefined)).toEqual({});
    expect(taskOptionsFromJson({queue: null})).toEqual({});
  });

  it.each([
    [[1], '"options" must be an object'],
    [{priority: 1}, 'unknown option "priority"'],
    [{maxRetry: '3'}, 'option "maxRetry" must be an integer, got "3"'],
    [{maxRetry: 1.5}, 'option "maxRetry" must be an integer'],
    [{queue: 7}, 'option "queue" must be a string'],
    [{timeout: true}, 'option "timeout" must be a duration like "90s" or a number of milliseconds'],
    [{deadline: 1767366245}, 'option "deadline" must be an RFC 3339 time string'],
    [{deadline: '2030-13-01T00:00:00Z'}, 'invalid option "deadline"'],
    [{headers: {a: 1}}, 'option "headers" must be an object of string values'],
    [{maxRetry: 1, max_retry: 2}, 'option "maxRetry" is given twice'],
    [{processAt: '2030-01-01T00:00:00Z', processIn: '1m'}, 'cannot be combined'],
  ])('%j → %s', (obj, message) => {
    expect(() => taskOptionsFromJson(obj)).toThrow(ValidationError);
    expect(() => taskOptionsFromJson(obj)).toThrow(message);
  });
});

describe('parseTaskLine', () => {
  it('reads type, payload and options', () => {
    expect(parseTaskLine('{"type":"email:welcome","payload":{"userId":42},"options":{"queue":"low"}}', 7)).toEqual({
      line: 7,
      type: 'email:welcome',
      payload: '{"userId":42}',
      options: {queue: 'low'},
    });
  });

  it.each([
    ['{"type":"t"}', null],
    ['{"type":"t","payload":null}', null],
    ['{"type":"t","payload":"plain text"}', 'plain text'],
    ['{"type":"t","payload":[1,"a"]}', '[1,"a"]'],
    ['{"type":"t","payload":12.5}', '12.5'],
    ['{"type":"t","payload":false}', 'false'],
  ])('%s has payload %j', (line, payload) => {
    expect(parseTaskLine(line, 1).payload).toEqual(payload);
  });

  it('payloadBase64 gives raw bytes', () => {
    expect(parseTaskLine('{"type":"t","payloadBase64":"//4AgA=="}', 1).payload).toEqual(
      Buffer.from([0xff, 0xfe, 0x00, 0x80]),
    );
  });

  it.each([
    ['{"type":"t"', 'not valid JSON'],
    ['[1]', 'expected a JSON object'],
    ['"t"', 'expected a JSON object'],
    ['{"payload":1}', '"type" must be a non-empty string'],
    ['{"type":"  "}', '"type" must be a non-empty string'],
    ['{"type":1}', '"type" must be a non-empty string'],
    ['{"type":"t","opts":{}}', 'unknown field "opts"'],
    ['{"type":"t","payload":1,"payloadBase64":"AA=="}', 'cannot both be given'],
    ['{"type":"t","payloadBase64":"not base64!"}', '"payloadBase64" must be a base64 string'],
    ['{"type":"t","options":{"maxRetry":"x"}}', 'option "maxRetry" must be an integer'],
  ])('%s → %s', (line, message) => {
    expect(() => parseTaskLine(line, 3)).toThrow(ValidationError);
    expect(() => parseTaskLine(line, 3)).toThrow(message);
  });
});

describe('readTaskLines', () => {
  async function collect(
    text: string | Buffer,
    batchSize?: number,
  ): Promise<{batches: Array<Array<JsonlTask | JsonlError>>; bytes: number}> {
    const batches: Array<Array<JsonlTask | JsonlError>> = [];
    let bytes = 0;
    for await (const b of readTaskLines(Readable.from([text]), {batchSize, onBytes: (n) => (bytes += n)}))
      batches.push(b);
    return {batches, bytes};
  }

  it('numbers lines from 1, skips blank lines, reports bad lines in place and never lets them affect the others', async () => {
    const text = [
      '{"type":"a"}',
      '',
      '{"type":"b",',
      '   ',
      '{"type":"c","payload":"x"}\r',
      '{"nope":1}',
      '{"type":"d"}',
    ].join('\n');
    const {batches} = await collect(text);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.map((e) => ('error' in e ? `${e.line}!` : `${e.line}:${e.type}`))).toEqual([
      '1:a',
      '3!',
      '5:c',
      '6!',
      '7:d',
    ]);
    expect((batches[0]![1] as JsonlError).error).toMatch(/^not valid JSON: /);
    expect((batches[0]![3] as JsonlError).error).toBe(
      'unknown field "nope" (known: type, payload, payloadBase64, options)',
    );
  });

  it('reports the bytes read, for the progress bar', async () => {
    const text = '{"type":"ä"}\n\n{"type":"b"}\n';
    expect((await collect(text)).bytes).toBe(Buffer.byteLength(text));
  });

  it('yields batches of at most batchSize entries, in order', async () => {
    const text = Array.from({length: 7}, (_, i) => JSON.stringify({type: `t${i}`})).join('\n') + '\n';
    const {batches} = await collect(text, 3);
    expect(batches.map((b) => b.map((e) => e.line))).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('yields nothing for an empty input', async () => {
    expect((await collect('')).batches).toEqual([]);
  });
});
