import {describe, expect, it} from 'vitest';
import {Healthchecker} from '../../src/lib/healthchecker.js';
import {recordingLogger} from '../support/logger.js';
import {waitFor} from '../support/wait.js';

function setup(ping: () => Promise<void>, intervalMs = 20) {
  const results: Array<Error | undefined> = [];
  const logger = recordingLogger();
  const hc = new Healthchecker({logger, rdb: {ping}, intervalMs, healthCheckFunc: (err) => void results.push(err)});
  return {hc, results, logger};
}

describe('Healthchecker', () => {
  it('reports undefined when PING answers and the error when it fails', async () => {
    let fail = false;
    const {hc, results} = setup(async () => {
      if (fail) throw new Error('connect ECONNREFUSED');
    });
    await hc.exec();
    fail = true;
    await hc.exec();
    expect(results).toEqual([undefined, new Error('connect ECONNREFUSED')]);
  });

  it('reports an error when PING gets no answer within the interval (ioredis queues it while Redis is unreachable)', async () => {
    // Go's PING fails within seconds (dial error or read timeout) and every interval reports it;
    // ours would wait in ioredis' offline queue for up to ~40 s, reporting nothing meanwhile.
    const {hc, results} = setup(() => new Promise<void>(() => {}), 30);
    hc.start();
    await waitFor(() => results.length >= 2, 'two reports while PING hangs', 10_000);
    await hc.shutdown();
    expect(results[0]).toBeInstanceOf(Error);
    expect(results[0]!.message).toBe('asynq: Redis did not answer PING within 30ms');
  });

  it('logs a healthCheckFunc that throws and keeps checking', async () => {
    const logger = recordingLogger();
    let calls = 0;
    const hc = new Healthchecker({logger, rdb: {ping: async () => {}}, intervalMs: 10, healthCheckFunc: () => {
      calls++;
      throw new Error('callback broke');
    }});
    await hc.exec();
    await hc.exec();
    expect(calls).toBe(2);
    expect(logger.lines).toEqual([['error', 'healthCheckFunc failed: callback broke'], ['error', 'healthCheckFunc failed: callback broke']]);
  });
});
