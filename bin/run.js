#!/usr/bin/env node
import {existsSync, readFileSync} from 'node:fs';
import {arch, release} from 'node:os';

// `asynq --version` / `-v` without loading @oclif/core (about half of the CLI's cold start): the same
// line oclif's Config prints, `<name>/<version> <platform>-<arch> node-<version>`. oclif reports
// WSL as platform "wsl"; where the kernel may be WSL's, or oclif's debug output is asked for, oclif
// answers itself.
function fastVersion(argv) {
  if (!argv[0]?.startsWith('-') || process.env.DEBUG) return undefined;
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  if (![...new Set(['--version', ...(pkg.oclif.additionalVersionFlags ?? [])])].includes(argv[0])) return undefined;
  if (process.platform === 'linux') {
    let kernel = release();
    try {
      kernel += readFileSync('/proc/version', 'utf8');
    } catch {}
    if (/microsoft|wsl/i.test(kernel) || existsSync('/proc/sys/fs/binfmt_misc/WSLInterop') || existsSync('/run/WSL'))
      return undefined;
  }
  const cpu = arch() === 'ia32' ? 'x86' : arch();
  return `${pkg.name}/${pkg.version} ${process.platform}-${cpu} node-${process.version}\n`;
}

// `asynq worker run` is not bundled (scripts/bundle-cli.mjs: its handler modules import the
// library, lib/lib): it runs on oclif from node_modules, so that the worker holds one copy of oclif.
const unbundled = (argv) => (argv[0] === 'worker' && argv[1] === 'run') || argv[0] === 'worker:run';

const version = fastVersion(process.argv.slice(2));
if (version === undefined) {
  // oclif's execute from the build's CLI bundle, whose @oclif/core the bundled commands share.
  const {execute} = await (unbundled(process.argv.slice(2))
    ? import('@oclif/core/execute')
    : import('../lib/cli/execute.js'));
  await execute({dir: import.meta.url});
} else {
  process.stdout.write(version);
}
