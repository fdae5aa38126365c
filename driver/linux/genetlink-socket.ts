// One AF_NETLINK/NETLINK_GENERIC socket: opened non-blocking, bound with a kernel-chosen port id
// (read back with getsockname), with big buffers and optional multicast membership. Bytes move
// with fs.readSync/fs.writeSync on the fd.
import { readSync, writeSync } from 'node:fs';
import * as n from './native.js';

export const AF_NETLINK = 16;
export const NETLINK_GENERIC = 16;
export const SOL_NETLINK = 270;
export const NETLINK_ADD_MEMBERSHIP = 1;
export const NETLINK_DROP_MEMBERSHIP = 2;
const SOCKADDR_NL_LEN = 12; // struct sockaddr_nl: u16 family, u16 pad, u32 pid, u32 groups

/** The port id the kernel bound `fd` to (getsockname on a struct sockaddr_nl). */
function boundPortId(fd: number): number {
  const addr = n.getsockname(fd, SOCKADDR_NL_LEN);
  if (addr.readUInt16LE(0) !== AF_NETLINK) throw new n.NativeCallError(`getsockname(fd ${fd})`, 0, `address family ${addr.readUInt16LE(0)}, expected AF_NETLINK`);
  return addr.readUInt32LE(4);
}

export class GenlSocket {
  private closed = false;
  private constructor(readonly fd: number, readonly portId: number) {}

  static open(opts: { bufferBytes?: number } = {}): GenlSocket {
    const fd = n.socket(AF_NETLINK, n.SOCK_RAW | n.SOCK_NONBLOCK | n.SOCK_CLOEXEC, NETLINK_GENERIC);
    try {
      const bytes = opts.bufferBytes ?? 4 * 1024 * 1024;
      for (const [force, plain] of [[n.SO_RCVBUFFORCE, n.SO_RCVBUF], [n.SO_SNDBUFFORCE, n.SO_SNDBUF]] as const) {
        try { n.setsockoptInt(fd, n.SOL_SOCKET, force, bytes); } catch { n.setsockoptInt(fd, n.SOL_SOCKET, plain, bytes); }
      }
      const sa = Buffer.alloc(SOCKADDR_NL_LEN);
      sa.writeUInt16LE(AF_NETLINK, 0); // pid 0: the kernel picks a unique port id
      n.bind(fd, sa);
      return new GenlSocket(fd, boundPortId(fd));
    } catch (e) {
      n.closeFd(fd);
      throw e;
    }
  }

  /** Sends one datagram to the kernel (the socket's default destination is port 0). */
  send(msg: Buffer): void {
    const written = writeSync(this.fd, msg);
    if (written !== msg.length) throw new n.NativeCallError(`write(netlink fd ${this.fd})`, 0, `wrote ${written} of ${msg.length} bytes`);
  }

  /** Sends one datagram to another netlink port (sendto with a struct sockaddr_nl); unicast to a
   *  userspace port needs CAP_NET_ADMIN. Used by tests to play the kernel's part. */
  sendTo(msg: Buffer, portId: number): void {
    const sa = Buffer.alloc(SOCKADDR_NL_LEN);
    sa.writeUInt16LE(AF_NETLINK, 0);
    sa.writeUInt32LE(portId, 4);
    n.sendto(this.fd, msg, sa, `netlink fd ${this.fd}, port ${portId}`);
  }

  /** Reads one datagram into `buf`; returns its length, or -1 when nothing is queued (EAGAIN).
   *  ENOBUFS (the kernel dropped messages because the receive queue overflowed) returns -2. */
  receive(buf: Buffer): number {
    try {
      return readSync(this.fd, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return -1;
      if (code === 'ENOBUFS') return -2;
      throw e;
    }
  }

  joinGroup(group: number): void {
    n.setsockoptInt(this.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, group);
  }

  leaveGroup(group: number): void {
    n.setsockoptInt(this.fd, SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, group);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    n.closeFd(this.fd);
  }
}
