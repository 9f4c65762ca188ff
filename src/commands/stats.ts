import {Flags} from '@oclif/core';
import {formatTable, writeNdjson} from '../cli/output.js';
import {duration} from '../cli/flags.js';
import {statsDocument, type StatsResult} from '../cli/inspect/documents.js';
import {dailyTable, section, stateCountsTable} from '../cli/views/text.js';
import {InspectCommand} from '../cli/inspect/command.js';
import {ExitCode} from '../cli/exit-codes.js';
import {ValidationError} from '../lib/errors.js';
import type {Inspector} from '../lib/inspector.js';
import {sleep} from '../lib/sleep.js';
import {compactDuration} from '../lib/duration.js';

/** On a terminal: cursor to the top left, clear the screen (each --watch frame replaces the last). */
const CLEAR_SCREEN = '\x1b[H\x1b[2J';

export type {StatsResult};

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
  #read(inspector: Inspector): Promise<StatsResult> {
    return statsDocument(inspector);
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
