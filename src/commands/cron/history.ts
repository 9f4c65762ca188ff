import * as Args from '@oclif/core/args';
import {cronHistoryDocument, type CronHistoryDocument} from '../../cli/inspect/documents.js';
import {SEPARATOR, enqueueEventTable} from '../../cli/views/text.js';
import {InspectCommand} from '../../cli/inspect/command.js';
import {inspectFlags} from '../../cli/inspect/flags.js';

export type CronHistoryResult = CronHistoryDocument[];

export default class CronHistory extends InspectCommand {
  static override summary = 'Show when periodic tasks were enqueued.';
  static override description = `Per entry ID (see "cron ls"), the IDs of the tasks it enqueued and when, newest first, a page at a time (the last 1000 are kept). An ID that no running scheduler has and that has no history is exit 3 (Go's CLI prints an empty history); every ID is checked before anything is printed.`;
  static override strict = false;
  static override args = {
    entry: Args.string({required: true, description: 'Scheduler entry ID (several may be given).'}),
  };
  static override flags = {page: inspectFlags.page, size: inspectFlags.size};

  static override examples = [
    '<%= config.bin %> <%= command.id %> 8c0e0c2b-3c7f-4f0e-9f3a-1d2c3b4a5e6f',
    {
      description: 'The last enqueue time as JSON:',
      command: "<%= config.bin %> <%= command.id %> 8c0e0c2b --size 1 --json | jq -r '.[0].events[0].enqueuedAt'",
    },
    {description: 'In a script:', command: '<%= config.bin %> <%= command.id %> 8c0e0c2b --page 2 || exit $?'},
  ];

  async run(): Promise<CronHistoryResult> {
    const {argv, flags} = await this.parse(CronHistory);
    const inspector = await this.inspector();
    const result: CronHistoryResult = [];
    let live: Promise<Set<string>> | undefined;
    const liveIds = (): Promise<Set<string>> =>
      (live ??= inspector.schedulerEntries().then((entries) => new Set(entries.map((e) => e.id))));
    for (const entryId of argv as string[])
      result.push(await cronHistoryDocument(inspector, entryId, {page: flags.page, size: flags.size}, liveIds));
    for (const [i, {entryId, events}] of result.entries()) {
      if (i > 0) this.log(`\n${SEPARATOR}\n`);
      this.log(
        `Entry: ${entryId}\n\n${events.length === 0 ? `No scheduler enqueue events found for entry: ${entryId}` : enqueueEventTable(events)}`,
      );
    }
    return result;
  }
}
