/**
 * Child-process helpers for tests that start real commands.
 */
import {readFileSync} from 'node:fs';

/**
 * True while the process exists and is not a zombie: a killed grandchild stays in the process
 * table until init reaps it, and `kill(pid, 0)` alone would still report it alive.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
