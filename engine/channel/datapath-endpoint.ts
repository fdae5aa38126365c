// The datapath's side of the channel: decodes ovs_* netlink requests, calls a typed datapath
// backend, and encodes the replies, NLMSG_ERRORs and upcalls. Any datapath implemented in
// userspace plugs in here and becomes a NetlinkTransport that the engine's Dpif drives exactly as it
// drives the Windows extension or the Linux kernel module.
import { constants as osConstants } from 'node:os';
import { decodeDatapath, decodeFlow, decodePacket, decodeVport, encodeDatapath, encodeFlow, encodeNewFamily, encodePacket, encodeVport,
  type FamilyName, type PacketMessage } from './messages.js';
import { NetlinkFormatError, decodeMessage, encodeDone, encodeError, parseHeader, type GenlMessage } from './netlink.js';
import { familySpec, netlinkTables } from './netlink-tables.js';
import { decodeFamily } from './messages.js';
import type { OdpAction, OdpDatapathStats, OdpFlow, OdpFlowKey, OdpVport } from './odp-types.js';
import type { NetlinkTransport } from './transport.js';

/** Thrown by a backend to answer with a specific errno (e.g. ENOENT for an unknown flow). */
export class DatapathErrno extends Error {
  constructor(readonly errno: number, message: string) { super(message); }
}

export interface FlowSelector { key?: OdpFlowKey; ufid?: Buffer }

/** What a datapath implementation offers; every call is synchronous and fast (no I/O waits). */
export interface DatapathBackend {
  readonly name: string;
  readonly dpIfindex: number;
  stats(): OdpDatapathStats;
  vportAdd(v: { name: string; type: number; portNo?: number; options?: { dstPort?: number } }): OdpVport | Promise<OdpVport>;
  vportDel(portNo: number): OdpVport | Promise<OdpVport>;
  vportGet(sel: { name?: string; portNo?: number }): OdpVport | undefined;
  vportList(): OdpVport[];
  /** create: may insert; replace: may modify an existing one (EEXIST/ENOENT otherwise). */
  flowPut(flow: { key: OdpFlowKey; mask?: OdpFlowKey; actions: OdpAction[]; ufid?: Buffer }, opts: { create: boolean; replace: boolean; clearStats: boolean }): void;
  flowGet(sel: FlowSelector): OdpFlow | undefined;
  flowDel(sel: FlowSelector): OdpFlow | undefined;
  flowList(): OdpFlow[];
  flowFlush(): void;
  execute(packet: Buffer, key: OdpFlowKey, actions: OdpAction[]): void;
  /** The backend calls `sink` for each miss/action upcall. */
  setUpcallSink(sink: (u: { cmd: 'MISS' | 'ACTION'; packet: Buffer; key: OdpFlowKey; userdata?: Buffer }) => void): void;
  close?(): Promise<void> | void;
}

const E = osConstants.errno;
const FAMILIES: FamilyName[] = ['ovs_datapath', 'ovs_vport', 'ovs_flow', 'ovs_packet'];

export class DatapathEndpoint implements NetlinkTransport {
  private readonly ids = new Map<string, number>();
  private readonly byId = new Map<number, FamilyName>();
  private readonly listeners = new Set<(m: Buffer) => void>();
  private seq = 0;
  private vportEvents = false;

  constructor(private readonly backend: DatapathBackend) {
    for (const f of FAMILIES) {
      const id = familySpec(f).windowsId; // the same fixed ids as the Windows extension
      this.ids.set(f, id);
      this.byId.set(id, f);
    }
    backend.setUpcallSink((u) => {
      const msg = encodePacket({ cmd: u.cmd, dpIfindex: backend.dpIfindex, packet: u.packet, key: u.key, userdata: u.userdata },
        { type: this.ids.get('ovs_packet')! });
      for (const l of this.listeners) l(msg);
    });
  }

  async resolveFamily(name: string): Promise<number> {
    const id = this.ids.get(name);
    if (id === undefined) throw new DatapathErrno(E.ENOENT, `no datapath family ${name}`);
    return id;
  }

