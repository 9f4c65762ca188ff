import {taskIdArg} from '../../cli/inspect/flags.js';
import {TaskActionCommand} from '../../cli/inspect/task-commands.js';
import type {Inspector} from '../../lib/index.js';

export default class TaskDelete extends TaskActionCommand {
  static override aliases = ['task:remove', 'task:rm'];
  static override summary = 'Delete a task.';
  static override description = `Deletes a task that is not active, and releases its uniqueness lock. An active task cannot be deleted (exit 4: cancel it first); an unknown queue or task is exit 3.`;
  static override args = taskIdArg; // own static: oclif's parse() copies the command's statics with a spread
  static override examples = [
    '<%= config.bin %> <%= command.id %> --queue default --id f1720682-f5a6-4db1-8953-4f48ae541d0f',
    {description: 'As JSON:', command: '<%= config.bin %> <%= command.id %> -q default f1720682 --json'},
    {description: 'In a script:', command: '<%= config.bin %> task rm -q default f1720682 || exit $?'},
  ];

  protected readonly outcome = 'deleted';
  protected readonly doneMessage = 'task deleted';
  protected act(inspector: Inspector, queue: string, id: string): Promise<void> {
    return inspector.deleteTask(queue, id);
  }
}
