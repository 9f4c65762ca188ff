import {describe, expect, it} from 'vitest';
import {ValidationError} from '../../src/lib/errors.js';
import {
  formatGoUnixDate, formatParsedOption, GO_DISPLAYED_OPTIONS, goJsonStrings, goQuote, goUnquote, mergeOptionLayers,
  optionStrings, parsedOptionsToTaskOptions, parseGoDuration, parseGoDurationNs, parseGoUnixDate, parseOptionString,
} from '../../src/lib/option-strings.js';

describe('optionStrings (Go Option.String())', () => {
  it('writes the seed example options exactly as Go does, in the given order', () => {
    expect(optionStrings({queue: 'low', maxRetry: 3, timeout: '1m', unique: '1h'})).toEqual([
      'Queue("low")', 'MaxRetry(3)', 'Timeout(1m0s)', 'Unique(1h0m0s)',
    ]);
    expect(optionStrings({unique: 3_600_000, queue: 'low'})).toEqual(['Unique(1h0m0s)', 'Queue("low")']);
  });

  it('writes every option kind', () => {
    const deadline = new Date('2026-01-01T09:05:00Z');
    expect(optionStrings({
      maxRetry: -2,
      queue: 'critical',
      timeout: '30m',
      deadline,
      unique: '90s',
      processAt: deadline,
      processIn: '10s',
      taskId: 'abc',
      retention: '24h',
      group: 'g',
      headers: {k: 'v', 'a<b': 'x&y'},
    })).toEqual([
      'MaxRetry(0)', // Go clamps a negative count at construction
      'Queue("critical")',
      'Timeout(30m0s)',
      'Deadline(Thu Jan  1 09:05:00 UTC 2026)',
      'Unique(1m30s)',
      'ProcessAt(Thu Jan  1 09:05:00 UTC 2026)',
      'ProcessIn(10s)',
      'TaskID("abc")',
      'Retention(24h0m0s)',
      'Group("g")',
      'Header(["k","v"])',
      'Header(["a\\u003cb","x\\u0026y"])',
    ]);
  });

  it('writes times in the given zone, skips undefined fields and refuses unknown ones', () => {
    const t = new Date('2026-01-01T00:05:00Z');
    expect(optionStrings({deadline: t}, 'Asia/Tokyo')).toEqual(['Deadline(Thu Jan  1 09:05:00 GMT+9 2026)']);
    expect(optionStrings({queue: undefined, maxRetry: 1})).toEqual(['MaxRetry(1)']);
    expect(optionStrings(undefined)).toEqual([]);
    expect(() => optionStrings({bogus: 1} as never)).toThrow(/unknown task option "bogus"/);
  });

  it('quotes names with Go %q rules', () => {
    expect(optionStrings({queue: 'a"b\\c', group: '孙悟空\n'})).toEqual(['Queue("a\\"b\\\\c")', 'Group("孙悟空\\n")']);
  });
});

describe('mergeOptionLayers', () => {
  it('lets later layers win, merges headers, keeps the first key order and drops the replaced processAt/processIn', () => {
    const at = new Date('2026-01-01T00:00:00Z');
    const merged = mergeOptionLayers({queue: 'a', processAt: at, headers: {x: '1', y: '1'}}, null, {maxRetry: 2, queue: 'b', processIn: '5s', headers: {y: '2'}});
    expect(merged).toEqual({queue: 'b', headers: {x: '1', y: '2'}, maxRetry: 2, processIn: '5s'});
    expect(Object.keys(merged)).toEqual(['queue', 'headers', 'maxRetry', 'processIn']);
  });
});

