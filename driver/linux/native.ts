// The few libc calls the Linux datapath needs (socket, bind, ioctl, setsockopt, poll, epoll,
// eventfd, if_nametoindex, fcntl), through ffi-rs. Each call costs about 2 µs, so these serve setup and idle
// waits only; frames move with fs.readSync/fs.writeSync on the returned fds.
// ffi-rs passes a Buffer argument by pointer without copying, so ioctl/poll results land in it.
import { closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { OvsError } from '../../engine/util/errors.js';

/** A libc call failed; `errno` is the C errno, `call` the function and what it was for. */
export class NativeCallError extends OvsError {
  readonly errno: number;
  readonly call: string;
  constructor(call: string, errno: number, message: string) {
    super('OVS_E_NATIVE', `${call} failed: ${message} (errno ${errno})`);
    this.errno = errno;
    this.call = call;
  }
}

interface FfiModule {
  open(p: { library: string; path: string }): void;
  load(p: { library: string; funcName: string; retType: number; paramsType: number[]; paramsValue: unknown[]; errno: true }): { value: number; errnoCode: number; errnoMessage: string };
  load(p: { library: string; funcName: string; retType: number; paramsType: number[]; paramsValue: unknown[] }): unknown;
  createExternalBuffer(external: unknown, length: number): Buffer;
  arrayConstructor(o: { type: number; length: number }): unknown;
  DataType: { I32: number; I64: number; U64: number; U8Array: number; String: number; U32: number; External: number; BigInt: number };
}

const LIB = 'ovsps-libc';
let ffi: FfiModule | undefined;

function lib(): FfiModule {
  if (!ffi) {
    const require = createRequire(import.meta.url);
    const m = require('ffi-rs') as FfiModule;
    m.open({ library: LIB, path: '' }); // '' = the symbols already in the process (libc)
    ffi = m;
  }
  return ffi;
}

type Arg = { i32: number } | { u64: number } | { buf: Buffer } | { str: string };

function call(funcName: string, what: string, args: Arg[]): number {
  const m = lib();
  const types: number[] = [];
  const values: unknown[] = [];
  for (const a of args) {
    if ('i32' in a) { types.push(m.DataType.I32); values.push(a.i32); }
    else if ('u64' in a) { types.push(m.DataType.U64); values.push(a.u64); }
    else if ('buf' in a) { types.push(m.DataType.U8Array); values.push(a.buf); }
    else { types.push(m.DataType.String); values.push(a.str); }
  }
  const r = m.load({ library: LIB, funcName, retType: m.DataType.I32, paramsType: types, paramsValue: values, errno: true });
  if (r.value < 0) throw new NativeCallError(`${funcName}(${what})`, r.errnoCode, r.errnoMessage.replace(/ \(os error \d+\)$/, ''));
  return r.value;
}

export const AF_INET = 2;
export const AF_PACKET = 17;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const IPPROTO_UDP = 17;
export const IPPROTO_RAW = 255;
export const SOL_IP = 0;
export const IP_MTU = 14;
export const SO_REUSEADDR = 2;
export const SO_ATTACH_FILTER = 26;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const O_NONBLOCK = 0o4000;
export const SOL_SOCKET = 1;
export const SOL_PACKET = 263;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_SNDBUFFORCE = 32;
export const SO_RCVBUFFORCE = 33;
export const PACKET_ADD_MEMBERSHIP = 1;
export const PACKET_MR_PROMISC = 1;
export const PACKET_IGNORE_OUTGOING = 23;
export const PACKET_RX_RING = 5;
export const PACKET_VERSION = 10;
export const PACKET_RESERVE = 12;
export const TPACKET_V2 = 1;
export const ETH_P_ALL = 0x0003;
export const TUNSETIFF = 0x400454ca;
export const SIOCGIFFLAGS = 0x8913;
export const SIOCSIFFLAGS = 0x8914;
export const SIOCGIFMTU = 0x8921;
export const SIOCSIFMTU = 0x8922;
export const SIOCGIFHWADDR = 0x8927;
export const SIOCSIFHWADDR = 0x8924;
export const IFF_UP = 0x1;
export const IFF_TAP = 0x0002;
export const IFF_NO_PI = 0x1000;
export const IFNAMSIZ = 16;
export const EAGAIN = 11;
export const POLLIN = 0x1;

export function socket(domain: number, type: number, protocol: number): number {
  return call('socket', `domain ${domain}, type ${type}`, [{ i32: domain }, { i32: type }, { i32: protocol }]);
}

export function bind(fd: number, addr: Buffer): void {
  call('bind', `fd ${fd}`, [{ i32: fd }, { buf: addr }, { i32: addr.length }]);
}

export function ioctl(fd: number, request: number, arg: Buffer, what = ''): number {
  return call('ioctl', `fd ${fd}, request 0x${request.toString(16)}${what ? `, ${what}` : ''}`, [{ i32: fd }, { u64: request }, { buf: arg }]);
}

export function setsockopt(fd: number, level: number, name: number, value: Buffer): void {
  call('setsockopt', `fd ${fd}, level ${level}, option ${name}`, [{ i32: fd }, { i32: level }, { i32: name }, { buf: value }, { i32: value.length }]);
}

export function connect(fd: number, addr: Buffer): void {
  call('connect', `fd ${fd}`, [{ i32: fd }, { buf: addr }, { i32: addr.length }]);
}

/** The local address a socket is bound to (struct sockaddr, `size` bytes of room). */
export function getsockname(fd: number, size = 16): Buffer {
  const addr = Buffer.alloc(size);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(size, 0);
  call('getsockname', `fd ${fd}`, [{ i32: fd }, { buf: addr }, { buf: len }]);
  return addr;
}

/** sendto(2) of one datagram to `addr` (a struct sockaddr); returns the bytes sent. */
export function sendto(fd: number, msg: Buffer, addr: Buffer, what = `fd ${fd}`): number {
  return call('sendto', what, [{ i32: fd }, { buf: msg }, { u64: msg.length }, { i32: 0 }, { buf: addr }, { i32: addr.length }]);
}

export function getsockoptInt(fd: number, level: number, name: number): number {
  const v = Buffer.alloc(4);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(4, 0);
  call('getsockopt', `fd ${fd}, level ${level}, option ${name}`, [{ i32: fd }, { i32: level }, { i32: name }, { buf: v }, { buf: len }]);
  return v.readInt32LE(0);
}

/** The address of a Buffer's first byte as libc sees it (ffi-rs passes Buffers by pointer). Valid
 *  only while the Buffer is referenced; for structures that point at other memory (sock_fprog). */
export function bufferAddress(buf: Buffer): bigint {
  const m = lib();
  return m.load({ library: LIB, funcName: 'memcpy', retType: m.DataType.BigInt, paramsType: [m.DataType.U8Array, m.DataType.U8Array, m.DataType.U64], paramsValue: [buf, buf, 0] }) as bigint;
}

export function setsockoptInt(fd: number, level: number, name: number, value: number): void {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value, 0);
  setsockopt(fd, level, name, b);
}

