/** Which task actions each state offers (as the API and the terminal dash allow them), and their words. */
import type {ActionJson, BulkActionName, TaskAction, TaskState} from '../../web/api-types.js';
import {postJson, seg} from '../api.js';

const ONE: Record<TaskState, readonly TaskAction[]> = {
  active: ['cancel'],
  pending: ['archive', 'delete'],
  aggregating: ['run', 'archive', 'delete'],
  scheduled: ['run', 'archive', 'delete'],
  retry: ['run', 'archive', 'delete'],
  archived: ['run', 'delete'],
  completed: ['delete'],
};

const ALL: Record<TaskState, readonly BulkActionName[]> = {
  active: [],
  pending: ['archiveall', 'deleteall'],
  aggregating: ['runall', 'archiveall', 'deleteall'],
  scheduled: ['runall', 'archiveall', 'deleteall'],
  retry: ['runall', 'archiveall', 'deleteall'],
  archived: ['runall', 'deleteall'],
  completed: ['deleteall'],
};

export const taskActions = (s: TaskState): readonly TaskAction[] => ONE[s];
export const bulkActions = (s: TaskState): readonly BulkActionName[] => ALL[s];

export const VERB: Record<TaskAction, string> = {run: 'Run', archive: 'Archive', delete: 'Delete', cancel: 'Cancel'};
const DONE: Record<TaskAction, string> = {
  run: 'is now pending',
  archive: 'archived',
  delete: 'deleted',
  cancel: 'cancel signal sent',
};
const BULK_VERB: Record<BulkActionName, TaskAction> = {runall: 'run', archiveall: 'archive', deleteall: 'delete'};

/** The confirmation, the request and the message of one task's action. */
export function taskAction(queue: string, id: string, a: TaskAction) {
  return {
    question: `${VERB[a]} task ${id} in queue "${queue}"?`,
    confirm: VERB[a],
    danger: a === 'delete',
    run: () => postJson<ActionJson>(`queues/${seg(queue)}/tasks/${seg(id)}/${a}`).then(() => `Task ${id}: ${DONE[a]}.`),
  };
}

export function bulkVerb(b: BulkActionName): string {
  return `${VERB[BULK_VERB[b]]} all`;
}

/** The confirmation (naming the count), the request and the message of a bulk action. */
export function bulkAction(queue: string, state: TaskState, n: number, b: BulkActionName, group?: string) {
  const what = state === 'aggregating' && group !== undefined ? `tasks of group "${group}"` : `${state} tasks`;
  const verb = VERB[BULK_VERB[b]];
  return {
    question: `${verb} all ${n} ${what} in queue "${queue}"?`,
    confirm: `${verb} ${n}`,
    danger: b === 'deleteall',
    run: () =>
      postJson<ActionJson>(`queues/${seg(queue)}/tasks/${b}`, group === undefined ? {state} : {state, group}).then(
        (r) =>
          `${r.count} ${r.count === 1 ? 'task' : 'tasks'} ${b === 'runall' ? 'now pending' : b === 'archiveall' ? 'archived' : 'deleted'}.`,
      ),
  };
}
