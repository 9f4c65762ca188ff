/**
 * The dashboard's operations: the question a confirmation prompt asks, and running a confirmed
 * request against the DashSource. Errors are left to the caller (App shows them in the status line).
 */
import type {DashSource} from './source.js';
import type {ActionRequest, ConfirmState} from './state.js';

const VERB = {
  run: 'Run',
  archive: 'Archive',
  delete: 'Delete',
  cancel: 'Cancel',
  pause: 'Pause',
  unpause: 'Resume',
} as const;

function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}

function allTarget(r: ActionRequest, count: number | null): string {
  const n = count === null ? 'all' : `all ${count}`;
  return r.state === 'aggregating' && r.group !== undefined
    ? `${n} tasks of group "${r.group}"`
    : `${n} ${r.state} tasks`;
}

/** The prompt's question and its choices, e.g. `Run task 1f2e…? y: this task  a: all 12 retry tasks  n: no`. */
export function confirmText(c: ConfirmState): {question: string; choices: Array<{key: string; label: string}>} {
  const any = (c.one ?? c.all)!;
  const verb = VERB[any.kind];
  const choices: Array<{key: string; label: string}> = [];
  let question: string;
  if (any.kind === 'pause' || any.kind === 'unpause') {
    question = `${verb} queue "${any.queue}"?`;
    choices.push({key: 'y', label: 'yes'});
  } else if (c.one !== null) {
    question = `${verb} task ${shortId(c.one.taskId!)} in "${c.one.queue}"?`;
    choices.push({key: 'y', label: 'this task'});
    if (c.all !== null) choices.push({key: 'a', label: allTarget(c.all, c.allCount)});
  } else {
    question = `${verb} ${allTarget(c.all!, c.allCount)} in "${any.queue}"?`;
    choices.push({key: 'a', label: 'yes, all'});
  }
  choices.push({key: 'n', label: 'no'});
  return {question, choices};
}

function tasks(n: number): string {
  return n === 1 ? '1 task' : `${n} tasks`;
}

/** Runs a confirmed request; resolves with the message for the status line. */
export async function executeAction(source: DashSource, r: ActionRequest): Promise<string> {
  const group = r.group === undefined ? {} : {group: r.group};
  switch (r.kind) {
    case 'pause':
      await source.pauseQueue(r.queue);
      return `paused queue "${r.queue}"`;
    case 'unpause':
      await source.unpauseQueue(r.queue);
      return `resumed queue "${r.queue}"`;
    case 'cancel':
      await source.cancelProcessing(r.taskId!);
      return `sent cancelation signal for task ${r.taskId}`;
    case 'run':
      if (r.all) return `${tasks(await source.bulkTasks('run', r.queue, r.state!, group))} now pending`;
      await source.runTask(r.queue, r.taskId!);
      return `task ${r.taskId} is now pending`;
    case 'archive':
      if (r.all) return `${tasks(await source.bulkTasks('archive', r.queue, r.state!, group))} archived`;
      await source.archiveTask(r.queue, r.taskId!);
      return `task ${r.taskId} archived`;
    case 'delete':
      if (r.all) return `${tasks(await source.bulkTasks('delete', r.queue, r.state!, group))} deleted`;
      await source.deleteTask(r.queue, r.taskId!);
      return `task ${r.taskId} deleted`;
  }
}
