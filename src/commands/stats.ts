import {formatTable} from '../cli/output.js';
import {queueInfoJson, type QueueInfoJson} from '../cli/views/json.js';
import {dailyTable, section, stateCountsTable} from '../cli/views/text.js';
import {InspectCommand} from '../cli/inspect/command.js';
import {ExitCode} from '../cli/exit-codes.js';
import {errorMessage, isBadData} from '../lib/errors.js';
import type {QueueInfo} from '../lib/index.js';

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

It reads a fixed number of keys per queue (memory usage is sampled), so it is cheap enough to poll, e.g. with watch(1).`;

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
    {description: 'Refresh every 3 seconds:', command: 'watch -n 3 <%= config.bin %> <%= command.id %>'},
  ];

  async run(): Promise<StatsResult> {
    await this.parse(Stats);
    const inspector = await this.inspector();
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
    const aggregate = {...sums, timestamp: (infos[0]?.timestamp ?? this.now).toISOString()};
    const result: StatsResult = {
      aggregate,
      queues: infos.map(queueInfoJson),
      redis: info,
      ...(broken.length > 0 ? {brokenQueues: broken} : {}),
    };
    if (!this.jsonEnabled()) this.log(this.#render(result, inspector.isCluster));
    for (const b of broken) this.logToStderr(`Warning: queue "${b.queue}" left out: bad data in Redis: ${b.error}`);
    if (broken.length > 0) {
      // The rest is shown as usual; then exit 6 (oclif prints no --json result for a command that exits).
      if (this.jsonEnabled()) this.logJson(result);
      this.exit(ExitCode.BAD_DATA);
    }
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
