// Adapts the userspace datapath's typed API to the channel's DatapathBackend, so the engine reaches
// it only through netlink messages (DatapathEndpoint), exactly as it reaches the Windows extension.
import type { DatapathBackend, FlowSelector } from '../../engine/channel/datapath-endpoint.js';
import { DatapathErrno } from '../../engine/channel/datapath-endpoint.js';
import type { OdpAction, OdpDatapathStats, OdpFlow, OdpFlowKey, OdpVport } from '../../engine/channel/odp-types.js';
import { VPORT_TYPES } from '../../engine/channel/odp-types.js';
import { createDatapath, type PortType, type UserspaceDatapath } from './datapath.js';
import { DatapathError, ENODEV, ENOENT, EOPNOTSUPP } from './errors.js';

const TYPE_OF_VPORT = new Map<number, PortType>([[VPORT_TYPES.netdev, 'netdev'], [VPORT_TYPES.internal, 'internal']]);

function rethrow(e: unknown): never {
  if (e instanceof DatapathError) throw new DatapathErrno(e.errno, e.message);
  throw e;
}

export class UserspaceBackend implements DatapathBackend {
  private sink?: Parameters<DatapathBackend['setUpcallSink']>[0];
  private readonly unsubscribe: () => void;

  constructor(readonly dp: UserspaceDatapath) {
    this.unsubscribe = dp.onUpcall((u) => {
      this.sink?.({ cmd: u.kind === 'miss' ? 'MISS' : 'ACTION', packet: u.packet, key: { ...u.key, inPort: u.portNo }, userdata: u.userdata });
    });
  }

  static async create(name = 'ovs-system'): Promise<UserspaceBackend> {
    return new UserspaceBackend(await createDatapath(name));
  }

  get name(): string { return this.dp.name; }
  get dpIfindex(): number { return this.dp.dpIfindex; }
  stats(): OdpDatapathStats { return this.dp.stats(); }

  async vportAdd(v: { name: string; type: number; portNo?: number }): Promise<OdpVport> {
    const type = TYPE_OF_VPORT.get(v.type);
    if (!type) throw new DatapathErrno(EOPNOTSUPP, `vport type ${v.type} is not supported by the userspace datapath`);
    try {
      return await this.dp.addPort({ name: v.name, type, portNo: v.portNo });
    } catch (e) { rethrow(e); }
  }

  async vportDel(portNo: number): Promise<OdpVport> {
    let v: OdpVport;
    try { v = this.dp.getPort(portNo); } catch { throw new DatapathErrno(ENODEV, `no port ${portNo}`); }
    try { await this.dp.delPort(portNo); } catch (e) { rethrow(e); }
    return v;
  }

  vportGet(sel: { name?: string; portNo?: number }): OdpVport | undefined {
    const which = sel.portNo ?? sel.name;
    if (which === undefined) return undefined;
    try { return this.dp.getPort(which); } catch { return undefined; }
  }

  vportList(): OdpVport[] { return this.dp.dumpPorts(); }

  flowPut(flow: { key: OdpFlowKey; mask?: OdpFlowKey; actions: OdpAction[]; ufid?: Buffer }, opts: { create: boolean; replace: boolean; clearStats: boolean }): void {
    const mode = opts.create && opts.replace ? 'create-or-modify' : opts.create ? 'create' : 'modify';
    try { this.dp.putFlow(flow as OdpFlow, { mode, clearStats: opts.clearStats }); } catch (e) { rethrow(e); }
  }

  flowGet(sel: FlowSelector): OdpFlow | undefined {
    try { return this.dp.getFlow(sel); } catch (e) { if (e instanceof DatapathError && e.errno === ENOENT) return undefined; rethrow(e); }
  }

  flowDel(sel: FlowSelector): OdpFlow | undefined {
    try { return this.dp.delFlow(sel); } catch (e) { if (e instanceof DatapathError && e.errno === ENOENT) return undefined; rethrow(e); }
  }

  flowList(): OdpFlow[] { return this.dp.dumpFlows(); }
  flowFlush(): void { this.dp.flushFlows(); }

  execute(packet: Buffer, key: OdpFlowKey, actions: OdpAction[]): void {
    try { this.dp.execute(packet, actions, { inPort: key.inPort }); } catch (e) { rethrow(e); }
  }

  setUpcallSink(sink: Parameters<DatapathBackend['setUpcallSink']>[0]): void { this.sink = sink; }

  async close(): Promise<void> {
    this.unsubscribe();
    await this.dp.destroy();
  }
}
