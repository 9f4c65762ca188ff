import {taskJson, type TaskJson} from '../../cli/views/json.js';
import {fullFlag} from '../../cli/flags.js';
import {tableCellMax, taskTable} from '../../cli/views/text.js';
import {InspectCommand} from '../../cli/inspect/command.js';
import {inspectFlags, stateFlag} from '../../cli/inspect/flags.js';
import {ExitCode} from '../../cli/exit-codes.js';
import type {BadTask, TaskState} from '../../lib/index.js';

export type TaskListResult = TaskJson[];

export default class TaskList extends InspectCommand {
  static override aliases = ['task:ls'];
  static override summary = 'List the tasks of a queue in one state, a page at a time.';
  static override description = `States: pending (next to run first), active (longest-running first), scheduled and retry (soonest first), archived (oldest first), completed, and aggregating (needs --group). Pages hold 30 tasks unless --size says otherwise; --page 2 shows the next ones. Payloads and results are shown as text when printable, else as "non-printable bytes", and cut to the terminal's width (256 characters when not on a terminal) with a final "…" unless --full is given (--json gives them whole, as text or base64; \`asynq task inspect --payload\` writes one raw).`;
  static override flags = {
    queue: inspectFlags.queue,
    state: stateFlag(),
    group: inspectFlags.group,
    page: inspectFlags.page,
    size: inspectFlags.size,
    full: fullFlag,
  };

  static override examples = [
    '<%= config.bin %> task ls --queue default --state retry',
    '<%= config.bin %> task ls -q default -s aggregating -g daily-digest --page 2',
    {
      description: 'IDs of the archived tasks as JSON:',
      command: "<%= config.bin %> task ls -q default -s archived --size 100 --json | jq -r '.[].id'",
    },
    {
      description: 'In CI, fail if any task waits for a retry:',
      command: 'test "$(<%= config.bin %> task ls -q default -s retry --json | jq length)" -eq 0 || exit 1',
    },
  ];

  async run(): Promise<TaskListResult> {
    const {flags} = await this.parse(TaskList);
    const state = flags.state as TaskState;
    const inspector = await this.inspector();
    const bad: BadTask[] = [];
    const tasks = await inspector.listTasks(flags.queue, state, {
      group: flags.group,
      page: flags.page,
      size: flags.size,
      onBadData: (b) => bad.push(b),
    });
    if (tasks.length === 0) {
      this.log(
        state === 'aggregating'
          ? `No aggregating tasks in group "${flags.group}"`
          : `No ${state} tasks in "${flags.queue}" queue`,
      );
    } else {
      this.log(taskTable(state, tasks, this.now, this.timeZone, tableCellMax(flags.full)));
    }
    // Tasks of the page that cannot be read are left out, named on stderr, and the exit status is 6.
    for (const b of bad)
      this.logToStderr(`Warning: task ${b.id} in queue "${b.queue}" left out: bad data in Redis: ${b.reason}`);
    const result = tasks.map(taskJson);
    if (bad.length > 0) {
      if (this.jsonEnabled()) this.logJson(result);
      this.exit(ExitCode.BAD_DATA);
    }
    return result;
  }
}
