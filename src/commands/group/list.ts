import {InspectCommand} from '../../cli/inspect/command.js';
import {inspectFlags} from '../../cli/inspect/flags.js';
import type {GroupInfo} from '../../lib/index.js';

export type GroupListResult = GroupInfo[];

export default class GroupList extends InspectCommand {
  static override aliases = ['group:ls'];
  static override summary = 'List the aggregation groups of a queue.';
  static override description = `One group name per line, sorted (--json adds each group's size). An unknown queue is exit 3.`;
  static override flags = {queue: inspectFlags.queue};

  static override examples = [
    '<%= config.bin %> group ls --queue default',
    {
      description: 'Group sizes as JSON:',
      command: '<%= config.bin %> group ls -q default --json | jq \'.[] | "\\(.group) \\(.size)"\'',
    },
    {
      description: 'In a script, list the tasks of every group:',
      command:
        'for g in $(<%= config.bin %> group ls -q default); do <%= config.bin %> task ls -q default -s aggregating -g "$g" || exit $?; done',
    },
  ];

  async run(): Promise<GroupListResult> {
    const {flags} = await this.parse(GroupList);
    const groups = await (await this.inspector()).groups(flags.queue);
    this.log(groups.length === 0 ? `No groups found in queue "${flags.queue}"` : groups.map((g) => g.group).join('\n'));
    return groups;
  }
}
