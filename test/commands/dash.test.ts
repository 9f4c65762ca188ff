/**
 * `asynq dash` as users start it: through bin/run.js without a terminal (usage errors), and in a
 * real pseudo-terminal under tmux (drawing, keys, an action, a resize, quitting).
 */
import {execFileSync, spawnSync} from 'node:child_process';
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterEach, describe, expect, it} from 'vitest';
import * as keys from '../../src/lib/base/keys.js';
import {Client} from '../../src/lib/client.js';
import {silentLogger} from '../../src/lib/logger.js';
import {ServeMux} from '../../src/lib/servemux.js';
import {Server} from '../../src/lib/server.js';
import {Task} from '../../src/lib/task.js';
import {dashConnection} from '../../src/commands/dash.js';
import {BIN, cliEnv, ROOT, useCli} from '../support/cli.js';
import {makeMsg, seedPending, seedRetry} from '../support/seed.js';

const cli = useCli();
const HAS_TMUX = spawnSync('which', ['tmux']).status === 0;
const TMUX_NOTE = HAS_TMUX ? '' : ' [skipped: tmux is not installed]';

describe('asynq dash without a terminal', () => {
  it('exits 2 and points to asynq stats --json, before touching Redis', async () => {
    const r = await cli.spawn(['dash']);
    expect(r).toMatchObject({code: 2, stdout: ''});
    expect(r.stderr).toBe(
      'Error: asynq dash needs an interactive terminal (stdin and stdout must be a TTY)\n  Try: asynq stats --json\n',
    );
  });

  it('rejects a refresh interval under 500ms and unknown flags such as --json (exit 2)', async () => {
    const fast = await cli.spawn(['dash', '--refresh', '100ms']);
    expect(fast).toMatchObject({code: 2, stderr: 'Error: --refresh must be at least 500ms, got 100ms\n'});
    const json = await cli.spawn(['dash', '--json']);
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/Nonexistent flag: --json/);
  });

  it('documents its flag, keys and the scriptable alternative in --help', async () => {
    const r = await cli.asynq(['dash', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--refresh=<duration>');
    expect(r.stdout).toMatch(/\[default: 2s\]/);
    expect(r.stdout).toContain('asynq stats --json');
  });
});

describe("the dashboard's connection", () => {
  it('fails a command after one reconnection attempt while Redis is away (the status line says so), keeping other options', () => {
    expect(dashConnection({addr: 'h:1', redisOptions: {connectTimeout: 5}})).toEqual({
      addr: 'h:1',
      redisOptions: {maxRetriesPerRequest: 1, connectTimeout: 5},
    });
    expect(dashConnection({addr: 'h:1', redisOptions: {maxRetriesPerRequest: 3}})).toEqual({
      addr: 'h:1',
      redisOptions: {maxRetriesPerRequest: 3},
    });
    const cluster = {addrs: ['h:1']};
    expect(dashConnection(cluster)).toBe(cluster);
  });
});

describe('React stays out of the other commands', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));

  it('no module of src/lib or src/commands imports ink, react or src/ui statically; dash loads the UI with import()', () => {
    const offenders = [...files(join(ROOT, 'src', 'lib')), ...files(join(ROOT, 'src', 'commands'))]
      .filter((f) => /\.tsx?$/.test(f))
      .filter((f) =>
        /^\s*import\s[^;]*from\s+'(ink|react|ink-[\w-]+|[./]+\/ui\/[^']*)'/m.test(readFileSync(f, 'utf8')),
      );
    expect(offenders).toEqual([]);
    expect(readFileSync(join(ROOT, 'src', 'commands', 'dash.ts'), 'utf8')).toContain(
      "await import('../ui/dash/render.js')",
    );
  });
});

