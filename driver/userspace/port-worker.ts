// One I/O thread of the datapath's small worker pool. It serves many ports: each port's fd (a
// packet socket with a PACKET_MMAP rx ring, a TAP, a tunnel's raw socket) is in this thread's
// epoll set. Ports with frames waiting are "active" and served round-robin, at most BATCH frames
// each per round, with non-blocking reads (TAP, tunnel) or straight from the ring (packet
// sockets); epoll_wait blocks only when no port is active, and runs without blocking every few
// rounds while busy so quiet ports get their turn. Each frame goes through this thread's
// Forwarder (extract key, megaflow lookup, actions, output written to the output port's fd by
// this thread). Flow and port changes arrive as messages, drained whenever the shared generation
// counter moves (checked before every frame), so a change applies before the next frame.
import { readSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { mapRxRing, TP_STATUS_USER, TP_STATUS_VLAN_TPID_VALID, TP_STATUS_VLAN_VALID, type RxRing } from '../linux/af-packet.js';
import { EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_EVENT_SIZE, epollCreate, epollCtl, epollTag, epollWait } from '../linux/native.js';
import type { FrameState } from './actions.js';
import { Forwarder, type ControlMessage, type TunnelPortInfo, type UpcallMessage } from './forwarder.js';
import { decapsulate, emptyTunnelMeta, type Decapsulated } from './tunnel.js';
import { SttReassembler, TUNNEL_STT } from './tunnel-stt.js';
import { CTRL, FRAME_BUFFER, HEADROOM, MAX_PORTS, PORT_STAT_FIELDS, PS, StatsSection } from './limits.js';

export interface PortWorkerData {
  /** This worker's index in the pool (for messages). */
  index: number;
  /** eventfd the main thread writes to wake this thread from epoll_wait. */
  wakeFd: number;
  control: MessagePort;
  ctrl: SharedArrayBuffer;
  stats: StatsSection['buffers'];
  upcallBound: number;
  /** Int32 set to 1 (and notified) once the thread runs, for a main thread waiting synchronously. */
  started: SharedArrayBuffer;
}

/** What a worker tells the main thread. `attached` answers an attach (error set if it failed). */
export type WorkerMessage =
  | UpcallMessage
  | { t: 'ack'; seq: number }
  | { t: 'ready' }
  | { t: 'attached'; seq: number; port: number; error?: string }
  | { t: 'fatal'; message: string }
  | { t: 'warn'; message: string };

/** Frames served from one port before the next active port gets its turn. */
const BATCH = 64;
/** Busy rounds between non-blocking epoll_waits (to notice ports that became readable). */
const POLL_EVERY = 8;
const WAKE_TAG = 0xffffffff;
const MAX_EVENTS = 256;

interface RingView { region: RxRing; rb: Buffer; u32: Uint32Array; u16: Uint16Array; size: number; count: number; i: number }

interface RxPort {
  portNo: number;
  fd: number;
  ring: RingView | undefined;
  tunnel: TunnelPortInfo | undefined;
  attached: boolean;
  active: boolean;
}

function main(): void {
  // A TAP or tunnel socket is read until read() fails with EAGAIN, and fs.readSync reports that as
  // a thrown error: capturing its stack trace cost 13% of a worker's time when every few frames
  // (TCP acknowledgements) woke it. This thread's messages carry error messages only, so its
  // errors need no stack (the setting is per thread: a worker has its own isolate).
  Error.stackTraceLimit = 0;
  const d = workerData as PortWorkerData;
  const ctrl = new Int32Array(d.ctrl);
  const stats = new StatsSection(d.stats);
  const post = (m: WorkerMessage) => parentPort!.postMessage(m);
  const fw = new Forwarder(stats, ctrl, d.upcallBound, (m) => post(m), (seq) => post({ t: 'ack', seq }));
  const epfd = epollCreate();
  epollCtl(epfd, EPOLL_CTL_ADD, d.wakeFd, WAKE_TAG);
  const events = Buffer.alloc(EPOLL_EVENT_SIZE * MAX_EVENTS);
  const ports: Array<RxPort | undefined> = new Array<RxPort | undefined>(MAX_PORTS).fill(undefined);
  const active: RxPort[] = [];
  const buf = Buffer.allocUnsafe(FRAME_BUFFER);
  const wake = Buffer.allocUnsafe(8);
  const f: FrameState = { buf, off: HEADROOM, len: 0, inPort: 0, recircId: 0, dpHash: 0, cutlen: 0, depth: 0, tun: undefined };
  const rxTun = emptyTunnelMeta();
  const inner: Decapsulated = { off: 0, len: 0 };
  const stt = new SttReassembler();
  let gen = -1;
  let running = true;
  let lastWarn = 0;

  /** One frame through the forwarder. A frame that makes it throw (a bug, not bad input: the
   *  parsers reject malformed frames) is dropped and counted as an rx error; it must not stop the
   *  thread, which serves many ports. Warns at most every 10 s. */
  const forward = (): void => {
    try {
      fw.receive(f);
    } catch (e) {
      stats.ports[f.inPort * PORT_STAT_FIELDS + PS.RX_ERRORS]++;
      const now = Date.now();
      if (now - lastWarn >= 10_000) { lastWarn = now; post({ t: 'warn', message: `port ${f.inPort}: a frame was dropped: ${(e as Error).message}` }); }
    }
  };

  const attach = (m: Extract<ControlMessage, { op: 'attach' }>): void => {
    let ring: RxRing | undefined;
    try {
      if (m.port < 0 || m.port >= MAX_PORTS) throw new Error(`port number ${m.port} out of range`);
      ring = m.ring !== undefined ? mapRxRing(m.fd, m.ring) : undefined;
      epollCtl(epfd, EPOLL_CTL_ADD, m.fd, m.port);
      let view: RingView | undefined;
      if (ring !== undefined) {
        const rb = ring.buffer;
        view = { region: ring, rb, u32: new Uint32Array(rb.buffer, rb.byteOffset, rb.length >>> 2), u16: new Uint16Array(rb.buffer, rb.byteOffset, rb.length >>> 1), size: ring.frameSize, count: ring.frameCount, i: 0 };
      }
      const p: RxPort = { portNo: m.port, fd: m.fd, ring: view, tunnel: m.tunnel, attached: true, active: false };
      ports[m.port] = p;
      // Frames may already be waiting (epoll reports them too, but serve them without a round trip).
      p.active = true;
      active.push(p);
      post({ t: 'attached', seq: m.seq, port: m.port });
    } catch (e) {
      ring?.close();
      post({ t: 'attached', seq: m.seq, port: m.port, error: (e as Error).message });
    }
  };

  const detach = (portNo: number): void => {
    const p = ports[portNo];
    if (p === undefined) return;
    ports[portNo] = undefined;
    p.attached = false; // the main loop drops it from `active`
    try { epollCtl(epfd, EPOLL_CTL_DEL, p.fd, portNo); } catch { /* fd already gone */ }
    p.ring?.region.close();
    p.ring = undefined;
  };

  const drain = (): void => {
    const g = Atomics.load(ctrl, CTRL.GENERATION);
    if (g === gen) return;
    gen = g;
    for (;;) {
      const r = receiveMessageOnPort(d.control);
      if (r === undefined) break;
      const m = r.message as ControlMessage;
      if (m.op === 'attach') attach(m);
      else if (m.op === 'detach') detach(m.port);
      else if (!fw.apply(m)) running = false;
    }
  };

  /** Frames in a ring socket's plain queue (none should be: the ring is set up before bind) would
   *  keep it readable forever; take them so epoll cannot spin. */
  const plainQueue = (p: RxPort): void => {
    for (let n = 0; n < BATCH; n++) {
      let len: number;
      try { len = readSync(p.fd, buf, HEADROOM, FRAME_BUFFER - HEADROOM, null); } catch { return; }
      if (len < 14) continue;
      f.buf = buf; f.off = HEADROOM; f.len = len; f.inPort = p.portNo; f.recircId = 0; f.dpHash = 0; f.cutlen = 0; f.depth = 0; f.tun = undefined;
      forward();
      drain();
      if (!p.attached) return;
    }
  };

  /** Up to BATCH frames from a ring port; returns how many slots it consumed. */
  const serveRing = (p: RxPort, r: RingView): number => {
    const { rb, u32, u16, size, count } = r;
    const rxErr = p.portNo * PORT_STAT_FIELDS + PS.RX_ERRORS;
    let n = 0;
    for (; n < BATCH; n++) {
      const base = r.i * size;
      const st = u32[base >>> 2]!;
      if ((st & TP_STATUS_USER) === 0) break;
      drain();
      if (!p.attached) return n; // detached (and unmapped) by that message
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
        f.buf = rb; f.off = off; f.len = len; f.inPort = p.portNo; f.recircId = 0; f.dpHash = 0; f.cutlen = 0; f.depth = 0; f.tun = undefined;
        forward();
      }
      if (!p.attached) return n + 1;
      u32[base >>> 2] = 0; // TP_STATUS_KERNEL: the slot is the kernel's again
      if (++r.i === count) r.i = 0;
    }
    return n;
  };

  /** Up to BATCH frames read() from a TAP or a tunnel socket; returns how many reads succeeded. */
  const serveFd = (p: RxPort): number => {
    const base = p.portNo * PORT_STAT_FIELDS;
    let n = 0;
    for (; n < BATCH; n++) {
      let len: number;
      try {
        len = readSync(p.fd, buf, HEADROOM, FRAME_BUFFER - HEADROOM, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') break;
        if (code === 'EBADF') { post({ t: 'fatal', message: `port ${p.portNo}: fd closed under the worker` }); detach(p.portNo); break; }
        stats.ports[base + PS.RX_ERRORS]++;
        continue;
      }
      drain();
      if (!p.attached) return n;
      const tunnel = p.tunnel;
      if (tunnel !== undefined && tunnel.kind === TUNNEL_STT) {
        // STT segments are reassembled into frames; a frame is copied behind the headroom.
        const r = stt.push(buf, HEADROOM, len, tunnel.dstPort, rxTun, Date.now());
        if (r.kind === 'pending') continue;
        if (r.kind === 'bad' || r.frame.length > FRAME_BUFFER - HEADROOM) { stats.ports[base + PS.RX_DROPPED]++; continue; }
        buf.set(r.frame, HEADROOM);
        f.buf = buf; f.off = HEADROOM; f.len = r.frame.length; f.inPort = p.portNo; f.recircId = 0; f.dpHash = 0; f.cutlen = 0; f.depth = 0; f.tun = rxTun;
        fw.receive(f);
        continue;
      }
      if (tunnel !== undefined) {
        // Not one of ours (the socket filter lets only UDP to the port through): malformed.
        if (!decapsulate(buf, HEADROOM, len, tunnel.kind, tunnel.dstPort, rxTun, inner)) { stats.ports[base + PS.RX_DROPPED]++; continue; }
        f.buf = buf; f.off = inner.off; f.len = inner.len; f.inPort = p.portNo; f.recircId = 0; f.dpHash = 0; f.cutlen = 0; f.depth = 0; f.tun = rxTun;
        forward();
        continue;
      }
      if (len < 14) { stats.ports[base + PS.RX_ERRORS]++; continue; }
      f.buf = buf; f.off = HEADROOM; f.len = len; f.inPort = p.portNo; f.recircId = 0; f.dpHash = 0; f.cutlen = 0; f.depth = 0; f.tun = undefined;
      forward();
    }
    return n;
  };

  /** Waits for readable ports (timeout ms; 0 = just look) and marks them active. */
  const waitEvents = (timeoutMs: number): void => {
    const n = epollWait(epfd, events, MAX_EVENTS, timeoutMs);
    for (let i = 0; i < n; i++) {
      const tag = epollTag(events, i);
      if (tag === WAKE_TAG) { try { readSync(d.wakeFd, wake, 0, 8, null); } catch { /* nothing pending */ } continue; }
      const p = tag < MAX_PORTS ? ports[tag] : undefined;
      if (p === undefined || p.active) continue;
      const r = p.ring;
      if (r !== undefined && (r.u32[(r.i * r.size) >>> 2]! & TP_STATUS_USER) === 0) { plainQueue(p); continue; }
      p.active = true;
      active.push(p);
    }
    if (timeoutMs !== 0) fw.tick();
  };

  const started = new Int32Array(d.started);
  Atomics.store(started, 0, 1);
  Atomics.notify(started, 0);
  post({ t: 'ready' });
  let rounds = 0;
  while (running) {
    drain();
    if (!running) break;
    if (active.length === 0) { waitEvents(1000); continue; }
    for (let k = 0; k < active.length;) {
      const p = active[k]!;
      const n = p.attached ? (p.ring !== undefined ? serveRing(p, p.ring) : serveFd(p)) : 0;
      if (n === BATCH && p.attached) { k++; continue; }
      // Drained (or gone): out of the active list until epoll reports it again.
      p.active = false;
      active[k] = active[active.length - 1]!;
      active.pop();
    }
    if (!running) break;
    if (++rounds === POLL_EVERY) { rounds = 0; waitEvents(0); }
  }
  for (const p of ports) if (p !== undefined) detach(p.portNo);
  fw.close();
  d.control.close();
}

main();
