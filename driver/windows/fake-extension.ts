// A stand-in for the OVS Hyper-V extension at its device boundary, for running the Windows transport
// on Linux: it assigns pids per handle, validates requests as the extension's ValidateNetlinkCmd
// does (length, family, dev-op, genl version, dp_ifindex, nlmsg_pid), answers TRANSACT, keeps dump
// state per handle for WRITE + READ, handles ovs_win_control (socket property, packet and multicast
// subscription, pend requests), queues upcalls for READ_PACKET and vport events for READ_EVENT, and
// completes pended requests the way the extension does (OvsWaitDpIoctl: at once when an upcall is
// already queued, else when one arrives; OvsWaitEventIoctl: always pends until the next event).
// Behind it is any datapath speaking netlink (our userspace datapath through DatapathEndpoint).
//
// Vport events come from the Hyper-V side, never from netlink requests: the extension posts
// OVS_EVENT_LINK_DOWN (read as OVS_VPORT_CMD_DEL) when a switch port is torn down or a NIC
// disconnects (Vport.c: HvDeletePort, HvDisconnectNic, HvUpdateNic on a rename). The simulated
// Hyper-V side is `deleteSwitchPort` / `disconnectNic`, and `watchNetdevs` calls deleteSwitchPort
// for a netdev vport whose Linux interface disappeared (the simulation's "VM removed").
import { existsSync } from 'node:fs';
import type { DatapathEndpoint } from '../../engine/channel/datapath-endpoint.js';
import { decodePacket, decodeVport, encodeVport } from '../../engine/channel/messages.js';
import { encodeValue, type AttrValue } from '../../engine/channel/attr-values.js';
import { decodeMessage, encodeGenl, parseAttrs, parseHeader, NLMSG_HDRLEN, type NlWriter } from '../../engine/channel/netlink.js';
import { attrSet, familySpec, netlinkTables } from '../../engine/channel/netlink-tables.js';
import type { OdpVport } from '../../engine/channel/odp-types.js';
import { DeviceError, IOCTL, IOCTL_NAMES, WIN32, type DeviceIo } from './ioctl.js';

/** OVS_DP_NUMBER: the extension's one datapath; ovs_win_control requests must carry it. */
export const OVS_DP_NUMBER = 0;
const NETLINK_GENERIC = 16;
const QUEUE_MAX = 4096;

interface Pending { resolve: () => void; reject: (e: Error) => void }
interface HandleState {
  pid: number;
  protocol?: number;
  dump: Buffer[];
  packets: Buffer[];
  packetSubscribed: boolean;
  /** Event queue exists once MC_SUBSCRIBE_REQ joined (instance->eventQueue). */
  eventSubscribed: boolean;
  events: Buffer[];
  pendingPacket?: Pending;
  pendingEvent?: Pending;
}

export interface FakeCall { ioctl: string; handle: number; bytesIn: number; bytesOut: number; cmd?: string }

/** What the extension's event entry carries (OVS_VPORT_EVENT_ENTRY). */
export interface VportEvent { portNo: number; type: number; name: string; upcallPid?: number }

export class FakeOvsExtension implements DeviceIo {
  private readonly handles = new Map<number, HandleState>();
  private nextHandle = 0x100;
  private nextPid = 1;
  private seq = 0x7000_0000;
  /** Every DeviceIoControl the transport made, in order (tests inspect it). */
  readonly calls: FakeCall[] = [];
  private readonly byId = new Map<number, string>();
  /** vport->upcallPid per port number, as set by vport NEW/SET (port 0: the datapath's). */
  private readonly upcallPids = new Map<number, number>();
  /** Upcalls with no queue to go to (no subscribed instance with the vport's upcall pid), or lost
   *  to a full queue. */
  droppedUpcalls = 0;

  constructor(private readonly endpoint: DatapathEndpoint, private readonly opts: { enabled?: boolean } = {}) {
    for (const [name, f] of netlinkTables().families) this.byId.set(f.windowsId, name);
    const packetId = familySpec('ovs_packet').windowsId;
    endpoint.onMessage((m) => {
      // An upcall goes to the packet queue of the instance whose pid is the input vport's upcall
      // pid (User.c OvsGetPid / OvsGetQueue), with nlmsg_pid set to it; no such queue: dropped.
      if (m.readUInt16LE(4) !== packetId) return;
      let inPort: number | undefined;
      try {
        const d = decodeMessage(m);
        if (d.kind === 'genl') inPort = decodePacket(d).key?.inPort;
      } catch { /* undecodable: no port, no queue */ }
      const pid = inPort === undefined ? 0 : this.upcallPids.get(inPort) ?? 0;
      const h = [...this.handles.values()].find((x) => x.packetSubscribed && x.pid === pid);
      if (!h || pid === 0) { this.droppedUpcalls++; return; }
      const copy = Buffer.from(m);
      copy.writeUInt32LE(h.pid, 12);
      h.packets.push(copy);
      if (h.packets.length > QUEUE_MAX) { h.packets.shift(); this.droppedUpcalls++; }
      this.complete(h, 'pendingPacket');
    });
  }

