// ovs-vsctl's global command line (getopt_long with "+": options stop at the first non-option),
// including long-option abbreviations and the per-command options that may appear globally.
import { ALL_COMMANDS } from './commands.js';
import { usageError, VsctlError } from './errors.js';
import { DEFAULT_TABLE_STYLE, type TableStyle } from './types.js';
import type { TlsFiles } from '../rpc/tls-files.js';

type HasArg = 'no' | 'required' | 'optional';
interface LongOpt { name: string; has: HasArg; short?: string; local?: boolean }

const GLOBAL: LongOpt[] = [
  { name: 'db', has: 'required' }, { name: 'no-syslog', has: 'no' }, { name: 'no-wait', has: 'no' },
  { name: 'dry-run', has: 'no' }, { name: 'oneline', has: 'no' }, { name: 'timeout', has: 'required', short: 't' },
  { name: 'retry', has: 'no' }, { name: 'help', has: 'no', short: 'h' }, { name: 'commands', has: 'no' },
  { name: 'options', has: 'no' }, { name: 'leader-only', has: 'no' }, { name: 'no-leader-only', has: 'no' },
  { name: 'shuffle-remotes', has: 'no' }, { name: 'no-shuffle-remotes', has: 'no' }, { name: 'version', has: 'no', short: 'V' },
  { name: 'verbose', has: 'optional', short: 'v' }, { name: 'log-file', has: 'optional' },
  { name: 'syslog-method', has: 'required' }, { name: 'syslog-target', has: 'required' },
  { name: 'format', has: 'required', short: 'f' }, { name: 'data', has: 'required', short: 'd' },
  { name: 'no-headings', has: 'no' }, { name: 'pretty', has: 'no' }, { name: 'bare', has: 'no' },
  { name: 'max-column-width', has: 'required' },
  { name: 'private-key', has: 'required', short: 'p' }, { name: 'certificate', has: 'required', short: 'c' },
  { name: 'ca-cert', has: 'required', short: 'C' }, { name: 'ssl-protocols', has: 'required' },
  { name: 'ssl-ciphers', has: 'required' },
  { name: 'bootstrap-ca-cert', has: 'required' }, { name: 'peer-ca-cert', has: 'required' },
];

let optionsMemo: LongOpt[] | undefined;

/** The global options and every command's options (built once: the command table is fixed). */
function allOptions(): LongOpt[] {
  return (optionsMemo ??= buildOptions());
}

function buildOptions(): LongOpt[] {
  const out = [...GLOBAL];
  const seen = new Set(out.map((o) => o.name));
  for (const c of ALL_COMMANDS.values()) {
    for (const item of c.options.split(',').filter((x) => x)) {
      const m = /^--([^=?]+)([=?]?)$/.exec(item);
      if (!m || seen.has(m[1] as string)) continue;
      seen.add(m[1] as string);
      out.push({ name: m[1] as string, has: m[2] === '=' ? 'required' : m[2] === '?' ? 'optional' : 'no', local: true });
    }
  }
  return out;
}

export interface GlobalOptions {
  db?: string;
  noWait: boolean;
  dryRun: boolean;
  oneline: boolean;
  timeoutSec: number;
  retry: boolean;
  style: TableStyle;
  action?: 'help' | 'version' | 'commands' | 'options';
  local: Map<string, string | null>;
  /** Index in argv of the first non-option word. */
  rest: string[];
  /** SSL files for an ssl: database (-p/--private-key, -c/--certificate, -C/--ca-cert or
   *  --bootstrap-ca-cert, which is used as the CA certificate when the file exists). */
  ssl: Partial<TlsFiles>;
}

