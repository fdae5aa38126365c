// The Linux userspace datapath, with an API shaped like the kernel datapath's four netlink
// families so the netlink adapter over it stays thin:
//   ovs_datapath: createDatapath / getDatapath / listDatapaths / dp.destroy / dp.stats
//   ovs_vport:    dp.addPort / delPort / getPort / dumpPorts / setUpcallPids
//   ovs_flow:     dp.putFlow / getFlow / delFlow / dumpFlows / flushFlows
//   ovs_packet:   dp.execute (packet out) and dp.onUpcall (miss and userspace-action upcalls)
// Port 0 is the datapath's local port (an internal TAP named after the datapath). Frames move in a
// small pool of I/O worker threads (port-worker.ts; one per core by default, at most 4): a port is
// attached to the least loaded worker, which reads it with epoll among its other ports, so a port
// costs an fd and a few table entries, not a thread. This thread holds the authoritative tables,
// pushes changes to the workers, reads their counters from shared memory and delivers upcalls.
import { writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { OdpAction, OdpDatapathStats, OdpFlow, OdpFlowKey, OdpTunnelKey, OdpVport } from '../../engine/channel/odp-types.js';
import { VPORT_TYPES } from '../../engine/channel/odp-types.js';
import { exactMaskWords, extractFlowKey, keyToWords, maskToWords, maskWords } from '../../engine/channel/flow-extract.js';
import { InvalidInputError } from '../../engine/util/errors.js';
import { openPacketSocket, type RingGeometry } from '../linux/af-packet.js';
import { closeFd, eventfd } from '../linux/native.js';
import { getMtu, interfaceExists } from '../linux/netdev.js';
import { disableOffloads } from '../linux/offload.js';
import { createTap } from '../linux/tap.js';
import { compileActions, executeActions, type FrameState } from './actions.js';
import {
  BadFlowError, DatapathError, DatapathExistsError, FlowExistsError, FlowTableFullError, NoSuchDatapathError, NoSuchFlowError,
  NoSuchPortError, PortExistsError,
} from './errors.js';
import { Forwarder, UPCALL_MISS, type ControlMessage, type TunnelPortInfo, type UpcallMessage } from './forwarder.js';
import { openGreSocket, openSttSocket, openTunnelSockets } from '../linux/udp-tunnel.js';
import { STT_DST_PORT, TUNNEL_STT } from './tunnel-stt.js';
import { GENEVE_DST_PORT, TUNNEL_GENEVE, TUNNEL_GRE, TUNNEL_VXLAN, VXLAN_DST_PORT, tunnelMetaFromKey, tunnelMetaToKey } from './tunnel.js';
import { CTRL, CTRL_WORDS, DP_STAT_FIELDS, DS, FLOW_STAT_FIELDS, FRAME_BUFFER, HEADROOM, MAX_FLOWS, MAX_PORTS, PORT_STAT_FIELDS, PS, StatsSection } from './limits.js';
import type { PortWorkerData, WorkerMessage } from './port-worker.js';

export type PortType = 'internal' | 'netdev' | 'system' | 'tap' | 'vxlan' | 'geneve' | 'gre' | 'stt';

export interface AddPortOptions {
  name: string;
  /** internal/tap: a TAP device created with this name; netdev/system: AF_PACKET on an existing interface. */
  type: PortType;
  portNo?: number;
  upcallPids?: number[];
  mac?: string;
  mtu?: number;
  /** vxlan/geneve: the UDP port tunnel packets arrive on and are sent to (default 4789 / 6081). */
  dstPort?: number;
}

export interface Upcall {
  kind: 'miss' | 'action';
  /** Port the frame came in on. */
  portNo: number;
  key: OdpFlowKey;
  packet: Buffer;
  /** Netlink pid to deliver to: the port's first upcall pid for a miss, the action's for 'action'. */
  pid: number;
  userdata?: Buffer;
}

export interface PutFlowOptions {
  /** 'create': fail if the flow exists; 'modify': fail if it does not; default: either. */
  mode?: 'create' | 'modify' | 'create-or-modify';
  /** With modify: zero the counters (OVS_FLOW_ATTR_CLEAR). */
  clearStats?: boolean;
}

export interface FlowSelector { key?: OdpFlowKey; ufid?: Buffer }

export interface DatapathOptions {
  /** Create port 0 as an internal TAP named after the datapath (default true). */
  localPort?: boolean;
  /** Upcalls waiting for the engine before new ones are dropped and counted as lost (default 4096). */
  upcallQueue?: number;
  /** I/O worker threads (default: $OVS_DP_WORKERS, else one per core, 1-4). */
  workers?: number;
}

/** One thread of the I/O pool. */
interface IoWorker {
  index: number;
  worker: Worker;
  control: MessagePort;
  wakeFd: number;
  stats: StatsSection;
  /** Ports it reads. */
  load: number;
  /** Resolves once the thread runs (rejects if it failed to start). */
  started: Promise<void>;
  /** Int32 set to 1 by the thread when it runs (for a synchronous wait). */
  startedFlag: Int32Array;
  exited: Promise<void>;
  /** Waits in progress that need the worker to keep the process alive (see hold/release). */
  holds: number;
  dead: boolean;
}

interface PortRec {
  portNo: number;
  name: string;
  type: PortType;
  fd: number;
  close(): void;
  /** The pool worker that reads it. */
  io: IoWorker;
  upcallPids: number[];
  ifindex: number;
  /** An AF_PACKET port on a device (not a TAP, not a tunnel). */
  netdev: boolean;
  tunnel?: TunnelPortInfo;
  /** Ingress policing in force (replayed to workers that start later). */
  police?: { rateKbps: number; burstKbit: number };
}

interface FlowRec {
  slot: number;
  id: string;
  key: OdpFlowKey;
  mask?: OdpFlowKey;
  keyWords: Uint32Array;
  maskWords: Uint32Array;
  actions: OdpAction[];
  ufid?: Buffer;
}

const datapaths = new Map<string, UserspaceDatapath>();

export function getDatapath(name: string): UserspaceDatapath {
  const dp = datapaths.get(name);
  if (!dp) throw new NoSuchDatapathError(name);
  return dp;
}

export function listDatapaths(): UserspaceDatapath[] {
  return [...datapaths.values()];
}

export async function createDatapath(name: string, opts: DatapathOptions = {}): Promise<UserspaceDatapath> {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,15}$/.test(name)) {
    throw new InvalidInputError(`invalid datapath name ${JSON.stringify(name)}: expected 1-15 of [A-Za-z0-9_.-]`);
  }
  if (datapaths.has(name)) throw new DatapathExistsError(name);
  const dp = new UserspaceDatapath(name, opts);
  datapaths.set(name, dp);
  if (opts.localPort !== false) {
    try {
      await dp.addPort({ name, type: 'internal', portNo: 0 });
    } catch (e) {
      datapaths.delete(name);
      throw e;
    }
  }
  return dp;
}

