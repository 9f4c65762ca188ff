/**
 * The `command_not_found` hook (package.json oclif.hooks): an unknown command is a usage error
 * (exit 2, as in the EXIT STATUS table) that names the closest command.
 *
 * - On a terminal, @oclif/plugin-not-found's own hook runs: it asks "Did you mean …?" and runs
 *   the suggestion when the answer is yes. Its refusal (exit 127) becomes exit 2.
 * - Elsewhere (scripts, CI, pipes) nothing is asked: one `Error:` line with the suggestion and a
 *   hint to run `asynq help`.
 * - Words after a command that takes no arguments (oclif makes them part of the command id) are
 *   an "unexpected argument" of that command.
 *
 * plugin-not-found is not listed in oclif.plugins (its hook would run next to this one, and the
 * first of the two to fail would win); this hook is the only one.
 */
import * as Errors from '@oclif/core/errors';
import {toConfiguredId} from '@oclif/core/util/ids';
import type {Hook} from '@oclif/core/interfaces';

/** Edit distance (insertions, deletions, substitutions) between two strings. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({length: b.length + 1}, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** The closest of `candidates` to `id` (oclif ids such as `task:ls`, config keys), if it is close enough to be a typo. */
export function closestName(id: string, candidates: readonly string[]): string | undefined {
  let best: {id: string; d: number} | undefined;
  for (const c of new Set(candidates)) {
    const d = editDistance(id, c);
    if (best === undefined || d < best.d) best = {id: c, d};
  }
  if (best === undefined || best.d > Math.max(2, Math.ceil(id.length * 0.4))) return undefined;
  return best.id;
}

const hook: Hook.CommandNotFound = async function (opts) {
  const {config} = opts;
  const candidates = [
    ...config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases]),
    ...config.topics.filter((t) => !t.hidden).map((t) => t.name),
  ];
  // oclif reads the words after a command that takes no argument as part of its id
  // (`asynq cron run periodic.yml` → cron:run:periodic.yml): name the command and the extra word.
  const words = opts.id.split(':');
  for (let n = words.length - 1; n > 0; n--) {
    const known = config.findCommand(words.slice(0, n).join(':'));
    if (known === undefined) continue;
    const cmd = `${config.bin} ${toConfiguredId(known.id, config)}`;
    const extra = words.slice(n).join(' ');
    throw new Errors.CLIError(
      `unexpected argument${words.length - n > 1 ? 's' : ''} "${extra}": ${cmd} takes no arguments\nSee "${cmd} --help".`,
      {exit: 2},
    );
  }
  if (process.stdin.isTTY && process.stderr.isTTY) {
    const {default: notFound} = await import('@oclif/plugin-not-found');
    try {
      return await notFound.call(this, opts);
    } catch (err) {
      if (err instanceof Errors.CLIError && err.oclif.exit === 127) throw new Errors.CLIError(err.message, {exit: 2});
      throw err;
    }
  }
  const shown = toConfiguredId(opts.id, config);
  const suggestion = closestName(opts.id, candidates);
  const didYouMean =
    suggestion === undefined ? '' : `; did you mean "${config.bin} ${toConfiguredId(suggestion, config)}"?`;
  const topic = config.findTopic(opts.id.split(':')[0]!) === undefined ? '' : ` ${opts.id.split(':')[0]}`;
  throw new Errors.CLIError(
    `command ${shown} not found${didYouMean}\nRun "${config.bin} help${topic}" for a list of commands.`,
    {exit: 2},
  );
};

export default hook;
