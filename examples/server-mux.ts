// A server that routes task types to handlers with a ServeMux (longest prefix wins, as in Go).
import {Server, ServeMux} from 'asynq-ts';
import {handleEmailDeliveryTask, ImageProcessor, TypeEmailDelivery, TypeImageResize} from './tasks.js';

const mux = new ServeMux();
mux.handleFunc(TypeEmailDelivery, handleEmailDeliveryTask);
mux.handle(TypeImageResize, new ImageProcessor());
mux.use((next) => async (task, ctx) => {
  // middleware: the first registered is the outermost
  const start = Date.now();
  try {
    await next.processTask(task, ctx);
  } finally {
    console.log(`${task.type} took ${Date.now() - start} ms`);
  }
});

const srv = new Server(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  concurrency: 10,
  queues: {critical: 6, default: 3, low: 1},
});
await srv.run(mux);
