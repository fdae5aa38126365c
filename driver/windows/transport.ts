// The engine's datapath transport on Windows: ovs_* netlink messages to the OVS Hyper-V extension
// through its device, exactly as OVS's lib/netlink-socket.c drives it: one handle per "socket" with
// a kernel-assigned pid (GET_PID) stamped into every message, TRANSACT for requests, WRITE + READ for
// dumps (one message per READ until an empty read or NLMSG_DONE), ovs_win_control for the socket
// property, packet subscription (READ_PACKET) and vport multicast events (READ_EVENT).
// Upcalls and events are read when the device signals them, as nl_sock_wait does on Windows: a
// handle drains its queue (READ_PACKET / READ_EVENT until an empty read), then pends a
// WIN_PEND_PACKET_REQ / WIN_PEND_REQ (an overlapped WRITE the extension completes when something is
// queued) and waits for it. No timers: the extension always offers the pend request.
import { encodeGenl, NLMSG_DONE, NlWriter, parseHeader, splitMessages } from '../../engine/channel/netlink.js';
import { attrSet, familySpec, netlinkTables } from '../../engine/channel/netlink-tables.js';
import { encodeValue } from '../../engine/channel/attr-values.js';
import type { NetlinkTransport } from '../../engine/channel/transport.js';
import { OvsError } from '../../engine/util/errors.js';
import { DeviceError, explainDeviceError, IOCTL, WIN32, type DeviceIo } from './ioctl.js';

const REPLY_BUFFER = 64 * 1024;
const NETLINK_GENERIC = 16;

export class WindowsTransportError extends OvsError {
  constructor(message: string) { super('OVS_E_WINDOWS_DATAPATH', message); }
}

interface Sock { handle: number; pid: number }

/** An ovs_win_control message as lib/netlink-socket.c builds it: NLM_F_REQUEST, dp_ifindex 0 (the
 *  extension's OVS_DP_NUMBER), attributes in the order userspace puts them. */
export function controlMessage(cmd: string, pid: number, seq: number, attrs: Array<[string, string, number]>): Buffer {
  const f = familySpec('ovs_win_control');
  return encodeGenl({ type: f.windowsId, flags: 1, seq, pid, cmd: f.commands.get(cmd)!, version: f.version, dpIfindex: 0 }, (w: NlWriter) => {
    for (const [set, name, value] of attrs) {
      const spec = attrSet(set).byName.get(name)!;
      w.attr(spec.id, encodeValue(spec, value, set));
    }
  });
}

export class WindowsNetlinkTransport implements NetlinkTransport {
  private seq = 1;
  private readonly listeners = new Set<(m: Buffer) => void>();
  private packetSock?: Sock;
  private readingPackets = false;
  private readonly eventSocks = new Map<number, Sock>();
  private closed = false;
  /** Pend requests made (each one wait for the device to signal), for tests and diagnostics. */
  readonly counters = { packetPends: 0, eventPends: 0, packetReads: 0, eventReads: 0 };

  private constructor(private readonly io: DeviceIo, private readonly sock: Sock) {}

  /** Opens the device and sets up the request socket (GET_PID + SOCK_PROP, as nl_sock_create). */
  static async open(io: DeviceIo): Promise<WindowsNetlinkTransport> {
    const t = new WindowsNetlinkTransport(io, await WindowsNetlinkTransport.openSock(io));
    try {
      await t.openPacketSock();
    } catch (e) {
      await t.close();
      throw e;
    }
    return t;
  }

  /** The packet handle's pid: vports name it as their upcall pid (the extension routes a miss to the
   *  instance whose pid is the vport's upcall pid, and drops it when there is none). */
  get upcallPid(): number | undefined { return this.packetSock?.pid; }

  /** nl_sock_subscribe_packets on a handle of its own, made at open so vports can name its pid;
   *  upcalls queue in the extension until onMessage starts reading them. */
  private async openPacketSock(): Promise<void> {
    const s = await WindowsNetlinkTransport.openSock(this.io);
    this.packetSock = s;
    try {
      await this.io.ioctl(s.handle, IOCTL.WRITE, controlMessage('PACKET_SUBSCRIBE_REQ', s.pid, this.seq++, [['winControl', 'PACKET_SUBSCRIBE', 1], ['winControl', 'PACKET_PID', s.pid]]), 0);
    } catch (e) {
      throw WindowsNetlinkTransport.wrap(e, 'subscribing to packet upcalls');
    }
  }

