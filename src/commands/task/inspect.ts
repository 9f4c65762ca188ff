import {taskJson, type TaskJson} from '../../cli/views/json.js';
import {taskInfoView} from '../../cli/views/text.js';
import {InspectCommand} from '../../cli/inspect/command.js';
import {inspectFlags, taskIdArg, taskIdFrom} from '../../cli/inspect/flags.js';

export type TaskInspectResult = TaskJson;

export default class TaskInspect extends InspectCommand {
  static override summary = 'Show everything about one task.';
  static override description = `Queue, ID, type, state, retries, payload (as text when printable), group, headers, result, when it runs next and its last failure. An unknown queue or task ID is exit 3.`;
  static override args = taskIdArg;
  static override flags = {queue: inspectFlags.queue, id: inspectFlags.id};

  static override examples = [
    '<%= config.bin %> task inspect --queue default --id 7837f142-6337-4217-9276-8f27281b67d1',
    '<%= config.bin %> task inspect -q default 7837f142-6337-4217-9276-8f27281b67d1',
    {description: 'The state of a task as JSON:', command: '<%= config.bin %> task inspect -q default 7837f142 --json | jq -r .state'},
    {description: 'In a script, stop when the task is gone (exit 3):', command: '<%= config.bin %> task inspect -q default 7837f142 > /dev/null || exit $?'},
  ];

  async run(): Promise<TaskInspectResult> {
    const {args, flags} = await this.parse(TaskInspect);
    const id = taskIdFrom(args.id, flags.id);
    const info = await (await this.inspector()).getTaskInfo(flags.queue, id);
    this.log(taskInfoView(info, this.now, this.timeZone));
    return taskJson(info);
  }
}
