// The table reader the command tests use: cells keep their inner double spaces (Go's UnixDate pads a
// one-digit day), so assertions do not depend on the day of the month.
import {describe, expect, it} from 'vitest';
import {rows} from './cli.js';

describe('rows', () => {
  it('cuts cells at the columns of the dash line, keeping "Mon Dec  7" whole', () => {
    const table = [
      'ID  Type     Last Failed                   Retried',
      '--  ----     -----------                   -------',
      'r1  task:r1  Mon Dec  7 02:07:24 UTC 2026  2',
      'r2  t        Thu Dec 17 02:07:24 UTC 2026  10',
    ].join('\n');
    expect(rows(table)).toEqual([
      ['ID', 'Type', 'Last Failed', 'Retried'],
      ['--', '----', '-----------', '-------'],
      ['r1', 'task:r1', 'Mon Dec  7 02:07:24 UTC 2026', '2'],
      ['r2', 't', 'Thu Dec 17 02:07:24 UTC 2026', '10'],
    ]);
  });

  it('splits text without a dash line on runs of two spaces', () => {
    expect(rows('a  b\nc  d e\n')).toEqual([
      ['a', 'b'],
      ['c', 'd e'],
    ]);
  });
});
