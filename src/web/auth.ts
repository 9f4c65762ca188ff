/**
 * Who may use `asynq web`: the credentials it was started with, the in-memory sessions (cookie),
 * and the request checks every route goes through (docs/web-api.md "Sessions, authentication and
 * CSRF"). Secrets are kept only as SHA-256 digests and compared with crypto.timingSafeEqual, so
 * the time a check takes does not depend on how much of a guess was right; nothing here logs them.
 */
import {createHash, randomBytes, timingSafeEqual} from 'node:crypto';

/** What the server was started with. */
export interface AuthOptions {
  /** A user and password (`--auth user:password-file`, ASYNQ_WEB_USER/ASYNQ_WEB_PASSWORD). */
  password?: {user: string; password: string};
  /** A bearer token (`--token-file`, ASYNQ_WEB_TOKEN). */
  token?: string;
}

export const SESSION_COOKIE = 'asynq_web_session';
/** A session ends after this long without a request. */
const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** At most this many sessions are kept; beyond it the least recently used one is dropped. */
const MAX_SESSIONS = 10_000;

export interface Session {
  id: string;
  csrfToken: string;
  /** Logged in (or nothing to log in to). */
  authenticated: boolean;
  user: string | null;
  lastSeen: number;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** `a === b` in a time that depends on neither string (both hashed to 32 bytes first). */
function sameDigest(given: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(given), expected);
}

const newId = (): string => randomBytes(32).toString('base64url');

/** The credentials and the sessions of one server. */
export class Auth {
  readonly #user?: Buffer;
  readonly #userName?: string;
  readonly #password?: Buffer;
  readonly #token?: Buffer;
  readonly #sessions = new Map<string, Session>();
  readonly #now: () => number;

  constructor(opts: AuthOptions, now: () => number = Date.now) {
    if (opts.password) {
      this.#userName = opts.password.user;
      this.#user = digest(opts.password.user);
      this.#password = digest(opts.password.password);
    }
    if (opts.token !== undefined) this.#token = digest(opts.token);
    this.#now = now;
  }

  /** True when a password or a token is configured: the API then needs a login or a bearer token. */
  get required(): boolean {
    return this.#password !== undefined || this.#token !== undefined;
  }

  get loginMethods(): Array<'password' | 'token'> {
    return [...(this.#password ? (['password'] as const) : []), ...(this.#token ? (['token'] as const) : [])];
  }

  /** A new session: authenticated at once when no credentials are configured. */
  newSession(): Session {
    const s: Session = {
      id: newId(),
      csrfToken: newId(),
      authenticated: !this.required,
      user: null,
      lastSeen: this.#now(),
    };
    this.#sessions.set(s.id, s);
    while (this.#sessions.size > MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value!);
    return s;
  }

  /** The live session with this cookie value (touched), or undefined. */
  session(id: string | undefined): Session | undefined {
    if (id === undefined) return undefined;
    const s = this.#sessions.get(id);
    if (s === undefined) return undefined;
    const now = this.#now();
    if (now - s.lastSeen > SESSION_IDLE_MS) {
      this.#sessions.delete(id);
      return undefined;
    }
    s.lastSeen = now;
    // Re-insert: the map's order is least recently used first.
    this.#sessions.delete(id);
    this.#sessions.set(id, s);
    return s;
  }

  /** Ends a session (logout, or replaced at login). */
  drop(id: string): void {
    this.#sessions.delete(id);
  }

  /**
   * Checks login credentials; on success a new authenticated session replaces `old` (a new ID
   * and CSRF token, so that a session ID planted before the login is worth nothing).
   */
  login(creds: {user?: string; password?: string; token?: string}, old?: Session): Session | undefined {
    let user: string | null | undefined;
    if (creds.token !== undefined && this.#token !== undefined && sameDigest(creds.token, this.#token)) user = null;
    if (creds.password !== undefined && this.#password !== undefined && this.#user !== undefined) {
      // Both compared, always, so that a wrong user costs the same as a wrong password.
      const userOk = sameDigest(creds.user ?? '', this.#user);
      const passwordOk = sameDigest(creds.password, this.#password);
      if (userOk && passwordOk) user = this.#userName!;
    }
    if (user === undefined) return undefined;
    if (old) this.drop(old.id);
    const s = this.newSession();
    s.authenticated = true;
    s.user = user;
    return s;
  }

  /** True for `Authorization: Bearer <the token>`. */
  bearer(header: string | undefined): boolean {
    if (this.#token === undefined || header === undefined) return false;
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    return m !== null && sameDigest(m[1]!, this.#token);
  }

  /** True when `given` is the session's CSRF token (constant time). */
  static csrfOk(session: Session, given: string | undefined): boolean {
    return given !== undefined && given !== '' && sameDigest(given, digest(session.csrfToken));
  }
}

/** True for a name or address of the local machine only (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return (
    h === 'localhost' ||
    h.endsWith('.localhost') ||
    h === '::1' ||
    /^127(\.\d{1,3}){3}$/.test(h) ||
    /^::ffff:127(\.\d{1,3}){3}$/.test(h)
  );
}

/** The host name of a `Host` header value (without the port). */
export function hostName(hostHeader: string): string {
  const v = hostHeader.trim();
  if (v.startsWith('[')) return v.slice(0, v.indexOf(']') + 1);
  const colon = v.lastIndexOf(':');
  return colon === -1 ? v : v.slice(0, colon);
}

/**
 * True when a browser's `Origin` (or, lacking it, `Referer`) names this server: its host:port
 * equals the `Host` (or `X-Forwarded-Host`) the request was sent to. Requests without either
 * header (curl, scripts) pass: the CSRF token still protects them.
 */
export function sameOrigin(headers: {
  origin?: string;
  referer?: string;
  host?: string;
  forwardedHost?: string;
  fetchSite?: string;
}): boolean {
  if (headers.fetchSite !== undefined && headers.fetchSite !== 'same-origin' && headers.fetchSite !== 'none')
    return false;
  const source = headers.origin ?? headers.referer;
  if (source === undefined) return true;
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    return false; // "null" (a sandboxed or file: page) and garbage
  }
  const expected = (headers.forwardedHost ?? headers.host ?? '').split(',')[0]!.trim().toLowerCase();
  return expected !== '' && url.host.toLowerCase() === expected;
}
