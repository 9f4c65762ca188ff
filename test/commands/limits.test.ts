// asynq limit ls, the limits in asynq server ls --json, and worker run --limit parsing
import {describe, expect, it} from 'vitest';
import type {LimitListResult} from '../../src/commands/limit/list.js';
import type {ServerListResult} from '../../src/commands/server/list.js';
import {parseLimitFlags} from '../../src/cli/worker/limits.js';
import {Client} from '../../src/lib/client.js';
import {silentLogger} from '../../src/lib/logger.js';
import {Server} from '../../src/lib/server.js';
import {Task} from '../../src/lib/task.js';
import {rows, useCli} from '../support/cli.js';
import {waitFor} from '../support/wait.js';

const cli = useCli();

describe('worker run --limit syntax', () => {
  it('reads types, queues, rates, caps, bursts and scopes', () => {
    expect(
      parseLimitFlags([
        'email:*=50/s',
        'queue:reports=concurrency 5',
        'queue:api=1000/m, burst 50',
        'queue:api/call:*=10/10s,concurrency=2,scope api-calls',
        'type:queue:odd=3/h',
      ]),
    ).toEqual([
      {match: {type: 'email:*'}, rate: {count: 50, per: 1000}},
      {match: {queue: 'reports'}, concurrency: 5},
      {match: {queue: 'api'}, rate: {count: 1000, per: 60_000, burst: 50}},
      {match: {queue: 'api', type: 'call:*'}, rate: {count: 10, per: 10_000}, concurrency: 2, scope: 'api-calls'},
      {match: {type: 'queue:odd'}, rate: {count: 3, per: 3_600_000}},
    ]);
  });

  it('refuses bad input with one line naming the flag and the fix', () => {
    const cases: Array<[string, RegExp]> = [
      ['email:*', /^invalid --limit "email:\*": expected MATCH=RULE/],
      ['=50/s', /nothing before "="/],
      ['email:*=', /no rule after "="/],
      ['email:*=fast', /unknown rule "fast"/],
      ['email:*=0/s', /rate count must be a whole number/],
      ['email:*=5/fortnight', /unknown interval "fortnight"/],
      ['queue:=concurrency 2', /queue: needs a queue name/],
      ['queue:x=concurrency 1.5', /concurrency must be a whole number/],
      ['x=burst 5', /burst needs a rate/],
      ['x=1/s,2/s', /a rate is given twice/],
    ];
    for (const [value, re] of cases) {
      expect(() => parseLimitFlags([value]), value).toThrow(re);
      try {
        parseLimitFlags([value]);
      } catch (err) {
        expect((err as Error).message).not.toContain('\n');
      }
    }
  });

  it('asynq worker run with a bad --limit exits 2 with one line and writes nothing', async () => {
    const stderr = await cli.failsUnchanged(['worker', 'run', '--exec', 'x=true', '--limit', 'email:*=lots'], 2);
    expect(stderr.split('\n')[0]).toMatch(/^Error: invalid --limit "email:\*=lots": unknown rule "lots"/);
  });
});

describe('asynq limit ls / server ls --json', () => {
  it("shows each limit once with its use now; server ls --json lists the server's limits", async () => {
    // Without servers: nothing.
    expect((await cli.asynq(['limit', 'ls'])).stdout).toBe('No limits: no running server enforces any\n');
    const srv = new Server(cli.server.url, {
      logger: silentLogger,
      concurrency: 4,
      queues: {reports: 1, default: 1},
      limits: [
        {match: {queue: 'reports'}, concurrency: 2},
        {match: {type: 'email:*'}, rate: {count: 50, per: '1s'}},
      ],
    });
    let release!: () => void;
    const hold = new Promise<void>((res) => (release = res));
    await srv.start(async (task) => {
      if (task.type === 'report:build') await hold;
    });
    try {
      const client = new Client(cli.redis);
      for (let i = 0; i < 4; i++) await client.enqueue(new Task('report:build', {i}), {queue: 'reports'});
      for (let i = 0; i < 3; i++) await client.enqueue(new Task('email:send', {i}));
      await waitFor(
        async () => (await cli.redis.zcard('asynq:sema:queue:reports')) === 2,
        'two report tokens held',
        10_000,
      );
      await waitFor(async () => (await cli.redis.get('asynq:{default}:processed')) === '3', 'the e-mails sent', 10_000);
      const limits = await cli.asynqJson<LimitListResult>(['limit', 'ls']);
      expect(limits).toEqual([
        {
          scope: 'queue:reports',
          match: {queue: 'reports'},
          concurrency: 2,
          tokensHeld: 2,
          rateUsed: 0,
          waiting: expect.any(Number),
          servers: [srv.serverId],
        },
        {
          scope: 'type:email:*',
          match: {type: 'email:*'},
          rate: {count: 50, perMs: 1000, burst: 50},
          tokensHeld: 0,
          rateUsed: 3,
          waiting: 0,
          servers: [srv.serverId],
        },
      ]);
      expect(rows((await cli.asynq(['limit', 'ls'])).stdout)).toEqual([
        ['Scope', 'Match', 'Limit', 'Running', 'Started (window)', 'Waiting', 'Servers'],
        ['-----', '-----', '-----', '-------', '----------------', '-------', '-------'],
        ['queue:reports', 'queue:reports', 'concurrency 2', '2/2', '-', expect.stringMatching(/^\d+$/), '1'],
        ['type:email:*', 'email:*', '50/s, burst 50', '0', '3/50', '0', '1'],
      ]);
      const servers = await cli.asynqJson<ServerListResult>(['server', 'ls']);
      expect(servers).toHaveLength(1);
      expect(servers[0]!.limits).toEqual(limits);
    } finally {
      release();
      await srv.shutdown();
    }
    // The published key goes with the server.
    expect(await cli.redis.keys('asynq:limits:*')).toEqual([]);
  }, 30_000);
});
