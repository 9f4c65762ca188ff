/**
 * The README's examples (examples/*.ts, embedded verbatim in the README) typecheck and run as
 * written against a Redis: the client enqueues, each server (plain handler and ServeMux) processes
 * the tasks and shuts down gracefully on SIGTERM.
 */
import {spawn, spawnSync} from 'node:child_process';
import {readFileSync, rmSync} from 'node:fs';
import {join} from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {ensureBuilt, ROOT} from './support/cli.js';
import {useRedis} from './support/redis.js';
import {waitFor} from './support/wait.js';

const r = useRedis();
const EXAMPLES = ['tasks.ts', 'client.ts', 'server-handler.ts', 'server-mux.ts'];
/** Compiled examples (gitignored); inside the package, so `import … from 'asynq-ts'` resolves to it. */
const OUT = join(ROOT, '.examples-build');
const compiled = (file: string): string => join(OUT, 'examples', file.replace(/\.ts$/, '.js'));

function run(file: string, timeoutMs = 20_000): Promise<{code: number | null; out: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [compiled(file)], {
      cwd: ROOT,
      env: {...process.env, REDIS_URL: r.server.url},
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} did not finish:\n${out}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({code, out});
    });
  });
}

/** Starts a server example; returns a function that sends SIGTERM and waits for its exit. */
function startServer(file: string): {output: () => string; stop: () => Promise<{code: number | null; out: string}>} {
  const child = spawn(process.execPath, [compiled(file)], {cwd: ROOT, env: {...process.env, REDIS_URL: r.server.url}});
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return {
    output: () => out,
    stop: async () => {
      child.kill('SIGTERM');
      return {code: await exited, out};
    },
  };
}

describe('README examples', () => {
  it('are in the README verbatim', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const f of EXAMPLES) {
      const src = readFileSync(join(ROOT, 'examples', f), 'utf8');
      expect(readme, `README must contain examples/${f} verbatim in a ts block`).toContain('```ts\n' + src + '```');
    }
  });

  let tsc: {status: number | null; output: string};
  beforeAll(() => {
    ensureBuilt();
    rmSync(OUT, {recursive: true, force: true});
    const res = spawnSync(
      join(ROOT, 'node_modules', '.bin', 'tsc'),
      ['-p', join(ROOT, 'tsconfig.examples.json'), '--outDir', OUT],
      {encoding: 'utf8'},
    );
    tsc = {status: res.status, output: res.stdout + res.stderr};
  }, 120_000);

  it('typecheck against the package (strict) and compile', () => {
    expect(tsc.output).toBe('');
    expect(tsc.status).toBe(0);
  });

  it.each(['server-handler.ts', 'server-mux.ts'])(
    'client.ts then %s: tasks processed, results kept, graceful exit',
    async (server) => {
      const client = await run('client.ts');
      expect(client.code, client.out).toBe(0);
      expect(client.out).toMatch(/enqueued task: id=\S+ queue=default\n/);
      expect(await r.redis.llen('asynq:{default}:pending')).toBe(1);
      expect(await r.redis.llen('asynq:{critical}:pending')).toBe(1);
      expect(await r.redis.zcard('asynq:{default}:scheduled')).toBe(1);

      const srv = startServer(server);
      await waitFor(
        async () =>
          (await r.redis.get('asynq:{default}:processed')) === '1' &&
          (await r.redis.get('asynq:{critical}:processed')) === '1',
        () => `the server to process both tasks; output:\n${srv.output()}`,
        20_000,
      );
      const completed = await r.redis.zrange('asynq:{critical}:completed', 0, -1);
      expect(completed).toHaveLength(1);
      expect(await r.redis.hget(`asynq:{critical}:t:${completed[0]}`, 'result')).toBe(
        'resized https://example.com/myassets/image.jpg',
      );
      const {code, out} = await srv.stop();
      expect(out).toContain('Sending Email to User: user_id=42, template_id=some:template:id');
      expect(out).toContain('Resizing image: src=https://example.com/myassets/image.jpg');
      expect(out).toContain('INFO: Exiting');
      expect(code).toBe(0);
      expect(await r.redis.zcard('asynq:servers')).toBe(0); // server state cleared on shutdown
      expect(await r.redis.zcard('asynq:{default}:scheduled')).toBe(1); // the 24 h reminder waits
    },
    60_000,
  );
});
