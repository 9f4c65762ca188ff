/**
 * Every format of src/cli/format/, one table row per case: the function, its input, its text.
 * `go…`/`goCli…` rows are Go's output byte for byte; `dash…` rows are the dash's own forms.
 */
import {describe, expect, it} from 'vitest';
import {
  cliBytesText,
  dashPayloadLine,
  dashPayloadLines,
  goByteCount,
  goCliIsPrintable,
  goCliSprintBytes,
} from '../../../src/cli/format/bytes.js';
import {dashErrorRate, goCliErrorRate} from '../../../src/cli/format/number.js';
import {
  compactDuration,
  dashClockTime,
  dashLatency,
  dashNextProcessTime,
  dashPastTime,
  dashRelativeTime,
  dashUtcTime,
  goCliNextEnqueue,
  goCliNextProcessAt,
  goCliPastTime,
  goCliPrevEnqueue,
  goCliProcessAt,
  goCliSince,
  goDurationString,
  goRoundedDuration,
  goTimeString,
  goUnixDate,
  shortDuration,
} from '../../../src/cli/format/time.js';

const now = new Date('2026-01-01T00:00:00Z');
const at = (iso: string): Date => new Date(iso);
const plus = (ms: number): Date => new Date(now.getTime() + ms);
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

type Row = [call: string, actual: () => unknown, expected: unknown];

function table(rows: Row[]): void {
  it.each(rows)('%s', (_call, actual, expected) => {
    expect(actual()).toEqual(expected);
  });
}

describe('time: Go standard library', () => {
  table([
    ['goDurationString(90s)', () => goDurationString(90_000), '1m30s'],
    ['goUnixDate(09:05 UTC)', () => goUnixDate(at('2026-01-01T09:05:00Z')), 'Thu Jan  1 09:05:00 UTC 2026'],
    ['goRoundedDuration(0)', () => goRoundedDuration(0), '0s'],
    ['goRoundedDuration(59.4s)', () => goRoundedDuration(59_400), '59s'],
    ['goRoundedDuration(60s)', () => goRoundedDuration(60_000), '1m0s'],
    ['goRoundedDuration(1h2m3.5s)', () => goRoundedDuration(3_723_500), '1h2m4s'],
    ['goTimeString(whole second)', () => goTimeString(at('2026-03-10T11:59:30Z')), '2026-03-10 11:59:30 +0000 UTC'],
    ['goTimeString(fraction)', () => goTimeString(at('2026-03-10T11:59:30.120Z')), '2026-03-10 11:59:30.12 +0000 UTC'],
  ]);
});

describe('time: Go asynq CLI', () => {
  table([
    ['goCliProcessAt(null)', () => goCliProcessAt(null, now), ''],
    ['goCliProcessAt(past)', () => goCliProcessAt(plus(-1), now), 'right now'],
    ['goCliProcessAt(now)', () => goCliProcessAt(now, now), 'in 0s'],
    ['goCliProcessAt(+65s)', () => goCliProcessAt(plus(65_000), now), 'in 1m5s'],
    ['goCliPastTime(null)', () => goCliPastTime(null, 'UTC'), ''],
    ['goCliPastTime(epoch)', () => goCliPastTime(new Date(0), 'UTC'), ''],
    ['goCliPastTime(UTC)', () => goCliPastTime(at('2026-03-15T00:00:00Z'), 'UTC'), 'Sun Mar 15 00:00:00 UTC 2026'],
    [
      'goCliPastTime(New York)',
      () => goCliPastTime(at('2026-01-01T09:05:00Z'), 'America/New_York'),
      'Thu Jan  1 04:05:00 EST 2026',
    ],
    ['goCliNextProcessAt(null)', () => goCliNextProcessAt(null, now, 'UTC'), 'n/a'],
    ['goCliNextProcessAt(past)', () => goCliNextProcessAt(plus(-1000), now, 'UTC'), 'now'],
    [
      'goCliNextProcessAt(+1h)',
      () => goCliNextProcessAt(plus(3_600_000), now, 'UTC'),
      'Thu Jan  1 01:00:00 UTC 2026 (in 1h0m0s)',
    ],
    ['goCliSince(-5s)', () => goCliSince(plus(-5_000), now), '5s ago'],
    ['goCliSince(-1h)', () => goCliSince(plus(-3_600_000), now), '1h0m0s ago'],
    ['goCliNextEnqueue(+30s)', () => goCliNextEnqueue(plus(30_000), now), 'In 30s'],
    ['goCliNextEnqueue(-0.4s)', () => goCliNextEnqueue(plus(-400), now), 'In 0s'],
    ['goCliNextEnqueue(-2s)', () => goCliNextEnqueue(plus(-2_000), now), 'Now'],
    ['goCliPrevEnqueue(null)', () => goCliPrevEnqueue(null, now), 'N/A'],
    ['goCliPrevEnqueue(-90s)', () => goCliPrevEnqueue(plus(-90_000), now), '1m30s ago'],
  ]);
});

