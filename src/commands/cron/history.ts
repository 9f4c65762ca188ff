import {Args} from '@oclif/core';
import {enqueueEventJson, type EnqueueEventJson} from '../../cli/views/json.js';
import {SEPARATOR, enqueueEventTable} from '../../cli/views/text.js';
import {InspectCommand} from '../../cli/inspect/command.js';
import {inspectFlags} from '../../cli/inspect/flags.js';

export type CronHistoryResult = Array<{entryId: string; events: EnqueueEventJson[]}>;

export default class CronHistory extends InspectCommand {
  static override summary = 'Show when periodic tasks were enqueued.';
  static override description = `Per entry ID (see "cron ls"), the IDs of the tasks it enqueued and when, newest first, a page at a time (the last 1000 are kept).`;
  static override strict = false;
  static override args = {entry: Args.string({required: true, description: 'Scheduler entry ID (several may be given).'})};
  static override flags = {page: inspectFlags.page, size: inspectFlags.size};

  static override examples = [
    '<%= config.bin %> <%= command.id %> 8c0e0c2b-3c7f-4f0e-9f3a-1d2c3b4a5e6f',
    {description: 'The last enqueue time as JSON:', command: '<%= config.bin %> <%= command.id %> 8c0e0c2b --size 1 --json | jq -r \'.[0].events[0].enqueuedAt\''},
    {description: 'In a script:', command: '<%= config.bin %> <%= command.id %> 8c0e0c2b --page 2 || exit $?'},
  ];

  async run(): Promise<CronHistoryResult> {
    const {argv, flags} = await this.parse(CronHistory);
    const inspector = await this.inspector();
    const result: CronHistoryResult = [];
    for (const [i, entryId] of (argv as string[]).entries()) {
      const events = await inspector.listSchedulerEnqueueEvents(entryId, {page: flags.page, size: flags.size});
      if (i > 0) this.log(`\n${SEPARATOR}\n`);
      this.log(`Entry: ${entryId}\n\n${events.length === 0 ? `No scheduler enqueue events found for entry: ${entryId}` : enqueueEventTable(events)}`);
      result.push({entryId, events: events.map(enqueueEventJson)});
    }
    return result;
  }
}
