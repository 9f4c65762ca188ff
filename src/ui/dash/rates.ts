/**
 * Live throughput: tasks per second processed and failed, from the change of each queue's
 * all-time counters (QueueInfo.processedTotal/failedTotal, which do not reset at midnight as the
 * daily ones do) between two reads, divided by the time between the reads (QueueInfo.timestamp).
 * Pure: `foldRates` takes the last state and a read and returns the next state, kept with the
 * dash's data (select.ts), with the last RATE_SAMPLES rates of every queue and of the whole system.
 */
import type {QueueInfo} from '../../lib/inspector.js';

/** Tasks per second. */
export interface Rate {
  processed: number;
  failed: number;
}

/** A queue's all-time counters at a time (ms since the epoch). */
interface CounterSample {
  at: number;
  processed: number;
  failed: number;
}

export interface RateState {
  /** The last counters read of each queue. */
  last: Readonly<Record<string, CounterSample>>;
  /** The latest rate of each queue (absent: read once only, so not known yet). */
  rates: Readonly<Record<string, Rate>>;
  /** The last RATE_SAMPLES rates of each queue, oldest first. */
  queueSeries: Readonly<Record<string, readonly Rate[]>>;
  /** The last RATE_SAMPLES rates of all queues together (one per queue-table read), oldest first. */
  systemSeries: readonly Rate[];
}

export const NO_RATES: RateState = {last: {}, rates: {}, queueSeries: {}, systemSeries: []};

/** Samples kept for the charts (a minute at a 1 s refresh, two at the default 2 s). */
export const RATE_SAMPLES = 60;

/** Reads closer together than this are not compared (too noisy); the older one is kept as the base. */
const MIN_RATE_MS = 250;

/**
 * The rate between two reads of a queue's counters: null when there is no earlier read or the
 * reads are too close; a counter that went down (reset, queue deleted and created again) counts as 0.
 */
export function counterRate(prev: CounterSample | undefined, next: CounterSample): Rate | null {
  if (prev === undefined) return null;
  const seconds = (next.at - prev.at) / 1000;
  if (!(seconds * 1000 >= MIN_RATE_MS)) return null;
  const per = (a: number, b: number): number => Math.max(0, b - a) / seconds;
  return {processed: per(prev.processed, next.processed), failed: per(prev.failed, next.failed)};
}

function push<T>(series: readonly T[] | undefined, value: T): readonly T[] {
  const s = [...(series ?? []), value];
  return s.length > RATE_SAMPLES ? s.slice(s.length - RATE_SAMPLES) : s;
}

/**
 * The state after a read of `infos`. `all` says the read is of every queue (the queue table): then
 * queues no longer there are forgotten and the system's rate (the sum of the queues whose rate is
 * known) is added to the system series. A single queue's read (queue screen) updates only that queue.
 */
export function foldRates(state: RateState, infos: readonly QueueInfo[], all: boolean): RateState {
  const keep = <T>(r: Readonly<Record<string, T>>): Record<string, T> => {
    if (!all) return {...r};
    const names = new Set(infos.map((q) => q.queue));
    return Object.fromEntries(Object.entries(r).filter(([q]) => names.has(q)));
  };
  const last = keep(state.last);
  const rates = keep(state.rates);
  const queueSeries = keep(state.queueSeries);
  let system: Rate | null = null;
  for (const q of infos) {
    const sample: CounterSample = {at: q.timestamp.getTime(), processed: q.processedTotal, failed: q.failedTotal};
    const prev = last[q.queue];
    const rate = counterRate(prev, sample);
    // Too close to the last read (an `r` press): keep the older base and the rate shown.
    if (prev !== undefined && rate === null && sample.at >= prev.at) continue;
    last[q.queue] = sample;
    if (rate === null) {
      delete rates[q.queue];
      continue;
    }
    rates[q.queue] = rate;
    queueSeries[q.queue] = push(queueSeries[q.queue], rate);
    if (all) system = add(system, rate);
  }
  const systemSeries = all && system !== null ? push(state.systemSeries, system) : state.systemSeries;
  return {last, rates, queueSeries, systemSeries};
}

function add(a: Rate | null, b: Rate): Rate {
  return a === null ? {...b} : {processed: a.processed + b.processed, failed: a.failed + b.failed};
}

/** The rates of the queue-table rows summed (null when none is known yet). */
export function sumRates(rates: readonly (Rate | null | undefined)[]): Rate | null {
  let s: Rate | null = null;
  for (const r of rates) if (r) s = add(s, r);
  return s;
}
