/**
 * `asynq web` over 100 queues holding 1,000,000 tasks in all (seeded as the monitoring scenario:
 * per queue 60% pending, 10% each scheduled, retry, archived, completed), the server of the build
 * (lib/web/server.js) listening on loopback in this process and called over HTTP with fetch:
 * - the queues page's data, GET /api/queues (every queue's QueueInfo, as `queue inspect --json`);
 * - a task page, GET /api/queues/:q/tasks/:id (`task inspect --json`);
 * - a page of 30 pending tasks with its total, GET /api/queues/:q/tasks?state=pending;
 * - one search request that finds nothing, so that it reads its full bound (10 windows of 100);
 * - cold `asynq web`: spawn to its "Serving the dashboard" line. Limit: cold `node -e 0`.
 * BullMQ has no dashboard of its own here (bull-board is a separate package): no BullMQ column.
 */
import {spawn} from 'node:child_process';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {asynq, keys, loadBuilt, repoRoot} from '../support/lib.mjs';
import {median, now, repeat} from '../support/measure.mjs';
import {seedAsynqQueue} from '../support/seed.mjs';
import {nodeFloor} from './cli.mjs';
import {QUEUES, millions, perQueue, qname} from './monitoring.mjs';

/** Milliseconds from spawning `asynq web --port 0` to its "Serving the dashboard" line (then SIGINT). */
function coldStart(url) {
  const home = mkdtempSync(join(tmpdir(), 'asynq-bench-home-'));
  const env = {...process.env, HOME: home, NO_COLOR: '1', ASYNQ_REDIS_URL: url};
  return new Promise((resolve) => {
    const t = now();
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'run.js'), 'web', '--port', '0'], {env});
    let err = '';
    let ms = null;
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stderr.on('data', (b) => {
      err += b.toString('utf8');
      if (ms === null && err.includes('Serving the dashboard')) {
        ms = now() - t;
        child.kill('SIGINT');
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      rmSync(home, {recursive: true, force: true});
      resolve(ms === null ? {ms: null, note: `exited ${code}: ${err.trim().split('\n').at(-1)}`} : {ms});
    });
  });
}

export async function run(ctx) {
  const server = await loadBuilt('web/server.js');
  if (server === null) {
    ctx.log('  skipped: lib/web/server.js is not built');
    return [];
  }
  const total = ctx.scale(1_000_000);
  const names = Array.from({length: QUEUES}, (_, i) => qname(i));
  await ctx.flush();
  const t0 = now();
  for (const q of names) await seedAsynqQueue(ctx.admin, q, perQueue(total));
  ctx.log(`  seeded ${total.toLocaleString('en')} asynq tasks in ${((now() - t0) / 1000).toFixed(1)} s`);

  const inspector = new asynq.Inspector(ctx.url);
  await inspector.ping();
  const app = server.createWebApp({inspector, publicDir: join(repoRoot, 'lib', 'web', 'public')});
  const web = await server.listen(app, '127.0.0.1', 0);
  const q = names[50];
  const taskId = await ctx.admin.lindex(keys.pendingKey(q), -(perQueue(total).pending >> 1));
  const get = async (path, check) => {
    const t = now();
    const res = await fetch(`${web.url}${path}`);
    const body = await res.json();
    const ms = now() - t;
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
    check?.(body);
    return ms;
  };
  const runs = Math.max(9, ctx.runs);
  let rows = [];
  try {
    const queues = await repeat(
      runs,
      () =>
        get('/api/queues', (b) => {
          if (b.length !== QUEUES || b[0].size !== total / QUEUES) throw new Error(`/api/queues: ${b.length} queues`);
        }),
      {warmup: 2},
    );
    const task = await repeat(
      runs,
      () =>
        get(`/api/queues/${q}/tasks/${taskId}`, (b) => {
          if (b.id !== taskId) throw new Error(`task: got ${b.id}`);
        }),
      {warmup: 2},
    );
    const page = await repeat(
      runs,
      () =>
        get(`/api/queues/${q}/tasks?state=pending&page=10&size=30`, (b) => {
          if (b.tasks.length !== 30) throw new Error(`task page: ${b.tasks.length} tasks`);
        }),
      {warmup: 2},
    );
    let scanned = 0;
    const search = await repeat(
      runs,
      () =>
        get(`/api/queues/${q}/search?state=pending&q=no-such-text`, (b) => {
          scanned = b.scanned;
        }),
      {warmup: 1},
    );
    const cold = [];
    for (let i = 0; i < (ctx.runs > 1 ? 5 : 3); i++) cold.push(await coldStart(ctx.url));
    const coldMs = cold.every((c) => c.ms !== null) ? median(cold.map((c) => c.ms)) : null;
    const floor = nodeFloor(ctx);
    const of = `100 queues, ${millions(total)} tasks`;
    const row = (id, name, ours, note, limit = null) => ({
      id,
      group: 'web',
      name,
      unit: 'ms',
      better: 'lower',
      ours,
      bullmq: null,
      limit,
      limitPipelined: null,
      note,
    });
    rows = [
      row(
        'web.queues',
        `\`asynq web\` queues page data, GET /api/queues (${of})`,
        queues.median,
        'over HTTP (loopback, keep-alive), server in this process; every queue read at once as getQueueInfo',
      ),
      row(
        'web.task',
        `\`asynq web\` task page, GET /api/queues/:q/tasks/:id (${of})`,
        task.median,
        'as `task inspect --json`',
      ),
      row(
        'web.tasks',
        `\`asynq web\` 30 pending tasks (page 10) with total (${of})`,
        page.median,
        'listTasks page + the state count',
      ),
      row(
        'web.search',
        `\`asynq web\` one search request, no match (${of})`,
        search.median,
        `its bound: ${scanned} tasks looked at, in windows of 100`,
      ),
      row(
        'web.start',
        'cold `asynq web` (spawn to "Serving the dashboard")',
        coldMs,
        coldMs === null
          ? `not measured: ${cold.find((c) => c.ms === null).note}`
          : 'Redis reachable; Limit: cold `node -e 0`',
        floor,
      ),
    ];
  } finally {
    await web.close();
    await inspector.close();
    await ctx.flush();
  }
  return rows;
}