/** poll(2) on a prepared `struct pollfd` array (8 bytes each); returns the number ready. */
export function poll(fds: Buffer, count: number, timeoutMs: number): number {
  try {
    return call('poll', `${count} fds`, [{ buf: fds }, { u64: count }, { i32: timeoutMs }]);
  } catch (e) {
    if (e instanceof NativeCallError && e.errno === 4) return 0; // EINTR
    throw e;
  }
}

export const EPOLLIN = 0x1;
export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
/** sizeof(struct epoll_event): packed (u32 events, u64 data) on x86-64, 8-aligned elsewhere. */
export const EPOLL_EVENT_SIZE = process.arch === 'x64' ? 12 : 16;
const EPOLL_DATA_OFFSET = process.arch === 'x64' ? 4 : 8;

/** A close-on-exec epoll instance. */
export function epollCreate(): number {
  return call('epoll_create1', 'EPOLL_CLOEXEC', [{ i32: 0o2000000 }]);
}

/** Adds (EPOLLIN, level-triggered) or removes `fd`; `tag` (a u32) comes back with its events. */
export function epollCtl(epfd: number, op: number, fd: number, tag: number): void {
  const ev = Buffer.alloc(EPOLL_EVENT_SIZE);
  ev.writeUInt32LE(EPOLLIN, 0);
  ev.writeUInt32LE(tag >>> 0, EPOLL_DATA_OFFSET);
  call('epoll_ctl', `epfd ${epfd}, op ${op}, fd ${fd}`, [{ i32: epfd }, { i32: op }, { i32: fd }, { buf: ev }]);
}

/** The prepared ffi-rs call of epoll_wait for one events buffer: built once and reused, and without
 *  errno (which formats a message string every call), it costs about a third less than call()
 *  (measured 10-15 µs against 15-21 µs on a loaded 2-core machine). A worker calls it each time it
 *  goes idle and every few busy rounds. */
let epollCall: { epfd: number; events: Buffer; params: { library: string; funcName: string; retType: number; paramsType: unknown[]; paramsValue: unknown[] } } | undefined;

