// ovs-appctl [-t TARGET] [--timeout=SECS] COMMAND [ARG...]: sends one command to a daemon's control
// socket, as OVS's utilities/ovs-appctl.c. TARGET is a socket path (contains '/'; on Windows a ':'),
// or a program name resolved as <rundir>/NAME.pid -> <rundir>/NAME.<pid>.ctl (Windows: NAME.ctl);
// default ovs-vswitchd. Output: the reply on stdout, exit 0; an error reply goes to stderr followed
// by "ovs-appctl: TARGET: server returned an error", exit 2; connection problems exit 1; when
// --timeout expires the process dies of SIGALRM, as OVS's does.
import { ovsRundir } from '../util/ovs-paths.js';
import { DaemonError, ovsFatal, readPidfile, versionString } from '../util/daemon.js';
import { UnixctlClient, UnixctlClientError } from '../util/unixctl.js';
import { parseVlogOption, vlog, type VlogOption } from '../util/vlog.js';

const PROGRAM = 'ovs-appctl';

const USAGE = `${PROGRAM}, for querying and controlling Open vSwitch daemon
usage: ${PROGRAM} [TARGET] COMMAND [ARG...]
Targets:
  -t, --target=TARGET  pidfile or socket to contact
Common commands:
  list-commands      List commands supported by the target
  version            Print version of the target
  vlog/list          List current logging levels
  vlog/list-pattern  List logging patterns for each destination.
  vlog/set [SPEC]
      Set log levels as detailed in SPEC, which may include:
      A valid module name (all modules, by default)
      'syslog', 'console', 'file' (all destinations, by default))
      'off', 'emer', 'err', 'warn', 'info', or 'dbg' ('dbg', bydefault)
  vlog/reopen        Make the program reopen its log file
Other options:
  --timeout=SECS     wait at most SECS seconds for a response
  -h, --help         Print this helpful information
  -V, --version      Display ovs-appctl version information
`;

const LONG_OPTIONS: Array<[string, 'none' | 'required' | 'optional']> = [
  ['target', 'required'], ['execute', 'none'], ['help', 'none'], ['option', 'none'], ['version', 'none'],
  ['timeout', 'required'], ['verbose', 'optional'], ['log-file', 'optional'], ['syslog-method', 'required'],
  ['syslog-target', 'required'],
];

export interface AppctlArgs {
  target: string;
  timeout: number;
  command: string;
  args: string[];
  vlogOptions: VlogOption[];
}

type ParseOutcome = { kind: 'run'; parsed: AppctlArgs } | { kind: 'print'; text: string } | { kind: 'fatal'; message: string };

/** Parses the command line as getopt_long("+...") would: options stop at the first non-option. */
export function parseAppctlArgs(argv: string[]): ParseOutcome {
  let target: string | undefined;
  let timeout = 0;
  let eCount = 0;
  const vlogOptions: VlogOption[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { i++; break; }
    if (!a.startsWith('-') || a === '-') break;
    let name: string;
    let value: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const given = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      value = eq >= 0 ? a.slice(eq + 1) : undefined;
      const exact = LONG_OPTIONS.find(([n]) => n === given);
      const matches = exact ? [exact] : LONG_OPTIONS.filter(([n]) => n.startsWith(given));
      if (matches.length !== 1) {
        return { kind: 'fatal', message: matches.length === 0 ? `unrecognized option '--${given}'` : `option '--${given}' is ambiguous` };
      }
      const [full, argKind] = matches[0];
      name = full;
      if (argKind === 'required' && value === undefined) {
        value = argv[++i];
        if (value === undefined) return { kind: 'fatal', message: `option '--${full}' requires an argument` };
      }
      if (argKind === 'none' && value !== undefined) return { kind: 'fatal', message: `option '--${full}' doesn't allow an argument` };
    } else {
      const ch = a[1];
      const map: Record<string, string> = { t: 'target', e: 'execute', h: 'help', o: 'option', V: 'version', T: 'timeout', v: 'verbose' };
      name = map[ch];
      if (!name) return { kind: 'fatal', message: `invalid option -- '${ch}'` };
      const rest = a.slice(2);
      if (name === 'target' || name === 'timeout') {
        value = rest !== '' ? rest : argv[++i];
        if (value === undefined) return { kind: 'fatal', message: `option requires an argument -- '${ch}'` };
      } else if (name === 'verbose') {
        value = rest !== '' ? rest : undefined;
      } else if (rest !== '') {
        return { kind: 'fatal', message: `invalid option -- '${rest[0]}'` };
      }
    }
    switch (name) {
      case 'target':
        if (target !== undefined) return { kind: 'fatal', message: '-t or --target may be specified only once' };
        target = value!;
        break;
      case 'execute':
        if (eCount++) return { kind: 'fatal', message: '-e or --execute may be speciifed only once' };
        break;
      case 'help': return { kind: 'print', text: USAGE };
      case 'option': return { kind: 'print', text: LONG_OPTIONS.map(([n, k]) => `--${n}${k === 'required' ? '=ARG' : k === 'optional' ? '[=ARG]' : ''}\n`).join('') };
      case 'version': return { kind: 'print', text: versionString(PROGRAM) + '\n' };
      case 'timeout': {
        const n = /^\d+$/.test(value!) ? Number(value) : NaN;
        if (!(n > 0) || n > 0xffffffff) return { kind: 'fatal', message: `value ${value} on -T or --timeout is invalid` };
        timeout = n;
        break;
      }
      default: {
        const opt = parseVlogOption(value === undefined ? `--${name}` : `--${name}=${value}`, () => undefined);
        if (opt) vlogOptions.push(opt);
      }
    }
  }
  if (i >= argv.length) return { kind: 'fatal', message: 'at least one non-option argument is required (use --help for help)' };
  return { kind: 'run', parsed: { target: target ?? 'ovs-vswitchd', timeout, command: argv[i], args: argv.slice(i + 1), vlogOptions } };
}

