/**
 * Runs every row of the bad-input table (bad-inputs.table.ts) and checks docs/bad-inputs.md is
 * that table rendered. Each row: the exit status, the one-line `Error:` (or `Warning:`) message,
 * no stack trace, never exit 1, nothing on stdout unless the row says what, and Redis unchanged.
 *
 * Rows run in process (runCliInProcess: milliseconds each); rows with stdin or a signal are
 * spawned. `UPDATE_BAD_INPUTS_DOC=1` rewrites the doc instead of failing on a difference.
 */
import {spawn} from 'node:child_process';
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import * as keys from '../../src/lib/base/keys.js';
import {BIN, ROOT, cliEnv, runCli, runCliInProcess, type InProcessResult} from '../support/cli.js';
import {dumpAll, dumpAllSince} from '../support/dump.js';
import {startRedisServer, type RedisServer} from '../support/redis-server.js';
import {useRedis} from '../support/redis.js';
import {makeMsg, seedPending} from '../support/seed.js';
import {BAD_INPUTS, type BadInput, type Seed} from './bad-inputs.table.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(HERE, '..', 'fixtures');
const DOC = join(ROOT, 'docs', 'bad-inputs.md');

const r = useRedis();
let auth: RedisServer;
beforeAll(async () => {
  auth = await startRedisServer({args: ['--requirepass', 'sekret'], password: 'sekret'});
});
afterAll(async () => {
  await auth?.stop();
});

const SEEDS: Record<Seed, () => Promise<void>> = {
  'queue default with a pending task t1': () => seedPending(r.redis, [{msg: makeMsg('t1')}]),
  'a unique task held': async () => {
    const res = await runCliInProcess(['enqueue', 't', '{}', '--unique', '1h'], {env: {ASYNQ_REDIS_URL: r.server.url}});
    expect(res.code).toBe(0);
  },
  'pending list is a string': async () => {
    await r.redis.sadd(keys.allQueues, 'default');
    await r.redis.set(keys.pendingKey('default'), 'oops');
  },
  'queue set is a string': async () => {
    await r.redis.set(keys.allQueues, 'oops');
  },
  'task hash with an undecodable message': async () => {
    await r.redis.sadd(keys.allQueues, 'default');
    await r.redis.hset(keys.taskKey('default', 'bad'), {msg: Buffer.from([0xff, 0xfe, 0x01]), state: 'pending'});
    await r.redis.lpush(keys.pendingKey('default'), 'bad');
  },
  'task hash that is a string': async () => {
    await r.redis.sadd(keys.allQueues, 'default');
    await r.redis.set(keys.taskKey('default', 'bad'), 'oops');
  },
  'a dangling ID in the pending list': async () => {
    await seedPending(r.redis, [{msg: makeMsg('t1')}]);
    await r.redis.lpush(keys.pendingKey('default'), 'ghost');
  },
};

/** The row's placeholders filled in. */
function filler(dir: string): (s: string) => string {
  return (s) =>
    s
      .replaceAll('{url}', r.server.url)
      .replaceAll('{port}', String(r.server.port))
      .replaceAll('{authport}', String(auth.port))
      .replaceAll('{dir}', dir)
      .replaceAll('{fixtures}', FIXTURES);
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The first line of the error or warning, without oclif's ` ›   ` prefix. */
  line: string;
}

const LONG_RUNNING = /^(worker run|cron run)\b/;

async function runInProcess(args: string[], env: Record<string, string | undefined>): Promise<InProcessResult> {
  // A long-running command that starts by mistake is stopped with SIGINT after 8 s (the row then fails).
  const guard = LONG_RUNNING.test(args.slice(0, 2).join(' '))
    ? setTimeout(() => process.emit('SIGINT', 'SIGINT'), 8_000)
    : undefined;
  try {
    return await runCliInProcess(args, {env});
  } finally {
    clearTimeout(guard);
  }
}

