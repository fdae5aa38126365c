// The engine's datapath interface (OVS's dpif-netlink role): typed operations on one datapath,
// carried as ovs_datapath/ovs_vport/ovs_flow/ovs_packet netlink messages over a NetlinkTransport.
// Whatever is behind the transport (our userspace datapath, the Windows extension, the Linux
// kernel module) is reached through exactly this code.
import { constants as osConstants } from 'node:os';
import { OvsError } from '../util/errors.js';
import { decodeDatapath, decodeFlow, decodePacket, decodeVport, encodeDatapath, encodeFlow, encodePacket, encodeVport,
  type DatapathMessage, type FamilyName, type PacketMessage, type VportMessage } from './messages.js';
import { decodeMessage, type GenlMessage, type NlMessage } from './netlink.js';
import { netlinkTables } from './netlink-tables.js';
import type { OdpAction, OdpDatapathStats, OdpFlow, OdpFlowKey, OdpVport } from './odp-types.js';
import type { NetlinkTransport } from './transport.js';

const errnoNames = new Map<number, string>(Object.entries(osConstants.errno).map(([k, v]) => [v, k]));

export class DpifError extends OvsError {
  constructor(readonly errno: number, readonly operation: string) {
    const name = errnoNames.get(errno) ?? `errno ${errno}`;
    super(`OVS_E_DPIF_${name}`, `${operation} failed: ${name}`);
  }
}

export interface DatapathInfo { dpIfindex: number; name: string; stats: OdpDatapathStats; userFeatures?: number }

const F = () => netlinkTables().flags;

export class Dpif {
  private constructor(
    private readonly transport: NetlinkTransport,
    private readonly ids: Map<FamilyName, number>,
    readonly name: string,
    readonly dpIfindex: number,
  ) {}

  /** Opens (and with `create`, creates) the datapath named `name` (OVS uses "ovs-system"). */
  static async open(transport: NetlinkTransport, name = 'ovs-system', opts: { create?: boolean; upcallPid?: number } = {}): Promise<Dpif> {
    const ids = new Map<FamilyName, number>();
    for (const f of ['ovs_datapath', 'ovs_vport', 'ovs_flow', 'ovs_packet'] as FamilyName[]) ids.set(f, await transport.resolveFamily(f));
    const probe = new Dpif(transport, ids, name, 0);
    let info: DatapathInfo | undefined;
    try {
      info = await probe.datapathGet(name);
    } catch (e) {
      if (!(e instanceof DpifError) || e.errno !== osConstants.errno.ENODEV || !opts.create) throw e;
    }
    if (!info) {
      const replies = await probe.request('ovs_datapath', encodeDatapath({ cmd: 'NEW', dpIfindex: 0, name, upcallPid: opts.upcallPid ?? transport.upcallPid ?? 0 },
        { type: ids.get('ovs_datapath')!, flags: F().REQUEST! | F().ECHO! }), 'datapath create');
      info = toInfo(decodeDatapath(replies[0]!));
    }
    return new Dpif(transport, ids, name, info.dpIfindex);
  }

  private decode(buf: Buffer): NlMessage {
    return decodeMessage(buf, (t) => t !== netlinkTables().controller.id);
  }

  /** Sends a request; returns the genl replies, or throws DpifError for an NLMSG_ERROR. */
  private async request(family: FamilyName, msg: Buffer, operation: string): Promise<GenlMessage[]> {
    const replies = await this.transport.transact(msg);
    const out: GenlMessage[] = [];
    for (const r of replies) {
      const m = this.decode(r);
      if (m.kind === 'error') { if (m.error !== 0) throw new DpifError(-m.error, operation); continue; }
      if (m.kind === 'done') continue;
      if (m.header.type !== this.ids.get(family)) throw new OvsError('OVS_E_DPIF_PROTOCOL', `${operation}: reply of message type ${m.header.type}, expected ${family}`);
      out.push(m);
    }
    return out;
  }

  private env(family: FamilyName, flags: number) { return { type: this.ids.get(family)!, flags }; }

  async datapathGet(name = this.name): Promise<DatapathInfo> {
    const r = await this.request('ovs_datapath', encodeDatapath({ cmd: 'GET', dpIfindex: 0, name }, this.env('ovs_datapath', F().REQUEST!)), `datapath get ${name}`);
    if (!r[0]) throw new OvsError('OVS_E_DPIF_PROTOCOL', 'datapath get: empty reply');
    return toInfo(decodeDatapath(r[0]));
  }

  async datapathDelete(): Promise<void> {
    await this.request('ovs_datapath', encodeDatapath({ cmd: 'DEL', dpIfindex: this.dpIfindex, name: this.name }, this.env('ovs_datapath', F().REQUEST! | F().ACK!)), `datapath delete ${this.name}`);
  }

  /** Adds a vport; its upcall pid defaults to the transport's (where the datapath sends its misses). */
  async portAdd(vport: { name: string; type: number; portNo?: number; options?: { dstPort?: number }; upcallPids?: number[] }): Promise<OdpVport> {
    const r = await this.request('ovs_vport', encodeVport({ cmd: 'NEW', dpIfindex: this.dpIfindex, vport: { upcallPids: [this.transport.upcallPid ?? 0], ...vport } },
      this.env('ovs_vport', F().REQUEST! | F().ECHO!)), `port add ${vport.name}`);
    return decodeVport(r[0]!).vport as OdpVport;
  }

