import {Args} from '@oclif/core';
import {InspectCommand} from '../../cli/inspect/command.js';

export type TaskCancelResult = Array<{id: string; signalSent: true}>;

export default class TaskCancel extends InspectCommand {
  static override summary = 'Cancel one or more active tasks.';
  static override description = `Publishes a cancelation signal (Redis channel asynq:cancel) that the server processing the task, Go or TypeScript, receives: the handler's context is canceled and the task is retried later like any failure. Nothing reports whether a server was running the task.`;
  static override strict = false;
  static override args = {id: Args.string({required: true, description: 'Task ID (several may be given).'})};

  static override examples = [
    '<%= config.bin %> <%= command.id %> f1720682-f5a6-4db1-8953-4f48ae541d0f',
    {description: 'As JSON:', command: '<%= config.bin %> <%= command.id %> f1720682-f5a6-4db1-8953-4f48ae541d0f --json'},
    {description: 'Cancel every active task of a queue in a script:', command: '<%= config.bin %> task ls -q default -s active --json | jq -r \'.[].id\' | xargs -r <%= config.bin %> <%= command.id %> || exit $?'},
  ];

  async run(): Promise<TaskCancelResult> {
    const {argv} = await this.parse(TaskCancel);
    const inspector = await this.inspector();
    const result: TaskCancelResult = [];
    for (const id of argv as string[]) {
      await inspector.cancelProcessing(id);
      this.log(`Sent cancelation signal for task ${id}`);
      result.push({id, signalSent: true});
    }
    return result;
  }
}
