/**
 * OpenTelemetry through task headers, with the SDK's in-memory exporter: a Client with
 * propagateTraceContext writes `traceparent` into the task message's headers (as Go decodes
 * them), and a Server with otelMiddleware() continues that trace in a CONSUMER span carrying the
 * messaging attributes; a task from a Go producer that set the header continues its trace too.
 */
import {context, propagation, SpanKind, SpanStatusCode, trace} from '@opentelemetry/api';
import {AsyncLocalStorageContextManager} from '@opentelemetry/context-async-hooks';
import {W3CTraceContextPropagator} from '@opentelemetry/core';
import {BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor} from '@opentelemetry/sdk-trace-base';
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest';
import {Client} from '../../src/lib/client.js';
import {Server} from '../../src/lib/server.js';
import {ServeMux} from '../../src/lib/servemux.js';
import {Task} from '../../src/lib/task.js';
import {otelMiddleware} from '../../src/lib/tracing.js';
import {recordingLogger} from '../support/logger.js';
import {useRedis} from '../support/redis.js';
import {makeMsg, readMsg, seedPending} from '../support/seed.js';
import {waitFor} from '../support/wait.js';
import {readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {ensureBuilt, ROOT} from '../support/cli.js';

const r = useRedis();
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({spanProcessors: [new SimpleSpanProcessor(exporter)]});
const tracer = provider.getTracer('test');

beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  trace.disable();
  propagation.disable();
  context.disable();
});
afterEach(() => exporter.reset());

/** Runs a server whose mux traces with otelMiddleware() until `done` holds, then shuts it down. */
async function work(done: () => boolean): Promise<void> {
  const mux = new ServeMux();
  mux.use(otelMiddleware());
  mux.handleFunc('ok', async () => {
    tracer.startSpan('inside the handler').end(); // nests under the consumer span
  });
  mux.handleFunc('fail', () => {
    throw new Error('smtp: 421');
  });
  const srv = new Server(r.server.url, {logger: recordingLogger(), concurrency: 2});
  await srv.start(mux);
  try {
    await waitFor(() => done() || undefined, 'the spans', 10_000);
  } finally {
    await srv.shutdown();
  }
}

describe('OpenTelemetry: otelMiddleware and Client propagateTraceContext', () => {
  it('one trace spans enqueue → process; the task hash carries traceparent in the headers Go reads', async () => {
    const client = new Client(r.server.url, {propagateTraceContext: true});
    let producer!: {traceId: string; spanId: string};
    try {
      await tracer.startActiveSpan('send ok', {kind: SpanKind.PRODUCER}, async (span) => {
        producer = span.spanContext();
        await client.enqueue(new Task('ok', {n: 1}, {headers: {tenant: 'acme'}}), {taskId: 't1'});
        span.end();
      });
      // Without an active span nothing is added.
      await client.enqueue(new Task('ok', null), {taskId: 't0'});
    } finally {
      await client.close();
    }
    const msg = await readMsg(r.redis, 'default', 't1'); // decoded with the codec, as Go's proto
    expect(msg.headers).toEqual({tenant: 'acme', traceparent: `00-${producer.traceId}-${producer.spanId}-01`});
    expect((await readMsg(r.redis, 'default', 't0')).headers).toEqual({});

    const consumers = () => exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CONSUMER);
    await work(() => consumers().length === 2 && exporter.getFinishedSpans().length === 5);
    const spans = exporter.getFinishedSpans();
    const consumer = consumers().find((s) => s.attributes['messaging.message.id'] === 't1')!;
    expect(consumer.name).toBe('process default');
    expect(consumer.spanContext().traceId).toBe(producer.traceId);
    expect(consumer.parentSpanContext?.spanId).toBe(producer.spanId);
    expect(consumer.attributes).toEqual({
      'messaging.system': 'asynq',
      'messaging.destination.name': 'default',
      'messaging.message.id': 't1',
      'messaging.operation': 'process',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'asynq.task.type': 'ok',
      'asynq.task.retry_count': 0,
    });
    const inside = spans.filter((s) => s.name === 'inside the handler');
    expect(inside.map((s) => s.parentSpanContext?.spanId).sort()).toEqual(
      consumers()
        .map((s) => s.spanContext().spanId)
        .sort(),
    );
    // t0 had no trace context: a new trace.
    const t0 = consumers().find((s) => s.attributes['messaging.message.id'] === 't0')!;
    expect(t0.spanContext().traceId).not.toBe(producer.traceId);
    expect(t0.parentSpanContext).toBeUndefined();
  });

  it('continues the trace a Go producer set in the headers; a failed attempt sets status ERROR', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    await seedPending(r.redis, [
      {msg: makeMsg('g1', {type: 'fail', retry: 0, headers: {traceparent: `00-${traceId}-${parentId}-01`, tracestate: 'go=1'}})},
    ]);
    await work(() => exporter.getFinishedSpans().length === 1);
    const [span] = exporter.getFinishedSpans();
    expect(span!.spanContext().traceId).toBe(traceId);
    expect(span!.parentSpanContext?.spanId).toBe(parentId);
    expect(span!.parentSpanContext?.traceState?.get('go')).toBe('1');
    expect(span!.status).toEqual({code: SpanStatusCode.ERROR, message: 'smtp: 421'});
    expect(span!.events.map((e) => e.name)).toEqual(['exception']);
  });
});

describe('the declarations without @opentelemetry/api', () => {
  it('no .d.ts of the package imports it (an optional peer: a TypeScript user without it must still compile)', () => {
    ensureBuilt();
    const found: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, {withFileTypes: true})) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.d.ts') && /(from|import\()\s*['"]@opentelemetry\//.test(readFileSync(p, 'utf8'))) found.push(p);
      }
    };
    walk(join(ROOT, 'lib'));
    expect(found).toEqual([]);
  });
});
