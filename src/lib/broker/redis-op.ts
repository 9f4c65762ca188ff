/**
 * Error boundary of one broker operation (Go asynq's `errors.E(op, …)` wrapping): a failure that is
 * not already an AsynqError (transport error, Redis error reply) becomes RedisCommandError(op).
 */
import {AsynqError, RedisCommandError} from '../errors.js';

/** Runs `body`; rethrows AsynqErrors unchanged and wraps anything else as RedisCommandError(op). */
export async function redisOp<T>(op: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof AsynqError) throw err;
    throw new RedisCommandError(op, err);
  }
}
