// A stand-in for the OVS Hyper-V extension at its device boundary, for running the Windows transport
// on Linux: it assigns pids per handle, validates requests as the extension's ValidateNetlinkCmd
// does (length, family, genl version, dp_ifindex, nlmsg_pid), answers TRANSACT, keeps dump state
// per handle for WRITE + READ, handles ovs_win_control (socket property, packet and multicast
// subscription, pend requests) and queues upcalls for READ_PACKET. Behind it is any datapath
// speaking netlink (our userspace datapath through DatapathEndpoint).
import type { DatapathEndpoint } from '../../engine/channel/datapath-endpoint.js';
import { parseAttrs, parseHeader, NLMSG_HDRLEN } from '../../engine/channel/netlink.js';
import { familySpec, netlinkTables } from '../../engine/channel/netlink-tables.js';
import { DeviceError, IOCTL, IOCTL_NAMES, WIN32, type DeviceIo } from './ioctl.js';

interface HandleState { pid: number; dump: Buffer[]; packets: Buffer[]; packetSubscribed: boolean; groups: Set<number> }

export interface FakeCall { ioctl: string; handle: number; bytesIn: number; bytesOut: number }

export class FakeOvsExtension implements DeviceIo {
  private readonly handles = new Map<number, HandleState>();
  private nextHandle = 0x100;
  private nextPid = 1;
  /** Every DeviceIoControl the transport made, in order (tests inspect it). */
  readonly calls: FakeCall[] = [];
  private readonly byId = new Map<number, string>();

  constructor(private readonly endpoint: DatapathEndpoint, private readonly opts: { enabled?: boolean } = {}) {
    for (const [name, f] of netlinkTables().families) this.byId.set(f.windowsId, name);
    endpoint.onMessage((m) => {
      // Upcalls go to handles subscribed for packets, with nlmsg_pid set to the subscriber.
      for (const h of this.handles.values()) {
        if (!h.packetSubscribed) continue;
        const copy = Buffer.from(m);
        copy.writeUInt32LE(h.pid, 12);
        h.packets.push(copy);
        if (h.packets.length > 4096) h.packets.shift();
      }
    });
  }

  open(): number {
    if (this.opts.enabled === false) throw new DeviceError(WIN32.ERROR_FILE_NOT_FOUND, 'CreateFile: The system cannot find the file specified.');
    const h = this.nextHandle++;
    this.handles.set(h, { pid: this.nextPid++, dump: [], packets: [], packetSubscribed: false, groups: new Set() });
    return h;
  }

  close(handle: number): void { this.handles.delete(handle); }

  async ioctl(handle: number, code: number, input: Buffer | undefined, outputSize: number): Promise<Buffer> {
    const out = await this.dispatch(handle, code, input);
    if (out.length > outputSize) throw new DeviceError(WIN32.ERROR_INVALID_PARAMETER, `reply of ${out.length} bytes does not fit the ${outputSize}-byte buffer`);
    this.calls.push({ ioctl: IOCTL_NAMES.get(code) ?? `0x${code.toString(16)}`, handle, bytesIn: input?.length ?? 0, bytesOut: out.length });
    return out;
  }

  private state(handle: number): HandleState {
    const s = this.handles.get(handle);
    if (!s) throw new DeviceError(WIN32.ERROR_INVALID_PARAMETER, `invalid handle ${handle}`);
    return s;
  }

