import {describe, expect, it} from 'vitest';
import {RDB} from '../../src/lib/broker/rdb.js';
import {Subscriber} from '../../src/lib/subscriber.js';
import {useRedis} from '../support/redis.js';
import {recordingLogger} from '../support/logger.js';
import {waitFor} from '../support/wait.js';

const r = useRedis();

async function subscribers(): Promise<number> {
  const [, n] = (await r.redis.pubsub('NUMSUB', 'asynq:cancel')) as [string, number];
  return Number(n);
}

describe('Subscriber', () => {
  it('passes every task ID published on asynq:cancel to onCancel, and unsubscribes on shutdown', async () => {
    const ids: string[] = [];
    const sub = new Subscriber({logger: recordingLogger(), rdb: new RDB(r.redis), onCancel: (id) => void ids.push(id)});
    expect(await sub.exec()).toBe(true);
    expect(sub.subscribed).toBe(true);
    expect(await subscribers()).toBe(1);
    await r.redis.publish('asynq:cancel', 'task-1');
    await r.redis.publish('asynq:cancel', 'task-2');
    await waitFor(() => ids.length === 2, 'two cancel messages');
    expect(ids).toEqual(['task-1', 'task-2']);
    await sub.shutdown();
    await waitFor(async () => (await subscribers()) === 0, 'unsubscribed');
  });

  it('retries a failed subscription until it succeeds', async () => {
    const real = new RDB(r.redis);
    let attempts = 0;
    const logger = recordingLogger();
    const sub = new Subscriber({
      logger,
      rdb: {
        subscribeCancelation: async (onCancel) => {
          attempts++;
          if (attempts < 3) throw new Error('connection refused');
          return real.subscribeCancelation(onCancel);
        },
      },
      onCancel: () => {},
      retryIntervalMs: 5,
    });
    sub.start();
    await waitFor(() => sub.subscribed, 'subscribed');
    expect(attempts).toBe(3);
    expect(logger.lines.filter(([lvl, m]) => lvl === 'error' && m.includes('connection refused'))).toHaveLength(2);
    await sub.shutdown();
    expect(await subscribers()).toBe(0);
  });
});
