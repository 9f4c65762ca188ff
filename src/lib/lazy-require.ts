/**
 * CommonJS dependencies loaded on first use. A worker or client that never parses a cron spec,
 * reads a YAML file or exports metrics does not load cron-parser (with luxon), yaml or prom-client
 * (with @opentelemetry/api): ~170 modules and several MB of a worker's memory. Synchronous, so the
 * functions that use them keep their signatures.
 */
import {createRequire} from 'node:module';

const load = createRequire(import.meta.url);

/** `() => require(id)`, loaded once (type it with `import type * as M from '<id>'`). */
export function lazyRequire<T>(id: string): () => T {
  let mod: T | undefined;
  return () => (mod ??= load(id) as T);
}
