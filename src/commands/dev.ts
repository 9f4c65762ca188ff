import {homedir} from 'node:os';
import {join} from 'node:path';
import * as Flags from '@oclif/core/flags';
import {AsynqCommand} from '../cli/command.js';
import {
  anyFreePort,
  claimStateFile,
  DEV_DEFAULT_PORT,
  DEV_DIR_ENV,
  DEV_HOST,
  DEV_PORT_ENV,
  devStateDir,
  parsePort,
  portFree,
  portRace,
  REDIS_SERVER_ENV,
  redisServerVersion,
  removeStateFile,
  startRedis,
  STATE_FILE,
  stopLeftover,
  writeStateFile,
  type StartedRedis,
} from '../cli/dev-server.js';
import {globalFlags} from '../cli/flags.js';
import {FailedPreconditionError, RedisUnavailableError} from '../lib/errors.js';

export interface DevResult {
  /** redis://127.0.0.1:PORT */
  url: string;
  port: number;
  /** The state directory: Redis data (AOF), redis.log and, while running, dev.json. */
  dir: string;
  redisVersion: string;
  /** PID of the redis-server this command ran. */
  redisPid: number;
}

/** How long a stopping redis-server may take to write its data before it is killed. */
const STOP_TIMEOUT_MS = 60_000;
/** A signal this soon after the first is the same Ctrl-C delivered twice, not a second one. */