let nextIfindex = 1;

export class UserspaceDatapath {
  readonly name: string;
  readonly dpIfindex = nextIfindex++;
  private readonly ports = new Map<number, PortRec>();
  private readonly portsByName = new Map<string, PortRec>();
  /** Port numbers from here up have never been handed out; freed ones below it wait in `freedPortNos`
   *  (ascending), so the lowest free number is found without a scan (as the kernel's, lowest first). */
  private nextFreshPortNo = 1;
  private readonly freedPortNos: number[] = [];
  private readonly io: IoWorker[] = [];
  private readonly poolSize: number;
  private attachSeq = 0;
  private readonly attachWaiters = new Map<number, { io: IoWorker; resolve: () => void; reject: (e: Error) => void }>();
  private readonly flows = new Map<string, FlowRec>();
  private readonly flowsByUfid = new Map<string, FlowRec>();
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  private readonly ctrlBuffer = new SharedArrayBuffer(CTRL_WORDS * 4);
  private readonly ctrl = new Int32Array(this.ctrlBuffer);
  private readonly upcallBound: number;
  /** Counters of this thread (packet execute). */
  private readonly mainStats = StatsSection.create();
  private readonly fwd: Forwarder;
  private readonly handlers = new Set<(u: Upcall) => void>();
  private syncSeq = 0;
  private readonly syncWaiters = new Map<number, { left: Set<IoWorker>; done: () => void }>();
  private destroyed = false;

  constructor(name: string, opts: DatapathOptions) {
    this.name = name;
    this.upcallBound = opts.upcallQueue ?? 4096;
    const w = opts.workers ?? Number(process.env.OVS_DP_WORKERS ?? NaN);
    this.poolSize = Number.isInteger(w) && w >= 1 && w <= 64 ? w : Math.max(1, Math.min(availableParallelism(), 4));
    this.fwd = new Forwarder(this.mainStats, this.ctrl, this.upcallBound, (m) => queueMicrotask(() => this.deliver(m)));
  }

  // ----- ovs_datapath ------------------------------------------------------------------------

  stats(): OdpDatapathStats {
    const sum = (i: number) => this.sections().reduce((a, s) => a + s.dp[i]!, 0);
    let masks = 0;
    const seen = new Set<string>();
    for (const f of this.flows.values()) { const id = Buffer.from(f.maskWords.buffer, f.maskWords.byteOffset, f.maskWords.byteLength).toString('hex'); if (!seen.has(id)) { seen.add(id); masks++; } }
    return { hit: BigInt(sum(0)), missed: BigInt(sum(1)), lost: BigInt(sum(2)), flows: BigInt(this.flows.size), masks };
  }

