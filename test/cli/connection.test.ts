import {describe, expect, it} from 'vitest';
import {
  connectionSecrets,
  DEFAULT_CLUSTER_ADDRS,
  describeConnection,
  resolveConnection,
  type ConnectionFlags,
  type ResolveContext,
} from '../../src/cli/connection.js';
import {ValidationError} from '../../src/lib/errors.js';

const HOME = '/home/tester';
const DEFAULT_CONFIG = `${HOME}/.asynq.yml`;
const SECRET = 'Pa55-w0rd';

/** A context with the given environment and files (nothing else exists). */
function ctx(env: Record<string, string> = {}, files: Record<string, string> = {}): ResolveContext {
  return {env, homeDir: HOME, readFile: (p) => files[p]};
}

function resolve(flags: ConnectionFlags, env: Record<string, string> = {}, files: Record<string, string> = {}) {
  return resolveConnection(flags, ctx(env, files));
}

function fails(fn: () => unknown, message: RegExp): ValidationError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ValidationError);
  expect((caught as Error).message).toMatch(message);
  return caught as ValidationError;
}

describe('resolveConnection: precedence flags > ASYNQ_REDIS_URL/REDIS_URL > config file > default', () => {
  it('falls back to 127.0.0.1:6379 when nothing is set', () => {
    expect(resolve({})).toEqual({conn: {addr: '127.0.0.1:6379'}, source: 'default'});
  });

  it('uses the config file when there is no flag or environment variable', () => {
    const files = {[DEFAULT_CONFIG]: 'uri: 10.0.0.5:6380\ndb: 3\npassword: secret\nusername: app\n'};
    expect(resolve({}, {}, files)).toEqual({
      conn: {addr: '10.0.0.5:6380', db: 3, password: 'secret', username: 'app'},
      source: DEFAULT_CONFIG,
      configFile: DEFAULT_CONFIG,
    });
  });

  it('reads ~/.asynq.yaml when there is no ~/.asynq.yml (Go viper finds either)', () => {
    const files = {[`${HOME}/.asynq.yaml`]: 'uri: cfg-host:1\n'};
    expect(resolve({}, {}, files).conn).toEqual({addr: 'cfg-host:1'});
  });

  it('prefers REDIS_URL over the config file, and ASYNQ_REDIS_URL over REDIS_URL', () => {
    const files = {[DEFAULT_CONFIG]: 'uri: cfg-host:1\n'};
    expect(resolve({}, {REDIS_URL: 'redis://env-host:2/4'}, files)).toEqual({
      conn: {addr: 'env-host:2', db: 4},
      source: 'REDIS_URL',
      configFile: DEFAULT_CONFIG,
    });
    expect(
      resolve({}, {REDIS_URL: 'redis://env-host:2', ASYNQ_REDIS_URL: 'redis://asynq-host:3'}, files),
    ).toMatchObject({
      conn: {addr: 'asynq-host:3'},
      source: 'ASYNQ_REDIS_URL',
    });
  });

  it('treats empty environment variables as unset', () => {
    expect(resolve({}, {ASYNQ_REDIS_URL: '', REDIS_URL: '  '}).source).toBe('default');
  });

  it('prefers --uri over the environment and the config file', () => {
    const files = {[DEFAULT_CONFIG]: 'uri: cfg-host:1\n'};
    expect(resolve({uri: 'flag-host:7'}, {ASYNQ_REDIS_URL: 'redis://env-host:2'}, files)).toMatchObject({
      conn: {addr: 'flag-host:7'},
      source: 'flags',
    });
  });

  it('applies --db, --username, --password and --tls on top of a URI from the environment', () => {
    const r = resolve(
      {db: 5, username: 'u', password: SECRET, tls: true},
      {ASYNQ_REDIS_URL: 'redis://:old@env-host:2/1'},
    );
    expect(r).toEqual({
      conn: {addr: 'env-host:2', db: 5, username: 'u', password: SECRET, tls: true},
      source: 'ASYNQ_REDIS_URL',
    });
  });

  it('applies config-file settings to a server named in the same file', () => {
    const files = {[DEFAULT_CONFIG]: 'uri: redis://cfg-host:1/2\ndb: 6\n'};
    expect(resolve({}, {}, files).conn).toEqual({addr: 'cfg-host:1', db: 6});
  });

  it('never sends a config-file password to a server named by a flag or the environment', () => {
    const files = {[DEFAULT_CONFIG]: `uri: cfg-host:1\npassword: ${SECRET}\ndb: 9\nusername: cfg-user\ntls: true\n`};
    expect(resolve({uri: 'other:1'}, {}, files).conn).toEqual({addr: 'other:1'});
    expect(resolve({}, {REDIS_URL: 'redis://other:2'}, files).conn).toEqual({addr: 'other:2'});
  });

  it('keeps the config file server and credentials when flags only change the database', () => {
    const files = {[DEFAULT_CONFIG]: `uri: cfg-host:1\npassword: ${SECRET}\ndb: 9\n`};
    expect(resolve({db: 2}, {}, files).conn).toEqual({addr: 'cfg-host:1', password: SECRET, db: 2});
  });

  it('passes host:port unchanged (port optional, IPv6 in brackets)', () => {
    expect(resolve({uri: 'redis.internal'}).conn).toEqual({addr: 'redis.internal'});
    expect(resolve({uri: '[::1]:6380'}).conn).toEqual({addr: '[::1]:6380'});
  });

  it('parses every URI scheme through the engine parser', () => {
    expect(resolve({uri: 'rediss://h:6380/1'}).conn).toEqual({addr: 'h:6380', db: 1, tls: {servername: 'h'}});
    expect(resolve({uri: 'redis-socket:///tmp/r.sock?db=2', db: 3}).conn).toEqual({
      addr: '/tmp/r.sock',
      network: 'unix',
      db: 3,
    });
    expect(
      resolve({uri: `redis-sentinel://:${SECRET}@s1:26379,s2:26380/mymaster`, password: 'master-pw'}).conn,
    ).toEqual({
      masterName: 'mymaster',
      sentinelAddrs: ['s1:26379', 's2:26380'],
      sentinelPassword: SECRET,
      password: 'master-pw',
    });
  });
});

