import {describe, expect, it} from 'vitest';
import {ValidationError} from '../../src/lib/errors.js';
import {composeOptions, planEnqueue, type TaskOptions} from '../../src/lib/options.js';
import {Task} from '../../src/lib/task.js';

const NOW = new Date('2026-01-01T00:00:00.400Z');
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const plan = (task: Task, ...layers: Array<TaskOptions | undefined>) => planEnqueue(task, layers, NOW);

describe('planEnqueue: defaults (Go composeOptions)', () => {
  it('uses queue default, retry 25, timeout 1800 s, no deadline, a UUIDv4 id, pending now', () => {
    const p = plan(new Task('t', 'x'));
    expect(p.msg).toEqual({
      type: 't', payload: Buffer.from('x'), headers: {}, id: expect.stringMatching(UUID_V4), queue: 'default',
      retry: 25, retried: 0, errorMsg: '', lastFailedAt: 0, timeout: 1800, deadline: 0, uniqueKey: '',
      groupKey: '', retention: 0, completedAt: 0,
    });
    expect(p.route).toEqual({state: 'pending'});
    expect(p.nextProcessAt).toEqual(NOW);
    expect(p.uniqueTtlSeconds).toBeNull();
  });

  it('draws a new id for every plan', () => {
    expect(plan(new Task('t')).msg.id).not.toBe(plan(new Task('t')).msg.id);
  });
});

describe('planEnqueue: layering', () => {
  it('lets enqueue-time options override the task\'s, field by field', () => {
    const t = new Task('t', null, {queue: 'a', maxRetry: 3, retention: '1h'});
    const p = plan(t, {queue: 'b'});
    expect(p.msg.queue).toBe('b');
    expect(p.msg.retry).toBe(3);
    expect(p.msg.retention).toBe(3600);
  });

  it('treats undefined fields as not given', () => {
    expect(plan(new Task('t', null, {queue: 'a'}), {queue: undefined}).msg.queue).toBe('a');
  });

  it('merges headers, the later layer winning on a clash', () => {
    const t = new Task('t', null, {headers: {a: 'task', b: 'task'}});
    expect(plan(t, {headers: {b: 'opt', c: 'opt'}}).msg.headers).toEqual({a: 'task', b: 'opt', c: 'opt'});
  });

  it('lets processIn override the task\'s processAt and vice versa (the last given wins)', () => {
    const at = new Date('2026-01-01T05:00:00Z');
    expect(plan(new Task('t', null, {processAt: at}), {processIn: '1h'}).nextProcessAt).toEqual(new Date(NOW.getTime() + 3_600_000));
    expect(plan(new Task('t', null, {processIn: '1h'}), {processAt: at}).nextProcessAt).toEqual(at);
  });

  it('refuses processAt and processIn in one options object', () => {
    expect(() => plan(new Task('t'), {processAt: NOW, processIn: '1s'})).toThrow('processAt and processIn cannot be combined in one options object');
  });
});

describe('planEnqueue: conversions', () => {
  it.each([
    [{timeout: '90s'}, 90, 0],
    [{timeout: 1500}, 1, 0],
    [{timeout: 500}, 0, 0], // sub-second timeout counts as given: no 30-min default, stored 0 (Go)
    [{timeout: 0}, 1800, 0], // zero is "not given"
    [{deadline: new Date('2026-01-01T01:00:00.900Z')}, 0, 1767229200],
    [{deadline: new Date('2026-01-01T01:00:00Z'), timeout: '10m'}, 600, 1767229200],
    [{deadline: new Date(0)}, 1800, 0], // Go's noDeadline (Unix 0) counts as not given
  ] as Array<[TaskOptions, number, number]>)('%j → timeout %d s, deadline %d', (o, timeout, deadline) => {
    const m = plan(new Task('t'), o).msg;
    expect(m.timeout).toBe(timeout);
    expect(m.deadline).toBe(deadline);
  });

  it.each([[-3, 0], [0, 0], [7, 7]])('maxRetry %d → retry %d', (n, want) => {
    expect(plan(new Task('t'), {maxRetry: n}).msg.retry).toBe(want);
  });

  it.each([['24h', 86400], [500, 0], ['1.9s', 1]])('retention %j → %d s', (r, want) => {
    expect(plan(new Task('t'), {retention: r}).msg.retention).toBe(want);
  });
});

