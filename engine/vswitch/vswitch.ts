// The switch daemon's job (ovs-vswitchd's bridge.c + ofproto-dpif): turn the Open_vSwitch, Bridge,
// Port and Interface rows into datapath ports and pipeline configuration at once, write the status
// columns back (ofport, ifindex, mac_in_use, link_state, admin_state, mtu, error, statistics,
// datapath_id, datapath_version, cur_cfg), translate datapath misses into megaflows, and
// revalidate installed megaflows when rules, ports or learnt MACs change.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { DpifError, type Dpif } from '../channel/dpif.js';
import type { PacketMessage } from '../channel/messages.js';
import type { OdpAction, OdpFlow, OdpFlowKey, OdpVport } from '../channel/odp-types.js';
import { VPORT_TYPES } from '../channel/odp-types.js';
import type { Json, RowJson } from '../ovsdb/api.js';
import type { PortSpec } from '../pipeline/bridge.js';
import type { VlanMode } from '../pipeline/normal.js';
import { Pipeline } from '../pipeline/pipeline.js';
import { parseTunnelOptions, tunnelDpPortName, type TunnelConfig, type TunnelType } from '../pipeline/tunnel.js';
import type { ConfigSource } from './config-source.js';
import { intOf, mapOf, rowUuid, setOf, stringOf, uuidsOf, wireMap } from './wire.js';

export const OFPP_LOCAL = 0xfffe;
const MAX_IDLE_MS = 10_000;
const REVALIDATE_MS = 500;
const STATS_MS = 5_000;

export interface SwitchLog { info(m: string): void; warn(m: string): void; err(m: string): void; dbg(m: string): void }

export interface VSwitchOptions {
  source: ConfigSource;
  dpif: Dpif;
  log: SwitchLog;
  version: string;
  /** Interface types the datapath can create (besides patch, handled in the pipeline). */
  now?: () => number;
}

interface DesiredIface {
  uuid: string;
  name: string;
  type: string;
  options: Map<string, string>;
  ofportRequest?: number;
  row: RowJson;
  bridge: string;
  port: string;
  isLocal: boolean;
}

interface DesiredPort { uuid: string; name: string; row: RowJson; ifaces: DesiredIface[]; tag?: number; trunks: number[]; vlanMode?: VlanMode; bondMode: string }
interface DesiredBridge { uuid: string; name: string; row: RowJson; failMode: string; ports: DesiredPort[] }

interface IfaceState { ofport: number; odpPort?: number; error?: string; bridge: string; spec?: string; /** tunnels: the shared datapath port */ dpName?: string }

interface InstalledRec { key: OdpFlowKey; mask: OdpFlowKey; actions: OdpAction[]; packets: bigint; bytes: bigint; installed: number }

/** Interface types and how the datapath realises them. */
function vportTypeFor(ifaceType: string): number | 'patch' | undefined {
  switch (ifaceType) {
    case '': case 'system': case 'tap': return VPORT_TYPES.netdev;
    case 'internal': return VPORT_TYPES.internal;
    case 'vxlan': return VPORT_TYPES.vxlan;
    case 'geneve': return VPORT_TYPES.geneve;
    case 'patch': return 'patch';
    default: return undefined;
  }
}

const VPORT_TYPE_NAMES = new Map<number, string>([[1, 'system'], [2, 'internal'], [3, 'gre'], [4, 'vxlan'], [5, 'geneve']]);
export function vportTypeName(t: number): string { return VPORT_TYPE_NAMES.get(t) ?? `type${t}`; }

