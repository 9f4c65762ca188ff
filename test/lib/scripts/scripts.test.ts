/**
 * Lints every Lua script and include: header layout, key count, includes, generated index, use,
 * and that Redis compiles each script as it is sent (includes expanded).
 */
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';
import {scripts} from '../../../src/lib/scripts/index.js';
import {loadScripts, renderIndex} from '../../../scripts/lua-scripts.mjs';
import {useRedis} from '../../support/redis.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dir = join(root, 'src', 'lib', 'scripts');
const files = readdirSync(dir).filter((f) => f.endsWith('.lua')).sort();
const includeFiles = readdirSync(join(dir, 'includes')).filter((f) => f.endsWith('.lua')).sort();
const includeNames = includeFiles.map((f) => f.replace(/\.lua$/, ''));
const brokerSource = readdirSync(join(root, 'src', 'lib', 'broker'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => readFileSync(join(root, 'src', 'lib', 'broker', f), 'utf8'))
  .join('\n');
const HEADER = /^--\[\[\n([\s\S]*?)\n\]\]\n/;
const INCLUDE = /^--- @include "includes\/([^"]*)"$/;
/** The source of a script file as written. */
const source = (file: string): string => readFileSync(join(dir, file), 'utf8');
/** The script as sent to Redis, from the generated index. */
const sent = (file: string): string => Object.values(scripts).find((s) => s.file === file)!.lua;
/** The include names a script file gives, in order. */
const includesOf = (file: string): string[] =>
  source(file).split('\n').flatMap((line) => INCLUDE.exec(line)?.[1] ?? []);

const r = useRedis({flushEach: false});

describe('Lua scripts', () => {
  it('index.ts is generated from exactly the .lua files and includes as they are now (run npm run gen:scripts)', () => {
    expect(Object.values(scripts).map((s) => s.file).sort()).toEqual(files);
    const loaded = loadScripts(dir);
    expect(loaded.unused).toEqual([]);
    expect(readFileSync(join(dir, 'index.ts'), 'utf8')).toBe(renderIndex(loaded.scripts));
    for (const s of loaded.scripts) expect(sent(s.file)).toBe(s.lua);
  });

  it.each(files)('%s has a header whose KEYS match the file name and the body', (file) => {
    const [, name, n] = /^([A-Za-z0-9]+)-(\d+)\.lua$/.exec(file)!;
    // The header as Redis sees it: the expanded script still starts with it.
    const lua = sent(file);
    const header = HEADER.exec(lua);
    expect(header, 'file must start with a --[[ ... ]] header').not.toBeNull();
    expect(source(file).startsWith(header![0]), 'the header is the file\'s own').toBe(true);
    const text = header![1]!;
    expect(text.trimStart().startsWith(`${name}:`), `header must start with "${name}:"`).toBe(true);
    expect(text).toMatch(/\n\s*Input:\n/);
    expect(text).toMatch(/\n\s*Output:\n/);
    const declared = [...text.matchAll(/^\s*KEYS\[(\d+)\]/gm)].map((m) => Number(m[1]));
    expect(declared).toEqual(Array.from({length: Number(n)}, (_, i) => i + 1));
    const body = lua.slice(header![0].length);
    const used = new Set([...body.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1])));
    for (const k of used) expect(k, `body uses KEYS[${k}] beyond the declared ${n}`).toBeLessThanOrEqual(Number(n));
    // Keys built inside a script from ARGV prefixes must be declared as such.
    if (/\.\.\s*ARGV|ARGV\[\d+\]\s*\.\./.test(body) && /redis\.call\("(?:HSET|HGET|DEL|ZADD|LPUSH|HDEL|EXISTS|HMGET|ZRANGE|ZREM|MEMORY)"?,\s*ARGV\[\d+\]\s*\.\./.test(body)) {
      expect(text, 'a script building keys from ARGV must say so in a NOTE line').toMatch(/NOTE:/);
    }
  });

  it.each(files)('%s: its include lines follow the header, name existing includes once each, and each is called (by the script or an include named after it)', (file) => {
    const body = source(file).replace(HEADER, '');
    const lines = body.split('\n');
    const names = includesOf(file);
    // A local function is only visible below its definition: the includes come first.
    expect(lines.slice(0, names.length).every((line) => INCLUDE.test(line)), 'include lines stand together right after the header').toBe(true);
    expect(lines.slice(names.length).some((line) => line.includes('@include')), 'no other @include lines').toBe(false);
    expect(new Set(names).size, 'an include named twice').toBe(names.length);
    const rest = lines.slice(names.length).join('\n');
    names.forEach((name, i) => {
      expect(includeNames, `includes/${name}.lua does not exist`).toContain(name);
      // An include may call the includes a script names before it (dequeueTask calls keyTypeProblem).
      const later = names.slice(i + 1).map((n) => readFileSync(join(dir, 'includes', `${n}.lua`), 'utf8').replace(HEADER, ''));
      expect([rest, ...later].join('\n'), `${file} includes ${name} but never calls it`).toMatch(new RegExp(`\\b${name}\\(`));
    });
  });

  it('every include is used by some script', () => {
    const named = new Set(files.flatMap(includesOf));
    expect(includeNames.filter((name) => !named.has(name))).toEqual([]);
  });

  it.each(includeFiles)('includes/%s has a header, defines one local function of its name, reads no KEYS/ARGV and includes nothing', (file) => {
    const name = file.replace(/\.lua$/, '');
    expect(file).toMatch(/^[A-Za-z0-9]+\.lua$/);
    const lua = readFileSync(join(dir, 'includes', file), 'utf8');
    const header = HEADER.exec(lua);
    expect(header, 'include must start with a --[[ ... ]] header').not.toBeNull();
    expect(header![1]!.trimStart().startsWith(`${name}(`), `header must start with "${name}(<parameters>):"`).toBe(true);
    const body = lua.slice(header![0].length);
    expect([...body.matchAll(/^local function (\w+)\(/gm)].map((m) => m[1])).toEqual([name]);
    expect(body.startsWith(`local function ${name}(`), 'the function follows the header').toBe(true);
    expect(body.endsWith('\nend\n'), 'nothing after the function').toBe(true);
    // Keys come in as arguments, so each script's header keeps the full list of what it touches.
    expect(body).not.toMatch(/\b(KEYS|ARGV)\b/);
    expect(lua).not.toContain('@include');
  });

  it.each(files)('%s is called by the broker', (file) => {
    const name = /^([A-Za-z0-9]+)-/.exec(file)![1]!;
    expect(brokerSource.includes(`'${name}'`), `no broker code runs '${name}'`).toBe(true);
  });

  it.each(files)('%s compiles in Redis as sent (includes expanded)', async (file) => {
    const sha = (await r.redis.script('LOAD', sent(file))) as string;
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
  });
});

