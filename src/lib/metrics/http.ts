/**
 * A small HTTP server for Prometheus and probes: GET /metrics (the text format), and optionally
 * GET /healthz and /readyz (200 "ok" or 503 with the reason). Anything else is 404.
 */
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import type {Registry} from 'prom-client';

/** The answer of a probe: ok, or not with the reason. */
export interface ProbeResult {
  ok: boolean;
  reason?: string;
}

export interface MetricsHttpOptions {
  /** TCP port (0: any free port, see MetricsHttpServer.port). */
  port: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Served at /metrics. */
  registry: Registry;
  /** /healthz: is the process alive (404 when absent). */
  healthz?: () => ProbeResult;
  /** /readyz: can it do its work (404 when absent). */
  readyz?: () => ProbeResult;
}

export interface MetricsHttpServer {
  host: string;
  port: number;
  /** `http://host:port` */
  url: string;
  close(): Promise<void>;
}

function probe(res: ServerResponse, check: () => ProbeResult): void {
  let r: ProbeResult;
  try {
    r = check();
  } catch (err) {
    r = {ok: false, reason: String(err)};
  }
  res.writeHead(r.ok ? 200 : 503, {'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store'});
  res.end(r.ok ? 'ok\n' : `${r.reason ?? 'not ok'}\n`);
}

async function handle(opts: MetricsHttpOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, {Allow: 'GET, HEAD'}).end();
    return;
  }
  if (path === '/metrics') {
    const body = await opts.registry.metrics();
    res.writeHead(200, {'Content-Type': opts.registry.contentType});
    res.end(req.method === 'HEAD' ? undefined : body);
  } else if (path === '/healthz' && opts.healthz) {
    probe(res, opts.healthz);
  } else if (path === '/readyz' && opts.readyz) {
    probe(res, opts.readyz);
  } else {
    res.writeHead(404, {'Content-Type': 'text/plain; charset=utf-8'}).end('not found\n');
  }
}

/** Starts the server; resolves once it listens (rejects e.g. with EADDRINUSE). */
export function serveMetrics(opts: MetricsHttpOptions): Promise<MetricsHttpServer> {
  const server = createServer((req, res) => {
    handle(opts, req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, {'Content-Type': 'text/plain; charset=utf-8'});
      res.end(`${String(err)}\n`);
    });
  });
  const host = opts.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      const {port} = server.address() as AddressInfo;
      const urlHost = host.includes(':') ? `[${host}]` : host;
      resolve({
        host, port, url: `http://${urlHost}:${port}`,
        close: () => new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
      });
    });
  });
}
