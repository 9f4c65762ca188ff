import {describe, expect, it} from 'vitest';
import {HandlerNotFoundError, ValidationError} from '../../src/lib/errors.js';
import {ServeMux} from '../../src/lib/servemux.js';
import {Task} from '../../src/lib/task.js';
import type {Handler, TaskContext} from '../../src/lib/handler.js';

const ctx = {signal: new AbortController().signal, taskId: 'id', queue: 'default', retryCount: 0, maxRetry: 25, deadline: new Date()} as TaskContext;

/** A mux whose handlers record their pattern in `calls`. */
function recordingMux(patterns: string[]): {mux: ServeMux; calls: string[]} {
  const calls: string[] = [];
  const mux = new ServeMux();
  for (const p of patterns) mux.handleFunc(p, () => void calls.push(p));
  return {mux, calls};
}

describe('ServeMux', () => {
  it('prefers the exact pattern over a matching prefix', async () => {
    const {mux, calls} = recordingMux(['email:', 'email:welcome']);
    await mux.processTask(new Task('email:welcome'), ctx);
    expect(calls).toEqual(['email:welcome']);
    expect(mux.handler('email:welcome').pattern).toBe('email:welcome');
  });

  it('routes to the longest registered prefix', async () => {
    const {mux, calls} = recordingMux(['email:', 'email:welcome:', 'e']);
    await mux.processTask(new Task('email:welcome:v2'), ctx);
    await mux.processTask(new Task('email:reset'), ctx);
    await mux.processTask(new Task('export'), ctx);
    expect(calls).toEqual(['email:welcome:', 'email:', 'e']);
  });

  it('matches a plain string prefix without any separator rule', async () => {
    const {mux, calls} = recordingMux(['email']);
    await mux.processTask(new Task('emailer:send'), ctx);
    expect(calls).toEqual(['email']);
  });

  it('fails an unknown type with `handler not found for task "<type>"`', async () => {
    const {mux, calls} = recordingMux(['email:']);
    const err = await mux.processTask(new Task('image:resize'), ctx).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(HandlerNotFoundError);
    expect((err as Error).message).toBe('handler not found for task "image:resize"');
    expect(calls).toEqual([]);
    expect(mux.handler('image:resize').pattern).toBe('');
  });

  it('rejects a blank pattern, a missing handler and a duplicate pattern', () => {
    const mux = new ServeMux();
    const fn = (): void => {};
    expect(() => mux.handleFunc('', fn)).toThrow(ValidationError);
    expect(() => mux.handleFunc('  ', fn)).toThrow('asynq: invalid pattern');
    expect(() => mux.handle('a', undefined as unknown as Handler)).toThrow('asynq: nil handler');
    expect(() => mux.handleFunc('a', null as unknown as () => void)).toThrow('asynq: nil handler');
    mux.handleFunc('a', fn);
    expect(() => mux.handle('a', {processTask: fn})).toThrow('asynq: multiple registrations for a');
  });

  it('accepts Handler objects as well as functions', async () => {
    const seen: string[] = [];
    const mux = new ServeMux().handle('x', {processTask: (t) => void seen.push(`obj:${t.type}`)});
    await mux.processTask(new Task('x1'), ctx);
    expect(seen).toEqual(['obj:x1']);
  });

  it('runs middlewares in registration order, the first outermost, also around the not-found handler', async () => {
    const trace: string[] = [];
    const mux = new ServeMux();
    mux.handleFunc('t', () => void trace.push('handler'));
    const mw = (name: string) => (next: Handler) => async (task: Task, c: TaskContext) => {
      trace.push(`${name}:before`);
      try {
        await next.processTask(task, c);
      } finally {
        trace.push(`${name}:after`);
      }
    };
    mux.use(mw('outer'), mw('inner'));
    await mux.processTask(new Task('t'), ctx);
    expect(trace).toEqual(['outer:before', 'inner:before', 'handler', 'inner:after', 'outer:after']);
    trace.length = 0;
    await expect(mux.processTask(new Task('unknown'), ctx)).rejects.toThrow('handler not found for task "unknown"');
    expect(trace).toEqual(['outer:before', 'inner:before', 'inner:after', 'outer:after']);
  });
});
