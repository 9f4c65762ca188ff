/**
 * Bad command lines get a clear answer and change nothing: one `Error:` line with the right exit
 * status (usage 2, not found 3), never the INTERNAL exit 1. More cases: test/e2e/bad-inputs.test.ts.
 */
import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {useCli} from '../support/cli.js';
import {makeMsg, seedActive} from '../support/seed.js';

const cli = useCli();

describe('the database number', () => {
  it("--db beyond the server's databases is a usage error naming the db and the count, before any write", async () => {
    const stderr = await cli.failsUnchanged(['enqueue', 'email:welcome', '{}', '--db', '99'], 2);
    expect(stderr).toMatch(
      /^Error: database 99 does not exist on Redis at 127\.0\.0\.1:\d+ \(from ASYNQ_REDIS_URL\): it has 16 databases \(0-15, its "databases" setting\)\n/,
    );
  });

  it('so is a URI path beyond them (redis://host/16)', async () => {
    const stderr = await cli.failsUnchanged(['queue', 'ls', '-u', `${cli.server.url.replace(/\/\d*$/, '')}/16`], 2);
    expect(stderr).toMatch(
      /^Error: database 16 does not exist on Redis at 127\.0\.0\.1:\d+ \(from flags\): it has 16 databases/,
    );
  });
});

describe("flags used wrongly are usage errors with the command's --help hint", () => {
  it('a flag without its value (task ls -q)', async () => {
    expect(await cli.failsUnchanged(['task', 'ls', '-q'], 2)).toBe(
      'Error: Flag --queue expects a value\n  Try: asynq task list --help\n',
    );
  });

  it('an options flag without its value (task ls -q default -s)', async () => {
    expect(await cli.failsUnchanged(['task', 'ls', '-q', 'default', '-s'], 2)).toMatch(
      /^Error: Flag --state expects one of these values: pending, /,
    );
  });

  it('an argument to a command that takes none', async () => {
    const r = await cli.asynq(['cron', 'run', 'periodic.yml']);
    expect(r.code).toBe(2);
    expect(r.error?.message).toBe(
      'unexpected argument "periodic.yml": asynq cron run takes no arguments\nSee "asynq cron run --help".',
    );
  });
});

