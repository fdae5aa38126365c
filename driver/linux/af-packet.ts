// AF_PACKET raw sockets bound to one existing interface (a veth end, a NIC): the datapath's system
// ports. Non-blocking, promiscuous, PACKET_IGNORE_OUTGOING so the socket does not read back what
// it sends, big socket buffers. Frames are whole Ethernet frames (VLAN tags stay in the data only
// when the interface's rx VLAN offload is off: see offload.ts).
import * as n from './native.js';
import { ifIndex } from './netdev.js';

export interface PacketSocketOptions {
  /** Set up a PACKET_MMAP receive ring (before bind, so no frame lands in the plain queue);
   *  map it with mapRxRing(fd, socket.ring) in the thread that reads. */
  rxRing?: { mtu: number; frames?: number; reserve?: number };
  promiscuous?: boolean;      // default true
  ignoreOutgoing?: boolean;   // default true
  bufferBytes?: number;       // SO_RCVBUF/SO_SNDBUF, default 4 MiB
}

export interface PacketSocket {
  readonly ifname: string;
  readonly ifindex: number;
  readonly fd: number;
  readonly ring?: RingGeometry;
  close(): void;
}

export function openPacketSocket(ifname: string, opts: PacketSocketOptions = {}): PacketSocket {
  const ifindex = ifIndex(ifname);
  const protoBe = ((n.ETH_P_ALL & 0xff) << 8) | (n.ETH_P_ALL >> 8);
  const fd = n.socket(n.AF_PACKET, n.SOCK_RAW | n.SOCK_NONBLOCK | n.SOCK_CLOEXEC, protoBe);
  try {
    if (opts.ignoreOutgoing !== false) n.setsockoptInt(fd, n.SOL_PACKET, n.PACKET_IGNORE_OUTGOING, 1);
    const bytes = opts.bufferBytes ?? 4 * 1024 * 1024;
    for (const [force, plain] of [[n.SO_RCVBUFFORCE, n.SO_RCVBUF], [n.SO_SNDBUFFORCE, n.SO_SNDBUF]] as const) {
      try { n.setsockoptInt(fd, n.SOL_SOCKET, force, bytes); } catch { n.setsockoptInt(fd, n.SOL_SOCKET, plain, bytes); }
    }
    const ring = opts.rxRing ? configureRxRing(fd, opts.rxRing) : undefined;
    const sll = Buffer.alloc(20); // struct sockaddr_ll
    sll.writeUInt16LE(n.AF_PACKET, 0);
    sll.writeUInt16BE(n.ETH_P_ALL, 2);
    sll.writeInt32LE(ifindex, 4);
    n.bind(fd, sll);
    if (opts.promiscuous !== false) {
      const mreq = Buffer.alloc(16); // struct packet_mreq
      mreq.writeInt32LE(ifindex, 0);
      mreq.writeUInt16LE(n.PACKET_MR_PROMISC, 4);
      n.setsockopt(fd, n.SOL_PACKET, n.PACKET_ADD_MEMBERSHIP, mreq);
    }
    let closed = false;
    const sock: PacketSocket = { ifname, ifindex, fd, close() { if (!closed) { closed = true; n.closeFd(fd); } } };
    return ring ? { ...sock, ring } : sock;
  } catch (e) {
    n.closeFd(fd);
    throw e;
  }
}

/** A transmit-only packet socket on device `ifindex` whose frames carry skb priority `priority`
 *  (SO_PRIORITY), so the device's qdisc classifies them (OVS's linux-htb: priority 1:N+1 = queue N).
 *  Non-blocking; frames go through the qdisc. */
export function openPriorityTxSocket(ifindex: number, priority: number): number {
  const fd = n.socket(n.AF_PACKET, n.SOCK_RAW | n.SOCK_NONBLOCK | n.SOCK_CLOEXEC, 0);
  try {
    const sll = Buffer.alloc(20);
    sll.writeUInt16LE(n.AF_PACKET, 0);
    sll.writeInt32LE(ifindex, 4);
    n.bind(fd, sll);
    n.setsockoptInt(fd, n.SOL_SOCKET, 12 /* SO_PRIORITY */, priority | 0);
    return fd;
  } catch (e) {
    n.closeFd(fd);
    throw e;
  }
}

/**
 * A PACKET_MMAP receive ring (TPACKET_V2) on a packet socket: the kernel writes frames into shared
 * memory, so receiving costs no syscall per frame, and each slot's header carries the VLAN tag
 * that the kernel stripped (read() would lose it). Slot layout (struct tpacket2_hdr): status u32 @0,
 * len u32 @4, snaplen u32 @8, mac u16 @12, vlan_tci u16 @24, vlan_tpid u16 @26; frame data at
 * slot + mac, with at least `reserve` bytes free before it.
 */
export interface RxRing {
  readonly buffer: Buffer;
  readonly frameSize: number;
  readonly frameCount: number;
  close(): void;
}

export const TP_STATUS_USER = 0x1;
export const TP_STATUS_VLAN_VALID = 0x10;
export const TP_STATUS_VLAN_TPID_VALID = 0x40;

export interface RingGeometry { blockSize: number; blocks: number; frameSize: number; frameCount: number }

/** Asks the kernel for a TPACKET_V2 receive ring on a packet socket (not mapped yet). */
export function configureRxRing(fd: number, opts: { mtu: number; frames?: number; reserve?: number }): RingGeometry {
  n.setsockoptInt(fd, n.SOL_PACKET, n.PACKET_VERSION, n.TPACKET_V2);
  n.setsockoptInt(fd, n.SOL_PACKET, n.PACKET_RESERVE, opts.reserve ?? 64);
  let frameSize = 2048;
  while (frameSize < opts.mtu + 18 + 32 + 32 + (opts.reserve ?? 64) + 16) frameSize *= 2;
  const blockSize = Math.max(65536, frameSize);
  const framesPerBlock = blockSize / frameSize;
  const blocks = Math.max(1, Math.ceil((opts.frames ?? 2048) / framesPerBlock));
  const req = Buffer.alloc(16); // struct tpacket_req
  req.writeUInt32LE(blockSize, 0);
  req.writeUInt32LE(blocks, 4);
  req.writeUInt32LE(frameSize, 8);
  req.writeUInt32LE(blocks * framesPerBlock, 12);
  n.setsockopt(fd, n.SOL_PACKET, n.PACKET_RX_RING, req);
  return { blockSize, blocks, frameSize, frameCount: blocks * framesPerBlock };
}

/** Maps a configured receive ring into this thread. */
export function mapRxRing(fd: number, g: RingGeometry): RxRing {
  const region = n.mmapShared(fd, g.blockSize * g.blocks, `rx ring of fd ${fd}`);
  return { buffer: region.buffer, frameSize: g.frameSize, frameCount: g.frameCount, close: () => region.unmap() };
}

/** configureRxRing + mapRxRing on an already bound socket (frames queued before stay in the plain queue). */
export function openRxRing(fd: number, opts: { mtu: number; frames?: number; reserve?: number }): RxRing {
  return mapRxRing(fd, configureRxRing(fd, opts));
}
