// ovsdb-client, with OVS 3.1's commands, options, output and messages: list-dbs, get-schema*,
// list-tables, list-columns, transact, query, monitor, monitor-cond, monitor-cond-since, wait,
// convert, needs-conversion, dump, backup, restore, lock, steal, unlock (engine/dbclient/). Options
// may come anywhere before "--", as with getopt; [SERVER] defaults to unix:<rundir>/db.sock and
// [DATABASE] to Open_vSwitch when the server has it.
import { defaultDaemonOptions, installFatalSignalHandlers, logFatalSignal, ovsFatal, parseDaemonOption, versionString } from '../util/daemon.js';
import { getoptLong, GetoptError, type LongOption } from '../util/getopt.js';
import { parseVlogOption, vlog, type VlogOption } from '../util/vlog.js';
import { DEFAULT_TABLE_STYLE, type TableStyle } from '../vsctl/types.js';
import type { TlsFiles } from '../rpc/tls-files.js';
import { ClientFatalError, ClientSession, type ClientOptions } from '../dbclient/session.js';
import { COMMANDS } from '../dbclient/commands.js';
import { clientUsage } from '../dbclient/usage.js';

const PROGRAM = 'ovsdb-client';

/** ovsdb-client's long options in OVS's order (which "is ambiguous" messages list). */
const LONG_OPTIONS: LongOption[] = [
  { name: 'help', has: 'no', short: 'h' },
  { name: 'version', has: 'no', short: 'V' },
  { name: 'timestamp', has: 'no' },
  { name: 'force', has: 'no' },
  { name: 'timeout', has: 'required', short: 't' },
  { name: 'db-change-aware', has: 'no' },
  { name: 'no-db-change-aware', has: 'no' },
  { name: 'leader-only', has: 'no' },
  { name: 'no-leader-only', has: 'no' },
  { name: 'verbose', has: 'optional', short: 'v' },
  { name: 'log-file', has: 'optional' },
  { name: 'syslog-method', has: 'required' },
  { name: 'syslog-target', has: 'required' },
  { name: 'detach', has: 'no' },
  { name: 'no-self-confinement', has: 'no' },
  { name: 'no-chdir', has: 'no' },
  { name: 'pidfile', has: 'optional' },
  { name: 'overwrite-pidfile', has: 'no' },
  { name: 'monitor', has: 'no' },
  { name: 'user', has: 'required' },
  { name: 'bootstrap-ca-cert', has: 'required' },
  { name: 'private-key', has: 'required', short: 'p' },
  { name: 'certificate', has: 'required', short: 'c' },
  { name: 'ca-cert', has: 'required', short: 'C' },
  { name: 'ssl-protocols', has: 'required' },
  { name: 'ssl-ciphers', has: 'required' },
  { name: 'format', has: 'required', short: 'f' },
  { name: 'data', has: 'required', short: 'd' },
  { name: 'no-headings', has: 'no' },
  { name: 'pretty', has: 'no' },
  { name: 'bare', has: 'no' },
  { name: 'max-column-width', has: 'required' },
  { name: 'record', has: 'optional' },
  { name: 'replay', has: 'optional' },
];

const FORMATS: TableStyle['format'][] = ['table', 'list', 'html', 'csv', 'json'];
const CELL_FORMATS: TableStyle['data'][] = ['string', 'bare', 'json'];

interface Parsed {
  options: ClientOptions;
  timeoutSec: number;
  vlogOptions: VlogOption[];
  operands: string[];
}