describe('goQuote / goUnquote (strconv)', () => {
  it.each([
    ['plain', '"plain"'],
    ['a"b\\c', '"a\\"b\\\\c"'],
    ['\x07\b\f\n\r\t\v', '"\\a\\b\\f\\n\\r\\t\\v"'],
    ['\x00\x1f\x7f', '"\\x00\\x1f\\x7f"'],
    ['孙悟空 é', '"孙悟空 é"'],
    ['\u00a0\u00ad\u2028', '"\\u00a0\\u00ad\\u2028"'], // non-printable per Go: no-break space, soft hyphen, line separator
    ['\u{1F600}', '"\u{1F600}"'], // emoji are symbols: printable
    ['\u{E000}', '"\\ue000"'], // private use
    ['\u{10FFFF}', '"\\U0010ffff"'],
    ['x\uD800y', '"x\uFFFDy"'], // lone surrogate: as Go sees it after UTF-8 encoding
  ])('quotes %j as %s', (input, want) => {
    expect(goQuote(input)).toBe(want);
    if (!input.includes('\uD800')) expect(goUnquote(want)).toBe(input);
  });

  it('unquotes octal, \\x byte and \\U escapes, and raw strings', () => {
    expect(goUnquote('"\\101\\x42\\u0043\\U00000044"')).toBe('ABCD');
    expect(goUnquote('"\\xe5\\xad\\x99"')).toBe('孙'); // bytes decoded as UTF-8
    expect(goUnquote('`raw \\n`')).toBe('raw \\n');
  });

  it.each(['', '"', 'abc', '"a"b"', '"\\q"', '"\\x4"', '"\\400"', '"\\ud800"', '"a\nb"', "'a'"])('refuses %j', (s) => {
    expect(() => goUnquote(s)).toThrow(ValidationError);
  });
});

describe('goJsonStrings (encoding/json)', () => {
  it('escapes <, >, &, U+2028 and U+2029 like Go, and otherwise matches JSON.stringify', () => {
    expect(goJsonStrings(['<a>&', '\u2028\u2029', 'é"\\\n\u0001'])).toBe('["\\u003ca\\u003e\\u0026","\\u2028\\u2029","é\\"\\\\\\n\\u0001"]');
  });
});

describe('parseGoDuration (time.ParseDuration)', () => {
  it.each([
    ['0', 0],
    ['1h0m0s', 3_600_000],
    ['36h1m30s', 129_690_000],
    ['1.5s', 1500],
    ['500ms', 500],
    ['1µs', 0.001],
    ['1μs', 0.001],
    ['2us', 0.002],
    ['3ns', 0.000003],
    ['-5s', -5000],
    ['+5s', 5000],
    ['1.s', 1000],
    ['.5s', 500],
    ['1h30m', 5_400_000],
  ])('reads %j as %d ms', (s, ms) => {
    expect(parseGoDuration(s)).toBeCloseTo(ms, 9);
  });

  it('keeps nanosecond precision', () => {
    expect(parseGoDurationNs('1.000000001s')).toBe(1_000_000_001n);
    expect(parseGoDurationNs('2562047h47m16.854775807s')).toBe((1n << 63n) - 1n);
  });

  it.each(['', '1', 'abc', '1x', '.s', 's', '1h 30m', '--1s', '2562047h47m16.854775808s'])('refuses %j with Go\'s message', (s) => {
    expect(() => parseGoDuration(s)).toThrow(ValidationError);
    expect(() => parseGoDuration(s)).toThrow(/^time: /);
  });
});

describe('parseGoUnixDate / formatGoUnixDate (time.UnixDate)', () => {
  it('reads the padded and the unpadded day, in UTC', () => {
    const want = new Date('2026-01-01T09:05:00Z');
    expect(parseGoUnixDate('Thu Jan  1 09:05:00 UTC 2026')).toEqual({date: want, zone: 'UTC'});
    expect(parseGoUnixDate('Thu Jan 1 09:05:00 UTC 2026').date).toEqual(want);
    expect(parseGoUnixDate('Sat Dec 12 23:59:59 UTC 2026').date).toEqual(new Date('2026-12-12T23:59:59Z'));
  });

  it('reads GMT offsets, and other abbreviations with offset 0 as Go does', () => {
    expect(parseGoUnixDate('Thu Jan  1 09:05:00 GMT+9 2026').date).toEqual(new Date('2026-01-01T00:05:00Z'));
    expect(parseGoUnixDate('Thu Jan  1 09:05:00 GMT+5:30 2026').date).toEqual(new Date('2026-01-01T03:35:00Z'));
    expect(parseGoUnixDate('Thu Jan  1 09:05:00 JST 2026')).toEqual({date: new Date('2026-01-01T09:05:00Z'), zone: 'JST'});
  });

  it('formats back in the parsed zone, recomputing the weekday', () => {
    expect(formatGoUnixDate(parseGoUnixDate('Mon Jan  1 09:05:00 GMT+9 2026'))).toBe('Thu Jan  1 09:05:00 GMT+9 2026');
    expect(formatGoUnixDate({date: new Date('2026-03-15T10:00:00Z'), zone: 'UTC'})).toBe('Sun Mar 15 10:00:00 UTC 2026');
  });

  it.each(['', 'Thu Jan  1 09:05:00 2026', 'Thu Jan 32 09:05:00 UTC 2026', 'Thu Feb 30 09:05:00 UTC 2026',
    'Thu Jan  1 24:00:00 UTC 2026', 'Xyz Jan  1 09:05:00 UTC 2026', '2026-01-01T09:05:00Z'])('refuses %j', (s) => {
    expect(() => parseGoUnixDate(s)).toThrow(ValidationError);
  });
});

