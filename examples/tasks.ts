// Task types, task constructors and handlers, shared by the client and the servers.
import {Task, SkipRetry, type TaskContext} from 'asynq-ts';

export const TypeEmailDelivery = 'email:deliver';
export const TypeImageResize = 'image:resize';

interface EmailDeliveryPayload {
  userId: number;
  templateId: string;
}
interface ImageResizePayload {
  sourceUrl: string;
}

export function newEmailDeliveryTask(userId: number, templateId: string): Task {
  return new Task(TypeEmailDelivery, {userId, templateId} satisfies EmailDeliveryPayload);
}

export function newImageResizeTask(sourceUrl: string): Task {
  // Options on the task apply every time it is enqueued.
  return new Task(TypeImageResize, {sourceUrl} satisfies ImageResizePayload, {maxRetry: 5, timeout: '20m'});
}

export async function handleEmailDeliveryTask(task: Task, ctx: TaskContext): Promise<void> {
  const p = task.json<EmailDeliveryPayload>();
  if (!p.userId) throw new SkipRetry(`bad payload: ${task.payload.toString()}`); // archived, never retried
  console.log(`Sending Email to User: user_id=${p.userId}, template_id=${p.templateId} (task ${ctx.taskId})`);
  // Email delivery code ...; pass ctx.signal to anything that can be aborted.
}

// A handler can also be an object with processTask (Go's asynq.Handler interface).
export class ImageProcessor {
  async processTask(task: Task, ctx: TaskContext): Promise<void> {
    const p = task.json<ImageResizePayload>();
    console.log(`Resizing image: src=${p.sourceUrl} (task ${ctx.taskId})`);
    await task.resultWriter?.write(`resized ${p.sourceUrl}`);
  }
}
