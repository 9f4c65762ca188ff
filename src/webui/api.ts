/**
 * The page's side of the JSON API (docs/web-api.md): every URL is relative to the page (the
 * document's base URI), so the dashboard works under any base path a reverse proxy gives it.
 * POSTs carry the session's CSRF token. A 401 tells the App to show the login page.
 */
import type {ErrorJson, SessionJson} from '../web/api-types.js';

/** An API error: the HTTP status and the error document's code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken = '';
let onUnauthorized: () => void = () => {};

/** Remembers the session's CSRF token (it changes at login and logout). */
export function rememberSession(session: SessionJson): void {
  csrfToken = session.csrfToken;
}

/** What to do when the server says the session is not (or no longer) logged in. */
export function setUnauthorizedHandler(f: () => void): void {
  onUnauthorized = f;
}

/** A path segment: queue names and task IDs may hold any character. */
export const seg = encodeURIComponent;

/** `api/<path>?<query>` relative to the page, without the empty query values. */
function apiUrl(path: string, query: Record<string, string | number | undefined | null> = {}): string {
  const url = new URL(`api/${path}`, document.baseURI);
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  return url.toString();
}

async function request<T>(method: 'GET' | 'POST', url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {Accept: 'application/json'};
  if (method === 'POST') {
    headers['X-CSRF-Token'] = csrfToken;
    headers['Content-Type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'the dashboard server cannot be reached');
  }
  const text = await res.text();
  let doc: unknown = null;
  try {
    doc = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON: reported below
  }
  if (!res.ok) {
    const err = (doc as Partial<ErrorJson> | null)?.error;
    const e = new ApiError(res.status, err?.code ?? 'HTTP', err?.message ?? `HTTP ${res.status}`);
    if (res.status === 401 && !url.endsWith('/api/login')) onUnauthorized();
    throw e;
  }
  return doc as T;
}

export function getJson<T>(path: string, query?: Record<string, string | number | undefined | null>): Promise<T> {
  return request<T>('GET', apiUrl(path, query));
}

export function postJson<T>(path: string, body?: unknown): Promise<T> {
  return request<T>('POST', apiUrl(path), body);
}