  /** Deletes every port (and the local TAP) and the flows; the datapath is gone afterwards. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const nonLocal = [...this.ports.keys()].filter((p) => p !== 0);
    await Promise.all(nonLocal.map((p) => this.delPort(p, true)));
    if (this.ports.has(0)) await this.delPort(0, true);
    this.flushFlows();
    this.fwd.close();
    await Promise.all(this.io.map((w) => this.stopWorker(w)));
    datapaths.delete(this.name);
  }

  // ----- ovs_vport ---------------------------------------------------------------------------

  /** Adds a port and resolves once its worker is moving frames (rejects if the worker fails to start). */
  async addPort(o: AddPortOptions): Promise<OdpVport> {
    const { vport, ready } = this.startPort(o);
    await ready;
    return vport;
  }

  /**
   * Adds a port synchronously (what a netlink vport NEW needs): the device is open and every
   * thread's table has the port's fd before any later message, so output to it works at once;
   * frames it receives wait in the device's queue (or rx ring) until its worker has added it to
   * its epoll set, a moment later. No wait here: adding 1,000 ports must not cost 1,000 thread
   * round trips. If the worker cannot read the port, the port is removed again with a warning.
   */
  addPortNow(o: AddPortOptions): OdpVport {
    const { vport, ready, io } = this.startPort(o);
    ready.catch((e: Error) => process.emitWarning(e.message));
    // Only the pool's first ports start a thread; wait for that (at most 10 s), so a frame that
    // arrives now is forwarded (or upcalled) as soon as a kernel datapath would.
    if (Atomics.load(io.startedFlag, 0) === 0) Atomics.wait(io.startedFlag, 0, 0, 10_000);
    return vport;
  }

  private startPort(o: AddPortOptions): { vport: OdpVport; ready: Promise<void>; io: IoWorker } {
    this.checkAlive();
    if (!o || typeof o.name !== 'string') throw new InvalidInputError(`invalid port ${JSON.stringify(o)}: expected { name, type }`);
    if (!['internal', 'netdev', 'system', 'tap', 'vxlan', 'geneve', 'gre', 'stt'].includes(o.type)) throw new InvalidInputError(`invalid port type ${JSON.stringify(o.type)}: expected internal, netdev, system, tap, vxlan, geneve, gre or stt`);
    if (this.portsByName.has(o.name)) throw new PortExistsError(o.name);
    for (const dp of datapaths.values()) if (dp !== this && dp.hasPortNamed(o.name)) throw new PortExistsError(o.name);
    const portNo = o.portNo ?? this.freePortNo();
    if (!Number.isInteger(portNo) || portNo < 0 || portNo >= MAX_PORTS) throw new InvalidInputError(`invalid port number ${JSON.stringify(portNo)}: expected 0-${MAX_PORTS - 1}`);
    if (this.ports.has(portNo)) throw new PortExistsError(portNo);

    let fd: number, ifindex: number, close: () => void;
    let isNetdev = false;
    let ring: RingGeometry | undefined;
    let tunnel: TunnelPortInfo | undefined;
    if (o.type === 'stt') {
      const dstPort = o.dstPort ?? STT_DST_PORT;
      if (!Number.isInteger(dstPort) || dstPort < 1 || dstPort > 65535) throw new InvalidInputError(`invalid stt destination port ${JSON.stringify(o.dstPort)}: expected 1-65535`);
      for (const p of this.ports.values()) if (p.tunnel?.kind === TUNNEL_STT && p.tunnel.dstPort === dstPort) throw new PortExistsError(`stt TCP port ${dstPort}`);
      const socks = openSttSocket(dstPort);
      fd = socks.rxFd; ifindex = 0; close = () => socks.close();
      tunnel = { kind: TUNNEL_STT, dstPort };
    } else if (o.type === 'gre') {
      for (const p of this.ports.values()) if (p.tunnel?.kind === TUNNEL_GRE) throw new PortExistsError('gre');
      const socks = openGreSocket();
      fd = socks.rxFd; ifindex = 0; close = () => socks.close();
      tunnel = { kind: TUNNEL_GRE, dstPort: 0 };
    } else if (o.type === 'vxlan' || o.type === 'geneve') {
      const dstPort = o.dstPort ?? (o.type === 'vxlan' ? VXLAN_DST_PORT : GENEVE_DST_PORT);
      if (!Number.isInteger(dstPort) || dstPort < 1 || dstPort > 65535) throw new InvalidInputError(`invalid ${o.type} destination port ${JSON.stringify(o.dstPort)}: expected 1-65535`);
      for (const p of this.ports.values()) if (p.tunnel?.dstPort === dstPort) throw new PortExistsError(`${o.type} UDP port ${dstPort}`);
      const socks = openTunnelSockets(dstPort);
      fd = socks.rxFd; ifindex = 0; close = () => socks.close();
      tunnel = { kind: o.type === 'vxlan' ? TUNNEL_VXLAN : TUNNEL_GENEVE, dstPort };
    } else if (o.type === 'internal' || o.type === 'tap') {
      const tapOpts: { mac?: string; mtu?: number } = {};
      if (o.mac !== undefined) tapOpts.mac = o.mac;
      if (o.mtu !== undefined) tapOpts.mtu = o.mtu;
      const tap = createTap(o.name, tapOpts);
      fd = tap.fd; ifindex = tap.ifindex; close = () => tap.close();
    } else {
      if (!interfaceExists(o.name)) throw new NoSuchPortError(o.name);
      disableOffloads(o.name);
      const s = openPacketSocket(o.name, { rxRing: { mtu: getMtu(o.name), reserve: HEADROOM } });
      isNetdev = true;
      fd = s.fd; ifindex = s.ifindex; close = () => s.close(); ring = s.ring;
    }
    let io: IoWorker;
    try {
      io = this.pickWorker();
    } catch (e) {
      close();
      throw e;
    }
    const rec: PortRec = { portNo, name: o.name, type: o.type, fd, close, io, upcallPids: o.upcallPids ?? [], ifindex, netdev: isNetdev };
    if (tunnel !== undefined) rec.tunnel = tunnel;
    for (const s of this.sections()) s.ports.fill(0, portNo * PORT_STAT_FIELDS, (portNo + 1) * PORT_STAT_FIELDS);
    // Every thread learns the port's fd now (synchronously, so no other call interleaves), then its
    // worker starts reading it.
    this.ports.set(portNo, rec);
    this.portsByName.set(o.name, rec);
    io.load++;
    this.everywhere(portMessage(portNo, fd, tunnel, ring !== undefined || isNetdev ? ifindex : undefined));
    const seq = ++this.attachSeq;
    const attach: ControlMessage = { op: 'attach', seq, port: portNo, fd };
    if (ring !== undefined) attach.ring = ring;
    if (tunnel !== undefined) attach.tunnel = tunnel;
    const attached = new Promise<void>((resolve, reject) => this.attachWaiters.set(seq, { io, resolve, reject }));
    hold(io);
    io.control.postMessage(attach);
    Atomics.add(this.ctrl, CTRL.GENERATION, 1);
    this.wake(io);
    const ready = attached.then(() => { release(io); }, async (e: unknown) => {
      release(io);
      if (this.ports.get(portNo) === rec) {
        this.forgetPort(rec);
        await this.sync();
        rec.close();
      }
      throw new DatapathError('OVS_E_PORT_WORKER', 5, `datapath ${this.name} port ${o.name}: ${(e as Error).message}`);
    });
    return { vport: this.vportOf(rec), ready, io };
  }

