#!/usr/bin/env node
/**
 * Heap allocations per task while a Server processes a backlog of no-op tasks (V8's sampling heap
 * profiler every 1 KiB, objects already collected included), on a redis-server of its own; prints
 * the bytes allocated per task in all and the functions that allocate most.
 *
 *   node bench/profile-alloc.mjs [N=20000] [CONCURRENCY=10]
 */
import {Session} from 'node:inspector/promises';
import {Redis} from 'ioredis';
import {asynq, keys} from './support/lib.mjs';
import {waitUntil} from './support/measure.mjs';
import {startRedisServer} from './support/redis-server.mjs';
const server = await startRedisServer();
const admin = new Redis({host: server.host, port: server.port});
const count = Number(process.argv[2] ?? 20000);
const conc = Number(process.argv[3] ?? 10);
const client = new asynq.Client(server.url);
for (let b = 0; b < count; b += 1000)
  await client.enqueueMany(
    Array.from({length: Math.min(1000, count - b)}, (_, i) => new asynq.Task('bench:noop', {n: b + i})),
  );
await client.close();
const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
const srv = new asynq.Server(server.url, {concurrency: conc, queues: {default: 1}, logLevel: 'error'});
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 1024,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
const t0 = performance.now();
await srv.start(async () => {});
await waitUntil(async () => Number(await admin.get(keys.processedTotalKey('default'))) >= count);
const ms = performance.now() - t0;
const {profile} = await session.post('HeapProfiler.stopSampling');
await srv.shutdown();
const by = new Map();
let total = 0;
(function walk(n) {
  const f = n.callFrame;
  const k = `${f.functionName || '(anon)'} ${f.url.replace(/.*\/(node_modules|lib)\//, '$1/')}:${f.lineNumber + 1}`;
  const size = n.selfSize;
  by.set(k, (by.get(k) ?? 0) + size);
  total += size;
  for (const c of n.children) walk(c);
})(profile.head);
console.log(
  `${count} tasks, concurrency ${conc}: ${((count / ms) * 1000).toFixed(0)}/s (profiled); ${(total / count).toFixed(0)} bytes allocated per task`,
);
for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 25))
  console.log(`${(v / count).toFixed(0).padStart(6)} B/task  ${k}`);
admin.disconnect();
await server.stop();
