import * as Args from '@oclif/core/args';
import {TaskNotFoundError} from '../../lib/errors.js';
import type {Inspector, TaskState} from '../../lib/index.js';
import {InspectCommand} from '../../cli/inspect/command.js';

/** Per ID: the signal was published; `state` is the task's state (in `queue`) if a queue holds it, else null. */
export type TaskCancelResult = Array<{id: string; signalSent: true; queue: string | null; state: TaskState | null}>;

/** The queue and state of the task with this ID, searched in every queue (null when none has it). */
async function findTask(
  inspector: Inspector,
  queues: readonly string[],
  id: string,
): Promise<{queue: string; state: TaskState} | null> {
  for (const queue of queues) {
    try {
      const info = await inspector.getTaskInfo(queue, id);
      return {queue, state: info.state};
    } catch (err) {
      if (!(err instanceof TaskNotFoundError)) throw err;
    }
  }
  return null;
}

export default class TaskCancel extends InspectCommand {
  static override summary = 'Cancel one or more active tasks.';
  static override description = `Publishes a cancelation signal (Redis channel asynq:cancel) that the server processing the task, Go or TypeScript, receives: the handler's context is canceled and the task is retried later like any failure.

As Go's CLI, the signal is sent for every ID and the command exits 0: nothing reports whether a server was running the task. Unlike Go's, it then looks the ID up in every queue and warns on stderr when no queue holds it (an unknown or deleted ID) or when the task is not active (the signal then reaches no handler). --json gives each task's queue and state (null when not found).`;
  static override strict = false;
  static override args = {id: Args.string({required: true, description: 'Task ID (several may be given).'})};

  static override examples = [
    '<%= config.bin %> <%= command.id %> f1720682-f5a6-4db1-8953-4f48ae541d0f',
    {
      description: 'As JSON:',
      command: '<%= config.bin %> <%= command.id %> f1720682-f5a6-4db1-8953-4f48ae541d0f --json',
    },
    {
      description: 'Cancel every active task of a queue in a script:',
      command:
        "<%= config.bin %> task ls -q default -s active --json | jq -r '.[].id' | xargs -r <%= config.bin %> <%= command.id %> || exit $?",
    },
  ];

  async run(): Promise<TaskCancelResult> {
    const {argv} = await this.parse(TaskCancel);
    const inspector = await this.inspector();
    const queues = await inspector.queues();
    const result: TaskCancelResult = [];
    for (const id of argv as string[]) {
      await inspector.cancelProcessing(id);
      this.log(`Sent cancelation signal for task ${id}`);
      const found = await findTask(inspector, queues, id);
      if (found === null) this.warn(`no task ${id} in any queue: no handler gets the signal`);
      else if (found.state !== 'active')
        this.warn(`task ${id} is ${found.state}, not active: no handler gets the signal`);
      result.push({id, signalSent: true, queue: found?.queue ?? null, state: found?.state ?? null});
    }
    return result;
  }
}
