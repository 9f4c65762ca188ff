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

/** Go asynq CLI's isPrintable: valid UTF-8, every rune printable, not all spaces (so not empty). */
export function goCliIsPrintable(data: Uint8Array): boolean {
  let s: string;
  try {
    s = strictUtf8.decode(data);
  } catch {
    return false;
  }
  return PRINTABLE.test(s) && /[^ ]/.test(s);
}

/** Go asynq CLI's sprintBytes: the payload as text, or `non-printable bytes`. */
export function goCliSprintBytes(data: Uint8Array): string {
  return goCliIsPrintable(data) ? strictUtf8.decode(data) : 'non-printable bytes';
}

/**
 * A payload or result cell of the CLI's text views: '' when there is none (null or empty), else
 * goCliSprintBytes of the bytes without their trailing line breaks and tabs. Go's CLI says
 * `non-printable bytes` for `hello\n`; this one shows `hello`. A break anywhere else still makes
 * the bytes non-printable, as in Go.
 */
export function cliBytesText(b: Uint8Array | null): string {
  if (b === null || b.length === 0) return '';
  let end = b.length;
  while (end > 0 && (b[end - 1] === 0x0a || b[end - 1] === 0x0d || b[end - 1] === 0x09)) end--;
  return goCliSprintBytes(b.subarray(0, end));
}

/** The payload as text when it is valid UTF-8 whose characters are printable or line breaks and tabs; else null. */
function dashPrintableText(data: Uint8Array): string | null {
  let text: string;
  try {
    text = strictUtf8.decode(data);
  } catch {
    return null;
  }
  return goCliIsPrintable(Buffer.from(text.replace(/[\r\n\t]/g, ' '), 'utf8')) ? text : null;
}

/**
 * A payload on one line, as Go's dash formatByteSlice shows it: `<nil>` when empty,
 * `<non-printable>` for binary data, else the text with newlines replaced by two spaces (line
 * breaks and tabs do not make a payload non-printable here, unlike Go).
 */
export function dashPayloadLine(data: Uint8Array | null): string {
  if (data === null || data.length === 0) return '<nil>';
  const text = dashPrintableText(data);
  if (text === null) return '<non-printable>';
  return text.replace(/\r?\n/g, '  ').replace(/\t/g, ' ');
}

/**
 * A payload or result for the dash's detail pane, as lines: JSON pretty-printed with two-space
 * indentation, other printable text as is, binary data as a hex dump summary.
 */
export function dashPayloadLines(data: Uint8Array | null): string[] {
  if (data === null || data.length === 0) return ['<nil>'];
  const text = lenientUtf8.decode(data);
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === 'object') return JSON.stringify(value, null, 2).split('\n');
  } catch {
    // not JSON: shown as text below
  }
  if (dashPrintableText(data) === null) {
    const hex = Buffer.from(data.subarray(0, 32)).toString('hex').replace(/(..)(?!$)/g, '$1 ');
    return [`<non-printable, ${data.length} bytes> ${hex}${data.length > 32 ? ' …' : ''}`];
  }
  return text.replace(/\t/g, '  ').split(/\r?\n/);
}
