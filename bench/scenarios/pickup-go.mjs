/**
 * Idle pickup of a task written as Go's client writes it: no wake-up notification, so an idle
 * asynq-ts worker finds it by its (backed-off) poll. Each probe is SADD asynq:queues + EVALSHA of
 * enqueue-2.lua without its optional wake channel argument, i.e. exactly Go's enqueueCmd (a Go
 * Client does these two), on a connection of its own; latency from that call to the handler's
 * start. Gaps of 200–400 ms between probes, so that the worker has backed off to its longest idle
 * interval each time. 1 queue, concurrency 10. No BullMQ figure (BullMQ has no Go client) and no
 * limit row (see the idle pickup rows for the zero-wait handoff).
 */
import {randomUUID} from 'node:crypto';
import {Redis} from 'ioredis';
import {asynq, encodeTaskMessage, keys, planEnqueue, scripts} from '../support/lib.mjs';
import {now, percentile} from '../support/measure.mjs';
import {probe} from './latency.mjs';

export const order = 35;

const Q = 'bench-pickup-go';
const GAP_MS = [200, 400];

async function round(ctx, probes) {
  await ctx.flush();
  const started = new Map();
  const server = new asynq.Server(ctx.url, {concurrency: 10, queues: {[Q]: 1}, logLevel: 'error'});
  await server.start(async (task) => {
    started.set(task.json().i, now());
  });
  const goClient = new Redis({host: ctx.server.host, port: ctx.server.port});
  const sha = await goClient.script('LOAD', scripts.enqueue.lua);
  const send = async (i) => {
    const id = randomUUID();
    const msg = planEnqueue(new asynq.Task('probe', {i}), [{queue: Q, taskId: id}], new Date()).msg;
    const nowNs = `${BigInt(Date.now()) * 1_000_000n}`;
    await goClient.sadd(keys.allQueues, Q);
    const ok = await goClient.evalsha(
      sha,
      2,
      keys.taskKey(Q, id),
      keys.pendingKey(Q),
      encodeTaskMessage(msg),
      id,
      nowNs,
    );
    if (ok !== 1) throw new Error(`pickup-go: enqueue returned ${ok}`);
  };
  const lat = await probe(probes, send, started, GAP_MS);
  goClient.disconnect();
  await server.shutdown();
  return lat;
}

export async function run(ctx) {
  const probes = ctx.scale(40);
  const rounds = await ctx.rounds(() => round(ctx, probes));
  return [50, 99].map((p) => ({
    id: `pickup.go.p${p}`,
    group: 'latency',
    name: `pickup of a Go-written task (no notification), idle worker, 1 queue, p${p}`,
    unit: 'ms',
    better: 'lower',
    ours: rounds.map((l) => percentile(l, p)),
    bullmq: null,
    limit: null,
    limitPipelined: null,
    targets: p === 50 ? [{of: 'value', cmp: '<=', goal: 50}] : [],
    note:
      `${probes} probes per round, each written as Go's Client writes it (SADD asynq:queues + enqueue-2.lua with no wake ` +
      `channel: no PUBLISH) to an idle worker (1 queue, concurrency 10), ${GAP_MS.join('–')} ms apart so that it has ` +
      `backed off; the round's p${p}. Go's own worker polls every 1 s when idle (p50 about 500 ms)`,
  }));
}
