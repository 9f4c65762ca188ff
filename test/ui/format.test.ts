import stringWidth from 'string-width';
import {describe, expect, it} from 'vitest';
import {
  barWidths,
  compactNumber,
  fit,
  fitSegments,
  layoutColumns,
  scrollOffset,
  segmentsWidth,
  sparkline,
  stackedBar,
  textWidth,
  truncate,
  wrapText,
  type Column,
} from '../../src/ui/format.js';

describe('display widths', () => {
  it('counts CJK characters as two columns and combining marks as none', () => {
    expect(textWidth('abc')).toBe(3);
    expect(textWidth('孙悟空')).toBe(6);
    expect(textWidth('e\u0301')).toBe(1);
  });

  it('agrees with the CLI tables (string-width) on CJK, emoji sequences, flags and halfwidth forms', () => {
    for (const s of [
      '发送:欢迎',
      '邮件',
      '⚡ fast',
      '👩‍💻 dev',
      '🇨🇳',
      '✔ ok',
      'ｱｲｳ',
      'café',
      '\u001b[31mred\u001b[39m',
      'tab\there',
    ]) {
      expect(textWidth(s), s).toBe(stringWidth(s));
    }
  });

  it('never cuts an emoji sequence in two when truncating or wrapping', () => {
    expect(truncate('👩‍💻👩‍💻👩‍💻', 5)).toBe('👩‍💻👩‍💻…');
    expect(wrapText('👩‍💻👩‍💻x', 4)).toEqual(['👩‍💻👩‍💻', 'x']);
    expect(fit('⚡ab', 4)).toBe('⚡ab');
  });

  it('truncates with an ellipsis within the width, never splitting a wide character over it', () => {
    expect(truncate('default', 10)).toBe('default');
    expect(truncate('notifications', 8)).toBe('notific…');
    expect(truncate('孙悟空', 4)).toBe('孙…');
    expect(textWidth(truncate('孙悟空abc', 5))).toBeLessThanOrEqual(5);
    expect(truncate('abc', 0)).toBe('');
  });

  it('fits text to an exact width, left or right aligned', () => {
    expect(fit('ab', 4)).toBe('ab  ');
    expect(fit('ab', 4, 'right')).toBe('  ab');
    expect(fit('abcdef', 4)).toBe('abc…');
  });

  it('fits styled segments to an exact width, cutting the one that overflows', () => {
    const segs = fitSegments([{text: 'abc', color: 'red'}, {text: 'defgh'}], 6);
    expect(segs).toEqual([{text: 'abc', color: 'red'}, {text: 'de…'}]);
    expect(segmentsWidth(fitSegments([{text: 'ab'}], 5))).toBe(5);
  });

  it('wraps long text hard at the width and keeps line breaks', () => {
    expect(wrapText('abcdefg\nhi', 3)).toEqual(['abc', 'def', 'g', 'hi']);
  });
});

describe('numbers', () => {
  it('keeps numbers within five columns', () => {
    expect([0, 9999, 12_345, 123_456, 1_234_567, 98_765_432_100].map(compactNumber)).toEqual([
      '0',
      '9999',
      '12.3k',
      '123k',
      '1.2M',
      '98.8G',
    ]);
  });
});

describe('layoutColumns', () => {
  const col = (header: string, width: number, extra: Partial<Column<unknown>> = {}): Column<unknown> => ({
    header,
    width,
    cell: () => '',
    ...extra,
  });

  it('drops the lowest-priority columns until the rest fit, never those without a priority', () => {
    const cols = [col('a', 10), col('b', 10, {priority: 5}), col('c', 10, {priority: 1}), col('d', 10, {priority: 9})];
    expect(layoutColumns(cols, 32).map((p) => p.column.header)).toEqual(['a', 'b', 'd']);
    expect(layoutColumns(cols, 21).map((p) => p.column.header)).toEqual(['a', 'd']);
    expect(layoutColumns(cols, 5).map((p) => p.column.header)).toEqual(['a']);
  });

  it('shares the spare width among flexible columns by their flex, up to their max', () => {
    const placed = layoutColumns([col('a', 4, {flex: 1}), col('b', 4), col('c', 4, {flex: 3})], 4 + 4 + 4 + 2 + 8);
    expect(placed.map((p) => p.width)).toEqual([6, 4, 10]);
    const capped = layoutColumns([col('a', 4, {flex: 1, max: 5}), col('c', 4, {flex: 1})], 4 + 4 + 1 + 10);
    expect(capped.map((p) => p.width)).toEqual([5, 13]);
  });

  it('uses the whole width when flexible columns can take it', () => {
    const placed = layoutColumns([col('a', 3, {flex: 1}), col('b', 3, {flex: 1}), col('c', 3, {flex: 1})], 20);
    expect(placed.reduce((s, p) => s + p.width, 0) + 2).toBe(20);
  });
});

describe('scrolling', () => {
  it('keeps the cursor in view, centred when the list allows', () => {
    expect(scrollOffset(0, 5, 10)).toBe(0);
    expect(scrollOffset(3, 100, 10)).toBe(0);
    expect(scrollOffset(50, 100, 10)).toBe(45);
    expect(scrollOffset(99, 100, 10)).toBe(90);
    expect(scrollOffset(500, 100, 10)).toBe(90);
  });
});

describe('charts', () => {
  it('draws a sparkline scaled to the maximum, zero as a blank', () => {
    expect(sparkline([0, 1, 4, 8])).toBe(' ▁▄█');
    expect(sparkline([1, 1], 8)).toBe('▁▁');
    expect(sparkline([])).toBe('');
  });

  it('splits a bar into exact widths, scaled to the largest total, each non-zero part visible', () => {
    expect(barWidths([5, 5], 10, 10)).toEqual([5, 5]);
    expect(barWidths([5, 0], 10, 10)).toEqual([5, 0]);
    expect(barWidths([1000, 1], 1001, 10)).toEqual([9, 1]);
    const w = barWidths([3, 3, 3], 9, 10);
    expect(w.reduce((s, v) => s + v, 0)).toBe(10);
    expect(barWidths([0, 0], 10, 10)).toEqual([0, 0]);
    expect(barWidths([1], 1_000_000, 10)).toEqual([1]);
  });

  it('draws a stacked bar in colour, or with one glyph per part without colour', () => {
    const parts = [
      {value: 2, color: 'blue', glyph: '#'},
      {value: 2, color: 'red', glyph: '!'},
    ];
    expect(stackedBar(parts, 4, 6, false)).toEqual([{text: '###'}, {text: '!!!'}]);
    expect(stackedBar(parts, 4, 6, true)).toEqual([
      {text: '███', color: 'blue'},
      {text: '███', color: 'red'},
    ]);
  });
});
