/**
 * Help, version, "did you mean" and shell completion, from oclif's own plugins (package.json
 * oclif.plugins: plugin-help, plugin-version, plugin-autocomplete; plugin-not-found through the
 * command_not_found hook in src/cli/not-found.ts).
 */
import {describe, expect, it} from 'vitest';
import {closestName, editDistance} from '../../src/cli/not-found.js';
import {runCli, runCliInProcess} from '../support/cli.js';

describe('help and version', () => {
  it('`asynq help`, `-h` and `--help` print the root help with the connection flags and exit statuses', async () => {
    for (const args of [['help'], ['-h'], ['--help']]) {
      const r = await runCliInProcess(args);
      expect({args, code: r.code, stderr: r.stderr}).toEqual({args, code: 0, stderr: ''});
      expect(r.stdout).toContain('CONNECTION FLAGS (every command)');
      expect(r.stdout).toContain('EXIT STATUS');
      expect(r.stdout).toMatch(/^ {2}task +Inspect and manage tasks$/m);
      expect(r.stdout).not.toMatch(/^ {2}autocomplete .*$\n(?=[\s\S]*^COMMANDS)/m); // a command, not a topic
    }
  });

  it('`asynq help task ls` and `asynq task ls -h` print the command help', async () => {
    for (const args of [
      ['help', 'task', 'ls'],
      ['task', 'ls', '-h'],
      ['task', 'ls', '--help'],
    ]) {
      const r = await runCliInProcess(args);
      expect({args, code: r.code, stderr: r.stderr}).toEqual({args, code: 0, stderr: ''});
      expect(r.stdout).toContain('$ asynq task ls -q <queue> -s <state>');
    }
  });

  it('`asynq version`, `-v` and `--version` print the version', async () => {
    const expected = (await runCli(['--version'])).stdout;
    expect(expected).toMatch(/^asynq-ts\/\d+\.\d+\.\d+ /);
    for (const args of [['version'], ['-v']]) {
      expect(await runCli(args)).toMatchObject({code: 0, stdout: expected, stderr: ''});
    }
  });
});

describe('unknown commands', () => {
  it('suggest the closest command and exit 2', async () => {
    const r = await runCli(['task', 'lss', '-q', 'default']);
    expect(r).toMatchObject({code: 2, stdout: ''});
    expect(r.stderr).toContain('command task lss not found; did you mean "asynq task ls"?');
    expect(r.stderr).toContain('Run "asynq help task" for a list of commands.');
    const topic = await runCliInProcess(['tsk']);
    expect(topic.code).toBe(2);
    expect(topic.error?.message).toContain('did you mean "asynq task"?');
  });

  it('suggest nothing when nothing is close', async () => {
    const r = await runCliInProcess(['no-such-command']);
    expect(r.code).toBe(2);
    expect(r.error?.message).toBe('command no-such-command not found\nRun "asynq help" for a list of commands.');
  });

  it('editDistance and closestName', () => {
    expect(editDistance('task:lss', 'task:ls')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(closestName('qeue:ls', ['queue:ls', 'task:ls'])).toBe('queue:ls');
    expect(closestName('zzzzzz', ['queue:ls', 'task:ls'])).toBeUndefined();
  });
});

describe('shell completion', () => {
  it('`asynq autocomplete script bash` prints a bash setup script', async () => {
    const r = await runCli(['autocomplete', 'script', 'bash']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ASYNQ_AC_BASH_SETUP_PATH');
  });
});
