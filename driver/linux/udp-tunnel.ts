// The sockets behind a UDP tunnel vport (VXLAN, Geneve), in the namespace of the calling process:
// - rx: a raw IPv4 socket for UDP that reads whole IP packets (outer addresses, TOS, TTL, UDP ports
//   and the tunnel header come with every read, no per-packet native call), with a classic BPF
//   filter that keeps only UDP to the tunnel's port;
// - claim: a UDP socket bound to the port, so the port is ours (EADDRINUSE if someone else, e.g. a
//   kernel vxlan device, has it; no ICMP port-unreachable for tunnel traffic); its filter drops
//   everything, as the rx socket reads the packets;
// - tx: raw IPPROTO_RAW sockets (we write the IP header), one connected socket per remote address
//   so a frame goes out with a plain write() (routing, neighbour resolution, source address choice
//   stay the kernel's).
import { AF_INET, bind, bufferAddress, closeFd, connect, getsockname, getsockoptInt, IP_MTU, IPPROTO_RAW, IPPROTO_UDP, NativeCallError, setsockopt,
  setsockoptInt, SO_ATTACH_FILTER, SO_RCVBUF, SO_RCVBUFFORCE, SO_SNDBUF, SO_SNDBUFFORCE, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_RAW,
  socket, SOL_IP, SOL_SOCKET } from './native.js';

/** Socket buffer of a tunnel's receive and transmit sockets. The default (rmem_default, ~208 KiB)
 *  holds fewer than 100 full-size outer packets: a TCP burst across the tunnel overflowed it while
 *  the worker was busy, and every drop cost the inner TCP a retransmit. */
export const TUNNEL_SOCKET_BUFFER = 4 * 1024 * 1024;

/** Sets a socket's receive or send buffer, past the sysctl limit when the process may (root). */
export function setSocketBuffer(fd: number, which: 'rcv' | 'snd', bytes: number): void {
  const [force, plain] = which === 'rcv' ? [SO_RCVBUFFORCE, SO_RCVBUF] : [SO_SNDBUFFORCE, SO_SNDBUF];
  try { setsockoptInt(fd, SOL_SOCKET, force, bytes); } catch { setsockoptInt(fd, SOL_SOCKET, plain, bytes); }
}

/** struct sockaddr_in for `ip` (a host-order word) and `port`. */
export function sockaddrIn(ip: number, port: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(AF_INET, 0);
  b.writeUInt16BE(port, 2);
  b.writeUInt32BE(ip >>> 0, 4);
  return b;
}

/** One classic BPF instruction (struct sock_filter). */
function insn(code: number, jt: number, jf: number, k: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(code, 0);
  b[2] = jt;
  b[3] = jf;
  b.writeUInt32LE(k >>> 0, 4);
  return b;
}

const BPF = { LD_B_ABS: 0x30, LD_H_ABS: 0x28, LD_H_IND: 0x48, LDX_B_MSH: 0xb1, JEQ_K: 0x15, JSET_K: 0x45, RET_K: 0x06 } as const;

/** A filter for a raw IPv4 socket: accept unfragmented `proto` (UDP or TCP) to `port`, drop the rest. */
function portFilter(port: number, proto: number = IPPROTO_UDP): Buffer[] {
  return [
    insn(BPF.LD_B_ABS, 0, 0, 9),            // A = ip protocol
    insn(BPF.JEQ_K, 0, 5, proto),           // another protocol -> drop
    insn(BPF.LD_H_ABS, 0, 0, 6),            // A = flags + fragment offset
    insn(BPF.JSET_K, 3, 0, 0x1fff),         // a later fragment -> drop
    insn(BPF.LDX_B_MSH, 0, 0, 0),           // X = IP header length
    insn(BPF.LD_H_IND, 0, 0, 2),            // A = destination port (UDP and TCP alike)
    insn(BPF.JEQ_K, 1, 0, port),
    insn(BPF.RET_K, 0, 0, 0),               // drop
    insn(BPF.RET_K, 0, 0, 0x40000),         // accept the whole packet
  ];
}

function attachFilter(fd: number, prog: Buffer[]): void {
  const code = Buffer.concat(prog);
  const fprog = Buffer.alloc(16);
  fprog.writeUInt16LE(prog.length, 0);
  fprog.writeBigUInt64LE(bufferAddress(code), 8);
  setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, fprog);
  code.fill(0); // keeps `code` referenced until the kernel has copied it
}

export interface TunnelSockets {
  /** Raw socket the port's worker reads whole outer IPv4 packets from (non-blocking). */
  rxFd: number;
  close(): void;
}

/** Opens the receive side of a tunnel port on UDP `port` (all local addresses). */
export function openTunnelSockets(port: number): TunnelSockets {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new NativeCallError('bind(tunnel port)', 22, `invalid UDP port ${port}`);
  const claim = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  let rx = -1;
  try {
    attachFilter(claim, [insn(BPF.RET_K, 0, 0, 0)]);
    bind(claim, sockaddrIn(0, port));
    rx = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
    attachFilter(rx, portFilter(port));
    setSocketBuffer(rx, 'rcv', TUNNEL_SOCKET_BUFFER);
  } catch (e) {
    if (rx >= 0) closeFd(rx);
    closeFd(claim);
    throw e;
  }
  return { rxFd: rx, close() { closeFd(rx); closeFd(claim); } };
}

/** The receive socket of a GRE vport: a raw IPv4 socket for protocol 47 (whole IP packets). With
 *  it open the kernel also stops answering GRE with ICMP protocol-unreachable. */
export function openGreSocket(): TunnelSockets {
  const rx = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 47);
  try { setSocketBuffer(rx, 'rcv', TUNNEL_SOCKET_BUFFER); } catch (e) { closeFd(rx); throw e; }
  return { rxFd: rx, close() { closeFd(rx); } };
}

/** The receive socket of an STT vport: a raw IPv4 socket for TCP that only takes segments to
 *  `port` (7471). The kernel's own TCP answers them with resets, which the peer ignores. */
export function openSttSocket(port: number): TunnelSockets {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new NativeCallError('bind(stt port)', 22, `invalid TCP port ${port}`);
  const rx = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 6);
  try {
    attachFilter(rx, portFilter(port, 6));
    setSocketBuffer(rx, 'rcv', TUNNEL_SOCKET_BUFFER);
  } catch (e) { closeFd(rx); throw e; }
  return { rxFd: rx, close() { closeFd(rx); } };
}

/** A raw IPPROTO_RAW socket connected to `remote` (host-order word): write() sends a whole IPv4 packet. */
export function openTunnelTx(remote: number): number {
  const fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_RAW);
  try {
    setSocketBuffer(fd, 'snd', TUNNEL_SOCKET_BUFFER);
    connect(fd, sockaddrIn(remote, 0));
  } catch (e) {
    closeFd(fd);
    throw e;
  }
  return fd;
}

/** The IPv4 source address (host-order word) the kernel chose for a connected socket: the route's
 *  preferred source towards its remote, as the kernel would put in packets without one; 0 when
 *  it has none (e.g. no route). */
export function localAddress(fd: number): number {
  const a = getsockname(fd);
  return a.readUInt16LE(0) === AF_INET ? a.readUInt32BE(4) : 0;
}

/** The path MTU the kernel knows for a connected socket's destination. */
export function pathMtu(fd: number): number {
  return getsockoptInt(fd, SOL_IP, IP_MTU);
}
