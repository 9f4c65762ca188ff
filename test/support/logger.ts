/** A logger for tests that records every line, for asserting log output. */
import type {Logger} from '../../src/lib/logger.js';

export type RecordedLevel = 'debug' | 'info' | 'warn' | 'error';

/** Records each call as [level, message], in order. */
export function recordingLogger(): Logger & {lines: Array<[RecordedLevel, string]>} {
  const lines: Array<[RecordedLevel, string]> = [];
  const record = (level: RecordedLevel) => (m: string): void => void lines.push([level, m]);
  return {lines, debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error')};
}