describe('resolveConnection: Cluster and Sentinel', () => {
  it('--cluster-addrs names a cluster', () => {
    expect(resolve({'cluster-addrs': 'a:7000, b:7001'})).toEqual({
      conn: {addrs: ['a:7000', 'b:7001']},
      source: 'flags',
    });
  });

  it("--cluster alone takes cluster_addrs from the config file, as Go's CLI does", () => {
    const files = {[DEFAULT_CONFIG]: `cluster_addrs: c1:7000,c2:7000\npassword: ${SECRET}\n`};
    expect(resolve({cluster: true}, {}, files).conn).toEqual({addrs: ['c1:7000', 'c2:7000'], password: SECRET});
  });

  it("--cluster without addresses seeds from --uri, else Go's default 127.0.0.1:7000-7005", () => {
    expect(resolve({cluster: true, uri: 'seed:7005'}).conn).toEqual({addrs: ['seed:7005']});
    expect(resolve({cluster: true}).conn).toEqual({addrs: DEFAULT_CLUSTER_ADDRS});
    fails(() => resolve({cluster: true, uri: 'redis://seed:7005'}), /--cluster-addrs instead of a URI/);
  });

  it('reads a Go CLI config file with cluster: true and a list of addresses', () => {
    const files = {[DEFAULT_CONFIG]: 'cluster: true\ncluster_addrs:\n  - n1:7000\n  - n2:7001\n'};
    expect(resolve({}, {}, files).conn).toEqual({addrs: ['n1:7000', 'n2:7001']});
  });

  it('rejects a database other than 0 for a cluster', () => {
    fails(() => resolve({'cluster-addrs': 'a:1', db: 2}), /only database 0/);
  });

  it('--sentinel-addrs with --master-name names a Sentinel setup', () => {
    expect(
      resolve({'sentinel-addrs': 's1:26379,s2:26379', 'master-name': 'mymaster', db: 1, password: SECRET}).conn,
    ).toEqual({
      masterName: 'mymaster',
      sentinelAddrs: ['s1:26379', 's2:26379'],
      db: 1,
      password: SECRET,
    });
  });

  it('requires both Sentinel settings and refuses --cluster with them', () => {
    fails(() => resolve({'sentinel-addrs': 's1:26379'}), /both --sentinel-addrs and --master-name/);
    fails(() => resolve({'master-name': 'm'}), /both --sentinel-addrs and --master-name/);
    fails(() => resolve({'sentinel-addrs': 's1:1', 'master-name': 'm', cluster: true}), /not both/);
  });
});

