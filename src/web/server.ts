/**
 * The `asynq web` HTTP server: a Hono app with the JSON API (./api.ts) under `<base>/api`, the
 * browser UI's files (lib/web/public, built by esbuild) under `<base>/` with a fallback to
 * index.html, and the checks and headers of docs/web-api.md: authentication (./auth.ts), CSRF and
 * Origin on every POST, --read-only, a loopback `Host` when there is no authentication, and a
 * strict Content-Security-Policy on every answer.
 */
import {readFileSync, readdirSync, statSync} from 'node:fs';
import type {AddressInfo} from 'node:net';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {createAdaptorServer} from '@hono/node-server';
import {Hono, type Context, type Next} from 'hono';
import {bodyLimit} from 'hono/body-limit';
import {getCookie, setCookie} from 'hono/cookie';
import {FailedPreconditionError, ValidationError} from '../lib/errors.js';
import type {Inspector} from '../lib/index.js';
import {apiRoutes} from './api.js';
import type {SessionJson} from './api-types.js';
import {Auth, SESSION_COOKIE, hostName, isLoopbackHost, sameOrigin, type AuthOptions, type Session} from './auth.js';
import {WebError, errorResponse, jsonResponse} from './respond.js';

export interface WebOptions {
  inspector: Inspector;
  auth?: AuthOptions;
  readOnly?: boolean;
  /** '' or '/name[/name…]' (normalised by basePath()). */
  basePath?: string;
  /** The UI's files (default: lib/web/public next to this module). */
  publicDir?: string;
  /** Version shown in the session document. */
  version?: string;
  /** Pause after a failed login (default 500 ms). */
  loginDelayMs?: number;
  /** Clock of the sessions and of the search's time budget, in ms (tests). */
  now?: () => number;
  /** Unexpected errors (a bug) go here with their stack; nothing else is logged. */
  logError?: (err: unknown) => void;
}

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Login attempts that may wait for their turn at once; more are refused (429). */
const MAX_LOGINS_WAITING = 64;

/** Largest request body the API reads (login, bulk actions). */
const MAX_BODY = 64 * 1024;

/**
 * `--base-path` normalised: '' for none, else '/a/b' (leading slash, no trailing one). Only
 * URL-safe characters, so that it can go into a header and the page as it is.
 */
export function basePath(raw: string | undefined): string {
  const p = (raw ?? '').trim().replace(/\/+$/, '');
  if (p === '') return '';
  const withSlash = p.startsWith('/') ? p : `/${p}`;
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(withSlash) || /\/\.\.?(\/|$)/.test(withSlash))
    throw new ValidationError(
      `--base-path must be a URL path like /asynq (letters, digits, '.', '_', '~', '-' between slashes), got ${JSON.stringify(raw)}`,
    );
  return withSlash;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

interface StaticFile {
  type: string;
  body: Uint8Array<ArrayBuffer>;
}

