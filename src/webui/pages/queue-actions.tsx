/** Pause, resume and remove a queue (hidden when the server is read-only). */
import type {ActionJson, QueueInfoJson} from '../../web/api-types.js';
import {postJson, seg} from '../api.js';
import {useAction, useShared} from '../state.js';

export function QueueButtons(props: {
  queue: QueueInfoJson;
  afterRemove?: () => void;
  small?: boolean;
}): preact.JSX.Element | null {
  const {session} = useShared();
  const act = useAction();
  if (session.readOnly) return null;
  const q = props.queue.queue;
  const size = props.small ? 'small' : undefined;
  return (
    <span class="buttons">
      {props.queue.paused ? (
        <button
          type="button"
          class={size}
          onClick={() =>
            act({run: () => postJson<ActionJson>(`queues/${seg(q)}/resume`).then(() => `Queue "${q}" resumed.`)})
          }
        >
          Resume
        </button>
      ) : (
        <button
          type="button"
          class={size}
          onClick={() =>
            act({
              question: `Pause queue "${q}"? Its servers stop taking tasks from it.`,
              confirm: 'Pause',
              run: () => postJson<ActionJson>(`queues/${seg(q)}/pause`).then(() => `Queue "${q}" paused.`),
            })
          }
        >
          Pause
        </button>
      )}
      {props.queue.size === 0 ? (
        <button
          type="button"
          class={props.small ? 'danger small' : 'danger'}
          onClick={() =>
            act({
              question: `Remove the empty queue "${q}"?`,
              confirm: 'Remove',
              danger: true,
              run: () => postJson<ActionJson>(`queues/${seg(q)}/remove`).then(() => `Queue "${q}" removed.`),
              after: props.afterRemove,
            })
          }
        >
          Remove
        </button>
      ) : null}
    </span>
  );
}
