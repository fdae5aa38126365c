// One thread's forwarding state: its copy of the megaflow table and of the port -> fd map, its
// stats section, and the per-frame path (extract key, look up, execute or upcall). Each I/O
// worker of the pool owns one; the main thread owns one for packet execute. Control messages keep the copies
// in step with the main thread's authoritative tables.
import { writeSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import type { OdpAction } from '../../engine/channel/odp-types.js';
import { extractKeyWords, KEY_WORDS, W } from '../../engine/channel/flow-extract.js';
import { compileActions, executeActions, type ActionHost, type FrameState } from './actions.js';
import { Classifier } from './classifier.js';
import { CTRL, DS, FLOW_STAT_FIELDS, FRAME_BUFFER, MAX_PORTS, PORT_STAT_FIELDS, PS, StatsSection } from './limits.js';
import { closeFd } from '../linux/native.js';
import type { RingGeometry } from '../linux/af-packet.js';
import { localAddress, openTunnelTx, pathMtu, setSocketBuffer, TUNNEL_SOCKET_BUFFER } from '../linux/udp-tunnel.js';
import { RtNetlink, type L2NextHop } from '../linux/rtnetlink.js';
import { TokenBucket } from './policer.js';
import { openPriorityTxSocket } from '../linux/af-packet.js';
import { TUNNEL_STT, encapsulateStt } from './tunnel-stt.js';
import { encapsulate, fragments, headerLength, onesSum, sourcePort, type TunnelMeta } from './tunnel.js';
import { TUN_F_CSUM, TUN_F_DF } from '../../engine/channel/flow-extract.js';

export type ControlMessage =
  | { op: 'put'; slot: number; key: Uint32Array; mask: Uint32Array; actions: OdpAction[] }
  | { op: 'actions'; slot: number; actions: OdpAction[] }
  | { op: 'del'; slot: number }
  | { op: 'flush' }
  | { op: 'port'; port: number; fd: number; tunnel?: TunnelPortInfo; netdevIfindex?: number }
  | { op: 'sync'; seq: number }
  | { op: 'stop' }
  /** To the one pool worker that reads the port: add its fd to the worker's epoll set (mapping the
   *  rx ring first); answered by 'attached' (with an error if that failed). */
  | { op: 'attach'; seq: number; port: number; fd: number; ring?: RingGeometry; tunnel?: TunnelPortInfo }
  /** To the port's worker: stop reading the port (remove from epoll, unmap the ring). */
  | { op: 'detach'; port: number }
  /** Ingress policing of a port (rate 0 = off). */
  | { op: 'police'; port: number; rateKbps: number; burstKbit: number };

export const UPCALL_MISS = 0;
export const UPCALL_ACTION = 1;

/** Towards one remote: the connected raw socket (and the source the kernel chose for it), and,
 *  when the next hop is known, the device path that skips the kernel's IP output. */
interface TxSocket { fd: number; src: number; checked: number; l2: L2Path | undefined }
interface L2Path { fd: number; ethHeader: Buffer; mtu: number; src: number }
/** How often a thread looks up a remote's route and next hop again (a changed route or neighbour
 *  takes effect within this time). */
const L2_RECHECK_MS = 1000;

/** What every thread needs to know to output to a tunnel port. */
export interface TunnelPortInfo { kind: number; dstPort: number }

/** What a thread posts to the main thread for a miss or a userspace action. */
export interface UpcallMessage {
  t: 'upcall';
  kind: number;
  inPort: number;
  recircId: number;
  dpHash: number;
  packet: Uint8Array;
  pid: number;
  userdata?: Buffer;
  tun?: TunnelMeta;
}

export class Forwarder implements ActionHost {
  readonly classifier = new Classifier();
  readonly portFds = new Int32Array(MAX_PORTS).fill(-1);
  /** Tunnel ports: how to encapsulate what is output to them. */
  private readonly tunnels: Array<TunnelPortInfo | undefined> = [];
  /** This thread's connected raw sockets, by remote IPv4 address (host-order word), with the
   *  source address the kernel chose for that remote (for checksums over the pseudo header). */
  private readonly txSocks = new Map<number, TxSocket>();
  /** Netdev (AF_PACKET) ports: their device's ifindex, for priority transmit sockets. */
  private readonly netdevIfindex: Array<number | undefined> = [];
  private readonly prioFds = new Map<number, Map<number, number>>();
  private readonly sttMtu = new Map<number, number>();
  /** STT acknowledgement numbers (frame ids), per thread; with the thread's source port hash it
   *  keeps frames of different threads apart at the receiver. */
  private sttFrameId = Math.floor(Math.random() * 0x100000000);
  private txBuf: Buffer | undefined;
  /** txBuf after room for an Ethernet header. */
  private txL2View: Buffer | undefined;
  private ipId = Math.floor(Math.random() * 0x10000);
  private rtnl: RtNetlink | undefined;
  /** Transmit packet sockets by device index, for sendL2. */
  private readonly l2Fds = new Map<number, number>();
  private readonly words = new Uint32Array(KEY_WORDS);
  private readonly flows: Float64Array;
  private readonly tcpFlags: Uint32Array;
  private readonly ports: Float64Array;
  private readonly dp: Float64Array;
  /** Coarse clock for flow "used" times: Date.now() costs too much per frame, so it is refreshed
   *  every 128 frames and whenever the thread wakes from idle (tick()). */
  private now = Date.now();
  private frames = 0;

  constructor(
    stats: StatsSection,
    private readonly ctrl: Int32Array,
    private readonly upcallBound: number,
    private readonly sink: (m: UpcallMessage) => void,
    private readonly onSync: (seq: number) => void = () => {},
  ) {
    this.flows = stats.flows;
    this.tcpFlags = stats.tcpFlags;
    this.ports = stats.ports;
    this.dp = stats.dp;
  }

  /** Applies one control message; returns false for 'stop'. */
  /** Ingress policers by port number (see policer.ts). */
  private readonly policers: Array<TokenBucket | undefined> = [];

  apply(m: ControlMessage): boolean {
    switch (m.op) {
      case 'put': this.classifier.insert(m.slot, m.key, m.mask, compileActions(m.actions)); break;
      case 'actions': this.classifier.setActions(m.slot, compileActions(m.actions)); break;
      case 'del': this.classifier.remove(m.slot); break;
      case 'flush': this.classifier.clear(); break;
      case 'port':
        if (m.port >= 0 && m.port < MAX_PORTS) {
          this.closePriorityFds(m.port); // before the port's fd changes: a fallback entry is that fd
          this.portFds[m.port] = m.fd;
          this.tunnels[m.port] = m.fd >= 0 ? m.tunnel : undefined;
          if (m.fd < 0) this.policers[m.port] = undefined; // a deleted port's number may be reused
          this.netdevIfindex[m.port] = m.fd >= 0 ? m.netdevIfindex : undefined;
        }
        break;
      case 'sync': this.onSync(m.seq); break;
      case 'police':
        if (m.port >= 0 && m.port < MAX_PORTS) this.policers[m.port] = m.rateKbps > 0 ? new TokenBucket(m.rateKbps, m.burstKbit, Date.now()) : undefined;
        break;
      case 'stop': return false;
      case 'attach': case 'detach': break; // the I/O worker's own business (port-worker.ts)
    }
    return true;
  }

  /** Counts a received frame on its port and forwards it. */
  receive(f: FrameState): void {
    if ((++this.frames & 127) === 0) this.now = Date.now();
    const p = f.inPort * PORT_STAT_FIELDS;
    f.priority = 0;
    const pol = this.policers[f.inPort];
    if (pol !== undefined && !pol.admit(f.len, Date.now())) { this.ports[p + PS.RX_DROPPED]++; return; }
    this.ports[p + PS.RX_PACKETS]++;
    this.ports[p + PS.RX_BYTES] += f.len;
    this.process(f);
  }

  process(f: FrameState): void {
    const w = this.words;
    extractKeyWords(f.buf, f.off, f.len, f.inPort, w);
    w[W.RECIRC] = f.recircId;
    w[W.DP_HASH] = f.dpHash;
    const t = f.tun;
    if (t !== undefined) {
      w[W.TUN_ID_HI] = t.idHi; w[W.TUN_ID_LO] = t.idLo; w[W.TUN_SRC] = t.src; w[W.TUN_DST] = t.dst;
      w[W.TUN_TOS] = t.tos; w[W.TUN_TTL] = t.ttl; w[W.TUN_TP_SRC] = t.tpSrc; w[W.TUN_TP_DST] = t.tpDst; w[W.TUN_FLAGS] = t.flags;
    }
    const e = this.classifier.lookup(w);
    if (e === undefined) {
      this.dp[DS.MISSED]++;
      this.upcall(UPCALL_MISS, f, 0, undefined);
      return;
    }
    this.dp[DS.HIT]++;
    const s = e.slot * FLOW_STAT_FIELDS;
    this.flows[s]++;
    this.flows[s + 1] += f.len;
    this.flows[s + 2] = this.now;
    this.tcpFlags[e.slot] |= w[W.TCP_FLAGS]!;
    executeActions(e.actions, f, this);
  }

  /** Refreshes the coarse clock (after an idle wait, before a packet execute). */
  tick(): void {
    this.now = Date.now();
  }

  output(port: number, buf: Buffer, off: number, len: number, f?: FrameState): void {
    if (port >= MAX_PORTS) return;
    const fd = this.portFds[port]!;
    if (fd < 0) return;
    const p = port * PORT_STAT_FIELDS;
    const tunnel = this.tunnels[port];
    if (tunnel !== undefined) { this.tunnelOutput(p, tunnel, buf, off, len, f?.tun); return; }
    try {
      const prio = f?.priority;
      writeSync(prio ? this.priorityFd(port, fd, prio) : fd, buf, off, len);
      this.ports[p + PS.TX_PACKETS]++;
      this.ports[p + PS.TX_BYTES] += len;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'ENOBUFS') this.ports[p + PS.TX_DROPPED]++;
      else this.ports[p + PS.TX_ERRORS]++;
    }
  }

  /** A transmit socket on the port's device whose frames carry skb priority `prio` (so the
   *  device's qdisc, e.g. OVS's linux-htb, classifies them into the queue's class); the port's own
   *  fd when it is not a netdev or the socket cannot be made. */
  private priorityFd(port: number, fd: number, prio: number): number {
    const ifindex = this.netdevIfindex[port];
    if (ifindex === undefined) return fd;
    let m = this.prioFds.get(port);
    if (!m) { m = new Map(); this.prioFds.set(port, m); }
    let pfd = m.get(prio);
    if (pfd === undefined) {
      try { pfd = openPriorityTxSocket(ifindex, prio); } catch { pfd = fd; }
      m.set(prio, pfd);
    }
    return pfd;
  }

  private closePriorityFds(port: number): void {
    const m = this.prioFds.get(port);
    if (!m) return;
    for (const pfd of m.values()) if (pfd !== this.portFds[port]) { try { closeFd(pfd); } catch { /* closed */ } }
    this.prioFds.delete(port);
  }

  /** Encapsulates and sends; like the kernel's tunnel vports, a frame without tunnel metadata
   *  (no set(tunnel) before the output) is dropped. */
  private tunnelOutput(p: number, t: TunnelPortInfo, buf: Buffer, off: number, len: number, meta: TunnelMeta | undefined): void {
    if (meta === undefined || meta.dst === 0) { this.ports[p + PS.TX_DROPPED]++; return; }
    const out = this.txBuf ??= Buffer.allocUnsafe(FRAME_BUFFER + 512);
    if (len + 300 > out.length) { this.ports[p + PS.TX_ERRORS]++; return; }
    if (t.kind === TUNNEL_STT) { this.sttOutput(p, t, buf, off, len, meta); return; }
    let fd: number | undefined;
    let total = 0;
    try {
      const tx = this.txSocket(meta.dst);
      if (this.now - tx.checked >= L2_RECHECK_MS) this.refreshL2(tx, meta.dst);
      const l2 = tx.l2;
      if (l2 !== undefined && headerLength(t.kind, meta) + len <= l2.mtu) {
        if (this.sendL2(p, t, l2, meta, buf, off, len, out)) return;
        tx.l2 = undefined; // the device refused: back to the IP stack until the next look
      }
      fd = tx.fd;
      // A checksum covers the source address: without one in the metadata, use the route's.
      const src = meta.src || (meta.flags & TUN_F_CSUM ? tx.src : 0);
      total = encapsulate(t.kind, t.dstPort, meta, buf, off, len, out, src);
      writeSync(fd, out, 0, total);
      this.ports[p + PS.TX_PACKETS]++;
      this.ports[p + PS.TX_BYTES] += len;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EMSGSIZE' && fd !== undefined && !(meta.flags & TUN_F_DF)) { this.sendFragmented(p, fd, out, total, len); return; }
      if (code === 'EAGAIN' || code === 'ENOBUFS') this.ports[p + PS.TX_DROPPED]++;
      else this.ports[p + PS.TX_ERRORS]++;
    }
  }

  /** Sends an outer packet on the next hop's device with its Ethernet header (OVS's native
   *  tunnelling): no per-packet route lookup, dst allocation or IP output in the kernel, which made
   *  the raw socket's write cost about a third more (measured 6.6 against 5.0 µs per 1.4 kB packet
   *  on a veth, receiver included). The IP id and header checksum are ours to fill in then.
   *  Returns false when the device refused the packet (gone, down). */
  private sendL2(p: number, t: TunnelPortInfo, l2: L2Path, meta: TunnelMeta, buf: Buffer, off: number, len: number, out: Buffer): boolean {
    const view = this.txL2View ??= out.subarray(14);
    const total = encapsulate(t.kind, t.dstPort, meta, buf, off, len, view, meta.src || l2.src);
    l2.ethHeader.copy(out, 0);
    this.ipId = (this.ipId + 1) & 0xffff;
    out.writeUInt16BE(this.ipId, 14 + 4);
    out.writeUInt16BE(~onesSum(out, 14, 34) & 0xffff, 14 + 10);
    try {
      writeSync(l2.fd, out, 0, total + 14);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EAGAIN' && code !== 'ENOBUFS') return false;
      this.ports[p + PS.TX_DROPPED]++;
      return true;
    }
    this.ports[p + PS.TX_PACKETS]++;
    this.ports[p + PS.TX_BYTES] += len;
    return true;
  }

  /** Looks up (again) how packets to `dst` leave this host: with a route over an Ethernet device
   *  and a resolved next hop they go out on that device directly (sendL2), otherwise through the
   *  raw socket, whose sends also make the kernel resolve the next hop for the next look. */
  private refreshL2(tx: TxSocket, dst: number): void {
    tx.checked = this.now;
    tx.l2 = undefined;
    let next: L2NextHop | undefined;
    try { next = (this.rtnl ??= new RtNetlink()).nextHop(dst); } catch { return; }
    if (next === undefined) return;
    let fd = this.l2Fds.get(next.ifindex);
    if (fd === undefined) {
      try {
        fd = openPriorityTxSocket(next.ifindex, 0);
        setSocketBuffer(fd, 'snd', TUNNEL_SOCKET_BUFFER);
      } catch {
        if (fd !== undefined) closeFd(fd);
        return;
      }
      this.l2Fds.set(next.ifindex, fd);
    }
    tx.l2 = { fd, ethHeader: next.ethHeader, mtu: next.mtu, src: next.src };
  }

  /** STT: the frame in TCP-like segments that fit the path MTU, one frame id per frame. */
  private sttOutput(p: number, t: TunnelPortInfo, buf: Buffer, off: number, len: number, meta: TunnelMeta): void {
    try {
      const { fd, src } = this.txSocket(meta.dst);
      let mtu = this.sttMtu.get(meta.dst);
      if (mtu === undefined) { try { mtu = pathMtu(fd); } catch { mtu = 1500; } this.sttMtu.set(meta.dst, mtu); }
      const m = meta.tpDst ? meta : { ...meta, tpDst: t.dstPort };
      this.sttFrameId = (this.sttFrameId + 1) >>> 0;
      for (const seg of encapsulateStt(m, buf, off, len, mtu, this.sttFrameId, sourcePort(buf, off, len), meta.src || src)) writeSync(fd, seg);
      this.ports[p + PS.TX_PACKETS]++;
      this.ports[p + PS.TX_BYTES] += len;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EMSGSIZE') this.sttMtu.delete(meta.dst); // learn the new path MTU next time
      if (code === 'EAGAIN' || code === 'ENOBUFS') this.ports[p + PS.TX_DROPPED]++;
      else this.ports[p + PS.TX_ERRORS]++;
    }
  }

  /** The outer packet is larger than the path MTU and may be fragmented (df_default=false). */
  private sendFragmented(p: number, fd: number, out: Buffer, total: number, len: number): void {
    try {
      for (const frag of fragments(out, total, pathMtu(fd), randomInt(1, 0x10000))) writeSync(fd, frag);
      this.ports[p + PS.TX_PACKETS]++;
      this.ports[p + PS.TX_BYTES] += len;
    } catch {
      this.ports[p + PS.TX_ERRORS]++;
    }
  }

  /** The connected transmit socket towards `dst` (opened on first use) and the source address
   *  the kernel chose for it (0 if it could not tell). */
  private txSocket(dst: number): TxSocket {
    let tx = this.txSocks.get(dst);
    if (tx === undefined) {
      const fd = openTunnelTx(dst);
      let src = 0;
      try { src = localAddress(fd); } catch { /* leave the checksum out, as before */ }
      tx = { fd, src, checked: -Infinity, l2: undefined };
      this.txSocks.set(dst, tx);
    }
    return tx;
  }

  /** Closes this thread's tunnel transmit sockets (when the thread stops). */
  close(): void {
    for (const tx of this.txSocks.values()) closeFd(tx.fd);
    this.txSocks.clear();
    for (const fd of this.l2Fds.values()) closeFd(fd);
    this.l2Fds.clear();
    this.rtnl?.close();
    this.rtnl = undefined;
  }

  userspace(f: FrameState, pid: number, userdata: Buffer | undefined): void {
    this.upcall(UPCALL_ACTION, f, pid, userdata);
  }

  recirculate(f: FrameState): void {
    this.process(f);
  }

  private upcall(kind: number, f: FrameState, pid: number, userdata: Buffer | undefined): void {
    if (Atomics.add(this.ctrl, CTRL.PENDING_UPCALLS, 1) >= this.upcallBound) {
      Atomics.sub(this.ctrl, CTRL.PENDING_UPCALLS, 1);
      this.dp[DS.LOST]++;
      return;
    }
    const packet = new Uint8Array(f.len);
    packet.set(f.buf.subarray(f.off, f.off + f.len));
    const m: UpcallMessage = { t: 'upcall', kind, inPort: f.inPort, recircId: f.recircId, dpHash: f.dpHash, packet, pid };
    if (userdata) m.userdata = userdata;
    if (f.tun !== undefined) m.tun = { ...f.tun };
    this.sink(m);
  }
}
