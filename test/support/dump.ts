/** Dumps every key of a Redis database with its type, TTL and contents, for assertions. */
import type {Redis} from 'ioredis';

export type KeyDump =
  | {key: string; type: 'string'; ttl: number; value: Buffer}
  | {key: string; type: 'hash'; ttl: number; value: Record<string, Buffer>}
  | {key: string; type: 'list'; ttl: number; value: Buffer[]}
  | {key: string; type: 'set'; ttl: number; value: string[]}
  | {key: string; type: 'zset'; ttl: number; value: Array<{member: string; score: number}>};

async function dumpKey(c: Redis, key: string): Promise<KeyDump | undefined> {
  const type = await c.type(key);
  const ttl = await c.ttl(key);
  switch (type) {
    case 'none':
      return undefined;
    case 'string':
      return {key, type, ttl, value: (await c.getBuffer(key))!};
    case 'hash': {
      const raw = await c.hgetallBuffer(key);
      const value: Record<string, Buffer> = {};
      for (const [f, v] of Object.entries(raw)) value[f] = v as Buffer;
      return {key, type, ttl, value};
    }
    case 'list':
      return {key, type, ttl, value: await c.lrangeBuffer(key, 0, -1)};
    case 'set':
      return {key, type, ttl, value: (await c.smembers(key)).sort()};
    case 'zset': {
      const flat = await c.zrange(key, 0, -1, 'WITHSCORES');
      const value: Array<{member: string; score: number}> = [];
      for (let i = 0; i < flat.length; i += 2) value.push({member: flat[i]!, score: Number(flat[i + 1])});
      return {key, type, ttl, value};
    }
    default:
      throw new Error(`unexpected key type ${type} for ${key}`);
  }
}

/** Every key of the selected database, sorted by name. */
export async function dumpAll(c: Redis): Promise<KeyDump[]> {
  const keys = (await c.keys('*')).sort();
  const out: KeyDump[] = [];
  for (const k of keys) {
    const d = await dumpKey(c, k);
    if (d) out.push(d);
  }
  return out;
}

/** Just the key names and types, sorted: handy for "nothing else was written" checks. */
export async function keyTypes(c: Redis): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const k of (await c.keys('*')).sort()) out[k] = await c.type(k);
  return out;
}

/**
 * dumpAll for comparing with an earlier dump `before` that should be unchanged: a key whose TTL
 * went down by at most 2 s since then (time passing, not a write) reports its `before` TTL, so
 * "nothing was written" holds across a second boundary on a loaded machine. Any other difference
 * (value, type, a new key, a TTL that grew or was reset) still shows.
 */
export async function dumpAllSince(c: Redis, before: readonly KeyDump[]): Promise<KeyDump[]> {
  const then = new Map(before.map((d) => [d.key, d]));
  return (await dumpAll(c)).map((d) => {
    const b = then.get(d.key);
    if (b === undefined || b.ttl <= 0 || d.ttl <= 0 || d.ttl > b.ttl || b.ttl - d.ttl > 2) return d;
    return {...d, ttl: b.ttl} as KeyDump;
  });
}
