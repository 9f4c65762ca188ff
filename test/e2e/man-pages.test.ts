/**
 * man/*.1 are generated from the command statics (scripts/gen-man.mjs) and committed; these tests
 * keep them current and check what the generator writes.
 */
import {spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
// @ts-expect-error: a plain .mjs build script without type declarations
import {diffManDir, generateManPages} from '../../scripts/gen-man.mjs';
import {EXIT_STATUS} from '../../src/cli/exit-codes.js';
import {connectionFlags} from '../../src/cli/flags.js';
import {ROOT} from '../support/cli.js';

type Pages = Map<string, string>;

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  oclif: {topics: Record<string, {description: string}>};
};
const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
  commands: Record<string, {id: string; hidden?: boolean}>;
};

function inGitCheckout(): boolean {
  return (
    spawnSync('git', ['rev-parse', '--is-inside-work-tree'], {cwd: ROOT, encoding: 'utf8'}).stdout.trim() === 'true'
  );
}

describe('man pages', () => {
  it('the pages in man/ are what the current commands generate (else: npm run man, and commit man/)', () => {
    const r = spawnSync(process.execPath, ['scripts/gen-man.mjs', '--check'], {cwd: ROOT, encoding: 'utf8'});
    expect(r.stderr).toMatch(/man\/: \d+ pages current/);
    expect(r.status).toBe(0);
  });

  it.runIf(process.env.CI !== undefined && inGitCheckout())('on CI, the generated pages are also committed', () => {
    const r = spawnSync('git', ['status', '--porcelain', '--', 'man'], {cwd: ROOT, encoding: 'utf8'});
    expect(r.stdout).toBe('');
  });

  it('has asynq.1 plus one page per topic or top-level command that has commands', async () => {
    const pages = (await generateManPages()) as Pages;
    const firstWords = new Set(
      Object.values(manifest.commands)
        .filter((c) => !c.hidden)
        .map((c) => c.id.split(':')[0]!),
    );
    expect([...pages.keys()].sort()).toEqual(['asynq.1', ...[...firstWords].map((w) => `asynq-${w}.1`)].sort());
  });

  it('asynq.1 documents the topics, connection options, environment, config file and EXIT STATUS table', async () => {
    const page = ((await generateManPages()) as Pages).get('asynq.1')!;
    expect(page).toMatch(
      new RegExp(`^\\.TH "ASYNQ" "1" "" "asynq-ts ${pkg.version.replace(/\./g, '\\.')}" "User Commands"$`, 'm'),
    );
    for (const [name, t] of Object.entries(pkg.oclif.topics))
      expect(page).toContain(`.TP\n\\fB${name}\\fR\n${t.description}\n`);
    for (const name of Object.keys(connectionFlags))
      expect(page).toContain(`\\fB\\-\\-${name.replace(/-/g, '\\-')}\\fR`);
    for (const env of ['ASYNQ_REDIS_URL', 'REDIS_URL', 'NO_COLOR', 'ASYNQ_CONTENT_TYPE', 'DEBUG'])
      expect(page).toContain(`\\fB${env}\\fR`);
    expect(page).toContain('\\fI~/.asynq.yml\\fR');
    const exitStatus = page.slice(page.indexOf('.SH "EXIT STATUS"\n'), page.indexOf('.SH "SEE ALSO"'));
    expect(exitStatus).toBe(
      [
        '.SH "EXIT STATUS"',
        ...EXIT_STATUS.flatMap((r) => ['.TP', `\\fB${r.code}\\fR`, r.meaning.replace(/\\/g, '\\e')]),
        '',
      ].join('\n'),
    );
  });

  it('is deterministic (no dates), so the currency check can compare bytes', async () => {
    const a = (await generateManPages()) as Pages;
    const b = (await generateManPages()) as Pages;
    expect([...a]).toEqual([...b]);
    expect(a.get('asynq.1')).not.toMatch(/20\d\d-\d\d-\d\d/);
  });

  it('the currency check reports missing, changed and stale pages', async () => {
    const pages = (await generateManPages()) as Pages;
    const dir = mkdtempSync(join(tmpdir(), 'asynq-man-'));
    expect(diffManDir(pages, dir)).toEqual([...pages.keys()].map((f) => `${f}: missing`));
    for (const [file, content] of pages) writeFileSync(join(dir, file), content);
    expect(diffManDir(pages, dir)).toEqual([]);
    writeFileSync(join(dir, 'asynq.1'), `${pages.get('asynq.1')}.\\" hand edit\n`);
    writeFileSync(join(dir, 'asynq-gone.1'), 'old\n');
    expect(diffManDir(pages, dir)).toEqual(['asynq.1: out of date', 'asynq-gone.1: no longer generated (stale)']);
  });
});
