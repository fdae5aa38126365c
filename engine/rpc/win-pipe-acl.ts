// Access to the engine's named pipes on Windows (punix:/unix: remotes and the unixctl control
// socket become \\.\pipe\<name>, see stream.ts): Administrators, SYSTEM and the account the engine
// runs as, nobody else. libuv creates a pipe with the default DACL (full control for SYSTEM,
// Administrators and the creator owner; READ for Everyone and ANONYMOUS LOGON) and Node has no
// option to pass a security descriptor, so the DACL is replaced right after listen():
//
// 1. The pipe is opened by name with READ_CONTROL | WRITE_DAC only (CreateFileW). A named pipe's
//    security descriptor belongs to the pipe, not to one instance, so setting it through any handle
//    covers the instances libuv creates later. (libuv's own uv_pipe_chmod works the same way.)
// 2. SetSecurityInfo(SE_KERNEL_OBJECT, DACL | PROTECTED_DACL) with the ACL below: no inherited
//    entries, FILE_ALL_ACCESS for SYSTEM, Administrators and OWNER RIGHTS. The owner entry keeps the
//    engine able to create the next instances (FILE_CREATE_PIPE_INSTANCE) when it does not run as
//    an administrator; the service runs as SYSTEM, so there it adds nobody.
// 3. The handle is closed. The open was a client connection, so the server sees one session that
//    ends at once. Connections made between listen() and the change could only read (default
//    DACL): they cannot send a request, and the server sends nothing unsolicited on pipes.
//
// The ACL is built here byte by byte (documented ACL/ACE/SID layout) rather than from SDDL, so no
// pointer returned by Windows has to be read or freed. Untested on Windows from this machine: the
// Windows workflow's service smoke (packaging/windows-service-smoke.ps1) reads the pipe's DACL back.
import { createRequire } from 'node:module';

/** The DACL the engine's pipes get, in SDDL (FA = FILE_ALL_ACCESS, OW = OWNER RIGHTS). */
export const PIPE_SDDL = 'D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;OW)';

const FILE_ALL_ACCESS = 0x001f01ff;
const ACL_REVISION = 2;
const ACCESS_ALLOWED_ACE_TYPE = 0;

/** Well-known SIDs of PIPE_SDDL: identifier authority and sub-authorities. */
const TRUSTEES: Record<string, { authority: number; subs: number[] }> = {
  SY: { authority: 5, subs: [18] }, // S-1-5-18 LocalSystem
  BA: { authority: 5, subs: [32, 544] }, // S-1-5-32-544 BUILTIN\Administrators
  OW: { authority: 3, subs: [4] }, // S-1-3-4 OWNER RIGHTS
};

function sidBytes(authority: number, subs: number[]): Buffer {
  const b = Buffer.alloc(8 + 4 * subs.length);
  b[0] = 1; // revision
  b[1] = subs.length;
  b.writeUIntBE(authority, 2, 6);
  subs.forEach((s, i) => b.writeUInt32LE(s, 8 + 4 * i));
  return b;
}

/** The binary ACL (winnt.h ACL + ACCESS_ALLOWED_ACE entries) for `trustees`, each with `mask`. */
export function pipeAclBytes(trustees: string[] = ['SY', 'BA', 'OW'], mask = FILE_ALL_ACCESS): Buffer {
  const aces = trustees.map((t) => {
    const w = TRUSTEES[t];
    if (!w) throw new RangeError(`unknown trustee "${t}" (expected one of ${Object.keys(TRUSTEES).join(', ')})`);
    const sid = sidBytes(w.authority, w.subs);
    const ace = Buffer.alloc(8 + sid.length);
    ace[0] = ACCESS_ALLOWED_ACE_TYPE;
    ace[1] = 0; // flags: no inheritance
    ace.writeUInt16LE(ace.length, 2);
    ace.writeUInt32LE(mask >>> 0, 4);
    sid.copy(ace, 8);
    return ace;
  });
  const size = 8 + aces.reduce((n, a) => n + a.length, 0);
  const head = Buffer.alloc(8);
  head[0] = ACL_REVISION;
  head.writeUInt16LE(size, 2);
  head.writeUInt16LE(aces.length, 4);
  return Buffer.concat([head, ...aces]);
}

/** The Win32 calls this module makes (kernel32/advapi32 through ffi-rs on Windows; tests pass
 *  their own). Each returns the call's value and, where it failed, GetLastError. */
export interface PipeSecurityApi {
  /** CreateFileW(name, access, 0, NULL, OPEN_EXISTING, 0, NULL): a handle, or -1 with the error. */
  openPipe(name: string, access: number): { handle: number; error: number };
  /** WaitNamedPipeW(name, ms): true when an instance is free. */
  waitPipe(name: string, ms: number): boolean;
  /** SetSecurityInfo(handle, SE_KERNEL_OBJECT, info, NULL, NULL, acl, NULL): the Win32 error, 0 on success. */
  setDacl(handle: number, info: number, acl: Buffer): number;
  closeHandle(handle: number): void;
}

