// The thread that serves one datapath port: reads frames from the port's fd with blocking-free
// fs.readSync in a tight loop (poll() only when idle), forwards each through its Forwarder, and
// never waits for the main thread: flow and port changes arrive as messages it drains whenever
// the shared generation counter moves.
import { readSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { mapRxRing, TP_STATUS_USER, TP_STATUS_VLAN_TPID_VALID, TP_STATUS_VLAN_VALID } from '../linux/af-packet.js';
import { poll, POLLIN } from '../linux/native.js';
import type { RingGeometry } from '../linux/af-packet.js';
import type { FrameState } from './actions.js';
import { Forwarder, type ControlMessage, type TunnelPortInfo, type UpcallMessage } from './forwarder.js';
import { decapsulate, emptyTunnelMeta, type Decapsulated } from './tunnel.js';
import { CTRL, FRAME_BUFFER, HEADROOM, PORT_STAT_FIELDS, PS, StatsSection } from './limits.js';

export interface PortWorkerData {
  portNo: number;
  fd: number;
  wakeFd: number;
  control: MessagePort;
  ctrl: SharedArrayBuffer;
  stats: StatsSection['buffers'];
  upcallBound: number;
  /** Receive through this (configured, unmapped) PACKET_MMAP ring (packet sockets); else read(). */
  ring?: RingGeometry;
  /** Set to 1 (and notified) once the worker reads frames, for a main thread waiting synchronously. */
  readyFlag: SharedArrayBuffer;
  /** A tunnel port: `fd` is a raw IPv4 socket and every read is an outer packet to decapsulate. */
  tunnel?: TunnelPortInfo;
}

/** What a port worker tells the main thread. */
export type WorkerMessage = UpcallMessage | { t: 'ack'; seq: number } | { t: 'ready' } | { t: 'fatal'; message: string };

function main(): void {
  const d = workerData as PortWorkerData;
  const ctrl = new Int32Array(d.ctrl);
  const stats = new StatsSection(d.stats);
  const post = (m: WorkerMessage) => parentPort!.postMessage(m);
  const ready = (): void => {
    const flag = new Int32Array(d.readyFlag);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    post({ t: 'ready' });
  };
  const fw = new Forwarder(stats, ctrl, d.upcallBound, (m) => post(m), (seq) => post({ t: 'ack', seq }));
  const buf = Buffer.allocUnsafe(FRAME_BUFFER);
  const wake = Buffer.allocUnsafe(8);
  const pfd = Buffer.alloc(16);
  pfd.writeInt32LE(d.fd, 0); pfd.writeInt16LE(POLLIN, 4);
  pfd.writeInt32LE(d.wakeFd, 8); pfd.writeInt16LE(POLLIN, 12);
  const f: FrameState = { buf, off: HEADROOM, len: 0, inPort: d.portNo, recircId: 0, dpHash: 0, cutlen: 0, depth: 0, tun: undefined };
  const rxErr = d.portNo * PORT_STAT_FIELDS + PS.RX_ERRORS;
  const rxDrop = d.portNo * PORT_STAT_FIELDS + PS.RX_DROPPED;
  const tunnel = d.tunnel;
  const rxTun = emptyTunnelMeta();
  const inner: Decapsulated = { off: 0, len: 0 };
  let gen = -1;
  let running = true;

  const drain = (): void => {
    const g = Atomics.load(ctrl, CTRL.GENERATION);
    if (g === gen) return;
    gen = g;
    for (;;) {
      const r = receiveMessageOnPort(d.control);
      if (r === undefined) break;
      if (!fw.apply(r.message as ControlMessage)) running = false;
    }
  };

  const idle = (): void => {
    drain();
    if (!running) return;
    poll(pfd, 2, 1000);
    try { readSync(d.wakeFd, wake, 0, 8, null); } catch { /* nothing pending */ }
    fw.tick();
    drain();
  };

  if (d.ring !== undefined) {
    // Packet socket with an rx ring: frames are taken from shared memory in order; a slot goes back
    // to the kernel once its frame has been forwarded.
    const ring = mapRxRing(d.fd, d.ring);
    ready();
    const rb = ring.buffer;
    const u32 = new Uint32Array(rb.buffer, rb.byteOffset, rb.length >>> 2);
    const u16 = new Uint16Array(rb.buffer, rb.byteOffset, rb.length >>> 1);
    const size = ring.frameSize, count = ring.frameCount;
    // Frames that reached the socket's plain queue (none should, the ring is set before bind)
    // would keep poll() readable forever; take them so the idle wait cannot spin.
    const plainQueue = (): void => {
      for (;;) {
        let n: number;
        try { n = readSync(d.fd, buf, HEADROOM, FRAME_BUFFER - HEADROOM, null); } catch { return; }
        if (n < 14) continue;
        f.buf = buf; f.off = HEADROOM; f.len = n; f.recircId = 0; f.dpHash = 0; f.cutlen = 0; f.depth = 0; f.tun = undefined;
        fw.receive(f);
      }
    };
    let i = 0;
    while (running) {
      const base = i * size;
      const st = u32[base >>> 2]!;
      if ((st & TP_STATUS_USER) === 0) { idle(); plainQueue(); continue; }
      drain();
      if (!running) break;
      const wire = u32[(base + 4) >>> 2]!;
      let len = u32[(base + 8) >>> 2]!;
      let off = base + u16[(base + 12) >>> 1]!;
      if (st & TP_STATUS_VLAN_VALID) {
        // The kernel took the 802.1Q tag out of the frame; put it back where it was.
        const tci = u16[(base + 24) >>> 1]!;
        const tpid = (st & TP_STATUS_VLAN_TPID_VALID) ? u16[(base + 26) >>> 1]! || 0x8100 : 0x8100;
        rb.copyWithin(off - 4, off, off + 12);
        off -= 4;
        len += 4;
        rb.writeUInt16BE(tpid, off + 12);
        rb.writeUInt16BE(tci, off + 14);
      }
      if (len < wire || len < 14) stats.ports[rxErr]++;
      else {
        f.buf = rb; f.off = off; f.len = len; f.recircId = 0; f.dpHash = 0; f.cutlen = 0; f.depth = 0; f.tun = undefined;
        fw.receive(f);
      }
      u32[base >>> 2] = 0; // TP_STATUS_KERNEL: the slot is the kernel's again
      if (++i === count) i = 0;
    }
    ring.close();
  } else {
    ready();
    while (running) {
      let n: number;
      try {
        n = readSync(d.fd, buf, HEADROOM, FRAME_BUFFER - HEADROOM, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') { idle(); continue; }
        if (code === 'EBADF') { post({ t: 'fatal', message: `port ${d.portNo}: fd closed` }); break; }
        stats.ports[rxErr]++;
        continue;
      }
      drain();
      if (!running) break;
      if (tunnel !== undefined) {
        // Not one of ours (the socket filter lets only UDP to the port through): malformed.
        if (!decapsulate(buf, HEADROOM, n, tunnel.kind, tunnel.dstPort, rxTun, inner)) { stats.ports[rxDrop]++; continue; }
        f.buf = buf; f.off = inner.off; f.len = inner.len; f.recircId = 0; f.dpHash = 0; f.cutlen = 0; f.depth = 0; f.tun = rxTun;
        fw.receive(f);
        continue;
      }
      if (n < 14) { stats.ports[rxErr]++; continue; }
      f.buf = buf; f.off = HEADROOM; f.len = n; f.recircId = 0; f.dpHash = 0; f.cutlen = 0; f.depth = 0; f.tun = undefined;
      fw.receive(f);
    }
  }
  fw.close();
  d.control.close();
}

main();