describe('the include expander (scripts/lua-scripts.mjs)', () => {
  const header = (name: string) => `--[[\n  ${name}: test.\n\n  Input:\n  Output:\n]]\n`;
  /** Writes a scripts folder with the given script and include files and loads it. */
  const load = (scriptFiles: Record<string, string>, includeFiles: Record<string, string>) => {
    const tmp = mkdtempSync(join(tmpdir(), 'lua-scripts-'));
    try {
      mkdirSync(join(tmp, 'includes'));
      for (const [f, text] of Object.entries(scriptFiles)) writeFileSync(join(tmp, f), text);
      for (const [f, text] of Object.entries(includeFiles)) writeFileSync(join(tmp, 'includes', f), text);
      return loadScripts(tmp);
    } finally {
      rmSync(tmp, {recursive: true, force: true});
    }
  };
  const inc = '--[[\n  f(x): test.\n]]\nlocal function f(x)\n  return x\nend\n';

  it('replaces an include line by the include text and reports unused includes', () => {
    const res = load({'a-0.lua': `${header('a')}--- @include "includes/f"\nreturn f(1)\n`}, {'f.lua': inc, 'g.lua': inc});
    expect(res.scripts[0]!.lua).toBe(`${header('a')}${inc}return f(1)\n`);
    expect(res.scripts[0]!.includes).toEqual(['f']);
    expect(res.unused).toEqual(['g']);
  });

  it('rejects a missing include, one named twice, a nested include and a bad file name', () => {
    expect(() => load({'a-0.lua': '--- @include "includes/nope"\n'}, {})).toThrow(/no include "includes\/nope"/);
    expect(() => load({'a-0.lua': '--- @include "includes/f"\n--- @include "includes/f"\n'}, {'f.lua': inc})).toThrow(/twice/);
    expect(() => load({'a-0.lua': '--- @include "includes/f"\n'}, {'f.lua': `--- @include "includes/g"\n${inc}`, 'g.lua': inc})).toThrow(/may not include/);
    expect(() => load({'a-0.lua': '  --- @include "includes/f"\n'}, {'f.lua': inc})).toThrow(/line of its own/);
    expect(() => load({'a.lua': ''}, {})).toThrow(/<name>-<numberOfKeys>\.lua/);
  });
});