describe('resolveConnection: errors are usage errors', () => {
  it('rejects flags that name two different servers', () => {
    fails(() => resolve({uri: 'a:1', 'cluster-addrs': 'b:2'}), /--uri and --cluster-addrs name different servers/);
    fails(() => resolve({uri: 'a:1', 'master-name': 'm'}), /--uri and --sentinel-addrs\/--master-name/);
    fails(
      () => resolve({'cluster-addrs': 'b:2', 'sentinel-addrs': 's:1', 'master-name': 'm'}),
      /--cluster-addrs and --sentinel-addrs/,
    );
  });

  it('rejects malformed addresses with the flag name', () => {
    fails(() => resolve({uri: 'host:notaport'}), /invalid --uri "host:notaport"/);
    fails(() => resolve({uri: 'host:70000'}), /invalid --uri/);
    fails(() => resolve({'cluster-addrs': 'a:1,b c:2'}), /invalid --cluster-addrs "b c:2"/);
    fails(() => resolve({'cluster-addrs': ' , '}), /at least one host:port/);
  });

  it('rejects a bad URI without echoing its password', () => {
    const err = fails(() => resolve({}, {ASYNQ_REDIS_URL: `redis://:${SECRET}@host:badport`}), /invalid redis URI/);
    expect(err.message).not.toContain(SECRET);
  });

  it('fails when an explicit --config file does not exist, but not for the default one', () => {
    fails(() => resolve({config: '/nope/asynq.yml'}), /config file \/nope\/asynq\.yml does not exist/);
    expect(resolve({}).source).toBe('default');
  });

  it('expands ~/ in --config', () => {
    const files = {[`${HOME}/conf/a.yml`]: 'uri: c:1\n'};
    expect(resolve({config: '~/conf/a.yml'}, {}, files)).toMatchObject({
      conn: {addr: 'c:1'},
      configFile: `${HOME}/conf/a.yml`,
    });
  });

  it('reports invalid YAML and wrongly typed keys in the config file', () => {
    fails(() => resolve({}, {}, {[DEFAULT_CONFIG]: 'uri: [unclosed\n'}), /is not valid YAML/);
    fails(() => resolve({}, {}, {[DEFAULT_CONFIG]: '- a\n- b\n'}), /must be a YAML mapping/);
    fails(() => resolve({}, {}, {[DEFAULT_CONFIG]: 'db: two\n'}), /"db" must be a number/);
    fails(() => resolve({}, {}, {[DEFAULT_CONFIG]: 'cluster: yes please\n'}), /"cluster" must be a boolean/);
    fails(() => resolve({}, {}, {[DEFAULT_CONFIG]: 'db: -1\n'}), /must be a non-negative integer/);
  });

  it('never echoes a wrongly typed password from the config file', () => {
    const err = fails(
      () => resolve({}, {}, {[DEFAULT_CONFIG]: `password: [${SECRET}]\n`}),
      /"password" must be a string, got object/,
    );
    expect(err.message).not.toContain(SECRET);
  });

  it('accepts an empty config file and ignores unknown keys', () => {
    expect(resolve({}, {}, {[DEFAULT_CONFIG]: ''})).toEqual({
      conn: {addr: '127.0.0.1:6379'},
      source: 'default',
      configFile: DEFAULT_CONFIG,
    });
    expect(resolve({}, {}, {[DEFAULT_CONFIG]: 'tls_sever: x\nuri: h:1\n'}).conn).toEqual({addr: 'h:1'});
  });

  it('reads a numeric db given as a string and a numeric password as text', () => {
    expect(resolve({}, {}, {[DEFAULT_CONFIG]: 'uri: h:1\ndb: "4"\npassword: 12345\n'}).conn).toEqual({
      addr: 'h:1',
      db: 4,
      password: '12345',
    });
  });
});

