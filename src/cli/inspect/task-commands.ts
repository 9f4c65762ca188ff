/** The template commands of `asynq task archive|delete|run` (one task) and `task archiveall|deleteall|runall` (a state). */
import {ValidationError} from '../../lib/errors.js';
import {BULK_STATES, type BulkAction, type Inspector, type TaskState} from '../../lib/index.js';
import {InspectCommand} from './command.js';
import {inspectFlags, stateFlag, taskIdArg, taskIdFrom} from './flags.js';

/** What a single-task command did: the task's state afterwards ('deleted' when it is gone). */
export interface TaskActionResult {
  queue: string;
  id: string;
  state: 'archived' | 'pending' | 'deleted';
}

/**
 * `asynq task archive|delete|run`: one task, by --queue and the ID (argument or --id).
 * Subclasses declare `static override args = taskIdArg` themselves (for help and the manifest);
 * run() parses with this class's own flags and args, so they come back typed.
 */
export abstract class TaskActionCommand extends InspectCommand {
  static override flags = {queue: inspectFlags.queue, id: inspectFlags.id};
  static override args = taskIdArg;

  /** The state the task is in afterwards. */
  protected abstract readonly outcome: TaskActionResult['state'];
  /** Go CLI's success line. */
  protected abstract readonly doneMessage: string;
  protected abstract act(inspector: Inspector, queue: string, id: string): Promise<void>;

  async run(): Promise<TaskActionResult> {
    const {args, flags} = await this.parse(TaskActionCommand);
    const id = taskIdFrom(args.id, flags.id);
    const queue = flags.queue;
    await this.act(await this.inspector(), queue, id);
    this.log(this.doneMessage);
    return {queue, id, state: this.outcome};
  }
}

/** What a bulk command did. */
export interface BulkActionResult {
  queue: string;
  state: TaskState;
  /** The group, for state 'aggregating'; otherwise null. */
  group: string | null;
  /** Number of tasks deleted, archived or moved to pending. */
  count: number;
}

/** `asynq task deleteall|archiveall|runall`: every task of a state (or of a group). */
export abstract class BulkTaskCommand extends InspectCommand {
  protected abstract readonly action: BulkAction;
  /** Deleting and archiving everything asks first (or needs --force). */
  protected abstract readonly destructive: boolean;
  /** Go CLI's success line, given the count. */
  protected abstract doneMessage(count: number): string;

  /** The flags of a bulk command for the states `action` supports. */
  static bulkFlags(action: BulkAction, destructive: boolean) {
    return {
      queue: inspectFlags.queue,
      state: stateFlag(BULK_STATES[action]),
      group: inspectFlags.group,
      ...(destructive ? {force: inspectFlags.force} : {}),
    };
  }

  async run(): Promise<BulkActionResult> {
    // The subclass's flags (bulkFlags of its action), typed as bulkFlags' widest shape.
    const {flags} = await this.parse(
      this.ctor as typeof BulkTaskCommand & {flags: ReturnType<typeof BulkTaskCommand.bulkFlags>},
    );
    const queue = flags.queue;
    const state = flags.state as TaskState;
    const group = state === 'aggregating' ? (flags.group ?? '') : null;
    if (group === '') throw new ValidationError('--group is required with --state aggregating');
    const inspector = await this.inspector();
    if (this.destructive) {
      const what =
        group === null
          ? `${state} tasks in queue "${queue}"`
          : `aggregating tasks of group "${group}" in queue "${queue}"`;
      await this.confirmDestructive(`${this.action} all ${what}`, flags.force === true);
    }
    const count = await inspector.bulkTasks(this.action, queue, state, {group: group ?? undefined});
    this.log(this.doneMessage(count));
    return {queue, state, group, count};
  }
}
