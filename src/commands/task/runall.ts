import {BulkTaskCommand} from '../../cli/inspect/task-commands.js';

export default class TaskRunall extends BulkTaskCommand {
  static override summary = 'Run all tasks in a state now.';
  static override description = `Moves every scheduled, retry or archived task, or every task of an aggregation group (--state aggregating --group G), to the pending list. An unknown queue is exit 3.`;
  static override flags = BulkTaskCommand.bulkFlags('run', false);
  static override examples = [
    '<%= config.bin %> <%= command.id %> --queue default --state retry',
    {description: 'As JSON:', command: '<%= config.bin %> <%= command.id %> -q default -s archived --json | jq .count'},
    {
      description: 'In a CI job, release a group now:',
      command: '<%= config.bin %> <%= command.id %> -q default -s aggregating -g digest || exit $?',
    },
  ];

  protected readonly action = 'run';
  protected readonly destructive = false;
  protected doneMessage(count: number): string {
    return `${count} tasks are now pending`;
  }
}