export const READ_CONTROL = 0x00020000;
export const WRITE_DAC = 0x00040000;
export const DACL_SECURITY_INFORMATION = 0x00000004;
export const PROTECTED_DACL_SECURITY_INFORMATION = 0x80000000;
const ERROR_PIPE_BUSY = 231;

export class PipeAclError extends Error {
  readonly code = 'OVSPS_PIPE_ACL';
  constructor(readonly pipe: string, readonly win32Error: number, what: string) {
    super(`${pipe}: ${what} failed with Windows error ${win32Error}; the pipe keeps its default DACL (Everyone may read, only SYSTEM, Administrators and the owner may write)`);
  }
}

/** Replaces the DACL of the listening pipe `pipe` (\\.\pipe\NAME) with PIPE_SDDL. Throws
 *  PipeAclError naming the pipe and the Windows error when it cannot. */
export function restrictPipeAccess(pipe: string, api: PipeSecurityApi = win32PipeSecurityApi()): void {
  let opened = api.openPipe(pipe, READ_CONTROL | WRITE_DAC);
  // Every instance busy (clients connecting at this moment): wait for one, a few times.
  for (let i = 0; i < 5 && opened.handle === -1 && opened.error === ERROR_PIPE_BUSY; i++) {
    api.waitPipe(pipe, 1000);
    opened = api.openPipe(pipe, READ_CONTROL | WRITE_DAC);
  }
  if (opened.handle === -1) throw new PipeAclError(pipe, opened.error, 'opening the pipe to change its DACL');
  try {
    const err = api.setDacl(opened.handle, (DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION) >>> 0, pipeAclBytes());
    if (err !== 0) throw new PipeAclError(pipe, err, 'SetSecurityInfo');
  } finally {
    api.closeHandle(opened.handle);
  }
}

/** One line for the log once a pipe's access is restricted. */
export function pipeAccessNote(pipe: string): string {
  return `${pipe}: access restricted to SYSTEM, Administrators and the engine's account (${PIPE_SDDL})`;
}
/** Restricts a Windows pipe just created by listen() as restrictPipeAccess does; never throws. */
export function applyPipeAccess(pipe: string): { ok: boolean; message: string } {
  try {
    restrictPipeAccess(pipe);
    return { ok: true, message: pipeAccessNote(pipe) };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

interface FfiRet { value: unknown; errnoCode: number }
interface Ffi {
  open(p: { library: string; path: string }): void;
  load(p: { library: string; funcName: string; retType: number; paramsType: number[]; paramsValue: unknown[]; errno?: boolean }): FfiRet;
  DataType: { I32: number; I64: number; U8Array: number; WString: number; Boolean: number };
}

let api: PipeSecurityApi | undefined;

/** kernel32 and advapi32 through ffi-rs (loaded on first use, on Windows only). */
export function win32PipeSecurityApi(): PipeSecurityApi {
  if (api) return api;
  if (process.platform !== 'win32') throw new PipeAclError('(no pipe)', 50, 'restricting a named pipe (not Windows)');
  const ffi = createRequire(import.meta.url)('ffi-rs') as Ffi;
  ffi.open({ library: 'ovsps-pipe-kernel32', path: 'kernel32.dll' });
  ffi.open({ library: 'ovsps-pipe-advapi32', path: 'advapi32.dll' });
  const T = ffi.DataType;
  const k32 = (funcName: string, retType: number, paramsType: number[], paramsValue: unknown[]) =>
    ffi.load({ library: 'ovsps-pipe-kernel32', funcName, retType, paramsType, paramsValue, errno: true });
  api = {
    openPipe(name, access) {
      const r = k32('CreateFileW', T.I64, [T.WString, T.I32, T.I32, T.I64, T.I32, T.I32, T.I64], [name, access | 0, 0, 0, 3 /* OPEN_EXISTING */, 0, 0]);
      const h = Number(r.value);
      return h === -1 || h === 0 ? { handle: -1, error: r.errnoCode } : { handle: h, error: 0 };
    },
    waitPipe(name, ms) { return !!k32('WaitNamedPipeW', T.Boolean, [T.WString, T.I32], [name, ms]).value; },
    setDacl(handle, info, acl) {
      const r = ffi.load({ library: 'ovsps-pipe-advapi32', funcName: 'SetSecurityInfo', retType: T.I32,
        paramsType: [T.I64, T.I32, T.I32, T.I64, T.I64, T.U8Array, T.I64], paramsValue: [handle, 6 /* SE_KERNEL_OBJECT */, info | 0, 0, 0, acl, 0] });
      return Number(r.value);
    },
    closeHandle(handle) { k32('CloseHandle', T.Boolean, [T.I64], [handle]); },
  };
  return api;
}