describe('resolveConnection: TLS settings', () => {
  it('turns TLS on for every kind of server with any TLS setting', () => {
    expect(resolve({uri: 'h:1', 'tls-insecure': true}).conn).toEqual({addr: 'h:1', tls: {rejectUnauthorized: false}});
    expect(resolve({'cluster-addrs': 'a:1', 'tls-server': 'redis.internal'}).conn).toEqual({
      addrs: ['a:1'],
      tls: {servername: 'redis.internal'},
    });
    expect(resolve({'sentinel-addrs': 's1:1', 'master-name': 'm', tls: true}).conn).toEqual({
      masterName: 'm',
      sentinelAddrs: ['s1:1'],
      tls: true,
    });
    expect(resolve({uri: 'rediss://127.0.0.1:1'}).conn).toEqual({addr: '127.0.0.1:1', tls: {}});
    expect(resolve({uri: 'rediss://h:1', 'tls-insecure': true}).conn).toEqual({
      addr: 'h:1',
      tls: {servername: 'h', rejectUnauthorized: false},
    });
  });

  it("takes ASYNQ_TLS_* and the config keys, Go's insecure only with its tls_server", () => {
    expect(resolve({}, {ASYNQ_REDIS_URL: 'redis://h:1', ASYNQ_TLS_INSECURE: 'true'}).conn).toEqual({
      addr: 'h:1',
      tls: {rejectUnauthorized: false},
    });
    expect(resolve({}, {ASYNQ_TLS_SERVER: 'n'}, {[DEFAULT_CONFIG]: 'uri: h:1\n'}).conn).toEqual({
      addr: 'h:1',
      tls: {servername: 'n'},
    });
    // Like a password, a TLS setting below the source that names the server is not used.
    expect(resolve({uri: 'h:1'}, {ASYNQ_TLS_INSECURE: 'true'}).conn).toEqual({addr: 'h:1'});
    fails(() => resolve({}, {ASYNQ_TLS_INSECURE: 'maybe'}), /invalid ASYNQ_TLS_INSECURE "maybe"/);
    expect(resolve({}, {}, {[DEFAULT_CONFIG]: 'uri: h:1\ninsecure: true\n'}).conn).toEqual({addr: 'h:1'});
    expect(resolve({}, {}, {[DEFAULT_CONFIG]: 'uri: h:1\ntls_server: n\ninsecure: true\n'}).conn).toEqual({
      addr: 'h:1',
      tls: {servername: 'n', rejectUnauthorized: false},
    });
    expect(resolve({}, {}, {[DEFAULT_CONFIG]: 'uri: h:1\ntls_insecure: true\n'}).conn).toEqual({
      addr: 'h:1',
      tls: {rejectUnauthorized: false},
    });
  });

  it('names a missing PEM file (paths in the config file are relative to it) and wants a key with a certificate', () => {
    fails(
      () => resolve({uri: 'h:1', 'tls-ca-cert': '~/ca.pem'}),
      new RegExp(`CA certificate file ${HOME}/ca.pem does not exist`),
    );
    fails(
      () => resolve({}, {}, {[DEFAULT_CONFIG]: 'uri: h:1\ntls_cert: c.pem\ntls_key: k.pem\n'}),
      new RegExp(`client certificate file ${HOME}/c.pem does not exist`),
    );
    fails(() => resolve({uri: 'h:1', 'tls-key': '/k.pem'}), /--tls-cert and --tls-key go together/);
  });
});

describe('connectionSecrets and describeConnection', () => {
  it('lists every password of a connection', () => {
    expect(connectionSecrets({addr: 'h:1', password: SECRET})).toEqual([SECRET]);
    expect(
      connectionSecrets({masterName: 'm', sentinelAddrs: ['s:1'], sentinelPassword: 'sp', password: SECRET}),
    ).toEqual([SECRET, 'sp']);
    expect(connectionSecrets({addrs: ['a:1']})).toEqual([]);
  });

  it('describes every kind of connection without its password', () => {
    const cases: [Parameters<typeof describeConnection>[0], string][] = [
      [{addr: '127.0.0.1:6379'}, '127.0.0.1:6379'],
      [{addr: 'h:1', db: 2, username: 'app', password: SECRET, tls: true}, 'app@h:1 db 2 over TLS (with password)'],
      [{addr: '/tmp/r.sock', network: 'unix'}, 'unix:/tmp/r.sock'],
      [{addrs: ['a:1', 'b:2'], password: SECRET}, 'cluster a:1,b:2 (with password)'],
      [
        {masterName: 'mm', sentinelAddrs: ['s:1'], db: 3, password: SECRET},
        'sentinel master "mm" via s:1 db 3 (with password)',
      ],
    ];
    for (const [conn, text] of cases) {
      expect(describeConnection(conn)).toBe(text);
      expect(describeConnection(conn)).not.toContain(SECRET);
    }
  });
});
