/**
 * A TCP proxy in front of a test Redis, to lose a reply on purpose: `cutNextReply()` arms it so
 * that the next bytes Redis sends to a client are not delivered (or only up to the end of the
 * first reply line) and that client's connection is cut. Redis has executed the command; the
 * client sees a closed connection, reconnects through the proxy (which then forwards normally)
 * and, being ioredis, resends the commands it got no reply for.
 *
 * `refuse()` / `accept()` make an outage without losing Redis's data: every connection is cut
 * and new ones are refused (ECONNREFUSED) until `accept()` listens on the same port again.
 */
import {createServer, connect, type Server, type Socket} from 'node:net';
import type {HostPort} from './redis-cluster.js';

export interface TcpProxy {
  readonly port: number;
  readonly url: string;
  /**
   * The next reply chunk from Redis is dropped and the client connection closed. With
   * `keepFirstLine`, the bytes up to and including the first CRLF (one integer or status reply)
   * are delivered first. Resolves once the connection has been cut.
   */
  cutNextReply(opts?: {keepFirstLine?: boolean}): Promise<void>;
  /** Cuts every connection and stops listening: Redis is unreachable through the proxy. */
  refuse(): Promise<void>;
  /** Listens on the same port again after refuse(). */
  accept(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: HostPort): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let armed: {keepFirstLine: boolean; done: () => void} | undefined;
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d: Buffer) => {
      const cut = armed;
      if (!cut) {
        client.write(d);
        return;
      }
      armed = undefined;
      const eol = d.indexOf('\r\n');
      if (cut.keepFirstLine && eol >= 0) client.write(d.subarray(0, eol + 2));
      client.destroy();
      upstream.destroy();
      cut.done();
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    cutNextReply(opts = {}) {
      return new Promise<void>((done) => {
        armed = {keepFirstLine: opts.keepFirstLine ?? false, done};
      });
    },
    async refuse() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
    async accept() {
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    async close() {
      for (const s of sockets) s.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
