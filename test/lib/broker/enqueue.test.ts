import {describe, expect, it} from 'vitest';
import {RDB} from '../../../src/lib/broker/rdb.js';
import {decodeTaskMessage, newTaskMessage} from '../../../src/lib/base/codec.js';
import {SimulatedClock} from '../../../src/lib/clock.js';
import {TaskIdConflictError} from '../../../src/lib/errors.js';
import {useRedis} from '../../support/redis.js';
import {dumpAll, keyTypes} from '../../support/dump.js';

const r = useRedis();

describe('RDB.enqueue', () => {
  it('writes the task hash, LPUSHes the id and registers the queue, as Go does', async () => {
    // Given
    const clock = new SimulatedClock(new Date('2026-01-01T00:00:00.123Z'));
    const rdb = new RDB(r.redis, {clock});
    const msg = newTaskMessage({type: 'email:welcome', payload: Buffer.from('{"user_id":42}'), id: 't1', queue: 'default', retry: 25, timeout: 1800});
    // When
    await rdb.enqueue(msg);
    // Then
    expect(await keyTypes(r.redis)).toEqual({
      'asynq:queues': 'set',
      'asynq:{default}:pending': 'list',
      'asynq:{default}:t:t1': 'hash',
    });
    const dump = await dumpAll(r.redis);
    const hash = dump.find((d) => d.key === 'asynq:{default}:t:t1')!;
    expect(hash.type).toBe('hash');
    const fields = hash.value as Record<string, Buffer>;
    expect(Object.keys(fields).sort()).toEqual(['msg', 'pending_since', 'state']);
    expect(fields.state!.toString()).toBe('pending');
    expect(fields.pending_since!.toString()).toBe('1767225600123000000');
    expect(fields.msg!.toString('hex')).toBe(
      '0a0d656d61696c3a77656c636f6d65120e7b22757365725f6964223a34327d1a027431220764656661756c74281940880e',
    );
    expect(decodeTaskMessage(fields.msg!)).toEqual(msg);
    expect(await r.redis.lrange('asynq:{default}:pending', 0, -1)).toEqual(['t1']);
    expect(await r.redis.smembers('asynq:queues')).toEqual(['default']);
    expect(hash.ttl).toBe(-1);
  });

  it('refuses a taken task id with TaskIdConflictError and leaves the first task unchanged', async () => {
    const rdb = new RDB(r.redis);
    const first = newTaskMessage({type: 'a', id: 'same', queue: 'default', retry: 25});
    await rdb.enqueue(first);
    const before = await r.redis.hgetallBuffer('asynq:{default}:t:same');
    await expect(rdb.enqueue(newTaskMessage({type: 'b', id: 'same', queue: 'default'}))).rejects.toBeInstanceOf(TaskIdConflictError);
    expect(await r.redis.hgetallBuffer('asynq:{default}:t:same')).toEqual(before);
    expect(await r.redis.llen('asynq:{default}:pending')).toBe(1);
  });

  it('registers the queue even when the script then refuses the task (Go behaviour)', async () => {
    const rdb = new RDB(r.redis);
    await r.redis.hset('asynq:{q2}:t:x', 'msg', 'x', 'state', 'pending');
    await expect(rdb.enqueue(newTaskMessage({type: 'a', id: 'x', queue: 'q2'}))).rejects.toBeInstanceOf(TaskIdConflictError);
    expect(await r.redis.smembers('asynq:queues')).toEqual(['q2']);
  });
});
