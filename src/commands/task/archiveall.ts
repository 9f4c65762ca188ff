import {BulkTaskCommand} from '../../cli/inspect/task-commands.js';

export default class TaskArchiveall extends BulkTaskCommand {
  static override summary = 'Archive all tasks in a state.';
  static override description = `States: pending, scheduled, retry, and aggregating (with --group). Archived tasks are kept up to 90 days / 10,000 tasks. Asks for confirmation on a terminal; elsewhere (scripts, CI, --json) it needs --force and otherwise fails with exit 2 without archiving anything. An unknown queue is exit 3.`;
  static override flags = BulkTaskCommand.bulkFlags('archive', true);
  static override examples = [
    '<%= config.bin %> <%= command.id %> --queue default --state retry',
    {
      description: 'Without a question, as JSON:',
      command: '<%= config.bin %> <%= command.id %> -q default -s retry --force --json | jq .count',
    },
    {
      description: 'In a CI job:',
      command: '<%= config.bin %> <%= command.id %> -q default -s aggregating -g digest --force || exit $?',
    },
  ];

  protected readonly action = 'archive';
  protected readonly destructive = true;
  protected doneMessage(count: number): string {
    return `${count} tasks archived`;
  }
}
