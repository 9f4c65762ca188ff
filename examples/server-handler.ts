// A server with one plain handler function for every task type.
import {Server, type Task, type TaskContext} from 'asynq-ts';
import {handleEmailDeliveryTask, ImageProcessor, TypeEmailDelivery, TypeImageResize} from './tasks.js';

const images = new ImageProcessor();

async function handler(task: Task, ctx: TaskContext): Promise<void> {
  switch (task.type) {
    case TypeEmailDelivery:
      return handleEmailDeliveryTask(task, ctx);
    case TypeImageResize:
      return images.processTask(task, ctx);
    default:
      throw new Error(`unexpected task type: ${task.type}`);
  }
}

const srv = new Server(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  concurrency: 10,
  queues: {critical: 6, default: 3, low: 1},
});
await srv.run(handler); // until SIGINT/SIGTERM, then a graceful shutdown
