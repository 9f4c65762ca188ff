/**
 * The logging flags of the long-running commands (`worker run`, `cron run`):
 * `--log-level` (also ASYNQ_LOG_LEVEL) and `--log-format text|json`. Logs always go to stderr.
 */
import * as Flags from '@oclif/core/flags';
import {createLogger, type Logger, type LogLevel} from '../lib/logger.js';

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const satisfies readonly LogLevel[];
const LOG_FORMATS = ['text', 'json'] as const;

export const logFlags = {
  'log-level': Flags.string({
    options: [...LOG_LEVELS],
    default: 'info',
    env: 'ASYNQ_LOG_LEVEL',
    summary: 'Minimum level logged.',
  }),
  'log-format': Flags.string({
    options: [...LOG_FORMATS],
    default: 'text',
    summary: "Log lines as text (Go asynq's format) or JSON objects.",
  }),
};

/** The stderr logger the parsed log flags ask for, and its level. */
export function loggerFromFlags(flags: {'log-level': string; 'log-format': string}): {logger: Logger; level: LogLevel} {
  const level = flags['log-level'] as LogLevel;
  return {logger: createLogger({level, format: flags['log-format'] as (typeof LOG_FORMATS)[number]}), level};
}
