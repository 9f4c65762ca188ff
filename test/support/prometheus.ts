/**
 * Reading the Prometheus text format in tests: families with their HELP, TYPE and samples, and
 * `promtool check metrics` when promtool is installed (PROMTOOL names another binary).
 */
import {spawnSync} from 'node:child_process';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  help?: string;
  type?: string;
  samples: Sample[];
}

const unescapeLabel = (s: string) => s.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));

/** The metric families of an exposition, by name (histogram _bucket/_sum/_count samples go to their family). */
export function parseMetrics(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) families.set(name, (f = {samples: []}));
    return f;
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (m) {
      if (m[1] === 'HELP') family(m[2]!).help = m[3]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      else family(m[2]!).type = m[3]!;
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = unescapeLabel(l[2]!);
    const name = m[1]!;
    const base =
      [...families.keys()].find(
        (f) => name === f || (/_(bucket|sum|count)$/.test(name) && name.replace(/_(bucket|sum|count)$/, '') === f),
      ) ?? name;
    family(base).samples.push({name, labels, value: Number(m[3]!)});
  }
  return families;
}

/** The value of the sample of `name` with exactly `labels` (undefined when absent). */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
  family = name,
): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  return families
    .get(family)
    ?.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want)?.value;
}

/** The promtool binary, or undefined when it is not installed. */
export function promtool(): string | undefined {
  const bin = process.env.PROMTOOL ?? 'promtool';
  const r = spawnSync(bin, ['--version'], {encoding: 'utf8'});
  return r.status === 0 ? bin : undefined;
}

/** `promtool check metrics` on `text`: its exit status and output. */
export function promtoolCheck(bin: string, text: string): {status: number | null; output: string} {
  const r = spawnSync(bin, ['check', 'metrics'], {input: text, encoding: 'utf8'});
  return {status: r.status, output: `${r.stdout}${r.stderr}`};
}