describe('cron history', () => {
  it('an entry no scheduler has and with no history is not found (exit 3)', async () => {
    const stderr = await cli.failsUnchanged(['cron', 'history', 'no-such-entry'], 3);
    expect(stderr).toBe(
      'Error: no scheduler entry with id=no-such-entry: no running scheduler has it and it has no enqueue history\n  Try: asynq cron ls\n',
    );
  });

  it('an entry with history is shown even when no scheduler runs it any more', async () => {
    await cli.redis.zadd('asynq:scheduler_history:gone-entry', 1_700_000_000, Buffer.from([0x0a, 0x01, 0x78]));
    const r = await cli.asynq(['cron', 'history', 'gone-entry']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Entry: gone-entry');
  });
});

describe('task cancel', () => {
  it('publishes the signal as Go does, and warns when no queue holds the task', async () => {
    const r = await cli.asynq(['task', 'cancel', 'no-such-id']);
    expect(r).toMatchObject({code: 0, stdout: 'Sent cancelation signal for task no-such-id\n'});
    expect(r.stderr).toContain('Warning: no task no-such-id in any queue: no handler gets the signal');
  });

  it('warns when the task is not active, and gives its state with --json', async () => {
    expect((await cli.asynq(['enqueue', 'email:welcome', '{}', '--task-id', 't1'])).code).toBe(0);
    const r = await cli.asynq(['task', 'cancel', 't1', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{id: 't1', signalSent: true, queue: 'default', state: 'pending'}]);
    expect(r.stderr).toContain('Warning: task t1 is pending, not active: no handler gets the signal');
  });
});

describe('worker run queues', () => {
  it.each([
    [['-q', ''], 'empty queue name in -q "": queue name must contain one or more characters'],
    [['--queues', ''], 'empty queue name in --queues "": queue name must contain one or more characters'],
    [['--queues', 'a,,b'], 'empty queue name in --queues "a,,b"'],
    [['-q', 'a', '-q', ' '], 'empty queue name in -q " "'],
  ])('%j is a usage error, not a worker on "default"', async (args, message) => {
    const stderr = await cli.failsUnchanged(['worker', 'run', '--exec', 'a=true', ...args], 2);
    expect(stderr).toContain(`Error: ${message}`);
  });
});

describe('isOrphaned', () => {
  it('task ls --json and task inspect --json agree for an active task whose lease expired, and for one whose lease holds', async () => {
    const now = Math.floor(Date.now() / 1000);
    await seedActive(cli.redis, [
      {msg: makeMsg('orphan'), score: now - 60},
      {msg: makeMsg('leased'), score: now + 600},
    ]);
    const listed = await cli.asynqJson<Array<{id: string; isOrphaned: boolean}>>([
      'task',
      'ls',
      '-q',
      'default',
      '-s',
      'active',
    ]);
    expect(Object.fromEntries(listed.map((t) => [t.id, t.isOrphaned]))).toEqual({orphan: true, leased: false});
    for (const id of ['orphan', 'leased']) {
      const one = await cli.asynqJson<{isOrphaned: boolean}>(['task', 'inspect', '-q', 'default', id]);
      expect({id, isOrphaned: one.isOrphaned}).toEqual({id, isOrphaned: id === 'orphan'});
    }
  });
});

describe('addresses that are no address', () => {
  it.each([
    [['-u', 'redis://:::'], 'invalid redis URI: the host ":::" is neither a host name nor an IPv6 address'],
    [['-u', 'redis://[:::]:6379'], 'invalid redis URI: the host ":::" is neither a host name nor an IPv6 address'],
    [['-u', '[:::]:6379'], 'invalid --uri "[:::]:6379": expected host:port or a redis:// URI'],
  ])('%j is an invalid URI (exit 2), not "cannot connect" (exit 5)', async (args, message) => {
    expect(await cli.failsUnchanged(['queue', 'ls', ...args], 2)).toContain(`Error: ${message}\n`);
  });
});

describe('the config file', () => {
  it("warns about each unknown key (naming it, the closest known key and all of them) and goes on, as Go's viper ignores them", async () => {
    const home = mkdtempSync(join(tmpdir(), 'asynq-home-'));
    writeFileSync(join(home, '.asynq.yml'), `uri: ${cli.server.url}\ndbb: 3\ncolour: true\n`);
    await cli.redis.sadd('asynq:queues', 'default');
    const r = await cli.asynq(['queue', 'ls'], {HOME: home, ASYNQ_REDIS_URL: undefined});
    expect({code: r.code, stdout: r.stdout}).toEqual({code: 0, stdout: 'default\n'});
    const file = join(home, '.asynq.yml');
    const known =
      'uri, db, username, password, tls, tls_server, insecure, tls_ca_cert, tls_cert, tls_key, tls_insecure, cluster, cluster_addrs, sentinel_addrs, master_name';
    expect(r.stderr).toBe(
      `Warning: ${file}: unknown key "dbb" ignored (did you mean "db"?); the known keys are ${known}\n` +
        `Warning: ${file}: unknown key "colour" ignored; the known keys are ${known}\n`,
    );
  });
});

describe('enqueue times', () => {
  it('a --deadline in the past is a usage error', async () => {
    expect(await cli.failsUnchanged(['enqueue', 't', '{}', '--deadline', '2001-01-01T00:00:00Z'], 2)).toBe(
      'Error: --deadline 2001-01-01T00:00:00.000Z is in the past: the task could only fail\n',
    );
  });

  it('a --deadline not after --process-at is a usage error', async () => {
    expect(
      await cli.failsUnchanged(
        ['enqueue', 't', '{}', '--deadline', '2099-01-01T00:00:00Z', '--process-at', '2100-01-01T00:00:00Z'],
        2,
      ),
    ).toContain('is not after the time the task is to run (2100-01-01T00:00:00.000Z)');
  });

  it("--timeout 0 keeps Go's meaning (the default 30m) with a warning; with --deadline it means no per-attempt timeout, silently", async () => {
    const r = await cli.asynq(['enqueue', 't', '{}', '--timeout', '0', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Warning: --timeout 0 means the default timeout of 30m');
    expect(JSON.parse(r.stdout)).toMatchObject({timeoutMs: 1_800_000});
    const d = await cli.asynq(['enqueue', 't', '{}', '--timeout', '0', '--deadline', '2099-01-01T00:00:00Z', '--json']);
    expect({code: d.code, stderr: d.stderr}).toEqual({code: 0, stderr: ''});
  });

  it('--timeout below 1s warns that it is stored as no timeout', async () => {
    const r = await cli.asynq(['enqueue', 't', '{}', '--timeout', '500ms']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'Warning: --timeout 500ms is stored in whole seconds, as 0: workers then run the task without a timeout\n',
    );
  });
});