describe('planEnqueue: routes and uniqueness (Go EnqueueContext)', () => {
  it('schedules a future processAt with score time and a lock TTL running to processAt + unique', () => {
    const at = new Date(NOW.getTime() + 3_600_000 + 300);
    const p = plan(new Task('t', 'x'), {processAt: at, unique: '1h'});
    expect(p.route).toEqual({state: 'scheduled', processAt: at});
    expect(p.nextProcessAt).toEqual(at);
    expect(p.uniqueTtlSeconds).toBe(7200); // (3600.3 + 3600) truncated
    expect(p.msg.uniqueKey).toBe('asynq:{default}:unique:t:9dd4e461268c8034f5c8564e155c67a6');
  });

  it('enqueues a past processAt and a negative processIn directly', () => {
    expect(plan(new Task('t'), {processIn: '-5s'}).route).toEqual({state: 'pending'});
    expect(plan(new Task('t'), {processAt: new Date(0)}).route).toEqual({state: 'pending'});
    expect(plan(new Task('t'), {processAt: NOW}).route).toEqual({state: 'pending'}); // "after now" is strict
  });

  it('sends a group task to aggregating with no nextProcessAt, unless it is scheduled', () => {
    const g = plan(new Task('t'), {group: 'g', unique: '90s'});
    expect(g.route).toEqual({state: 'aggregating', group: 'g'});
    expect(g.nextProcessAt).toBeNull();
    expect(g.uniqueTtlSeconds).toBe(90);
    expect(g.msg.groupKey).toBe('g');
    const s = plan(new Task('t'), {group: 'g', processIn: '1m'});
    expect(s.route.state).toBe('scheduled');
    expect(s.msg.groupKey).toBe('g');
  });

  it('computes the unique key from the final queue, the type and the payload (nil vs empty)', () => {
    expect(plan(new Task('email:welcome', {user_id: 42}), {unique: '1h'}).msg.uniqueKey)
      .toBe('asynq:{default}:unique:email:welcome:1181f89307fa271072c095747d5813cc');
    expect(plan(new Task('t', null, {queue: 'a'}), {unique: '1h', queue: 'b'}).msg.uniqueKey).toBe('asynq:{b}:unique:t:');
    expect(plan(new Task('t', ''), {unique: '1h'}).msg.uniqueKey).toBe('asynq:{default}:unique:t:d41d8cd98f00b204e9800998ecf8427e');
  });

  it('truncates the unique TTL to whole seconds', () => {
    expect(plan(new Task('t'), {unique: 1999}).uniqueTtlSeconds).toBe(1);
  });
});

describe('planEnqueue: validation with Go\'s messages', () => {
  it.each([
    [new Task(''), undefined, 'task typename cannot be empty'],
    [new Task('  \t'), undefined, 'task typename cannot be empty'],
    [new Task('t'), {queue: ' '}, 'queue name must contain one or more characters'],
    [new Task('t'), {queue: ''}, 'queue name must contain one or more characters'],
    [new Task('t'), {taskId: ' '}, 'task ID cannot be empty'],
    [new Task('t'), {group: ''}, 'group key cannot be empty'],
    [new Task('t'), {unique: 999}, 'Unique TTL cannot be less than 1s'],
    [new Task('t'), {unique: '0s'}, 'Unique TTL cannot be less than 1s'],
    [new Task('t'), {unique: '-1h'}, 'Unique TTL cannot be less than 1s'],
    [new Task('t'), {maxRetry: 1.5}, 'maxRetry must be an integer'],
    [new Task('t'), {maxRetry: 2 ** 31}, 'maxRetry must be an integer'],
    [new Task('t'), {timeout: '-1s'}, 'timeout cannot be negative'],
    [new Task('t'), {retention: -1}, 'retention cannot be negative'],
    [new Task('t'), {timeout: 'soon'}, 'invalid timeout "soon"'],
    [new Task('t'), {deadline: new Date(NaN)}, 'deadline must be a valid Date'],
    [new Task('t'), {processAt: '2026-01-01' as unknown as Date}, 'processAt must be a valid Date'],
    [new Task('t'), {retries: 3} as unknown as TaskOptions, 'unknown task option "retries"'],
    [new Task('t'), {headers: {a: 1}} as unknown as TaskOptions, 'header "a" must be a string'],
    [new Task('t'), {headers: []} as unknown as TaskOptions, 'headers must be an object'],
    [new Task('t'), {queue: 'a\ud800'}, 'queue name is not valid UTF-8'],
    [new Task('t\udc00'), undefined, 'task typename is not valid UTF-8'],
    [new Task('t'), {headers: {'\ud800': 'v'}}, 'is not valid UTF-8'],
    [new Task('t', null, {queue: ''}), undefined, 'queue name must contain one or more characters'],
    [{type: 't'} as unknown as Task, undefined, 'expected a Task'],
    [null as unknown as Task, undefined, 'task cannot be null'],
  ] as Array<[Task, TaskOptions | undefined, string]>)('%#: rejects with "%s"', (task, opts, message) => {
    let caught: unknown;
    try {
      plan(task, opts);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as Error).message).toContain(message);
  });

  it('accepts well-formed astral characters (surrogate pairs)', () => {
    expect(plan(new Task('emoji:😀'), {queue: 'q😀'}).msg.queue).toBe('q😀');
  });
});

describe('composeOptions', () => {
  it('skips null and undefined layers', () => {
    expect(composeOptions([null, undefined, {queue: 'x'}], NOW).queue).toBe('x');
  });
});
