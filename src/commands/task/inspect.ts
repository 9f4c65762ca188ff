import * as Flags from '@oclif/core/flags';
import {fullFlag} from '../../cli/flags.js';
import {taskJson, type TaskJson} from '../../cli/views/json.js';
import {INSPECT_TEXT_MAX, taskInfoView} from '../../cli/views/text.js';
import {InspectCommand} from '../../cli/inspect/command.js';
import {inspectFlags, taskIdArg, taskIdFrom} from '../../cli/inspect/flags.js';
import {ValidationError} from '../../lib/index.js';

export type TaskInspectResult = TaskJson;

export default class TaskInspect extends InspectCommand {
  static override summary = 'Show everything about one task.';
  static override description = `Queue, ID, type, state, retries, payload (as text when printable), group, headers, result, when it runs next and its last failure. A payload or result longer than 4096 characters is cut, with a final "…", unless --full is given; --payload (or --result) writes it alone to stdout, byte for byte, for piping. An unknown queue or task ID is exit 3.`;
  static override args = taskIdArg;
  static override flags = {
    queue: inspectFlags.queue,
    id: inspectFlags.id,
    full: fullFlag,
    payload: Flags.boolean({
      summary: 'Write only the payload to stdout, byte for byte (nothing else; no newline added).',
      exclusive: ['result', 'full'],
    }),
    result: Flags.boolean({
      summary: 'Write only the result to stdout, byte for byte (nothing when the task has none).',
      exclusive: ['payload', 'full'],
    }),
  };

  static override examples = [
    '<%= config.bin %> task inspect --queue default --id 7837f142-6337-4217-9276-8f27281b67d1',
    '<%= config.bin %> task inspect -q default 7837f142-6337-4217-9276-8f27281b67d1',
    {
      description: 'The state of a task as JSON:',
      command: '<%= config.bin %> task inspect -q default 7837f142 --json | jq -r .state',
    },
    {
      description: 'Save its payload to a file, whatever its size or bytes:',
      command: '<%= config.bin %> task inspect -q default 7837f142 --payload > payload.bin',
    },
    {
      description: 'In a script, stop when the task is gone (exit 3):',
      command: '<%= config.bin %> task inspect -q default 7837f142 > /dev/null || exit $?',
    },
  ];

  async run(): Promise<TaskInspectResult> {
    const {args, flags} = await this.parse(TaskInspect);
    const id = taskIdFrom(args.id, flags.id);
    if ((flags.payload || flags.result) && this.jsonEnabled())
      throw new ValidationError(`--${flags.payload ? 'payload' : 'result'} and --json cannot be used together`);
    const info = await (await this.inspector()).getTaskInfo(flags.queue, id);
    if (flags.payload || flags.result) {
      const bytes = flags.payload ? info.payload : info.result;
      if (bytes !== null && bytes.length > 0) await writeAll(bytes);
      return taskJson(info);
    }
    this.log(taskInfoView(info, this.now, this.timeZone, flags.full ? Number.POSITIVE_INFINITY : INSPECT_TEXT_MAX));
    return taskJson(info);
  }
}

/** Writes raw bytes to stdout and waits until they are handed over (a pipe may be asynchronous). */
function writeAll(bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(bytes, (err) => (err ? reject(err) : resolve()));
  });
}
