import * as Flags from '@oclif/core/flags';
import {Inspector} from '../lib/inspector.js';
import {ConnectedCommand} from '../cli/command.js';
import {describeConnection, failSoonConnection} from '../cli/connection.js';
import {logFlags, loggerFromFlags} from '../cli/log-flags.js';
import {basePath, createWebApp, listen} from '../web/server.js';
import {WEB_PASSWORD_ENV, WEB_TOKEN_ENV, WEB_USER_ENV, checkExposure, resolveWebAuth} from '../web/options.js';

export interface WebResult {
  url: string;
}

export default class Web extends ConnectedCommand {
  static override handlesSignals = true;
  static override summary =
    'Serve the web dashboard: queues, tasks, servers, cron entries and Redis, with actions and search.';
  static override description = `A single-page app and its JSON API (the documents of the --json commands; docs/web-api.md) on one port, over the same connection flags as every command. Pages: queues (sizes, states, latency, memory, processed/failed per day, live tasks/s), a queue's tasks by state with search (exact ID, type prefix or payload text; bounded work per request), a task's payload, result and error, servers and their workers, scheduler entries and their history, Redis info. Actions: run, archive, delete or cancel a task or every task of a state, pause, resume or remove a queue; --read-only refuses them all.

Serving any address but loopback (127.0.0.1, ::1, localhost) needs authentication, else the command refuses to start (exit 2): --auth <user>:<password-file> (or --auth <user> with ${WEB_PASSWORD_ENV}, or ${WEB_USER_ENV} and ${WEB_PASSWORD_ENV} alone), and/or a bearer token (--token-file or ${WEB_TOKEN_ENV}) for scripts. Passwords are compared in constant time and never logged; every action is a POST that needs the session's CSRF token.

Behind a reverse proxy, --base-path /asynq serves everything under /asynq/ (the proxy passes the path unchanged). A port in use is exit 4. SIGINT or SIGTERM: stop serving and exit 0.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {
      description: 'Read-only, on another port:',
      command: '<%= config.bin %> <%= command.id %> --port 9090 --read-only',
    },
    {
      description: 'On every interface, with a login (the password file holds one line):',
      command: '<%= config.bin %> <%= command.id %> --host 0.0.0.0 --auth admin:/run/secrets/asynq-web-password',
    },
    {
      description: 'Behind a reverse proxy at https://ops.example.com/asynq/:',
      command: `${WEB_PASSWORD_ENV}=… <%= config.bin %> <%= command.id %> --base-path /asynq`,
    },
  ];

  static override flags = {
    port: Flags.integer({
      min: 0,
      max: 65535,
      default: 8080,
      helpValue: '<port>',
      summary: 'TCP port to listen on (0: any free port, logged).',
    }),
    host: Flags.string({
      default: '127.0.0.1',
      helpValue: '<address>',
      summary: 'Address to listen on; anything but loopback needs authentication.',
    }),
    'read-only': Flags.boolean({summary: 'Refuse every action (the page hides them; the server refuses them).'}),
    auth: Flags.string({
      helpValue: '<user>:<password-file>',
      summary: `Require a login: the user, and a file holding the password (or --auth <user> with ${WEB_PASSWORD_ENV}).`,
    }),
    'token-file': Flags.string({
      helpValue: '<file>',
      summary: `Accept "Authorization: Bearer <token>" with the token in this file (or ${WEB_TOKEN_ENV}).`,
    }),
    'base-path': Flags.string({
      default: '',
      helpValue: '<path>',
      summary: 'Serve under this URL path (e.g. /asynq), for a reverse proxy.',
    }),
    ...logFlags,
  };

  async run(): Promise<WebResult> {
    const {flags} = await this.parse(Web);
    const base = basePath(flags['base-path']);
    const auth = resolveWebAuth({auth: flags.auth, tokenFile: flags['token-file']});
    this.redact([auth.password?.password, auth.token].filter((s): s is string => s !== undefined));
    checkExposure(flags.host, auth);
    const {logger} = loggerFromFlags(flags);
    // Fails here (exit 5) when Redis is unreachable; reconnects on its own later on (503 meanwhile).
    const inspector = new Inspector(await this.reconnectingConnection(failSoonConnection));
    const app = createWebApp({
      inspector,
      auth,
      readOnly: flags['read-only'],
      basePath: base,
      version: this.config.version,
      logError: (err) =>
        logger.error(`asynq web: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
    });
    const signals = this.lifecycle.untilStopped({logger, stopping: (sig) => `Received ${sig}: shutting down`});
    const server = await listen(app, flags.host, flags.port);
    try {
      const url = `${server.url}${base}/`;
      const how = [
        auth.password ? `login as ${auth.password.user}` : '',
        auth.token ? 'bearer token' : '',
        auth.password || auth.token ? '' : 'no authentication',
        flags['read-only'] ? 'read-only' : '',
      ].filter((s) => s !== '');
      logger.info(
        `Serving the dashboard at ${url} (${how.join(', ')}; Redis ${describeConnection(this.connection().conn)})`,
      );
      await signals.stopped;
      return {url};
    } finally {
      await server.close();
      await inspector.close();
    }
  }
}