  async portDel(portNo: number): Promise<void> {
    await this.request('ovs_vport', encodeVport({ cmd: 'DEL', dpIfindex: this.dpIfindex, vport: { portNo } }, this.env('ovs_vport', F().REQUEST! | F().ACK!)), `port delete ${portNo}`);
  }

  async portGet(which: { name: string } | { portNo: number }): Promise<OdpVport> {
    const r = await this.request('ovs_vport', encodeVport({ cmd: 'GET', dpIfindex: this.dpIfindex, vport: which }, this.env('ovs_vport', F().REQUEST!)),
      `port get ${'name' in which ? which.name : which.portNo}`);
    return decodeVport(r[0]!).vport as OdpVport;
  }

  async portDump(): Promise<OdpVport[]> {
    const r = await this.request('ovs_vport', encodeVport({ cmd: 'GET', dpIfindex: this.dpIfindex, vport: {} }, this.env('ovs_vport', F().REQUEST! | F().DUMP!)), 'port dump');
    return r.map((m) => decodeVport(m).vport as OdpVport);
  }

  /** Installs a flow; `modify` allows replacing an existing one (NLM_F_CREATE without EXCL). */
  async flowPut(flow: { key: OdpFlowKey; mask?: OdpFlowKey; actions: OdpAction[]; ufid?: Buffer }, opts: { modify?: boolean; clearStats?: boolean } = {}): Promise<void> {
    const flags = F().REQUEST! | F().ACK! | F().CREATE! | (opts.modify ? 0 : F().EXCL!);
    await this.request('ovs_flow', encodeFlow({ cmd: 'NEW', dpIfindex: this.dpIfindex, flow, clear: opts.clearStats }, this.env('ovs_flow', flags)), 'flow put');
  }

  async flowGet(which: { key?: OdpFlowKey; ufid?: Buffer }): Promise<OdpFlow> {
    const r = await this.request('ovs_flow', encodeFlow({ cmd: 'GET', dpIfindex: this.dpIfindex, flow: which }, this.env('ovs_flow', F().REQUEST!)), 'flow get');
    return decodeFlow(r[0]!).flow as OdpFlow;
  }

  /** Deletes one flow (by key or ufid) and returns its final stats; with no selector, flushes all. */
  async flowDel(which?: { key?: OdpFlowKey; ufid?: Buffer }): Promise<OdpFlow | undefined> {
    const flags = which ? F().REQUEST! | F().ECHO! : F().REQUEST! | F().ACK!;
    const r = await this.request('ovs_flow', encodeFlow({ cmd: 'DEL', dpIfindex: this.dpIfindex, flow: which ?? {} }, this.env('ovs_flow', flags)), which ? 'flow delete' : 'flow flush');
    return r[0] ? decodeFlow(r[0]).flow as OdpFlow : undefined;
  }

  async flowFlush(): Promise<void> { await this.flowDel(); }

  async flowDump(): Promise<OdpFlow[]> {
    const r = await this.request('ovs_flow', encodeFlow({ cmd: 'GET', dpIfindex: this.dpIfindex, flow: {} }, this.env('ovs_flow', F().REQUEST! | F().DUMP!)), 'flow dump');
    return r.map((m) => decodeFlow(m).flow as OdpFlow);
  }

  /** Sends `packet` through `actions` (OVS_PACKET_CMD_EXECUTE), e.g. after an upcall. */
  async execute(packet: Buffer, key: OdpFlowKey, actions: OdpAction[]): Promise<void> {
    await this.request('ovs_packet', encodePacket({ cmd: 'EXECUTE', dpIfindex: this.dpIfindex, packet, key, actions }, this.env('ovs_packet', F().REQUEST! | F().ACK!)), 'execute');
  }

  /** Upcalls (MISS/ACTION) of this datapath. Malformed messages are reported through onError. */
  onUpcall(listener: (upcall: PacketMessage) => void, onError?: (e: Error) => void): () => void {
    return this.transport.onMessage((buf) => {
      try {
        const m = this.decode(buf);
        if (m.kind !== 'genl' || m.header.type !== this.ids.get('ovs_packet')) return;
        listener(decodePacket(m));
      } catch (e) { onError?.(e as Error); }
    });
  }

  /** Vport events of this datapath (OVS's dpif_port_poll): joins ovs_vport's multicast group and
   *  calls `listener` for each ovs_vport NEW/DEL notification. On Windows the extension sends DEL
   *  when a Hyper-V port is torn down or its NIC disconnects; on Linux the kernel notifies every
   *  vport created or deleted (also by us) and ports whose netdev went away. A failed subscription
   *  or a malformed event goes to onError. */
  onVportEvent(listener: (event: VportMessage) => void, onError?: (e: Error) => void): () => void {
    const off = this.transport.onMessage((buf) => {
      try {
        const m = this.decode(buf);
        if (m.kind !== 'genl' || m.header.type !== this.ids.get('ovs_vport')) return;
        const e = decodeVport(m);
        if (e.cmd === 'NEW' || e.cmd === 'DEL') listener(e);
      } catch (e) { onError?.(e as Error); }
    });
    this.transport.subscribeMulticast('ovs_vport', 'ovs_vport').catch((e: unknown) => onError?.(e instanceof Error ? e : new Error(String(e))));
    return off;
  }
}

function toInfo(m: DatapathMessage): DatapathInfo {
  return { dpIfindex: m.dpIfindex, name: m.name ?? '', stats: m.stats ?? { hit: 0n, missed: 0n, lost: 0n, flows: 0n }, userFeatures: m.userFeatures };
}
