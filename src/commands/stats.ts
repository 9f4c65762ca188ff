import * as Flags from '@oclif/core/flags';
import {formatTable, writeNdjson} from '../cli/output.js';
import {duration} from '../cli/flags.js';
import {queueInfoJson, type QueueInfoJson} from '../cli/views/json.js';
import {dailyTable, section, stateCountsTable} from '../cli/views/text.js';
import {InspectCommand} from '../cli/inspect/command.js';
import {ExitCode} from '../cli/exit-codes.js';
import {ValidationError, errorMessage, isBadData} from '../lib/errors.js';
import type {QueueInfo} from '../lib/index.js';
import type {Inspector} from '../lib/inspector.js';
import {sleep} from '../lib/sleep.js';
import {compactDuration} from '../lib/duration.js';

/** On a terminal: cursor to the top left, clear the screen (each --watch frame replaces the last). */
const CLEAR_SCREEN = '\x1b[H\x1b[2J';

const COUNTED = [
  'active',
  'pending',
  'aggregating',
  'scheduled',
  'retry',
  'archived',
  'completed',
  'processed',
  'failed',
] as const;

export interface StatsResult {
  /** Sums over all queues; processed/failed are today's (UTC). */
  aggregate: Record<(typeof COUNTED)[number], number> & {timestamp: string};
  queues: QueueInfoJson[];
  /** INFO fields of the server (CLUSTER INFO fields on a Redis Cluster). */
  redis: Record<string, string>;
  /** Only when some: queues left out because their keys hold bad data (exit status 6). */
  brokenQueues?: Array<{queue: string; error: string}>;
}

