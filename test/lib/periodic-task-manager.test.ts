import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, afterEach, describe, expect, it} from 'vitest';
import {decodeSchedulerEntry} from '../../src/lib/base/codec.js';
import {SimulatedClock} from '../../src/lib/clock.js';
import {FailedPreconditionError, ValidationError} from '../../src/lib/errors.js';
import {
  PeriodicTaskManager, type PeriodicTaskConfig, type PeriodicTaskConfigProvider, type PeriodicTaskManagerOptions,
} from '../../src/lib/periodic-task-manager.js';
import {Task} from '../../src/lib/task.js';
import {FilePeriodicTaskConfigProvider} from '../../src/lib/yaml-config-provider.js';
import {useRedis} from '../support/redis.js';
import {manualTimer, waitFor} from '../support/wait.js';
import {recordingLogger} from '../support/logger.js';
import {readMsg} from '../support/seed.js';

const r = useRedis();
const dir = mkdtempSync(join(tmpdir(), 'asynq-ptm-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

/** A provider whose answer the test changes between syncs. */
class MemoryProvider implements PeriodicTaskConfigProvider {
  constructor(public answer: PeriodicTaskConfig[] | Error) {}
  calls = 0;
  async getConfigs(): Promise<PeriodicTaskConfig[]> {
    this.calls++;
    if (this.answer instanceof Error) throw this.answer;
    return this.answer;
  }
}

const managers: PeriodicTaskManager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.shutdown()));
});

const T0 = new Date('2026-01-01T12:00:30Z');

function newManager(provider: PeriodicTaskConfigProvider, extra: Partial<PeriodicTaskManagerOptions> = {}) {
  const logger = recordingLogger();
  const clock = new SimulatedClock(T0);
  const mgr = new PeriodicTaskManager({
    redis: r.server.url, provider, ...extra,
    schedulerOpts: {clock, timer: manualTimer, logger, ...extra.schedulerOpts},
  });
  managers.push(mgr);
  return {mgr, logger, clock};
}

const cfg = (cronspec: string, type: string, payload?: object | string, opts?: PeriodicTaskConfig['opts']): PeriodicTaskConfig =>
  opts === undefined ? {cronspec, task: new Task(type, payload)} : {cronspec, task: new Task(type, payload), opts};

/** [spec, type] of the manager's entries, sorted, and their ids by type. */
function summary(mgr: PeriodicTaskManager): {entries: string[]; ids: Record<string, string>} {
  const es = mgr.entries();
  return {
    entries: es.map((e) => `${e.spec} ${e.task.type}`).sort(),
    ids: Object.fromEntries(es.map((e) => [e.task.type, e.id])),
  };
}

async function storedTypes(mgr: PeriodicTaskManager): Promise<string[]> {
  const raw = await r.redis.lrangeBuffer(`asynq:schedulers:{${mgr.scheduler.id}}`, 0, -1);
  return raw.map((b) => decodeSchedulerEntry(b).taskType).sort();
}

describe('PeriodicTaskManager.start (checklist 123)', () => {
  it('registers every config and writes them to Redis', async () => {
    const p = new MemoryProvider([cfg('* * * * *', 'a'), cfg('@every 30s', 'b', {n: 1}, {queue: 'low'})]);
    const {mgr, logger} = newManager(p);
    await mgr.start();
    expect(summary(mgr).entries).toEqual(['* * * * * a', '@every 30s b']);
    expect(await storedTypes(mgr)).toEqual(['a', 'b']);
    expect(logger.lines.filter(([l, m]) => l === 'info' && m.startsWith('Successfully registered periodic task'))).toHaveLength(2);
    await expect(mgr.start()).rejects.toBeInstanceOf(FailedPreconditionError);
  });

  it('fails to start on a provider error, leaving nothing behind', async () => {
    const {mgr} = newManager(new MemoryProvider(new Error('config service down')));
    await expect(mgr.start()).rejects.toThrow('asynq: initial call to getConfigs failed: config service down');
    expect(await r.redis.keys('asynq:*')).toEqual([]);
    await expect(mgr.start()).rejects.toBeInstanceOf(FailedPreconditionError);
  });

  it.each([
    ['an empty cronspec', {cronspec: '', task: new Task('a')}, 'config #2: PeriodicTaskConfig.cronspec cannot be empty'],
    ['a missing task', {cronspec: '* * * * *', task: null}, 'config #2: PeriodicTaskConfig.task cannot be empty'],
    ['a bad spec', {cronspec: '* * *', task: new Task('a')}, 'config #2 (cronspec "* * *", task "a"): invalid cron spec'],
    ['a bad option', {cronspec: '* * * * *', task: new Task('a'), opts: {queue: ' '}}, 'config #2 (cronspec "* * * * *", task "a"): '],
  ])('fails to start on %s', async (_what, bad, want) => {
    const {mgr} = newManager(new MemoryProvider([cfg('@daily', 'ok'), bad as PeriodicTaskConfig]));
    await expect(mgr.start()).rejects.toThrow(`asynq: initial call to getConfigs contained an invalid config: ${want}`);
    expect(mgr.entries()).toEqual([]);
    expect(await r.redis.keys('asynq:*')).toEqual([]);
  });

  it('refuses to be built without provider or connection, or with a tiny sync interval', () => {
    expect(() => new PeriodicTaskManager({redis: r.server.url} as never)).toThrow(ValidationError);
    expect(() => new PeriodicTaskManager({provider: new MemoryProvider([])} as never)).toThrow(/redis/);
    expect(() => new PeriodicTaskManager({redis: r.server.url, provider: new MemoryProvider([]), syncInterval: 10})).toThrow(/syncInterval/);
  });
});

