/**
 * The one Ink primitive the dashboard draws with: a block of exactly `height` lines, each fitted
 * to `width` columns (never wrapping), so every frame has the same shape and Ink can rewrite it in
 * place without flicker. Colour props are dropped when `color` is false (NO_COLOR, --no-color).
 */
import {Box, Text} from 'ink';
import {fitSegments, type Cell, type Segment} from '../format.js';

export type LineSpec = Cell;

export interface LinesProps {
  lines: readonly LineSpec[];
  width: number;
  /** Pads with blank lines or cuts to this many lines (default: as many as given). */
  height?: number;
  color: boolean;
}

function toSegments(line: LineSpec): Segment[] {
  return typeof line === 'string' ? [{text: line}] : line;
}

/** Lines padded with blanks or cut to `height`. */
function sizeLines(lines: readonly LineSpec[], height: number): LineSpec[] {
  const out = lines.slice(0, Math.max(0, height));
  while (out.length < height) out.push('');
  return out;
}

/** The segment's style as drawn (colour props dropped when colour is off). */
function drawn(s: Segment, color: boolean): Segment {
  if (!color) return {text: s.text};
  const out: Segment = {text: s.text};
  if (s.color !== undefined) out.color = s.color;
  if (s.bold) out.bold = true;
  if (s.dim) out.dim = true;
  if (s.inverse) out.inverse = true;
  if (s.underline) out.underline = true;
  return out;
}

function sameStyle(a: Segment, b: Segment): boolean {
  return (
    a.color === b.color &&
    a.bold === b.bold &&
    a.dim === b.dim &&
    a.inverse === b.inverse &&
    a.underline === b.underline
  );
}

/** Joins neighbours drawn alike, so a line is as few Ink nodes as possible. */
function mergeSegments(segs: readonly Segment[], color: boolean): Segment[] {
  const out: Segment[] = [];
  for (const seg of segs) {
    if (seg.text === '') continue;
    const d = drawn(seg, color);
    const last = out[out.length - 1];
    if (last !== undefined && sameStyle(last, d)) out[out.length - 1] = {...last, text: last.text + d.text};
    else out.push(d);
  }
  return out;
}

function Line({line, width, color}: {line: LineSpec; width: number; color: boolean}) {
  const segs = mergeSegments(fitSegments(toSegments(line), width), color);
  const trimmed = trimTrailingBlank(segs);
  if (trimmed.length === 1 && Object.keys(trimmed[0]!).length === 1)
    return <Text wrap="truncate-end">{trimmed[0]!.text}</Text>;
  if (trimmed.length === 0) return <Text> </Text>;
  return (
    <Text wrap="truncate-end">
      {trimmed.map((s, i) => (
        <Text
          key={i}
          color={s.color}
          bold={s.bold === true}
          dimColor={s.dim === true}
          inverse={s.inverse === true}
          underline={s.underline === true}
        >
          {s.text}
        </Text>
      ))}
    </Text>
  );
}

/** Drops unstyled trailing padding (the terminal line is cleared anyway). */
function trimTrailingBlank(segs: Segment[]): Segment[] {
  const out = [...segs];
  while (out.length > 0) {
    const last = out[out.length - 1]!;
    const styled = last.inverse === true || last.underline === true;
    if (styled) break;
    const t = last.text.replace(/ +$/, '');
    if (t === '') {
      out.pop();
      continue;
    }
    out[out.length - 1] = {...last, text: t};
    break;
  }
  return out;
}

export function Lines({lines, width, height, color}: LinesProps) {
  const shown = height === undefined ? lines : sizeLines(lines, height);
  return (
    <Box flexDirection="column" width={width} flexShrink={0}>
      {shown.map((line, i) => (
        <Line key={i} line={line} width={width} color={color} />
      ))}
    </Box>
  );
}
