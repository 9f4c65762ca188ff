// Enqueues tasks: at once, later, and with options.
import {Client} from 'asynq-ts';
import {newEmailDeliveryTask, newImageResizeTask} from './tasks.js';

const client = new Client(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

// Process the task immediately.
let info = await client.enqueue(newEmailDeliveryTask(42, 'some:template:id'));
console.log(`enqueued task: id=${info.id} queue=${info.queue}`);

// Process the task 24 hours later.
info = await client.enqueue(newEmailDeliveryTask(42, 'reminder:template:id'), {processIn: '24h'});
console.log(`enqueued task: id=${info.id} queue=${info.queue} state=${info.state}`);

// Options passed at enqueue time override the task's own.
info = await client.enqueue(newImageResizeTask('https://example.com/myassets/image.jpg'), {
  queue: 'critical',
  retention: '1h',
});
console.log(`enqueued task: id=${info.id} queue=${info.queue}`);

await client.close();
