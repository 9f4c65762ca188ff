/**
 * Connection changes of an ioredis client, counted. ioredis resends a command whose reply was lost
 * with its connection (Redis: `autoResendUnfulfilledCommands` after the reconnect; Cluster: the
 * command is retried once the node's connection closed), so a script may run twice, and a WAIT
 * may be answered by a connection that never saw the write it was meant to cover. A caller reads
 * the count before and after a command: when it changed, the command may have been sent again.
 *
 * Counted: `close` of a Redis client (also a Sentinel one, failover included) and `-node` of a
 * Cluster (a node's connection ended). Over-counting is harmless: callers only get more careful.
 */
import type {RedisClient} from './script-runner.js';

const counters = new WeakMap<object, {n: number}>();

/** How many times the client's connection has closed so far (starts counting at the first call). */
export function reconnectCount(client: RedisClient): number {
  let box = counters.get(client);
  if (!box) {
    const b = (box = {n: 0});
    const bump = (): void => {
      b.n++;
    };
    client.on('close', bump);
    if (client.isCluster) client.on('-node', bump);
    counters.set(client, b);
  }
  return box.n;
}
