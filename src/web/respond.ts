/**
 * Answers of `asynq web`: JSON documents written as the CLI writes `--json` (writeJson, so that a
 * payload of any size is never one JS string), and errors as the CLI's `--json` error document
 * with the HTTP status that fits its code (docs/web-api.md "Errors").
 */
import type {Context} from 'hono';
import type {ContentfulStatusCode} from 'hono/utils/http-status';
import {errorReport, writeJson} from '../cli/output.js';
import {ExitCode} from '../cli/exit-codes.js';
import type {ErrorJson, WebErrorCode} from './api-types.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/** `value` as a JSON answer (`Cache-Control: no-store`: the numbers are live). */
export function jsonResponse(c: Context, value: unknown, status: ContentfulStatusCode = 200): Response {
  const pieces: string[] = [];
  writeJson({write: (s: string) => pieces.push(s)}, value);
  const headers = {'Content-Type': JSON_TYPE, 'Cache-Control': 'no-store'};
  // One piece (no payload of megabytes): the string itself, cheaper than a stream.
  return c.body(pieces.length === 1 ? pieces[0]! : new Blob(pieces).stream(), status, headers);
}

const STATUS: Record<ErrorJson['error']['code'], ContentfulStatusCode> = {
  VALIDATION: 400,
  USAGE: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  READ_ONLY: 403,
  ROUTE_NOT_FOUND: 404,
  TOO_MANY_REQUESTS: 429,
  QUEUE_NOT_FOUND: 404,
  TASK_NOT_FOUND: 404,
  SCHEDULER_ENTRY_NOT_FOUND: 404,
  DUPLICATE_TASK: 409,
  TASK_ID_CONFLICT: 409,
  QUEUE_NOT_EMPTY: 409,
  FAILED_PRECONDITION: 409,
  REDIS_COMMAND: 503,
  REDIS_UNAVAILABLE: 503,
  REPLICATION_TIMEOUT: 503,
  BAD_DATA: 500,
  INTERNAL: 500,
  TASK_FAILED: 500,
  WAIT_TIMEOUT: 500,
};

/** An error of the web layer itself (authentication, CSRF, read-only, unknown route). */
export class WebError extends Error {
  constructor(
    readonly code: WebErrorCode,
    message: string,
    readonly status: ContentfulStatusCode = STATUS[code],
  ) {
    super(message);
  }
}

/** The answer for any thrown value; `log` gets the unexpected ones (INTERNAL), whose message stays generic. */
export function errorResponse(c: Context, err: unknown, log: (err: unknown) => void): Response {
  let body: ErrorJson;
  let status: ContentfulStatusCode;
  if (err instanceof WebError) {
    const exitCode = err.code === 'ROUTE_NOT_FOUND' ? ExitCode.NOT_FOUND : ExitCode.USAGE;
    body = {error: {code: err.code, message: err.message, exitCode, actions: []}};
    status = err.status;
  } else {
    const report = errorReport(err);
    if (report.code === 'INTERNAL') {
      log(err);
      report.message = 'internal error: see the log of asynq web';
    }
    body = {error: report};
    status = STATUS[report.code];
  }
  return jsonResponse(c, body, status);
}
