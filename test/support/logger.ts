/** A logger for tests that records every line, for asserting log output. */
import {formatLogMessage, type LogFields, type Logger} from '../../src/lib/logger.js';

export type RecordedLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Records each call as [level, text] in `lines`, in order (the text as the text format prints it:
 * the message, then the fields as key=value), and as {level, msg, fields} in `records`.
 */
export function recordingLogger(): Logger & {
  lines: Array<[RecordedLevel, string]>;
  records: Array<{level: RecordedLevel; msg: string; fields?: LogFields}>;
} {
  const lines: Array<[RecordedLevel, string]> = [];
  const records: Array<{level: RecordedLevel; msg: string; fields?: LogFields}> = [];
  const record =
    (level: RecordedLevel) =>
    (msg: string, fields?: LogFields): void => {
      lines.push([level, formatLogMessage(msg, fields)]);
      records.push(fields === undefined ? {level, msg} : {level, msg, fields});
    };
  return {lines, records, debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error')};
}
