/**
 * What `asynq web` is started with, checked before it listens: the credentials (from
 * `--auth user:password-file`, ASYNQ_WEB_USER/ASYNQ_WEB_PASSWORD, `--token-file`, ASYNQ_WEB_TOKEN)
 * and the rule that only a loopback address may be served without them.
 */
import {readFileSync} from 'node:fs';
import {ValidationError} from '../lib/errors.js';
import {isLoopbackHost, type AuthOptions} from './auth.js';

export const WEB_USER_ENV = 'ASYNQ_WEB_USER';
export const WEB_PASSWORD_ENV = 'ASYNQ_WEB_PASSWORD';
export const WEB_TOKEN_ENV = 'ASYNQ_WEB_TOKEN';

/** A secret from a file: its content without one final newline; never quoted in an error. */
function readSecret(path: string, what: string, read: (p: string) => string): string {
  let text: string;
  try {
    text = read(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ValidationError(`cannot read the ${what} file ${path}${code === undefined ? '' : ` (${code})`}`);
  }
  const secret = text.replace(/\r?\n$/, '');
  if (secret === '') throw new ValidationError(`the ${what} file ${path} is empty`);
  return secret;
}

/**
 * The credentials the flags and the environment give (none: `{}`).
 * `--auth alice:/run/secrets/pw` reads alice's password from the file; `--auth alice` takes it
 * from ASYNQ_WEB_PASSWORD; without --auth, ASYNQ_WEB_PASSWORD alone enables the user
 * ASYNQ_WEB_USER (default "admin"). `--token-file` (or ASYNQ_WEB_TOKEN) adds a bearer token.
 */
export function resolveWebAuth(
  flags: {auth?: string; tokenFile?: string},
  env: NodeJS.ProcessEnv = process.env,
  read: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): AuthOptions {
  const out: AuthOptions = {};
  const envPassword = env[WEB_PASSWORD_ENV];
  if (flags.auth !== undefined) {
    const colon = flags.auth.indexOf(':');
    const user = colon === -1 ? flags.auth : flags.auth.slice(0, colon);
    if (user === '') throw new ValidationError('--auth needs a user name: --auth <user>:<password-file>');
    if (colon !== -1) {
      out.password = {user, password: readSecret(flags.auth.slice(colon + 1), 'password', read)};
    } else {
      if (envPassword === undefined || envPassword === '')
        throw new ValidationError(
          `--auth ${user} without a password file needs ${WEB_PASSWORD_ENV}: use --auth ${user}:<password-file> or set ${WEB_PASSWORD_ENV}`,
        );
      out.password = {user, password: envPassword};
    }
  } else if (envPassword !== undefined && envPassword !== '') {
    out.password = {user: env[WEB_USER_ENV] || 'admin', password: envPassword};
  }
  if (flags.tokenFile !== undefined) out.token = readSecret(flags.tokenFile, 'token', read);
  else if (env[WEB_TOKEN_ENV] !== undefined && env[WEB_TOKEN_ENV] !== '') out.token = env[WEB_TOKEN_ENV];
  return out;
}

/** Refuses (exit 2) to serve a non-loopback address without credentials. */
export function checkExposure(host: string, auth: AuthOptions): void {
  if (isLoopbackHost(host) || auth.password !== undefined || auth.token !== undefined) return;
  throw new ValidationError(
    `refusing to serve ${host} without authentication: add --auth <user>:<password-file>, ${WEB_PASSWORD_ENV} or --token-file, or use --host 127.0.0.1`,
  );
}
