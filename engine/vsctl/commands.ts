// The registry of ovs-vsctl commands and the parser of one command's words
// (db-ctl-base parse_command): per-command options first, then the name and its arguments.
import type { CommandSyntax } from './context.js';
import { DB_COMMANDS } from './db-commands.js';
import { VSWITCH_COMMANDS } from './vswitch-commands.js';
import { usageError } from './errors.js';
import type { VsctlCommand } from './types.js';

export const ALL_COMMANDS: Map<string, CommandSyntax> = new Map(
  [...DB_COMMANDS, ...VSWITCH_COMMANDS].map((c) => [c.name, c]),
);

export interface ParsedCommand {
  syntax: CommandSyntax;
  /** argv[0] is the command name. */
  argv: string[];
  /** "--name" -> value or null (no value), in the order given. */
  options: Map<string, string | null>;
}

/** Checks options and argument counts exactly as ovs-vsctl does; throws VsctlError. */
export function checkCommand(name: string, args: string[], options: Map<string, string | null>): ParsedCommand {
  const p = ALL_COMMANDS.get(name);
  if (!p) throw usageError(`unknown command '${name}'; use --help for help`);
  for (const [opt, value] of options) {
    const at = p.options.indexOf(opt);
    const end = at < 0 ? undefined : p.options[at + opt.length] ?? '';
    if (end === undefined || !'=,? '.includes(end) ) {
      throw usageError(`'${name}' command has no '${opt}' option`);
    }
    if (end !== '?' && (end === '=') !== (value !== null)) {
      if (end === '=') throw usageError(`missing argument to '${opt}' option on '${name}' command`);
      throw usageError(`'${opt}' option on '${name}' does not accept an argument`);
    }
  }
  if (args.length < p.minArgs) throw usageError(`'${p.name}' command requires at least ${p.minArgs} arguments`);
  if (args.length > p.maxArgs) {
    if (args.some((a) => a.startsWith('-'))) {
      throw usageError(`'${p.name}' command takes at most ${p.maxArgs} arguments (note that options must precede command names and follow a "--" argument)`);
    }
    throw usageError(`'${p.name}' command takes at most ${p.maxArgs} arguments`);
  }
  return { syntax: p, argv: [name, ...args], options };
}

/** Parses the words of one command (between "--" separators); `local` holds options that were
 *  given before the first command among the global options. */
export function parseCommandWords(words: string[], local: Map<string, string | null>): ParsedCommand {
  const options = new Map(local);
  local.clear();
  let i = 0;
  for (; i < words.length; i++) {
    const w = words[i] as string;
    if (!w.startsWith('-')) break;
    const eq = w.indexOf('=');
    const key = eq >= 0 ? w.slice(0, eq) : w;
    const value = eq >= 0 ? w.slice(eq + 1) : null;
    if (options.has(key)) throw usageError(`'${w}' option specified multiple times`);
    options.set(key, value);
  }
  if (i === words.length) throw usageError('missing command name (use --help for help)');
  return checkCommand(words[i] as string, words.slice(i + 1), options);
}

/** Splits a command line (after global options) at "--" into commands. */
export function parseCommandLine(args: string[], local: Map<string, string | null>): ParsedCommand[] {
  const out: ParsedCommand[] = [];
  let start = 0;
  for (let i = 0; i <= args.length; i++) {
    if (i === args.length || args[i] === '--') {
      if (i > start) out.push(parseCommandWords(args.slice(start, i), local));
      else if (local.size) throw usageError('missing command name (use --help for help)');
      start = i + 1;
    }
  }
  if (!out.length) throw usageError('missing command name (use --help for help)');
  return out;
}

/** Library form: a VsctlCommand value -> checked command. */
export function fromValue(c: VsctlCommand): ParsedCommand {
  const options = new Map<string, string | null>();
  for (const [k, v] of Object.entries(c.options ?? {})) {
    options.set(k.startsWith('--') ? k : `--${k}`, v === true ? null : v);
  }
  return checkCommand(c.name, c.args, options);
}
