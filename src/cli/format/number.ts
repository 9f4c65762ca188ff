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
