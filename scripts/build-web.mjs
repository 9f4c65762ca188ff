// Bundles the web dashboard (src/webui, Preact + uPlot) into lib/web/public/{index.html,app.js,app.css}
// with esbuild: everything the page loads is in those files (no CDN), and the HTML has no inline
// script or style, as the server's Content-Security-Policy requires. Run by `npm run build`.
import {build} from 'esbuild';
import {copyFileSync, mkdirSync, rmSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'lib', 'web', 'public');
rmSync(out, {recursive: true, force: true});
mkdirSync(out, {recursive: true});

const started = Date.now();
const result = await build({
  entryPoints: {app: join(root, 'src', 'webui', 'main.tsx')},
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  legalComments: 'eof',
  charset: 'utf8',
  tsconfig: join(root, 'src', 'webui', 'tsconfig.json'),
  metafile: true,
  logLevel: 'warning',
});
copyFileSync(join(root, 'src', 'webui', 'index.html'), join(out, 'index.html'));
const sizes = Object.entries(result.metafile.outputs)
  .map(([file, o]) => `${file.split('/').pop()} ${(o.bytes / 1024).toFixed(1)} kB`)
  .join(', ');
console.log(`lib/web/public: index.html, ${sizes} (${Date.now() - started} ms)`);
