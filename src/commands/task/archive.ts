import {taskIdArg} from '../../cli/inspect/flags.js';
import {TaskActionCommand} from '../../cli/inspect/task-commands.js';
import type {Inspector} from '../../lib/index.js';

export default class TaskArchive extends TaskActionCommand {
  static override summary = 'Archive a task.';
  static override description = `Moves a pending, scheduled, retry, completed or aggregating task to archived, where it stays (up to 90 days / 10,000 tasks) until run or deleted. An active task cannot be archived (exit 4: cancel it instead); an unknown queue or task is exit 3.`;
  static override args = taskIdArg; // own static: oclif's parse() copies the command's statics with a spread
  static override examples = [
    '<%= config.bin %> <%= command.id %> --queue default --id f1720682-f5a6-4db1-8953-4f48ae541d0f',
    {description: 'As JSON:', command: '<%= config.bin %> <%= command.id %> -q default f1720682 --json'},
    {description: 'In a script:', command: '<%= config.bin %> <%= command.id %> -q default f1720682 || exit $?'},
  ];

  protected readonly outcome = 'archived';
  protected readonly doneMessage = 'task archived';
  protected act(inspector: Inspector, queue: string, id: string): Promise<void> {
    return inspector.archiveTask(queue, id);
  }
}
