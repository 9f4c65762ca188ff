/**
 * OpenTelemetry traces through task headers. `@opentelemetry/api` is an optional peer
 * dependency: it is loaded once, with import(), the first time tracing is used, and when it is
 * not installed the middleware calls the next handler as it is and the client adds no header.
 *
 * - The trace context travels in the task's headers (Go asynq's TaskMessage `headers`), under
 *   the keys of the global propagator: `traceparent` and `tracestate` with W3C Trace Context
 *   (the usual setup), so a Go producer that sets the same headers starts the same trace.
 * - otelMiddleware() starts one CONSUMER span per task attempt, child of the context extracted
 *   from the headers, with the messaging semantic-convention attributes; the handler runs in
 *   it, so its own spans nest under it.
 * - Client `propagateTraceContext: true` injects the active context into each task's headers at
 *   enqueue; headers the task already has under those keys win.
 */
import type * as OtelApi from '@opentelemetry/api';
import type {Handler, MiddlewareFunc, TaskContext} from './handler.js';
import {toHandler} from './handler.js';
import type {Task} from './task.js';

type Api = typeof OtelApi;

/** undefined: not tried yet; null: not installed. */
let api: Api | null | undefined;
let loading: Promise<Api | null> | undefined;

/** @opentelemetry/api, or null when it is not installed (tried once). */
async function loadOtel(): Promise<Api | null> {
  if (api !== undefined) return api;
  loading ??= import('@opentelemetry/api').then(
    (m: Api) => (api = m),
    () => (api = null),
  );
  return loading;
}

/** The headers that carry the active trace context (empty without @opentelemetry/api or an active span). */
export async function traceContextHeaders(): Promise<Record<string, string>> {
  const otel = api === undefined ? await loadOtel() : api;
  const carrier: Record<string, string> = {};
  if (otel) otel.propagation.inject(otel.context.active(), carrier);
  return carrier;
}

export interface OtelMiddlewareOptions {
  /**
   * Where the tracer comes from (default the global tracer provider): an @opentelemetry/api
   * TracerProvider. Typed by what the middleware calls, so that these declarations compile
   * without @opentelemetry/api installed (it is an optional peer).
   */
  tracerProvider?: {getTracer(name: string, version?: string, options?: object): unknown};
  /** The tracer's name (default 'asynq-ts'). */
  tracerName?: string;
}

/**
 * A middleware that starts a CONSUMER span `process <queue>` per task attempt, with the
 * messaging semantic-convention attributes (messaging.system "asynq", the queue, the task ID,
 * operation "process") and asynq.task.type / asynq.task.retry_count, as a child of the trace
 * context in the task's headers. A failed attempt records the error and sets status ERROR.
 *
 * ```ts
 * mux.use(otelMiddleware());
 * ```
 */
export function otelMiddleware(opts: OtelMiddlewareOptions = {}): MiddlewareFunc {
  return (next: Handler) => {
    const inner = toHandler(next);
    return async (task: Task, ctx: TaskContext): Promise<void> => {
      const otel = api === undefined ? await loadOtel() : api;
      if (!otel) return inner.processTask(task, ctx);
      const provider = (opts.tracerProvider as OtelApi.TracerProvider | undefined) ?? otel.trace.getTracerProvider();
      const tracer = provider.getTracer(opts.tracerName ?? 'asynq-ts');
      const parent = otel.propagation.extract(otel.ROOT_CONTEXT, task.headers);
      const span = tracer.startSpan(
        `process ${ctx.queue}`,
        {
          kind: otel.SpanKind.CONSUMER,
          attributes: {
            'messaging.system': 'asynq',
            'messaging.destination.name': ctx.queue,
            'messaging.message.id': ctx.taskId,
            'messaging.operation': 'process',
            'messaging.operation.type': 'process',
            'messaging.operation.name': 'process',
            'asynq.task.type': task.type,
            'asynq.task.retry_count': ctx.retryCount,
          },
        },
        parent,
      );
      try {
        await otel.context.with(otel.trace.setSpan(parent, span), () => inner.processTask(task, ctx));
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        span.recordException(e);
        span.setStatus({code: otel.SpanStatusCode.ERROR, message: e.message});
        throw err;
      } finally {
        span.end();
      }
    };
  };
}
