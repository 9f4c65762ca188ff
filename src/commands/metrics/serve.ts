import * as Flags from '@oclif/core/flags';
import {Inspector, queueMetrics, serveMetrics, ValidationError} from '../../lib/index.js';
import {ConnectedCommand} from '../../cli/command.js';
import {duration} from '../../cli/flags.js';
import {logFlags, loggerFromFlags} from '../../cli/log-flags.js';
import {compactDuration} from '../../cli/format/time.js';

export interface MetricsServeResult {
  url: string;
}

export default class MetricsServe extends ConnectedCommand {
  static override handlesSignals = true;
  static override summary =
    "Serve queue metrics for Prometheus at /metrics (the metrics of Go asynq's x/metrics collector).";
  static override description = `Exports, per queue, the metrics of Go asynq's QueueMetricsCollector with the same names, help texts, types and labels, so dashboards built for Go work unchanged: asynq_tasks_enqueued_total{queue,state} (gauge: active, pending, scheduled, retry, archived, completed), asynq_queue_size, asynq_queue_latency_seconds, asynq_queue_memory_usage_approx_bytes, asynq_tasks_processed_total and asynq_tasks_failed_total (counters), asynq_queue_paused_total (1 when paused).

Reading the queues costs Redis a few commands per queue: one reading serves every scrape for --interval (scrapes during a reading wait for it), however many Prometheus servers scrape. Go's collector reads on every scrape. The sampled MEMORY USAGE behind asynq_queue_memory_usage_approx_bytes, most of a reading's Redis time at large queues, is taken at most every --memory-interval; the readings in between report the last sample. The sampling is spread over the readings (each samples the queues sampled longest ago, its share of them for the time since the last reading), so no reading but the first samples every queue.

SIGINT or SIGTERM: stop serving and exit 0.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {
      description: 'Listen on every interface, read Redis at most every 30s:',
      command: '<%= config.bin %> <%= command.id %> --host 0.0.0.0 --port 9876 --interval 30s',
    },
  ];

  static override flags = {
    port: Flags.integer({
      min: 0,
      max: 65535,
      default: 9876,
      helpValue: '<port>',
      summary: 'TCP port to listen on (0: any free port, logged).',
    }),
    host: Flags.string({
      default: '127.0.0.1',
      helpValue: '<address>',
      summary: 'Address to listen on (0.0.0.0 or :: for every interface).',
    }),
    interval: duration({
      summary: 'How long one reading of the queues serves scrapes (at least 1s).',
      default: 15_000,
      defaultHelp: async () => '15s',
    }),
    'memory-interval': duration({
      summary: "How often a reading also samples the queues' memory usage (at most --interval: every reading, as Go).",
      default: 60_000,
      defaultHelp: async () => '60s',
    }),
    ...logFlags,
  };

  async run(): Promise<MetricsServeResult> {
    const {flags} = await this.parse(MetricsServe);
    if (flags.interval < 1000)
      throw new ValidationError(`--interval must be at least 1s, got ${compactDuration(flags.interval)}`);
    const {logger} = loggerFromFlags(flags);
    // Fails here (exit 5) when Redis is unreachable; reconnects on its own later on.
    const inspector = new Inspector(await this.reconnectingConnection());
    const metrics = queueMetrics(inspector, {
      intervalMs: flags.interval,
      memoryIntervalMs: flags['memory-interval'],
      logger,
    });
    const signals = this.lifecycle.untilStopped({logger, stopping: (sig) => `Received ${sig}: shutting down`});
    const http = await serveMetrics({port: flags.port, host: flags.host, registry: metrics.registry});
    try {
      logger.info(
        `Serving queue metrics at ${http.url}/metrics (Redis read at most every ${compactDuration(flags.interval)})`,
      );
      await signals.stopped;
      return {url: `${http.url}/metrics`};
    } finally {
      await http.close();
    }
  }
}