export default class Dev extends AsynqCommand {
  static override handlesSignals = true;
  // No connection flags: this command starts the server (`asynq dev --uri …` is a usage error).
  // The cast only widens the static's declared type; oclif reads the object as it is.
  static override baseFlags = globalFlags as unknown as typeof AsynqCommand.baseFlags;
  static override summary =
    'Run a local Redis for development (redis-server from the PATH) that the other commands use while it runs.';
  static override description = `Starts redis-server on 127.0.0.1, port 6379 if it is free, else a free port that it prints, with its data (append-only file) in a state directory that survives restarts: $${DEV_DIR_ENV}, else $XDG_DATA_HOME/asynq/dev, else ~/.local/share/asynq/dev. The Redis log is redis.log there.

While it runs, every other asynq command that is not told where Redis is (no --uri or other connection flag, no ASYNQ_REDIS_URL or REDIS_URL, no server in the config file) connects to it: the state directory holds ${STATE_FILE} with its port and this command's PID, read only while that PID is alive. Other programs (your own client and server code) get the address it prints, e.g. REDIS_URL=redis://127.0.0.1:6379.

Ctrl-C (SIGINT), SIGTERM or SIGHUP: stop redis-server (SIGTERM: it writes its data and exits), wait for it, remove ${STATE_FILE}, exit 0; a second SIGINT or SIGTERM exits at once (130) while redis-server finishes on its own.

Exit 5 when redis-server is not installed (the message gives the install command) or does not start; exit 4 when another asynq dev already runs for the same state directory, or --port names a port in use.`;

  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {
      description: 'Then, in other terminals (no connection flags needed):',
      command: "<%= config.bin %> worker run --exec 'greet=cat'",
    },
    {
      description: 'A second, separate instance on any free port with its own data:',
      command: `${DEV_DIR_ENV}=/tmp/asynq-dev2 <%= config.bin %> <%= command.id %> --port 0`,
    },
  ];

  static override flags = {
    port: Flags.string({
      helpValue: '<port>',
      env: DEV_PORT_ENV,
      summary: 'Port on 127.0.0.1 (default: 6379 if free, else any free port; 0: any free port other than 6379).',
    }),
    dir: Flags.string({
      helpValue: '<dir>',
      summary: `State directory (default $${DEV_DIR_ENV}, else $XDG_DATA_HOME/asynq/dev, else ~/.local/share/asynq/dev); other commands look only in the default one.`,
    }),
    'redis-server': Flags.string({
      helpValue: '<path>',
      env: REDIS_SERVER_ENV,
      default: 'redis-server',
      summary: 'The redis-server program to run.',
    }),
  };

  async run(): Promise<DevResult> {
    const {flags} = await this.parse(Dev);
    const requested = parsePort(flags.port, flags.port === process.env[DEV_PORT_ENV] ? DEV_PORT_ENV : '--port');
    const defaultDir = devStateDir(process.env, homedir());
    const dir = flags.dir === undefined ? defaultDir : devStateDir({[DEV_DIR_ENV]: flags.dir}, homedir());
    const bin = flags['redis-server'];
    const version = redisServerVersion(bin); // not installed: one line with the install command, exit 5
    const {stale} = claimStateFile(dir, process.pid); // another asynq dev on this dir: exit 4
    const say = (line: string): void => (this.jsonEnabled() ? this.logToStderr(line) : this.log(line));
    let redis: StartedRedis | undefined;
    let stopping = false;
    const onExit = (): void => {
      // Whatever ends this process, redis-server is not left running on its own.
      if (redis !== undefined && !stopping) redis.child.kill('SIGTERM');
      removeStateFile(dir, process.pid);
    };
    process.on('exit', onExit);
    try {
      const left = await stopLeftover(stale);
      if (left !== undefined)
        this.logToStderr(`Stopped redis-server ${left} left running by an asynq dev that was killed.`);
      let note = '';
      for (let attempt = 0; redis === undefined; attempt++) {
        let port: number;
        if (requested === undefined) {
          port = (await portFree(DEV_DEFAULT_PORT)) ? DEV_DEFAULT_PORT : await anyFreePort();
          if (port !== DEV_DEFAULT_PORT)
            note = `Port ${DEV_DEFAULT_PORT} is in use (another Redis?), so this one uses port ${port}.`;
        } else if (requested === 0) {
          port = await anyFreePort();
        } else {
          if (!(await portFree(requested)))
            throw new FailedPreconditionError(
              `port ${requested} on ${DEV_HOST} is in use: choose another --port, or --port 0 for any free one`,
            );
          port = requested;
        }
        try {
          redis = await startRedis(bin, port, dir);
        } catch (err) {
          if (attempt < 3 && requested !== port && portRace(err)) continue; // a free port was taken meanwhile
          throw err;
        }
      }
      const url = `redis://${DEV_HOST}:${redis.port}`;
      writeStateFile(dir, {
        pid: process.pid,
        redisPid: redis.child.pid!,
        host: DEV_HOST,
        port: redis.port,
        startedAt: new Date().toISOString(),
      });
      if (note !== '') say(note);
      say(this.#readyText(version, url, redis, dir, dir === defaultDir));

      const signal = await this.#untilStopped(redis, dir);
      stopping = true;
      say(`Received ${signal}: stopping redis-server (pid ${redis.child.pid}); send it again to exit at once`);
      redis.child.kill('SIGTERM');
      const timer = setTimeout(() => redis?.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const exit = await redis.exited;
      clearTimeout(timer);
      removeStateFile(dir, process.pid);
      say(
        `redis-server stopped${exit.code === 0 ? '' : ` (${exit.signal ?? `exit ${exit.code}`})`}; its data stays in ${dir} for the next asynq dev.`,
      );
      return {url, port: redis.port, dir, redisVersion: version, redisPid: redis.child.pid!};
    } finally {
      process.off('exit', onExit);
      onExit();
    }
  }

  #readyText(version: string, url: string, redis: StartedRedis, dir: string, found: boolean): string {
    const bin = this.config.bin;
    const how = found
      ? `Other ${bin} commands use it while this runs (when no --uri, ASYNQ_REDIS_URL, REDIS_URL or config file names a server), e.g.:`
      : `Other ${bin} commands use it while this runs when ${DEV_DIR_ENV}=${dir} is set for them, e.g.:`;
    return [
      `Redis ${version} ready on ${DEV_HOST}:${redis.port} (redis-server pid ${redis.child.pid}), data in ${dir}`,
      how,
      `  ${bin} worker run --exec 'greet=cat'`,
      `  ${bin} enqueue greet '{"name": "world"}' --wait`,
      `  ${bin} dash`,
      `Anything else: ${bin} … --uri ${url}, or export ASYNQ_REDIS_URL=${url} (REDIS_URL for your own programs)`,
      'Press Ctrl-C to stop it.',
    ].join('\n');
  }

  /**
   * Resolves with the signal that asks to stop (SIGINT, SIGTERM, or SIGHUP: the terminal closed);
   * rejects if redis-server exits on its own. The command's lifecycle owns the signals: a second
   * SIGINT/SIGTERM ends the command with 130 while redis-server finishes on its own.
   */
  #untilStopped(redis: StartedRedis, dir: string): Promise<string> {
    let hangUp!: (sig: string) => void;
    const hungUp = new Promise<string>((resolve) => (hangUp = resolve));
    const {stopped} = this.lifecycle.untilStopped({reload: async () => hangUp('SIGHUP')});
    const died = redis.exited.then(({code, signal}) => {
      throw new RedisUnavailableError(
        `redis-server (pid ${redis.child.pid}) exited on its own (${signal ?? `exit ${code}`})`,
        {
          actions: [`see ${join(dir, 'redis.log')}`],
        },
      );
    });
    return Promise.race([stopped, hungUp, died]);
  }
}
