/**
 * useDashData: polls what `query`'s screen shows and keeps the latest data of every screen (in the
 * poll's state, folded with `rememberScreen`), so going back to a screen shows its last data at once
 * while it is read again.
 */
import {fetchDash, queryKey, type DashQuery} from '../dash/fetch.js';
import {NO_DATA, rememberScreen, type LatestData} from '../dash/select.js';
import type {DashSource} from '../dash/source.js';
import {usePollFold, type PollResult} from './use-poll.js';

export interface DashDataOptions {
  /** Bump to read again now. */
  refreshToken?: number;
  /** Time source for `poll.updatedAt` (tests). */
  now?: () => Date;
}

export interface DashDataResult {
  latest: LatestData;
  /** The polling state: error of the last read, when the last good one was. */
  poll: PollResult<LatestData>;
}

export function useDashData(
  source: DashSource,
  query: DashQuery,
  refreshMs: number,
  opts: DashDataOptions = {},
): DashDataResult {
  const poll = usePollFold((signal) => fetchDash(source, query, signal), rememberScreen, {
    intervalMs: refreshMs,
    key: queryKey(query),
    refreshToken: opts.refreshToken,
    now: opts.now,
  });
  return {latest: poll.data ?? NO_DATA, poll};
}
