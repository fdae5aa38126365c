// Daemon behaviour of OVS programs (lib/daemon-unix.c, lib/fatal-signal.c):
//  --pidfile[=FILE]    write our pid to FILE (default <rundir>/<program>.pid; relative = in rundir),
//                      locked with fcntl like OVS so real ovs-appctl can read it; refuse to start
//                      when a live instance holds it, replace it when stale; removed on exit.
//  --overwrite-pidfile replace the pidfile even if another instance holds it.
//  --detach            run in the background: the foreground process re-spawns the program detached
//                      (new session, no stdin/stdout) and exits 0 once the child reports that it has
//                      finished starting, or with the child's failure status if it dies first.
//  --no-chdir          do not chdir to / after detaching.
//  --monitor           accepted (no supervising process); --user is refused; Windows' --service,
//                      --service-monitor and --pipe-handle are accepted and ignored.
// Also the fatal-signal cleanup list: files unlinked and hooks run on exit and on SIGTERM/SIGINT/
// SIGHUP/SIGALRM, after which the signal is re-raised so the exit status says what happened.
import { spawn } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { projectRoot } from '../setup/paths.js';
import { OvsError } from './errors.js';
import { absFileName, isInRundir, ovsRundir } from './ovs-paths.js';
import { strerror, vlog } from './vlog.js';
import { signalNumberText } from './errno-text.js';

const log = vlog.module('daemon_unix');

export class DaemonError extends OvsError {
  constructor(message: string, readonly errno?: string) {
    super('OVS_E_DAEMON', message);
  }
}

// ---------------------------------------------------------------- fatal-signal cleanup
const filesToUnlink = new Set<string>();
const exitHooks: Array<() => void | Promise<void>> = [];
let signalsInstalled = false;
let exiting = false;

export function addFileToUnlink(path: string): void {
  filesToUnlink.add(path);
  installFatalSignalHandlers();
}

export function removeFileToUnlink(path: string): void {
  filesToUnlink.delete(path);
}

/** Runs at exit or on a fatal signal (before files are unlinked). Async hooks get up to 2 s. */
export function addExitHook(hook: () => void | Promise<void>): void {
  exitHooks.push(hook);
  installFatalSignalHandlers();
}

function unlinkAll(): void {
  for (const f of filesToUnlink) {
    try { unlinkSync(f); } catch { /* already gone */ }
  }
  filesToUnlink.clear();
}

async function runHooks(): Promise<void> {
  const hooks = exitHooks.splice(0);
  const all = Promise.allSettled(hooks.map(async (h) => h()));
  await Promise.race([all, new Promise((r) => setTimeout(r, 2000).unref())]);
}

/** Orderly exit with `code`: runs hooks, unlinks files, exits. */
export async function exitCleanly(code = 0): Promise<never> {
  if (!exiting) {
    exiting = true;
    await runHooks();
    unlinkAll();
  }
  process.exit(code);
}

/** fatal_signal's log line for a signal that ends the process. */
export function logFatalSignal(sig: NodeJS.Signals): void {
  vlog.module('fatal_signal').warn(`terminating with signal ${signalNumberText(sig)}`);
}

/** OVS's fatal_signal: SIGTERM, SIGINT, SIGHUP and SIGALRM log "terminating with signal N (...)",
 *  run the exit hooks, remove the files to unlink, then end the process by the same signal. */
export function installFatalSignalHandlers(): void {
  if (signalsInstalled) return;
  signalsInstalled = true;
  process.on('exit', unlinkAll);
  const signals: NodeJS.Signals[] = process.platform === 'win32' ? ['SIGINT', 'SIGTERM'] : ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGALRM'];
  for (const sig of signals) {
    process.on(sig, () => {
      if (exiting) return;
      exiting = true;
      logFatalSignal(sig);
      void runHooks().finally(() => {
        unlinkAll();
        process.removeAllListeners(sig);
        process.kill(process.pid, sig);
      });
    });
  }
}

