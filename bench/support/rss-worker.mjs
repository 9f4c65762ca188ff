/**
 * Child process for the memory and allocation scenarios: runs one worker until `n` tasks were
 * handled and prints one JSON line on stdout.
 *   node rss-worker.mjs asynq|bullmq|floor <port> <n> <concurrency> <queue> [rss|alloc|rate|rate-metrics]
 * rss (default): {peakRssMB, endRssMB, ms}. The peak is the kernel's high-water mark of the
 *   process's resident set (VmHWM in /proc/self/status, read at the end: it misses nothing between
 *   samples); without /proc, the highest of RSS samples taken every 20 ms.
 * alloc: {allocBytesPerTask, tasks, gcs, ms}: bytes allocated on the V8 heap per task while the
 *   worker handles tasks warm-up+1 … n (the first 10% are a warm-up: connections, code paths,
 *   scripts). Measured with v8.GCProfiler: every byte allocated in the window is either still in
 *   use at its end or freed by one of its GCs, so allocated = used_end − used_start + Σ over GCs
 *   (used before − used after). Counts the JS heap only (Buffers' backing stores are off-heap).
 * rate: {tasksPerSecond}: tasks per second from the start of task warm-up (the first 10%: the
 *   worker's start-up is not timed) to the start of the n-th.
 * rate-metrics: the same with what `asynq worker run --metrics-port` adds (asynq only): the worker
 *   metrics middleware and dequeue-error counter, prom-client's default process metrics on the same
 *   registry, the /healthz + /readyz state (WorkerHealth: a PING a second, an event-loop timer) and
 *   the HTTP server (port 0, not scraped).
 * floor: Node with ioredis connected and idle for a second (the RSS limit).
 */
import {readFileSync} from 'node:fs';
import {performance} from 'node:perf_hooks';
import v8 from 'node:v8';

const [kind, portArg, nArg, concArg, queue, measure = 'rss'] = process.argv.slice(2);
const port = Number(portArg);
const n = Number(nArg);
const concurrency = Number(concArg);
let peak = process.memoryUsage.rss();
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage.rss());
}, 20);
const t0 = performance.now();
let handled = 0;
/** Times of the start of task warm-up and of task n (the timed part of `rate`). */
let startedAt = 0;
let doneAt = 0;
let finish;
const done = new Promise((r) => (finish = r));

// Allocation window: from the end of the warm-up to the n-th task.
const warmup = Math.floor(n / 10);
let profiler;
let usedStart = 0;
let alloc;
function startWindow() {
  profiler = new v8.GCProfiler();
  profiler.start();
  usedStart = v8.getHeapStatistics().used_heap_size;
}
function endWindow() {
  const usedEnd = v8.getHeapStatistics().used_heap_size;
  const {statistics} = profiler.stop();
  let freed = 0;
  for (const gc of statistics)
    freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
  alloc = {allocBytesPerTask: (usedEnd - usedStart + freed) / (n - warmup), tasks: n - warmup, gcs: statistics.length};
}

const handle = async () => {
  handled++;
  if (handled === warmup) {
    if (measure === 'alloc') startWindow();
    startedAt = performance.now();
  }
  if (handled === n) {
    doneAt = performance.now();
    if (measure === 'alloc') endWindow();
    finish();
  }
};

if (kind === 'asynq') {
  const {asynq} = await import('./lib.mjs');
  const url = `redis://127.0.0.1:${port}`;
  const opts = {concurrency, queues: {[queue]: 1}, logLevel: 'error'};
  let handler = handle;
  let extras = async () => {};
  let metrics;
  if (measure === 'rate-metrics') {
    const {collectDefaultMetrics} = await import('prom-client');
    metrics = asynq.workerMetrics({concurrency});
    collectDefaultMetrics({register: metrics.registry});
    opts.onDequeueError = metrics.dequeueError;
    handler = metrics.wrap(handle);
  }
  const server = new asynq.Server(url, opts);
  if (metrics) {
    const {Redis} = await import('ioredis');
    const redis = new Redis({host: '127.0.0.1', port});
    const health = new asynq.WorkerHealth({server, redis});
    health.start();
    const http = await asynq.serveMetrics({
      port: 0,
      registry: metrics.registry,
      healthz: () => health.healthz(),
      readyz: () => health.readyz(),
    });
    extras = async () => {
      health.stop();
      await http.close();
      redis.disconnect();
    };
  }
  await server.start(handler);
  await done;
  await server.shutdown();
  await extras();
} else if (kind === 'bullmq') {
  const {Worker} = await import('bullmq');
  const worker = new Worker(queue, handle, {
    connection: {host: '127.0.0.1', port, maxRetriesPerRequest: null},
    concurrency,
  });
  worker.on('error', () => {});
  await done;
  await worker.close();
} else {
  const {Redis} = await import('ioredis');
  const c = new Redis({host: '127.0.0.1', port});
  await c.ping();
  await new Promise((r) => setTimeout(r, 1000));
  c.disconnect();
}
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage.rss());
/** VmHWM of /proc/self/status in bytes, or null without /proc. */
function highWaterMark() {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : null;
  } catch {
    return null;
  }
}
const mb = (b) => b / (1024 * 1024);
const ms = performance.now() - t0;
const out =
  measure === 'alloc'
    ? {...alloc, ms}
    : measure.startsWith('rate')
      ? {tasksPerSecond: (n - warmup) / ((doneAt - startedAt) / 1000), ms}
      : {peakRssMB: mb(highWaterMark() ?? peak), endRssMB: mb(process.memoryUsage.rss()), ms};
process.stdout.write(`${JSON.stringify(out)}\n`);
