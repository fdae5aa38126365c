// The engine's datapath transport on Linux: ovs_* generic-netlink messages to the kernel's
// openvswitch module over AF_NETLINK/NETLINK_GENERIC, as OVS's lib/netlink-socket.c does it on
// Linux: families and multicast groups resolved with CTRL_CMD_GETFAMILY, one request socket
// (seq/pid stamped per request, NLM_F_ACK so every request ends in a known message, dumps read
// until NLMSG_DONE) and a second socket for upcalls, whose port id is the "upcall pid" a caller
// gives the datapath and its vports. Nothing blocks the event loop: sockets are non-blocking;
// a request waits for its answer with short back-off timers, and the upcall socket is read when it
// becomes readable: a worker thread sleeps in poll(2) on it (as OVS's poll_fd_wait) and wakes the
// main thread, which drains it.
import { constants as osConstants } from 'node:os';
import { decodeFamily, encodeGetFamily, type FamilyInfo } from '../../engine/channel/messages.js';
import { decodeMessage, encodeError, NLMSG_DONE, NLMSG_ERROR, parseHeader, splitMessages } from '../../engine/channel/netlink.js';
import { netlinkTables } from '../../engine/channel/netlink-tables.js';
import type { NetlinkTransport } from '../../engine/channel/transport.js';
import { OvsError } from '../../engine/util/errors.js';
import { GenlSocket } from './genetlink-socket.js';
import { Worker } from 'node:worker_threads';
import { closeSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as native from './native.js';

interface PollerData { ffiPath: string; fd: number; wakeFd: number; ack: SharedArrayBuffer }

/** The poller thread (CommonJS, evaluated as a worker so it starts with nothing but ffi-rs): sleeps
 *  in poll(2) until the upcall socket is readable, tells the main thread, and waits until it has
 *  drained the socket before polling again; returns when the wake eventfd fires. */
const POLLER_SOURCE = `
const { parentPort, workerData: d } = require('node:worker_threads');
const ffi = require(d.ffiPath);
ffi.open({ library: 'ovsps-genl-poller', path: '' });
const T = ffi.DataType;
const fds = Buffer.alloc(16); // two struct pollfd { int fd; short events; short revents; }
fds.writeInt32LE(d.fd, 0); fds.writeInt16LE(1, 4);
fds.writeInt32LE(d.wakeFd, 8); fds.writeInt16LE(1, 12);
const ack = new Int32Array(d.ack);
for (;;) {
  fds.writeInt16LE(0, 6); fds.writeInt16LE(0, 14);
  const r = ffi.load({ library: 'ovsps-genl-poller', funcName: 'poll', retType: T.I32, paramsType: [T.U8Array, T.U64, T.I32], paramsValue: [fds, 2, -1], errno: true });
  if (r.value < 0 && r.errnoCode !== 4) throw new Error('poll: ' + r.errnoMessage);
  if (fds.readInt16LE(14) !== 0) break;
  if (fds.readInt16LE(6) === 0) continue;
  Atomics.store(ack, 0, 0);
  parentPort.postMessage('readable');
  Atomics.wait(ack, 0, 0);
}
`;

const NLM_F_ACK = 0x4;
const NLM_F_DUMP = 0x300;
const REPLY_BUFFER = 256 * 1024;
/** Upcalls handled per event-loop turn (ovs-vswitchd's handler threads read UPCALL_MAX_BATCH = 64). */
const UPCALL_BATCH = 64;
const errnoNames = new Map<number, string>(Object.entries(osConstants.errno).map(([k, v]) => [v, k]));

/** A generic-netlink failure; `errno` is positive (ENOENT = 2) when the kernel reported one. */
export class GenlTransportError extends OvsError {
  constructor(message: string, readonly errno = 0) {
    super(errno ? `OVS_E_GENL_${errnoNames.get(errno) ?? errno}` : 'OVS_E_GENL', message);
  }
}

export interface GenlTransportOptions {
  /** How long one request may wait for its answer before failing (default 10 s). */
  timeoutMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class GenlTransport implements NetlinkTransport {
  private seq = 1;
  private closed = false;
  private readonly families = new Map<string, FamilyInfo>();
  private readonly listeners = new Set<(m: Buffer) => void>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly rx = Buffer.alloc(REPLY_BUFFER);
  /** Upcall/event messages the kernel dropped because the upcall socket's queue overflowed. */
  lostUpcalls = 0;

  private constructor(private readonly sock: GenlSocket, private readonly upcalls: GenlSocket, private readonly timeoutMs: number) {}

  static open(opts: GenlTransportOptions = {}): GenlTransport {
    const sock = GenlSocket.open();
    let upcalls: GenlSocket;
    try { upcalls = GenlSocket.open({ bufferBytes: 8 * 1024 * 1024 }); } catch (e) { sock.close(); throw e; }
    return new GenlTransport(sock, upcalls, opts.timeoutMs ?? 10_000);
  }

  /** Port id of the request socket. */
  get pid(): number { return this.sock.portId; }

  /** Port id of the upcall socket: give it as OVS_DP_ATTR_UPCALL_PID / OVS_VPORT_ATTR_UPCALL_PID. */
  get upcallPid(): number { return this.upcalls.portId; }

  /** Family id, version and multicast groups from the kernel's genl controller (cached). */
  async family(name: string): Promise<FamilyInfo> {
    const known = this.families.get(name);
    if (known) return known;
    const replies = await this.transact(encodeGetFamily(name, {}));
    const ctrlId = netlinkTables().controller.id;
    for (const r of replies) {
      const m = decodeMessage(r, (t) => t !== ctrlId);
      if (m.kind === 'error') {
        if (m.error === 0) continue;
        throw new GenlTransportError(`generic netlink family ${name}: ${errnoNames.get(-m.error) ?? m.error}${m.error === -osConstants.errno.ENOENT ? ' (not registered: is the kernel module loaded?)' : ''}`, -m.error);
      }
      if (m.kind === 'genl' && m.header.type === ctrlId) {
        const info = decodeFamily(m);
        this.families.set(name, info);
        return info;
      }
    }
    throw new GenlTransportError(`generic netlink family ${name}: the controller sent no CTRL_CMD_NEWFAMILY reply`);
  }

  async resolveFamily(name: string): Promise<number> {
    return (await this.family(name)).id;
  }

  async resolveMulticastGroup(family: string, group: string): Promise<number> {
    const g = (await this.family(family)).mcgroups.find((x) => x.name === group);
    if (!g) throw new GenlTransportError(`generic netlink family ${family} has no multicast group ${group}`, osConstants.errno.ENOENT);
    return g.id;
  }

  /** Joins a multicast group on the upcall socket, so its messages reach onMessage listeners. */
  joinMulticastGroup(group: number): void { this.upcalls.joinGroup(group); }

  private readonly joined = new Set<number>();

  async subscribeMulticast(family: string, group: string): Promise<void> {
    if (this.closed) throw new GenlTransportError('the generic netlink transport is closed');
    const id = await this.resolveMulticastGroup(family, group);
    if (this.joined.has(id)) return;
    this.joinMulticastGroup(id);
    this.joined.add(id);
  }

  transact(request: Buffer): Promise<Buffer[]> {
    // One request in flight per socket: replies are matched by sequence number, in order.
    const run = this.queue.then(() => this.transactNow(request));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async transactNow(request: Buffer): Promise<Buffer[]> {
    if (this.closed) throw new GenlTransportError('the generic netlink transport is closed');
    const h = parseHeader(request);
    if (h.len !== request.length) throw new GenlTransportError(`request header says ${h.len} bytes but the buffer has ${request.length}`);
    const msg = Buffer.from(request);
    const seq = this.seq++;
    const dump = (h.flags & NLM_F_DUMP) === NLM_F_DUMP;
    msg.writeUInt16LE(h.flags | NLM_F_ACK, 6);
    msg.writeUInt32LE(seq, 8);
    msg.writeUInt32LE(this.sock.portId, 12);
    try {
      this.sock.send(msg);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      throw new GenlTransportError(`sending request type ${h.type} failed: ${(e as Error).message}`, (osConstants.errno as Record<string, number>)[code] ?? 0);
    }
    const header = parseHeader(msg);
    const replies: Buffer[] = [];
    const deadline = Date.now() + this.timeoutMs;
    for (let idle = 0; ;) {
      const n = this.sock.receive(this.rx);
      if (n === -2) throw new GenlTransportError('the request socket overflowed (ENOBUFS); replies were lost', osConstants.errno.ENOBUFS);
      if (n < 0) {
        if (this.closed) throw new GenlTransportError('the generic netlink transport was closed during a request');
        if (Date.now() > deadline) throw new GenlTransportError(`no answer to request seq ${seq} (type ${h.type}) within ${this.timeoutMs} ms`, osConstants.errno.ETIMEDOUT);
        idle = Math.min(idle + 1, 10);
        await (idle < 3 ? new Promise<void>((r) => setImmediate(r)) : sleep(idle));
        continue;
      }
      idle = 0;
      for (const part of splitMessages(this.rx.subarray(0, n))) {
        const m = Buffer.from(part);
        if (m.readUInt32LE(8) !== seq) continue; // a late answer to an abandoned request
        const type = m.readUInt16LE(4);
        if (type === NLMSG_ERROR) {
          // The kernel's final word: an ACK (0) after the replies, or the error instead of them.
          const error = m.readInt32LE(16);
          if (error !== 0) return [m];
          return replies.length ? replies : [m];
        }
        if (type === NLMSG_DONE) {
          const error = m.length >= 20 ? m.readInt32LE(16) : 0;
          if (error < 0) return [encodeError(header, error)];
          if (dump) return replies; // the ACK of a dump, if any, is the DONE itself
          continue;
        }
        replies.push(m);
      }
    }
  }

  onMessage(listener: (message: Buffer) => void): () => void {
    this.listeners.add(listener);
    if (!this.poller && !this.closed) this.startPoller();
    return () => { this.listeners.delete(listener); };
  }

  private poller?: { worker: Worker; wakeFd: number; ack: Int32Array; exited: Promise<void> };
  private readonly rxUpcall = Buffer.alloc(REPLY_BUFFER);

  /** The worker that waits in poll(2) for the upcall socket (started by the first listener). */
  private startPoller(): void {
    const wakeFd = native.eventfd();
    const ack = new Int32Array(new SharedArrayBuffer(4));
    const data: PollerData = { ffiPath: createRequire(import.meta.url).resolve('ffi-rs'), fd: this.upcalls.fd, wakeFd, ack: ack.buffer as SharedArrayBuffer };
    const worker = new Worker(POLLER_SOURCE, { eval: true, workerData: data });
    worker.unref();
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', () => {
      this.drainUpcalls();
      Atomics.store(ack, 0, 1);
      Atomics.notify(ack, 0);
    });
    worker.on('error', (e) => { if (!this.closed) process.emitWarning(`genetlink upcall poller failed: ${e.message}`); });
    this.poller = { worker, wakeFd, ack, exited };
  }

  /** Reads up to UPCALL_BATCH queued upcall/event messages and hands each to the listeners (none:
   *  dropped). What is left makes the poller signal again at once, so timers and I/O run between
   *  batches: one drain of thousands of upcalls held the event loop for seconds under load, long
   *  enough for LACP partners (3 s fast timeout) to expire. */
  private drainUpcalls(): void {
    for (let i = 0; i < UPCALL_BATCH && !this.closed; i++) {
      const n = this.upcalls.receive(this.rxUpcall);
      if (n === -2) { this.lostUpcalls++; continue; }
      if (n < 0) return;
      for (const part of splitMessages(this.rxUpcall.subarray(0, n))) {
        const m = Buffer.from(part);
        for (const l of [...this.listeners]) {
          try { l(m); } catch (e) { process.emitWarning(`genetlink upcall listener failed: ${(e as Error).message}`); }
        }
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    if (this.poller) {
      const { worker, wakeFd, ack, exited } = this.poller;
      const one = Buffer.alloc(8);
      one.writeBigUInt64LE(1n);
      writeSync(wakeFd, one);
      Atomics.store(ack, 0, 1);
      Atomics.notify(ack, 0);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((r) => { timer = setTimeout(r, 2000); })]);
      clearTimeout(timer);
      await worker.terminate();
      closeSync(wakeFd);
    }
    await this.queue;
    this.sock.close();
    this.upcalls.close();
  }
}