// ---------------------------------------------------------------- options
export interface DaemonOptions {
  /** Pidfile path as given (undefined = none; '' = the default name). */
  pidfile?: string;
  detach: boolean;
  noChdir: boolean;
  monitor: boolean;
  overwritePidfile: boolean;
}

export function defaultDaemonOptions(): DaemonOptions {
  return { detach: false, noChdir: false, monitor: false, overwritePidfile: false };
}

/** Consumes one daemon option into `opts`; returns false when `arg` is not a daemon option. */
export function parseDaemonOption(arg: string, opts: DaemonOptions): boolean {
  if (arg === '--detach') opts.detach = true;
  else if (arg === '--no-chdir') opts.noChdir = true;
  else if (arg === '--monitor') opts.monitor = true;
  else if (arg === '--overwrite-pidfile') opts.overwritePidfile = true;
  else if (arg === '--pidfile') opts.pidfile = '';
  else if (arg.startsWith('--pidfile=')) opts.pidfile = arg.slice('--pidfile='.length);
  else if (arg === '--no-self-confinement' || arg === '--service' || arg === '--service-monitor' || arg.startsWith('--pipe-handle=')) { /* accepted */ }
  else if (arg.startsWith('--user')) throw new DaemonError('--user is not supported by this implementation');
  else return false;
  return true;
}

/** make_pidfile_name: the default is <rundir>/<program>.pid; relative names are in the rundir. */
export function makePidfileName(name: string | undefined, programName: string, rundir = ovsRundir()): string {
  return !name ? `${rundir}/${programName}.pid` : absFileName(rundir, name);
}

export const DAEMON_USAGE = (programName: string, rundir = ovsRundir()) => `
Daemon options:
  --detach                run in background as daemon
  --monitor               creates a process to monitor this daemon
  --user=username[:group] changes the effective daemon user:group
  --no-chdir              do not chdir to '/'
  --pidfile[=FILE]        create pidfile (default: ${rundir}/${programName}.pid)
  --overwrite-pidfile     with --pidfile, start even if already running
`;

// ---------------------------------------------------------------- fcntl record locks (as OVS)
type LockFn = (fd: number, cmd: number, flock: Buffer) => number;
let fcntlFn: LockFn | null | undefined;

function fcntl(): LockFn | null {
  if (fcntlFn !== undefined) return fcntlFn;
  fcntlFn = null;
  if (process.platform !== 'linux' || process.arch !== 'x64' && process.arch !== 'arm64') return null;
  try {
    const require = createRequire(import.meta.url);
    const ffi = require('ffi-rs') as typeof import('ffi-rs');
    ffi.open({ library: 'libc_daemon', path: 'libc.so.6' });
    fcntlFn = (fd, cmd, flock) => {
      const r = ffi.load({
        library: 'libc_daemon', funcName: 'fcntl', retType: ffi.DataType.I32,
        paramsType: [ffi.DataType.I32, ffi.DataType.I32, ffi.DataType.U8Array], paramsValue: [fd, cmd, flock],
      });
      return r as number;
    };
  } catch {
    fcntlFn = null;
  }
  return fcntlFn;
}

const F_SETLK = 6;
const F_WRLCK = 1;

/** Takes a whole-file write lock on `fd` (struct flock on 64-bit Linux: type, whence, start, len, pid).
 *  Returns true when locked, false when someone else holds it, undefined when locks are unavailable. */
function lockFd(fd: number): boolean | undefined {
  const f = fcntl();
  if (!f) return undefined;
  const flock = Buffer.alloc(32);
  flock.writeInt16LE(F_WRLCK, 0);
  return f(fd, F_SETLK, flock) === 0;
}

function processAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** read_pidfile: the pid of the live process that owns `path`. Throws DaemonError with errno
 *  ENOENT (no file) or ESRCH (stale or unreadable). */
