/**
 * Child process for the RSS scenario: runs one worker until `n` tasks were handled and prints
 * {peakRssMB, endRssMB, ms} as JSON on stdout. RSS is sampled every 20 ms.
 *   node rss-worker.mjs asynq|bullmq|floor <port> <n> <concurrency> <queue>
 * `floor`: Node with ioredis connected and idle for a second (the limit).
 */
import {performance} from 'node:perf_hooks';

const [kind, portArg, nArg, concArg, queue] = process.argv.slice(2);
const port = Number(portArg);
const n = Number(nArg);
const concurrency = Number(concArg);
let peak = process.memoryUsage.rss();
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage.rss());
}, 20);
const t0 = performance.now();
let handled = 0;
let finish;
const done = new Promise((r) => (finish = r));
const handle = async () => {
  if (++handled === n) finish();
};

if (kind === 'asynq') {
  const {
    asynq: {Server},
  } = await import('./lib.mjs');
  const server = new Server(`redis://127.0.0.1:${port}`, {concurrency, queues: {[queue]: 1}, logLevel: 'error'});
  await server.start(handle);
  await done;
  await server.shutdown();
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
const mb = (b) => b / (1024 * 1024);
process.stdout.write(
  `${JSON.stringify({peakRssMB: mb(peak), endRssMB: mb(process.memoryUsage.rss()), ms: performance.now() - t0})}\n`,
);