export default class Stats extends InspectCommand {
  static override summary = "Show task counts by state and queue, today's processed/failed counts, and Redis facts.";
  static override description = `The same overview as Go asynq's "asynq stats": tasks per state (all queues), the size of each queue ("(paused)" marks paused queues), today's processed and failed counts (UTC) and Redis version, uptime, clients and memory (on a Redis Cluster: its state, known nodes and size).

A queue whose keys hold bad data (a key of the wrong Redis type) is left out and named on stderr, and the command then exits 6.

It reads a fixed number of keys per queue (memory usage is sampled), so it is cheap enough to poll.

With --watch it reads them again every --interval until Ctrl-C (SIGINT) or SIGTERM, which end it with exit status 0 (a second Ctrl-C ends it at once with 130): on a terminal each reading replaces the last one in place (the screen is cleared and redrawn); otherwise the readings follow each other, separated by a blank line. With --json each reading is one JSON document on one line (NDJSON). A queue with bad data is named on stderr once and left out of every reading; Redis becoming unreachable ends the command (exit 5).`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {
      description: "Print the numbers as JSON and pick today's failure count:",
      command: '<%= config.bin %> <%= command.id %> --json | jq .aggregate.failed',
    },
    {
      description: 'In CI, fail when any task is archived:',
      command: 'test "$(<%= config.bin %> <%= command.id %> --json | jq .aggregate.archived)" -eq 0 || exit 1',
    },
    {
      description: 'Refresh in place every 3 seconds until Ctrl-C:',
      command: '<%= config.bin %> <%= command.id %> --watch --interval 3s',
    },
    {
      description: "Follow today's failure count, one JSON document per line:",
      command: '<%= config.bin %> <%= command.id %> --watch --json | jq --unbuffered .aggregate.failed',
    },
  ];

  /** --watch runs until a signal (untilStopped); without it the first SIGINT ends the command with 130 as usual. */
  static override handlesSignals = true;

  static override flags = {
    watch: Flags.boolean({char: 'w', summary: 'Read the stats again every --interval until Ctrl-C (exit status 0).'}),
    interval: duration({
      summary: 'With --watch: time between two readings (at least 100ms).',
      default: 2000,
      defaultHelp: async () => '2s',
    }),
  };

  async run(): Promise<StatsResult | undefined> {
    const {flags} = await this.parse(Stats);
    if (!flags.watch) {
      this.lifecycle.interruptOnSigint();
      return this.#once();
    }
    if (flags.interval < 100)
      throw new ValidationError(`--interval must be at least 100ms, got ${compactDuration(flags.interval)}`);
    await this.#watch(flags.interval);
    return undefined; // the documents are already out, one per line
  }

  /** One reading, printed (table or --json document); exit 6 after it if a queue holds bad data. */
  async #once(): Promise<StatsResult> {
    const inspector = await this.inspector();
    const result = await this.#read(inspector);
    const broken = result.brokenQueues ?? [];
    if (!this.jsonEnabled()) this.log(this.#render(result, inspector.isCluster));
    for (const b of broken) this.logToStderr(`Warning: queue "${b.queue}" left out: bad data in Redis: ${b.error}`);
    if (broken.length > 0) {
      // The rest is shown as usual; then exit 6 (oclif prints no --json result for a command that exits).
      if (this.jsonEnabled()) this.logJson(result);
      this.exit(ExitCode.BAD_DATA);
    }
    return result;
  }

  /**
   * --watch: a reading every `intervalMs` (measured from the start of the previous one) until
   * SIGINT/SIGTERM. On a terminal each frame clears the screen; --json writes NDJSON.
   */
  async #watch(intervalMs: number): Promise<void> {
    const inspector = await this.inspector();
    const quit = new AbortController();
    this.lifecycle.untilStopped({stop: () => quit.abort()});
    const warned = new Set<string>();
    const tty = process.stdout.isTTY === true && !this.jsonEnabled();
    let first = true;
    while (!quit.signal.aborted) {
      const started = Date.now();
      const result = await this.#read(inspector);
      if (quit.signal.aborted) break;
      for (const b of result.brokenQueues ?? []) {
        if (warned.has(b.queue)) continue;
        warned.add(b.queue);
        this.warn(`queue "${b.queue}" left out: bad data in Redis: ${b.error}`);
      }
      if (this.jsonEnabled()) {
        writeNdjson(process.stdout, result);
      } else {
        const header = `Every ${compactDuration(intervalMs)}: asynq stats    ${new Date().toISOString()}`;
        const frame = `${header}\n\n${this.#render(result, inspector.isCluster)}\n`;
        process.stdout.write(tty ? `${CLEAR_SCREEN}${frame}` : `${first ? '' : '\n'}${frame}`);
      }
      first = false;
      await sleep(Math.max(0, started + intervalMs - Date.now()), quit.signal);
    }
  }

  /** Reads every queue's info and Redis INFO; a queue with bad data is listed in brokenQueues. */
  async #read(inspector: Inspector): Promise<StatsResult> {
    const infos: QueueInfo[] = [];
    const broken: Array<{queue: string; error: string}> = [];
    for (const q of await inspector.queues()) {
      try {
        infos.push(await inspector.getQueueInfo(q));
      } catch (err) {
        // A key of the wrong Redis type in one queue: show the others, name this one, exit 6.
        if (!isBadData(err)) throw err;
        broken.push({queue: q, error: errorMessage(err)});
      }
    }
    const {info} = await inspector.redisInfo();
    const sums = Object.fromEntries(COUNTED.map((k) => [k, infos.reduce((n, q) => n + q[k], 0)])) as Record<
      (typeof COUNTED)[number],
      number
    >;
    const aggregate = {...sums, timestamp: (infos[0]?.timestamp ?? new Date()).toISOString()};
    const result: StatsResult = {
      aggregate,
      queues: infos.map(queueInfoJson),
      redis: info,
      ...(broken.length > 0 ? {brokenQueues: broken} : {}),
    };
    return result;
  }

  #render(r: StatsResult, cluster: boolean): string {
    const byQueue =
      r.queues.length === 0
        ? 'No queues'
        : formatTable(
            r.queues.map((q) => (q.paused ? `${q.queue} (paused)` : q.queue)),
            [r.queues.map((q) => q.size)],
          );
    const i = r.redis;
    const redis = cluster
      ? section(
          'Redis Cluster Info',
          formatTable(
            ['State', 'Known Nodes', 'Cluster Size'],
            [[(i.cluster_state ?? '').toUpperCase(), i.cluster_known_nodes, i.cluster_size]],
          ),
        )
      : section(
          'Redis Info',
          formatTable(
            ['version', 'uptime', 'connections', 'memory usage', 'peak memory usage'],
            [
              [
                i.redis_version,
                `${i.uptime_in_days ?? '?'} days`,
                i.connected_clients,
                `${i.used_memory_human ?? '?'}B`,
                `${i.used_memory_peak_human ?? '?'}B`,
              ],
            ],
          ),
        );
    return [
      section('Task Count by State', stateCountsTable(r.aggregate)),
      '',
      section('Task Count by Queue', byQueue),
      '',
      section(
        `Daily Stats ${r.aggregate.timestamp.slice(0, 10)} UTC`,
        dailyTable(r.aggregate.processed, r.aggregate.failed),
      ),
      '',
      redis,
    ].join('\n');
  }
}
