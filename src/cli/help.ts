/**
 * `asynq --help`: oclif's root help, plus every declared topic (also before it has commands),
 * the connection flags every command accepts, and the EXIT STATUS table.
 * Registered as "helpClass" in package.json.
 */
import type * as Interfaces from '@oclif/core/interfaces';
import {Help} from '@oclif/core/help';
import {EXIT_STATUS} from './exit-codes.js';
import {connectionFlags} from './flags.js';

interface FlagDoc {
  char?: string;
  helpValue?: string | string[];
  summary?: string;
  type: string;
}

/** `-u, --uri=<host:port|uri>` as in oclif's flag listing. */
export function flagLabel(name: string, flag: FlagDoc): string {
  const short = flag.char === undefined ? '    ' : `-${flag.char}, `;
  const value = flag.type === 'option' && flag.helpValue !== undefined ? `=${[flag.helpValue].flat().join(' ')}` : '';
  return `${short}--${name}${value}`;
}

export default class AsynqHelp extends Help {
  override async showRootHelp(): Promise<void> {
    this.log(this.formatRoot());
    this.log('');
    const visible = (t: Interfaces.Topic) => this.opts.all || !t.hidden;
    // oclif also makes a topic of every top-level command (dash, enqueue, stats): list those under
    // COMMANDS only, and topics that group commands (or are declared) under TOPICS.
    const groupsCommands = (t: Interfaces.Topic) =>
      this.config.commands.some((c) => c.id.startsWith(`${t.name}:`) && (this.opts.all || !c.hidden)) ||
      !this.config.commands.some((c) => c.id === t.name);
    const topics = this.config.topics
      .filter((t) => visible(t) && !t.name.includes(':') && groupsCommands(t))
      .sort((a, b) => a.name.localeCompare(b.name));
    if (topics.length > 0) {
      this.log(this.formatTopics(topics));
      this.log('');
    }
    const commands = this.sortedCommands.filter((c) => c.id !== '' && !c.id.includes(':'));
    if (commands.length > 0) {
      this.log(this.formatCommands(commands));
      this.log('');
    }
    const flagRows = Object.entries(connectionFlags).map(([name, f]) => [
      flagLabel(name, f as FlagDoc),
      (f as FlagDoc).summary,
    ]);
    this.log(
      this.section(
        'CONNECTION FLAGS (every command)',
        this.renderList(flagRows, {indentation: 2, spacer: '\n', stripAnsi: this.opts.stripAnsi}),
      ),
    );
    this.log('');
    const exitRows = EXIT_STATUS.map((r) => [String(r.code), r.meaning]);
    this.log(this.section('EXIT STATUS', this.renderList(exitRows, {indentation: 2, stripAnsi: this.opts.stripAnsi})));
    this.log('');
  }
}
