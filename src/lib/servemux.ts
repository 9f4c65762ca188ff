/**
 * ServeMux (Go asynq servemux.go): routes a task to the handler registered for its type.
 * An exact pattern match wins; otherwise the longest registered pattern that is a plain string
 * prefix of the type (`email` matches `emailer:send`; no separator rule). No match → the task fails
 * with `handler not found for task "<type>"` (HandlerNotFoundError) and is retried like any failure.
 * Middlewares (use()) wrap the chosen handler, the first registered outermost.
 */
import {HandlerNotFoundError, ValidationError} from './errors.js';
import {toHandler, type Handler, type HandlerFunc, type MiddlewareFunc, type TaskContext} from './handler.js';
import type {Task} from './task.js';

/** The handler used when nothing matches: fails with HandlerNotFoundError. */
export const notFoundHandler: Handler = {
  processTask(task: Task): void {
    throw new HandlerNotFoundError(task.type);
  },
};

export class ServeMux implements Handler {
  readonly #exact = new Map<string, Handler>();
  /** Registered patterns, longest first. */
  #byLength: Array<{pattern: string; handler: Handler}> = [];
  readonly #middlewares: MiddlewareFunc[] = [];

  /**
   * Registers a handler for a pattern. Throws ValidationError for a blank pattern, a missing
   * handler, or a pattern registered before (Go panics in these cases).
   */
  handle(pattern: string, handler: Handler | HandlerFunc): this {
    if (typeof pattern !== 'string' || pattern.trim() === '') throw new ValidationError('asynq: invalid pattern');
    let h: Handler;
    try {
      h = toHandler(handler);
    } catch {
      throw new ValidationError('asynq: nil handler');
    }
    if (this.#exact.has(pattern)) throw new ValidationError(`asynq: multiple registrations for ${pattern}`);
    this.#exact.set(pattern, h);
    this.#byLength = [...this.#byLength, {pattern, handler: h}].sort((a, b) => b.pattern.length - a.pattern.length);
    return this;
  }

  /** Registers a function handler for a pattern (same rules as handle()). */
  handleFunc(pattern: string, fn: HandlerFunc): this {
    if (typeof fn !== 'function') throw new ValidationError('asynq: nil handler');
    return this.handle(pattern, fn);
  }

  /** Appends middlewares; they run in registration order (the first one is outermost). */
  use(...middlewares: MiddlewareFunc[]): this {
    for (const mw of middlewares) {
      if (typeof mw !== 'function') throw new ValidationError('asynq: middleware must be a function');
    }
    this.#middlewares.push(...middlewares);
    return this;
  }

  /**
   * The handler for a task type, wrapped in the middlewares, and the matched pattern ('' when
   * nothing matched: the handler then fails with HandlerNotFoundError).
   */
  handler(taskType: string): {handler: Handler; pattern: string} {
    const match = this.#match(taskType);
    let h = match?.handler ?? notFoundHandler;
    for (let i = this.#middlewares.length - 1; i >= 0; i--) h = toHandler(this.#middlewares[i]!(h));
    return {handler: h, pattern: match?.pattern ?? ''};
  }

  /** Dispatches the task to the handler whose pattern matches its type best. */
  async processTask(task: Task, ctx: TaskContext): Promise<void> {
    await this.handler(task.type).handler.processTask(task, ctx);
  }

  #match(taskType: string): {pattern: string; handler: Handler} | undefined {
    const exact = this.#exact.get(taskType);
    if (exact) return {pattern: taskType, handler: exact};
    return this.#byLength.find((e) => taskType.startsWith(e.pattern));
  }
}
