/**
 * One `asynq dash` refresh of the Queues screen, measured in process: the real App (compiled,
 * lib/ui/dash/App.js) rendered by Ink into a fake 132×40 terminal, over an Inspector. Each refresh
 * is timed from the App's listQueueInfos call to the first frame Ink writes after the data came
 * back: the reads of every queue, React and Ink layout, and the frame text.
 */
import {EventEmitter} from 'node:events';
import {loadBuilt} from './lib.mjs';
import {median, now, sleep, waitUntil} from './measure.mjs';

class FakeStdout extends EventEmitter {
  columns = 132;
  rows = 40;
  isTTY = true;
  writes = [];
  write = (frame) => {
    this.writes.push({at: now(), frame});
    return true;
  };
}

class FakeStdin extends EventEmitter {
  isTTY = true;
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read = () => null;
}

/**
 * Median ms of `refreshes` Queues-screen refreshes over `inspector` (and each one's, `values`), plus
 * the median of the reads alone; null when the dash is not in the build.
 */
export async function dashRefresh(inspector, {refreshes = 5, refreshMs = 300} = {}) {
  const appMod = await loadBuilt('ui/dash/App.js');
  const sourceMod = await loadBuilt('ui/dash/source.js');
  if (!appMod || !sourceMod) return null;
  const React = await import('react');
  const {render} = await import('ink');
  const base = sourceMod.inspectorSource(inspector);
  const calls = [];
  const source = {
    ...base,
    async listQueueInfos(signal) {
      const call = {start: now(), end: NaN};
      calls.push(call);
      const infos = await base.listQueueInfos(signal);
      call.end = now();
      return infos;
    },
  };
  const stdout = new FakeStdout();
  const instance = render(React.createElement(appMod.App, {source, refreshMs, columns: 132, rows: 40, color: false}), {
    stdout,
    stderr: new FakeStdout(),
    stdin: new FakeStdin(),
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  try {
    await waitUntil(() => calls.filter((c) => !Number.isNaN(c.end)).length > refreshes + 1, {
      what: 'dash refreshes',
      timeoutMs: 60_000,
    });
    await sleep(50);
  } finally {
    instance.unmount();
  }
  // Skip the first refresh (cold code paths); each later one ends at the first frame after its reads.
  const done = calls.slice(1, refreshes + 1);
  const frames = done.map((c) => stdout.writes.find((w) => w.at >= c.end));
  if (frames.some((f) => !f?.frame.includes('Total')))
    throw new Error('dash refresh: no frame with the queue table after a refresh');
  const each = frames.map((f, i) => f.at - done[i].start);
  return {
    ms: median(each),
    /** Every refresh's ms. */
    values: each,
    readsMs: median(done.map((c) => c.end - c.start)),
    frame: frames.at(-1).frame,
  };
}
