/** Lints every Lua script: header layout, key count, generated index, use, and that Redis compiles it. */
import {readdirSync, readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {describe, expect, it} from 'vitest';
import {scripts} from '../../../src/lib/scripts/index.js';
import {useRedis} from '../../support/redis.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dir = join(root, 'src', 'lib', 'scripts');
const files = readdirSync(dir).filter((f) => f.endsWith('.lua')).sort();
const brokerSource = readdirSync(join(root, 'src', 'lib', 'broker'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => readFileSync(join(root, 'src', 'lib', 'broker', f), 'utf8'))
  .join('\n');

const r = useRedis({flushEach: false});

describe('Lua scripts', () => {
  it('index.ts is generated from exactly the .lua files (run npm run gen:scripts)', () => {
    expect(Object.values(scripts).map((s) => s.file).sort()).toEqual(files);
    for (const s of Object.values(scripts)) expect(s.lua).toBe(readFileSync(join(dir, s.file), 'utf8'));
  });

  it.each(files)('%s has a header whose KEYS match the file name and the body', (file) => {
    const [, name, n] = /^([A-Za-z0-9]+)-(\d+)\.lua$/.exec(file)!;
    const lua = readFileSync(join(dir, file), 'utf8');
    const header = /^--\[\[\n([\s\S]*?)\n\]\]\n/.exec(lua);
    expect(header, 'file must start with a --[[ ... ]] header').not.toBeNull();
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

  it.each(files)('%s is called by the broker', (file) => {
    const name = /^([A-Za-z0-9]+)-/.exec(file)![1]!;
    expect(brokerSource.includes(`'${name}'`), `no broker code runs '${name}'`).toBe(true);
  });

  it.each(files)('%s compiles in Redis', async (file) => {
    const lua = readFileSync(join(dir, file), 'utf8');
    const sha = (await r.redis.script('LOAD', lua)) as string;
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
  });
});
