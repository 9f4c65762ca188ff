/** `@every` intervals robfig changes (Go asynq's cron `@every`): accepted as Go does, with a note for the warning. */
import {describe, expect, it} from 'vitest';
import {everyRoundingNote, parseCronSpec} from '../../src/lib/cron-spec.js';

describe('@every below a second, zero, negative or fractional: run every whole second as Go does', () => {
  it.each([
    ['@every 500ms', 1000],
    ['@every 0s', 1000],
    ['@every -1s', 1000],
    ['@every 1.5s', 1000],
    ['@every 2500ms', 2000],
    ['CRON_TZ=UTC @every 0.5s', 1000],
  ])('%s → every %i ms, with a note', (spec, ms) => {
    expect(parseCronSpec(spec).everyMs).toBe(ms);
    expect(everyRoundingNote(spec)).toBe(`"${spec}" runs every ${ms / 1000}s: as in Go asynq (robfig/cron's Every), an @every interval below 1s becomes 1s and others are cut to whole seconds`);
  });

  it.each(['@every 2s', '@every 1m', '* * * * *', '@daily', '@every nonsense'])('%s: no note', (spec) => {
    expect(everyRoundingNote(spec)).toBeUndefined();
  });
});
