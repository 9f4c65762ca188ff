/**
 * Child process for the idle scenario: an idle worker on `queues` empty queues, until SIGTERM.
 *   node idle-worker.mjs asynq|bullmq <port> <queues>
 * asynq: one Server (concurrency 10) on queues idle-0000… (all weight 1), as `asynq worker run`
 * runs one; bullmq: one Worker (concurrency 10) per queue (BullMQ workers take one queue each).
 * Prints "ready" on stdout once started; on SIGTERM shuts down and exits 0.
 */
const [kind, portArg, queuesArg] = process.argv.slice(2);
const port = Number(portArg);
const names = Array.from({length: Number(queuesArg)}, (_, i) => `idle-${String(i).padStart(4, '0')}`);
let stop;

if (kind === 'asynq') {
  const {
    asynq: {Server},
  } = await import('./lib.mjs');
  const server = new Server(`redis://127.0.0.1:${port}`, {
    concurrency: 10,
    queues: Object.fromEntries(names.map((q) => [q, 1])),
    logLevel: 'error',
  });
  await server.start(async () => {});
  stop = () => server.shutdown();
} else {
  const {Worker} = await import('bullmq');
  const connection = {host: '127.0.0.1', port, maxRetriesPerRequest: null};
  const workers = names.map((q) => new Worker(q, async () => {}, {connection, concurrency: 10}));
  for (const w of workers) w.on('error', () => {});
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  stop = () => Promise.all(workers.map((w) => w.close()));
}
process.stdout.write('ready\n');
process.once('SIGTERM', async () => {
  await stop();
  process.exit(0);
});
