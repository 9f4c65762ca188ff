import {argvFlag, ConnectedCommand} from '../cli/command.js';
import {describeConnection, failSoonConnection} from '../cli/connection.js';
import {duration} from '../cli/flags.js';
import {colorEnabled, requireTty} from '../cli/tty.js';
import {ValidationError} from '../lib/errors.js';
import {Inspector} from '../lib/inspector.js';

/** Shortest refresh interval: each refresh reads every queue's stats. */
export const MIN_REFRESH_MS = 500;

/** The dashboard's connection (see failSoonConnection). */
export const dashConnection = failSoonConnection;

export default class Dash extends ConnectedCommand {
  static override summary =
    'Live terminal dashboard of queues, tasks, servers and cron entries, which can also act on them.';

  static override description = `Full-screen and refreshed every --refresh: the queues with their state, size, counts per task state, today's processed and failed tasks, live processed and failed tasks per second (from the counters' change between refreshes, with a chart of the last minutes), error rate, latency, memory and a bar of their states; a queue's tasks by state (a page at a time), aggregation groups, the detail of a task (payload, result, last error), the history of processed/failed tasks per day; live servers and their workers; scheduler entries and their recent enqueues.

It acts too, each action confirmed with y/n: pause or resume a queue (P); run (R), archive (A) or delete (D) the selected task or every task of the tab; cancel an active task (C). Errors show in the status line.

Keys: arrows or hjkl move, Enter opens, Esc goes back, Tab switches between Queues, Servers and Cron, n/p page, / filters queues by name, s/S sort, r refreshes, ? shows every key, q quits.

Each refresh reads one page of tasks at most and a fixed number of Redis calls per queue, never a whole queue. Needs an interactive terminal (at least 40×12); for scripts use \`asynq stats --json\`.`;

  static override examples = [
    {description: 'Watch the local Redis, refreshing every 2 s.', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'A remote Redis, refreshing every 5 s.',
      command: '<%= config.bin %> <%= command.id %> -u redis://redis.internal:6379/2 --refresh 5s',
    },
    {
      description: 'What scripts and CI use instead (no terminal needed).',
      command: '<%= config.bin %> stats --json || exit $?',
    },
  ];

  static override enableJsonFlag = false;
  static override handlesSignals = true;

  static override flags = {
    refresh: duration({
      summary: `Time between refreshes (Go durations or ms; at least ${MIN_REFRESH_MS}ms).`,
      default: 2000,
      defaultHelp: async () => '2s',
    }),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Dash);
    if (flags.refresh < MIN_REFRESH_MS)
      throw new ValidationError(`--refresh must be at least ${MIN_REFRESH_MS}ms, got ${flags.refresh}ms`);
    requireTty('asynq dash', 'asynq stats --json');
    // The dashboard's connection, checked first (an unreachable Redis is exit 5 before the screen
    // opens); it reconnects after a Redis restart (its errors show in the status line).
    const inspector = new Inspector(await this.reconnectingConnection(dashConnection));
    const {conn} = this.connection();
    // q, Ctrl+C (a key in raw mode), SIGINT, SIGTERM and SIGHUP (the terminal went away) all quit.
    const quit = new AbortController();
    this.lifecycle.untilStopped({stop: () => quit.abort(), reload: async () => quit.abort()});
    process.env.NODE_ENV ??= 'production'; // React's production build: half the render time
    // Ink draws nothing but the last frame when it thinks it runs in CI (CI or
    // CONTINUOUS_INTEGRATION set). requireTty() has just proven a terminal, so say so to Ink.
    for (const v of ['CI', 'CONTINUOUS_INTEGRATION']) if (v in process.env) process.env[v] = 'false';
    const {runDash} = await import('../ui/dash/render.js');
    await runDash({
      inspector,
      refreshMs: flags.refresh,
      target: describeConnection(conn),
      color: colorEnabled(process, argvFlag(this.argv, 'color')),
      signal: quit.signal,
    });
  }
}
