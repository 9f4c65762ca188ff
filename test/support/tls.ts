/**
 * Throwaway certificates for TLS tests, made with `openssl` (skip a test when `hasOpenssl` is
 * false): a CA, a server certificate for 127.0.0.1 and localhost (SAN IP and DNS; also usable as
 * a client certificate, so the harness can connect to a server that requires one), and a client
 * certificate. EC P-256 keys: fast to make.
 */
import {spawnSync} from 'node:child_process';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';

export const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

export interface TlsFiles {
  /** CA certificate (PEM) that signed the server and client certificates. */
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, {encoding: 'utf8'});
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Writes the CA, server and client certificates and keys into `dir`; returns their paths. */
export function makeTlsFiles(dir: string): TlsFiles {
  const p = (name: string): string => join(dir, name);
  openssl([
    'req',
    '-x509',
    ...KEY,
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=asynq-ts test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const sign = (name: string, cn: string, ext: string): void => {
    writeFileSync(p(`${name}.ext`), ext);
    openssl(['req', ...KEY, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=${cn}`]);
    openssl([
      'x509',
      '-req',
      '-in',
      p(`${name}.csr`),
      '-CA',
      p('ca.crt'),
      '-CAkey',
      p('ca.key'),
      '-set_serial',
      String(Date.now()),
      '-days',
      '2',
      '-out',
      p(`${name}.crt`),
      '-extfile',
      p(`${name}.ext`),
    ]);
  };
  sign('server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  sign('client', 'asynq-ts test client', 'extendedKeyUsage=clientAuth\n');
  return {
    ca: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
  };
}
