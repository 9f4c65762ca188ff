import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {ValidationError} from '../../src/lib/errors.js';
import {optionStrings} from '../../src/lib/option-strings.js';
import {FilePeriodicTaskConfigProvider, parsePeriodicTaskConfigs} from '../../src/lib/yaml-config-provider.js';

const dir = mkdtempSync(join(tmpdir(), 'asynq-yaml-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

const SEED = `configs:
  - cronspec: "* * * * *"
    task_type: "task:periodic"
    payload: { username: "孙悟空" }
    options: { queue: low, max_retry: 3, timeout: 1m, unique: 1h }
`;

/** The message of the error `f` throws (failing the test if it throws none or a non-ValidationError). */
function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('parsePeriodicTaskConfigs', () => {
  it('reads the seed example: payload as UTF-8 JSON bytes, options as TaskOptions', () => {
    const [c, ...rest] = parsePeriodicTaskConfigs(SEED, 'periodic.yml');
    expect(rest).toEqual([]);
    expect(c!.cronspec).toBe('* * * * *');
    expect(c!.task.type).toBe('task:periodic');
    // {"username":"孙悟空"}: the three characters as their UTF-8 bytes, not \u escapes.
    expect(c!.task.payload.toString('hex')).toBe('7b22757365726e616d65223a22' + 'e5ad99' + 'e6829f' + 'e7a9ba' + '227d');
    expect(c!.task.payload.toString('utf8')).toBe('{"username":"孙悟空"}');
    expect(c!.opts).toEqual({queue: 'low', maxRetry: 3, timeout: 60_000, unique: 3_600_000});
    expect(optionStrings(c!.opts)).toEqual(['Queue("low")', 'MaxRetry(3)', 'Timeout(1m0s)', 'Unique(1h0m0s)']);
  });

  it('reads every option', () => {
    const [c] = parsePeriodicTaskConfigs(`configs:
  - cronspec: "@every 30s"
    task_type: t
    options:
      queue: critical
      max_retry: 0
      timeout: 1h30m
      deadline: 2026-12-31T23:00:00+01:00
      unique: 90s
      process_in: 10s
      retention: 24h
      group: g
      task_id: my-id
      headers: { source: cron, "x-n": "1" }
`);
    expect(c!.opts).toEqual({
      queue: 'critical', maxRetry: 0, timeout: 5_400_000, deadline: new Date('2026-12-31T22:00:00Z'), unique: 90_000,
      processIn: 10_000, retention: 86_400_000, group: 'g', taskId: 'my-id', headers: {source: 'cron', 'x-n': '1'},
    });
    expect(c!.task.rawPayload).toBeNull();
  });

  it.each([
    ['"plain text"', 'plain text'],
    ['孙悟空', '孙悟空'],
    ['42', '42'],
    ['-1.5', '-1.5'],
    ['true', 'true'],
    ['[1, "a", null]', '[1,"a",null]'],
    ['{ a: { b: [1, 2] }, c: "d" }', '{"a":{"b":[1,2]},"c":"d"}'],
    ['{ id: 12345678901234567890 }', '{"id":12345678901234567890}'],
    ['|\n      {"raw": true}', '{"raw": true}\n'],
  ])('turns payload %s into the bytes %j', (yaml, want) => {
    const [c] = parsePeriodicTaskConfigs(`configs:\n  - cronspec: "@daily"\n    task_type: t\n    payload: ${yaml}\n`);
    expect(c!.task.payload.toString('utf8')).toBe(want);
  });

  it('gives no payload for null or a missing payload', () => {
    const configs = parsePeriodicTaskConfigs('configs:\n  - {cronspec: "@daily", task_type: a, payload: null}\n  - {cronspec: "@daily", task_type: b}\n');
    expect(configs.map((c) => c.task.rawPayload)).toEqual([null, null]);
    expect(configs.map((c) => c.opts)).toEqual([undefined, undefined]);
  });

  it('accepts an explicit empty list', () => {
    expect(parsePeriodicTaskConfigs('configs: []\n')).toEqual([]);
    expect(parsePeriodicTaskConfigs('configs:\n')).toEqual([]);
  });

  it.each([
    ['an unknown option', SEED.replace('unique: 1h', 'uniq: 1h'), 'p.yml:5:55: unknown option key "uniq" (expected one of queue, max_retry, timeout, deadline, unique, process_in, retention, group, task_id, headers)'],
    ['a duration without unit', SEED.replace('timeout: 1m', 'timeout: 60'), 'p.yml:5:51: timeout needs a unit, e.g. "60s" or "60ms"'],
    ['a bad duration', SEED.replace('timeout: 1m', 'timeout: 1x'), 'p.yml:5:51: invalid timeout "1x": unknown unit "x"'],
    ['a non-integer max_retry', SEED.replace('max_retry: 3', 'max_retry: three'), 'p.yml:5:39: max_retry must be an integer'],
    ['a too short unique', SEED.replace('unique: 1h', 'unique: 500ms'), 'p.yml:5:63: unique must be at least 1s'],
    ['a bad cron spec', SEED.replace('"* * * * *"', '"* * * *"'), 'p.yml:2:15: invalid cron spec "* * * *": expected exactly 5 fields'],
    ['an empty cron spec', SEED.replace('"* * * * *"', '""'), 'p.yml:2:15: cronspec cannot be empty'],
    ['a missing task_type', SEED.replace('    task_type: "task:periodic"\n', ''), 'p.yml:2:5: configs[0]: missing task_type'],
    ['a misspelt config key', SEED.replace('cronspec:', 'cron_spec:'), 'p.yml:2:5: unknown configs[0] key "cron_spec" (expected one of cronspec, task_type, payload, options)'],
    ['a non-string task type', SEED.replace('"task:periodic"', '[a]'), 'p.yml:3:16: task_type must be a string'],
    ['a number as header value', SEED.replace('unique: 1h', 'headers: {n: 1}'), 'p.yml:5:68: header "n" must be a string'],
    ['a bad deadline', SEED.replace('unique: 1h', 'deadline: tomorrow'), 'p.yml:5:65: deadline must be an RFC 3339 time'],
    ['broken YAML', SEED.replace('{ username: "孙悟空" }', '{ username: "孙悟空"'), 'p.yml:5:5: invalid YAML:'],
    ['a duplicate key', SEED.replace('    options:', '    task_type: again\n    options:'), 'p.yml:5:5: invalid YAML: Map keys must be unique'],
    ['an unknown top-level key', `${SEED}extra: 1\n`, 'p.yml:6:1: unknown top-level key "extra"'],
    ['configs that are not a list', 'configs: {a: 1}\n', 'p.yml:1:10: "configs" must be a list'],
    ['a config that is not a mapping', 'configs:\n  - "* * * * *"\n', 'p.yml:2:5: configs[0] must be a mapping'],
    ['an empty file', '', 'p.yml: the file is empty'],
    ['a file without configs', 'other: 1\n', 'p.yml:1:1: unknown top-level key "other"'],
  ])('names file, line and column for %s', (_what, text, want) => {
    expect(errorOf(() => parsePeriodicTaskConfigs(text, 'p.yml'))).toContain(want);
  });

  it('reports a missing configs key on an otherwise empty mapping', () => {
    expect(errorOf(() => parsePeriodicTaskConfigs('{}\n', 'p.yml'))).toBe('p.yml:1:1: missing "configs:" list');
  });
});

describe('FilePeriodicTaskConfigProvider', () => {
  it('reads the file on every call, so edits show up at the next call', async () => {
    const path = join(dir, 'periodic.yml');
    writeFileSync(path, SEED);
    const p = new FilePeriodicTaskConfigProvider(path);
    expect((await p.getConfigs()).map((c) => c.task.type)).toEqual(['task:periodic']);
    writeFileSync(path, `${SEED}  - cronspec: "@hourly"\n    task_type: "task:hourly"\n`);
    expect((await p.getConfigs()).map((c) => c.task.type)).toEqual(['task:periodic', 'task:hourly']);
  });

  it('rejects with the file name and line for a bad file, and for a missing one', async () => {
    const path = join(dir, 'broken.yml');
    writeFileSync(path, SEED.replace('max_retry: 3', 'max_retry: 3.5'));
    await expect(new FilePeriodicTaskConfigProvider(path).getConfigs()).rejects.toThrow(`${path}:5:39: max_retry must be an integer`);
    const missing = join(dir, 'missing.yml');
    await expect(new FilePeriodicTaskConfigProvider(missing).getConfigs()).rejects.toThrow(new RegExp(`^${missing}: cannot read periodic task config: ENOENT`));
  });
});
