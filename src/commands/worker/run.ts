import {availableParallelism} from 'node:os';
import * as Flags from '@oclif/core/flags';
import {
  closeRedisClient,
  serveMetrics,
  Server,
  WorkerHealth,
  workerMetrics,
  type MetricsHttpServer,
} from '../../lib/index.js';
import {promClient} from '../../lib/metrics/prom-client.js';
import {execIsFailure} from '../../cli/worker/exec-handler.js';
import {parseLimitFlags} from '../../cli/worker/limits.js';
import {ConnectedCommand} from '../../cli/command.js';
import {duration} from '../../cli/flags.js';
import {logFlags, loggerFromFlags} from '../../cli/log-flags.js';
import {buildWorkerHandler, logEachTask, parseQueueFlags, type TaskCounts} from '../../cli/worker/handlers.js';

export interface WorkerRunResult {
  queues: Record<string, number>;
  tasks: TaskCounts;
}

export default class WorkerRun extends ConnectedCommand {
  static override handlesSignals = true;
  static override summary =
    'Run a worker: process tasks with shell commands (--exec) or a JavaScript module (--handlers).';
  static override description = `--exec PATTERN=COMMAND runs COMMAND for every task whose type matches PATTERN: an exact type, or a prefix ending with * or : (email:* and email: both match email:welcome). The command line is split into words as a shell would split it, but no shell ever runs it and nothing in it is expanded; the payload is never part of it.

The command reads the task payload on stdin, byte for byte, and finds ASYNQ_TASK_ID, ASYNQ_TASK_TYPE, ASYNQ_QUEUE, ASYNQ_RETRY_COUNT, ASYNQ_MAX_RETRY and ASYNQ_DEADLINE in its environment. What it prints on stdout becomes the task result (up to 1 MiB; readable while the task is retained, see enqueue --retention).

Its exit status decides: 0 is success; 75 (EX_TEMPFAIL) retries later without using up a retry, e.g. for rate limits (after SECONDS when stderr has a line "Retry-After: SECONDS", else after the usual retry delay); 65 (EX_DATAERR) fails now and archives the task, e.g. for a payload that can never work; anything else fails the attempt (retried while retries are left) with the end of stderr as the task's error. On timeout, deadline, cancelation (asynq task cancel) or shutdown the command's whole process group gets SIGTERM, then SIGKILL after --kill-grace.

--handlers MODULE imports a .js, .mjs or .cjs module (or .ts on Node >= 22.6, or with tsx installed in your project) whose default export is a ServeMux, a handler function (task, ctx) => ..., or an object mapping type patterns to functions. --exec patterns are tried first; other tasks go to the module.

--metrics-port P serves, on --metrics-host (default 127.0.0.1): /metrics for Prometheus (per queue and task type: asynq_worker_tasks_processed_total, _failed_total, _retried_total, _archived_total, _skipped_total, the asynq_worker_task_duration_seconds histogram, asynq_worker_tasks_in_flight; asynq_worker_concurrency, asynq_worker_dequeue_errors_total, and Node's process metrics); /healthz (200 while the process and its event loop run); /readyz (200 while the worker takes tasks and Redis answers; 503 while starting, after SIGTSTP, while shutting down or when Redis is unreachable).

SIGINT or SIGTERM: stop taking tasks, let running ones finish for --shutdown-timeout, requeue the rest and exit 0; a second signal exits at once (130) and kills running commands. SIGTSTP: stop taking new tasks. One log line per task goes to stderr (type, id, queue, duration, outcome).

--limit MATCH=RULE[, RULE...] (repeatable) caps the whole fleet of asynq-ts workers on this Redis, not just this process. MATCH is a task type or pattern (email:*), queue:NAME (a whole queue), queue:NAME/PATTERN, or type:PATTERN. RULE is a rate, N/s, N/m, N/h or N/DURATION (at most N task starts per interval, bursts of at most "burst N", default one second's worth), "concurrency N" (at most N running at once; Go handlers using x/rate's semaphore with the same scope share it), or "scope NAME" (that x/rate scope, key asynq:sema:NAME). A task over a limit is not started and not counted as failed: it goes back to pending (or scheduled, when the limit frees later than the forwarder's interval), and the worker goes on with its other queues and types. asynq limit ls shows each limit's use.

Crash recovery: the tasks of a worker that died (SIGKILL, power loss) are retried by any worker once their lease (--lease-duration) has been expired for --recovery-grace, checked every --recovery-interval: with the defaults 30s + 30s + up to 1m, as Go asynq; e.g. --lease-duration 10s --recovery-interval 5s --recovery-grace 0 recovers within 15s.`;

  static override examples = [
    `<%= config.bin %> <%= command.id %> --exec 'email:*=./send-email.sh' --queues critical=6,default=3,low=1`,
    `<%= config.bin %> <%= command.id %> --handlers ./handlers.js --concurrency 20 --log-format json`,
    `<%= config.bin %> <%= command.id %> --exec 'build:docs=make docs' --queue builds --shutdown-timeout 30s || exit $?`,
    `<%= config.bin %> <%= command.id %> --exec 'report:*=python3 report.py' --json`,
    `<%= config.bin %> <%= command.id %> --handlers ./handlers.js --metrics-port 9877 --metrics-host 0.0.0.0`,
    `<%= config.bin %> <%= command.id %> --exec 'email:*=./send.sh' --limit 'email:*=50/s' --limit 'queue:reports=concurrency 5'`,
  ];