/** The control socket path for TARGET. Throws DaemonError (pidfile unreadable/stale). */
export function resolveTarget(target: string, rundir = ovsRundir()): string {
  if (process.platform === 'win32') {
    return target.includes(':') ? target : `${rundir}/${target}.ctl`;
  }
  if (target.startsWith('/')) return target;
  const pidfile = `${rundir}/${target}.pid`;
  let pid: number;
  try {
    pid = readPidfile(pidfile);
  } catch (e) {
    const err = e as DaemonError;
    throw new DaemonError(`cannot read pidfile "${pidfile}"`, err.errno ?? 'ESRCH');
  }
  return `${rundir}/${target}.${pid}.ctl`;
}

export async function main(argv: string[]): Promise<void> {
  vlog.programName = PROGRAM;
  vlog.setLevels(undefined, 'console', 'warn');
  const outcome = parseAppctlArgs(argv);
  if (outcome.kind === 'print') { process.stdout.write(outcome.text); process.exit(0); }
  if (outcome.kind === 'fatal') ovsFatal(PROGRAM, outcome.message);
  const a = outcome.parsed;
  try {
    vlog.applyOptions(a.vlogOptions);
  } catch (e) {
    ovsFatal(PROGRAM, (e as Error).message);
  }
  if (a.timeout > 0) {
    // OVS's time_alarm(): the process dies by SIGALRM when the deadline passes.
    setTimeout(() => process.kill(process.pid, 'SIGALRM'), a.timeout * 1000).unref();
  }
  let path: string;
  try {
    path = resolveTarget(a.target);
  } catch (e) {
    const err = e as DaemonError;
    ovsFatal(PROGRAM, err.message, err.errno);
  }
  let client: UnixctlClient;
  try {
    client = await UnixctlClient.connect(path);
  } catch (e) {
    const err = e as UnixctlClientError;
    vlog.module('unixctl').warn(`failed to connect to ${path}`);
    ovsFatal(PROGRAM, `cannot connect to "${path}"`, err.errno);
  }
  // Keep the process alive while waiting even if --timeout's timer is unref'd.
  const keepAlive = setInterval(() => { /* waiting for the reply */ }, 1 << 30);
  let reply;
  try {
    reply = await client.transact(a.command, a.args);
  } catch (e) {
    const err = e as UnixctlClientError;
    vlog.module('unixctl').warn(`error communicating with unix:${path}: ${err.message}`);
    ovsFatal(PROGRAM, `${a.target}: transaction error`, err.errno ?? 'EPROTO');
  } finally {
    clearInterval(keepAlive);
    client.close();
  }
  if (reply.error !== undefined) {
    process.stderr.write(reply.error);
    process.stderr.write(`${PROGRAM}: ${a.target}: server returned an error\n`);
    process.exitCode = 2;
    return;
  }
  process.stdout.write(reply.result ?? '');
  process.exitCode = 0;
}