  async resolveMulticastGroup(family: string, group: string): Promise<number> {
    const g = familySpec(family).mcgroups.find((x) => x.name === group);
    if (!g) throw new DatapathErrno(E.ENOENT, `family ${family} has no multicast group ${group}`);
    return g.windowsId;
  }

  /** ovs_vport's "ovs_vport" group: after joining, every vport created or deleted through this
   *  endpoint is also sent to onMessage listeners, as the kernel module notifies the group (the
   *  reply message itself: cmd NEW/DEL, the requester's seq and pid). */
  async subscribeMulticast(family: string, group: string): Promise<void> {
    await this.resolveMulticastGroup(family, group);
    if (family !== 'ovs_vport') throw new DatapathErrno(E.ENOENT, `the datapath sends no ${family} multicast messages`);
    this.vportEvents = true;
  }

  private notifyVport(msg: Buffer): void {
    if (!this.vportEvents) return;
    for (const l of [...this.listeners]) l(Buffer.from(msg));
  }

  onMessage(listener: (message: Buffer) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> { this.listeners.clear(); await this.backend.close?.(); }

  /** Never rejects: malformed requests and backend failures become NLMSG_ERROR replies. */
  async transact(request: Buffer): Promise<Buffer[]> { return this.handle(request); }

  async handle(request: Buffer): Promise<Buffer[]> {
    let header;
    try { header = parseHeader(request); } catch { return [encodeError({ len: request.length, type: 0, flags: 0, seq: 0, pid: 0 }, -E.EINVAL)]; }
    if (header.seq === 0) header = { ...header, seq: ++this.seq };
    try {
      const ctrlId = netlinkTables().controller.id;
      const msg = decodeMessage(request, (t) => t !== ctrlId);
      if (msg.kind !== 'genl') throw new NetlinkFormatError(`unexpected request message type ${header.type}`);
      if (header.type === ctrlId) return [this.getFamily(msg)];
      const family = this.byId.get(header.type);
      if (!family) throw new DatapathErrno(E.ENOENT, `unknown family id ${header.type}`);
      const replies = await this.dispatch(family, msg);
      const F = netlinkTables().flags;
      if ((header.flags & F.DUMP!) === F.DUMP && family !== 'ovs_packet') return [...replies, encodeDone(header.seq, header.pid)];
      if (replies.length === 0 || (header.flags & F.ACK!) !== 0 && (header.flags & F.ECHO!) === 0) return [...replies, encodeError(header, 0)];
      return replies;
    } catch (e) {
      const errno = e instanceof DatapathErrno ? e.errno : typeof (e as { errno?: unknown }).errno === 'number' ? (e as { errno: number }).errno : E.EINVAL;
      return [encodeError(header, -errno)];
    }
  }

  private getFamily(msg: GenlMessage): Buffer {
    let name = '';
    try { name = decodeFamily({ ...msg, attrs: msg.attrs }).name; } catch { /* GETFAMILY carries only the name */ }
    if (!name) {
      const a = msg.attrs.find((x) => x.type === 2);
      name = a ? a.payload.toString('utf8').replace(/\0.*$/s, '') : '';
    }
    const id = this.ids.get(name);
    if (id === undefined) throw new DatapathErrno(E.ENOENT, `no family ${name}`);
    const spec = familySpec(name);
    return encodeNewFamily({ id, name, version: spec.version, mcgroups: spec.mcgroups.map((g) => ({ name: g.name, id: g.windowsId })) }, { seq: msg.header.seq, pid: msg.header.pid });
  }

  private reply(msg: GenlMessage): { type: number; seq: number; pid: number; flags: number } {
    return { type: msg.header.type, seq: msg.header.seq, pid: msg.header.pid, flags: 0 };
  }

  private checkDp(msg: GenlMessage): void {
    if (msg.dpIfindex !== this.backend.dpIfindex) throw new DatapathErrno(E.ENODEV, `no datapath with ifindex ${msg.dpIfindex}`);
  }

  private async dispatch(family: FamilyName, msg: GenlMessage): Promise<Buffer[]> {
    const b = this.backend;
    const F = netlinkTables().flags;
    const dump = (msg.header.flags & F.DUMP!) === F.DUMP;
    const env = this.reply(msg);
    switch (family) {
      case 'ovs_datapath': {
        const m = decodeDatapath(msg);
        if (m.name !== undefined && m.name !== b.name) throw new DatapathErrno(E.ENODEV, `no datapath ${m.name}`);
        if (m.name === undefined && !dump) this.checkDp(msg);
        if (m.cmd === 'DEL') return [];
        return [encodeDatapath({ cmd: m.cmd === 'NEW' ? 'NEW' : 'GET', dpIfindex: b.dpIfindex, name: b.name, stats: b.stats() }, env)];
      }
      case 'ovs_vport': {
        this.checkDp(msg);
        const m = decodeVport(msg);
        const out = (cmd: 'NEW' | 'DEL' | 'GET', v: OdpVport) => encodeVport({ cmd, dpIfindex: b.dpIfindex, vport: v }, env);
        switch (m.cmd) {
          case 'NEW': {
            if (!m.vport.name || m.vport.type === undefined) throw new DatapathErrno(E.EINVAL, 'vport NEW needs NAME and TYPE');
            const r = out('NEW', await b.vportAdd({ name: m.vport.name, type: m.vport.type, portNo: m.vport.portNo, options: m.vport.options }));
            this.notifyVport(r);
            return [r];
          }
          case 'DEL': {
            const v = m.vport.portNo !== undefined ? m.vport : b.vportGet({ name: m.vport.name });
            if (!v || v.portNo === undefined) throw new DatapathErrno(E.ENODEV, `no vport ${m.vport.name ?? ''}`);
            const r = out('DEL', await b.vportDel(v.portNo));
            this.notifyVport(r);
            return [r];
          }
          case 'GET':
          case 'SET': {
            if (dump) return b.vportList().map((v) => out('GET', v));
            const v = b.vportGet({ name: m.vport.name, portNo: m.vport.portNo });
            if (!v) throw new DatapathErrno(E.ENODEV, `no vport ${m.vport.name ?? m.vport.portNo}`);
            return [out('GET', v)];
          }
        }
        break;
      }
      case 'ovs_flow': {
        this.checkDp(msg);
        const m = decodeFlow(msg);
        const out = (cmd: 'NEW' | 'DEL' | 'GET', f: OdpFlow) => encodeFlow({ cmd, dpIfindex: b.dpIfindex, flow: f }, env);
        const sel = { key: m.flow.key, ufid: m.flow.ufid };
        switch (m.cmd) {
          case 'NEW':
          case 'SET': {
            if (!m.flow.key || !m.flow.actions) throw new DatapathErrno(E.EINVAL, 'flow NEW needs KEY and ACTIONS');
            // As the kernel: NEW creates, or updates unless CREATE|EXCL says it must be new; SET only updates.
            const exclusive = (msg.header.flags & (F.CREATE! | F.EXCL!)) === (F.CREATE! | F.EXCL!);
            b.flowPut({ key: m.flow.key, mask: m.flow.mask, actions: m.flow.actions, ufid: m.flow.ufid },
              { create: m.cmd === 'NEW', replace: m.cmd === 'SET' || !exclusive, clearStats: m.clear === true });
            if ((msg.header.flags & F.ECHO!) !== 0) { const f = b.flowGet(sel); return f ? [out('NEW', f)] : []; }
            return [];
          }
          case 'DEL': {
            if (!sel.key && !sel.ufid) { b.flowFlush(); return []; }
            const f = b.flowDel(sel);
            if (!f) throw new DatapathErrno(E.ENOENT, 'no such flow');
            return (msg.header.flags & F.ECHO!) !== 0 ? [out('DEL', f)] : [];
          }
          case 'GET': {
            if (dump) return b.flowList().map((f) => out('GET', f));
            const f = b.flowGet(sel);
            if (!f) throw new DatapathErrno(E.ENOENT, 'no such flow');
            return [out('GET', f)];
          }
        }
        break;
      }
      case 'ovs_packet': {
        this.checkDp(msg);
        const m: PacketMessage = decodePacket(msg);
        if (m.cmd !== 'EXECUTE') throw new DatapathErrno(E.EINVAL, `ovs_packet ${m.cmd} is sent by the datapath, not to it`);
        b.execute(m.packet, m.key!, m.actions!);
        return [];
      }
    }
    return [];
  }
}