function strerror(e: unknown): string {
  if (e instanceof DpifError) {
    const names: Record<number, string> = {
      [osConstants.errno.ENODEV]: 'No such device', [osConstants.errno.EEXIST]: 'File exists', [osConstants.errno.EINVAL]: 'Invalid argument',
      [osConstants.errno.EOPNOTSUPP]: 'Operation not supported', [osConstants.errno.EBUSY]: 'Device or resource busy', [osConstants.errno.ENOENT]: 'No such file or directory',
      [osConstants.errno.EADDRINUSE]: 'Address already in use',
    };
    return names[e.errno] ?? e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

function sysfs(name: string, attr: string): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try { return readFileSync(`/sys/class/net/${name}/${attr}`, 'utf8').trim(); } catch { return undefined; }
}

export class VSwitch {
  readonly pipeline = new Pipeline();
  private readonly ifaces = new Map<string, IfaceState>();
  private readonly failModes = new Map<string, string>();
  private readonly installed = new Map<string, InstalledRec>();
  private readonly unsubs: Array<() => void> = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private running?: Promise<void>;
  private pending = false;
  private revalidatedAt = -1;
  private closed = false;
  private lastStats = 0;
  /** Set once a flow with an idle or hard timeout was added (every flow-mod path of the switch goes
   *  through commands.ts, which calls noteFlowMods); until then the periodic pass skips rule expiry. */
  private flowsMayExpire = false;
  readonly counters = { upcalls: 0, flowPuts: 0, flowPutErrors: 0, revalidations: 0, flowsDeleted: 0, reconfigurations: 0, executes: 0 };

  constructor(private readonly o: VSwitchOptions) {}

  private now(): number { return (this.o.now ?? Date.now)(); }

  async start(): Promise<void> {
    this.unsubs.push(this.o.source.onChange(() => this.schedule()));
    this.unsubs.push(this.o.dpif.onUpcall((u) => { void this.handleUpcall(u); }, (e) => this.o.log.warn(`bad upcall: ${e.message}`)));
    // A port deleted under us (Hyper-V port torn down, netdev gone) is re-added or reported at once.
    this.unsubs.push(this.o.dpif.onVportEvent((e) => {
      if (e.cmd !== 'DEL') return;
      this.o.log.dbg(`datapath port ${e.vport.name ?? e.vport.portNo} deleted (vport event)`);
      this.schedule();
    }, (e) => this.o.log.warn(`vport events: ${e.message}`)));
    this.timers.push(setInterval(() => { void this.periodic(); }, REVALIDATE_MS));
    for (const t of this.timers) t.unref();
    await this.reconcileNow();
  }

  async stop(): Promise<void> {
    this.closed = true;
    for (const u of this.unsubs.splice(0)) u();
    for (const t of this.timers.splice(0)) clearInterval(t);
    await this.running?.catch(() => undefined);
  }

  /** Coalesces change notifications: one reconciliation runs at a time, and one more follows if
   *  anything changed while it ran. */
  schedule(): void {
    if (this.closed) return;
    if (this.running) { this.pending = true; return; }
    this.running = (async () => {
      do {
        this.pending = false;
        try { await this.reconcile(); } catch (e) { this.o.log.err(`reconfiguration failed: ${(e as Error).stack ?? e}`); }
      } while (this.pending && !this.closed);
    })().finally(() => { this.running = undefined; });
  }

  /** Runs a reconciliation now (and waits for one in progress). */
  async reconcileNow(): Promise<void> {
    this.schedule();
    while (this.running) await this.running;
  }

  // ------------------------------------------------------------------ desired state

  private desired(): { ovs?: RowJson; bridges: DesiredBridge[] } {
    const rep = this.o.source.replica();
    const ovs = [...(rep.get('Open_vSwitch')?.values() ?? [])][0];
    const bridgesT = rep.get('Bridge')!, portsT = rep.get('Port')!, ifacesT = rep.get('Interface')!;
    const bridges: DesiredBridge[] = [];
    if (!ovs) return { bridges };
    for (const bu of uuidsOf(ovs.bridges)) {
      const b = bridgesT.get(bu);
      if (!b) continue;
      const bname = stringOf(b.name);
      const ports: DesiredPort[] = [];
      for (const pu of uuidsOf(b.ports)) {
        const p = portsT.get(pu);
        if (!p) continue;
        const pname = stringOf(p.name);
        const ifaces: DesiredIface[] = [];
        for (const iu of uuidsOf(p.interfaces)) {
          const i = ifacesT.get(iu);
          if (!i) continue;
          const iname = stringOf(i.name);
          ifaces.push({ uuid: iu, name: iname, type: stringOf(i.type), options: mapOf(i.options), ofportRequest: intOf(i.ofport_request), row: i, bridge: bname, port: pname, isLocal: iname === bname });
        }
        const vm = stringOf(p.vlan_mode);
        ports.push({ uuid: pu, name: pname, row: p, ifaces, tag: intOf(p.tag), trunks: setOf(p.trunks).filter((x): x is number => typeof x === 'number'),
          vlanMode: vm === 'access' || vm === 'trunk' || vm === 'native-tagged' || vm === 'native-untagged' ? vm : undefined, bondMode: stringOf(p.bond_mode) });
      }
      bridges.push({ uuid: bu, name: bname, row: b, failMode: stringOf(b.fail_mode), ports });
    }
    return { ovs, bridges };
  }

  // ------------------------------------------------------------------ reconciliation

  private async reconcile(): Promise<void> {
    const { ovs, bridges } = this.desired();
    const nextCfg = ovs ? intOf(ovs.next_cfg) ?? 0 : 0;
    this.counters.reconfigurations++;
    const errors = new Map<string, string>();

    // 1. Datapath ports: one per bridge (its local internal port) and one per non-patch interface.
    const wantDp = new Map<string, number>();
    // Tunnel interfaces share one datapath port per type and UDP port ("vxlan_sys_4789").
    const tunnels = new Map<string, { dpName: string; config: TunnelConfig }>();
    const dpOptions = new Map<string, { dstPort: number }>();
    for (const b of bridges) {
      wantDp.set(b.name, VPORT_TYPES.internal);
      for (const p of b.ports) {
        for (const i of p.ifaces) {
          if (i.isLocal) continue;
          const vt = vportTypeFor(i.type);
          if (vt === undefined) { errors.set(i.name, `could not add network device ${i.name} to ofproto (interface type "${i.type}" is not supported by this datapath)`); continue; }
          if (vt === 'patch') {
            const peer = i.options.get('peer');
            if (!peer) errors.set(i.name, `${i.name}: patch type requires valid 'peer' argument`);
            else if (peer === i.name) errors.set(i.name, `${i.name}: patch peer must not be self`);
            continue;
          }
          if (vt === VPORT_TYPES.vxlan || vt === VPORT_TYPES.geneve) {
            const r = parseTunnelOptions(i.name, i.type as TunnelType, i.options);
            for (const w of r.warnings) this.o.log.warn(w);
            if (!r.config) { errors.set(i.name, r.error!); this.o.log.warn(r.error!); continue; }
            const dpName = tunnelDpPortName(r.config);
            tunnels.set(i.name, { dpName, config: r.config });
            wantDp.set(dpName, vt);
            dpOptions.set(dpName, { dstPort: r.config.dstPort });
            continue;
          }
          wantDp.set(i.name, vt);
        }
      }
    }
    const have = new Map<string, OdpVport>();
    for (const v of await this.o.dpif.portDump()) if (v.portNo !== 0) have.set(v.name, v);
    for (const [name, v] of have) {
      if (wantDp.get(name) !== v.type) {
        try { await this.o.dpif.portDel(v.portNo); have.delete(name); this.o.log.info(`deleted port ${name} from the datapath`); } catch (e) { this.o.log.warn(`deleting datapath port ${name}: ${strerror(e)}`); }
      }
    }
    for (const [name, type] of wantDp) {
      if (have.has(name)) continue;
      try {
        const options = dpOptions.get(name);
        const v = await this.o.dpif.portAdd(options ? { name, type, options } : { name, type });
        have.set(name, v);
        this.o.log.info(`added ${vportTypeName(type)} port ${name} as datapath port ${v.portNo}`);
      } catch (e) {
        const msg = `could not open network device ${name} (${strerror(e)})`;
        errors.set(name, msg);
        this.o.log.warn(msg);
      }
    }
    for (const [iface, t] of tunnels) {
      const err = errors.get(t.dpName);
      if (err) errors.set(iface, `could not open network device ${iface} (${err.replace(/^could not open network device \S+ \((.*)\)$/, '$1')})`);
    }

    // 2. Pipeline bridges and ports.
    const wantBridges = new Set(bridges.map((b) => b.name));
    for (const name of this.pipeline.bridgeNames()) if (!wantBridges.has(name)) { this.pipeline.removeBridge(name); this.failModes.delete(name); this.o.log.info(`bridge ${name}: deleted`); }
    const seenIfaces = new Set<string>();
    for (const b of bridges) {
      let br;
      if (!this.pipeline.hasBridge(b.name)) {
        br = this.pipeline.addBridge(b.name, { defaultNormalFlow: b.failMode !== 'secure' });
        this.failModes.set(b.name, b.failMode);
        this.o.log.info(`bridge ${b.name}: added`);
      } else {
        br = this.pipeline.bridge(b.name);
        const was = this.failModes.get(b.name) ?? '';
        if ((was === 'secure') !== (b.failMode === 'secure')) {
          if (b.failMode === 'secure') br.delFlows('priority=0,actions=NORMAL', true);
          else br.addFlow('priority=0,actions=NORMAL');
        }
        this.failModes.set(b.name, b.failMode);
      }
      const used = new Set<number>();
      for (const p of b.ports) for (const i of p.ifaces) { const s = this.ifaces.get(i.name); if (s && s.bridge === b.name && s.ofport > 0) used.add(s.ofport); }
      const wantPorts = new Set<string>();
      for (const p of b.ports) {
        // A bond is driven through its first interface that came up (active-backup without LACP).
        const members = p.ifaces.length > 1 ? p.ifaces.filter((i) => !errors.has(i.name)).slice(0, 1) : p.ifaces;
        for (const i of p.ifaces) {
          seenIfaces.add(i.name);
          const prev = this.ifaces.get(i.name);
          let ofport = i.isLocal ? OFPP_LOCAL : prev && prev.bridge === b.name ? prev.ofport : 0;
          if (!i.isLocal && (!ofport || ofport < 0)) {
            const req = i.ofportRequest;
            const cur = intOf(i.row.ofport);
            if (req && req > 0 && req < 0xff00 && !used.has(req)) ofport = req;
            else if (cur && cur > 0 && cur < 0xff00 && !used.has(cur)) ofport = cur;
            else { ofport = 1; while (used.has(ofport)) ofport++; }
            used.add(ofport);
          }
          const err = errors.get(i.name);
          const tun = tunnels.get(i.name);
          const state: IfaceState = { ofport: err && !i.isLocal ? -1 : ofport, bridge: b.name, odpPort: have.get(tun ? tun.dpName : i.name)?.portNo, error: err };
          if (tun) state.dpName = tun.dpName;
          this.ifaces.set(i.name, state);
          if (err || !members.includes(i)) { if (br.portByName(i.name)) br.removePort(i.name); continue; }
          const spec: PortSpec = { name: i.name, ofport, odpPort: state.odpPort };
          if (i.type === 'patch') spec.patchPeer = i.options.get('peer');
          if (tun) spec.tunnel = tun.config;
          if (p.tag !== undefined) spec.tag = p.tag;
          if (p.trunks.length) spec.trunks = p.trunks;
          if (p.vlanMode) spec.vlanMode = p.vlanMode;
          const specKey = JSON.stringify(spec, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
          wantPorts.add(i.name);
          const existing = br.portByName(i.name);
          if (existing && prev?.spec === specKey) { state.spec = specKey; continue; }
          try {
            if (existing) br.updatePort(i.name, spec); else br.addPort(spec);
            state.spec = specKey;
          } catch (e) {
            state.error = `${i.name}: ${(e as Error).message}`;
            state.ofport = -1;
            if (br.portByName(i.name)) br.removePort(i.name);
          }
        }
      }
      for (const port of [...br.ports.values()]) if (!wantPorts.has(port.name)) br.removePort(port.name);
    }
    for (const name of [...this.ifaces.keys()]) if (!seenIfaces.has(name)) this.ifaces.delete(name);

    // 3. Flows built under the old configuration are stale.
    await this.revalidate(true);

    // 4. Status back into the database, and the acknowledgement of next_cfg.
    await this.writeStatus(ovs, bridges, have, nextCfg);
  }

  private ifaceStatus(i: DesiredIface, dpPorts: Map<string, OdpVport>): Record<string, Json> {
    const st = this.ifaces.get(i.name);
    const out: Record<string, Json> = {};
    out.ofport = st ? st.ofport : ['set', []];
    out.error = st?.error ? st.error : ['set', []];
    if (i.type === 'patch') {
      const peerOk = !!i.options.get('peer') && this.pipeline.portByName(i.options.get('peer')!) !== undefined;
      out.link_state = st?.error ? 'down' : peerOk ? 'up' : 'down';
      out.admin_state = st?.error ? 'down' : 'up';
      return out;
    }
    const v = dpPorts.get(st?.dpName ?? i.name);
    if (!v || st?.error) {
      out.link_state = 'down'; out.admin_state = 'down';
      return out;
    }
    const mac = sysfs(i.name, 'address');
    const mtu = Number(sysfs(i.name, 'mtu'));
    const oper = sysfs(i.name, 'operstate');
    const flags = Number(sysfs(i.name, 'flags'));
    out.mac_in_use = mac ?? ['set', []];
    if (Number.isFinite(mtu) && mtu > 0) out.mtu = mtu;
    if (v.ifindex !== undefined) out.ifindex = v.ifindex;
    out.admin_state = Number.isFinite(flags) ? ((flags & 1) ? 'up' : 'down') : 'up';
    out.link_state = oper === undefined ? 'up' : oper === 'up' || oper === 'unknown' ? 'up' : 'down';
    return out;
  }

  private async writeStatus(ovs: RowJson | undefined, bridges: DesiredBridge[], dpPorts: Map<string, OdpVport>, nextCfg: number): Promise<void> {
    if (!ovs) return;
    const ops: Json[] = [];
    const upd = (table: string, row: RowJson, values: Record<string, Json>) => {
      const changed: Record<string, Json> = {};
      for (const [k, v] of Object.entries(values)) if (JSON.stringify(row[k]) !== JSON.stringify(v)) changed[k] = v;
      if (Object.keys(changed).length) ops.push({ op: 'update', table, where: [['_uuid', '==', ['uuid', rowUuid(row)]]], row: changed });
    };
    for (const b of bridges) {
      const mac = sysfs(b.name, 'address');
      const dpid = mac ? '0000' + mac.replace(/:/g, '') : undefined;
      upd('Bridge', b.row, { datapath_version: '<built-in>', ...(dpid ? { datapath_id: dpid } : {}) });
      for (const p of b.ports) for (const i of p.ifaces) upd('Interface', i.row, this.ifaceStatus(i, dpPorts));
    }
    const ovsValues: Record<string, Json> = {
      ovs_version: this.o.version,
      datapath_types: ['set', ['netdev', 'system']],
      iface_types: ['set', ['geneve', 'internal', 'patch', 'system', 'tap', 'vxlan']],
    };
    if (intOf(ovs.cur_cfg) !== nextCfg) ovsValues.cur_cfg = nextCfg;
    upd('Open_vSwitch', ovs, ovsValues);
    if (!ops.length) return;
    const r = await this.o.source.transact(ops);
    const err = r.find((x) => x && typeof x === 'object' && !Array.isArray(x) && 'error' in x);
    if (err) this.o.log.warn(`writing status failed: ${JSON.stringify(err)}`);
  }

  private async writeStatistics(): Promise<void> {
    const rep = this.o.source.replica();
    const ops: Json[] = [];
    const ports = new Map((await this.o.dpif.portDump()).map((v) => [v.name, v]));
    for (const row of rep.get('Interface')?.values() ?? []) {
      const v = ports.get(stringOf(row.name));
      if (!v?.stats) continue;
      const s = v.stats;
      const stats = wireMap({ rx_packets: Number(s.rxPackets), tx_packets: Number(s.txPackets), rx_bytes: Number(s.rxBytes), tx_bytes: Number(s.txBytes),
        rx_errors: Number(s.rxErrors), tx_errors: Number(s.txErrors), rx_dropped: Number(s.rxDropped), tx_dropped: Number(s.txDropped) });
      if (JSON.stringify(row.statistics) !== JSON.stringify(stats)) ops.push({ op: 'update', table: 'Interface', where: [['_uuid', '==', row._uuid!]], row: { statistics: stats } });
    }
    if (ops.length) await this.o.source.transact(ops);
  }

  // ------------------------------------------------------------------ upcalls and megaflows

  private async handleUpcall(u: PacketMessage): Promise<void> {
    if (this.closed || u.cmd !== 'MISS' || !u.key) return;
    this.counters.upcalls++;
    const key = u.key;
    const r = this.pipeline.translate({ key, packetLen: u.packet.length }, { sideEffects: true });
    if (r.error) this.o.log.dbg(`translation of a packet from datapath port ${key.inPort} stopped: ${r.error}`);
    const actions = r.error ? [] : r.actions;
    const ufid = randomBytes(16);
    try {
      await this.o.dpif.flowPut({ key, mask: r.mask, actions, ufid });
      this.installed.set(ufid.toString('hex'), { key, mask: r.mask, actions, packets: 0n, bytes: 0n, installed: this.now() });
      this.counters.flowPuts++;
    } catch (e) {
      if (!(e instanceof DpifError && e.errno === osConstants.errno.EEXIST)) { this.counters.flowPutErrors++; this.o.log.dbg(`installing a megaflow failed: ${strerror(e)}`); }
    }
    if (actions.length) {
      try { await this.o.dpif.execute(u.packet, key, actions); this.counters.executes++; } catch (e) { this.o.log.dbg(`executing a missed packet failed: ${strerror(e)}`); }
    }
  }

  private async periodic(): Promise<void> {
    if (this.closed) return;
    try {
      // Pipeline.run() scans every OpenFlow rule for timeouts (O(rules) every REVALIDATE_MS: ~0.2 s
      // per pass with 100k rules); without any rule that can expire only the MAC tables need ageing.
      let expiredFlows = 0;
      if (this.flowsMayExpire) expiredFlows = this.pipeline.run().expiredFlows;
      else for (const name of this.pipeline.bridgeNames()) this.pipeline.bridge(name).mac.expire();
      await this.revalidate(expiredFlows > 0);
      if (this.now() - this.lastStats >= STATS_MS) { this.lastStats = this.now(); await this.writeStatistics(); }
    } catch (e) {
      this.o.log.warn(`periodic work failed: ${(e as Error).message}`);
    }
  }

  /** Re-translates installed megaflows: deletes stale or idle ones, fixes changed actions, and
   *  credits their traffic to OpenFlow rules and MAC learning. */
  async revalidate(force = false): Promise<void> {
    const gen = this.pipeline.generation;
    const dumped: OdpFlow[] = await this.o.dpif.flowDump();
    const now = this.now();
    const mine: Array<{ hex: string; rec: InstalledRec; flow: OdpFlow }> = [];
    for (const f of dumped) {
      const hex = f.ufid?.toString('hex');
      const rec = hex ? this.installed.get(hex) : undefined;
      if (!hex || !rec) continue;
      const lastUse = f.used && f.used > 0 ? f.used : rec.installed;
      if (now - lastUse > MAX_IDLE_MS) {
        await this.deleteFlow(hex, 'idle');
        continue;
      }
      mine.push({ hex, rec, flow: f });
    }
    // One set of the dumped ufids (a scan of the dump per installed flow was O(flows^2) every pass).
    const inDump = new Set<string>();
    for (const f of dumped) if (f.ufid) inDump.add(f.ufid.toString('hex'));
    for (const hex of [...this.installed.keys()]) if (!inDump.has(hex)) this.installed.delete(hex);
    const withTraffic = mine.filter((m) => (m.flow.stats?.packets ?? 0n) > m.rec.packets);
    if (!force && gen === this.revalidatedAt && withTraffic.length === 0) return;
    const todo = force || gen !== this.revalidatedAt ? mine : withTraffic;
    this.counters.revalidations++;
    const verdicts = this.pipeline.revalidate(todo.map((m) => ({
      key: m.rec.key, mask: m.rec.mask, actions: m.rec.actions,
      statsDelta: { packets: (m.flow.stats?.packets ?? 0n) - m.rec.packets, bytes: (m.flow.stats?.bytes ?? 0n) - m.rec.bytes },
    })));
    for (let i = 0; i < todo.length; i++) {
      const m = todo[i]!;
      const v = verdicts[i]!;
      m.rec.packets = m.flow.stats?.packets ?? m.rec.packets;
      m.rec.bytes = m.flow.stats?.bytes ?? m.rec.bytes;
      if (v.op === 'delete') await this.deleteFlow(m.hex, v.reason);
      else if (v.op === 'modify') {
        try {
          await this.o.dpif.flowPut({ key: m.rec.key, mask: m.rec.mask, actions: v.actions, ufid: Buffer.from(m.hex, 'hex') }, { modify: true });
          m.rec.actions = v.actions;
        } catch (e) { this.o.log.dbg(`modifying a megaflow failed: ${strerror(e)}`); await this.deleteFlow(m.hex, 'modify failed'); }
      }
    }
    this.revalidatedAt = this.pipeline.generation === gen ? gen : -1;
  }

  private async deleteFlow(hex: string, reason: string): Promise<void> {
    this.installed.delete(hex);
    this.counters.flowsDeleted++;
    try { await this.o.dpif.flowDel({ ufid: Buffer.from(hex, 'hex') }); } catch (e) { this.o.log.dbg(`deleting megaflow (${reason}): ${strerror(e)}`); }
  }

  /** Deletes every datapath flow (after changes the caller wants to take effect at once). */
  async flushFlows(): Promise<void> {
    this.installed.clear();
    await this.o.dpif.flowFlush();
  }

  /** Tells the switch about flow-mods applied to its bridges (rules with timeouts need expiry). */
  noteFlowMods(mods: ReadonlyArray<{ idleTimeout: number; hardTimeout: number }>): void {
    if (mods.some((m) => m.idleTimeout > 0 || m.hardTimeout > 0)) this.flowsMayExpire = true;
  }

  // ------------------------------------------------------------------ views for commands

  ifaceState(name: string): Readonly<IfaceState> | undefined { return this.ifaces.get(name); }
  get dp(): Dpif { return this.o.dpif; }
  installedFlow(ufidHex: string): Readonly<InstalledRec> | undefined { return this.installed.get(ufidHex); }
}