const PLACEHOLDER = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>asynq web</title></head>
<body><h1>asynq web</h1><p>The dashboard's page is not built: run <code>npm run build</code>. The JSON API is served under <code>api/</code> (see docs/web-api.md).</p></body></html>
`;

/**
 * The UI's files, read once at start (a fixed set: a request can only ever get one of them, so no
 * path from a URL reaches the file system). index.html gets a `<base href>` for the base path, so
 * that its relative asset URLs work from any deep link.
 */
function loadStatic(dir: string, base: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (rel: string, depth: number): void => {
    let names: string[];
    try {
      names = readdirSync(join(dir, rel));
    } catch {
      return; // not built
    }
    for (const name of names) {
      const relPath = rel === '' ? name : `${rel}/${name}`;
      const full = join(dir, relPath);
      const st = statSync(full);
      if (st.isDirectory()) {
        if (depth < 3) walk(relPath, depth + 1);
      } else if (st.isFile()) {
        const ext = /\.[^.]+$/.exec(name)?.[0] ?? '';
        files.set(relPath, {
          type: CONTENT_TYPES[ext] ?? 'application/octet-stream',
          body: new Uint8Array(readFileSync(full)),
        });
      }
    }
  };
  walk('', 0);
  const index = files.get('index.html');
  const html = index === undefined ? PLACEHOLDER : Buffer.from(index.body).toString('utf8');
  const baseTag = `<base href="${base}/"><meta name="asynq-base-path" content="${base}">`;
  const withBase = /<head[^>]*>/i.test(html) ? html.replace(/<head[^>]*>/i, (h) => `${h}${baseTag}`) : baseTag + html;
  files.set('index.html', {type: CONTENT_TYPES['.html']!, body: Buffer.from(withBase, 'utf8')});
  return files;
}

// '../web/public/' from this module: lib/web/server.js as tsc writes it, and equally from the CLI
// bundle (lib/commands/web.js, lib/chunks/*.js: scripts/bundle-cli.mjs), each one folder below lib/.
const DEFAULT_PUBLIC_DIR = fileURLToPath(new URL('../web/public/', import.meta.url));

/** Every route of `asynq web` on one Hono app. */
export function createWebApp(opts: WebOptions): Hono {
  const base = basePath(opts.basePath);
  const auth = new Auth(opts.auth ?? {}, opts.now);
  const readOnly = opts.readOnly === true;
  const loginDelay = opts.loginDelayMs ?? 500;
  const logError = opts.logError ?? (() => {});
  const files = loadStatic(opts.publicDir ?? DEFAULT_PUBLIC_DIR, base);

  const app = new Hono();
  app.onError((err, c) => errorResponse(c, err, logError));
  app.notFound((c) =>
    errorResponse(c, new WebError('ROUTE_NOT_FOUND', `no such page: ${c.req.method} ${c.req.path}`), logError),
  );

  // Every answer: the security headers. Without authentication only a loopback Host is served
  // (a page elsewhere cannot reach this server through DNS rebinding).
  app.use('*', async (c: Context, next: Next) => {
    if (!auth.required && !isLoopbackHost(hostName(c.req.header('host') ?? ''))) {
      c.res = errorResponse(
        c,
        new WebError(
          'FORBIDDEN',
          'this dashboard has no authentication and answers only to localhost, 127.0.0.1 or [::1]',
        ),
        logError,
      );
    } else {
      await next();
    }
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(k, v);
  });

  const sessionOf = (c: Context): Session | undefined => auth.session(getCookie(c, SESSION_COOKIE));
  const secure = (c: Context): boolean =>
    new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
  const sessionJson = (s: Session): SessionJson => ({
    authenticated: s.authenticated,
    authRequired: auth.required,
    loginMethods: auth.loginMethods,
    user: s.user,
    readOnly,
    csrfToken: s.csrfToken,
    basePath: base,
    version: opts.version ?? '',
  });
  const setSession = (c: Context, s: Session): void =>
    setCookie(c, SESSION_COOKIE, s.id, {httpOnly: true, sameSite: 'Strict', path: `${base}/`, secure: secure(c)});

  /** POST checks: Origin, then the CSRF token of the session (header, or `csrfToken` form field). */
  const checkPost = async (c: Context, session: Session | undefined): Promise<void> => {
    const ok = sameOrigin({
      origin: c.req.header('origin'),
      referer: c.req.header('referer'),
      host: c.req.header('host'),
      forwardedHost: c.req.header('x-forwarded-host'),
      fetchSite: c.req.header('sec-fetch-site'),
    });
    if (!ok) throw new WebError('FORBIDDEN', 'cross-origin request refused: the Origin is not this server');
    let token = c.req.header('x-csrf-token');
    if (token === undefined && (c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) {
      const form = await c.req.parseBody();
      token = typeof form.csrfToken === 'string' ? form.csrfToken : undefined;
    }
    if (session === undefined)
      throw new WebError('FORBIDDEN', 'no session: GET api/session first and send its csrfToken as X-CSRF-Token');
    if (!Auth.csrfOk(session, token))
      throw new WebError('FORBIDDEN', 'missing or wrong X-CSRF-Token: send the csrfToken of GET api/session');
  };

  let loginLine: Promise<void> = Promise.resolve();
  let loginsWaiting = 0;

  const api = new Hono();
  api.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY,
      onError: () => {
        throw new ValidationError(`the request body is larger than ${MAX_BODY} bytes`);
      },
    }),
  );

  api.get('/session', (c) => {
    const s = sessionOf(c) ?? auth.newSession();
    setSession(c, s);
    return jsonResponse(c, sessionJson(s));
  });
  api.post('/login', async (c) => {
    const old = sessionOf(c);
    await checkPost(c, old);
    const creds = await credentials(c);
    // Logins are checked one at a time, and a failed one holds the line for loginDelay: however
    // many requests an attacker sends at once, at most 1000/loginDelay guesses a second are tried.
    if (loginsWaiting >= MAX_LOGINS_WAITING)
      throw new WebError('TOO_MANY_REQUESTS', 'too many login attempts at once: try again in a few seconds');
    loginsWaiting++;
    const turn = loginLine.then(async () => {
      const s = auth.login(creds, old);
      if (s === undefined) await new Promise((r) => setTimeout(r, loginDelay));
      return s;
    });
    loginLine = turn.then(
      () => undefined,
      () => undefined,
    );
    const s = await turn.finally(() => loginsWaiting--);
    if (s === undefined)
      throw new WebError('UNAUTHORIZED', creds.token !== undefined ? 'wrong token' : 'wrong user or password');
    setSession(c, s);
    return jsonResponse(c, sessionJson(s));
  });
  api.post('/logout', async (c) => {
    const old = sessionOf(c);
    await checkPost(c, old);
    if (old) auth.drop(old.id);
    const s = auth.newSession();
    setSession(c, s);
    return jsonResponse(c, sessionJson(s));
  });

  // Everything else: logged in (or a bearer token, or no authentication); POSTs also pass the
  // CSRF and Origin checks (not needed with a bearer token: no browser sends one by itself) and
  // are refused on a read-only server.
  api.use('*', async (c, next) => {
    const bearer = auth.bearer(c.req.header('authorization'));
    const session = sessionOf(c);
    if (!bearer && auth.required && session?.authenticated !== true)
      throw new WebError('UNAUTHORIZED', 'not logged in: POST api/login, or send Authorization: Bearer <token>');
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      if (!bearer) await checkPost(c, session);
      if (readOnly)
        throw new WebError('READ_ONLY', 'this dashboard is read-only (asynq web --read-only): nothing was changed');
    }
    await next();
  });
  api.route('/', apiRoutes(opts.inspector, {now: opts.now}));
  api.all('*', (c) => {
    throw new WebError(
      'ROUTE_NOT_FOUND',
      `no such API route: ${c.req.method} ${c.req.path}`,
      c.req.method === 'GET' ? 404 : 405,
    );
  });

  const root = base === '' ? app : app.basePath(base);
  root.route('/api', api);
  // The UI: its files, and index.html for every other page path (the page routes itself).
  root.get('*', (c) => {
    const rel = decodeURIComponentSafe(c.req.path.slice(base.length + 1));
    const file = files.get(rel === '' ? 'index.html' : rel);
    if (file !== undefined) return staticAnswer(c, file);
    if (/\.[A-Za-z0-9]+$/.test(rel) || rel.startsWith('api/') || rel === 'api')
      throw new WebError('ROUTE_NOT_FOUND', `no such file: ${rel}`);
    return staticAnswer(c, files.get('index.html')!);
  });
  if (base !== '') app.get('/', (c) => c.redirect(`${base}/`));
  return app;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function staticAnswer(c: Context, f: StaticFile): Response {
  return c.body(f.body, 200, {'Content-Type': f.type, 'Cache-Control': 'no-cache'});
}

/** The login body: JSON or a form, `{user, password}` or `{token}`. */
async function credentials(c: Context): Promise<{user?: string; password?: string; token?: string}> {
  const type = c.req.header('content-type') ?? '';
  let body: Record<string, unknown>;
  if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
    body = await c.req.parseBody();
  } else {
    try {
      body = (await c.req.json()) as Record<string, unknown>;
    } catch {
      throw new ValidationError('the login body must be JSON {"user", "password"} or {"token"}, or a form');
    }
  }
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const creds = {user: str(body?.user), password: str(body?.password), token: str(body?.token)};
  if (creds.password === undefined && creds.token === undefined)
    throw new ValidationError('the login body must have "user" and "password", or "token"');
  return creds;
}

export interface WebServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves `app` on host:port; resolves once it listens. A port in use is FailedPreconditionError (exit 4). */
export function listen(app: Hono, host: string, port: number): Promise<WebServer> {
  const server = createAdaptorServer({fetch: app.fetch, hostname: host});
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE')
        reject(new FailedPreconditionError(`port ${port} on ${host} is in use: pick another with --port`));
      else if (err.code === 'EADDRNOTAVAIL')
        reject(new ValidationError(`cannot listen on ${host}: no such address on this machine (--host)`));
      else reject(err);
    });
    server.listen(port, host, () => {
      const actual = (server.address() as AddressInfo).port;
      const urlHost = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${urlHost}:${actual}`,
        port: actual,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            if ('closeAllConnections' in server) server.closeAllConnections();
          }),
      });
    });
  });
}
