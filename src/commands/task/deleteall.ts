import {BulkTaskCommand} from '../../cli/inspect/task-commands.js';

export default class TaskDeleteall extends BulkTaskCommand {
  static override summary = 'Delete all tasks in a state.';
  static override description = `States: pending, scheduled, retry, archived, completed, and aggregating (with --group). Asks for confirmation on a terminal; elsewhere (scripts, CI, --json) it needs --force and otherwise fails with exit 2 without deleting anything. An unknown queue is exit 3.`;
  static override flags = BulkTaskCommand.bulkFlags('delete', true);
  static override examples = [
    '<%= config.bin %> <%= command.id %> --queue default --state archived',
    {
      description: 'Without a question, as JSON:',
      command: '<%= config.bin %> <%= command.id %> -q default -s archived --force --json | jq .count',
    },
    {
      description: 'In a CI cleanup job:',
      command: '<%= config.bin %> <%= command.id %> -q default -s aggregating -g digest --force || exit $?',
    },
  ];

  protected readonly action = 'delete';
  protected readonly destructive = true;
  protected doneMessage(count: number): string {
    return `${count} tasks deleted`;
  }
}
