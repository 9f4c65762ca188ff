/** The queues page: totals, live tasks/s, processed/failed per day, and the table of queues. */
import {useEffect, useMemo, useState} from 'preact/hooks';
import {dashErrorRate, dashRate} from '../../cli/format/number.js';
import type {HistoryJson, QueueInfoJson} from '../../web/api-types.js';
import {getJson} from '../api.js';
import {Chart, ErrorLine, Figures, Loading, StateBar, Table, type Column} from '../components.js';
import {byteCount, count, duration, RateTracker, type Rate} from '../format.js';
import {href, usePoll} from '../state.js';
import {QueueButtons} from './queue-actions.js';

/** Live samples kept for the tasks/s chart. */
const SAMPLES = 60;

interface Sample {
  at: number;
  rate: Rate;
}

/**
 * Feeds each new read of the queues to a RateTracker: the rate of each queue and the series of the
 * sum over the queues (one sample per read), as the terminal dash shows them.
 */
export function useLiveRates(queues: readonly QueueInfoJson[] | null): {rates: Record<string, Rate>; series: Sample[]} {
  const [tracker] = useState(() => new RateTracker());
  const [live, setLive] = useState<{rates: Record<string, Rate>; series: Sample[]}>({rates: {}, series: []});
  useEffect(() => {
    if (queues === null) return;
    tracker.retain(new Set(queues.map((q) => q.queue)));
    const rates: Record<string, Rate> = {};
    const sum: Rate = {processed: 0, failed: 0};
    let known = false;
    for (const q of queues) {
      const r = tracker.observe(q.queue, q.timestamp, q.processedTotal, q.failedTotal);
      if (r === null) continue;
      rates[q.queue] = r;
      sum.processed += r.processed;
      sum.failed += r.failed;
      known = true;
    }
    const add = known && queues.length > 0 ? sum : null;
    const at = add === null ? 0 : Date.parse(queues[0]!.timestamp);
    setLive((prev) => ({
      rates,
      series: add === null ? prev.series : [...prev.series, {at, rate: add}].slice(-SAMPLES),
    }));
  }, [queues, tracker]);
  return live;
}

const DAYS = [7, 30, 90] as const;

export function QueuesPage(): preact.JSX.Element {
  const queues = usePoll('queues', () => getJson<QueueInfoJson[]>('queues'));
  const [days, setDays] = useState<number>(7);
  const history = usePoll(`history:${days}`, () => getJson<HistoryJson>('history', {days}), {everyTicks: 15});
  const {rates, series} = useLiveRates(queues.data);
  const list = queues.data;

  const daily = useMemo(() => {
    const byDate = new Map<string, {processed: number; failed: number}>();
    for (const q of history.data ?? [])
      for (const d of q.days) {
        const e = byDate.get(d.date) ?? {processed: 0, failed: 0};
        e.processed += d.processed;
        e.failed += d.failed;
        byDate.set(d.date, e);
      }
    const dates = [...byDate.keys()].sort();
    return {
      x: dates.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000),
      processed: dates.map((d) => byDate.get(d)!.processed),
      failed: dates.map((d) => byDate.get(d)!.failed),
    };
  }, [history.data]);

  if (list === null) return queues.error ? <ErrorLine error={queues.error} /> : <Loading />;
  const total = (k: keyof QueueInfoJson): number => list.reduce((s, q) => s + (q[k] as number), 0);
  const live = series.length > 0 ? series[series.length - 1]!.rate : null;
  const scale = Math.max(1, ...list.map((q) => q.size));
  const columns: Column<QueueInfoJson>[] = [
    {
      title: 'Queue',
      className: 'name',
      cell: (q) => (
        <a class="queue-link" href={href(['queues', q.queue])}>
          {q.queue}
        </a>
      ),
    },
    {
      title: 'State',
      cell: (q) => (q.paused ? <span class="badge paused">paused</span> : <span class="badge run">run</span>),
    },
    {title: 'Size', num: true, cell: (q) => count(q.size)},
    {title: '', className: 'barcell', cell: (q) => <StateBar counts={q} scale={scale} />},
    {title: 'Latency', num: true, cell: (q) => duration(q.latencyMs)},
    {title: 'Memory', num: true, cell: (q) => byteCount(q.memoryUsageBytes)},
    {title: 'Active', num: true, cell: (q) => count(q.active)},
    {title: 'Pending', num: true, cell: (q) => count(q.pending)},
    {title: 'Aggregating', num: true, cell: (q) => count(q.aggregating)},
    {title: 'Scheduled', num: true, cell: (q) => count(q.scheduled)},
    {title: 'Retry', num: true, cell: (q) => count(q.retry)},
    {title: 'Archived', num: true, cell: (q) => count(q.archived)},
    {title: 'Completed', num: true, cell: (q) => count(q.completed)},
    {title: 'Processed / failed today', num: true, cell: (q) => `${count(q.processed)} / ${count(q.failed)}`},
    {title: 'Error rate', num: true, cell: (q) => dashErrorRate(q.processed, q.failed)},
    {
      title: 'Tasks/s processed / failed',
      num: true,
      className: 'rate',
      cell: (q) => `${dashRate(rates[q.queue]?.processed ?? null)} / ${dashRate(rates[q.queue]?.failed ?? null)}`,
    },
    {title: 'Actions', cell: (q) => <QueueButtons queue={q} small />},
  ];
  return (
    <div class="page" data-page="queues">
      <h2>Queues</h2>
      <ErrorLine error={queues.error} />
      <Figures
        items={[
          ['Queues', count(list.length)],
          ['Tasks', count(total('size'))],
          ['Active', count(total('active'))],
          ['Pending', count(total('pending'))],
          ['Scheduled', count(total('scheduled'))],
          ['Retry', count(total('retry'))],
          ['Archived', count(total('archived'))],
          ['Completed', count(total('completed'))],
          ['Processed today', count(total('processed'))],
          ['Failed today', count(total('failed'))],
          ['Processed/s', dashRate(live?.processed ?? null)],
          ['Failed/s', dashRate(live?.failed ?? null)],
        ]}
      />
      <div class="charts">
        <Chart
          title="Tasks per second (live)"
          x={series.map((s) => s.at / 1000)}
          series={[
            {label: 'processed/s', color: 'processed', values: series.map((s) => s.rate.processed)},
            {label: 'failed/s', color: 'failed', values: series.map((s) => s.rate.failed)},
          ]}
        />
        <div class="chart-with-picker">
          <label class="picker">
            Days{' '}
            <select value={String(days)} onChange={(e) => setDays(Number(e.currentTarget.value))}>
              {DAYS.map((d) => (
                <option key={d} value={String(d)}>
                  {d}
                </option>
              ))}
            </select>
          </label>
          <Chart
            title="Processed and failed per day (UTC)"
            bars
            x={daily.x}
            series={[
              {label: 'processed', color: 'processed', values: daily.processed},
              {label: 'failed', color: 'failed', values: daily.failed},
            ]}
          />
        </div>
      </div>
      <Table label="queues" columns={columns} rows={list} rowKey={(q) => q.queue} empty="No queues yet." />
    </div>
  );
}
