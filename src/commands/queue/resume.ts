import * as Args from '@oclif/core/args';
import {InspectCommand} from '../../cli/inspect/command.js';

export type QueueResumeResult = Array<{queue: string; paused: false}>;

export default class QueueResume extends InspectCommand {
  static override aliases = ['queue:unpause'];
  static override summary = 'Resume (unpause) one or more paused queues.';
  static override description = `Servers take tasks from the queues again. Fails with exit 4 if a queue is not paused, exit 3 if a queue does not exist (then nothing is changed).`;
  static override strict = false;
  static override args = {queue: Args.string({required: true, description: 'Queue name (several may be given).'})};

  static override examples = [
    '<%= config.bin %> queue unpause low',
    {description: 'As JSON:', command: '<%= config.bin %> <%= command.id %> low --json'},
    {description: 'In a deploy script:', command: '<%= config.bin %> <%= command.id %> critical default || exit $?'},
  ];

  async run(): Promise<QueueResumeResult> {
    const {argv} = await this.parse(QueueResume);
    return this.forEachQueue(argv as string[], async (inspector, q) => {
      await inspector.unpauseQueue(q);
      this.log(`Successfully unpaused queue "${q}"`);
      return {queue: q, paused: false as const};
    });
  }
}