function spawnWithSignal(
  args: string[],
  env: Record<string, string | undefined>,
  sig: NonNullable<BadInput['signal']>,
): Promise<{code: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: cliEnv(env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const send = (): void => {
      if (sent) return;
      sent = true;
      child.kill(sig.name);
      if (sig.twice) setTimeout(() => child.kill(sig.name), 5); // within SAME_SIGNAL_MS: one signal delivered twice (as npm/npx forward Ctrl-C)
    };
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
      if (sig.after !== undefined && stderr.includes(sig.after)) send();
    });
    if (sig.afterMs !== undefined) setTimeout(send, sig.afterMs);
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(kill);
      resolve({
        code:
          code ??
          (signal === null ? null : 128 + ({SIGINT: 2, SIGTERM: 15, SIGKILL: 9} as Record<string, number>)[signal]!),
        stdout,
        stderr,
      });
    });
    child.stdin.on('error', () => {}); // stdin stays open until the process ends
  });
}

async function runRow(row: BadInput, dir: string): Promise<Outcome> {
  const fill = filler(dir);
  const args = row.args.map(fill);
  const env: Record<string, string | undefined> = {ASYNQ_REDIS_URL: r.server.url, TZ: 'UTC'};
  for (const [k, v] of Object.entries(row.env ?? {})) env[k] = v === '' ? undefined : fill(v);
  if (row.config !== undefined) {
    const home = join(dir, 'home');
    mkdirSync(home);
    writeFileSync(join(home, '.asynq.yml'), fill(row.config));
    env.HOME = home;
    if (row.env?.ASYNQ_REDIS_URL === undefined) env.ASYNQ_REDIS_URL = undefined;
  }
  let res: {code: number | null; stdout: string; stderr: string; error?: Error};
  if (row.signal !== undefined) res = await spawnWithSignal(args, env, row.signal);
  else if (row.stdin !== undefined) res = await runCli(args, {env, stdin: row.stdin});
  else res = await runInProcess(args, env);
  const fromError = 'error' in res && res.error !== undefined && res.stderr === '' ? `Error: ${res.error.message}` : '';
  const first = (res.stderr || fromError).split('\n').find((l) => l.trim() !== '') ?? '';
  return {code: res.code, stdout: res.stdout, stderr: res.stderr || fromError, line: first.replace(/^\s*›\s+/, '')};
}

const byArea = new Map<string, BadInput[]>();
for (const row of BAD_INPUTS) byArea.set(row.area, [...(byArea.get(row.area) ?? []), row]);

function label(row: BadInput, i: number): string {
  return `#${i + 1} ${shellLine(row.args)} → ${row.exit}`;
}

describe('the bad-input table', () => {
  it('has at least 150 rows, every one with an exit status other than 1', () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(150);
    expect(BAD_INPUTS.filter((b) => b.exit === 1 && b.todo === undefined)).toEqual([]);
  });

  it('is what docs/bad-inputs.md lists (regenerate with UPDATE_BAD_INPUTS_DOC=1)', () => {
    const doc = renderBadInputsDoc(BAD_INPUTS);
    if (process.env.UPDATE_BAD_INPUTS_DOC === '1') writeFileSync(DOC, doc);
    expect(readFileSync(DOC, 'utf8')).toBe(doc);
  });
});

for (const [area, rows] of byArea) {
  describe(area, () => {
    for (const row of rows) {
      const i = BAD_INPUTS.indexOf(row);
      if (row.todo !== undefined) {
        it.todo(`${label(row, i)} (todo: ${row.todo})`);
        continue;
      }
      it(label(row, i), async () => {
        if (row.seed !== undefined) await SEEDS[row.seed]();
        const dir = mkdtempSync(join(tmpdir(), 'asynq-bad-input-'));
        const fill = filler(dir);
        for (const [name, text] of Object.entries(row.files ?? {})) writeFileSync(join(dir, name), fill(text));
        const before = await dumpAll(r.redis);
        const out = await runRow(row, dir);
        const shown = {code: out.code, line: out.line};
        expect(shown, out.stderr).toMatchObject({code: row.exit});
        expect(out.stderr, 'a stack trace').not.toMatch(/\n\s+at .*:\d+:\d+\)?\n/);
        if (row.message !== '') {
          expect(out.line, out.stderr).toMatch(
            row.exit === 0 ? /^Warning: / : row.exit === 6 ? /^(Error|Warning): / : /^Error: /,
          );
          expect(out.line, out.stderr).toContain(fill(row.message));
        }
        if (row.stdout === undefined) expect(out.stdout).toBe('');
        else expect(out.stdout).toContain(row.stdout);
        if (row.changes === undefined) expect(await dumpAllSince(r.redis, before)).toEqual(before);
      });
    }
  });
}