describe('PeriodicTaskManager.sync (checklist 124)', () => {
  it('registers added configs, unregisters removed ones and keeps the entry IDs of unchanged ones', async () => {
    // Given
    const p = new MemoryProvider([cfg('* * * * *', 'keep', {n: 1}), cfg('* * * * *', 'change', {v: 1}), cfg('@hourly', 'remove')]);
    const {mgr, logger} = newManager(p);
    await mgr.start();
    const before = summary(mgr).ids;
    // When: "change" gets another payload, "remove" goes away, "add" is new
    p.answer = [cfg('* * * * *', 'keep', {n: 1}), cfg('* * * * *', 'change', {v: 2}), cfg('@every 1m', 'add')];
    await mgr.sync();
    // Then
    const after = summary(mgr);
    expect(after.entries).toEqual(['* * * * * change', '* * * * * keep', '@every 1m add']);
    expect(after.ids.keep).toBe(before.keep);
    expect(after.ids.change).not.toBe(before.change);
    expect(Object.values(after.ids)).not.toContain(before.remove);
    expect(logger.lines).toContainEqual(['info', `Successfully unregistered periodic task: entryID=${before.remove}`]);
    expect(logger.lines).toContainEqual(['info', `Successfully unregistered periodic task: entryID=${before.change}`]);
    // The changed entries are in Redis at once, without waiting for the scheduler's heartbeat.
    expect(await storedTypes(mgr)).toEqual(['add', 'change', 'keep']);
  });

  it('treats a change of options as a new config, and identical configs as one', async () => {
    const p = new MemoryProvider([cfg('* * * * *', 'a', undefined, {queue: 'low'})]);
    const {mgr} = newManager(p);
    await mgr.start();
    const [first] = mgr.entries();
    p.answer = [cfg('* * * * *', 'a', undefined, {queue: 'low'}), cfg('* * * * *', 'a', undefined, {queue: 'low'})];
    await mgr.sync();
    expect(mgr.entries().map((e) => e.id)).toEqual([first!.id]);
    p.answer = [cfg('* * * * *', 'a', undefined, {queue: 'low', maxRetry: 1})];
    await mgr.sync();
    expect(mgr.entries().map((e) => [e.id === first!.id, e.optionStrings])).toEqual([[false, ['Queue("low")', 'MaxRetry(1)']]]);
  });

  it('keeps the last good entries when the provider fails or returns an invalid config', async () => {
    const p = new MemoryProvider([cfg('* * * * *', 'a')]);
    const {mgr, logger, clock} = newManager(p);
    await mgr.start();
    const ids = summary(mgr).ids;
    p.answer = new Error('boom');
    await mgr.sync();
    expect(summary(mgr).ids).toEqual(ids);
    expect(logger.lines).toContainEqual(['error', 'Failed to get periodic task configs, keeping the 1 current entries: boom']);
    // An invalid config spoils the whole round, including its valid additions.
    p.answer = [cfg('@daily', 'b'), {cronspec: '', task: new Task('c')}];
    await mgr.sync();
    expect(summary(mgr).ids).toEqual(ids);
    expect(logger.lines.at(-1)).toEqual(['error',
      'Failed to sync: getConfigs returned an invalid config, keeping the 1 current entries: config #2: PeriodicTaskConfig.cronspec cannot be empty']);
    // The kept entry still fires.
    clock.set(new Date('2026-01-01T12:01:00Z'));
    await mgr.scheduler.tick(clock.now());
    expect(await r.redis.llen('asynq:{default}:pending')).toBe(1);
  });

  it('re-syncs on its own every syncInterval', async () => {
    const p = new MemoryProvider([cfg('* * * * *', 'a')]);
    const {mgr} = newManager(p, {syncInterval: '1s'});
    await mgr.start();
    p.answer = [cfg('* * * * *', 'b')];
    await waitFor(() => mgr.entries()[0]?.task.type === 'b', 'the sync loop to pick up the change', 4_000);
    expect(p.calls).toBeGreaterThanOrEqual(2);
  });
});

