#!/usr/bin/env node
// Bundles the CLI for a faster cold start; run by `npm run build:lib` after tsc and gen-manifest.
// The compiled oclif entry (lib/cli/execute.js, which bin/run.js imports), the commands, the help
// class and the command_not_found hook are rewritten in place as esbuild ES module bundles whose
// shared code (@oclif/core, ioredis, the engine, …) lies in lib/chunks/: one copy of each, so
// that oclif's Config, the commands it imports by manifest path and the help class share one
// @oclif/core. Node then compiles a few files instead of resolving and loading ~500 modules.
// Left as tsc compiled them: lib/lib (the library, the package's main entry) and the commands
// that run user code importing 'asynq-ts' (`worker run`): a handler's Task, SkipRetry, … must be
// the library's own classes, not copies in a bundle.
// `node scripts/bundle-cli.mjs [--meta file.json]` (the esbuild metafile, to see what a chunk holds).
import {readdirSync, rmSync, writeFileSync} from 'node:fs';
import {dirname, join, relative} from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import {build} from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const LIB = join(ROOT, 'lib');
/** Commands left unbundled (they load user modules that import 'asynq-ts'), relative to lib/commands. */
const UNBUNDLED_COMMANDS = ['worker/run.js'];

const {values} = parseArgs({options: {meta: {type: 'string'}}});

function jsFiles(dir) {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
    e.isDirectory() ? jsFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : [],
  );
}

const commands = jsFiles(join(LIB, 'commands')).filter(
  (f) => !UNBUNDLED_COMMANDS.includes(relative(join(LIB, 'commands'), f)),
);
const entryPoints = [
  join(LIB, 'cli', 'execute.js'),
  join(LIB, 'cli', 'help.js'),
  join(LIB, 'cli', 'not-found.js'),
  ...commands,
];

rmSync(join(LIB, 'chunks'), {recursive: true, force: true});
const result = await build({
  entryPoints,
  outdir: LIB,
  outbase: LIB,
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  // Loaded when used, from node_modules: the optional peer dependency, oclif's TypeScript support
  // for development, and Ink's React DevTools hook (only with DEV=true; not a dependency).
  external: ['@opentelemetry/api', 'typescript', 'ts-node', 'tsx', 'react-devtools-core'],
  // CommonJS modules inside the ES module bundle require() Node's built-ins: give them a require.
  banner: {
    js: "import {createRequire as __asynqCreateRequire} from 'node:module'; const require = __asynqCreateRequire(import.meta.url);",
  },
  // Less to parse at start-up; identifiers keep their names (class names appear in errors).
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
});
if (values.meta) writeFileSync(values.meta, JSON.stringify(result.metafile));
const chunks = Object.keys(result.metafile.outputs).filter((f) => f.startsWith('lib/chunks/'));
console.error(`bundle-cli: ${entryPoints.length} entry points, ${chunks.length} shared chunks in lib/chunks`);
