import * as Flags from '@oclif/core/flags';
import {everyRoundingNote} from '../../lib/cron-spec.js';
import {FilePeriodicTaskConfigProvider, PeriodicTaskManager, ValidationError, type Logger} from '../../lib/index.js';
import {ConnectedCommand} from '../../cli/command.js';
import {duration} from '../../cli/flags.js';
import {logFlags, loggerFromFlags} from '../../cli/log-flags.js';
import {compactDuration} from '../../cli/format/time.js';

export interface CronRunResult {
  /** The periodic task file, as given. */
  file: string;
  /** The entries registered when the command stopped (removed from Redis on the way out). */
  entries: {id: string; spec: string; type: string}[];
  /** Tasks this process enqueued (a tick another instance enqueued is not counted). */
  enqueued: number;
  /** Enqueue attempts that failed, including a `unique` entry whose previous task still held the lock. */
  failed: number;
}

/** Go PeriodicTaskManager's default sync interval. */
export const DEFAULT_SYNC_INTERVAL_MS = 3 * 60_000;

/** The periodic task file from --file; a helpful usage error without it (the base --config is the Redis config file). */
export function periodicFile(file: string | undefined, config: string | undefined): string {
  if (file !== undefined && file.trim() !== '') return file;
  const hint =
    config === undefined
      ? ''
      : ` (--config names the Redis config file, as in Go's CLI; did you mean --file ${config}?)`;
  throw new ValidationError(`missing --file: the YAML file of periodic tasks to run${hint}`, {
    actions: [`asynq cron run --file ${config ?? 'periodic.yml'}`],
  });
}

export default class CronRun extends ConnectedCommand {
  static override handlesSignals = true;
  static override summary = 'Run the periodic tasks of a YAML file; edits to the file take effect at the next sync.';
  static override description = `A scheduler (Go asynq's PeriodicTaskManager) over the YAML file given with --file, for example (block style works too):
 configs:
 - {cronspec: "@daily", task_type: "report", payload: {user: "孙悟空"}}
 - {cronspec: "@every 30s", task_type: "ping", options: {queue: low}}

cronspec: 5 cron fields, @hourly/@daily/@weekly/@monthly/@yearly, "@every <duration>", optionally prefixed with CRON_TZ=<zone>. As in Go, an @every interval below 1s (also 0s or negative) runs every second and others are cut to whole seconds; cron run warns when it does that. payload (optional): a string is sent as its UTF-8 bytes, any other YAML value as its JSON text. options (optional): queue, max_retry, timeout, deadline, unique, process_in, retention, group, task_id, headers.

The file is checked before anything is registered: a mistake is one error line naming file:line:column (exit 2). While running, the file is read again every --sync-interval (and at once on SIGHUP): added, changed and removed entries take effect then; a broken edit is logged and the last good entries keep running.

Several "cron run" processes over the same file enqueue each tick once (a short Redis lock per entry and tick; see the README, "Periodic tasks"). The entries are listed by "asynq cron ls" (and by Go's CLI and Asynqmon) for as long as the process runs.

SIGINT or SIGTERM: stop, remove this scheduler's entries from Redis, exit 0; a second signal exits at once (130). Logs go to stderr.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %> --file periodic.yml',
    {
      description: 'Re-read the file every 10 seconds, log in JSON:',
      command: '<%= config.bin %> <%= command.id %> -f periodic.yml --sync-interval 10s --log-format json',
    },
    {description: 'Apply an edit now:', command: 'kill -HUP <pid>'},
    {
      description: 'In a service unit or CI job, fail on a broken file or an unreachable Redis:',
      command: '<%= config.bin %> <%= command.id %> -f periodic.yml -u redis://redis:6379 || exit $?',
    },
    {
      description: 'Print what ran as JSON when stopped:',
      command: '<%= config.bin %> <%= command.id %> -f periodic.yml --json',
    },
  ];

  static override flags = {
    file: Flags.string({char: 'f', helpValue: '<periodic.yml>', summary: 'YAML file of periodic tasks (required).'}),
    'sync-interval': duration({
      summary: 'How often the file is read again (at least 1s).',
      default: DEFAULT_SYNC_INTERVAL_MS,
      defaultHelp: async () => '3m',
    }),
    location: Flags.string({
      helpValue: '<zone>',
      summary: 'IANA time zone of the cron specs (default UTC); a CRON_TZ= prefix overrides it.',
    }),
    ...logFlags,
  };

  async run(): Promise<CronRunResult> {
    const {flags} = await this.parse(CronRun);
    const file = periodicFile(flags.file, flags.config);
    if (flags['sync-interval'] < 1000)
      throw new ValidationError(`--sync-interval must be at least 1s, got ${compactDuration(flags['sync-interval'])}`);
    const provider = new FilePeriodicTaskConfigProvider(file);
    const configs = await provider.getConfigs(); // a broken file fails here (exit 2), before Redis is touched
    const {logger} = loggerFromFlags(flags);
    for (const c of configs) {
      const note = everyRoundingNote(c.cronspec);
      if (note !== undefined) logger.warn(note);
    }
    // An unreachable Redis fails here (exit 5). The connection keeps ioredis's reconnecting
    // defaults, which ride out a Redis restart later on; it is closed after the manager.
    const redis = await this.reconnectingConnection();
    const counts = {enqueued: 0, failed: 0};
    const mgr = new PeriodicTaskManager({
      redis,
      provider,
      syncInterval: flags['sync-interval'],
      schedulerOpts: {
        location: flags.location,
        logger,
        postEnqueueFunc: (info, err) => {
          if (info === null || err !== null) counts.failed++;
          else {
            counts.enqueued++;
            logger.info('Enqueued task:', {type: info.type, taskId: info.id, queue: info.queue});
          }
        },
      },
    });
    const signals = this.lifecycle.untilStopped({
      logger,
      stopping: (sig) => `Received ${sig}: shutting down (send it again to exit at once)`,
      reload: () => this.#reload(mgr, file, logger),
    });
    try {
      await mgr.start();
      logger.info(
        `Running ${mgr.entries().length} periodic task(s) from ${file}, re-read every ${compactDuration(flags['sync-interval'])} or on SIGHUP`,
      );
      await signals.stopped;
      await signals.reloads();
      const entries = mgr.entries().map((e) => ({id: e.id, spec: e.spec, type: e.task.type}));
      await mgr.shutdown();
      logger.info(`Stopped: ${counts.enqueued} task(s) enqueued, ${counts.failed} failed`);
      return {file, entries, ...counts};
    } finally {
      await mgr.shutdown();
    }
  }

  /** SIGHUP: sync now, then write the entries to Redis so `asynq cron ls` shows the change at once. */
  async #reload(mgr: PeriodicTaskManager, file: string, logger: Logger): Promise<void> {
    logger.info(`Received SIGHUP: reading ${file} again`);
    await mgr.sync();
    await mgr.scheduler.heartbeat();
  }
}
