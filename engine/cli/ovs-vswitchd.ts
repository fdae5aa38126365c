// ovs-vswitchd [DATABASE] [--pidfile[=F]] [--log-file[=F]] [--detach] [--unixctl=S] [-v...]
// [--datapath=NAME]: the switch as its own process, reading its configuration from an OVSDB
// server (default unix:<rundir>/db.sock) through a monitor, as in the seed's two-service layout.
// Control commands: exit, version, vlog/*, fdb/*, dpif/*, dpctl/*, ofproto/trace, coverage/show.
import { connectOvsdb } from '../rpc/client.js';
import { addExitHook, daemonizeComplete, daemonizeStart, defaultDaemonOptions, exitCleanly, ovsFatal, parseDaemonOption, versionString } from '../util/daemon.js';
import { ovsRundir } from '../util/ovs-paths.js';
import { UnixctlServer } from '../util/unixctl.js';
import { parseVlogOption, vlog, type VlogOption } from '../util/vlog.js';
import { RemoteConfigSource } from '../vswitch/config-source.js';
import { startSwitch } from '../vswitch/component.js';

const PROGRAM = 'ovs-vswitchd';

function usage(): string {
  return `${PROGRAM}: Open vSwitch daemon
usage: ${PROGRAM} [OPTIONS] [DATABASE]
where DATABASE is a socket on which ovsdb-server is listening
      (default: "unix:${ovsRundir()}/db.sock").
Other options:
  --unixctl=SOCKET          override default control socket name
  --datapath=NAME           datapath name (default ovs-system)
  --pidfile[=FILE]          create pidfile (default: ${ovsRundir()}/${PROGRAM}.pid)
  --detach                  run in background as daemon
  --log-file[=FILE]         enable logging to specified FILE
  -v, --verbose=[SPEC]      set logging levels
  -h, --help                display this help message
  -V, --version             display version information
`;
}

async function connectWithRetry(target: string, log: { info(m: string): void; warn(m: string): void }) {
  let delay = 100;
  let warned = false;
  for (;;) {
    try {
      return await connectOvsdb(target);
    } catch (e) {
      if (!warned) { log.warn(`${target}: connection attempt failed (${(e as Error).message}); retrying`); warned = true; }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 8000);
    }
  }
}

export async function main(argv: string[]): Promise<void> {
  vlog.programName = PROGRAM;
  const daemon = defaultDaemonOptions();
  const vlogOpts: VlogOption[] = [];
  let unixctlPath: string | undefined;
  let datapath: string | undefined;
  let db: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') { process.stdout.write(usage()); return; }
    if (a === '-V' || a === '--version') { process.stdout.write(versionString(PROGRAM) + '\n'); return; }
    try {
      if (parseDaemonOption(a, daemon)) continue;
      const v = parseVlogOption(a, () => argv[++i]);
      if (v) { vlogOpts.push(v); continue; }
    } catch (e) { ovsFatal(PROGRAM, (e as Error).message); }
    if (a.startsWith('--unixctl=')) { unixctlPath = a.slice(10); continue; }
    if (a.startsWith('--datapath=')) { datapath = a.slice(11); continue; }
    if (a === '--mlockall' || a.startsWith('--n-handler-threads') || a.startsWith('--n-revalidator-threads') || a === '--disable-system' || a === '--disable-system-route') continue;
    if (a.startsWith('-')) ovsFatal(PROGRAM, `unrecognized option '${a}' (use --help for help)`);
    if (db !== undefined) ovsFatal(PROGRAM, 'exactly zero or one non-option argument required; use --help for usage');
    db = a;
  }
  const target = db ?? `unix:${ovsRundir()}/db.sock`;
  try { await daemonizeStart(daemon, PROGRAM); } catch (e) { ovsFatal(PROGRAM, (e as Error).message); }
  try { vlog.applyOptions(vlogOpts); } catch (e) { ovsFatal(PROGRAM, (e as Error).message); }
  const log = vlog.module('bridge');
  let unixctl: UnixctlServer;
  try {
    unixctl = await UnixctlServer.create({ path: unixctlPath, programName: PROGRAM, version: versionString(PROGRAM) });
  } catch (e) { ovsFatal(PROGRAM, (e as Error).message); }
  addExitHook(() => unixctl.close());
  unixctl.register('exit', '[--cleanup]', 0, 1, () => { setImmediate(() => void exitCleanly(0)); return undefined; });
  vlog.registerCommands(unixctl);
  const client = await connectWithRetry(target, log);
  const source = await RemoteConfigSource.open(client);
  try {
    const running = await startSwitch(source, { datapath, unixctl: [unixctl] });
    addExitHook(() => running.stop());
  } catch (e) {
    ovsFatal(PROGRAM, `could not open datapath: ${(e as Error).message}`);
  }
  client.onClose((reason) => { log.err(`lost the database connection (${reason ?? 'closed'}); exiting`); void exitCleanly(1); });
  daemonizeComplete();
  log.info(versionString(PROGRAM));
}
