/**
 * The README's "Quick start", run as written: the commands are read from its first ```sh block,
 * each `npx asynq …` line is run through npx in the repository root (`npm ci` has been run to get
 * here), in its own process group as a terminal would, and stopped with a terminal's Ctrl-C.
 * The only additions are the environment: a temporary ASYNQ_DEV_DIR, and ASYNQ_DEV_PORT=0 so
 * that `asynq dev` never takes port 6379 on a machine where a real Redis may be missing for a moment.
 */
import {execFileSync, spawnSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import {cliEnv, ROOT} from '../support/cli.js';
import {checkFindsDev, cleanupDev, devDir, devEnv, NPX_ASYNQ, npxEnv, spawnCli, startDev} from '../support/dev.js';
import {processAlive} from '../support/process.js';
import {waitFor} from '../support/wait.js';

const HAS_TMUX = spawnSync('which', ['tmux']).status === 0;

/** The words of one shell command line: '…' and "…" quote, an unquoted # starts a comment. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unterminated ${c} in: ${line}`);
      cur = (cur ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (/\s/.test(c)) {
      if (cur !== undefined) words.push(cur);
      cur = undefined;
    } else if (c === '#' && cur === undefined) {
      break;
    } else {
      cur = (cur ?? '') + c;
    }
  }
  if (cur !== undefined) words.push(cur);
  return words;
}

/** The commands of the README's quick start (the first ```sh block after "## Quick start"). */
function quickStartCommands(readme: string): {words: string[]; comment: string}[] {
  const section = readme.slice(readme.indexOf('\n## Quick start\n'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error('README.md has no ```sh block under "## Quick start"');
  return block
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => ({words: shellWords(l), comment: l.slice(l.indexOf(' #') + 2).trim()}));
}

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

afterEach(cleanupDev);

describe('README quick start', () => {
  it('is npm ci, then asynq dev, worker run --exec, enqueue and dash, each through npx', () => {
    const cmds = quickStartCommands(README).map((c) => c.words);
    expect(cmds[0]).toEqual(['npm', 'ci']);
    for (const c of cmds.slice(1)) expect(c.slice(0, 2)).toEqual(NPX_ASYNQ);
    expect(cmds.slice(1).map((c) => c[2])).toEqual(['dev', 'worker', 'enqueue', 'dash']);
    expect(shellWords(`a 'b c' "d'e" f#g # h`)).toEqual(['a', 'b c', "d'e", 'f#g']);
  });

  it(
    'works as written: the task is processed and its result printed, the dashboard shows the queue, Ctrl-C stops each',
    {timeout: 180_000},
    async () => {
      const [, dev, worker, enqueue, dash] = quickStartCommands(README);
      const dir = devDir();
      const env = devEnv(dir);

      const server = await startDev(dir, dev!.words.slice(3), {}, NPX_ASYNQ);
      await checkFindsDev(server); // before any write: the commands reach this server, not another Redis

      const w = spawnCli(worker!.words.slice(2), env, NPX_ASYNQ);
      await waitFor(
        () => w.stderr().includes('Starting processing'),
        () => `the worker to start:\n${w.stderr()}`,
        30_000,
      );

      const e = spawnCli(enqueue!.words.slice(2), env, NPX_ASYNQ);
      expect(await e.exited, e.stderr()).toBe(0);
      const payload = enqueue!.words[4]!;
      expect(e.stdout().trim()).toBe(payload); // `cat` echoed the payload: the task's result
      expect(enqueue!.comment).toContain(payload);

      if (HAS_TMUX) {
        const tmuxDir = mkdtempSync(join(tmpdir(), 'asynq-quick-tmux-'));
        const socket = join(tmuxDir, 'tmux.sock');
        const tenv = {...cliEnv({...env, ...npxEnv()}), TERM: 'xterm-256color'};
        const tmux = (...args: string[]): string =>
          execFileSync('tmux', ['-S', socket, ...args], {encoding: 'utf8', env: tenv});
        try {
          const line = dash!.words.map((x) => `'${x}'`).join(' ');
          tmux(
            'new-session',
            '-d',
            '-x',
            '100',
            '-y',
            '30',
            '-s',
            'dash',
            `cd '${ROOT}' && ${line}; echo "exit=$?"; sleep 60`,
          );
          const screen = (): string[] => tmux('capture-pane', '-p', '-t', 'dash').split('\n');
          await waitFor(
            () => screen().some((l) => /^> default +RUN/.test(l)),
            () => `the dashboard; screen:\n${screen().join('\n')}`,
            30_000,
          );
          tmux('send-keys', '-t', 'dash', 'q');
          await waitFor(
            () => screen().some((l) => l.startsWith('exit=0')),
            () => `the dashboard to quit; screen:\n${screen().join('\n')}`,
            15_000,
          );
        } finally {
          spawnSync('tmux', ['-S', socket, 'kill-server'], {env: tenv});
          rmSync(tmuxDir, {recursive: true, force: true});
        }
      }

      // npm ends itself with the SIGINT it got once its child has exited (a shell shows 130), so
      // the clean stop is read from what the commands print; node bin/run.js exits 0 (dev.test.ts).
      w.ctrlC();
      expect([0, null]).toContain(await w.exited);
      expect(w.stderr()).toMatch(/INFO: Exiting\n$/);
      server.ctrlC();
      expect([0, null]).toContain(await server.exited);
      expect(server.stdout()).toContain(`redis-server stopped; its data stays in ${dir}`);
      expect(processAlive(server.redisPid)).toBe(false);
      expect(existsSync(join(dir, 'dev.json'))).toBe(false);
    },
  );
});
