/**
 * asynq-ts public API (package root). Everything a user imports comes from here; internals
 * (broker, scripts, codec) are not exported.
 */
export {Client, DEFAULT_MAX_PAYLOAD_BYTES, type ClientOptions, type EnqueueManyItem} from './client.js';
export {Task, type TaskInfo, type TaskOptions, type TaskPayload, type ResultWriter} from './task.js';
export {TASK_STATES, type TaskState} from './base/states.js';
export {toMs, goDurationString, goUnixDate, type Duration} from './duration.js';
export {
  parseRedisURI, createRedisClient, closeRedisClient,
  type RedisConnOpt, type RedisClientOpt, type RedisFailoverClientOpt, type RedisClusterClientOpt, type RedisConnection,
} from './redis.js';
export {realClock, SimulatedClock, type Clock} from './clock.js';
export {
  AsynqError, ValidationError, PayloadTooLargeError, DuplicateTaskError, TaskIdConflictError, QueueNotFoundError, TaskNotFoundError, SchedulerEntryNotFoundError,
  QueueNotEmptyError, FailedPreconditionError, RedisCommandError, RedisUnavailableError, InternalError,
  TaskFailedError, WaitTimeoutError, ReplicationTimeoutError, ServerStateError, ServerClosedError, HandlerNotFoundError,
  SkipRetry, RevokeTask, RetryAfterError, DeadlineExceededError, CanceledError, HandlerPanicError,
  BadDataError, DecodeError, WrongTypeError, isBadData,
  type ErrorCode,
} from './errors.js';
export {
  Inspector, BULK_STATES, type InspectorOptions, type QueueInfo, type DailyStats, type GroupInfo, type ServerInfo, type LimitInfo, type WorkerInfo,
  type SchedulerEntry, type SchedulerEnqueueEvent, type ClusterNode, type RedisServerInfo, type Pagination, type ListTasksOptions, type BulkAction, type BadTask,
} from './inspector.js';
export {Server, type ServerOptions} from './server.js';
export {ServeMux, notFoundHandler} from './servemux.js';
export {isPanic, type Handler, type HandlerFunc, type TaskContext, type MiddlewareFunc, type ErrorHandler, type ErrorHandlerFunc} from './handler.js';
export {Semaphore, type SemaphoreContext} from './limits/semaphore.js';
export {type LimitSpec, type LimitMatch, type RateSpec} from './limits/spec.js';
export {isSkipRetry, isRevokeTask, retryAfterMs, defaultRetryDelayFunc, type RetryDelayFunc, type IsFailureFunc} from './retry.js';
export {createLogger, type LogFields, type Logger, type LogLevel} from './logger.js';
export {type HealthCheckFunc} from './healthchecker.js';
export {type GroupAggregator, type GroupAggregatorFunc} from './aggregator.js';
export {Scheduler, periodicTaskIdentity, type SchedulerOptions, type SchedulerEntryInfo, type SchedulerTimer} from './scheduler.js';
export {PeriodicTaskManager, type PeriodicTaskConfig, type PeriodicTaskConfigProvider, type PeriodicTaskManagerOptions} from './periodic-task-manager.js';
export {FilePeriodicTaskConfigProvider, parsePeriodicTaskConfigs} from './yaml-config-provider.js';
export {parseCronSpec, type CronSchedule} from './cron-spec.js';
export {optionStrings} from './option-strings.js';
export {queueMetrics, QueueMetrics, QUEUE_METRICS, DEFAULT_QUEUE_METRICS_INTERVAL_MS, type QueueMetricsOptions} from './metrics/queue-metrics.js';
export {workerMetrics, WorkerMetrics, DEFAULT_TASK_DURATION_BUCKETS, type WorkerMetricsOptions} from './metrics/worker-metrics.js';
export {WorkerHealth, type WorkerHealthOptions} from './metrics/health.js';
export {otelMiddleware, type OtelMiddlewareOptions} from './tracing.js';
export {serveMetrics, type MetricsHttpOptions, type MetricsHttpServer, type ProbeResult} from './metrics/http.js';
export {waitForTask, waitForTaskSuccess, FINAL_STATES, type TaskInfoSource, type WaitOptions} from './wait.js';
