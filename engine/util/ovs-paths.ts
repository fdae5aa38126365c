// The directories OVS programs use (lib/dirs.c semantics): each one comes from its OVS_* environment
// variable when that is set and non-empty, else from a default. Our defaults live under the
// project (./var/run/openvswitch, ./var/lib/openvswitch, ./var/log/openvswitch) on Linux, and
// under C:\openvswitch\... on Windows, the layout of the Windows install guide.
import { isAbsolute, join, resolve } from 'node:path';
import { projectRoot } from '../setup/paths.js';

export type OvsEnv = Record<string, string | undefined>;

const WINDOWS_ROOT = 'C:/openvswitch';

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
    ?? (onWindows() ? `${WINDOWS_ROOT}/var/run/openvswitch` : join(projectRoot, 'var', 'run', 'openvswitch'));
}

/** Log files (<logdir>/<program>.log). */
export function ovsLogdir(env: OvsEnv = process.env): string {
  return fromEnv(env, 'OVS_LOGDIR')
    ?? (onWindows() ? `${WINDOWS_ROOT}/var/log/openvswitch` : join(projectRoot, 'var', 'log', 'openvswitch'));
}

/** Configuration directory (etc). */
export function ovsSysconfdir(env: OvsEnv = process.env): string {
  return fromEnv(env, 'OVS_SYSCONFDIR')
    ?? (onWindows() ? `${WINDOWS_ROOT}/etc` : join(projectRoot, 'etc'));
}

/** Database directory: OVS_DBDIR, else $OVS_SYSCONFDIR/openvswitch when that is set, else the default
 *  (./var/lib/openvswitch; C:\openvswitch\etc\openvswitch on Windows, where the guide puts conf.db). */
export function ovsDbdir(env: OvsEnv = process.env): string {
  const dbdir = fromEnv(env, 'OVS_DBDIR');
  if (dbdir) return dbdir;
  const sysconf = fromEnv(env, 'OVS_SYSCONFDIR');
  if (sysconf) return `${sysconf}/openvswitch`;
  return onWindows() ? `${WINDOWS_ROOT}/etc/openvswitch` : join(projectRoot, 'var', 'lib', 'openvswitch');
}

/** Package data: the schemas (vswitch.ovsschema). Ours ship in manifests/. */
export function ovsPkgdatadir(env: OvsEnv = process.env): string {
  return fromEnv(env, 'OVS_PKGDATADIR')
    ?? (onWindows() ? `${WINDOWS_ROOT}/usr/share/openvswitch` : join(projectRoot, 'manifests'));
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
