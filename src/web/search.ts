/**
 * Task search for `asynq web` (GET /api/queues/:queue/search): by exact ID, type prefix or a
 * payload substring, within one queue and state, with a bound on the work done per request.
 *
 * The state is read a window at a time, each window one page of `Inspector.listTasks` (one
 * LRANGE/ZRANGE by index and the task hashes of that page, in one script): no Redis command ever
 * touches more than WINDOW tasks, so a search never blocks Redis for longer than reading one such
 * page. One request reads at most MAX_WINDOWS windows, starts no new window after BUDGET_MS, and
 * stops once it has `size` matches; the cursor it returns is the index to go on from.
 */
import {TaskNotFoundError} from '../lib/errors.js';
import type {Inspector, TaskInfo, TaskState} from '../lib/index.js';

/** Tasks read by one Redis call. */
const SEARCH_WINDOW = 100;
/** Windows read by one request at most (so at most 1,000 tasks looked at). */
const SEARCH_MAX_WINDOWS = 10;
/** No new window is started after this long. */
const SEARCH_BUDGET_MS = 200;

export interface SearchOptions {
  state: TaskState;
  /** Required for 'aggregating'. */
  group?: string;
  /** What to look for (not empty). */
  text: string;
  /** Where to go on from: the `cursor` of the previous answer; undefined for a new search (which also looks the ID up). */
  cursor?: number;
  /** Matches wanted at most. */
  size: number;
  /** Clock for the time budget (tests). */
  now?: () => number;
}

export interface SearchResult {
  tasks: TaskInfo[];
  cursor: number | null;
  scanned: number;
}

function matcher(text: string): (t: TaskInfo) => boolean {
  const needle = Buffer.from(text, 'utf8');
  return (t) =>
    t.id === text ||
    t.type.startsWith(text) ||
    Buffer.from(t.payload.buffer, t.payload.byteOffset, t.payload.byteLength).indexOf(needle) !== -1;
}

export async function searchTasks(inspector: Inspector, queue: string, opts: SearchOptions): Promise<SearchResult> {
  const now = opts.now ?? (() => performance.now());
  const started = now();
  const found: TaskInfo[] = [];
  // The exact ID first (one read, whatever the size of the queue); the scan then skips that ID.
  if (opts.cursor === undefined) {
    try {
      const t = await inspector.getTaskInfo(queue, opts.text);
      if (t.state === opts.state && (opts.state !== 'aggregating' || t.group === opts.group)) found.push(t);
    } catch (err) {
      if (!(err instanceof TaskNotFoundError)) throw err;
    }
  }
  const matches = matcher(opts.text);
  let cursor = opts.cursor ?? 0;
  let scanned = 0;
  for (let w = 0; w < SEARCH_MAX_WINDOWS && found.length < opts.size; w++) {
    if (w > 0 && now() - started >= SEARCH_BUDGET_MS) break;
    const windowStart = cursor - (cursor % SEARCH_WINDOW);
    let bad = 0;
    const tasks = await inspector.listTasks(queue, opts.state, {
      group: opts.group,
      page: windowStart / SEARCH_WINDOW + 1,
      size: SEARCH_WINDOW,
      onBadData: () => bad++,
    });
    const read = tasks.length + bad;
    // With unreadable tasks left out, indexes within the window are not exact: take it whole.
    const skip = bad === 0 ? cursor - windowStart : 0;
    let next = windowStart + read;
    for (let i = skip; i < tasks.length; i++) {
      scanned++;
      const t = tasks[i]!;
      if (t.id !== opts.text && matches(t)) found.push(t);
      if (found.length >= opts.size && bad === 0) {
        next = windowStart + i + 1;
        break;
      }
    }
    if (read < SEARCH_WINDOW && next >= windowStart + read) return {tasks: found, cursor: null, scanned};
    cursor = next;
  }
  return {tasks: found, cursor, scanned};
}