  /** The lowest free port number (1 up). */
  private freePortNo(): number {
    while (this.freedPortNos.length > 0) {
      const n = this.freedPortNos.shift()!;
      if (!this.ports.has(n)) return n;
    }
    while (this.nextFreshPortNo < MAX_PORTS && this.ports.has(this.nextFreshPortNo)) this.nextFreshPortNo++;
    if (this.nextFreshPortNo < MAX_PORTS) return this.nextFreshPortNo++;
    throw new DatapathError('OVS_E_PORT_LIMIT', 27 /* EFBIG */, `datapath ${this.name} has ${MAX_PORTS - 1} ports, the most it can have`);
  }

  /** The pool worker for a new port: a new thread while the pool is not full, else the least loaded. */
  private pickWorker(): IoWorker {
    const live = this.io.filter((w) => !w.dead);
    if (live.length < this.poolSize) return this.startWorker();
    let best = live[0]!;
    for (const w of live) if (w.load < best.load) best = w;
    return best;
  }

  private startWorker(): IoWorker {
    const wakeFd = eventfd();
    try {
      const stats = StatsSection.create();
      const { port1, port2 } = new MessageChannel();
      const index = this.io.length;
      const startedFlag = new Int32Array(new SharedArrayBuffer(4));
      const data: PortWorkerData = { index, wakeFd, control: port2, ctrl: this.ctrlBuffer, stats: stats.buffers, upcallBound: this.upcallBound, started: startedFlag.buffer as SharedArrayBuffer };
      // The new worker starts from the current state: every port's fd and every flow.
      for (const p of this.ports.values()) {
        port1.postMessage(portMessage(p.portNo, p.fd, p.tunnel, p.netdev ? p.ifindex : undefined));
        if (p.police) port1.postMessage({ op: 'police', port: p.portNo, ...p.police });
      }
      for (const f of this.flows.values()) port1.postMessage(this.putMessage(f));
      // execArgv []: the worker needs none of the parent's loaders (a test runner's TypeScript hooks
      // would make it take seconds to start).
      const worker = new Worker(new URL('./port-worker.js', import.meta.url), { workerData: data, transferList: [port2], execArgv: [] });
      const w: IoWorker = {
        index, worker, control: port1, wakeFd, stats, startedFlag, load: 0, holds: 1 /* until it has started */, dead: false,
        started: Promise.resolve(), exited: new Promise((resolve) => worker.once('exit', () => resolve())),
      };
      w.started = new Promise<void>((resolve, reject) => {
        worker.on('message', (m: WorkerMessage) => { if (m.t === 'ready') resolve(); else this.fromWorker(w, m); });
        worker.on('error', (e) => { reject(e); this.workerFailed(w, e); });
        worker.once('exit', (code) => { reject(new Error(`worker exited (code ${code})`)); this.workerFailed(w, new Error(`worker ${index} exited (code ${code})`)); });
      });
      w.started.then(() => release(w), () => { /* reported by workerFailed */ });
      this.io.push(w);
      return w;
    } catch (e) {
      closeFd(wakeFd);
      throw e;
    }
  }

