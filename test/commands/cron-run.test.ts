/**
 * `asynq cron run`: the spawned binary against a throwaway Redis. `@every 1s` entries and a 1 s
 * --sync-interval keep every test to a few seconds; the seed file (test/fixtures/periodic.yml) is
 * run with its cron spec swapped for `@every 1s`.
 */
import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process';
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, afterEach, describe, expect, it} from 'vitest';
import CronRun from '../../src/commands/cron/run.js';
import {decodeSchedulerEntry, decodeTaskMessage} from '../../src/lib/base/codec.js';
import * as keys from '../../src/lib/base/keys.js';
import {periodicTaskIdentity} from '../../src/lib/scheduler.js';
import {Task} from '../../src/lib/task.js';
import {parsePeriodicTaskConfigs} from '../../src/lib/yaml-config-provider.js';
import {BIN, cliEnv, ROOT, runCli, runCliInProcess, type CliResult} from '../support/cli.js';
import {waitFor} from '../support/wait.js';
import {useRedis} from '../support/redis.js';

const r = useRedis();
const dir = mkdtempSync(join(tmpdir(), 'asynq-cron-run-'));
afterAll(() => rmSync(dir, {recursive: true, force: true}));

const SEED = readFileSync(join(ROOT, 'test', 'fixtures', 'periodic.yml'), 'utf8');
const SEED_EVERY_SECOND = SEED.replace('"* * * * *"', '"@every 1s"');
const SEED_PAYLOAD = Buffer.from('{"username":"孙悟空"}', 'utf8');
/** Go asynq's log line: `asynq: pid=<pid> 2006/01/02 15:04:05.000000 LEVEL: message`. */
const LOG_LINE = /^asynq: pid=\d+ \d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}\.\d{6} (DEBUG|INFO|WARN|ERROR): \S/;

let fileSeq = 0;
function periodicFile(text: string): string {
  const path = join(dir, `periodic-${++fileSeq}.yml`);
  writeFileSync(path, text);
  return path;
}

function everySecond(...types: string[]): string {
  return `configs:\n${types.map((t) => `  - cronspec: "@every 1s"\n    task_type: "${t}"\n`).join('')}`;
}

/** A long-running `asynq …` child: its output so far, waits on its log, and its end. */
interface Running {
  child: ChildProcessWithoutNullStreams;
  stderr(): string;
  /** Resolves once stderr matches `re` at least `times` times (after `from`, an earlier stderr length). */
  waitForLog(re: RegExp, opts?: {times?: number; from?: number; timeoutMs?: number}): Promise<void>;
  exited: Promise<CliResult>;
}

const running: Running[] = [];
afterEach(() => {
  for (const p of running.splice(0))
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
});

function start(args: readonly string[]): Running {
  const child = spawn(process.execPath, [BIN, ...args], {cwd: ROOT, env: cliEnv(), stdio: ['pipe', 'pipe', 'pipe']});
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString('utf8');
  });
  child.stderr.on('data', (b: Buffer) => {
    err += b.toString('utf8');
    for (const w of waiters) w();
  });
  child.stdin.end();
  const exited = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      for (const w of waiters) w();
      resolve({code, signal, stdout: out, stderr: err});
    });
  });
  const p: Running = {
    child,
    stderr: () => err,
    exited,
    waitForLog: (re, {times = 1, from = 0, timeoutMs = 10_000} = {}) =>
      new Promise((resolve, reject) => {
        const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
        const check = (): void => {
          if ((err.slice(from).match(g) ?? []).length >= times) return done(resolve);
          if (child.exitCode !== null || child.signalCode !== null)
            done(() => reject(new Error(`exited before ${re} x${times}:\n${err}`)));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`timed out waiting for ${re} x${times}:\n${err}`))),
          timeoutMs,
        );
        const done = (f: () => void): void => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      }),
  };
  running.push(p);
  return p;
}

function cronRun(file: string, ...extra: string[]): Running {
  return start(['cron', 'run', '-u', r.server.url, '--file', file, ...extra]);
}

