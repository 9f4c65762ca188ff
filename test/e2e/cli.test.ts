/**
 * The `asynq` binary as users run it: spawned `node bin/run.js`, stdout/stderr through pipes
 * (so: no TTY), exit status from the process.
 */
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {EXIT_STATUS} from '../../src/cli/exit-codes.js';
import {connectionFlags} from '../../src/cli/flags.js';
import {ROOT, runCli, runCliInProcess} from '../support/cli.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  oclif: {topics: Record<string, {description: string}>};
};
const ANSI = /\u001b\[/;
const TOPICS = ['cron', 'group', 'queue', 'server', 'task', 'worker'];

/** The lines of a help section (from its title to the next blank line), whitespace collapsed. */
function section(help: string, title: string): string {
  const start = help.indexOf(`\n${title}\n`);
  expect(start, `section ${title} in:\n${help}`).toBeGreaterThanOrEqual(0);
  const body = help.slice(start + title.length + 2);
  const end = body.search(/\n\n|$/);
  return body.slice(0, end).replace(/\s+/g, ' ').trim();
}

describe('asynq --version', () => {
  it("prints oclif's version line asynq-ts/<version> <platform> node-<version> and exits 0", async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`asynq-ts/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`);
    expect(r.stderr).toBe('');
  });
});

describe('asynq --help', () => {
  it('lists every command topic with its description', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const topics = section(r.stdout, 'TOPICS');
    for (const t of TOPICS) expect(topics).toContain(`${t} ${pkg.oclif.topics[t]!.description}`);
    // Top-level commands are listed once, under COMMANDS, not as topics too.
    const words = topics
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0])
      .filter((w) => w && /^[a-z]+$/.test(w) && !TOPICS.includes(w));
    expect(words.filter((w) => ['dash', 'enqueue', 'stats'].includes(w!))).toEqual([]);
    expect(section(r.stdout, 'COMMANDS')).toMatch(/dash[\s\S]*enqueue[\s\S]*stats/);
  });

  it('prints the EXIT STATUS table, row for row from exit-codes.ts', async () => {
    const r = await runCli(['--help']);
    const table = section(r.stdout, 'EXIT STATUS');
    let rest = table;
    for (const row of EXIT_STATUS) {
      const text = `${row.code} ${row.meaning}`;
      expect(rest.startsWith(text), `expected "${text}" next in "${rest}"`).toBe(true);
      rest = rest.slice(text.length).trim();
    }
    expect(rest).toBe('');
  });

  it('lists every connection flag', async () => {
    const r = await runCli(['--help']);
    const flags = section(r.stdout, 'CONNECTION FLAGS (every command)');
    for (const name of Object.keys(connectionFlags)) expect(flags).toContain(`--${name}`);
    expect(flags).toContain('-u, --uri=<host:port|uri>');
  });

  it('writes no colour codes when stdout is not a terminal, and none with NO_COLOR', async () => {
    const piped = await runCli(['--help']);
    expect(piped.stdout).not.toMatch(ANSI);
    const noColor = await runCli(['--help'], {env: {NO_COLOR: '1', FORCE_COLOR: '1'}});
    expect(noColor.stdout).not.toMatch(ANSI);
    // Sanity check that the pattern can match: FORCE_COLOR alone makes oclif colour its help.
    const forced = await runCli(['--help'], {env: {FORCE_COLOR: '1'}});
    expect(forced.stdout).toMatch(ANSI);
  });

  it("shows a topic's help with its description", async () => {
    const r = await runCli(['queue', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(pkg.oclif.topics.queue!.description);
    expect(r.stdout).toContain('$ asynq queue COMMAND');
  });
});

describe('usage errors', () => {
  it('an unknown command exits 2 with the message on stderr and nothing on stdout', async () => {
    const r = await runCli(['no-such-command']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('command no-such-command not found');
  });
});

describe('in-process runner', () => {
  it('gives the same output and exit status as the spawned binary', async () => {
    const spawned = await runCli(['--version']);
    const inProcess = await runCliInProcess(['--version']);
    expect(inProcess).toMatchObject({code: 0, stdout: spawned.stdout, stderr: ''});
    const unknown = await runCliInProcess(['no-such-command']);
    expect(unknown.code).toBe(2);
    expect(unknown.error?.message).toContain('command no-such-command not found');
  });
});
