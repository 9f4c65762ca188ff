import {schedulerEntryJson, type SchedulerEntryJson} from '../../cli/views/json.js';
import {fullFlag} from '../../cli/flags.js';
import {schedulerEntryTable, tableCellMax} from '../../cli/views/text.js';
import {InspectCommand} from '../../cli/inspect/command.js';

export type CronListResult = SchedulerEntryJson[];

export default class CronList extends InspectCommand {
  static override aliases = ['cron:ls'];
  static override summary = 'List the periodic tasks of the running schedulers.';
  static override description = `Entries registered by live schedulers (Go or TypeScript), sorted by spec: entry ID, cron spec, task type, payload, options (as Go prints them, e.g. [Queue("low") MaxRetry(3)]), when it is next enqueued and when it was last.`;

  static override flags = {full: fullFlag};

  static override examples = [
    '<%= config.bin %> cron ls',
    {
      description: 'Entry IDs and specs as JSON:',
      command: '<%= config.bin %> cron ls --json | jq -r \'.[] | "\\(.id) \\(.spec)"\'',
    },
    {
      description: 'In a deploy check, fail when no entry is registered:',
      command: 'test "$(<%= config.bin %> cron ls --json | jq length)" -gt 0 || exit 1',
    },
  ];

  async run(): Promise<CronListResult> {
    const {flags} = await this.parse(CronList);
    const entries = await (await this.inspector()).schedulerEntries();
    this.log(
      entries.length === 0 ? 'No scheduler entries' : schedulerEntryTable(entries, this.now, tableCellMax(flags.full)),
    );
    return entries.map(schedulerEntryJson);
  }
}
