// The engine's datapath transport on Windows: ovs_* netlink messages to the OVS Hyper-V extension
// through its device, exactly as OVS's lib/netlink-socket.c drives it: one handle per "socket" with
// a kernel-assigned pid (GET_PID) stamped into every message, TRANSACT for requests, WRITE + READ for
// dumps (one message per READ until an empty read or NLMSG_DONE), ovs_win_control for the socket
// property, packet subscription (READ_PACKET) and vport multicast events (READ_EVENT).
import { encodeGenl, NLMSG_DONE, NlWriter, parseHeader, splitMessages } from '../../engine/channel/netlink.js';
import { attrSet, familySpec, netlinkTables } from '../../engine/channel/netlink-tables.js';
import { encodeValue } from '../../engine/channel/attr-values.js';
import type { NetlinkTransport } from '../../engine/channel/transport.js';
import { OvsError } from '../../engine/util/errors.js';
import { DeviceError, explainDeviceError, IOCTL, type DeviceIo } from './ioctl.js';

const REPLY_BUFFER = 64 * 1024;
const NETLINK_GENERIC = 16;

export class WindowsTransportError extends OvsError {
  constructor(message: string) { super('OVS_E_WINDOWS_DATAPATH', message); }
}

interface Sock { handle: number; pid: number }

function controlMessage(cmd: string, pid: number, seq: number, attrs: Array<[string, string, number]>): Buffer {
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
  private polling = false;
  private closed = false;

  private constructor(private readonly io: DeviceIo, private readonly sock: Sock) {}

  /** Opens the device and sets up the request socket (GET_PID + SOCK_PROP, as nl_sock_create). */
  static async open(io: DeviceIo): Promise<WindowsNetlinkTransport> {
    const t = new WindowsNetlinkTransport(io, await WindowsNetlinkTransport.openSock(io));
    return t;
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

  async transact(request: Buffer): Promise<Buffer[]> {
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
    if (!this.packetSock && !this.polling) void this.startPackets();
    return () => this.listeners.delete(listener);
  }

  /** nl_sock_subscribe_packets + the READ_PACKET loop (idle polls back off to 10 ms). */
  private async startPackets(): Promise<void> {
    this.polling = true;
    try {
      const s = await WindowsNetlinkTransport.openSock(this.io);
      this.packetSock = s;
      await this.io.ioctl(s.handle, IOCTL.WRITE, controlMessage('PACKET_SUBSCRIBE_REQ', s.pid, this.seq++, [['winControl', 'PACKET_SUBSCRIBE', 1], ['winControl', 'PACKET_PID', s.pid]]), 0);
      let idle = 0;
      while (!this.closed) {
        const r = await this.io.ioctl(s.handle, IOCTL.READ_PACKET, undefined, REPLY_BUFFER);
        if (r.length === 0) {
          idle = Math.min(idle + 1, 10);
          await new Promise((res) => setTimeout(res, idle));
          continue;
        }
        idle = 0;
        for (const m of splitMessages(r)) for (const l of this.listeners) l(Buffer.from(m));
      }
    } catch (e) {
      if (!this.closed) throw WindowsNetlinkTransport.wrap(e, 'reading upcalls');
    } finally {
      this.polling = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    if (this.packetSock) this.io.close(this.packetSock.handle);
    this.io.close(this.sock.handle);
  }
}