export function readPidfile(path: string): number {
  // Our own pidfile: never open it, since closing any fd of a file drops our fcntl lock on it.
  if (pidfilePath !== undefined && path === pidfilePath) return process.pid;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    log.warn(`${path}: open: ${strerror(err)}`);
    throw new DaemonError(`${path}: ${strerror(err)}`, err.code);
  }
  const pid = Number.parseInt(text, 10);
  if (!(pid > 0)) {
    log.warn(`${path}: read: unexpected end of file`);
    throw new DaemonError(`${path}: No such process`, 'ESRCH');
  }
  if (pid === process.pid) return pid;
  if (!processAlive(pid) || isStaleByLock(path)) throw new DaemonError(`${path}: No such process`, 'ESRCH');
  return pid;
}

/** With fcntl available: a pidfile nobody holds locked is stale. */
function isStaleByLock(path: string): boolean {
  if (!fcntl()) return false;
  let fd: number;
  try { fd = openSync(path, 'r+'); } catch { return true; }
  try {
    return lockFd(fd) === true; // we could lock it: nobody holds it (closing fd releases it)
  } finally {
    closeSync(fd);
  }
}

let pidfileFd = -1;
let pidfilePath: string | undefined;

/** make_pidfile: writes our pid to `path` (via PATH.tmp + rename), holding a lock on it. */
export function makePidfile(path: string, overwrite: boolean): void {
  // Only the run directory is made when missing (isInRundir); any other must exist, as for OVS.
  if (isInRundir(path)) mkdirSync(dirname(path), { recursive: true });
  const tmp = overwrite ? `${path}.tmp${process.pid}` : `${path}.tmp`;
  let fd: number;
  try {
    fd = openSync(tmp, 'a+');
  } catch (e) {
    throw new DaemonError(`${tmp}: create failed (${strerror(e as NodeJS.ErrnoException)})`);
  }
  if (lockFd(fd) === false) {
    closeSync(fd);
    throw new DaemonError(`${tmp}: fcntl(F_SETLK) failed (Resource temporarily unavailable)`);
  }
  addFileToUnlink(tmp);
  if (!overwrite) {
    let running: number | undefined;
    try {
      running = readPidfileQuiet(path);
    } catch { /* absent or stale */ }
    if (running !== undefined) {
      removeFileToUnlink(tmp);
      try { unlinkSync(tmp); } catch { /* ignore */ }
      closeSync(fd);
      throw new DaemonError(`${path}: already running as pid ${running}, aborting`);
    }
    try { unlinkSync(path); } catch { /* not there */ }
  }
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`);
  try {
    renameSync(tmp, path);
  } catch (e) {
    throw new DaemonError(`failed to rename "${tmp}" to "${path}" (${strerror(e as NodeJS.ErrnoException)})`);
  } finally {
    removeFileToUnlink(tmp);
  }
  addFileToUnlink(path);
  pidfileFd = fd;
  pidfilePath = path;
}

function readPidfileQuiet(path: string): number {
  if (pidfilePath !== undefined && path === pidfilePath) return process.pid;
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch { throw new DaemonError('absent', 'ENOENT'); }
  const pid = Number.parseInt(text, 10);
  if (!(pid > 0) || pid === process.pid || !processAlive(pid) || isStaleByLock(path)) throw new DaemonError('stale', 'ESRCH');
  return pid;
}

/** Removes our pidfile now (normally done at exit). */
export function removePidfile(): void {
  if (pidfilePath) {
    try { unlinkSync(pidfilePath); } catch { /* gone */ }
    removeFileToUnlink(pidfilePath);
    pidfilePath = undefined;
  }
  if (pidfileFd >= 0) { try { closeSync(pidfileFd); } catch { /* ignore */ } pidfileFd = -1; }
}

// ---------------------------------------------------------------- detach
const CHILD_ENV = 'OVS_PS_DETACHED_CHILD';
const READY_FD = 3;
const isDetachedChild = process.env[CHILD_ENV] === '1';
if (isDetachedChild) delete process.env[CHILD_ENV];
let started = false;
let completed = false;
let daemonOpts: DaemonOptions = defaultDaemonOptions();

/** True in the background process a --detach start created. */
export function runningDetached(): boolean {
  return isDetachedChild;
}

/** daemonize_start. In the foreground process of a --detach start this never returns: it re-spawns
 *  the program detached and exits when the child is ready (0) or has failed (its status). In the
 *  daemon it creates the pidfile. Throws DaemonError for pidfile problems. */
export async function daemonizeStart(opts: DaemonOptions, programName: string, keep: KeptStreams = {}): Promise<void> {
  if (started) return;
  started = true;
  daemonOpts = opts;
  installFatalSignalHandlers();
  if (opts.detach && !isDetachedChild) await detachAndWait(programName, keep);
  if (opts.pidfile !== undefined) makePidfile(makePidfileName(opts.pidfile, programName), opts.overwritePidfile);
}

/** daemonize_complete: tells the foreground process we are up, then chdir / (unless --no-chdir)
 *  and stops logging to the console (whose stderr is going away), unless the daemon kept its
 *  stderr (`keptStderr`, see KeptStreams). */
export function daemonizeComplete(keptStderr = false): void {
  if (completed) return;
  completed = true;
  if (!isDetachedChild) return;
  try {
    writeSync(READY_FD, '\0');
    closeSync(READY_FD);
  } catch { /* parent gone */ }
  if (!daemonOpts.noChdir) {
    try { process.chdir('/'); } catch { /* stay */ }
  }
  if (!keptStderr) vlog.setLevels(undefined, 'console', 'off');
  process.stderr.on('error', () => { /* foreground process has exited */ });
  process.stdout.on('error', () => { /* ignored */ });
}

/** daemon_save_fd: standard streams the daemon keeps (e.g. ovsdb-client monitor's output
 *  redirected to a file) instead of losing them when it detaches. */
export interface KeptStreams {
  stdout?: boolean;
  stderr?: boolean;
}

async function detachAndWait(programName: string, keep: KeptStreams): Promise<never> {
  const script = process.argv[1];
  const child = spawn(process.execPath, [...process.execArgv, script, ...process.argv.slice(2)], {
    detached: true,
    stdio: ['ignore', keep.stdout ? 'inherit' : 'ignore', keep.stderr ? 'inherit' : 'pipe', 'pipe'],
    env: { ...process.env, [CHILD_ENV]: '1' },
    cwd: process.cwd(),
  });
  let ready = false;
  child.stderr?.on('data', (d: Buffer) => { try { process.stderr.write(d); } catch { /* ignore */ } });
  const readyStream = child.stdio[READY_FD] as NodeJS.ReadableStream | null;
  return new Promise<never>(() => {
    readyStream?.on('data', () => {
      if (ready) return;
      ready = true;
      // Let stderr output written before the signal reach us, then leave the child running.
      setTimeout(() => process.exit(0), 20);
    });
    readyStream?.on('error', () => { /* child closed it */ });
    child.on('close', (code, signal) => {
      if (ready) return;
      if (code) process.exit(code);
      log.err(`fork child died before signaling startup (${signal ? `killed (${signal})` : `exit status ${code ?? 0}`})`);
      process.stderr.write(`${programName}: could not detach from foreground session\n`);
      process.exit(1);
    });
  });
}

// ---------------------------------------------------------------- program identity and fatal errors
/** The OVS release whose behaviour and protocols we follow. */
export const OVS_COMPAT_VERSION = '3.1.0';

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0';
  }
}

/** `PROGRAM (Open vSwitch) 3.1.0 (ovs-powershell X.Y.Z)`: the OVS form scripts parse, plus who we are. */
export function versionString(programName: string): string {
  return `${programName} (Open vSwitch) ${OVS_COMPAT_VERSION} (ovs-powershell ${packageVersion()})`;
}

/** ovs_fatal: prints `PROGRAM: MESSAGE[ (ERRNO TEXT)]` on stderr and exits 1 (cleanup runs). */
export function ovsFatal(programName: string, message: string, errno?: string): never {
  const text = errno ? `${message} (${strerror({ code: errno })})` : message;
  try { process.stderr.write(`${programName}: ${text}\n`); } catch { /* ignore */ }
  unlinkAll();
  process.exit(1);
}
