import * as Args from '@oclif/core/args';
import {InspectCommand} from '../../cli/inspect/command.js';

export type QueuePauseResult = Array<{queue: string; paused: true}>;

export default class QueuePause extends InspectCommand {
  static override summary = 'Pause one or more queues: servers stop taking tasks from them.';
  static override description = `Tasks stay where they are and can still be enqueued; active tasks finish. Fails with exit 4 if a queue is already paused, exit 3 if a queue does not exist (then nothing is paused).`;
  static override strict = false;
  static override args = {queue: Args.string({required: true, description: 'Queue name (several may be given).'})};

  static override examples = [
    '<%= config.bin %> <%= command.id %> low',
    {description: 'As JSON:', command: '<%= config.bin %> <%= command.id %> low --json'},
    {description: 'In a deploy script:', command: '<%= config.bin %> <%= command.id %> critical default || exit $?'},
  ];

  async run(): Promise<QueuePauseResult> {
    const {argv} = await this.parse(QueuePause);
    return this.forEachQueue(argv as string[], async (inspector, q) => {
      await inspector.pauseQueue(q);
      this.log(`Successfully paused queue "${q}"`);
      return {queue: q, paused: true as const};
    });
  }
}
