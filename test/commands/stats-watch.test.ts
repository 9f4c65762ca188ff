/**
 * `asynq stats --watch`: as a subprocess with --json (one document per line per interval, each
 * reading the Redis state of its time; SIGINT ends it with 0), and on a pseudo-terminal under
 * tmux (each reading redrawn in place).
 */
import {execFileSync, spawn, spawnSync, type ChildProcessWithoutNullStreams} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import type {StatsResult} from '../../src/commands/stats.js';
import {BIN, cliEnv, useCli} from '../support/cli.js';
import {makeMsg, seedPending} from '../support/seed.js';
import {waitFor} from '../support/wait.js';

const HAS_TMUX = spawnSync('which', ['tmux']).status === 0;
const TMUX_NOTE = HAS_TMUX ? '' : ' [skipped: tmux is not installed]';

const cli = useCli();
const children: ChildProcessWithoutNullStreams[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      await new Promise((done) => c.once('close', done));
    }
  }
});

describe('asynq stats --watch', () => {
  it('--json writes one document per interval per line, each reading Redis anew; SIGINT ends it with 0', async () => {
    await seedPending(cli.redis, [{msg: makeMsg('a1')}]);
    const child = spawn(process.execPath, [BIN, 'stats', '--watch', '--interval', '500ms', '--json'], {
      env: cliEnv({ASYNQ_REDIS_URL: cli.server.url, TZ: 'UTC'}),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const lines = (): string[] => out.split('\n').slice(0, -1); // whole lines only
    await waitFor(
      () => lines().length >= 1 || undefined,
      () => `a first line; stderr:\n${err}`,
      10_000,
    );
    await seedPending(cli.redis, [{msg: makeMsg('a2')}, {msg: makeMsg('a3')}]);
    const n = lines().length;
    await waitFor(
      () => lines().length >= n + 1 || undefined,
      () => `a line after the change; stdout:\n${out}\nstderr:\n${err}`,
      5_000,
    );
    const docs = lines().map((l) => JSON.parse(l) as StatsResult);
    expect(docs[0]!.aggregate.pending).toBe(1);
    expect(docs.at(-1)!.aggregate.pending).toBe(3);
    expect(docs.at(-1)!.queues.map((q) => [q.queue, q.pending])).toEqual([['default', 3]]);

    const closed = new Promise<[number | null, NodeJS.Signals | null]>((done) =>
      child.once('close', (code, signal) => done([code, signal])),
    );
    child.kill('SIGINT');
    expect(await closed).toEqual([0, null]);
    expect(err).toBe('');
    for (const l of lines()) expect(() => JSON.parse(l) as unknown).not.toThrow(); // no partial or trailing document
  });

  it('rejects an --interval below 100ms (exit 2)', async () => {
    const r = await cli.asynq(['stats', '--watch', '--interval', '10ms']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--interval must be at least 100ms, got 10ms');
  });

  it.runIf(HAS_TMUX)(`on a terminal redraws the stats in place; Ctrl-C ends it with 0${TMUX_NOTE}`, async () => {
    await seedPending(cli.redis, [{msg: makeMsg('t1')}]);
    const dir = mkdtempSync(join(tmpdir(), 'asynq-stats-tmux-'));
    const socket = join(dir, 'tmux.sock');
    const env = {...cliEnv({ASYNQ_REDIS_URL: cli.server.url, TZ: 'UTC'}), TERM: 'xterm-256color'};
    const tmux = (...args: string[]): string => execFileSync('tmux', ['-S', socket, ...args], {encoding: 'utf8', env});
    const screen = (): string[] =>
      tmux('capture-pane', '-p', '-t', 'w')
        .split('\n')
        .map((l) => l.trimEnd());
    const until = async (test: (s: string[]) => boolean, what: string): Promise<string[]> => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const s = screen();
        if (test(s)) return s;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; screen:\n${s.join('\n')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      const cmd = `'${process.execPath}' '${BIN}' stats --watch --interval 300ms; echo "exit=$?"; sleep 60`;
      tmux('new-session', '-d', '-x', '100', '-y', '40', '-s', 'w', cmd);
      const queueRow = (s: string[]): string | undefined => s[s.indexOf('Task Count by Queue') + 3];
      const first = await until((s) => queueRow(s)?.trim() === '1', 'the first frame');
      expect(first[0]).toMatch(/^Every 300ms: asynq stats {4}\d{4}-\d\d-\d\dT/);
      await seedPending(cli.redis, [{msg: makeMsg('t2')}]);
      const second = await until((s) => queueRow(s)?.trim() === '2', 'a frame with the new task');
      // In place: one frame on the screen, at the top.
      expect(second[0]).toMatch(/^Every 300ms: asynq stats/);
      expect(second.filter((l) => l.startsWith('Every 300ms')).length).toBe(1);
      expect(second.filter((l) => l === 'Task Count by State').length).toBe(1);
      tmux('send-keys', '-t', 'w', 'C-c');
      await until((s) => s.some((l) => l.endsWith('exit=0')), 'exit=0');
    } finally {
      spawnSync('tmux', ['-S', socket, 'kill-server'], {env});
      rmSync(dir, {recursive: true, force: true});
    }
  });
});
