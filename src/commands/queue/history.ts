import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';
import {queueHistoryDocument, type QueueHistoryDocument} from '../../cli/inspect/documents.js';
import {SEPARATOR, historyTable} from '../../cli/views/text.js';
import {InspectCommand} from '../../cli/inspect/command.js';

export type QueueHistoryResult = QueueHistoryDocument[];

export default class QueueHistory extends InspectCommand {
  static override summary = 'Show the processed and failed counts of the last days.';
  static override description = `Per queue, one row per UTC day, newest first: processed, failed and the error rate. The counters are kept for 90 days.`;
  static override strict = false;
  static override args = {queue: Args.string({required: true, description: 'Queue name (several may be given).'})};
  static override flags = {
    days: Flags.integer({char: 'x', min: 1, default: 10, helpValue: '<n>', summary: 'Number of days to show.'}),
  };

  static override examples = [
    '<%= config.bin %> <%= command.id %> default --days 3',
    {
      description: 'Failures of the last week as JSON:',
      command: "<%= config.bin %> <%= command.id %> default -x 7 --json | jq '[.[0].days[].failed] | add'",
    },
    {description: 'In a CI job:', command: '<%= config.bin %> <%= command.id %> default critical --days 1 || exit $?'},
  ];

  async run(): Promise<QueueHistoryResult> {
    const {argv, flags} = await this.parse(QueueHistory);
    const queues = argv as string[];
    const inspector = await this.inspector();
    await this.requireQueues(inspector, queues);
    const result: QueueHistoryResult = [];
    for (const [i, q] of queues.entries()) {
      const doc = await queueHistoryDocument(inspector, q, flags.days);
      if (i > 0) this.log(`\n${SEPARATOR}\n`);
      this.log(`Queue: ${q}\n\n${historyTable(doc.days)}`);
      result.push(doc);
    }
    return result;
  }
}