function parseOptions(argv: string[]): Parsed {
  const options: ClientOptions = {
    style: { ...DEFAULT_TABLE_STYLE, format: 'table' }, timestamp: false, force: false, dbChangeAware: -1, leaderOnly: true, ssl: {}, daemon: defaultDaemonOptions(),
  };
  const parsed: Parsed = { options, timeoutSec: 0, vlogOptions: [], operands: [] };
  const sslField: Record<string, keyof TlsFiles> = { 'private-key': 'privateKey', certificate: 'certificate', 'ca-cert': 'caCert', 'bootstrap-ca-cert': 'caCert' };
  parsed.operands = getoptLong(argv, LONG_OPTIONS, ({ name, value }) => {
    switch (name) {
      case 'help': process.stdout.write(clientUsage(PROGRAM)); process.exit(0); break;
      case 'version': process.stdout.write(versionString(PROGRAM) + '\n'); process.exit(0); break;
      case 'timestamp': options.timestamp = true; break;
      case 'force': options.force = true; break;
      case 'timeout': {
        const n = /^[0-9]+$/.test(value!) ? Number(value) : NaN;
        if (!(n > 0 && n <= 4294967295)) throw new ClientFatalError(`value ${value} on -t or --timeout is invalid`);
        parsed.timeoutSec = n;
        break;
      }
      case 'db-change-aware': options.dbChangeAware = 1; break;
      case 'no-db-change-aware': options.dbChangeAware = 0; break;
      case 'leader-only': options.leaderOnly = true; break;
      case 'no-leader-only': options.leaderOnly = false; break;
      case 'format':
        if (!FORMATS.includes(value as TableStyle['format'])) throw new ClientFatalError(`unknown output format "${value}"`);
        options.style.format = value as TableStyle['format'];
        break;
      case 'data':
        if (!CELL_FORMATS.includes(value as TableStyle['data'])) throw new ClientFatalError(`unknown data format "${value}"`);
        options.style.data = value as TableStyle['data'];
        break;
      case 'no-headings': options.style.headings = false; break;
      case 'pretty': options.style.pretty = true; break;
      case 'bare': Object.assign(options.style, { format: 'list', data: 'bare', headings: false }); break;
      case 'max-column-width': options.style.maxColumnWidth = parseInt(value!, 10) || 0; break;
      case 'detach': case 'no-chdir': case 'pidfile': case 'overwrite-pidfile': case 'monitor': case 'user': case 'no-self-confinement':
        try {
          parseDaemonOption(value === undefined ? `--${name}` : `--${name}=${value}`, options.daemon);
        } catch (e) {
          throw new ClientFatalError((e as Error).message);
        }
        break;
      case 'verbose': case 'log-file': case 'syslog-method': case 'syslog-target': {
        const arg = value === undefined ? `--${name}` : `--${name}=${value}`;
        const vo = parseVlogOption(arg, () => undefined);
        if (vo) parsed.vlogOptions.push(vo);
        break;
      }
      default:
        if (name in sslField) options.ssl[sslField[name]!] = value;
        // The daemon, SSL protocol and replay options: accepted, no effect here.
        break;
    }
  });
  return parsed;
}

/** --timeout ran out. Windows has no SIGALRM: there the same log line, then exit status 1. */
function alarm(): void {
  if (process.platform !== 'win32') {
    process.kill(process.pid, 'SIGALRM');
    return;
  }
  logFatalSignal('SIGALRM');
  process.exit(1);
}

export async function main(argv: string[]): Promise<void> {
  vlog.programName = PROGRAM;
  let session: ClientSession | undefined;
  try {
    const p = parseOptions(argv);
    try { vlog.applyOptions(p.vlogOptions); } catch (e) { throw new ClientFatalError((e as Error).message); }
    // As OVS's alarm(): SIGALRM ends the process when the time is up.
    installFatalSignalHandlers();
    if (p.timeoutSec > 0) setTimeout(alarm, p.timeoutSec * 1000).unref();
    const args = p.operands;
    if (args.length === 0) throw new ClientFatalError('missing command name; use --help for help');
    const name = args.shift()!;
    const cmd = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!cmd) throw new ClientFatalError(`unknown command '${name}'; use --help for help`);
    session = new ClientSession(p.options, (s) => process.stdout.write(s));
    const rest = cmd.need === 'none' ? args : await session.open(args, cmd.min, cmd.need);
    if (rest.length < cmd.min || rest.length > cmd.max) throw new ClientFatalError(`invalid syntax for '${name}' (use --help for help)`);
    await cmd.run(session, rest);
  } catch (e) {
    if (e instanceof ClientFatalError || e instanceof GetoptError) ovsFatal(PROGRAM, e.message);
    ovsFatal(PROGRAM, (e as Error).message);
  } finally {
    await session?.close();
  }
}