describe('time: compact forms', () => {
  const compact: Array<[number, string]> = [
    [0, '0s'],
    [150, '150ms'],
    [999.4, '999ms'],
    [1499, '1s'],
    [1500, '2s'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [3_605_000, '1h0m5s'],
    [5_400_000, '1h30m'],
    [120_000, '2m'],
    [129_600_000, '36h'],
    [-90_000, '-1m30s'],
  ];
  const short: Array<[number, string]> = [
    [0, '0s'],
    [999, '0s'],
    [45_000, '45s'],
    [330_000, '5m30s'],
    [3_600_000, '1h'],
    [11_100_000, '3h5m'],
    [1_119_600_000, '12d23h'],
  ];
  table([
    ...compact.map(([ms, text]): Row => [`compactDuration(${ms})`, () => compactDuration(ms), text]),
    ...short.map(([ms, text]): Row => [`shortDuration(${ms})`, () => shortDuration(ms), text]),
  ]);
});

describe('time: the dash', () => {
  table([
    ['dashNextProcessTime(+65s)', () => dashNextProcessTime(at('2026-01-01T00:01:05Z'), now), 'in 1m5s'],
    ['dashNextProcessTime(past)', () => dashNextProcessTime(at('2025-12-31T23:59:00Z'), now), 'now'],
    ['dashNextProcessTime(+0.2s)', () => dashNextProcessTime(at('2026-01-01T00:00:00.200Z'), now), 'in 1s'],
    ['dashPastTime(-5s)', () => dashPastTime(at('2025-12-31T23:59:55Z'), now), '5s ago'],
    ['dashPastTime(now)', () => dashPastTime(now, now), 'just now'],
    ['dashLatency(0)', () => dashLatency(0), '0s'],
    ['dashLatency(2.6s)', () => dashLatency(2600), '3s'],
    ['dashLatency(90.4s)', () => dashLatency(90_400), '1m30s'],
    ['dashRelativeTime(null)', () => dashRelativeTime(null, now), '-'],
    ['dashRelativeTime(+65s)', () => dashRelativeTime(plus(65_000), now), 'in 1m5s'],
    ['dashRelativeTime(-1h)', () => dashRelativeTime(plus(-3_600_000), now), '1h ago'],
    ['dashRelativeTime(+0.3s)', () => dashRelativeTime(plus(300), now), 'now'],
    ['dashRelativeTime(-0.3s)', () => dashRelativeTime(plus(-300), now), 'just now'],
    ['dashUtcTime', () => dashUtcTime(at('2026-03-10T11:59:30.500Z')), '2026-03-10 11:59:30 UTC'],
    ['dashClockTime', () => dashClockTime(new Date(2026, 0, 1, 9, 5, 7)), '09:05:07'],
  ]);
});

describe('bytes and payloads', () => {
  const sizes: Array<[number, string]> = [
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1.0 kB'],
    [1500, '1.5 kB'],
    [999_999, '1000.0 kB'],
    [2_000_000, '2.0 MB'],
    [3.5e9, '3.5 GB'],
    [1e12, '1.0 TB'],
  ];
  const nonPrintable: Array<[string, Uint8Array]> = [
    ['invalid UTF-8', Uint8Array.of(0xff, 0xfe)],
    ['a line break', enc('line1\nline2')],
    ['a tab', enc('a\tb')],
    ['a bell', enc('bell\u0007')],
    ['empty', enc('')],
    ['only spaces', enc('   ')],
    ['a no-break space', enc('\u00a0')],
  ];
  table([
    ...sizes.map(([n, text]): Row => [`goByteCount(${n})`, () => goByteCount(n), text]),
    [
      'goCliSprintBytes(JSON with accents and CJK)',
      () => goCliSprintBytes(enc('{"user_id": 42, "name": "Zoë 東京"}')),
      '{"user_id": 42, "name": "Zoë 東京"}',
    ],
    ['goCliIsPrintable(emoji)', () => goCliIsPrintable(enc('emoji 🎉 ok')), true],
    ...nonPrintable.map(([what, data]): Row => [
      `goCliSprintBytes(${what})`,
      () => goCliSprintBytes(data),
      'non-printable bytes',
    ]),
    ['cliBytesText(null)', () => cliBytesText(null), ''],
    ['cliBytesText(empty)', () => cliBytesText(enc('')), ''],
    ['cliBytesText(text)', () => cliBytesText(enc('hello')), 'hello'],
    ['cliBytesText(binary)', () => cliBytesText(Uint8Array.of(0xff)), 'non-printable bytes'],
    // a result from `echo … |` or a shell script's stdout ends in a newline: text, shown without it
    [
      'cliBytesText(text + newline)',
      () => cliBytesText(enc('sent welcome to {"user_id": 7}\n')),
      'sent welcome to {"user_id": 7}',
    ],
    ['cliBytesText(text + CRLF)', () => cliBytesText(enc('done\r\n')), 'done'],
    ['cliBytesText(text + tab and newlines)', () => cliBytesText(enc('done\t\n\n')), 'done'],
    ['cliBytesText(CJK + newline)', () => cliBytesText(enc('欢迎\n')), '欢迎'],
    // elsewhere Go's rule stands: a line break inside, a tab inside, a lone newline, a bell at the end
    ['cliBytesText(inner line break)', () => cliBytesText(enc('line1\nline2\n')), 'non-printable bytes'],
    ['cliBytesText(inner tab)', () => cliBytesText(enc('a\tb')), 'non-printable bytes'],
    ['cliBytesText(only a newline)', () => cliBytesText(enc('\n')), 'non-printable bytes'],
    ['cliBytesText(leading newline)', () => cliBytesText(enc('\nhello')), 'non-printable bytes'],
    ['cliBytesText(bell + newline)', () => cliBytesText(enc('bell\u0007\n')), 'non-printable bytes'],
    ['cliBytesText(text, max = its length)', () => cliBytesText(enc('hello'), 5), 'hello'],
    ['cliBytesText(text, max below its length)', () => cliBytesText(enc('hello world'), 5), 'hell…'],
    ['cliBytesText(multi-byte text within max characters)', () => cliBytesText(enc('東京東京'), 4), '東京東京'],
    ['cliBytesText(multi-byte text cut)', () => cliBytesText(enc('東京😀東京'), 3), '東京…'],
    [
      'cliBytesText(binary after a printable head, cut)',
      () => cliBytesText(Buffer.concat([enc('x'.repeat(100)), Uint8Array.of(0xff)]), 10),
      'non-printable bytes',
    ],
    ['cliBytesText(3 MB printable, cut)', () => cliBytesText(Buffer.alloc(3_000_000, 'a'), 4), 'aaa…'],
    [
      'cliBytesText(3 MB, a tab inside)',
      () => cliBytesText(Buffer.concat([Buffer.alloc(1_500_000, 'a'), enc('\t'), Buffer.alloc(1_500_000, 'a')]), 4),
      'non-printable bytes',
    ],
    [
      'cliBytesText(3 MB, a tab at the end: left out)',
      () => cliBytesText(Buffer.concat([Buffer.alloc(3_000_000, 'a'), enc('\t')]), 4),
      'aaa…',
    ],
    ['goCliIsPrintable(3 MB of spaces)', () => goCliIsPrintable(Buffer.alloc(3_000_000, ' ')), false],
    [
      'goCliIsPrintable(3 MB, a CJK character across a 1 MiB boundary)',
      () => goCliIsPrintable(Buffer.concat([Buffer.alloc((1 << 20) - 1, 'a'), enc('東'.repeat(1_000_000))])),
      true,
    ],
    ['dashPayloadLine(null)', () => dashPayloadLine(null), '<nil>'],
    ['dashPayloadLine(empty)', () => dashPayloadLine(Buffer.alloc(0)), '<nil>'],
    ['dashPayloadLine(binary)', () => dashPayloadLine(Buffer.from([0xff, 0x00, 0x01])), '<non-printable>'],
    ['dashPayloadLine(multi-line JSON)', () => dashPayloadLine(Buffer.from('{"a":1,\n"b":2}')), '{"a":1,  "b":2}'],
    ['dashPayloadLine(CJK)', () => dashPayloadLine(Buffer.from('孙悟空')), '孙悟空'],
    [
      'dashPayloadLines(JSON object)',
      () => dashPayloadLines(Buffer.from('{"to":"x","n":[1,2]}')),
      ['{', '  "to": "x",', '  "n": [', '    1,', '    2', '  ]', '}'],
    ],
    ['dashPayloadLines(text)', () => dashPayloadLines(Buffer.from('plain\ntext')), ['plain', 'text']],
    ['dashPayloadLines(JSON scalar)', () => dashPayloadLines(Buffer.from('42')), ['42']],
    [
      'dashPayloadLines(binary)',
      () => dashPayloadLines(Buffer.from([0xde, 0xad, 0xbe, 0xef])),
      ['<non-printable, 4 bytes> de ad be ef'],
    ],
    ['dashPayloadLines(null)', () => dashPayloadLines(null), ['<nil>']],
    [
      'dashPayloadLine(3 MB of text): its first KiB',
      () => dashPayloadLine(Buffer.alloc(3_000_000, 'a')),
      `${'a'.repeat(1024)}…`,
    ],
    [
      'dashPayloadLine(binary after a printable first KiB)',
      () => dashPayloadLine(Buffer.concat([Buffer.alloc(2000, 'a'), Buffer.from([0xff])])),
      `${'a'.repeat(1024)}…`,
    ],
    [
      'dashPayloadLines(JSON over 16 KiB): its first 16 KiB as text',
      () => dashPayloadLines(Buffer.from(`["${'é'.repeat(10_000)}"]`)),
      [`["${'é'.repeat(8191)}`, '… the first 16.4 kB of 20.0 kB (asynq task inspect --payload shows it all)'],
    ],
  ]);
});

describe('rates', () => {
  table([
    ['goCliErrorRate(0, 0)', () => goCliErrorRate(0, 0), 'N/A'],
    ['goCliErrorRate(8, 1)', () => goCliErrorRate(8, 1), '12.50%'],
    ['dashErrorRate(0, 0)', () => dashErrorRate(0, 0), '-'],
    ['dashErrorRate(200, 3)', () => dashErrorRate(200, 3), '1.50%'],
  ]);
});
