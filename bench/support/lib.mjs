/**
 * The compiled asynq-ts (lib/, from `npm run build`), loaded the way a user gets it, plus the few
 * internals the harness needs to seed Redis in Go's layout and to feed redis-benchmark the real
 * Lua scripts. Fails with advice when lib/ is missing; warns when it is older than src/.
 */
import {existsSync, readdirSync, statSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
/**
 * The compiled tree: lib/ of the repo, or ASYNQ_BENCH_LIB (a tsc --outDir inside the repo, so that
 * packages still resolve), for measuring a private build while others rebuild lib/.
 */
const buildDir = resolve(repoRoot, process.env.ASYNQ_BENCH_LIB ?? 'lib');
const libDir = join(buildDir, 'lib');

if (!existsSync(join(libDir, 'index.js'))) {
  throw new Error(`${libDir} is not built: run \`npm run build\` (npm ci does it) before \`npm run bench\``);
}

function newestMtime(dir) {
  let t = 0;
  for (const e of readdirSync(dir, {withFileTypes: true})) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

/** True when some file under src/lib is newer than lib/lib/index.js (the bench would measure old code). */
export function libIsStale() {
  return newestMtime(join(repoRoot, 'src', 'lib')) > statSync(join(libDir, 'index.js')).mtimeMs;
}

const load = (rel) => import(pathToFileURL(join(libDir, rel)).href);

/** A module of the build other than the engine (e.g. `ui/dash/App.js`); null when it does not exist. */
export async function loadBuilt(rel) {
  const file = join(buildDir, rel);
  return existsSync(file) ? import(pathToFileURL(file).href) : null;
}

export const asynq = await load('index.js');
export const {encodeTaskMessage} = await load('base/codec.js');
export const {scripts} = await load('scripts/index.js');
export const keys = await load('base/keys.js');
export const {planEnqueue} = await load('options.js');
