/** Redis INFO: the main figures, then every field (filterable). */
import {useState} from 'preact/hooks';
import type {RedisJson} from '../../web/api-types.js';
import {getJson} from '../api.js';
import {ErrorLine, Figures, Loading, Table} from '../components.js';
import {duration} from '../format.js';
import {usePoll} from '../state.js';

export function RedisPage(): preact.JSX.Element {
  const redis = usePoll('redis', () => getJson<RedisJson>('redis'));
  const [filter, setFilter] = useState('');
  if (redis.data === null) return redis.error ? <ErrorLine error={redis.error} /> : <Loading />;
  const info = redis.data.info;
  const field = (k: string): string => info[k] ?? '-';
  const uptime = Number(info.uptime_in_seconds);
  const rows = Object.entries(info)
    .filter(([k, v]) => filter === '' || k.includes(filter) || v.includes(filter))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return (
    <div class="page" data-page="redis">
      <h2>Redis{redis.data.cluster ? ' Cluster' : ''}</h2>
      <ErrorLine error={redis.error} />
      <Figures
        items={
          redis.data.cluster
            ? [
                ['State', field('cluster_state')],
                ['Known nodes', field('cluster_known_nodes')],
                ['Slots assigned', field('cluster_slots_assigned')],
              ]
            : [
                ['Version', field('redis_version')],
                ['Mode', field('redis_mode')],
                ['Uptime', Number.isFinite(uptime) ? duration(uptime * 1000) : '-'],
                ['Clients', field('connected_clients')],
                ['Memory used', field('used_memory_human')],
                ['Memory peak', field('used_memory_peak_human')],
                ['Max memory', field('maxmemory_human')],
                ['Eviction', field('maxmemory_policy')],
              ]
        }
      />
      <label class="picker">
        Filter <input type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
      </label>
      <Table
        label="redis info"
        rows={rows}
        rowKey={([k]) => k}
        columns={[
          {title: 'Field', className: 'mono', cell: ([k]) => k},
          {title: 'Value', className: 'mono', cell: ([, v]) => v},
        ]}
      />
    </div>
  );
}
