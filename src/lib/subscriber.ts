/**
 * Subscriber (Go asynq subscriber.go): SUBSCRIBEs to `asynq:cancel` on its own
 * connection (retrying every `retryIntervalMs`, 5 s, until it succeeds); each message is a task
 * ID, and if that task is in flight in this process its signal is aborted (`context canceled`).
 * A cancel for an unknown ID changes nothing; cancelation is not persisted. asynq-ts only: the same
 * connection listens on the wake channels of the server's queues (asynq:wake:<qname>), so an idle
 * processor polls as soon as an asynq-ts client enqueues.
 */
import type {RDB} from './broker/rdb.js';
import {errorMessage} from './errors.js';
import type {Logger} from './logger.js';
import {NO_OUTAGE_REPORTER, type RedisErrorSink} from './redis-outage.js';
import {sleep} from './sleep.js';

/** Go's resubscribe delay. */
const DEFAULT_SUBSCRIBE_RETRY_MS = 5_000;

export interface SubscriberParams {
  logger: Logger;
  /** Takes failed Redis commands that mean Redis is unreachable (the Server's outage reporter): those are not logged here. */
  outage?: RedisErrorSink;
  rdb: Pick<RDB, 'subscribeCancelation'>;
  /** Called with each published task ID (Processor.cancel). */
  onCancel: (taskId: string) => void;
  /**
   * Also listen on the wake channels of these queues (asynq:wake:<qname>, published by asynq-ts
   * enqueues) and call onWake (Processor.wake) for each notification.
   */
  wake?: {queues: string[]; onWake: (queue: string) => void};
  /** Default 5 s. */
  retryIntervalMs?: number;
}

export class Subscriber {
  readonly #p: Required<SubscriberParams>;
  readonly #abort = new AbortController();
  #sub?: {close(): Promise<void>};
  #loop?: Promise<void>;
  #shutdown?: Promise<void>;

  constructor(params: SubscriberParams) {
    this.#p = {retryIntervalMs: DEFAULT_SUBSCRIBE_RETRY_MS, outage: NO_OUTAGE_REPORTER, wake: {queues: [], onWake: () => {}}, ...params};
  }

  /** Whether the subscription is established. */
  get subscribed(): boolean {
    return this.#sub !== undefined;
  }

  /** Subscribes in the background, retrying until it succeeds. Idempotent. */
  start(): void {
    if (this.#abort.signal.aborted) return;
    this.#loop ??= (async () => {
      while (!this.#abort.signal.aborted && !(await this.exec())) await sleep(this.#p.retryIntervalMs, this.#abort.signal);
    })();
  }

  /** Stops retrying and closes the subscription. Idempotent. */
  shutdown(): Promise<void> {
    this.#shutdown ??= (async () => {
      this.#p.logger.debug('Subscriber shutting down...');
      this.#abort.abort();
      await this.#loop;
      const sub = this.#sub;
      this.#sub = undefined;
      try {
        await sub?.close();
      } catch (err) {
        this.#p.logger.warn(`Failed to close the cancelation subscription: ${errorMessage(err)}`);
      }
      this.#p.logger.debug('Subscriber done');
    })();
    return this.#shutdown;
  }

  /** One attempt to subscribe (no-op when subscribed or shut down); true when subscribed. Never throws. */
  async exec(): Promise<boolean> {
    if (this.#sub) return true;
    if (this.#abort.signal.aborted) return false;
    try {
      const {wake} = this.#p;
      const sub = await this.#p.rdb.subscribeCancelation((taskId) => this.#p.onCancel(taskId), undefined, wake.queues.length > 0 ? wake : undefined);
      if (this.#abort.signal.aborted) {
        await sub.close();
        return false;
      }
      this.#sub = sub;
      return true;
    } catch (err) {
      if (!this.#p.outage.absorb(err)) this.#p.logger.error(`cannot subscribe to cancelation channel: ${errorMessage(err)}`);
      return false;
    }
  }
}
