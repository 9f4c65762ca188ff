import {limitJson, type LimitJson} from '../../cli/views/json.js';
import {limitTable} from '../../cli/views/text.js';
import {InspectCommand} from '../../cli/inspect/command.js';

export type LimitListResult = LimitJson[];

export default class LimitList extends InspectCommand {
  static override aliases = ['limit:ls'];
  static override summary =
    'List the fleet-wide rate limits and concurrency caps the running servers enforce, with their use now.';
  static override description = `One row per limit (by scope) that a live asynq-ts server enforces (worker run --limit, ServerOptions.limits): what it matches, its rules, the tokens of its cap held now (Running, out of the cap; Go handlers using x/rate's semaphore with the same scope count too), the task starts in the last rate window (out of the rate's count), the tasks it sent back to wait that are not due yet, and how many servers enforce it. Go servers have no limits and are not listed. --json gives the same with the servers' IDs.`;

  static override examples = [
    '<%= config.bin %> limit ls',
    {
      description: 'How full each cap is, as JSON:',
      command: "<%= config.bin %> limit ls --json | jq '.[] | select(.concurrency) | {scope, tokensHeld, concurrency}'",
    },
  ];

  async run(): Promise<LimitListResult> {
    await this.parse(LimitList);
    const limits = await (await this.inspector()).limits();
    this.log(limits.length === 0 ? 'No limits: no running server enforces any' : limitTable(limits));
    return limits.map(limitJson);
  }
}
