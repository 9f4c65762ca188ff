/**
 * runDash, the entry point the command loads: the alternate screen is entered and always left,
 * q ends it, and an error while rendering ends it with that error instead of a broken terminal.
 */
import {EventEmitter} from 'node:events';
import {describe, expect, it, vi} from 'vitest';

// Ink draws only the last frame when CI is set (a CI runner); the command turns that off after
// proving a terminal (src/commands/dash.ts), so do the same before Ink loads.
vi.hoisted(() => {
  for (const v of ['CI', 'CONTINUOUS_INTEGRATION']) if (v in process.env) process.env[v] = 'false';
});
import type {DashInspector} from '../../../src/ui/dash/source.js';
import {runDash} from '../../../src/ui/dash/render.js';
import {queueInfo} from '../fakes.js';
import {waitFor} from '../../support/wait.js';

const ENTER = '\u001b[?1049h';
const LEAVE = '\u001b[?1049l';

class FakeStdout extends EventEmitter {
  isTTY = true;
  columns = 80;
  rows = 24;
  output = '';
  write(s: string): boolean {
    this.output += s;
    return true;
  }
}

// What Ink needs of a terminal's stdin (as ink-testing-library's).
class FakeStdin extends EventEmitter {
  isTTY = true;
  #data: string | null = null;
  type(s: string): void {
    this.#data = s;
    this.emit('readable');
  }
  read(): string | null {
    const d = this.#data;
    this.#data = null;
    return d;
  }
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

function inspector(queues: () => string[]): DashInspector {
  return {
    queues: async () => queues(),
    getQueueInfo: async (q: string) => queueInfo(q),
  } as unknown as DashInspector;
}

describe('runDash', () => {
  it('draws on the alternate screen, quits on q and leaves the alternate screen', async () => {
    const stdout = new FakeStdout();
    const stdin = new FakeStdin();
    const done = runDash({
      inspector: inspector(() => ['default']),
      refreshMs: 60_000,
      target: 't',
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
    });
    await waitFor(() => stdout.output.includes('default'), 'the queues', 15_000);
    expect(stdout.output.startsWith(ENTER)).toBe(true);
    stdin.type('q');
    await done;
    expect(stdout.output.endsWith(LEAVE)).toBe(true);
  });

  it('ends with the error of a failed render, and still leaves the alternate screen', async () => {
    const stdout = new FakeStdout();
    const stdin = new FakeStdin();
    const broken = inspector(() => ['default']);
    // A queue info without a name breaks rendering (a bug, or data nobody expected).
    broken.getQueueInfo = async () => ({...queueInfo('x'), queue: undefined as unknown as string});
    const done = runDash({
      inspector: broken,
      refreshMs: 60_000,
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
    });
    await expect(done).rejects.toBeInstanceOf(TypeError);
    expect(stdout.output.endsWith(LEAVE)).toBe(true);
  });
});
