// The directories OVS programs use (lib/dirs.c semantics): each one comes from its OVS_* environment
// variable when that is set and non-empty, else from a default. Our defaults live under the
// project (./var/run/openvswitch, ./var/lib/openvswitch, ./var/log/openvswitch) on Linux. On
// Windows there is one data root, %ProgramData%\openvswitch (C:\ProgramData\openvswitch), shared
// by the engine, the PowerShell module, Install-OvsService and the MSI (which creates it):
//   conf.db directly in it, run\ (db.sock, pidfiles, control pipes' names), log\, etc\.
// (The Windows install guide of OVS used C:\openvswitch\...; give OVS_* variables or --rundir=
// etc. to keep that layout.) The schemas always come from the engine's own manifests/.
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { projectRoot } from '../setup/paths.js';

export type OvsEnv = Record<string, string | undefined>;

/** The Windows data root: %ProgramData%\openvswitch (forward slashes, as the engine joins paths). */
export function windowsDataRoot(env: OvsEnv = process.env): string {
  const programData = fromEnv(env, 'ProgramData') ?? fromEnv(env, 'PROGRAMDATA') ?? 'C:\\ProgramData';
  return `${programData.replace(/[\\/]+$/, '').replace(/\\/g, '/')}/openvswitch`;
}

function fromEnv(env: OvsEnv, name: string): string | undefined {
  const v = env[name];
  return v !== undefined && v !== '' ? v : undefined;
}

function onWindows(): boolean {
  return process.platform === 'win32';
}

/** Run-time files: pidfiles, control sockets, db.sock. */
export function ovsRundir(env: OvsEnv = process.env): string {
  return fromEnv(env, 'OVS_RUNDIR')
    ?? (onWindows() ? `${windowsDataRoot(env)}/run` : join(projectRoot, 'var', 'run', 'openvswitch'));
}

/** Whether `file` lies directly in the run directory: the one directory our daemons make when
 *  missing (a fresh checkout has no var/run/openvswitch), as ovs-ctl makes OVS's. */
export function isInRundir(file: string, env: OvsEnv = process.env): boolean {
  return dirname(resolve(file)) === resolve(ovsRundir(env));
}

/** Log files (<logdir>/<program>.log). */
export function ovsLogdir(env: OvsEnv = process.env): string {
  return fromEnv(env, 'OVS_LOGDIR')
    ?? (onWindows() ? `${windowsDataRoot(env)}/log` : join(projectRoot, 'var', 'log', 'openvswitch'));
}

/** Configuration directory (etc). */
export function ovsSysconfdir(env: OvsEnv = process.env): string {
  return fromEnv(env, 'OVS_SYSCONFDIR')
    ?? (onWindows() ? `${windowsDataRoot(env)}/etc` : join(projectRoot, 'etc'));
}

/** Database directory: OVS_DBDIR, else $OVS_SYSCONFDIR/openvswitch when that is set, else the default
 *  (./var/lib/openvswitch; the data root C:\ProgramData\openvswitch on Windows, where the MSI puts conf.db). */
export function ovsDbdir(env: OvsEnv = process.env): string {
  const dbdir = fromEnv(env, 'OVS_DBDIR');
  if (dbdir) return dbdir;
  const sysconf = fromEnv(env, 'OVS_SYSCONFDIR');
  if (sysconf) return `${sysconf}/openvswitch`;
  return onWindows() ? windowsDataRoot(env) : join(projectRoot, 'var', 'lib', 'openvswitch');
}

/** Package data: the schemas (vswitch.ovsschema). Ours ship in manifests/ beside the engine, on
 *  every platform (an installed engine carries them in <module>/engine/manifests). */
export function ovsPkgdatadir(env: OvsEnv = process.env): string {
  return fromEnv(env, 'OVS_PKGDATADIR') ?? join(projectRoot, 'manifests');
}

export interface OvsDirs {
  rundir: string;
  logdir: string;
  dbdir: string;
  sysconfdir: string;
  pkgdatadir: string;
}

export function ovsDirs(env: OvsEnv = process.env): OvsDirs {
  return {
    rundir: ovsRundir(env), logdir: ovsLogdir(env), dbdir: ovsDbdir(env),
    sysconfdir: ovsSysconfdir(env), pkgdatadir: ovsPkgdatadir(env),
  };
}

/** OVS's abs_file_name(dir, name): `name` if absolute, else dir/name. */
export function absFileName(dir: string, name: string): string {
  if (isAbsolute(name) || (onWindows() && /^[A-Za-z]:/.test(name))) return name;
  return resolve(dir, name);
}

/** The OS endpoint for a local socket path: the path itself on POSIX; on Windows the named pipe OVS
 *  uses for it (\\.\pipe\ followed by the path without its slashes; same rule as rpc/stream.ts). */
export function localSocketEndpoint(path: string): string {
  if (!onWindows()) return path;
  if (path.toLowerCase().startsWith('\\\\.\\pipe\\')) return path;
  return '\\\\.\\pipe\\' + path.replace(/[\\/]/g, '');
}