export function parseGlobalOptions(argv: string[]): GlobalOptions {
  const opts = allOptions();
  const g: GlobalOptions = {
    noWait: false, dryRun: false, oneline: false, timeoutSec: 0, retry: false,
    style: { ...DEFAULT_TABLE_STYLE }, local: new Map(), rest: [], ssl: {},
  };
  let i = 0;
  const apply = (o: LongOpt, value: string | undefined): void => {
    if (o.local) {
      // ovs-vsctl means to reject a repeated option here, but looks it up without its "--"
      // prefix, so repeats are accepted (the last value wins); we do the same.
      g.local.set(`--${o.name}`, value ?? null);
      return;
    }
    switch (o.name) {
      case 'db': g.db = value as string; break;
      case 'no-wait': g.noWait = true; break;
      case 'dry-run': g.dryRun = true; break;
      case 'oneline': g.oneline = true; break;
      case 'retry': g.retry = true; break;
      case 'help': g.action ??= 'help'; break;
      case 'version': g.action ??= 'version'; break;
      case 'commands': g.action ??= 'commands'; break;
      case 'options': g.action ??= 'options'; break;
      case 'timeout': {
        const v = value as string;
        const n = /^[0-9]+$/.test(v) ? Number(v) : NaN;
        if (!Number.isFinite(n) || n === 0 || n > 4294967295) throw usageError(`value ${v} on -t or --timeout is invalid`);
        g.timeoutSec = n;
        break;
      }
      case 'format': {
        const v = value as string;
        if (!['table', 'list', 'html', 'csv', 'json'].includes(v)) throw usageError(`unknown output format "${v}"`);
        g.style.format = v as TableStyle['format'];
        break;
      }
      case 'data': {
        const v = value as string;
        if (!['string', 'bare', 'json'].includes(v)) throw usageError(`unknown data format "${v}"`);
        g.style.data = v as TableStyle['data'];
        break;
      }
      case 'no-headings': g.style.headings = false; break;
      case 'pretty': g.style.pretty = true; break;
      case 'bare': g.style.format = 'list'; g.style.data = 'bare'; g.style.headings = false; break;
      case 'max-column-width': g.style.maxColumnWidth = parseInt(value as string, 10) || 0; break;
      case 'private-key': g.ssl.privateKey = value; break;
      case 'certificate': g.ssl.certificate = value; break;
      case 'ca-cert': case 'bootstrap-ca-cert': g.ssl.caCert = value; break;
      default: break; // logging, SSL protocol/cipher, leader/shuffle options: accepted, no effect here
    }
  };
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') { i++; break; }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const exact = opts.find((o) => o.name === name);
      const cands = exact ? [exact] : opts.filter((o) => o.name.startsWith(name));
      if (cands.length === 0) throw new VsctlError('OVS_E_VSCTL_USAGE', `unrecognized option '${eq >= 0 ? a.slice(0, eq) : a}'`);
      if (cands.length > 1) {
        throw new VsctlError('OVS_E_VSCTL_USAGE', `option '${eq >= 0 ? a.slice(0, eq) : a}' is ambiguous; possibilities:${cands.map((o) => ` '--${o.name}'`).join('')}`);
      }
      const o = cands[0] as LongOpt;
      let value: string | undefined;
      if (eq >= 0) {
        if (o.has === 'no') throw new VsctlError('OVS_E_VSCTL_USAGE', `option '--${o.name}' doesn't allow an argument`);
        value = a.slice(eq + 1);
      } else if (o.has === 'required') {
        if (i + 1 >= argv.length) throw new VsctlError('OVS_E_VSCTL_USAGE', `option '--${o.name}' requires an argument`);
        value = argv[++i];
      }
      apply(o, value);
    } else if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const ch = a[j] as string;
        const o = opts.find((x) => x.short === ch);
        if (!o) throw new VsctlError('OVS_E_VSCTL_USAGE', `invalid option -- '${ch}'`);
        if (o.has === 'no') { apply(o, undefined); continue; }
        let value: string | undefined = a.slice(j + 1);
        if (value === '') {
          if (o.has === 'required') {
            if (i + 1 >= argv.length) throw new VsctlError('OVS_E_VSCTL_USAGE', `option requires an argument -- '${ch}'`);
            value = argv[++i];
          } else value = undefined;
        }
        apply(o, value);
        break;
      }
    } else break;
  }
  g.rest = argv.slice(i);
  return g;
}

export function listOptions(): string {
  let s = '';
  for (const o of allOptions()) {
    s += `--${o.name}${o.has !== 'no' ? '=ARG' : ''}\n`;
    if (o.short) s += `-${o.short}${o.has !== 'no' ? ' ARG' : ''}\n`;
  }
  return s;
}
