/**
 * The JSON API of `asynq web` (docs/web-api.md): one handler per route, each calling the same
 * Inspector methods and mappers as the matching `--json` command. Authentication, CSRF and
 * read-only are checked by the middleware in ./server.ts before a handler runs.
 */
import {Hono, type Context} from 'hono';
import {FailedPreconditionError, ValidationError} from '../lib/errors.js';
import {TASK_STATES, type TaskState} from '../lib/base/states.js';
import {BULK_STATES, type BulkAction, type Inspector} from '../lib/inspector.js';
import {cronHistoryDocument, queueHistoryDocument, readQueueInfos, statsDocument} from '../cli/inspect/documents.js';
import {queueInfoJson, schedulerEntryJson, serverJson, taskJson} from '../cli/views/json.js';
import type {
  ActionJson,
  BulkActionName,
  CronHistoryJson,
  QueueHistoryJson,
  SearchJson,
  TaskAction,
  TaskPageJson,
} from './api-types.js';
import {jsonResponse} from './respond.js';
import {searchTasks} from './search.js';

/** Largest page of tasks or events one request may ask for. */
const MAX_PAGE_SIZE = 1000;
/** Largest number of search matches one request may ask for. */
const MAX_SEARCH_SIZE = 100;
/** Daily counters are kept 90 days. */
const MAX_DAYS = 90;

