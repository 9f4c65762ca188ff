import * as Args from '@oclif/core/args';
import {queueInfoJson, type QueueInfoJson} from '../../cli/views/json.js';
import {SEPARATOR, queueInfoView} from '../../cli/views/text.js';
import {InspectCommand} from '../../cli/inspect/command.js';

export type QueueInspectResult = QueueInfoJson[];

export default class QueueInspect extends InspectCommand {
  static override summary = 'Show the details of one or more queues.';
  static override description = `For each queue: size, number of groups, paused or not, latency (how long the oldest pending task has waited), approximate memory usage, the task count by state and today's processed and failed counts (UTC).`;
  static override strict = false;
  static override args = {queue: Args.string({required: true, description: 'Queue name (several may be given).'})};

  static override examples = [
    '<%= config.bin %> <%= command.id %> default critical',
    {
      description: 'The latency of a queue in milliseconds:',
      command: "<%= config.bin %> <%= command.id %> default --json | jq '.[0].latencyMs'",
    },
    {
      description: 'In CI, fail when the queue does not exist (exit 3):',
      command: '<%= config.bin %> <%= command.id %> default > /dev/null || exit $?',
    },
  ];

  async run(): Promise<QueueInspectResult> {
    const {argv} = await this.parse(QueueInspect);
    const queues = argv as string[];
    const inspector = await this.inspector();
    await this.requireQueues(inspector, queues);
    const result: QueueInspectResult = [];
    for (const [i, q] of queues.entries()) {
      const info = await inspector.getQueueInfo(q);
      if (i > 0) this.log(`\n${SEPARATOR}\n`);
      this.log(queueInfoView(info));
      result.push(queueInfoJson(info));
    }
    return result;
  }
}