  open(): number {
    if (this.opts.enabled === false) throw new DeviceError(WIN32.ERROR_FILE_NOT_FOUND, 'CreateFile: The system cannot find the file specified.');
    const h = this.nextHandle++;
    this.handles.set(h, { pid: this.nextPid++, dump: [], packets: [], packetSubscribed: false, eventSubscribed: false, events: [] });
    return h;
  }

  /** IRP_MJ_CLEANUP: pending requests complete as cancelled, queues go away. */
  close(handle: number): void {
    const s = this.handles.get(handle);
    if (!s) return;
    this.cancelIo(handle);
    this.handles.delete(handle);
  }

  cancelIo(handle: number): void {
    const s = this.handles.get(handle);
    if (!s) return;
    for (const k of ['pendingPacket', 'pendingEvent'] as const) {
      const p = s[k];
      s[k] = undefined;
      p?.reject(new DeviceError(WIN32.ERROR_OPERATION_ABORTED, 'The I/O operation has been aborted because of either a thread exit or an application request.'));
    }
  }

  async ioctl(handle: number, code: number, input: Buffer | undefined, outputSize: number): Promise<Buffer> {
    // Recorded when issued (a pended request shows up while it is pending); bytesOut when done.
    const call = this.record(handle, code, input);
    const out = await this.dispatch(handle, code, input);
    if (out.length > outputSize) throw new DeviceError(WIN32.ERROR_INVALID_PARAMETER, `reply of ${out.length} bytes does not fit the ${outputSize}-byte buffer`);
    call.bytesOut = out.length;
    return out;
  }

  async pend(handle: number, code: number, input: Buffer): Promise<void> {
    await this.ioctl(handle, code, input, 0);
  }

  private record(handle: number, code: number, input: Buffer | undefined): FakeCall {
    const call: FakeCall = { ioctl: IOCTL_NAMES.get(code) ?? `0x${code.toString(16)}`, handle, bytesIn: input?.length ?? 0, bytesOut: 0 };
    if (input && input.length >= NLMSG_HDRLEN + 4 && input.readUInt16LE(4) === familySpec('ovs_win_control').windowsId) {
      call.cmd = familySpec('ovs_win_control').commandNames.get(input.readUInt8(NLMSG_HDRLEN));
    }
    this.calls.push(call);
    return call;
  }

  private state(handle: number): HandleState {
    const s = this.handles.get(handle);
    if (!s) throw new DeviceError(WIN32.ERROR_INVALID_PARAMETER, `invalid handle ${handle}`);
    return s;
  }

