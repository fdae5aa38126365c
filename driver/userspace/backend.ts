// The userspace datapath as a DatapathBackend, so engine/channel's DatapathEndpoint turns it into a
// NetlinkTransport: the engine's Dpif then drives it with the same ovs_* netlink messages it sends
// to the Windows extension or the Linux kernel module. Errors become DatapathErrno with the errno
// the kernel datapath answers with.
import { DatapathEndpoint, DatapathErrno, type DatapathBackend, type FlowSelector } from '../../engine/channel/datapath-endpoint.js';
import type { OdpAction, OdpDatapathStats, OdpFlow, OdpFlowKey, OdpVport } from '../../engine/channel/odp-types.js';
import { VPORT_TYPES } from '../../engine/channel/odp-types.js';
import { OvsError } from '../../engine/util/errors.js';
import { NativeCallError } from '../linux/native.js';
import { interfaceExists } from '../linux/netdev.js';
import { createDatapath, type DatapathOptions, type UserspaceDatapath } from './datapath.js';
import { DatapathError, EINVAL, ENODEV, EOPNOTSUPP, NoSuchFlowError } from './errors.js';

function errnoOf(e: unknown): number {
  if (e instanceof DatapathError) return e.errno;
  if (e instanceof NativeCallError) return e.errno || EINVAL;
  if (e instanceof OvsError && e.code === 'OVS_E_NO_SUCH_INTERFACE') return ENODEV;
  return EINVAL;
}

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DatapathErrno) throw e;
    throw new DatapathErrno(errnoOf(e), e instanceof Error ? e.message : String(e));
  }
}

export class UserspaceBackend implements DatapathBackend {
  constructor(readonly dp: UserspaceDatapath) {}

  get name(): string { return this.dp.name; }
  get dpIfindex(): number { return this.dp.dpIfindex; }

  stats(): OdpDatapathStats { return this.dp.stats(); }

  vportAdd(v: { name: string; type: number; portNo?: number; options?: { dstPort?: number } }): OdpVport {
    return guard(() => {
      let type: 'internal' | 'system' | 'vxlan' | 'geneve' | 'gre' | 'stt';
      if (v.type === VPORT_TYPES.internal) type = 'internal';
      else if (v.type === VPORT_TYPES.netdev) {
        if (!interfaceExists(v.name)) throw new DatapathErrno(ENODEV, `no network interface named ${JSON.stringify(v.name)}`);
        type = 'system';
      } else if (v.type === VPORT_TYPES.vxlan) type = 'vxlan';
      else if (v.type === VPORT_TYPES.geneve) type = 'geneve';
      else if (v.type === VPORT_TYPES.gre) type = 'gre';
      else if (v.type === VPORT_TYPES.stt) type = 'stt';
      else throw new DatapathErrno(EOPNOTSUPP, `vport type ${v.type} is not supported by the userspace datapath (netdev, internal, vxlan, geneve, gre and stt are)`);
      const o: { name: string; type: typeof type; portNo?: number; dstPort?: number } = { name: v.name, type };
      if (v.portNo !== undefined) o.portNo = v.portNo;
      if (v.options?.dstPort !== undefined) o.dstPort = v.options.dstPort;
      return this.dp.addPortNow(o);
    });
  }

  vportDel(portNo: number): OdpVport {
    return guard(() => this.dp.delPortNow(portNo));
  }

  vportGet(sel: { name?: string; portNo?: number }): OdpVport | undefined {
    const which = sel.portNo ?? sel.name;
    if (which === undefined) return undefined;
    try { return this.dp.getPort(which); } catch { return undefined; }
  }

  vportList(): OdpVport[] { return this.dp.dumpPorts(); }

  flowPut(flow: { key: OdpFlowKey; mask?: OdpFlowKey; actions: OdpAction[]; ufid?: Buffer }, opts: { create: boolean; replace: boolean; clearStats: boolean }): void {
    guard(() => {
      const mode = opts.create && opts.replace ? 'create-or-modify' : opts.create ? 'create' : 'modify';
      const f: OdpFlow = { key: flow.key, actions: flow.actions };
      if (flow.mask) f.mask = flow.mask;
      if (flow.ufid) f.ufid = flow.ufid;
      this.dp.putFlow(f, { mode, clearStats: opts.clearStats });
    });
  }

  flowGet(sel: FlowSelector): OdpFlow | undefined {
    try { return this.dp.getFlow(sel); } catch (e) { if (e instanceof NoSuchFlowError) return undefined; throw new DatapathErrno(errnoOf(e), (e as Error).message); }
  }

  flowDel(sel: FlowSelector): OdpFlow | undefined {
    try { return this.dp.delFlow(sel); } catch (e) { if (e instanceof NoSuchFlowError) return undefined; throw new DatapathErrno(errnoOf(e), (e as Error).message); }
  }

  flowList(): OdpFlow[] { return this.dp.dumpFlows(); }

  flowFlush(): void { this.dp.flushFlows(); }

  execute(packet: Buffer, key: OdpFlowKey, actions: OdpAction[]): void {
    guard(() => {
      const o: { inPort?: number; tunnel?: OdpFlowKey['tunnel'] } = {};
      if (key.inPort !== undefined) o.inPort = key.inPort;
      if (key.tunnel !== undefined) o.tunnel = key.tunnel;
      this.dp.execute(packet, actions, o);
    });
  }

  setUpcallSink(sink: (u: { cmd: 'MISS' | 'ACTION'; packet: Buffer; key: OdpFlowKey; userdata?: Buffer }) => void): void {
    this.dp.onUpcall((u) => {
      const m: { cmd: 'MISS' | 'ACTION'; packet: Buffer; key: OdpFlowKey; userdata?: Buffer } = { cmd: u.kind === 'miss' ? 'MISS' : 'ACTION', packet: u.packet, key: u.key };
      if (u.userdata) m.userdata = u.userdata;
      sink(m);
    });
  }

  async close(): Promise<void> { await this.dp.destroy(); }
}

/** Creates a userspace datapath and the NetlinkTransport that speaks ovs_* netlink to it. */
export async function openUserspaceTransport(name: string, opts: DatapathOptions = {}): Promise<{ datapath: UserspaceDatapath; transport: DatapathEndpoint }> {
  const datapath = await createDatapath(name, opts);
  return { datapath, transport: new DatapathEndpoint(new UserspaceBackend(datapath)) };
}