const enqueuedLog = (type: string): RegExp => new RegExp(`INFO: Enqueued task: type=${JSON.stringify(type)} id=`);

/** Types of the tasks in the pending list of `queue`, oldest first. */
async function pendingTypes(queue = 'default'): Promise<string[]> {
  const ids = await r.redis.lrange(keys.pendingKey(queue), 0, -1);
  const types: string[] = [];
  for (const id of ids.reverse()) {
    const msg = await r.redis.hgetBuffer(keys.taskKey(queue, id), 'msg');
    types.push(decodeTaskMessage(msg!).type);
  }
  return types;
}

const count = (xs: readonly string[], x: string): number => xs.filter((y) => y === x).length;

describe('asynq cron run', () => {
  it('runs the seed file (@every 1s): tasks with the UTF-8 payload intact reach `asynq worker run`', async () => {
    const file = periodicFile(SEED_EVERY_SECOND);
    const cron = cronRun(file);
    await cron.waitForLog(enqueuedLog('task:periodic'));

    // The task as stored: Go's TaskMessage with the payload's JSON bytes.
    const [id] = await r.redis.lrange(keys.pendingKey('default'), 0, 0);
    const msg = decodeTaskMessage((await r.redis.hgetBuffer(keys.taskKey('default', id!), 'msg'))!);
    expect(msg.type).toBe('task:periodic');
    expect(msg.queue).toBe('default');
    expect(Buffer.from(msg.payload).equals(SEED_PAYLOAD)).toBe(true);

    // A worker gets it byte for byte on its stdin.
    const out = mkdtempSync(join(dir, 'payloads-'));
    const worker = start([
      'worker',
      'run',
      '-u',
      r.server.url,
      '--exec',
      `task:periodic=${join(ROOT, 'test', 'fixtures', 'save-payload.sh')} ${out}`,
    ]);
    await worker.waitForLog(/Task done: type="task:periodic" .*outcome=success/, {times: 2});
    const saved = readdirSync(out);
    expect(saved.length).toBeGreaterThanOrEqual(2);
    for (const f of saved) expect(readFileSync(join(out, f)).equals(SEED_PAYLOAD), f).toBe(true);

    cron.child.kill('SIGTERM');
    worker.child.kill('SIGTERM');
    const [c, w] = await Promise.all([cron.exited, worker.exited]);
    expect(c.code).toBe(0);
    expect(w.code).toBe(0);
    expect(c.stdout).toBe('');
    const lines = c.stderr.trimEnd().split('\n');
    for (const l of lines) expect(l).toMatch(LOG_LINE);
    expect(c.stderr).toContain(`INFO: Running 1 periodic task(s) from ${file}, re-read every 3m or on SIGHUP`);
    expect(c.stderr).toMatch(
      /INFO: Successfully registered periodic task: cronspec="@every 1s" task="task:periodic", entryID=[0-9a-f-]{36}/,
    );
    expect(c.stderr).toContain('INFO: Received SIGTERM: shutting down');
    expect(c.stderr).toMatch(/INFO: Stopped: \d+ task\(s\) enqueued, 0 failed\n$/);
  });

  it('registers the seed file as written: "* * * * *", next enqueue at the next full minute', async () => {
    const cron = cronRun(join(ROOT, 'test', 'fixtures', 'periodic.yml'));
    await cron.waitForLog(/INFO: Running 1 periodic task\(s\)/);
    const [entryKey] = await r.redis.zrange(keys.allSchedulers, 0, -1);
    const [entry] = (await r.redis.lrangeBuffer(entryKey!, 0, -1)).map(decodeSchedulerEntry);
    expect(entry).toMatchObject({spec: '* * * * *', taskType: 'task:periodic', enqueueOptions: []});
    expect(Buffer.from(entry!.taskPayload).equals(SEED_PAYLOAD)).toBe(true);
    const next = Number(entry!.nextEnqueueTime.seconds) * 1000;
    expect(next % 60_000).toBe(0);
    expect(next - Date.now()).toBeGreaterThan(-5_000);
    expect(next - Date.now()).toBeLessThanOrEqual(60_000);
    cron.child.kill('SIGTERM');
    expect((await cron.exited).code).toBe(0);
  });

  it('applies file edits at the next sync: an added entry fires, a removed one stops, a broken edit keeps the last good entries', async () => {
    const file = periodicFile(everySecond('task:a'));
    const cron = cronRun(file, '--sync-interval', '1s');
    await cron.waitForLog(enqueuedLog('task:a'));

    // Added: task:b is registered at the next sync and fires.
    writeFileSync(file, everySecond('task:a', 'task:b'));
    await cron.waitForLog(/INFO: Successfully registered periodic task: cronspec="@every 1s" task="task:b"/);
    await cron.waitForLog(enqueuedLog('task:b'));

    // Removed: task:a is unregistered and enqueued no more.
    writeFileSync(file, everySecond('task:b'));
    await cron.waitForLog(/INFO: Successfully unregistered periodic task: entryID=/);
    // A task:a firing under way at the unregister completes; one more task:b tick lets it land.
    await cron.waitForLog(enqueuedLog('task:b'), {from: cron.stderr().length});
    const afterRemoval = cron.stderr().length;
    const aCount = count(await pendingTypes(), 'task:a');
    await cron.waitForLog(enqueuedLog('task:b'), {times: 2, from: afterRemoval});
    expect(count(await pendingTypes(), 'task:a')).toBe(aCount);
    expect(cron.stderr().slice(afterRemoval)).not.toMatch(enqueuedLog('task:a'));

    // Broken: an error naming file:line:col, and task:b keeps running.
    writeFileSync(file, 'configs:\n  - cronspec: "@every 1s"\n    task_typo: "task:c"\n');
    const beforeBreak = cron.stderr().length;
    await cron.waitForLog(
      new RegExp(
        `ERROR: Failed to get periodic task configs, keeping the 1 current entries: ${file.replace(/[.\\]/g, '\\$&')}:3:5: unknown configs\\[0\\] key "task_typo"`,
      ),
      {from: beforeBreak},
    );
    const afterBreak = cron.stderr().length;
    await cron.waitForLog(enqueuedLog('task:b'), {times: 2, from: afterBreak});
    expect(cron.stderr().slice(beforeBreak)).not.toMatch(/unregistered/);

    cron.child.kill('SIGTERM');
    expect((await cron.exited).code).toBe(0);
  });

  it('re-reads the file at once on SIGHUP and rewrites its entries in Redis', async () => {
    const file = periodicFile(everySecond('task:a'));
    const cron = cronRun(file, '--sync-interval', '1h');
    await cron.waitForLog(/INFO: Running 1 periodic task\(s\)/);
    writeFileSync(file, everySecond('task:a', 'task:b'));
    cron.child.kill('SIGHUP');
    await cron.waitForLog(/INFO: Successfully registered periodic task: cronspec="@every 1s" task="task:b"/, {
      timeoutMs: 3000,
    });
    await cron.waitForLog(enqueuedLog('task:b'));

    const [entryKey] = await r.redis.zrange(keys.allSchedulers, 0, -1); // members are the entries keys
    expect(entryKey).toMatch(/^asynq:schedulers:\{[^:]+:\d+:[0-9a-f-]{36}\}$/);
    const entries = (await r.redis.lrangeBuffer(entryKey!, 0, -1)).map(decodeSchedulerEntry);
    expect(entries.map((e) => e.taskType).sort()).toEqual(['task:a', 'task:b']);

    cron.child.kill('SIGTERM');
    expect((await cron.exited).code).toBe(0);
  });

  it('enqueues each tick once when two processes run the same file', async () => {
    const file = periodicFile(SEED_EVERY_SECOND);
    const a = cronRun(file, '--log-level', 'debug');
    const b = cronRun(file, '--log-level', 'debug');
    const contended =
      /DEBUG: Scheduler entry \S+ \(@every 1s, task:periodic\): tick \S+ already enqueued by another scheduler/;
    // Both compete for at least two ticks each way or other (each second one of them loses).
    await Promise.all([a.waitForLog(/INFO: Running/), b.waitForLog(/INFO: Running/)]);
    const start = Date.now();
    while (((a.stderr() + b.stderr()).match(new RegExp(contended.source, 'g')) ?? []).length < 3) {
      if (Date.now() - start > 10_000) throw new Error(`no contention seen:\n${a.stderr()}\n${b.stderr()}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    a.child.kill('SIGTERM');
    b.child.kill('SIGINT');
    const [ra, rb] = await Promise.all([a.exited, b.exited]);
    expect([ra.code, rb.code]).toEqual([0, 0]);

    // One task per tick window: as many tasks as tick locks, and as many as both logged.
    const identity = periodicTaskIdentity('@every 1s', new Task('task:periodic', SEED_PAYLOAD));
    const locks = await r.redis.keys(`${keys.schedulerTickLockKey('default', identity, 0).slice(0, -1)}*`);
    const tasks = await pendingTypes();
    const logged = (ra.stderr + rb.stderr).match(new RegExp(enqueuedLog('task:periodic').source, 'g')) ?? [];
    expect(tasks.length).toBeGreaterThanOrEqual(2);
    expect(tasks.length).toBe(locks.length);
    expect(logged.length).toBe(tasks.length);
  });

  it('on SIGTERM removes its scheduler entries and history from Redis, exits 0, and prints its result with --json', async () => {
    const file = periodicFile(SEED_EVERY_SECOND);
    const cron = cronRun(file, '--json');
    await cron.waitForLog(enqueuedLog('task:periodic'));

    // While running: listed in asynq:schedulers with the entry in Go's format, history recorded.
    const members = await r.redis.zrange(keys.allSchedulers, 0, -1);
    expect(members).toEqual([keys.schedulerEntriesKey(members[0]!.slice('asynq:schedulers:{'.length, -1))]);
    const entryKey = members[0]!;
    const [entry] = (await r.redis.lrangeBuffer(entryKey, 0, -1)).map(decodeSchedulerEntry);
    expect(entry).toMatchObject({spec: '@every 1s', taskType: 'task:periodic', enqueueOptions: []});
    expect(Buffer.from(entry!.taskPayload).equals(SEED_PAYLOAD)).toBe(true);
    // The history event is written just after the "Enqueued" log line.
    await waitFor(async () => (await r.redis.zcard(keys.schedulerHistoryKey(entry!.id))) >= 1, 'a history event');

    cron.child.kill('SIGTERM');
    const res = await cron.exited;
    expect(res.code).toBe(0);
    expect(await r.redis.exists(keys.allSchedulers, entryKey, keys.schedulerHistoryKey(entry!.id))).toBe(0);
    const json = JSON.parse(res.stdout) as {file: string; entries: unknown[]; enqueued: number; failed: number};
    expect(json).toEqual({
      file,
      entries: [{id: entry!.id, spec: '@every 1s', type: 'task:periodic'}],
      enqueued: json.enqueued,
      failed: 0,
    });
    expect(json.enqueued).toBe(await r.redis.llen(keys.pendingKey('default')));
  });
});

describe('asynq cron run --help', () => {
  it('shows a YAML example that parses, in the description and as --help prints it (which drops indentation)', async () => {
    const help = await runCliInProcess(['cron', 'run', '--help']);
    const printed = /\n {2}configs:\n[^]*?\n\n/.exec(help.stdout)?.[0].replace(/^ {2}/gm, '');
    const source = /\n ?configs:\n[^]*?\n\n/.exec(CronRun.description ?? '')?.[0];
    for (const example of [printed, source]) {
      expect(example).toBeDefined();
      const configs = parsePeriodicTaskConfigs(example!);
      expect(
        configs.map((c) => [c.cronspec, c.task.type, Buffer.from(c.task.payload).toString('utf8'), c.opts]),
      ).toEqual([
        ['@daily', 'report', '{"user":"孙悟空"}', undefined],
        ['@every 30s', 'ping', '', {queue: 'low'}],
      ]);
    }
  });
});

describe('README "Periodic tasks"', () => {
  it('has a YAML example that parses, with every option', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const yaml = /### The YAML file\n\n```yaml\n([^]*?)```/.exec(readme)?.[1];
    expect(yaml).toBeDefined();
    const configs = parsePeriodicTaskConfigs(yaml!);
    expect(configs.map((c) => c.task.type)).toEqual(['task:periodic', 'report:daily']);
    expect(Buffer.from(configs[0]!.task.payload).equals(SEED_PAYLOAD)).toBe(true);
    expect(Object.keys(configs[1]!.opts ?? {}).sort()).toEqual([
      'deadline',
      'group',
      'headers',
      'maxRetry',
      'processIn',
      'queue',
      'retention',
      'taskId',
      'timeout',
      'unique',
    ]);
  });
});

describe('asynq cron run: refused at start (exit 2 or 5, nothing registered)', () => {
  it('names file:line:col of a broken file in one error line, before connecting', async () => {
    const file = periodicFile(
      'configs:\n  - cronspec: "* * * * *"\n    task_type: "task:periodic"\n    payload: { username: "孙悟空" }\n    options: { max_retry: three }\n',
    );
    const res = await runCli(['cron', 'run', '-u', r.server.url, '--file', file]);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toBe(`Error: ${file}:5:27: max_retry must be an integer\n`);
    expect(await r.redis.dbsize()).toBe(0);
  });

  it('rejects a bad cron spec with its line', async () => {
    const file = periodicFile('configs:\n  - cronspec: "61 * * * *"\n    task_type: "x"\n');
    const res = await runCliInProcess(['cron', 'run', '-u', r.server.url, '-f', file]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(new RegExp(`^Error: ${file.replace(/[.\\]/g, '\\$&')}:2:15: .+\n$`));
    expect(await r.redis.dbsize()).toBe(0);
  });

  it('names a missing file', async () => {
    const file = join(dir, 'missing.yml');
    const res = await runCliInProcess(['cron', 'run', '-u', r.server.url, '-f', file]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(
      new RegExp(`^Error: ${file.replace(/[.\\]/g, '\\$&')}: cannot read periodic task config: ENOENT`),
    );
  });

  it('needs --file, and says so when the periodic file was given as --config (the Redis config file)', async () => {
    const res = await runCliInProcess(['cron', 'run', '-u', r.server.url, '--config', 'periodic.yml']);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(
      "Error: missing --file: the YAML file of periodic tasks to run (--config names the Redis config file, as in Go's CLI; did you mean --file periodic.yml?)\n" +
        '  Try: asynq cron run --file periodic.yml\n',
    );
    const bare = await runCliInProcess(['cron', 'run', '-u', r.server.url, '--json']);
    expect(bare.code).toBe(2);
    expect(JSON.parse(bare.stdout)).toEqual({
      error: {
        code: 'VALIDATION',
        exitCode: 2,
        message: 'missing --file: the YAML file of periodic tasks to run',
        actions: ['asynq cron run --file periodic.yml'],
      },
    });
  });

  it('rejects a --sync-interval under 1s and an unknown --location', async () => {
    const file = periodicFile(SEED);
    const fast = await runCliInProcess(['cron', 'run', '-u', r.server.url, '-f', file, '--sync-interval', '500ms']);
    expect(fast.code).toBe(2);
    expect(fast.stderr).toBe('Error: --sync-interval must be at least 1s, got 500ms\n');
    const zone = await runCliInProcess(['cron', 'run', '-u', r.server.url, '-f', file, '--location', 'Mars/Olympus']);
    expect(zone.code).toBe(2);
    expect(zone.stderr).toMatch(/^Error: .*Mars\/Olympus/);
    expect(await r.redis.dbsize()).toBe(0);
  });

  it('exits 5 at once when Redis cannot be reached', async () => {
    const res = await runCli(['cron', 'run', '-u', '127.0.0.1:1', '-f', periodicFile(SEED)]);
    expect(res.code).toBe(5);
    expect(res.stderr).toMatch(/^Error: cannot connect to Redis at 127\.0\.0\.1:1 \(from flags\): /);
  });
});