// ------------------------------------------------------------------------------------------------
// docs/bad-inputs.md

function shellWord(w: string): string {
  if (w === '') return "''";
  return /^[\w@%+=:,./{}-]+$/.test(w) ? w : `'${w.replaceAll("'", `'\\''`)}'`;
}

function shellLine(args: readonly string[]): string {
  return ['asynq', ...args].map(shellWord).join(' ');
}

function cell(s: string): string {
  return s.replaceAll('|', '\\|').replaceAll('\n', '⏎');
}

function setup(row: BadInput): string {
  const parts: string[] = [];
  if (row.seed !== undefined) parts.push(`Redis: ${row.seed}`);
  for (const [k, v] of Object.entries(row.env ?? {})) parts.push(v === '' ? `${k} unset` : `${k}=${v}`);
  if (row.config !== undefined) parts.push(`~/.asynq.yml: \`${row.config.trimEnd()}\``);
  for (const [name, text] of Object.entries(row.files ?? {})) parts.push(`{dir}/${name}: \`${text.trimEnd()}\``);
  if (row.stdin !== undefined) parts.push(`stdin: \`${row.stdin.trimEnd()}\``);
  if (row.signal !== undefined) {
    const when =
      row.signal.after !== undefined ? `once stderr shows "${row.signal.after}"` : `after ${row.signal.afterMs} ms`;
    parts.push(`${row.signal.name}${row.signal.twice ? ' twice' : ''} ${when}`);
  }
  return parts.join('; ');
}

/** docs/bad-inputs.md from the table. */
export function renderBadInputsDoc(rows: readonly BadInput[]): string {
  const out = [
    '<!-- GENERATED from test/e2e/bad-inputs.table.ts by test/e2e/bad-inputs.test.ts. Do not edit: change the table and run',
    '     UPDATE_BAD_INPUTS_DOC=1 npx vitest run test/e2e/bad-inputs.test.ts -->',
    '# Bad inputs and what `asynq` answers',
    '',
    `${rows.length} command lines, config files, payloads, specs, modules, signals and Redis contents that are wrong,`,
    'each with the exit status (see "Exit status" in the README) and the text of the one-line message the',
    'CLI prints on stderr (`Error: …`, or `Warning: …` for the few inputs that are taken with a warning).',
    'The test suite runs every row (test/e2e/bad-inputs.test.ts) and checks, besides the status and the',
    'message, that no stack trace is printed, that stdout stays empty unless the row says otherwise, and that',
    'Redis holds exactly what it held before. Rows marked *todo* are known to be wrong today and are not run.',
    '',
    'Placeholders: `{url}`/`{port}` the test Redis, `{authport}` a Redis that requires the password `sekret`,',
    '`{dir}` a directory with the files of the row, `{fixtures}` test/fixtures.',
    '',
  ];
  const areas = [...new Set(rows.map((r) => r.area))];
  for (const area of areas) {
    out.push(
      `## ${area[0]!.toUpperCase()}${area.slice(1)}`,
      '',
      '| # | command line | setup | exit | message |',
      '|---|---|---|---|---|',
    );
    for (const row of rows.filter((r) => r.area === area)) {
      const n = rows.indexOf(row) + 1;
      const msg = row.message === '' ? '(none)' : `\`${row.message}\``;
      const note =
        row.todo !== undefined
          ? ` — *todo: ${row.todo}*`
          : row.changes !== undefined
            ? ` (Redis changes: ${row.changes})`
            : '';
      out.push(
        `| ${n} | \`${cell(shellLine(row.args))}\` | ${cell(setup(row))} | ${row.exit} | ${cell(msg)}${cell(note)} |`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}
