// GNU getopt_long as OVS's tools call it: long options by unique prefix, short options from the
// long options that have a letter (OVS derives its short option string the same way), and
// glibc's messages for bad options. With `permute` (getopt's default), options may follow
// operands until "--"; without it, parsing stops at the first operand (a "+" option string).
import { OvsError } from './errors.js';

export type ArgKind = 'no' | 'required' | 'optional';

export interface LongOption {
  name: string;
  has: ArgKind;
  /** The short option letter, if the option has one. */
  short?: string;
}

export interface ParsedOption {
  /** The long name, also for an option given by its letter. */
  name: string;
  value?: string;
}

export class GetoptError extends OvsError {
  constructor(message: string) {
    super('OVS_E_USAGE', message);
  }
}

/** Calls `onOption` for each option in command-line order (so that, as in OVS, a bad value
 *  reported by the handler comes before a bad option further on) and returns the operands. */
export function getoptLong(argv: readonly string[], longOptions: readonly LongOption[], onOption: (o: ParsedOption) => void,
  permute = true): string[] {
  const operands: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      if (!permute) {
        operands.push(...argv.slice(i));
        break;
      }
      operands.push(a);
      continue;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const typed = eq >= 0 ? a.slice(0, eq) : a;
      const name = typed.slice(2);
      const exact = longOptions.find((o) => o.name === name);
      const cands = exact ? [exact] : longOptions.filter((o) => o.name.startsWith(name));
      if (cands.length === 0) throw new GetoptError(`unrecognized option '${typed}'`);
      if (cands.length > 1) throw new GetoptError(`option '${typed}' is ambiguous; possibilities:${cands.map((o) => ` '--${o.name}'`).join('')}`);
      const o = cands[0]!;
      let value: string | undefined;
      if (eq >= 0) {
        if (o.has === 'no') throw new GetoptError(`option '--${o.name}' doesn't allow an argument`);
        value = a.slice(eq + 1);
      } else if (o.has === 'required') {
        if (i + 1 >= argv.length) throw new GetoptError(`option '--${o.name}' requires an argument`);
        value = argv[++i];
      }
      onOption(value === undefined ? { name: o.name } : { name: o.name, value });
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const ch = a[j]!;
      const o = longOptions.find((x) => x.short === ch);
      if (!o) throw new GetoptError(`invalid option -- '${ch}'`);
      if (o.has === 'no') {
        onOption({ name: o.name });
        continue;
      }
      let value: string | undefined = a.slice(j + 1);
      if (value === '') {
        if (o.has === 'required') {
          if (i + 1 >= argv.length) throw new GetoptError(`option requires an argument -- '${ch}'`);
          value = argv[++i];
        } else {
          value = undefined;
        }
      }
      onOption(value === undefined ? { name: o.name } : { name: o.name, value });
      break;
    }
  }
  return operands;
}

/** The options as `--option` prints them (ovs_cmdl_print_options): each long option, "=ARG" or
 *  "=[ARG]" after it by its argument, then its letter, if any, as "-x ", "-x ARG" or "-x [ARG]". */
export function optionsText(longOptions: readonly LongOption[]): string {
  const arg = (has: ArgKind, sep: string): string => (has === 'required' ? `${sep}ARG` : has === 'optional' ? `${sep}[ARG]` : '');
  return longOptions.map((o) => `--${o.name}${arg(o.has, '=')}\n${o.short ? `-${o.short} ${arg(o.has, '')}\n` : ''}`).join('');
}
