/**
 * Colours and glyphs of the dashboard. Every distinction made with colour is also made with text
 * (a `>` cursor, `[tab]` brackets, one glyph per state in the bars), so the screen reads the same
 * with NO_COLOR.
 */
import type {TaskState} from '../lib/base/states.js';

/** Task states in Go dash's order (bars, tabs, legend). */
export const STATE_ORDER: readonly TaskState[] = [
  'active',
  'pending',
  'aggregating',
  'scheduled',
  'retry',
  'archived',
  'completed',
];

export const STATE_STYLE: Readonly<Record<TaskState, {color: string; glyph: string; label: string; short: string}>> = {
  active: {color: 'blue', glyph: '#', label: 'Active', short: 'Act'},
  pending: {color: 'green', glyph: '=', label: 'Pending', short: 'Pend'},
  aggregating: {color: 'magenta', glyph: '~', label: 'Aggregating', short: 'Aggr'},
  scheduled: {color: 'yellow', glyph: '+', label: 'Scheduled', short: 'Sched'},
  retry: {color: 'red', glyph: '!', label: 'Retry', short: 'Retry'},
  archived: {color: 'gray', glyph: 'x', label: 'Archived', short: 'Arch'},
  completed: {color: 'cyan', glyph: '.', label: 'Completed', short: 'Compl'},
};

/** Colours of the status line. */
export const STATUS_COLOR = {info: 'cyan', ok: 'green', error: 'red', warn: 'yellow'} as const;

/** The cursor marker in front of the selected row. */
export const CURSOR = '>';
