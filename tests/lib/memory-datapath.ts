// A datapath backend kept in memory (vports and flows in maps, no frames), for exercising the
// netlink channel and the Windows transport without root. Tests inject upcalls with `miss()`.
import { constants } from 'node:os';
import { DatapathErrno, type DatapathBackend, type FlowSelector } from '../../engine/channel/datapath-endpoint.js';
import type { OdpAction, OdpDatapathStats, OdpFlow, OdpFlowKey, OdpVport } from '../../engine/channel/odp-types.js';

const E = constants.errno;
const keyId = (k: OdpFlowKey) => JSON.stringify(k, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));

export class MemoryDatapath implements DatapathBackend {
  readonly dpIfindex = 7;
  readonly vports = new Map<number, OdpVport>();
  readonly flows = new Map<string, OdpFlow>();
  readonly executed: Array<{ packet: Buffer; actions: OdpAction[] }> = [];
  private sink?: Parameters<DatapathBackend['setUpcallSink']>[0];
  constructor(readonly name = 'ovs-system') { this.vports.set(0, { portNo: 0, type: 2, name }); }
  stats(): OdpDatapathStats { return { hit: 0n, missed: 0n, lost: 0n, flows: BigInt(this.flows.size), masks: 0, maskHit: 0n }; }
  vportAdd(v: { name: string; type: number; portNo?: number }): OdpVport {
    for (const p of this.vports.values()) if (p.name === v.name) throw new DatapathErrno(E.EEXIST, `port ${v.name} exists`);
    let n = v.portNo ?? 1;
    while (v.portNo === undefined && this.vports.has(n)) n++;
    const p: OdpVport = { portNo: n, type: v.type, name: v.name, stats: { rxPackets: 0n, txPackets: 0n, rxBytes: 0n, txBytes: 0n, rxErrors: 0n, txErrors: 0n, rxDropped: 0n, txDropped: 0n } };
    this.vports.set(n, p);
    return p;
  }
  vportDel(portNo: number): OdpVport {
    const p = this.vports.get(portNo);
    if (!p) throw new DatapathErrno(E.ENODEV, `no port ${portNo}`);
    this.vports.delete(portNo);
    return p;
  }
  vportGet(sel: { name?: string; portNo?: number }): OdpVport | undefined {
    if (sel.portNo !== undefined) return this.vports.get(sel.portNo);
    return [...this.vports.values()].find((p) => p.name === sel.name);
  }
  vportList(): OdpVport[] { return [...this.vports.values()]; }
  private find(sel: FlowSelector): string | undefined {
    if (sel.ufid) for (const [id, f] of this.flows) if (f.ufid?.equals(sel.ufid)) return id;
    return sel.key && this.flows.has(keyId(sel.key)) ? keyId(sel.key) : undefined;
  }
  flowPut(flow: { key: OdpFlowKey; mask?: OdpFlowKey; actions: OdpAction[]; ufid?: Buffer }, opts: { create: boolean; replace: boolean }): void {
    const id = this.find(flow) ?? keyId(flow.key);
    const have = this.flows.get(id);
    if (have && !opts.replace) throw new DatapathErrno(E.EEXIST, 'flow exists');
    if (!have && !opts.create) throw new DatapathErrno(E.ENOENT, 'no such flow');
    this.flows.set(id, { ...flow, stats: have?.stats ?? { packets: 0n, bytes: 0n }, used: 0 });
  }
  flowGet(sel: FlowSelector): OdpFlow | undefined { const id = this.find(sel); return id ? this.flows.get(id) : undefined; }
  flowDel(sel: FlowSelector): OdpFlow | undefined { const id = this.find(sel); if (!id) return undefined; const f = this.flows.get(id); this.flows.delete(id); return f; }
  flowList(): OdpFlow[] { return [...this.flows.values()]; }
  flowFlush(): void { this.flows.clear(); }
  execute(packet: Buffer, _key: OdpFlowKey, actions: OdpAction[]): void { this.executed.push({ packet, actions }); }
  setUpcallSink(sink: Parameters<DatapathBackend['setUpcallSink']>[0]): void { this.sink = sink; }
  miss(packet: Buffer, key: OdpFlowKey): void { this.sink?.({ cmd: 'MISS', packet, key }); }
  /** A userspace-action upcall (sFlow/IPFIX sampling) with the action's userdata. */
  action(packet: Buffer, key: OdpFlowKey, userdata: Buffer): void { this.sink?.({ cmd: 'ACTION', packet, key, userdata }); }
}
