/**
 * The JSON API of `asynq web`: its routes and the documents they return (docs/web-api.md says the
 * same in prose). Every document that has a `--json` command is that command's document, built by
 * the same functions (src/cli/views/json.ts, src/cli/inspect/documents.ts); this file only names
 * them for the routes. The browser UI imports these types (type-only), never the server code.
 */
import type {ErrorReport} from '../cli/output.js';
import type {
  DailyStatsJson,
  EnqueueEventJson,
  QueueInfoJson,
  SchedulerEntryJson,
  ServerJson,
  TaskJson,
} from '../cli/views/json.js';
import type {GroupInfo, TaskState} from '../lib/index.js';

export type {DailyStatsJson, EnqueueEventJson, QueueInfoJson, SchedulerEntryJson, ServerJson, TaskJson, TaskState};

/** Every route, relative to the base path (`--base-path`, default ''), with its method. */
export const API_ROUTES = {
  session: 'GET /api/session',
  login: 'POST /api/login',
  logout: 'POST /api/logout',
  stats: 'GET /api/stats',
  redis: 'GET /api/redis',
  queues: 'GET /api/queues',
  history: 'GET /api/history',
  queue: 'GET /api/queues/:queue',
  queueHistory: 'GET /api/queues/:queue/history',
  groups: 'GET /api/queues/:queue/groups',
  tasks: 'GET /api/queues/:queue/tasks',
  task: 'GET /api/queues/:queue/tasks/:id',
  search: 'GET /api/queues/:queue/search',
  servers: 'GET /api/servers',
  cron: 'GET /api/cron',
  cronHistory: 'GET /api/cron/:entryId/history',
  pause: 'POST /api/queues/:queue/pause',
  resume: 'POST /api/queues/:queue/resume',
  remove: 'POST /api/queues/:queue/remove',
  taskAction: 'POST /api/queues/:queue/tasks/:id/:action',
  bulkAction: 'POST /api/queues/:queue/tasks/:bulk',
} as const;

/** GET /api/session (always allowed) and the answer of POST /api/login and /api/logout. */
export interface SessionJson {
  /** True when the API may be used: logged in, or no authentication configured. */
  authenticated: boolean;
  /** True when the server was started with a password or a token. */
  authRequired: boolean;
  /** Which credentials POST /api/login accepts: 'password' ({user, password}), 'token' ({token}). */
  loginMethods: Array<'password' | 'token'>;
  /** The logged-in user; null when not logged in, when no authentication is configured, or for a token login. */
  user: string | null;
  /** True with --read-only: every action is refused (403, code READ_ONLY). */
  readOnly: boolean;
  /** Send it as the `X-CSRF-Token` header with every POST (login included). Changes at login and logout. */
  csrfToken: string;
  /** The --base-path, '' or like '/asynq' (no trailing slash). */
  basePath: string;
  /** The `asynq` package version that serves the page. */
  version: string;
}

/** POST /api/login body (JSON or form-encoded). */
export type LoginBody = {user: string; password: string} | {token: string};

/** GET /api/stats: the document of `asynq stats --json`. */
export interface StatsJson {
  /** Sums over all queues; processed/failed are today's (UTC). */
  aggregate: {
    active: number;
    pending: number;
    aggregating: number;
    scheduled: number;
    retry: number;
    archived: number;
    completed: number;
    processed: number;
    failed: number;
    timestamp: string;
  };
  queues: QueueInfoJson[];
  /** INFO fields of the server (CLUSTER INFO fields on a Redis Cluster). */
  redis: Record<string, string>;
  /** Only when some: queues left out because their keys hold bad data. */
  brokenQueues?: Array<{queue: string; error: string}>;
}

/** GET /api/redis. */
export interface RedisJson {
  cluster: boolean;
  /** INFO fields (CLUSTER INFO fields on a Redis Cluster), all strings as Redis gives them. */
  info: Record<string, string>;
}

/** GET /api/queues: `asynq queue inspect <every queue> --json`, sorted by name (queues with bad data left out: see /api/stats). */
export type QueuesJson = QueueInfoJson[];

/** GET /api/queues/:queue/history?days=N (one element of `asynq queue history --json`). */
export interface QueueHistoryJson {
  queue: string;
  /** Today first. */
  days: DailyStatsJson[];
}

/** GET /api/history?days=N: `asynq queue history <every queue> --json`. */
export type HistoryJson = QueueHistoryJson[];

/** GET /api/queues/:queue/groups: `asynq group ls --json`. */
export type GroupsJson = GroupInfo[];

/** GET /api/queues/:queue/tasks?state=S&page=P&size=N[&group=G]. */
export interface TaskPageJson {
  /** `asynq task ls --json` for the same page. */
  tasks: TaskJson[];
  page: number;
  size: number;
  /** Tasks in that state (in that group for 'aggregating'), as counted when the page was read. */
  total: number;
  /** Only when some: tasks of the page left out because they cannot be read. */
  badTasks?: Array<{id: string; reason: string}>;
}

/** GET /api/queues/:queue/search?state=S&q=TEXT[&cursor=C][&size=N]. */
export interface SearchJson {
  /** Matches found by this request (at most `size`), in the state's list order. */
  tasks: TaskJson[];
  /** Pass it back as `cursor` to go on; null when the whole state has been looked at. */
  cursor: string | null;
  /** Tasks looked at by this request (bounded: see docs/web-api.md "Search"). */
  scanned: number;
}

/** GET /api/servers: `asynq server ls --json`. */
export type ServersJson = ServerJson[];

/** GET /api/cron: `asynq cron ls --json`. */
export type CronJson = SchedulerEntryJson[];

/** GET /api/cron/:entryId/history?page=P&size=N (one element of `asynq cron history --json`). */
export interface CronHistoryJson {
  entryId: string;
  /** Newest first. */
  events: EnqueueEventJson[];
}

/** The answer of every POST action: how many tasks (or queues) it changed. */
export interface ActionJson {
  count: number;
}

/** POST /api/queues/:queue/tasks/:id/:action. */
export type TaskAction = 'run' | 'archive' | 'delete' | 'cancel';

/** POST /api/queues/:queue/tasks/:bulk with body BulkBody. */
export type BulkActionName = 'runall' | 'archiveall' | 'deleteall';

/** Body of the bulk actions (JSON). */
export interface BulkBody {
  state: TaskState;
  /** Required when state is 'aggregating'. */
  group?: string;
}

/** Codes the web server adds to the CLI's error codes. */
export type WebErrorCode = 'UNAUTHORIZED' | 'FORBIDDEN' | 'READ_ONLY' | 'ROUTE_NOT_FOUND' | 'TOO_MANY_REQUESTS';

/** Every error: the CLI's `--json` error document (code also one of WebErrorCode). */
export interface ErrorJson {
  error: Omit<ErrorReport, 'code'> & {code: ErrorReport['code'] | WebErrorCode};
}
