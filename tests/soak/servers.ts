// OVSDB server processes for the soak: ours (engine/bin/ovsdb-server) or the real one
// (/usr/sbin/ovsdb-server), each on a private database in a private directory, listening on a
// private unix socket. Children still alive when this process exits are SIGKILLed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { projectRoot } from '../../engine/setup/paths.js';

export type ServerKind = 'ours' | 'real';

export const VSWITCH_SCHEMA = join(projectRoot, 'manifests', 'vswitch.ovsschema');
const OUR_TOOL = join(projectRoot, 'engine', 'bin', 'ovsdb-tool');
const OUR_SERVER = join(projectRoot, 'engine', 'bin', 'ovsdb-server');
const REAL_TOOL = '/usr/bin/ovsdb-tool';
const REAL_SERVER = '/usr/sbin/ovsdb-server';

const live = new Set<ChildProcess>();
process.once('exit', () => { for (const c of live) c.kill('SIGKILL'); });

/** Creates `dbPath` from the vswitch schema with our ovsdb-tool (or the real one). */
export function createDb(kind: ServerKind, dbPath: string, schemaPath = VSWITCH_SCHEMA): void {
  const r = kind === 'ours'
    ? spawnSync(process.execPath, [OUR_TOOL, 'create', dbPath, schemaPath], { encoding: 'utf8' })
    : spawnSync(REAL_TOOL, ['create', dbPath, schemaPath], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${kind} ovsdb-tool create ${dbPath} failed (${r.status}): ${r.stderr}`);
}

export interface ServerProcess {
  readonly kind: ServerKind;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly socketPath: string;
  readonly target: string;
  readonly logPath: string;
  readonly ctlPath: string;
  /** Resolves once the socket accepts connections; rejects if the child exits first. */
  ready(timeoutMs?: number): Promise<void>;
  /** Resolves when the process has exited (immediately if it already has). */
  exited(): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  stderr(): string;
  log(): string;
}

/** Starts a server on `dbPath`; files (socket, log, pid, ctl) go to `dir` with `tag` in their names. */
export function startServer(kind: ServerKind, dir: string, dbPath: string, tag: string = kind): ServerProcess {
  const socketPath = join(dir, `${tag}.sock`);
  const logPath = join(dir, `${tag}.log`);
  const ctlPath = join(dir, `${tag}.ctl`);
  const args = [dbPath, `--remote=punix:${socketPath}`, `--unixctl=${ctlPath}`, `--pidfile=${join(dir, `${tag}.pid`)}`,
    `--log-file=${logPath}`, '-vconsole:off'];
  const child = kind === 'ours'
    ? spawn(process.execPath, [OUR_SERVER, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(REAL_SERVER, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(child);
  let errText = '';
  child.stderr?.on('data', (d: Buffer) => { if (errText.length < 20000) errText += d.toString(); });
  const exit = new Promise<void>((res) => {
    child.once('exit', () => { live.delete(child); res(); });
  });
  const proc: ServerProcess = {
    kind, child, pid: child.pid ?? -1, socketPath, target: `unix:${socketPath}`, logPath, ctlPath,
    async ready(timeoutMs = 20000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`${kind} ovsdb-server exited (${child.exitCode ?? child.signalCode}) before listening: ${errText}${proc.log().slice(-2000)}`);
        }
        if (await canConnect(socketPath)) return;
        if (Date.now() > deadline) throw new Error(`${kind} ovsdb-server did not listen on ${socketPath} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 15));
      }
    },
    exited: () => exit,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exit;
    },
    stderr: () => errText,
    log() {
      try { return readFileSync(logPath, 'utf8'); } catch { return ''; }
    },
  };
  return proc;
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(path);
    s.once('connect', () => { s.destroy(); res(true); });
    s.once('error', () => res(false));
  });
}

/** Peak resident set size (VmHWM) of a live process in KiB, from /proc; undefined if unavailable. */
export function peakRssKiB(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
