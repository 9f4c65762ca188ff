import {formatTable} from '../../cli/output.js';
import {InspectCommand} from '../../cli/inspect/command.js';
import type {ClusterNode} from '../../lib/index.js';

export interface QueueListItem {
  queue: string;
  /** Only on a Redis Cluster: the hash slot of the queue's keys and the nodes serving it. */
  clusterKeySlot?: number;
  clusterNodes?: ClusterNode[];
}

export type QueueListResult = QueueListItem[];

export default class QueueList extends InspectCommand {
  static override aliases = ['queue:ls'];
  static override summary = 'List queues.';
  static override description = `One queue name per line, sorted. On a Redis Cluster (--cluster) a table also shows each queue's hash slot and the nodes that serve it.`;

  static override examples = [
    '<%= config.bin %> queue ls',
    {description: 'Queue names as JSON:', command: "<%= config.bin %> queue ls --json | jq -r '.[].queue'"},
    {
      description: 'In a script, inspect every queue:',
      command: 'for q in $(<%= config.bin %> queue ls); do <%= config.bin %> queue inspect "$q" || exit $?; done',
    },
  ];

  async run(): Promise<QueueListResult> {
    await this.parse(QueueList);
    const inspector = await this.inspector();
    const result: QueueListResult = [];
    for (const queue of await inspector.queues()) {
      result.push(
        inspector.isCluster
          ? {
              queue,
              clusterKeySlot: await inspector.clusterKeySlot(queue),
              clusterNodes: await inspector.clusterNodes(queue),
            }
          : {queue},
      );
    }
    if (!inspector.isCluster) {
      if (result.length > 0) this.log(result.map((q) => q.queue).join('\n'));
    } else {
      this.log(
        formatTable(
          ['Queue', 'Cluster KeySlot', 'Cluster Nodes'],
          result.map((q) => [q.queue, q.clusterKeySlot, (q.clusterNodes ?? []).map((n) => n.addr).join(' ')]),
        ),
      );
    }
    return result;
  }
}