/** epoll_wait into `events` (room for `max` entries); returns how many are ready (0 on EINTR). */
export function epollWait(epfd: number, events: Buffer, max: number, timeoutMs: number): number {
  const m = lib();
  if (epollCall === undefined || epollCall.epfd !== epfd || epollCall.events !== events) {
    epollCall = { epfd, events, params: { library: LIB, funcName: 'epoll_wait', retType: m.DataType.I32,
      paramsType: [m.DataType.I32, m.arrayConstructor({ type: m.DataType.U8Array, length: events.length }), m.DataType.I32, m.DataType.I32],
      paramsValue: [epfd, events, max, timeoutMs] } };
  }
  const v = epollCall.params.paramsValue;
  v[2] = max;
  v[3] = timeoutMs;
  const n = (m.load as unknown as (p: unknown) => number)(epollCall.params);
  if (n >= 0) return n;
  // Failed: look again (without waiting) with errno, to tell EINTR (nothing ready) from a real error.
  try {
    return call('epoll_wait', `epfd ${epfd}`, [{ i32: epfd }, { buf: events }, { i32: max }, { i32: 0 }]);
  } catch (e) {
    if (e instanceof NativeCallError && e.errno === 4) return 0; // EINTR
    throw e;
  }
}

/** The tag of the i-th event epollWait returned. */
export function epollTag(events: Buffer, i: number): number {
  return events.readUInt32LE(i * EPOLL_EVENT_SIZE + EPOLL_DATA_OFFSET);
}

/** A non-blocking, close-on-exec eventfd, used to wake a thread sleeping in poll(). */
export function eventfd(): number {
  return call('eventfd', 'wakeup', [{ i32: 0 }, { i32: 0o4000 | 0o2000000 }]);
}

export function ifNameToIndex(name: string): number {
  const r = lib().load({ library: LIB, funcName: 'if_nametoindex', retType: lib().DataType.U32, paramsType: [lib().DataType.String], paramsValue: [name], errno: true });
  return r.value;
}

export function setNonBlocking(fd: number): void {
  const F_GETFL = 3, F_SETFL = 4;
  const flags = call('fcntl', `fd ${fd}, F_GETFL`, [{ i32: fd }, { i32: F_GETFL }, { i32: 0 }]);
  call('fcntl', `fd ${fd}, F_SETFL`, [{ i32: fd }, { i32: F_SETFL }, { i32: flags | O_NONBLOCK }]);
}

/** A region mmap()ed from an fd (MAP_SHARED, read/write), seen as a Buffer without copying. */
export interface MappedRegion { buffer: Buffer; unmap(): void }

export function mmapShared(fd: number, length: number, what: string): MappedRegion {
  const m = lib();
  const D = m.DataType;
  const r = m.load({ library: LIB, funcName: 'mmap', retType: D.External, paramsType: [D.U64, D.U64, D.I32, D.I32, D.I32, D.I64], paramsValue: [0, length, 3 /* PROT_READ|PROT_WRITE */, 1 /* MAP_SHARED */, fd, 0], errno: true }) as unknown as { value: unknown; errnoCode: number; errnoMessage: string };
  // mmap reports failure as (void *)-1; memcpy(p, p, 0) returns p, which shows the address.
  const addr = m.load({ library: LIB, funcName: 'memcpy', retType: D.BigInt, paramsType: [D.External, D.External, D.U64], paramsValue: [r.value, r.value, 0] }) as bigint;
  if (addr === -1n || addr === 0n) throw new NativeCallError(`mmap(${what})`, r.errnoCode, r.errnoMessage.replace(/ \(os error \d+\)$/, ''));
  const buffer = m.createExternalBuffer(r.value, length);
  let mapped = true;
  return {
    buffer,
    unmap() {
      if (!mapped) return;
      mapped = false;
      m.load({ library: LIB, funcName: 'munmap', retType: D.I32, paramsType: [D.External, D.U64], paramsValue: [r.value, length] });
    },
  };
}

/** A `struct ifreq` (40 bytes) with the interface name filled in. */
export function ifreq(name: string): Buffer {
  checkIfName(name);
  const b = Buffer.alloc(40);
  b.write(name, 0, 'latin1');
  return b;
}

export function checkIfName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) >= IFNAMSIZ || /[\s/:\0]/.test(name) || name === '.' || name === '..') {
    throw new InvalidInterfaceNameError(name);
  }
}

export class InvalidInterfaceNameError extends OvsError {
  constructor(name: unknown) {
    super('OVS_E_INVALID_INPUT', `invalid interface name ${JSON.stringify(name)}: expected 1-15 bytes without whitespace, '/', ':'`);
  }
}

/** Runs `fn` with a throwaway AF_INET datagram socket, the handle SIOC*IF* ioctls need. */
export function withControlSocket<T>(fn: (fd: number) => T): T {
  const fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  try {
    return fn(fd);
  } finally {
    closeFd(fd);
  }
}

export function closeFd(fd: number): void {
  try { closeSync(fd); } catch { /* already closed */ }
}
