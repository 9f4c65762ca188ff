import {describe, expect, it} from 'vitest';
import calculateSlot from 'cluster-key-slot';
import * as keys from '../../../src/lib/base/keys.js';
import {validateQueueName} from '../../../src/lib/base/states.js';

describe('key builders (Go base.go, byte-identical)', () => {
  it('builds every per-queue key with a literal {queue} hash tag', () => {
    const q = 'default';
    expect(keys.pendingKey(q)).toBe('asynq:{default}:pending');
    expect(Buffer.byteLength(keys.pendingKey(q))).toBe(23);
    expect(keys.activeKey(q)).toBe('asynq:{default}:active');
    expect(keys.scheduledKey(q)).toBe('asynq:{default}:scheduled');
    expect(keys.retryKey(q)).toBe('asynq:{default}:retry');
    expect(keys.archivedKey(q)).toBe('asynq:{default}:archived');
    expect(keys.completedKey(q)).toBe('asynq:{default}:completed');
    expect(keys.leaseKey(q)).toBe('asynq:{default}:lease');
    expect(keys.pausedKey(q)).toBe('asynq:{default}:paused');
    expect(keys.processedTotalKey(q)).toBe('asynq:{default}:processed');
    expect(keys.failedTotalKey(q)).toBe('asynq:{default}:failed');
    expect(keys.allGroups(q)).toBe('asynq:{default}:groups');
    expect(keys.allAggregationSets(q)).toBe('asynq:{default}:aggregation_sets');
    expect(keys.taskKey(q, 'abc')).toBe('asynq:{default}:t:abc');
    expect(keys.taskKeyPrefix(q)).toBe('asynq:{default}:t:');
    expect(keys.groupKey(q, 'g1')).toBe('asynq:{default}:g:g1');
    expect(keys.groupKeyPrefix(q)).toBe('asynq:{default}:g:');
    expect(keys.aggregationSetKey(q, 'g1', 's1')).toBe('asynq:{default}:g:g1:s1');
    expect(keys.queueKeyPrefix(q)).toBe('asynq:{default}:');
  });

  it('names daily stats keys by the UTC date of the instant', () => {
    // 23:30 on Jan 1 in UTC-5 is already Jan 2 in UTC.
    const at = new Date('2026-01-01T23:30:00-05:00');
    expect(keys.processedKey('q', at)).toBe('asynq:{q}:processed:2026-01-02');
    expect(keys.failedKey('q', at)).toBe('asynq:{q}:failed:2026-01-02');
  });

  it('builds unique keys from md5 of the payload, distinguishing nil from empty', () => {
    expect(keys.uniqueKey('default', 'email:welcome', Buffer.from('{"user_id":42}'))).toBe(
      'asynq:{default}:unique:email:welcome:1181f89307fa271072c095747d5813cc');
    expect(keys.uniqueKey('default', 'email', null)).toBe('asynq:{default}:unique:email:');
    expect(keys.uniqueKey('default', 'email', Buffer.alloc(0))).toBe('asynq:{default}:unique:email:d41d8cd98f00b204e9800998ecf8427e');
    // The captured Go unique key of payload {"n":3}.
    expect(keys.uniqueKey('default', 'golden:unique', Buffer.from('{"n":3}'))).toBe(
      'asynq:{default}:unique:golden:unique:4878c556bc656228125612763e3fe150');
  });

  it('builds server, worker and scheduler keys', () => {
    expect(keys.serverInfoKey('host', 42, 'sid')).toBe('asynq:servers:{host:42:sid}');
    expect(keys.workersKey('host', 42, 'sid')).toBe('asynq:workers:{host:42:sid}');
    expect(keys.schedulerEntriesKey('h:1:u')).toBe('asynq:schedulers:{h:1:u}');
    expect(keys.schedulerHistoryKey('e1')).toBe('asynq:scheduler_history:e1');
    expect([keys.allQueues, keys.allServers, keys.allWorkers, keys.allSchedulers, keys.cancelChannel]).toEqual(
      ['asynq:queues', 'asynq:servers', 'asynq:workers', 'asynq:schedulers', 'asynq:cancel']);
  });

  it('maps every key of one queue to one cluster slot', () => {
    for (const q of ['default', 'critical', 'a:b', 'ünïcode']) {
      const slot = calculateSlot(keys.pendingKey(q));
      const all = [keys.taskKey(q, 'x'), keys.uniqueKey(q, 't', Buffer.from('p')), keys.groupKey(q, 'g'),
        keys.aggregationSetKey(q, 'g', 's'), keys.processedKey(q, new Date()), keys.leaseKey(q), keys.allGroups(q)];
      for (const k of all) expect(calculateSlot(k), k).toBe(slot);
    }
    expect(calculateSlot(keys.serverInfoKey('h', 1, 's'))).toBe(calculateSlot(keys.workersKey('h', 1, 's')));
  });
});

describe('queue name validation', () => {
  it('accepts any name that is not blank, as Go does', () => {
    expect(validateQueueName('default')).toBeUndefined();
    expect(validateQueueName('with space')).toBeUndefined();
    expect(validateQueueName('')).toMatch(/one or more characters/);
    expect(validateQueueName('  \t')).toMatch(/one or more characters/);
  });
});