  static override flags = {
    queues: Flags.string({
      helpValue: '<name=priority,...>',
      summary: 'Queues and their priorities (default: default=1).',
    }),
    queue: Flags.string({
      char: 'q',
      multiple: true,
      multipleNonGreedy: true,
      helpValue: '<name[=priority]>',
      summary: 'A queue to process (repeatable; priority 1 if omitted).',
    }),
    strict: Flags.boolean({
      summary: 'Strict priority: serve a lower-priority queue only when every higher one is empty.',
    }),
    concurrency: Flags.integer({
      char: 'c',
      min: 1,
      helpValue: '<n>',
      summary: 'Tasks processed at once (default: the number of CPUs).',
    }),
    'shutdown-timeout': duration({
      summary:
        'On SIGTERM/SIGINT, how long running tasks may finish before they are requeued (default 8s; the shutdown ends within about this + 1s, also while Redis is down).',
    }),
    'lease-duration': duration({
      summary:
        'Lease on each running task, renewed every 5s or every third of it if shorter (default 30s, at least 5s).',
    }),
    'recovery-interval': duration({
      summary: 'How often to look for tasks of crashed workers whose lease expired (default 1m, at least 1s).',
    }),
    'recovery-grace': duration({
      summary:
        'How long a lease must have been expired before its task is recovered, for clock differences between hosts (default 30s; 0 if the clocks agree).',
    }),
    handlers: Flags.string({helpValue: '<module>', summary: 'JavaScript module whose default export handles tasks.'}),
    exec: Flags.string({
      multiple: true,
      multipleNonGreedy: true,
      helpValue: '<pattern=command>',
      summary: 'Run a command for each task whose type matches (repeatable).',
    }),
    limit: Flags.string({
      multiple: true,
      multipleNonGreedy: true,
      helpValue: '<match=rule,...>',
      summary:
        "Fleet-wide limit (repeatable): 'email:*=50/s', 'queue:reports=concurrency 5', 'queue:api=1000/m, burst 50'.",
    }),
    'kill-grace': duration({summary: 'Pause between SIGTERM and SIGKILL of an aborted --exec command (default 5s).'}),
    'metrics-port': Flags.integer({
      min: 0,
      max: 65535,
      helpValue: '<port>',
      summary: 'Serve /metrics, /healthz and /readyz on this port (0: any free port, logged).',
    }),
    'metrics-host': Flags.string({
      default: '127.0.0.1',
      helpValue: '<address>',
      summary: 'Address of the --metrics-port server (0.0.0.0 or :: for every interface).',
    }),
    ...logFlags,
  };

  async run(): Promise<WorkerRunResult> {
    const {flags} = await this.parse(WorkerRun);
    const {logger, level} = loggerFromFlags(flags);
    const queues = parseQueueFlags(flags.queues, flags.queue);
    const limits = parseLimitFlags(flags.limit);
    const built = await buildWorkerHandler({
      exec: flags.exec,
      handlers: flags.handlers,
      killGraceMs: flags['kill-grace'],
      logger,
    });
    const counts: TaskCounts = {succeeded: 0, failed: 0};
    // Fail fast (exit 5, one clear line) when Redis is unreachable. The Server opens and
    // configures its own connection (auto-pipelining, fail-fast at shutdown), so this one goes.
    await closeRedisClient(await this.failFastConnection());
    const metrics =
      flags['metrics-port'] === undefined
        ? undefined
        : workerMetrics({isFailure: execIsFailure, concurrency: flags.concurrency ?? availableParallelism()});
    const server = new Server(this.connection().conn, {
      queues,
      strictPriority: flags.strict,
      concurrency: flags.concurrency,
      shutdownTimeout: flags['shutdown-timeout'],
      leaseDuration: flags['lease-duration'],
      recoveryInterval: flags['recovery-interval'],
      recoveryGrace: flags['recovery-grace'],
      isFailure: execIsFailure,
      logger,
      logLevel: level,
      onDequeueError: metrics?.dequeueError,
      limits,
    });
    let stopping = false;
    const {stopped} = this.lifecycle.untilStopped({
      logger,
      stopping: () => 'Shutting down (send the signal again to exit at once)',
      stop: () => {
        stopping = true;
        void server.shutdown(); // also covers a signal that arrives while the server is still starting
      },
      force: () => {
        for (const e of built.execs) e.killAll('SIGKILL');
      },
      tstp: () => {
        if (server.state === 'active') server.stop();
      },
    });
    let http: MetricsHttpServer | undefined;
    let health: WorkerHealth | undefined;
    try {
      if (metrics) {
        promClient().collectDefaultMetrics({register: metrics.registry});
        health = new WorkerHealth({server, redis: await this.reconnectingConnection()});
        health.start();
        const probes = health;
        http = await serveMetrics({
          port: flags['metrics-port']!,
          host: flags['metrics-host'],
          registry: metrics.registry,
          healthz: () => probes.healthz(),
          readyz: () => probes.readyz(),
        });
        logger.info(
          `Serving worker metrics at ${http.url}/metrics, probes at ${http.url}/healthz and ${http.url}/readyz`,
        );
      }
      logger.info(
        `Worker: queues ${Object.entries(queues)
          .map(([q, p]) => `${q}=${p}`)
          .join(',')}; handlers: ${built.description.join('; ')}`,
      );
      await server
        .start(logEachTask(metrics ? metrics.wrap(built.handler) : built.handler, logger, counts))
        .catch((err: unknown) => {
          if (!stopping || server.state !== 'closed') throw err; // else: a signal stopped it while it was starting
        });
      await stopped;
      await server.shutdown();
      await Promise.all(built.execs.map((e) => e.close()));
    } finally {
      await server.shutdown();
      health?.stop();
      await http?.close();
    }
    return {queues, tasks: counts};
  }
}
