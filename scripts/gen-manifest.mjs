#!/usr/bin/env node
// Writes oclif.manifest.json (the cached command statics) from the compiled commands in lib/, so
// `asynq --help` and command lookup do not import every command at start-up. Uses @oclif/core's
// own Plugin loader (what the heavy `oclif manifest` CLI does), run by `npm run build`.
// Needs lib/ (run after tsc). `node scripts/gen-manifest.mjs` writes; importers use loadManifest().
import {writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {Plugin} from '@oclif/core';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The manifest built fresh from the compiled commands (never from an existing oclif.manifest.json). */
export async function loadManifest(root = ROOT) {
  const plugin = new Plugin({
    root,
    type: 'core',
    isRoot: true,
    ignoreManifest: true,
    errorOnManifestCreate: true,
    respectNoCacheDefault: true,
  });
  await plugin.load();
  return {manifest: plugin.manifest, pjson: plugin.pjson};
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const {manifest} = await loadManifest();
  writeFileSync(join(ROOT, 'oclif.manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  console.error(`oclif.manifest.json: ${Object.keys(manifest.commands).length} commands`);
}
