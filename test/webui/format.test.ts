// The web page's pure modules: formats, the payload view and the hash routes.
import {describe, expect, it} from 'vitest';
import {
  byteCount,
  count,
  duration,
  hexDump,
  payloadLine,
  RateTracker,
  relative,
  showBytes,
  utc,
} from '../../src/webui/format.js';
import {href, parseHash} from '../../src/webui/state.js';

describe('web page formats', () => {
  it('sizes, durations and instants', () => {
    expect([0, 999, 1000, 1500, 2_000_000, 3.2e9].map(byteCount)).toEqual([
      '0 B',
      '999 B',
      '1.0 kB',
      '1.5 kB',
      '2.0 MB',
      '3.2 GB',
    ]);
    expect([0, 850, 45_000, 90_000, 7_500_000, 3 * 86_400_000 + 4 * 3_600_000].map(duration)).toEqual([
      '0s',
      '850ms',
      '45s',
      '1m30s',
      '2h5m',
      '3d4h',
    ]);
    const now = Date.parse('2026-01-02T03:04:05Z');
    expect(relative('2026-01-02T03:04:10Z', now)).toBe('in 5s');
    expect(relative('2026-01-02T03:00:00Z', now)).toBe('4m5s ago');
    expect(relative('2026-01-02T03:04:05.400Z', now)).toBe('now');
    expect(relative(null, now)).toBe('-');
    expect(utc('2026-01-02T03:04:05.678Z')).toBe('2026-01-02 03:04:05 UTC');
    expect(count(1234567)).toBe('1\u202f234\u202f567');
  });

  it('shows JSON pretty, printable text as text, anything else as hex', () => {
    expect(showBytes('{"a":[1,"<b>"]}', 'utf8')).toEqual({
      kind: 'json',
      text: '{\n  "a": [\n    1,\n    "<b>"\n  ]\n}',
      bytes: 15,
      cut: false,
    });
    expect(showBytes('"><img src=x onerror=alert(1)>\nline 2', 'utf8').kind).toBe('text');
    expect(showBytes('42', 'utf8').kind).toBe('text'); // a JSON number is shown as the text it is
    const ctl = showBytes('a\u0007b\u001b[31m', 'utf8');
    expect(ctl.kind).toBe('hex');
    expect(ctl.text).toBe(`00000000  ${'61 07 62 1b 5b 33 31 6d'.padEnd(47)}  a.b.[31m`);
    const bin = showBytes(btoa(String.fromCharCode(0xff, 0x00, 0xfe)), 'base64');
    expect(bin).toEqual({kind: 'hex', text: `00000000  ${'ff 00 fe'.padEnd(47)}  ...`, bytes: 3, cut: false});
    expect(showBytes(null, null).kind).toBe('empty');
    expect(showBytes(btoa('x'.repeat(5000)), 'base64').cut).toBe(true);
    expect(hexDump(new Uint8Array(40), 32).split('\n')).toHaveLength(2);
  });

  it('a payload on one line', () => {
    expect(payloadLine('{"a":\n  1}', 'utf8')).toBe('{"a": 1}');
    expect(payloadLine('x'.repeat(100), 'utf8', 10)).toBe(`${'x'.repeat(9)}…`);
    expect(payloadLine(btoa('\u00ff\u0000'), 'base64')).toBe('<binary, 2 B>');
    expect(payloadLine('bell\u0007', 'utf8')).toBe('<binary, 5 B>');
    expect(payloadLine('', 'utf8')).toBe('');
  });

  it('live rates from the all-time counters, as the terminal dash', () => {
    const t = new RateTracker();
    expect(t.observe('q', '2026-01-01T00:00:00.000Z', 100, 10)).toBeNull();
    expect(t.observe('q', '2026-01-01T00:00:02.000Z', 120, 11)).toEqual({processed: 10, failed: 0.5});
    // Too close to the last read: the last rate, the base kept.
    expect(t.observe('q', '2026-01-01T00:00:02.100Z', 500, 11)).toEqual({processed: 10, failed: 0.5});
    // A counter that went down counts as 0.
    expect(t.observe('q', '2026-01-01T00:00:04.000Z', 5, 11)).toEqual({processed: 0, failed: 0});
    t.retain(new Set());
    expect(t.observe('q', '2026-01-01T00:00:06.000Z', 5, 11)).toBeNull();
  });

  it('hash routes keep any queue name', () => {
    const name = 'a/b?c#d <script>';
    const h = href(['queues', name, 'tasks', 'id 1'], {state: 'retry', page: 2, group: ''});
    expect(h).toBe('#/queues/a%2Fb%3Fc%23d%20%3Cscript%3E/tasks/id%201?state=retry&page=2');
    const r = parseHash(h);
    expect(r.parts).toEqual(['queues', name, 'tasks', 'id 1']);
    expect(r.query.get('state')).toBe('retry');
    expect(parseHash('').parts).toEqual([]);
    expect(parseHash('#/queues/%E0%A4%A').parts).toEqual(['queues', '%E0%A4%A']);
  });
});
