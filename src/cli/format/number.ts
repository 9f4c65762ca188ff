/** Rates of the CLI and the dash. Naming as in ./time.ts. */

/** Go asynq CLI's error rate (queue inspect, stats, queue history): `N/A` when nothing was processed, else failed/processed as `12.50%`. */
export function goCliErrorRate(processed: number, failed: number): string {
  return processed === 0 ? 'N/A' : `${((failed / processed) * 100).toFixed(2)}%`;
}

/** The dash's error rate: `-` when nothing was processed (as Go's dash formatErrorRate), else a percentage with two decimals (Go's dash prints the fraction, `0.02`). */
export function dashErrorRate(processed: number, failed: number): string {
  if (processed <= 0) return '-';
  return `${((failed / processed) * 100).toFixed(2)}%`;
}

/** The dash's tasks per second: `-` when not known yet, `<0.1` for a trickle, one decimal below 10, else whole (compact from 10k). */
export function dashRate(perSecond: number | null): string {
  if (perSecond === null || !Number.isFinite(perSecond)) return '-';
  if (perSecond <= 0) return '0';
  if (perSecond < 0.05) return '<0.1';
  if (perSecond < 9.95) return perSecond.toFixed(1);
  const n = Math.round(perSecond);
  if (n < 10_000) return String(n);
  return n < 1e6 ? `${(n / 1e3).toFixed(n < 1e5 ? 1 : 0).replace(/\.0$/, '')}k` : `${Math.round(n / 1e6)}M`;
}
