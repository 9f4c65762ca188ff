/** The top line: the app name, the three sections (the current one in brackets) and the Redis target. */
import {Lines} from '../../components/Lines.js';
import {fit, segmentsWidth, truncate, type Segment} from '../../format.js';
import {SECTIONS, type Section} from '../state.js';

const LABEL: Record<Section, string> = {queues: 'Queues', servers: 'Servers', cron: 'Cron'};

function titleBarLine(
  section: Section,
  target: string,
  queue: string | null,
  width: number,
  color: boolean,
): Segment[] {
  const out: Segment[] = [{text: 'asynq dash ', ...(color ? {bold: true} : {})}];
  for (const s of SECTIONS) {
    const label = s === 'queues' && queue !== null ? `Queues › ${queue}` : LABEL[s];
    out.push(
      s === section ? {text: ` [${label}]`, ...(color ? {bold: true, color: 'cyan'} : {})} : {text: `  ${label} `},
    );
  }
  const room = width - segmentsWidth(out) - 2;
  if (room > 4)
    out.push({text: fit('', 2)}, {text: fit(truncate(target, room), room, 'right'), ...(color ? {dim: true} : {})});
  return out;
}

export function TitleBar({
  section,
  target,
  queue,
  width,
  color,
}: {
  section: Section;
  target: string;
  queue: string | null;
  width: number;
  color: boolean;
}) {
  return <Lines lines={[titleBarLine(section, target, queue, width, color)]} width={width} height={1} color={color} />;
}
