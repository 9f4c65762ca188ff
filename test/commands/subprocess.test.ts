// The inspection commands through the built bin/run.js, as a script or CI job runs them (pipes, no TTY).
import {createServer, type Socket} from 'node:net';
import {describe, expect, it} from 'vitest';
import * as keys from '../../src/lib/base/keys.js';
import {dumpAll, dumpAllSince} from '../support/dump.js';
import {seedEveryState} from '../support/seed-every-state.js';
import {useCli} from '../support/cli.js';

const cli = useCli();
const ANSI = /\x1b\[/;

describe('bin/run.js (subprocess)', () => {
  it('stats --json: exit 0, exactly one JSON document on stdout, nothing on stderr', async () => {
    await seedEveryState(cli.redis, new Date());
    const r = await cli.spawn(['stats', '--json']);
    expect({code: r.code, stderr: r.stderr}).toEqual({code: 0, stderr: ''});
    const doc = JSON.parse(r.stdout) as {aggregate: {pending: number}; queues: unknown[]};
    expect(doc.aggregate.pending).toBe(3);
    expect(doc.queues).toHaveLength(3);
  });

  it('ASYNQ_CONTENT_TYPE=json gives the same document as --json', async () => {
    await seedEveryState(cli.redis, new Date());
    const r = await cli.spawn(['group', 'ls', '-q', 'default'], {env: {ASYNQ_CONTENT_TYPE: 'json'}});
    expect(JSON.parse(r.stdout)).toEqual([{group: 'g1', size: 2}]);
  });

  it('no colour without a terminal; --color forces it', async () => {
    await seedEveryState(cli.redis, new Date());
    const plain = await cli.spawn(['queue', 'inspect', 'critical']);
    expect(plain.stdout).toContain('Queue Info\nName:    critical\n');
    expect(plain.stdout).not.toMatch(ANSI);
    const coloured = await cli.spawn(['queue', 'inspect', 'critical', '--color']);
    expect(coloured.stdout).toMatch(/\x1b\[1mQueue Info\x1b\[22m/);
  });

  it('an unreachable Redis is exit 5 with one line naming the address and the fix, quickly', async () => {
    const started = Date.now();
    const r = await cli.spawn(['queue', 'ls'], {env: {ASYNQ_REDIS_URL: 'redis://127.0.0.1:1'}});
    expect(Date.now() - started).toBeLessThan(5_000);
    expect({code: r.code, stdout: r.stdout}).toEqual({code: 5, stdout: ''});
    expect(r.stderr).toBe(
      'Error: cannot connect to Redis at 127.0.0.1:1 (from ASYNQ_REDIS_URL): connect ECONNREFUSED 127.0.0.1:1\n' +
        '  Try: check --uri (or ASYNQ_REDIS_URL, REDIS_URL, ~/.asynq.yml) and that Redis is running there\n',
    );
    const json = await cli.spawn(['stats', '--json', '-u', '127.0.0.1:1']);
    expect(json.code).toBe(5);
    expect(JSON.parse(json.stdout).error).toMatchObject({code: 'REDIS_UNAVAILABLE', exitCode: 5});
  });

  it('a server that accepts the connection but never answers is exit 5 after the 5 s PING timeout', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((sock) => sockets.push(sock));
    await new Promise<void>((res) => silent.listen(0, '127.0.0.1', res));
    const port = (silent.address() as {port: number}).port;
    try {
      const r = await cli.spawn(['stats', '-u', `127.0.0.1:${port}`], {timeoutMs: 12_000});
      expect({code: r.code, stdout: r.stdout}).toEqual({code: 5, stdout: ''});
      expect(r.stderr).toMatch(
        new RegExp(
          `^Error: cannot connect to Redis at 127\\.0\\.0\\.1:${port} \\(from flags\\): no answer to PING within 5s\n`,
        ),
      );
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((res) => silent.close(res));
    }
  });

  it('a wrong password is exit 5, says the credentials were refused and never prints the password', async () => {
    await cli.redis.call('ACL', 'SETUSER', 'alice', 'on', '>right-secret', '~*', '&*', '+@all');
    const r = await cli.spawn(['stats', '-u', `127.0.0.1:${cli.server.port}`, '-U', 'alice', '-p', 'wrong-secret']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(
      /^Error: Redis at alice@127\.0\.0\.1:\d+ \(with password\) \(from flags\) refused the credentials: WRONGPASS/,
    );
    expect(r.stdout + r.stderr).not.toContain('wrong-secret');
    const ok = await cli.spawn(['queue', 'ls', '--uri', `redis://alice:right-secret@127.0.0.1:${cli.server.port}`]);
    expect({code: ok.code, stderr: ok.stderr}).toEqual({code: 0, stderr: ''});
  });

  it('deleteall without --force in a script is exit 2 and deletes nothing; with --force it deletes', async () => {
    await seedEveryState(cli.redis, new Date());
    const before = await dumpAll(cli.redis);
    const r = await cli.spawn(['task', 'deleteall', '-q', 'default', '-s', 'archived']);
    expect({code: r.code, stdout: r.stdout}).toEqual({code: 2, stdout: ''});
    expect(r.stderr).toContain('re-run with --force');
    expect(await dumpAllSince(cli.redis, before)).toEqual(before);
    const forced = await cli.spawn(['task', 'deleteall', '-q', 'default', '-s', 'archived', '--force']);
    expect({code: forced.code, stdout: forced.stdout}).toEqual({code: 0, stdout: '1 tasks deleted\n'});
    expect(await cli.redis.zcard(keys.archivedKey('default'))).toBe(0);
  });

  it('exit codes: unknown queue 3, unknown task 3, bad state 2, queue not empty 4 (with the --force hint)', async () => {
    await seedEveryState(cli.redis, new Date());
    const codes = await Promise.all([
      cli.spawn(['queue', 'inspect', 'nope']),
      cli.spawn(['task', 'inspect', '-q', 'default', 'nope']),
      cli.spawn(['task', 'ls', '-q', 'default', '-s', 'bogus']),
      cli.spawn(['queue', 'rm', 'critical']),
    ]);
    expect(codes.map((r) => r.code)).toEqual([3, 3, 2, 4]);
    expect(codes.every((r) => r.stdout === '' && !r.stderr.includes('    at '))).toBe(true);
    expect(codes[3]!.stderr).toBe('Error: queue "critical" is not empty\n  Try: asynq queue rm --force critical\n');
  });
});