  private async stopWorker(w: IoWorker): Promise<void> {
    if (!w.dead) {
      hold(w);
      w.control.postMessage({ op: 'stop' } satisfies ControlMessage);
      Atomics.add(this.ctrl, CTRL.GENERATION, 1);
      this.wake(w);
      const t = setTimeout(() => { void w.worker.terminate(); }, 5000);
      await w.exited;
      clearTimeout(t);
    }
    w.dead = true;
    w.control.close();
    closeFd(w.wakeFd);
  }

  /** Removes a port: its worker stops reading it, every thread forgets its fd, then the device is closed. */
  async delPort(which: number | string, evenLocal = false): Promise<OdpVport> {
    const { vport, done } = this.stopPort(which, evenLocal);
    await done;
    return vport;
  }

  /**
   * Removes a port synchronously from every table (what a netlink vport DEL needs) and returns it
   * with its last counters; its device is closed once every thread has let go of the fd.
   */
  delPortNow(which: number | string): OdpVport {
    const { vport, done } = this.stopPort(which, false);
    done.catch((e: Error) => process.emitWarning(e.message));
    return vport;
  }

  private stopPort(which: number | string, evenLocal: boolean): { vport: OdpVport; done: Promise<void> } {
    const rec = this.findPort(which);
    if (rec.portNo === 0 && !evenLocal && !this.destroyed) throw new InvalidInputError('port 0 is the datapath\'s local port; delete the datapath instead');
    const vport = this.vportOf(rec);
    this.forgetPort(rec);
    const done = this.sync().then(() => rec.close());
    return { vport, done };
  }

  /** Takes a port out of every table and tells every thread (its reader first). */
  private forgetPort(rec: PortRec): void {
    this.ports.delete(rec.portNo);
    if (rec.portNo > 0 && rec.portNo < this.nextFreshPortNo) {
      const f = this.freedPortNos;
      let i = f.length;
      while (i > 0 && f[i - 1]! > rec.portNo) i--;
      if (f[i - 1] !== rec.portNo) f.splice(i, 0, rec.portNo);
    }
    if (this.portsByName.get(rec.name) === rec) this.portsByName.delete(rec.name);
    rec.io.load--;
    if (!rec.io.dead) rec.io.control.postMessage({ op: 'detach', port: rec.portNo } satisfies ControlMessage);
    this.everywhere({ op: 'port', port: rec.portNo, fd: -1 });
    this.wake(rec.io);
  }

  getPort(which: number | string): OdpVport {
    return this.vportOf(this.findPort(which));
  }

  dumpPorts(): OdpVport[] {
    return [...this.ports.values()].sort((a, b) => a.portNo - b.portNo).map((p) => this.vportOf(p));
  }

  setUpcallPids(which: number | string, pids: number[]): void {
    this.findPort(which).upcallPids = [...pids];
  }

  hasPortNamed(name: string): boolean {
    return this.portsByName.has(name);
  }

  // ----- ovs_flow ----------------------------------------------------------------------------