/** A private tmux server (its own socket), killed after the test. */
function tmuxServer(env: NodeJS.ProcessEnv) {
  const dir = mkdtempSync(join(tmpdir(), 'asynq-dash-tmux-'));
  const socket = join(dir, 'tmux.sock');
  const tmux = (...args: string[]): string => execFileSync('tmux', ['-S', socket, ...args], {encoding: 'utf8', env});
  return {
    tmux,
    /** The visible screen, lines without trailing blanks; with escapes when `escapes`. */
    screen: (escapes = false): string[] =>
      tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', 'dash')
        .split('\n')
        .map((l) => l.trimEnd()),
    async until(test: (screen: string[]) => boolean, what: string, timeoutMs = 15_000): Promise<string[]> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const s = tmux('capture-pane', '-p', '-t', 'dash')
          .split('\n')
          .map((l) => l.trimEnd());
        if (test(s)) return s;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; screen:\n${s.join('\n')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    keys: (...k: string[]): string => tmux('send-keys', '-t', 'dash', ...k),
    stop(): void {
      spawnSync('tmux', ['-S', socket, 'kill-server'], {env});
      rmSync(dir, {recursive: true, force: true});
    },
  };
}

describe('asynq dash in a terminal (tmux)', () => {
  let server: ReturnType<typeof tmuxServer> | undefined;
  afterEach(() => {
    server?.stop();
    server = undefined;
  });

  const start = (extraEnv: Record<string, string> = {}): ReturnType<typeof tmuxServer> => {
    const env = {...cliEnv({ASYNQ_REDIS_URL: cli.server.url, ...extraEnv}), TERM: 'xterm-256color'};
    server = tmuxServer(env);
    // The shell stays after the dashboard so the test can read the exit status and the screen it leaves.
    const cmd = `'${process.execPath}' '${BIN}' dash --refresh 1s; echo "exit=$?"; sleep 60`;
    server.tmux('new-session', '-d', '-x', '100', '-y', '30', '-s', 'dash', cmd);
    return server;
  };

  it.runIf(HAS_TMUX)(
    `draws the queues, drills into a retry task, runs it, follows a resize and quits with q${TMUX_NOTE}`,
    async () => {
      const now = Math.floor(Date.now() / 1000);
      await seedRetry(cli.redis, [
        {msg: makeMsg('r1', {errorMsg: 'smtp: 421 try later', lastFailedAt: now - 30, retried: 1}), score: now + 3600},
      ]);
      await seedPending(cli.redis, [{msg: makeMsg('p1', {queue: 'critical'})}]);
      const t = start();

      const first = await t.until(
        (s) => s.some((l) => /^ {2}default +RUN/.test(l)) && s.some((l) => l.includes('updated')),
        'the queues screen',
      );
      expect(first[0]).toMatch(/^asynq dash {2}\[Queues\] {2}Servers {3}Cron +127\.0\.0\.1:\d+$/);
      expect(first[0]).toHaveLength(100);
      expect(first[2]).toMatch(/^> critical +RUN +1 /);
      expect(first[29]).toBe(''); // 29 lines drawn on a 30-line terminal: nothing scrolls
      expect(t.screen(true).join('\n')).toMatch(/\x1b\[3\dm/); // state colours on a terminal

      t.keys('j', 'Enter');
      await t.until((s) => s.some((l) => l.startsWith('Queue default')), 'the queue screen');
      t.keys('l', 'l', 'l', 'l');
      await t.until(
        (s) => s.some((l) => l.includes('[Retry:1]')) && s.some((l) => l.startsWith('> r1')),
        'the retry tab',
      );
      t.keys('Enter');
      await t.until((s) => s.includes('  smtp: 421 try later'), 'the task detail');
      t.keys('R');
      await t.until((s) => s.some((l) => l.startsWith('Run task r1 in "default"?')), 'the prompt');
      t.keys('y');
      await t.until((s) => s.some((l) => l.startsWith('task r1 is now pending')), 'the result');
      expect(await cli.redis.lrange(keys.pendingKey('default'), 0, -1)).toEqual(['r1']);

      t.tmux('resize-window', '-t', 'dash', '-x', '80', '-y', '24');
      const small = await t.until(
        (s) => s[0]!.length === 80 && s[0]!.startsWith('asynq dash  [Queues › default]'),
        'the redraw at 80×24',
      );
      expect(small.filter((l) => l.startsWith('asynq dash'))).toHaveLength(1);
      expect(small.slice(0, 23).filter((l) => l.length > 80)).toEqual([]);

      t.keys('q');
      const after = await t.until((s) => s.some((l) => l === 'exit=0'), 'the exit');
      expect(after.join('\n')).not.toContain('asynq dash'); // the alternate screen is gone
    },
  );

  it.runIf(HAS_TMUX)(
    `shows the tasks/s a worker processes now (Proc/s column and chart), back to 0 when it is done${TMUX_NOTE}`,
    async () => {
      const client = new Client(cli.redis);
      for (let i = 0; i < 120; i++) await client.enqueue(new Task('slow', `${i}`), {queue: 'live'});
      const t = start();
      /** The live queue's Proc/s cell (the column under the header). */
      const rateOf = (s: string[]): string | undefined => {
        const at = s[1]?.indexOf('Proc/s') ?? -1;
        const row = s.find((l) => /^[> ] live +RUN/.test(l));
        return at < 0 || row === undefined ? undefined : row.slice(at, at + 6).trim();
      };
      const first = await t.until((s) => rateOf(s) !== undefined, 'the queues screen');
      expect(first[1]).toMatch(/Proc\/s Fail\/s/);
      expect(rateOf(first)).toBe('-'); // one read: no rate yet

      const mux = new ServeMux().handleFunc('slow', () => new Promise((r) => setTimeout(r, 50)));
      const server = new Server(cli.server.url, {queues: {live: 1}, concurrency: 4, logger: silentLogger});
      await server.start(mux);
      try {
        // About 60 tasks/s for two seconds: the rate and the chart move, then fall back to 0.
        const busy = await t.until((s) => Number(rateOf(s)) > 5, 'a rate while the worker runs');
        expect(busy.find((l) => l.startsWith('Processed/s'))).toMatch(/[▁▂▃▄▅▆▇█]/);
        await t.until((s) => rateOf(s) === '0', 'the rate back to 0 once every task ran', 20_000);
        expect(await cli.redis.llen(keys.pendingKey('live'))).toBe(0);
      } finally {
        await server.shutdown();
        await client.close();
      }
    },
  );

  it.runIf(HAS_TMUX)(`draws no colour with NO_COLOR and quits with Ctrl+C${TMUX_NOTE}`, async () => {
    await seedPending(cli.redis, [{msg: makeMsg('p1')}]);
    const t = start({NO_COLOR: '1'});
    await t.until((s) => s.some((l) => /^> default +RUN/.test(l)), 'the queues screen');
    const escaped = t.screen(true).join('\n');
    expect(escaped).not.toMatch(/\x1b\[[0-9;]*m/);
    expect(escaped).toContain('= Pend'); // the bar legend uses glyphs instead of colours
    t.keys('C-c');
    await t.until((s) => s.some((l) => l === 'exit=0'), 'the exit');
  });

  it.runIf(HAS_TMUX)(`exits 5 at once with the address when Redis is unreachable${TMUX_NOTE}`, async () => {
    const t = start({ASYNQ_REDIS_URL: 'redis://127.0.0.1:1'});
    const s = await t.until((x) => x.some((l) => l === 'exit=5'), 'the exit', 10_000);
    expect(s.join('\n')).toContain('Error: cannot connect to Redis at 127.0.0.1:1 (from ASYNQ_REDIS_URL)');
  });
});
