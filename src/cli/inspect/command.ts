/**
 * InspectCommand: the base of the commands that read or repair queues (`stats`, `queue …`,
 * `task …`, `group ls`, `server ls`, `cron ls|history`). It adds to ConnectedCommand:
 *
 * - `now` and `timeZone` for the times in human output;
 * - `requireQueues()` and `forEachQueue()`: a multi-queue change checks every name first;
 * - `confirmDestructive()`: --force, or a y/N question on a terminal; without a terminal a usage
 *   error (exit 2) that says to re-run with --force. Never prompts with --json or on CI.
 *
 * The flags these commands share are in ./flags.ts; the single-task and bulk template commands
 * in ./task-commands.ts.
 */
import {createInterface} from 'node:readline/promises';
import {QueueNotFoundError, ValidationError} from '../../lib/errors.js';
import type {Inspector} from '../../lib/inspector.js';
import {ConnectedCommand} from '../command.js';
import {canPrompt} from '../tty.js';
import {localTimeZone} from '../format/time.js';

export abstract class InspectCommand extends ConnectedCommand {
  /** "Now" for relative times in human output. */
  protected readonly now = new Date();
  #timeZone: string | undefined;

  /**
   * Zone of the times printed in Go's UnixDate layout (the local zone, as Go's CLI; TZ honoured).
   * Looked up on first use: ICU's time zone data costs ~20 ms of start-up that most commands skip.
   */
  protected get timeZone(): string {
    return (this.#timeZone ??= localTimeZone());
  }

  /** Fails with QueueNotFoundError (exit 3) unless every queue exists: checked before a multi-queue change. */
  protected async requireQueues(inspector: Inspector, queues: readonly string[]): Promise<void> {
    const known = new Set(await inspector.queues());
    const missing = queues.find((q) => !known.has(q));
    if (missing !== undefined) throw new QueueNotFoundError(missing);
  }

  /**
   * Applies `act` to each queue in order, after checking that all of them exist (so an unknown
   * name changes nothing). Stops at the first failure; the queues before it stay changed.
   */
  protected async forEachQueue<T>(
    queues: readonly string[],
    act: (inspector: Inspector, queue: string) => Promise<T>,
  ): Promise<T[]> {
    const inspector = await this.inspector();
    await this.requireQueues(inspector, queues);
    const out: T[] = [];
    for (const q of queues) out.push(await act(inspector, q));
    return out;
  }

  /**
   * Asks before a destructive change unless --force was given. Without a terminal (or with
   * --json, or on CI) it fails with exit 2 and says to re-run with --force.
   */
  protected async confirmDestructive(what: string, force: boolean): Promise<void> {
    if (force) return;
    if (!canPrompt(process, this.jsonEnabled())) {
      throw new ValidationError(`refusing to ${what} without confirmation: re-run with --force`);
    }
    const rl = createInterface({input: process.stdin, output: process.stderr});
    try {
      const answer = await rl.question(`${what[0]!.toUpperCase()}${what.slice(1)}? [y/N] `);
      if (!/^y(es)?$/i.test(answer.trim()))
        throw new ValidationError(`not confirmed: nothing was changed (use --force to skip the question)`);
    } finally {
      rl.close();
    }
  }
}