  /** Installs or modifies a flow; returns the previous state of a modified flow. */
  putFlow(flow: OdpFlow, opts: PutFlowOptions = {}): OdpFlow | undefined {
    this.checkAlive();
    if (!flow || typeof flow !== 'object' || !flow.key) throw new BadFlowError(`invalid flow ${JSON.stringify(flow)}: expected { key, mask?, actions }`);
    const ufid = this.checkUfid(flow.ufid);
    compileActions(flow.actions ?? []); // validate before anything changes
    const keyWords = this.wordsOf(flow.key, 'key');
    const maskW = flow.mask ? this.wordsOf(flow.mask, 'mask', true) : exactMaskWords(flow.key);
    const id = idOf(keyWords);
    const existing = (ufid && this.flowsByUfid.get(ufid.toString('hex'))) || this.flows.get(id);
    const mode = opts.mode ?? 'create-or-modify';
    if (existing) {
      if (mode === 'create') throw new FlowExistsError();
      const before = this.flowOf(existing);
      existing.actions = flow.actions ?? [];
      if (opts.clearStats) this.zeroSlot(existing.slot);
      this.everywhere({ op: 'actions', slot: existing.slot, actions: existing.actions });
      return before;
    }
    if (mode === 'modify') throw new NoSuchFlowError();
    const slot = this.allocSlot();
    const rec: FlowRec = { slot, id, key: flow.key, keyWords: maskWords(keyWords, maskW), maskWords: maskW, actions: flow.actions ?? [] };
    if (flow.mask) rec.mask = flow.mask;
    if (ufid) rec.ufid = ufid;
    this.zeroSlot(slot);
    this.flows.set(id, rec);
    if (ufid) this.flowsByUfid.set(ufid.toString('hex'), rec);
    this.everywhere(this.putMessage(rec));
    return undefined;
  }

  getFlow(sel: FlowSelector): OdpFlow {
    return this.flowOf(this.findFlow(sel));
  }

  /** Deletes a flow and returns it with its final counters. */
  delFlow(sel: FlowSelector): OdpFlow {
    const rec = this.findFlow(sel);
    const last = this.flowOf(rec);
    this.flows.delete(rec.id);
    if (rec.ufid) this.flowsByUfid.delete(rec.ufid.toString('hex'));
    this.everywhere({ op: 'del', slot: rec.slot });
    this.freeSlots.push(rec.slot);
    return last;
  }

  dumpFlows(): OdpFlow[] {
    return [...this.flows.values()].map((f) => this.flowOf(f));
  }

  flushFlows(): void {
    for (const f of this.flows.values()) this.freeSlots.push(f.slot);
    this.flows.clear();
    this.flowsByUfid.clear();
    this.everywhere({ op: 'flush' });
  }

  // ----- ovs_packet --------------------------------------------------------------------------

  /** Runs actions on a frame (packet out). `inPort` is the port the frame counts as coming from;
   *  `tunnel` the tunnel metadata it carries (as a frame received on a tunnel port). */
  execute(packet: Uint8Array, actions: OdpAction[], opts: { inPort?: number; tunnel?: OdpTunnelKey } = {}): void {
    this.checkAlive();
    if (!(packet instanceof Uint8Array) || packet.length < 14 || packet.length > FRAME_BUFFER - HEADROOM) {
      throw new InvalidInputError(`invalid packet: expected an Ethernet frame of 14-${FRAME_BUFFER - HEADROOM} bytes, got ${packet instanceof Uint8Array ? packet.length : typeof packet}`);
    }
    const compiled = compileActions(actions);
    const buf = Buffer.allocUnsafe(packet.length + 2 * HEADROOM);
    buf.set(packet, HEADROOM);
    let tun;
    if (opts.tunnel?.ipv4Dst !== undefined) {
      try { tun = tunnelMetaFromKey(opts.tunnel); } catch (e) { throw new InvalidInputError(`invalid packet tunnel metadata: ${(e as Error).message}`); }
    }
    const f: FrameState = { buf, off: HEADROOM, len: packet.length, inPort: opts.inPort ?? 0, recircId: 0, dpHash: 0, cutlen: 0, depth: 0, tun };
    this.fwd.tick();
    executeActions(compiled, f, this.fwd);
  }

