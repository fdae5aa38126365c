// Who is on the other end of a JSON-RPC connection, for audit lines and RBAC:
//   unix socket: the peer's pid/uid/gid from SO_PEERCRED (getsockopt through ffi-rs, Linux only)
//                and the command name from /proc/<pid>/comm;
//   TLS:         the client certificate's subject and common name (the CN is OVS's client id
//                for RBAC, as stream-ssl.c sets the peer id);
//   TCP:         the peer address and port.
// Reading credentials never throws: what cannot be learned is left out.
import type { Duplex } from 'node:stream';
import { closeSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

export interface PeerIdentity {
  transport: 'unix' | 'pipe' | 'tcp' | 'ssl' | 'stream';
  address?: string;
  port?: number;
  pid?: number;
  uid?: number;
  gid?: number;
  /** The peer process's command name (/proc/<pid>/comm). */
  command?: string;
  /** TLS client certificate subject, e.g. "CN=client,O=Example". */
  subject?: string;
  /** TLS client certificate common name: the id RBAC compares against. */
  cn?: string;
}

interface FfiLib {
  open(p: { library: string; path: string }): void;
  load(p: { library: string; funcName: string; retType: number; paramsType: number[]; paramsValue: unknown[]; errno: true }): { value: number; errnoCode: number };
  DataType: { I32: number; U8Array: number };
}

const LIB = 'ovsps-peercred-libc';
let ffi: FfiLib | null | undefined;

function libc(): FfiLib | null {
  if (ffi !== undefined) return ffi;
  try {
    const m = createRequire(import.meta.url)('ffi-rs') as FfiLib;
    m.open({ library: LIB, path: '' });
    ffi = m;
  } catch {
    ffi = null;
  }
  return ffi;
}

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;

/** SO_PEERCRED of a connected AF_UNIX socket fd (Linux); undefined when unavailable. */
export function peerCredentials(fd: number): { pid: number; uid: number; gid: number } | undefined {
  if (process.platform !== 'linux' || !(fd >= 0)) return undefined;
  const m = libc();
  if (!m) return undefined;
  const val = Buffer.alloc(12);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(12);
  try {
    const r = m.load({
      library: LIB, funcName: 'getsockopt', retType: m.DataType.I32,
      paramsType: [m.DataType.I32, m.DataType.I32, m.DataType.I32, m.DataType.U8Array, m.DataType.U8Array],
      paramsValue: [fd, SOL_SOCKET, SO_PEERCRED, val, len], errno: true,
    });
    if (r.value !== 0 || len.readUInt32LE(0) < 12) return undefined;
  } catch {
    return undefined;
  }
  const pid = val.readInt32LE(0);
  if (pid <= 0) return undefined;
  return { pid, uid: val.readUInt32LE(4), gid: val.readUInt32LE(8) };
}

function socketFd(s: Socket): number | undefined {
  const fd = (s as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

const commBuf = Buffer.alloc(64);

/** /proc/<pid>/comm (at most 16 bytes): open, one read, close. */
function commandOf(pid: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(`/proc/${pid}/comm`, 'r');
    const n = readSync(fd, commBuf, 0, commBuf.length, 0);
    return commBuf.toString('utf8', 0, n).trim() || undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Everything learnable about the peer of `stream` (call while it is connected). */
export function identifyPeer(stream: Duplex): PeerIdentity {
  if (stream instanceof TLSSocket) {
    const id: PeerIdentity = { transport: 'ssl', address: stream.remoteAddress, port: stream.remotePort };
    try {
      const x = stream.getPeerX509Certificate();
      if (x) {
        id.subject = x.subject.split('\n').filter((p) => p !== '').join(',');
        const cn = /(?:^|\n)CN=([^\n]*)/.exec(x.subject);
        if (cn) id.cn = cn[1];
      }
    } catch { /* no certificate */ }
    return id;
  }
  if (stream instanceof Socket) {
    if (stream.remoteAddress !== undefined) return { transport: 'tcp', address: stream.remoteAddress, port: stream.remotePort };
    if (process.platform === 'win32') return { transport: 'pipe' };
    const id: PeerIdentity = { transport: 'unix' };
    const fd = socketFd(stream);
    const cred = fd === undefined ? undefined : peerCredentials(fd);
    if (cred) {
      Object.assign(id, cred);
      const c = commandOf(cred.pid);
      if (c) id.command = c;
    }
    return id;
  }
  return { transport: 'stream' };
}

/** identifyPeer(stream) as a function that works it out once, on first call. TLS and TCP peers
 *  are identified at once (cheap, and RBAC needs the certificate's CN); a unix peer's credentials
 *  (a getsockopt through ffi-rs and a /proc read, a fraction of a millisecond) wait until asked
 *  for, so a connection whose peer nobody asks about does not pay for them. */
export function lazyPeerIdentity(stream: Duplex): () => PeerIdentity {
  let id: PeerIdentity | undefined;
  const isUnix = stream instanceof Socket && !(stream instanceof TLSSocket) && stream.remoteAddress === undefined && process.platform !== 'win32';
  if (!isUnix) id = identifyPeer(stream);
  return () => (id ??= identifyPeer(stream));
}

/** One-line description for logs, e.g. "unix pid=123 uid=0 gid=0 (ovs-vsctl)", "ssl CN=ctl 10.0.0.1:4242". */
export function describePeer(id: PeerIdentity): string {
  const parts: string[] = [id.transport];
  if (id.subject !== undefined) parts.push(`subject="${id.subject}"`);
  if (id.pid !== undefined) parts.push(`pid=${id.pid} uid=${id.uid} gid=${id.gid}${id.command ? ` (${id.command})` : ''}`);
  if (id.address !== undefined) parts.push(id.address.includes(':') ? `[${id.address}]:${id.port}` : `${id.address}:${id.port}`);
  return parts.join(' ');
}