  private static async openSock(io: DeviceIo): Promise<Sock> {
    let handle: number;
    try { handle = io.open(); } catch (e) { throw WindowsNetlinkTransport.wrap(e, 'opening \\\\.\\OpenvSwitchDevice'); }
    try {
      const out = await io.ioctl(handle, IOCTL.GET_PID, undefined, 4);
      if (out.length < 4) throw new WindowsTransportError(`GET_PID returned ${out.length} bytes, expected 4`);
      const pid = out.readUInt32LE(0);
      const msg = controlMessage('SOCK_PROP', pid, 0, [['winSockProp', 'SOCK_PROTO', NETLINK_GENERIC], ['winSockProp', 'SOCK_PID', pid]]);
      const reply = await io.ioctl(handle, IOCTL.TRANSACT, msg, REPLY_BUFFER);
      if (reply.length >= 20 && reply.readUInt16LE(4) === 2 && reply.readInt32LE(16) !== 0) {
        throw new WindowsTransportError(`setting the socket protocol failed (errno ${-reply.readInt32LE(16)})`);
      }
      return { handle, pid };
    } catch (e) {
      io.close(handle);
      throw WindowsNetlinkTransport.wrap(e, 'setting up a device handle');
    }
  }

  private static wrap(e: unknown, what: string): Error {
    if (e instanceof DeviceError) return new WindowsTransportError(explainDeviceError(e.win32, what));
    return e instanceof Error ? e : new Error(String(e));
  }

  async resolveFamily(name: string): Promise<number> {
    const f = netlinkTables().families.get(name);
    if (!f) throw new WindowsTransportError(`the Windows extension has no family ${name}`);
    return f.windowsId;
  }

  async resolveMulticastGroup(family: string, group: string): Promise<number> {
    const g = familySpec(family).mcgroups.find((x) => x.name === group);
    if (!g) throw new WindowsTransportError(`family ${family} has no multicast group ${group}`);
    return g.windowsId;
  }

  private stamp(request: Buffer, pid: number): { msg: Buffer; seq: number } {
    const msg = Buffer.from(request);
    const seq = this.seq++;
    msg.writeUInt32LE(seq, 8);
    msg.writeUInt32LE(pid, 12);
    return { msg, seq };
  }