  /** Subscribes to upcalls; returns the unsubscribe function. */
  onUpcall(handler: (u: Upcall) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  // ----- internals ---------------------------------------------------------------------------

  private checkAlive(): void {
    if (this.destroyed) throw new NoSuchDatapathError(this.name);
  }

  private sections(): StatsSection[] {
    const out = [this.mainStats];
    for (const w of this.io) out.push(w.stats);
    return out;
  }

  private findPort(which: number | string): PortRec {
    if (typeof which === 'number') {
      const p = this.ports.get(which);
      if (p) return p;
    } else {
      const p = this.portsByName.get(which);
      if (p) return p;
    }
    throw new NoSuchPortError(which);
  }

  private vportOf(p: PortRec): OdpVport {
    const sum = (i: number) => BigInt(this.sections().reduce((a, s) => a + s.ports[p.portNo * PORT_STAT_FIELDS + i]!, 0));
    const v: OdpVport = {
      portNo: p.portNo, name: p.name, upcallPids: [...p.upcallPids],
      type: p.type === 'internal' ? VPORT_TYPES.internal : p.type === 'vxlan' ? VPORT_TYPES.vxlan : p.type === 'geneve' ? VPORT_TYPES.geneve : p.type === 'gre' ? VPORT_TYPES.gre : p.type === 'stt' ? VPORT_TYPES.stt : VPORT_TYPES.netdev,
      stats: {
        rxPackets: sum(PS.RX_PACKETS), txPackets: sum(PS.TX_PACKETS), rxBytes: sum(PS.RX_BYTES), txBytes: sum(PS.TX_BYTES),
        rxErrors: sum(PS.RX_ERRORS), txErrors: sum(PS.TX_ERRORS), rxDropped: sum(PS.RX_DROPPED), txDropped: sum(PS.TX_DROPPED),
      },
    };
    if (p.ifindex) v.ifindex = p.ifindex;
    if (p.tunnel && p.tunnel.kind !== TUNNEL_GRE) v.options = { dstPort: p.tunnel.dstPort };
    return v;
  }

  private wordsOf(k: OdpFlowKey, what: string, asMask = false): Uint32Array {
    try {
      return asMask ? maskToWords(k) : keyToWords(k);
    } catch (e) {
      throw new BadFlowError(`invalid flow ${what}: ${(e as Error).message}`);
    }
  }

  private checkUfid(ufid: unknown): Buffer | undefined {
    if (ufid === undefined) return undefined;
    if (!(ufid instanceof Uint8Array) || ufid.length !== 16) throw new BadFlowError(`invalid ufid: expected 16 bytes, got ${ufid instanceof Uint8Array ? ufid.length + ' bytes' : typeof ufid}`);
    return Buffer.from(ufid);
  }

  private findFlow(sel: FlowSelector): FlowRec {
    if (sel?.ufid !== undefined) {
      const u = this.checkUfid(sel.ufid)!;
      const f = this.flowsByUfid.get(u.toString('hex'));
      if (f) return f;
      throw new NoSuchFlowError();
    }
    if (!sel?.key) throw new BadFlowError('a flow is selected by key or ufid; neither was given');
    const f = this.flows.get(idOf(this.wordsOf(sel.key, 'key')));
    if (!f) throw new NoSuchFlowError();
    return f;
  }

  private allocSlot(): number {
    if (this.freeSlots.length > 0) return this.freeSlots.shift()!;
    if (this.nextSlot >= MAX_FLOWS) throw new FlowTableFullError(MAX_FLOWS);
    return this.nextSlot++;
  }

  private zeroSlot(slot: number): void {
    for (const s of this.sections()) {
      s.flows.fill(0, slot * FLOW_STAT_FIELDS, (slot + 1) * FLOW_STAT_FIELDS);
      s.tcpFlags[slot] = 0;
    }
  }

  private flowOf(f: FlowRec): OdpFlow {
    let packets = 0, bytes = 0, used = 0, tcpFlags = 0;
    for (const s of this.sections()) {
      const i = f.slot * FLOW_STAT_FIELDS;
      packets += s.flows[i]!; bytes += s.flows[i + 1]!; used = Math.max(used, s.flows[i + 2]!);
      tcpFlags |= s.tcpFlags[f.slot]!;
    }
    const out: OdpFlow = { key: f.key, actions: f.actions, stats: { packets: BigInt(packets), bytes: BigInt(bytes) }, used, tcpFlags };
    if (f.mask) out.mask = f.mask;
    if (f.ufid) out.ufid = Buffer.from(f.ufid);
    return out;
  }

  private putMessage(f: FlowRec): ControlMessage {
    return { op: 'put', slot: f.slot, key: f.keyWords, mask: f.maskWords, actions: f.actions };
  }

  /** Ingress policing of the port named `name` (Interface ingress_policing_rate/burst; rate 0 =
   *  off). Throws NoSuchPortError / InvalidInputError. */
  setIngressPolicing(name: string, rateKbps: number, burstKbit: number): void {
    const p = this.portsByName.get(name);
    if (!p) throw new NoSuchPortError(name);
    if (!Number.isInteger(rateKbps) || rateKbps < 0) throw new InvalidInputError(`invalid ingress policing rate ${JSON.stringify(rateKbps)}: expected kbit/s >= 0`);
    if (!Number.isInteger(burstKbit) || burstKbit < 0) throw new InvalidInputError(`invalid ingress policing burst ${JSON.stringify(burstKbit)}: expected kbit >= 0`);
    p.police = rateKbps > 0 ? { rateKbps, burstKbit } : undefined;
    this.everywhere({ op: 'police', port: p.portNo, rateKbps, burstKbit });
  }

  /** Sends a control message to every worker and applies it to this thread's forwarder. */
  private everywhere(m: ControlMessage): void {
    this.fwd.apply(m);
    this.broadcast(m);
  }

  private broadcast(m: ControlMessage): void {
    for (const w of this.io) if (!w.dead) w.control.postMessage(m);
    Atomics.add(this.ctrl, CTRL.GENERATION, 1);
  }

  private wake(w: IoWorker): void {
    if (w.dead) return;
    try { writeSync(w.wakeFd, ONE); } catch { /* counter saturated: already awake */ }
  }

  /** Resolves when every live worker has applied every message sent before. */
  private sync(): Promise<void> {
    const live = this.io.filter((w) => !w.dead);
    if (live.length === 0) return Promise.resolve();
    const seq = ++this.syncSeq;
    for (const w of live) hold(w); // workers are unref'd; waiting for them must keep the process up
    return new Promise((resolve) => {
      this.syncWaiters.set(seq, { left: new Set(live), done: () => { for (const w of live) release(w); resolve(); } });
      for (const w of live) w.control.postMessage({ op: 'sync', seq } satisfies ControlMessage);
      Atomics.add(this.ctrl, CTRL.GENERATION, 1);
      for (const w of live) this.wake(w);
    });
  }

  /** A pool thread died: its ports stop moving frames (they stay in the tables, with a warning);
   *  nothing waits for it any more. */
  private workerFailed(w: IoWorker, e: Error): void {
    if (w.dead) return;
    w.dead = true;
    if (!this.destroyed) {
      const names = [...this.ports.values()].filter((p) => p.io === w).map((p) => p.name);
      process.emitWarning(`datapath ${this.name} I/O worker ${w.index} failed: ${e.message}${names.length ? ` (ports ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', ...' : ''} stop forwarding)` : ''}`);
    }
    for (const [seq, s] of this.syncWaiters) { s.left.delete(w); if (s.left.size === 0) { this.syncWaiters.delete(seq); s.done(); } }
    for (const [seq, a] of this.attachWaiters) if (a.io === w) { this.attachWaiters.delete(seq); a.reject(new Error(`I/O worker failed: ${e.message}`)); }
  }

