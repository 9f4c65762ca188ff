/** The `?` help: every key of the dashboard, grouped by screen. */
import {Lines} from '../../components/Lines.js';
import type {Segment} from '../../format.js';

const HELP: Array<[string, Array<[string, string]>]> = [
  [
    'Everywhere',
    [
      ['↑ ↓  k j', 'move the cursor (wraps); PgUp/PgDn, Home/End, g/G jump'],
      ['Tab  Shift+Tab', 'next / previous view: Queues, Servers, Cron'],
      ['r   ?', 'refresh now;  this help (Esc or ? closes it)'],
      ['Esc', 'back: closes the details, then the queue'],
      ['q  Ctrl+C', 'quit'],
    ],
  ],
  [
    'Queues',
    [
      ['Enter', 'open the queue;  n p: next / previous screenful'],
      ['/', 'filter by name (Enter applies, Esc cancels; Esc again clears)'],
      ['s  S', 'sort by the next column / reverse the order'],
      ['P', 'pause or resume the queue (asks first)'],
    ],
  ],
  [
    'A queue',
    [
      ['← →  h l', 'previous / next task state;  n p: next / previous page'],
      ['Enter', 'task details; on the aggregating tab: pick a group'],
      ['R  A  D', 'run / archive / delete (y: this task, a: all of the tab)'],
      ['C', 'cancel an active task'],
      ['P', 'pause or resume the queue'],
    ],
  ],
];

function helpLines(color: boolean): Array<string | Segment[]> {
  const lines: Array<string | Segment[]> = [];
  for (const [title, keys] of HELP) {
    lines.push([{text: title, ...(color ? {bold: true, underline: true} : {})}]);
    for (const [k, what] of keys)
      lines.push([{text: `  ${k.padEnd(16)}`, ...(color ? {bold: true} : {})}, {text: what}]);
  }
  lines.push('', 'Changes appear at the next refresh; errors show in the status line.');
  return lines;
}

export function HelpView({width, height, color}: {width: number; height: number; color: boolean}) {
  return <Lines lines={helpLines(color)} width={width} height={height} color={color} />;
}