/** An optional integer query parameter within [min, max]. */
function intParam(c: Context, name: string, dflt: number, min: number, max: number): number {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return dflt;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new ValidationError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function stateParam(value: unknown, allowed: readonly TaskState[] = TASK_STATES): TaskState {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as TaskState;
  throw new ValidationError(
    value === undefined || value === ''
      ? `state is required: one of ${allowed.join(', ')}`
      : `unsupported state ${JSON.stringify(value)}: expected one of ${allowed.join(', ')}`,
  );
}

/** The group, required (and only meaningful) with state 'aggregating'. */
function groupParam(state: TaskState, value: unknown): string | undefined {
  if (state !== 'aggregating') return undefined;
  if (typeof value !== 'string' || value === '') throw new ValidationError('group is required with state aggregating');
  return value;
}

/** A JSON object body (an empty body is `{}`); anything else is a ValidationError. */
async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ValidationError('the request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ValidationError('the request body must be a JSON object');
  return body as Record<string, unknown>;
}

const BULK: Record<BulkActionName, BulkAction> = {runall: 'run', archiveall: 'archive', deleteall: 'delete'};

/**
 * The API routes on `inspector` (mounted at <base>/api by the server). `now` (milliseconds) is the
 * clock of the search's time budget (default performance.now).
 */
export function apiRoutes(inspector: Inspector, opts: {now?: () => number} = {}): Hono {
  const api = new Hono();
  const q = (c: Context): string => c.req.param('queue')!;
  const done = (c: Context, count = 1) => jsonResponse(c, {count} satisfies ActionJson);

  api.get('/stats', async (c) => jsonResponse(c, await statsDocument(inspector)));
  api.get('/redis', async (c) => jsonResponse(c, await inspector.redisInfo()));
  api.get('/queues', async (c) => jsonResponse(c, (await readQueueInfos(inspector)).infos.map(queueInfoJson)));
  api.get('/history', async (c) => {
    const days = intParam(c, 'days', 10, 1, MAX_DAYS);
    const {infos} = await readQueueInfos(inspector);
    const out: QueueHistoryJson[] = await Promise.all(infos.map((i) => queueHistoryDocument(inspector, i.queue, days)));
    return jsonResponse(c, out);
  });
  api.get('/queues/:queue', async (c) => jsonResponse(c, queueInfoJson(await inspector.getQueueInfo(q(c)))));
  api.get('/queues/:queue/history', async (c) => {
    const days = intParam(c, 'days', 10, 1, MAX_DAYS);
    const info = await inspector.getQueueInfo(q(c)); // 404 for an unknown queue (history alone reads zeros)
    return jsonResponse(c, await queueHistoryDocument(inspector, info.queue, days));
  });
  api.get('/queues/:queue/groups', async (c) => jsonResponse(c, await inspector.groups(q(c))));

  api.get('/queues/:queue/tasks', async (c) => {
    const state = stateParam(c.req.query('state'));
    const group = groupParam(state, c.req.query('group'));
    const page = intParam(c, 'page', 1, 1, Number.MAX_SAFE_INTEGER);
    const size = intParam(c, 'size', 30, 1, MAX_PAGE_SIZE);
    const badTasks: Array<{id: string; reason: string}> = [];
    const [tasks, total] = await Promise.all([
      inspector.listTasks(q(c), state, {
        group,
        page,
        size,
        onBadData: (b) => badTasks.push({id: b.id, reason: b.reason}),
      }),
      group === undefined
        ? inspector.getQueueInfo(q(c)).then((i) => i[state])
        : inspector.groups(q(c)).then((gs) => gs.find((g) => g.group === group)?.size ?? 0),
    ]);
    const out: TaskPageJson = {
      tasks: tasks.map(taskJson),
      page,
      size,
      total,
      ...(badTasks.length > 0 ? {badTasks} : {}),
    };
    return jsonResponse(c, out);
  });

  api.get('/queues/:queue/tasks/:id', async (c) =>
    jsonResponse(c, taskJson(await inspector.getTaskInfo(q(c), c.req.param('id')))),
  );

  api.get('/queues/:queue/search', async (c) => {
    const state = stateParam(c.req.query('state'));
    const group = groupParam(state, c.req.query('group'));
    const text = c.req.query('q') ?? '';
    if (text === '') throw new ValidationError('q is required: a task ID, a type prefix or payload text');
    const rawCursor = c.req.query('cursor');
    const cursor = rawCursor === undefined ? undefined : intParam(c, 'cursor', 0, 0, Number.MAX_SAFE_INTEGER);
    const size = intParam(c, 'size', 30, 1, MAX_SEARCH_SIZE);
    await inspector.getQueueInfo(q(c)); // 404 for an unknown queue before any scan
    const r = await searchTasks(inspector, q(c), {state, group, text, cursor, size, now: opts.now});
    const out: SearchJson = {
      tasks: r.tasks.map(taskJson),
      cursor: r.cursor === null ? null : String(r.cursor),
      scanned: r.scanned,
    };
    return jsonResponse(c, out);
  });

  api.get('/servers', async (c) => jsonResponse(c, (await inspector.servers()).map(serverJson)));
  api.get('/cron', async (c) => jsonResponse(c, (await inspector.schedulerEntries()).map(schedulerEntryJson)));
  api.get('/cron/:entryId/history', async (c) => {
    const page = intParam(c, 'page', 1, 1, Number.MAX_SAFE_INTEGER);
    const size = intParam(c, 'size', 30, 1, MAX_PAGE_SIZE);
    const doc: CronHistoryJson = await cronHistoryDocument(inspector, c.req.param('entryId'), {page, size});
    return jsonResponse(c, doc);
  });

  // Actions (POST; the server's middleware has checked CSRF, Origin and --read-only).
  api.post('/queues/:queue/pause', async (c) => {
    await inspector.pauseQueue(q(c));
    return done(c);
  });
  api.post('/queues/:queue/resume', async (c) => {
    await inspector.unpauseQueue(q(c));
    return done(c);
  });
  api.post('/queues/:queue/remove', async (c) => {
    await inspector.getQueueInfo(q(c)); // 404 for an unknown queue
    await inspector.deleteQueue(q(c), false);
    return done(c);
  });
  api.post('/queues/:queue/tasks/:bulk{runall|archiveall|deleteall}', async (c) => {
    const action = BULK[c.req.param('bulk') as BulkActionName];
    const body = await jsonBody(c);
    const state = stateParam(body.state, BULK_STATES[action]);
    const group = groupParam(state, body.group);
    await inspector.getQueueInfo(q(c)); // 404 for an unknown queue
    return done(c, await inspector.bulkTasks(action, q(c), state, {group}));
  });
  api.post('/queues/:queue/tasks/:id/:action{run|archive|delete|cancel}', async (c) => {
    const queue = q(c);
    const id = c.req.param('id');
    switch (c.req.param('action') as TaskAction) {
      case 'run':
        await inspector.runTask(queue, id);
        break;
      case 'archive':
        await inspector.archiveTask(queue, id);
        break;
      case 'delete':
        await inspector.deleteTask(queue, id);
        break;
      case 'cancel': {
        const info = await inspector.getTaskInfo(queue, id);
        if (info.state !== 'active')
          throw new FailedPreconditionError(`task ${id} is ${info.state}, not active: there is nothing to cancel`);
        await inspector.cancelProcessing(id);
        break;
      }
    }
    return done(c);
  });
  return api;
}
