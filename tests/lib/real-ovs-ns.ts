// Real Open vSwitch (Debian's ovsdb-server + ovs-vswitchd) inside an existing network namespace,
// with a private run directory: the database, sockets, pidfiles and logs all live in one temp dir,
// so several instances (and the host's own OVS, if any) never meet. The caller creates and deletes
// the namespace and adds its bridges (datapath_type=netdev); this only starts and stops the daemons
// and runs the command-line tools against them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from './wait.js';

/** Runs a command synchronously; throws with its stderr unless it exits 0; returns its stdout. */
export function sh(cmd: string, args: string[], env?: NodeJS.ProcessEnv): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

export interface RealOvsInNs {
  /** The private run directory (OVS_RUNDIR, OVS_DBDIR, OVS_LOGDIR, OVS_SYSCONFDIR). */
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  /** `unix:<dir>/db.sock`. */
  readonly db: string;
  /** Creates conf.db, starts ovsdb-server, `ovs-vsctl --no-wait init`, starts ovs-vswitchd (both detached). */
  start(): void;
  /** Runs cmd inside the namespace with env; throws unless it exits 0; returns stdout. */
  inNs(cmd: string, args: string[]): string;
  /** ovs-vsctl --db=<db> --timeout=30 ... */
  vsctl(...args: string[]): string;
  /** ovs-ofctl <command> unix:<dir>/<bridge>.mgmt ... (the bridge's management socket). */
  ofctl(command: string, bridge: string, ...args: string[]): string;
  /** ovs-appctl --target=<dir>/ovs-vswitchd.ctl ... */
  appctl(...args: string[]): string;
  /** ovs-vswitchd's pid, from its pidfile. */
  vswitchdPid(): number;
  /** SIGTERMs ovs-vswitchd then ovsdb-server by their pidfiles (ignoring any not running). */
  terminate(): void;
  /** Removes the run directory. */
  removeDir(): void;
  /** terminate(), wait settleMs, then afterSettle (e.g. deleting namespaces), then removeDir(). */
  stop(settleMs: number, afterSettle?: () => void | Promise<void>): Promise<void>;
}

/** Makes the run directory (mkdtemp with dirPrefix) and the tool helpers for namespace ns; nothing
 *  runs until start(). */
export function realOvsInNs(ns: string, dirPrefix: string): RealOvsInNs {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const env = { OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir };
  const db = `unix:${dir}/db.sock`;
  const inNs = (cmd: string, args: string[]) => sh('ip', ['netns', 'exec', ns, cmd, ...args], env);
  const vsctl = (...args: string[]) => inNs('ovs-vsctl', [`--db=${db}`, '--timeout=30', ...args]);
  const terminate = () => {
    for (const p of ['ovs-vswitchd.pid', 'ovsdb-server.pid']) {
      try { process.kill(Number(readFileSync(join(dir, p), 'utf8').trim()), 'SIGTERM'); } catch { /* not running */ }
    }
  };
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  return {
    dir, env, db, inNs, vsctl, terminate, removeDir,
    start() {
      sh('ovsdb-tool', ['create', `${dir}/conf.db`, '/usr/share/openvswitch/vswitch.ovsschema']);
      inNs('/usr/sbin/ovsdb-server', [`${dir}/conf.db`, `--remote=punix:${dir}/db.sock`, `--pidfile=${dir}/ovsdb-server.pid`, `--log-file=${dir}/ovsdb-server.log`, `--unixctl=${dir}/ovsdb-server.ctl`, '--detach', '--no-chdir']);
      vsctl('--no-wait', 'init');
      inNs('/usr/sbin/ovs-vswitchd', [db, `--pidfile=${dir}/ovs-vswitchd.pid`, `--log-file=${dir}/ovs-vswitchd.log`, `--unixctl=${dir}/ovs-vswitchd.ctl`, '--detach', '--no-chdir']);
    },
    ofctl: (command, bridge, ...args) => inNs('ovs-ofctl', [command, `unix:${dir}/${bridge}.mgmt`, ...args]),
    appctl: (...args) => inNs('ovs-appctl', [`--target=${dir}/ovs-vswitchd.ctl`, ...args]),
    vswitchdPid: () => Number(readFileSync(join(dir, 'ovs-vswitchd.pid'), 'utf8').trim()),
    async stop(settleMs, afterSettle) {
      terminate();
      await sleep(settleMs);
      await afterSettle?.();
      removeDir();
    },
  };
}
