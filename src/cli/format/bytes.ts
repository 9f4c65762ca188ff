/**
 * Byte sizes and payload text of the CLI and the dash, in one place. Naming as in ./time.ts:
 * `go…`/`goCli…` reproduce Go asynq's output byte for byte, `dash…` are the dash's own forms.
 *
 * There are three printability rules on purpose: Go's CLI calls any control character (also a line
 * break or a tab) non-printable (goCliIsPrintable); the CLI's own views follow it except that line
 * breaks and tabs at the very end are left out and the rest shown (cliBytesText: the output of
 * `echo … |` or of a script ends in a newline); the dash shows multi-line JSON payloads as text.
 */

/** Go asynq's byteCount (CLI and dash): decimal units, `999 B`, `1.5 kB`, `2.0 MB`. */
export function goByteCount(bytes: number): string {
  const unit = 1000;
  if (bytes < unit) return `${bytes} B`;
  let div = unit;
  let exp = 0;
  for (let n = Math.floor(bytes / unit); n >= unit; n = Math.floor(n / unit)) {
    div *= unit;
    exp++;
  }
  return `${(bytes / div).toFixed(1)} ${'kMGTPE'[exp]}B`;
}

const strictUtf8 = new TextDecoder('utf-8', {fatal: true});
const lenientUtf8 = new TextDecoder('utf-8');
// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space only.
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]*$/u;

/** Bytes from this size on are checked and decoded a piece at a time (a few MB of text at most at once). */
const PIECE = 1 << 20;

/**
 * Go asynq CLI's isPrintable: valid UTF-8, every rune printable, not all spaces (so not empty).
 * Big data is checked piece by piece, never decoded into one string.
 */
export function goCliIsPrintable(data: Uint8Array): boolean {
  if (data.length <= PIECE) {
    let s: string;
    try {
      s = strictUtf8.decode(data);
    } catch {
      return false;
    }
    return PRINTABLE.test(s) && /[^ ]/.test(s);
  }
  const decoder = new TextDecoder('utf-8', {fatal: true});
  let notBlank = false;
  try {
    for (let i = 0; i <= data.length; i += PIECE) {
      const s = i < data.length ? decoder.decode(data.subarray(i, i + PIECE), {stream: true}) : decoder.decode();
      if (!PRINTABLE.test(s)) return false;
      notBlank ||= /[^ ]/.test(s);
    }
  } catch {
    return false;
  }
  return notBlank;
}

/** The first `n` characters (code points) of valid UTF-8 `data`, decoding only the bytes they can take. */
function utf8Head(data: Uint8Array, n: number): string {
  const head = new TextDecoder('utf-8').decode(data.subarray(0, n * 4), {stream: true}); // stream: no half character at the end
  return [...head.slice(0, 2 * n)].slice(0, n).join('');
}

/** Go asynq CLI's sprintBytes: the payload as text, or `non-printable bytes`. */
export function goCliSprintBytes(data: Uint8Array): string {
  return goCliIsPrintable(data) ? strictUtf8.decode(data) : 'non-printable bytes';
}

/**
 * A payload or result cell of the CLI's text views: '' when there is none (null or empty), else
 * goCliSprintBytes of the bytes without their trailing line breaks and tabs. Go's CLI says
 * `non-printable bytes` for `hello\n`; this one shows `hello`. A break anywhere else still makes
 * the bytes non-printable, as in Go. Text longer than `max` characters is cut to `max - 1` of
 * them and `…`; only the head of the bytes is decoded, so a cell of a 100 MB payload costs a few
 * hundred bytes.
 */
export function cliBytesText(b: Uint8Array | null, max = Number.POSITIVE_INFINITY): string {
  if (b === null || b.length === 0) return '';
  let end = b.length;
  while (end > 0 && (b[end - 1] === 0x0a || b[end - 1] === 0x0d || b[end - 1] === 0x09)) end--;
  const t = b.subarray(0, end);
  if (max === Number.POSITIVE_INFINITY || t.length <= max) return goCliSprintBytes(t);
  if (!goCliIsPrintable(t)) return 'non-printable bytes';
  const chars = [...utf8Head(t, max + 1)];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/**
 * How much of a payload or result the dash decodes: a table cell the first DASH_LINE_BYTES, the
 * detail pane the first DASH_PREVIEW_BYTES (`asynq task inspect --payload` gives the whole).
 */
const DASH_LINE_BYTES = 1024;
const DASH_PREVIEW_BYTES = 16 * 1024;

/** Valid UTF-8 as text; a head cut inside a character loses that character's bytes. Null when invalid. */
function utf8Text(data: Uint8Array, cut: boolean): string | null {
  try {
    return new TextDecoder('utf-8', {fatal: true}).decode(data, {stream: cut});
  } catch {
    return null;
  }
}

/**
 * The payload as text when it is valid UTF-8 whose characters are printable or line breaks and
 * tabs; else null. `cut`: the data is the head of a longer payload.
 */
function dashPrintableText(data: Uint8Array, cut = false): string | null {
  const text = utf8Text(data, cut);
  if (text === null) return null;
  return goCliIsPrintable(Buffer.from(text.replace(/[\r\n\t]/g, ' '), 'utf8')) ? text : null;
}

/**
 * A payload on one line, as Go's dash formatByteSlice shows it: `<nil>` when empty,
 * `<non-printable>` for binary data, else the text with newlines replaced by two spaces (line
 * breaks and tabs do not make a payload non-printable here, unlike Go). Only the first
 * DASH_LINE_BYTES are read (then the text ends in `…`).
 */
export function dashPayloadLine(data: Uint8Array | null): string {
  if (data === null || data.length === 0) return '<nil>';
  const cut = data.length > DASH_LINE_BYTES;
  const text = dashPrintableText(cut ? data.subarray(0, DASH_LINE_BYTES) : data, cut);
  if (text === null) return '<non-printable>';
  return `${text.replace(/\r?\n/g, '  ').replace(/\t/g, ' ')}${cut ? '…' : ''}`;
}

/**
 * A payload or result for the dash's detail pane, as lines: JSON pretty-printed with two-space
 * indentation, other printable text as is, binary data as a hex dump summary. Beyond
 * DASH_PREVIEW_BYTES only the first DASH_PREVIEW_BYTES are shown, as text, then a line saying so.
 */
export function dashPayloadLines(data: Uint8Array | null, what: 'payload' | 'result' = 'payload'): string[] {
  if (data === null || data.length === 0) return ['<nil>'];
  const cut = data.length > DASH_PREVIEW_BYTES;
  const head = cut ? data.subarray(0, DASH_PREVIEW_BYTES) : data;
  const text = dashPrintableText(head, cut);
  if (!cut) {
    try {
      const value: unknown = JSON.parse(lenientUtf8.decode(data));
      if (value !== null && typeof value === 'object') return JSON.stringify(value, null, 2).split('\n');
    } catch {
      // not JSON: shown as text below
    }
  }
  if (text === null) {
    const hex = Buffer.from(data.subarray(0, 32))
      .toString('hex')
      .replace(/(..)(?!$)/g, '$1 ');
    return [`<non-printable, ${data.length} bytes> ${hex}${data.length > 32 ? ' …' : ''}`];
  }
  const lines = text.replace(/\t/g, '  ').split(/\r?\n/);
  if (cut)
    lines.push(
      `… the first ${goByteCount(DASH_PREVIEW_BYTES)} of ${goByteCount(data.length)} (asynq task inspect --${what} shows it all)`,
    );
  return lines;
}
