#!/usr/bin/env node
/**
 * Summarises V8 CPU profiles (`node --cpu-prof`): self time per function and per file/package.
 *
 *   node --cpu-prof --cpu-prof-dir=bench/profiles bench/run.mjs --only process --no-bullmq --no-limit --rounds 1
 *   node bench/profile-summary.mjs bench/profiles/*.cpuprofile [--top 30]
 */
import {readFileSync} from 'node:fs';
import {parseArgs} from 'node:util';

const {values, positionals} = parseArgs({allowPositionals: true, options: {top: {type: 'string', default: '25'}}});
const top = Number(values.top);

/** "ioredis", "bullmq", "lib/processor.js", "node:internal/…" or "(gc)" for a profile node. */
function where(url) {
  if (!url) return '(native/vm)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0)
    return url
      .slice(nm + 13)
      .split('/')
      .slice(0, url.slice(nm + 13).startsWith('@') ? 2 : 1)
      .join('/');
  const lib = url.indexOf('/lib/lib/');
  if (lib >= 0) return `lib/${url.slice(lib + 9)}`;
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  return url.replace(/^file:\/\/.*\/(bench\/)/, '$1');
}

for (const file of positionals) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  // Sample i lasted timeDeltas[i + 1] (microseconds); attribute it to the sampled node.
  prof.samples.forEach((id, i) => {
    const dt = prof.timeDeltas[i + 1] ?? 0;
    self.set(id, (self.get(id) ?? 0) + dt);
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFn = new Map();
  const byFile = new Map();
  for (const [id, us] of self) {
    const {callFrame: cf} = byId.get(id);
    const w = where(cf.url);
    const fn = `${cf.functionName || '(anonymous)'}  ${w}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + us);
    byFile.set(w, (byFile.get(w) ?? 0) + us);
  }
  const show = (m) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([k, us]) => `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`,
      )
      .join('\n');
  console.log(
    `== ${file}: ${(total / 1e6).toFixed(2)} s sampled\n-- self time by file/package\n${show(byFile)}\n-- self time by function\n${show(byFn)}\n`,
  );
}