  private complete(s: HandleState, which: 'pendingPacket' | 'pendingEvent'): void {
    const p = s[which];
    s[which] = undefined;
    p?.resolve();
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

  private control(s: HandleState, msg: Buffer, transact: boolean): Buffer | Promise<Buffer> {
    const f = familySpec('ovs_win_control');
    const cmd = f.commandNames.get(msg.readUInt8(NLMSG_HDRLEN));
    const attrs = new Map(parseAttrs(msg, NLMSG_HDRLEN + 8, parseHeader(msg).len).map((a) => [a.type, a.payload]));
    const bad = (why: string): never => { throw new DeviceError(WIN32.ERROR_INVALID_PARAMETER, `ovs_win_control ${cmd}: ${why}`); };
    // Commands with validateDpIndex (everything but SOCK_PROP) must name the extension's datapath.
    if (cmd !== 'SOCK_PROP' && msg.readInt32LE(NLMSG_HDRLEN + 4) !== OVS_DP_NUMBER) bad(`dp_ifindex ${msg.readInt32LE(NLMSG_HDRLEN + 4)} is not the datapath ${OVS_DP_NUMBER}`);
    if (cmd === 'SOCK_PROP') {
      if (!transact) bad('is a TRANSACT command');
      s.protocol = attrs.get(0)?.readUInt32LE(0);
      return Buffer.from(msg); // echoes SOCK_PROTO and SOCK_PID back, as the extension does
    }
    if (transact) bad('is a WRITE command');
    switch (cmd) {
      case 'PACKET_SUBSCRIBE_REQ': {
        const join = attrs.get(2)?.readUInt8(0), pid = attrs.get(3)?.readUInt32LE(0);
        if (join === undefined || pid === undefined) bad('needs PACKET_SUBSCRIBE and PACKET_PID');
        if (pid !== s.pid) bad(`PACKET_PID ${pid} is not the handle's pid ${s.pid}`);
        s.packetSubscribed = join === 1;
        if (!s.packetSubscribed) { s.packets = []; this.complete(s, 'pendingPacket'); }
        return Buffer.alloc(0);
      }
      case 'MC_SUBSCRIBE_REQ': {
        const grp = attrs.get(0)?.readUInt32LE(0), join = attrs.get(1)?.readUInt8(0);
        if (grp === undefined || join === undefined) bad('needs MCAST_GRP and MCAST_JOIN');
        if (s.protocol !== NETLINK_GENERIC) bad(`the handle's protocol is ${s.protocol ?? 'unset'}, vport events need NETLINK_GENERIC (SOCK_PROP first)`);
        // For NETLINK_GENERIC the extension subscribes to every vport event whatever the group.
        s.eventSubscribed = join === 1;
        if (!s.eventSubscribed) { s.events = []; this.complete(s, 'pendingEvent'); }
        return Buffer.alloc(0);
      }
      case 'WIN_PEND_PACKET_REQ': {
        if (!s.packetSubscribed) bad('the handle has no packet queue');
        if (s.pendingPacket) throw new DeviceError(WIN32.ERROR_BUSY, 'a packet request is already pending on this handle');
        if (s.packets.length) return Buffer.alloc(0); // completes at once: something to read
        return new Promise<Buffer>((resolve, reject) => { s.pendingPacket = { resolve: () => resolve(Buffer.alloc(0)), reject }; });
      }
      case 'WIN_PEND_REQ': {
        if (!s.eventSubscribed) bad('the handle has no event queue');
        if (s.pendingEvent) throw new DeviceError(WIN32.ERROR_BUSY, 'an event request is already pending on this handle');
        // As OvsWaitEventIoctl: pends even when events are queued; the next event completes it.
        return new Promise<Buffer>((resolve, reject) => { s.pendingEvent = { resolve: () => resolve(Buffer.alloc(0)), reject }; });
      }
      default: break;
    }
    return bad('is not allowed with this ioctl');
  }

  /** Remembers the upcall pid a successful vport NEW/SET (or datapath NEW/SET, for port 0) gave. */
  private noteUpcallPid(family: string, request: Buffer, replies: Buffer[]): void {
    if (family !== 'ovs_vport' && family !== 'ovs_datapath') return;
    const cmd = familySpec(family).commandNames.get(request.readUInt8(NLMSG_HDRLEN));
    if (cmd !== 'NEW' && cmd !== 'SET') return;
    const req = decodeMessage(request);
    const reply = replies.map((r) => decodeMessage(r)).find((m) => m.kind === 'genl');
    if (req.kind !== 'genl' || !reply || reply.kind !== 'genl') return;
    if (family === 'ovs_datapath') {
      const a = req.attrs.find((x) => x.type === attrSet('datapath').byName.get('UPCALL_PID')!.id);
      if (a) this.upcallPids.set(0, a.payload.readUInt32LE(0));
      return;
    }
    const pids = decodeVport(req).vport.upcallPids;
    const portNo = decodeVport(reply).vport.portNo;
    if (portNo !== undefined && (pids || cmd === 'NEW')) this.upcallPids.set(portNo, pids?.[0] ?? 0);
  }

  private async dispatch(handle: number, code: number, input: Buffer | undefined): Promise<Buffer> {
    const s = this.state(handle);
    switch (code) {
      case IOCTL.GET_PID: { const b = Buffer.alloc(4); b.writeUInt32LE(s.pid); return b; }
      case IOCTL.TRANSACT: {
        const { family } = this.validate(s, input);
        if (family === 'ovs_win_control') return this.control(s, input!, true);
        const replies = await this.endpoint.handle(input!);
        this.noteUpcallPid(family, input!, replies);
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
      case IOCTL.READ_EVENT:
        if (!s.eventSubscribed) throw new DeviceError(WIN32.ERROR_INVALID_PARAMETER, 'READ_EVENT on a handle with no event queue');
        return s.events.shift() ?? Buffer.alloc(0);
      default: throw new DeviceError(WIN32.ERROR_INVALID_PARAMETER, `unknown ioctl 0x${code.toString(16)}`);
    }
  }

  // ---------------------------------------------------------------- the simulated Hyper-V side

  /** OvsPostVportEvent + OvsPortFillInfo: queue the event on every subscribed handle as the
   *  message READ_EVENT returns (ovs_vport, cmd NEW for LINK_UP/CONNECT and DEL for
   *  LINK_DOWN/DISCONNECT, seq 0, flags 0, pid = the subscriber, dp_ifindex = the datapath,
   *  attributes PORT_NO, TYPE, UPCALL_PID, NAME in that order) and complete its pending request. */
  postVportEvent(kind: 'up' | 'down', e: VportEvent): void {
    for (const h of this.handles.values()) {
      if (!h.eventSubscribed) continue;
      h.events.push(encodeVportEvent(kind, e, h.pid));
      if (h.events.length > QUEUE_MAX) h.events.shift();
      this.complete(h, 'pendingEvent');
    }
  }

  private async vportRequest(cmd: 'GET' | 'DEL', vport: Partial<OdpVport>, dpIfindex: number, dump = false): Promise<OdpVport[]> {
    const msg = encodeVport({ cmd, dpIfindex, vport }, { type: familySpec('ovs_vport').windowsId, flags: dump ? 0x301 : 0x1, seq: this.seq++, pid: 0 });
    const out: OdpVport[] = [];
    for (const r of await this.endpoint.handle(msg)) {
      const m = decodeMessage(r);
      if (m.kind === 'genl') out.push(decodeVport(m).vport as OdpVport);
    }
    return out;
  }

  private async datapathIfindex(): Promise<number> {
    const msg = Buffer.alloc(24);
    msg.writeUInt32LE(24, 0); msg.writeUInt16LE(familySpec('ovs_datapath').windowsId, 4); msg.writeUInt16LE(0x301, 6);
    msg.writeUInt32LE(this.seq++, 8); msg.writeUInt8(familySpec('ovs_datapath').commands.get('GET')!, 16); msg.writeUInt8(familySpec('ovs_datapath').version, 17);
    const r = (await this.endpoint.handle(msg)).map((x) => decodeMessage(x)).find((m) => m.kind === 'genl');
    if (!r || r.kind !== 'genl') throw new Error('the simulated extension has no datapath behind it');
    return r.dpIfindex;
  }

  /** HvDeletePort: the Hyper-V switch port of vport `name` is torn down (VM deleted, NIC removed):
   *  the vport leaves the datapath and LINK_DOWN is posted. Returns the vport, or undefined. */
  async deleteSwitchPort(name: string): Promise<OdpVport | undefined> {
    const dp = await this.datapathIfindex();
    const [v] = (await this.vportRequest('GET', {}, dp, true)).filter((x) => x.name === name);
    if (!v) return undefined;
    await this.vportRequest('DEL', { portNo: v.portNo }, dp);
    this.postVportEvent('down', { portNo: v.portNo, type: v.type, name: v.name, upcallPid: v.upcallPids?.[0] ?? 0 });
    return v;
  }

  /** HvDisconnectNic: a VM NIC disconnects; the vport stays (marked disconnected) and LINK_DOWN
   *  is posted. */
  async disconnectNic(name: string): Promise<OdpVport | undefined> {
    const dp = await this.datapathIfindex();
    const [v] = (await this.vportRequest('GET', {}, dp, true)).filter((x) => x.name === name);
    if (v) this.postVportEvent('down', { portNo: v.portNo, type: v.type, name: v.name, upcallPid: v.upcallPids?.[0] ?? 0 });
    return v;
  }

  /** For the engine's windows-sim datapath: every `intervalMs`, a netdev vport whose Linux interface
   *  is gone is a torn-down Hyper-V port (deleteSwitchPort). Returns a function that stops it. */
  watchNetdevs(intervalMs = 1000, exists: (name: string) => boolean = (n) => existsSync(`/sys/class/net/${n}`)): () => void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      void (async () => {
        const dp = await this.datapathIfindex();
        for (const v of await this.vportRequest('GET', {}, dp, true)) {
          if (v.type === 1 && !exists(v.name)) await this.deleteSwitchPort(v.name);
        }
      })().catch(() => undefined).finally(() => { busy = false; });
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}

/** The message READ_EVENT returns for one vport event (Datapath.c OvsPortFillInfo). */
export function encodeVportEvent(kind: 'up' | 'down', e: VportEvent, subscriberPid: number, dpIfindex = OVS_DP_NUMBER): Buffer {
  const f = familySpec('ovs_vport');
  const put = (w: NlWriter, name: string, v: AttrValue): void => { const spec = attrSet('vport').byName.get(name)!; w.attr(spec.id, encodeValue(spec, v, 'vport')); };
  return encodeGenl({ type: f.windowsId, flags: 0, seq: 0, pid: subscriberPid, cmd: f.commands.get(kind === 'up' ? 'NEW' : 'DEL')!, version: f.version, dpIfindex }, (w: NlWriter) => {
    put(w, 'PORT_NO', e.portNo);
    put(w, 'TYPE', e.type);
    put(w, 'UPCALL_PID', [e.upcallPid ?? 0]);
    put(w, 'NAME', e.name);
  });
}
