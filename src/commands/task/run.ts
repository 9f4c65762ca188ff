import {taskIdArg} from '../../cli/inspect/flags.js';
import {TaskActionCommand} from '../../cli/inspect/task-commands.js';
import type {Inspector} from '../../lib/index.js';

export default class TaskRun extends TaskActionCommand {
  static override summary = 'Run a task now.';
  static override description = `Moves a scheduled, retry, archived, completed or aggregating task to the front of the pending list, so the next free worker takes it. A task already pending or active is exit 4; an unknown queue or task is exit 3.`;
  static override args = taskIdArg; // own static: oclif's parse() copies the command's statics with a spread
  static override examples = [
    '<%= config.bin %> <%= command.id %> --queue default --id f1720682-f5a6-4db1-8953-4f48ae541d0f',
    {description: 'As JSON:', command: '<%= config.bin %> <%= command.id %> -q default f1720682 --json'},
    {description: 'In a script:', command: '<%= config.bin %> <%= command.id %> -q default f1720682 || exit $?'},
  ];

  protected readonly outcome = 'pending';
  protected readonly doneMessage = 'task is now pending';
  protected act(inspector: Inspector, queue: string, id: string): Promise<void> {
    return inspector.runTask(queue, id);
  }
}