  /** ValidateNetlinkCmd: fixed headers present, known family, version, pid. */
  private validate(s: HandleState, msg: Buffer | undefined): { type: number; family: string } {
    if (!msg || msg.length < NLMSG_HDRLEN + 8) throw new DeviceError(WIN32.ERROR_INVALID_PARAMETER, 'message shorter than the 24-byte OVS_MESSAGE');
    const h = parseHeader(msg);
    if (h.len > msg.length) throw new DeviceError(WIN32.ERROR_INVALID_PARAMETER, `nlmsg_len ${h.len} exceeds the ${msg.length}-byte buffer`);
    const family = this.byId.get(h.type);
    if (!family) throw new DeviceError(WIN32.ERROR_INVALID_PARAMETER, `unknown family id 0x${h.type.toString(16)}`);
    if (h.pid !== s.pid) throw new DeviceError(WIN32.ERROR_INVALID_PARAMETER, `nlmsg_pid ${h.pid} is not this handle's pid ${s.pid}`);
    const version = msg.readUInt8(NLMSG_HDRLEN + 1);
    if (version < familySpec(family).version) throw new DeviceError(WIN32.ERROR_INVALID_PARAMETER, `genl version ${version} is older than ${family}'s ${familySpec(family).version}`);
    return { type: h.type, family };
  }

  private control(s: HandleState, msg: Buffer, transact: boolean): Buffer {
    const f = familySpec('ovs_win_control');
    const cmd = f.commandNames.get(msg.readUInt8(NLMSG_HDRLEN));
    const attrs = new Map(parseAttrs(msg, NLMSG_HDRLEN + 8, parseHeader(msg).len).map((a) => [a.type, a.payload]));
    switch (cmd) {
      case 'SOCK_PROP': {
        if (!transact) break;
        const reply = Buffer.from(msg);
        return reply; // echoes SOCK_PROTO and SOCK_PID back, as the extension does
      }
      case 'PACKET_SUBSCRIBE_REQ':
        s.packetSubscribed = (attrs.get(2)?.readUInt8(0) ?? 0) === 1;
        return Buffer.alloc(0);
      case 'MC_SUBSCRIBE_REQ': {
        const grp = attrs.get(0)?.readUInt32LE(0);
        if (grp === undefined) throw new DeviceError(WIN32.ERROR_INVALID_PARAMETER, 'MC_SUBSCRIBE_REQ without MCAST_GRP');
        if ((attrs.get(1)?.readUInt8(0) ?? 0) === 1) s.groups.add(grp); else s.groups.delete(grp);
        return Buffer.alloc(0);
      }
      case 'WIN_PEND_REQ':
      case 'WIN_PEND_PACKET_REQ':
        return Buffer.alloc(0);
      default: break;
    }
    throw new DeviceError(WIN32.ERROR_INVALID_PARAMETER, `ovs_win_control command ${cmd} is not allowed with this ioctl`);
  }

  private async dispatch(handle: number, code: number, input: Buffer | undefined): Promise<Buffer> {
    const s = this.state(handle);
    switch (code) {
      case IOCTL.GET_PID: { const b = Buffer.alloc(4); b.writeUInt32LE(s.pid); return b; }
      case IOCTL.TRANSACT: {
        const { family } = this.validate(s, input);
        if (family === 'ovs_win_control') return this.control(s, input!, true);
        const replies = await this.endpoint.handle(input!);
        // One reply message per TRANSACT; a bare ACK is returned as 0 bytes.
        const first = replies.find((r) => !(r.readUInt16LE(4) === 2 && r.readInt32LE(16) === 0)) ?? Buffer.alloc(0);
        return first;
      }
      case IOCTL.WRITE: {
        const { family } = this.validate(s, input);
        if (family === 'ovs_win_control') return this.control(s, input!, false);
        const h = parseHeader(input!);
        if ((h.flags & 0x300) !== 0x300) throw new DeviceError(WIN32.ERROR_INVALID_PARAMETER, 'WRITE of a non-dump request');
        s.dump = (await this.endpoint.handle(input!)).filter((r) => r.readUInt16LE(4) !== 3);
        return Buffer.alloc(0);
      }
      case IOCTL.READ: return s.dump.shift() ?? Buffer.alloc(0);
      case IOCTL.READ_PACKET: return s.packets.shift() ?? Buffer.alloc(0);
      case IOCTL.READ_EVENT: return Buffer.alloc(0);
      default: throw new DeviceError(WIN32.ERROR_INVALID_PARAMETER, `unknown ioctl 0x${code.toString(16)}`);
    }
  }
}