describe('parseOptionString (Go Inspector parseOption)', () => {
  it('parses back every string optionStrings writes, and formats it to the same text', () => {
    const strings = optionStrings({
      maxRetry: 3, queue: 'a)b "c"', timeout: '1m', deadline: new Date('2026-01-01T09:05:00Z'), unique: '1h',
      processAt: new Date('2026-06-30T23:00:00Z'), processIn: 1500, taskId: 'id-1', retention: '24h', group: 'g',
      headers: {'<k>': 'v)'},
    });
    for (const s of strings) expect(formatParsedOption(parseOptionString(s))).toBe(s);
  });

  it('returns typed values', () => {
    expect(parseOptionString('MaxRetry(-4)')).toEqual({type: 'MaxRetry', value: 0});
    expect(parseOptionString('Queue("low")')).toEqual({type: 'Queue', value: 'low'});
    expect(parseOptionString('Timeout(1m30s)')).toEqual({type: 'Timeout', ms: 90_000});
    expect(parseOptionString('Deadline(Thu Jan  1 09:05:00 UTC 2026)')).toEqual({
      type: 'Deadline', time: {date: new Date('2026-01-01T09:05:00Z'), zone: 'UTC'},
    });
    expect(parseOptionString('Header(["k","v"])')).toEqual({type: 'Header', key: 'k', value: 'v'});
  });

  it('normalises what Go would normalise', () => {
    expect(formatParsedOption(parseOptionString('Timeout(90s)'))).toBe('Timeout(1m30s)');
    expect(formatParsedOption(parseOptionString('Queue(`raw`)'))).toBe('Queue("raw")');
  });

  it.each([
    'Queue', 'Queue(low)', 'MaxRetry(x)', 'MaxRetry(1.5)', 'Timeout(10)', 'Deadline(tomorrow)', 'Header(["k"])',
    'Header({"k":"v"})', 'Header(nope)', 'Bogus(1)', 'queue("low")',
  ])('refuses %j', (s) => {
    expect(() => parseOptionString(s)).toThrow(ValidationError);
  });

  it('lists the options Go tools display (TaskID and Group are dropped by Go)', () => {
    expect(GO_DISPLAYED_OPTIONS.has('Queue')).toBe(true);
    expect(GO_DISPLAYED_OPTIONS.has('TaskID')).toBe(false);
    expect(GO_DISPLAYED_OPTIONS.has('Group')).toBe(false);
  });

  it('turns parsed options into TaskOptions (later ones win, headers merge)', () => {
    const parsed = ['Queue("a")', 'MaxRetry(3)', 'Queue("b")', 'Header(["x","1"])', 'Header(["y","2"])', 'ProcessIn(10s)',
      'Unique(1h0m0s)', 'Deadline(Thu Jan  1 09:05:00 UTC 2026)'].map(parseOptionString);
    expect(parsedOptionsToTaskOptions(parsed)).toEqual({
      queue: 'b', maxRetry: 3, headers: {x: '1', y: '2'}, processIn: 10_000, unique: 3_600_000,
      deadline: new Date('2026-01-01T09:05:00Z'),
    });
  });
});
