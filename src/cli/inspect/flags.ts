/** The flags and the task ID argument shared by the inspection commands (`queue …`, `task …`, `group ls`, `cron history`). */
import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import {ValidationError} from '../../lib/errors.js';
import {TASK_STATES, type TaskState} from '../../lib/index.js';
import {queueName} from '../flags.js';

export const inspectFlags = {
  queue: queueName({required: true, summary: 'Queue name.'}),
  group: Flags.string({
    char: 'g',
    helpValue: '<group>',
    summary: 'Aggregation group (required with --state aggregating).',
  }),
  id: Flags.string({char: 'i', helpValue: '<task-id>', summary: 'Task ID (or give it as the argument).'}),
  page: Flags.integer({min: 1, default: 1, helpValue: '<n>', summary: 'Page number (1-based).'}),
  size: Flags.integer({min: 1, default: 30, helpValue: '<n>', summary: 'Page size.'}),
  force: Flags.boolean({char: 'f', summary: 'Do it without asking (required when not on a terminal).'}),
};

/** -s/--state limited to the given states (a wrong one is a usage error, exit 2). */
export function stateFlag(states: readonly TaskState[] = TASK_STATES) {
  return Flags.string({
    char: 's',
    required: true,
    options: [...states],
    helpValue: '<state>',
    summary: `Task state: ${states.join(', ')}.`,
  });
}

/** The optional TASK_ID argument of the single-task commands (same as --id). */
export const taskIdArg = {id: Args.string({description: 'Task ID (same as --id).'})};

/** The task ID from the argument or --id: exactly one of them. */
export function taskIdFrom(arg: string | undefined, flag: string | undefined): string {
  if (arg !== undefined && flag !== undefined && arg !== flag)
    throw new ValidationError('give the task ID either as the argument or with --id, not both');
  const id = arg ?? flag;
  if (id === undefined || id === '') throw new ValidationError('missing task ID: pass it as the argument or with --id');
  return id;
}
