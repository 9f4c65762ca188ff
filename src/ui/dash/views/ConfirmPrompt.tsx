/** The y/n prompt of an action, shown in place of the status line. */
import {Lines} from '../../components/Lines.js';
import type {Segment} from '../../format.js';
import {confirmText} from '../actions.js';
import type {ConfirmState} from '../state.js';

export function confirmSegments(confirm: ConfirmState, color: boolean): Segment[] {
  const {question, choices} = confirmText(confirm);
  const out: Segment[] = [{text: question, ...(color ? {color: 'yellow', bold: true} : {})}];
  for (const c of choices)
    out.push({text: '  '}, {text: c.key, ...(color ? {bold: true, inverse: true} : {})}, {text: `: ${c.label}`});
  return out;
}

export function ConfirmPrompt({confirm, width, color}: {confirm: ConfirmState; width: number; color: boolean}) {
  return <Lines lines={[confirmSegments(confirm, color)]} width={width} color={color} />;
}