  /** One request at a time on the request handle: the extension keeps one dump state per handle,
   *  so a second dump's WRITE must not land between another dump's READs. */
  transact(request: Buffer): Promise<Buffer[]> {
    const run = this.queue.then(() => this.transactNow(request));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private queue: Promise<unknown> = Promise.resolve();

  private async transactNow(request: Buffer): Promise<Buffer[]> {
    if (this.closed) throw new WindowsTransportError('the transport is closed');
    const h = parseHeader(request);
    const { msg, seq } = this.stamp(request, this.sock.pid);
    const dump = (h.flags & 0x300) === 0x300;
    try {
      if (dump) {
        await this.io.ioctl(this.sock.handle, IOCTL.WRITE, msg, 0);
        const out: Buffer[] = [];
        for (;;) {
          const r = await this.io.ioctl(this.sock.handle, IOCTL.READ, undefined, REPLY_BUFFER);
          if (r.length === 0) return out;
          for (const m of splitMessages(r)) {
            if (m.readUInt16LE(4) === NLMSG_DONE) return out;
            out.push(Buffer.from(m));
          }
        }
      }
      const r = await this.io.ioctl(this.sock.handle, IOCTL.TRANSACT, msg, REPLY_BUFFER);
      if (r.length === 0) return [];
      const replies = splitMessages(r).map((m) => Buffer.from(m));
      for (const m of replies) {
        if (m.readUInt32LE(8) !== seq) throw new WindowsTransportError(`reply sequence ${m.readUInt32LE(8)} does not match request ${seq}`);
      }
      return replies;
    } catch (e) {
      throw WindowsNetlinkTransport.wrap(e, 'datapath request');
    }
  }

  onMessage(listener: (message: Buffer) => void): () => void {
    this.listeners.add(listener);
    if (!this.readingPackets) void this.startPackets();
    return () => this.listeners.delete(listener);
  }

  private deliver(r: Buffer): void {
    for (const m of splitMessages(r)) {
      const copy = Buffer.from(m);
      for (const l of [...this.listeners]) {
        try { l(copy); } catch (e) { process.emitWarning(`Windows datapath listener failed: ${(e as Error).message}`); }
      }
    }
  }

  /** The read side of nl_sock_recv + nl_sock_wait for one subscribed handle: read until the queue
   *  is empty, pend, and start over when the device completes the pend. Ends when the transport
   *  closes (the pend is cancelled). */
  private async readLoop(s: Sock, read: number, pendCmd: 'WIN_PEND_PACKET_REQ' | 'WIN_PEND_REQ'): Promise<void> {
    const packets = pendCmd === 'WIN_PEND_PACKET_REQ';
    while (!this.closed) {
      for (;;) {
        const r = await this.io.ioctl(s.handle, read, undefined, REPLY_BUFFER);
        if (r.length === 0 || this.closed) break;
        if (packets) this.counters.packetReads++; else this.counters.eventReads++;
        this.deliver(r);
      }
      if (this.closed) return;
      if (packets) this.counters.packetPends++; else this.counters.eventPends++;
      // Header only (24 bytes), as pend_io_request sends it.
      await this.io.pend(s.handle, IOCTL.WRITE, controlMessage(pendCmd, s.pid, this.seq++, []));
    }
  }

  private loopFailed(e: unknown, what: string): void {
    if (this.closed) return;
    if (e instanceof DeviceError && e.win32 === WIN32.ERROR_OPERATION_ABORTED) return;
    process.emitWarning(WindowsNetlinkTransport.wrap(e, what).message);
  }

  /** The READ_PACKET loop on the packet handle, while the transport is open. */
  private async startPackets(): Promise<void> {
    const s = this.packetSock;
    if (!s || this.closed) return;
    this.readingPackets = true;
    try {
      await this.readLoop(s, IOCTL.READ_PACKET, 'WIN_PEND_PACKET_REQ');
    } catch (e) {
      this.loopFailed(e, 'reading upcalls');
    } finally {
      this.readingPackets = false;
    }
  }

  /** nl_sock_join_mcgroup on a handle of its own (as dpif-netlink's port notifier): MC_SUBSCRIBE_REQ
   *  with MCAST_GRP and MCAST_JOIN 1, then the READ_EVENT loop delivering ovs_vport NEW/DEL events
   *  to onMessage listeners. Joining a group twice is a no-op. */
  async subscribeMulticast(family: string, group: string): Promise<void> {
    if (this.closed) throw new WindowsTransportError('the transport is closed');
    const id = await this.resolveMulticastGroup(family, group);
    if (this.eventSocks.has(id)) return;
    const s = await WindowsNetlinkTransport.openSock(this.io);
    if (this.closed || this.eventSocks.has(id)) { this.io.close(s.handle); if (this.closed) throw new WindowsTransportError('the transport is closed'); return; }
    this.eventSocks.set(id, s);
    try {
      await this.io.ioctl(s.handle, IOCTL.WRITE, controlMessage('MC_SUBSCRIBE_REQ', s.pid, this.seq++, [['winControl', 'MCAST_GRP', id], ['winControl', 'MCAST_JOIN', 1]]), 0);
    } catch (e) {
      this.eventSocks.delete(id);
      this.io.close(s.handle);
      throw WindowsNetlinkTransport.wrap(e, `joining multicast group ${group} of ${family}`);
    }
    void this.readLoop(s, IOCTL.READ_EVENT, 'WIN_PEND_REQ').catch((e: unknown) => this.loopFailed(e, `reading ${group} events`));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    // CancelIoEx completes the pended WRITEs, then the handles close (IRP_MJ_CLEANUP).
    for (const s of [this.packetSock, ...this.eventSocks.values()]) {
      if (!s) continue;
      this.io.cancelIo(s.handle);
      this.io.close(s.handle);
    }
    this.eventSocks.clear();
    this.io.close(this.sock.handle);
  }
}
