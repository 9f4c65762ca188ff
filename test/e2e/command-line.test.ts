/**
 * Bad command lines get a clear answer and change nothing: one `Error:` line with the right exit
 * status (usage 2, not found 3), never the INTERNAL exit 1. More cases: test/e2e/bad-inputs.test.ts.
 */
import {describe, expect, it} from 'vitest';
import {useCli} from '../support/cli.js';

const cli = useCli();

describe('the database number', () => {
  it('--db beyond the server\'s databases is a usage error naming the db and the count, before any write', async () => {
    const stderr = await cli.failsUnchanged(['enqueue', 'email:welcome', '{}', '--db', '99'], 2);
    expect(stderr).toMatch(/^Error: database 99 does not exist on Redis at 127\.0\.0\.1:\d+ \(from ASYNQ_REDIS_URL\): it has 16 databases \(0-15, its "databases" setting\)\n/);
  });

  it('so is a URI path beyond them (redis://host/16)', async () => {
    const stderr = await cli.failsUnchanged(['queue', 'ls', '-u', `${cli.server.url.replace(/\/\d*$/, '')}/16`], 2);
    expect(stderr).toMatch(/^Error: database 16 does not exist on Redis at 127\.0\.0\.1:\d+ \(from flags\): it has 16 databases/);
  });
});

describe('flags used wrongly are usage errors with the command\'s --help hint', () => {
  it('a flag without its value (task ls -q)', async () => {
    expect(await cli.failsUnchanged(['task', 'ls', '-q'], 2)).toBe('Error: Flag --queue expects a value\n  Try: asynq task list --help\n');
  });

  it('an options flag without its value (task ls -q default -s)', async () => {
    expect(await cli.failsUnchanged(['task', 'ls', '-q', 'default', '-s'], 2)).toMatch(/^Error: Flag --state expects one of these values: pending, /);
  });

  it('an argument to a command that takes none', async () => {
    const r = await cli.asynq(['cron', 'run', 'periodic.yml']);
    expect(r.code).toBe(2);
    expect(r.error?.message).toBe('unexpected argument "periodic.yml": asynq cron run takes no arguments\nSee "asynq cron run --help".');
  });
});
