import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import {InspectCommand} from '../../cli/inspect/command.js';

export type QueueRemoveResult = Array<{queue: string; removed: true}>;

export default class QueueRemove extends InspectCommand {
  static override aliases = ['queue:rm', 'queue:delete'];
  static override summary = 'Remove one or more queues.';
  static override description = `Without --force a queue must be empty (no pending, active, scheduled, retry or archived task), else exit 4 with a hint. With --force its tasks are deleted too, unless some are active (exit 4). Completed tasks, groups, counters and the paused flag stay, as with Go asynq. A queue that does not exist is exit 3, and then nothing is removed.`;
  static override strict = false;
  static override args = {queue: Args.string({required: true, description: 'Queue name (several may be given).'})};
  static override flags = {
    force: Flags.boolean({char: 'f', summary: 'Remove the queue and delete its tasks even if it is not empty.'}),
  };

  static override examples = [
    '<%= config.bin %> queue rm old-queue',
    {description: 'As JSON:', command: '<%= config.bin %> <%= command.id %> old-queue --json'},
    {
      description: 'In a cleanup job, removing the tasks too:',
      command: '<%= config.bin %> <%= command.id %> --force old-queue || exit $?',
    },
  ];

  async run(): Promise<QueueRemoveResult> {
    const {argv, flags} = await this.parse(QueueRemove);
    return this.forEachQueue(argv as string[], async (inspector, q) => {
      await inspector.deleteQueue(q, flags.force);
      this.log(`Successfully removed queue "${q}"`);
      return {queue: q, removed: true as const};
    });
  }
}
