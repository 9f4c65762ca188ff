/**
 * The Redis limit: redis-benchmark (-q --csv) running a script or command against the bench server,
 * with no client library in the way. Scripts are loaded once (SCRIPT LOAD) and run by EVALSHA.
 */
import {spawnSync} from 'node:child_process';

export function redisBenchmarkAvailable() {
  const r = spawnSync('redis-benchmark', ['--version'], {encoding: 'utf8'});
  return !r.error && r.status === 0;
}

/**
 * Runs redis-benchmark; returns {rps, p50Ms, p99Ms}. `args` is the command and its arguments
 * (`__rand_int__` is replaced by a random 12-digit number per occurrence, -r 10^12).
 */
export function redisBenchmark(server, {requests, clients = 1, pipeline = 1, args}) {
  const r = spawnSync(
    'redis-benchmark',
    [
      '-h',
      server.host,
      '-p',
      String(server.port),
      '-n',
      String(requests),
      '-c',
      String(clients),
      '-P',
      String(pipeline),
      '-r',
      '1000000000000',
      '--csv',
      ...args.map(String),
    ],
    {encoding: 'utf8', maxBuffer: 1 << 20},
  );
  if (r.error || r.status !== 0) throw new Error(`redis-benchmark failed: ${r.error ?? r.stderr}`);
  const lines = r.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('"') && !l.startsWith('"test"'));
  const cols = lines
    .at(-1)
    ?.match(/"([^"]*)"/g)
    ?.map((c) => c.slice(1, -1));
  if (!cols || cols.length < 7) throw new Error(`unexpected redis-benchmark output: ${r.stdout}`);
  return {rps: Number(cols[1]), p50Ms: Number(cols[4]), p99Ms: Number(cols[6])};
}