  private fromWorker(w: IoWorker, m: WorkerMessage): void {
    if (m.t === 'upcall') this.deliver(m);
    else if (m.t === 'ready') return;
    else if (m.t === 'ack') {
      const s = this.syncWaiters.get(m.seq);
      if (s) { s.left.delete(w); if (s.left.size === 0) { this.syncWaiters.delete(m.seq); s.done(); } }
    } else if (m.t === 'attached') {
      const a = this.attachWaiters.get(m.seq);
      if (!a) return;
      this.attachWaiters.delete(m.seq);
      if (m.error !== undefined) a.reject(new Error(`could not start reading it: ${m.error}`)); else a.resolve();
    } else process.emitWarning(`datapath ${this.name}: ${m.message}`);
  }

  private deliver(m: UpcallMessage): void {
    Atomics.sub(this.ctrl, CTRL.PENDING_UPCALLS, 1);
    const packet = Buffer.from(m.packet.buffer, m.packet.byteOffset, m.packet.byteLength);
    if (this.handlers.size === 0) { this.mainStats.dp[DS.LOST]!++; return; }
    const key = extractFlowKey(packet, m.inPort);
    key.recircId = m.recircId;
    key.dpHash = m.dpHash;
    if (m.tun !== undefined) key.tunnel = tunnelMetaToKey(m.tun);
    const port = this.ports.get(m.inPort);
    const u: Upcall = {
      kind: m.kind === UPCALL_MISS ? 'miss' : 'action', portNo: m.inPort, key, packet,
      pid: m.kind === UPCALL_MISS ? (port?.upcallPids[0] ?? 0) : m.pid,
    };
    if (m.userdata) u.userdata = Buffer.from(m.userdata);
    for (const h of this.handlers) {
      try { h(u); } catch (e) { process.emitWarning(`datapath ${this.name}: upcall handler threw: ${(e as Error).message}`); }
    }
  }
}

function portMessage(port: number, fd: number, tunnel: TunnelPortInfo | undefined, netdevIfindex?: number): ControlMessage {
  const m: Extract<ControlMessage, { op: 'port' }> = { op: 'port', port, fd };
  if (tunnel !== undefined) m.tunnel = tunnel;
  if (netdevIfindex) m.netdevIfindex = netdevIfindex;
  return m;
}

/** A pool worker keeps the process alive only while something waits for it. */
function hold(w: IoWorker): void {
  if (w.holds++ === 0) w.worker.ref();
}

function release(w: IoWorker): void {
  if (--w.holds === 0) w.worker.unref();
}

const ONE = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]);

function idOf(words: Uint32Array): string {
  return Buffer.from(words.buffer, words.byteOffset, words.byteLength).toString('hex');
}
