import {serverJson, type ServerJson} from '../../cli/views/json.js';
import {serverTable} from '../../cli/views/text.js';
import {InspectCommand} from '../../cli/inspect/command.js';

export type ServerListResult = ServerJson[];

export default class ServerList extends InspectCommand {
  static override aliases = ['server:ls'];
  static override summary = 'List the running worker servers.';
  static override description = `Servers (Go or TypeScript) that sent a heartbeat recently, sorted by host and PID: state ("active" pulls tasks, "stopped" only finishes its work), busy workers out of the concurrency, queues with their priorities, and uptime. --json adds the tasks each server is processing, with start time and deadline.`;

  static override examples = [
    '<%= config.bin %> server ls',
    {
      description: 'The tasks in progress on all servers:',
      command: "<%= config.bin %> server ls --json | jq '[.[].activeWorkers[] | {taskId, queue, startedAt}]'",
    },
    {
      description: 'In a health check, fail when no server runs:',
      command: 'test "$(<%= config.bin %> server ls --json | jq length)" -gt 0 || exit 1',
    },
  ];

  async run(): Promise<ServerListResult> {
    await this.parse(ServerList);
    const servers = await (await this.inspector()).servers();
    this.log(servers.length === 0 ? 'No running servers' : serverTable(servers, this.now));
    return servers.map(serverJson);
  }
}