describe('PeriodicTaskManager with the YAML file provider', () => {
  const SEED = `configs:
  - cronspec: "* * * * *"
    task_type: "task:periodic"
    payload: { username: "孙悟空" }
`;

  it('enqueues the seed example with its UTF-8 JSON payload', async () => {
    const path = join(dir, 'seed.yml');
    writeFileSync(path, SEED);
    const {mgr, clock} = newManager(new FilePeriodicTaskConfigProvider(path));
    await mgr.start();
    clock.set(new Date('2026-01-01T12:01:00Z'));
    await mgr.scheduler.tick(clock.now());
    const [id] = await r.redis.lrange('asynq:{default}:pending', 0, -1);
    const msg = await readMsg(r.redis, 'default', id!);
    expect(msg.type).toBe('task:periodic');
    expect(msg.payload.equals(Buffer.from('{"username":"孙悟空"}', 'utf8'))).toBe(true);
    expect(JSON.parse(msg.payload.toString('utf8'))).toEqual({username: '孙悟空'});
  });

  it('applies added, changed and removed configs, and keeps the last good entries while the file is broken', async () => {
    const path = join(dir, 'reload.yml');
    writeFileSync(path, SEED);
    const {mgr, logger} = newManager(new FilePeriodicTaskConfigProvider(path));
    await mgr.start();
    const seedId = summary(mgr).ids['task:periodic'];

    // Added
    writeFileSync(path, `${SEED}  - cronspec: "@every 30s"\n    task_type: "task:ping"\n`);
    await mgr.sync();
    expect(summary(mgr).entries).toEqual(['* * * * * task:periodic', '@every 30s task:ping']);
    expect(summary(mgr).ids['task:periodic']).toBe(seedId);

    // Broken: an unknown option on line 7
    writeFileSync(path, `${SEED}  - cronspec: "@every 30s"\n    task_type: "task:ping"\n    options: { qeueu: low }\n`);
    await mgr.sync();
    expect(summary(mgr).entries).toEqual(['* * * * * task:periodic', '@every 30s task:ping']);
    expect(logger.lines.at(-1)).toEqual(['error',
      `Failed to get periodic task configs, keeping the 2 current entries: ${path}:7:16: unknown option key "qeueu" ` +
      '(expected one of queue, max_retry, timeout, deadline, unique, process_in, retention, group, task_id, headers)']);

    // Changed and removed
    writeFileSync(path, `configs:\n  - cronspec: "@every 30s"\n    task_type: "task:ping"\n    options: { queue: low }\n`);
    await mgr.sync();
    expect(mgr.entries().map((e) => [e.spec, e.task.type, e.optionStrings])).toEqual([['@every 30s', 'task:ping', ['Queue("low")']]]);
    await mgr.scheduler.heartbeat();
    expect(await storedTypes(mgr)).toEqual(['task:ping']);
  });

  it('fails to start on a broken file, naming file and line', async () => {
    const path = join(dir, 'broken.yml');
    writeFileSync(path, SEED.replace('"* * * * *"', '"61 * * * *"'));
    const {mgr} = newManager(new FilePeriodicTaskConfigProvider(path));
    await expect(mgr.start()).rejects.toThrow(`asynq: initial call to getConfigs failed: ${path}:2:15: invalid cron spec "61 * * * *"`);
  });

  it('runs until the signal, then removes its entries', async () => {
    const path = join(dir, 'run.yml');
    writeFileSync(path, SEED);
    const {mgr} = newManager(new FilePeriodicTaskConfigProvider(path));
    const ac = new AbortController();
    const running = mgr.run({signal: ac.signal});
    await waitFor(async () => (await r.redis.zcard('asynq:schedulers')) === 1, 'the scheduler heartbeat');
    ac.abort();
    await running;
    expect(await r.redis.keys('asynq:*')).toEqual([]);
  });
});
