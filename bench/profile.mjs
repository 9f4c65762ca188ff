#!/usr/bin/env node
/**
 * CPU profile of one asynq-ts hot path, covering only its measured part (not the seeding), on a
 * redis-server of its own. Writes bench/profiles/<case>.cpuprofile (open it in Chrome DevTools)
 * and prints the summary of bench/profile-summary.mjs.
 *
 *   node bench/profile.mjs process [--concurrency 100] [--n 20000]
 *   node bench/profile.mjs enqueue [--callers 1] [--n 20000]
 *   node bench/profile.mjs enqueueMany [--n 50000]
 *   node bench/profile.mjs queueinfo [--n 1000000]
 * --plain: no profiler, just the rate (for A/B runs).
 */
import {execFileSync} from 'node:child_process';
import {mkdirSync, writeFileSync} from 'node:fs';
import {Session} from 'node:inspector/promises';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {Redis} from 'ioredis';
import {asynq, keys, repoRoot} from './support/lib.mjs';
import {concurrently, now, waitUntil} from './support/measure.mjs';
import {startRedisServer} from './support/redis-server.mjs';
import {seedAsynqQueue} from './support/seed.mjs';

const {
  values: o,
  positionals: [which = 'process'],
} = parseArgs({
  allowPositionals: true,
  options: {
    plain: {type: 'boolean', default: false},
    n: {type: 'string'},
    concurrency: {type: 'string', default: '100'},
    callers: {type: 'string', default: '1'},
  },
});
const server = await startRedisServer();
const admin = new Redis({host: server.host, port: server.port});
const url = server.url;
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', {interval: 100});
let elapsed = 0;
let count = 0;
const measured = async (fn) => {
  if (!o.plain) await session.post('Profiler.start');
  const t0 = now();
  await fn();
  elapsed = now() - t0;
  if (o.plain) return null;
  const {profile} = await session.post('Profiler.stop');
  return profile;
};

let profile;
if (which === 'process') {
  count = Number(o.n ?? 20_000);
  const client = new asynq.Client(url);
  for (let b = 0; b < count; b += 1000) {
    await client.enqueueMany(
      Array.from({length: Math.min(1000, count - b)}, (_, i) => new asynq.Task('bench:noop', {n: b + i})),
    );
  }
  await client.close();
  const srv = new asynq.Server(url, {concurrency: Number(o.concurrency), queues: {default: 1}, logLevel: 'error'});
  profile = await measured(async () => {
    await srv.start(async () => {});
    await waitUntil(async () => Number(await admin.get(keys.processedTotalKey('default'))) >= count);
  });
  await srv.shutdown();
} else if (which === 'enqueue') {
  count = Number(o.n ?? 20_000);
  const client = new asynq.Client(url);
  await client.ping();
  profile = await measured(() =>
    concurrently(count, Number(o.callers), (i) => client.enqueue(new asynq.Task('bench:noop', {n: i}))),
  );
  await client.close();
} else if (which === 'enqueueMany') {
  count = Number(o.n ?? 50_000);
  const client = new asynq.Client(url);
  await client.ping();
  profile = await measured(async () => {
    for (let b = 0; b < count; b += 1000)
      await client.enqueueMany(Array.from({length: 1000}, (_, i) => new asynq.Task('bench:noop', {n: b + i})));
  });
  await client.close();
} else if (which === 'queueinfo') {
  const total = Number(o.n ?? 1_000_000);
  const names = Array.from({length: 100}, (_, i) => `q${i}`);
  for (const q of names)
    await seedAsynqQueue(admin, q, {
      pending: (total / 100) * 0.6,
      scheduled: total / 1000,
      retry: total / 1000,
      archived: total / 1000,
      completed: total / 1000,
    });
  const insp = new asynq.Inspector(url);
  await Promise.all(names.map((q) => insp.getQueueInfo(q)));
  count = 20;
  profile = await measured(async () => {
    for (let r = 0; r < count; r++) await Promise.all(names.map((q) => insp.getQueueInfo(q)));
  });
  await insp.close();
} else {
  throw new Error(`unknown case ${which}`);
}
session.disconnect();
admin.disconnect();
await server.stop();
if (o.plain) {
  console.log(`${which}: ${count} in ${elapsed.toFixed(0)} ms (${(count / (elapsed / 1000)).toFixed(0)}/s)`);
  process.exit(0);
}
const dir = join(repoRoot, 'bench', 'profiles');
mkdirSync(dir, {recursive: true});
const file = join(dir, `${which}.cpuprofile`);
writeFileSync(file, JSON.stringify(profile));
console.log(
  `${which}: ${count} in ${elapsed.toFixed(0)} ms (${(count / (elapsed / 1000)).toFixed(0)}/s); profile ${file}`,
);
console.log(
  execFileSync(process.execPath, [join(repoRoot, 'bench', 'profile-summary.mjs'), file, '--top', '30'], {
    encoding: 'utf8',
  }),
);
