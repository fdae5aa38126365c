// The switch daemon's job (ovs-vswitchd's bridge.c + ofproto-dpif): turn the Open_vSwitch, Bridge,
// Port and Interface rows into datapath ports and pipeline configuration at once, write the status
// columns back (ofport, ifindex, mac_in_use, link_state, admin_state, mtu, error, statistics,
// datapath_id, datapath_version, cur_cfg), translate datapath misses into megaflows, and
// revalidate installed megaflows when rules, ports or learnt MACs change.
import { RtNetlink } from '../../driver/linux/rtnetlink.js';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { DpifError, type Dpif } from '../channel/dpif.js';
import type { PacketMessage } from '../channel/messages.js';
import type { OdpAction, OdpFlow, OdpFlowKey, OdpVport } from '../channel/odp-types.js';
import { VPORT_TYPES } from '../channel/odp-types.js';
import type { Json, RowJson } from '../ovsdb/api.js';
import type { Bridge, PortSpec } from '../pipeline/bridge.js';
import type { MirrorSpec } from '../pipeline/mirror.js';
import { BOND_MODES, type BondMode, type BondState } from '../pipeline/bond.js';
import { extractFlowKey } from '../channel/flow-extract.js';
import { ETH_TYPE_SLOW, Lacp, encodeLacpFrame, type LacpPdu, type LacpSettings } from './lacp.js';
import { UnixctlCommandError } from '../util/unixctl.js';
import { networkInterfaces } from 'node:os';
import { isIPv4 } from 'node:net';
import { decodeSflowCookie } from '../pipeline/sflow-cookie.js';
import { decodeFlowSampleCookie, type FlowSampleCookie } from '../pipeline/flow-sample-cookie.js';
import { SflowAgent, parseSflowTarget, type IfCounters, type SflowSettings } from './sflow.js';
import { LinuxQos, type QosSpec, type QueueSpec } from './qos.js';
import { IpfixExporter, parseIpfixTarget, type IpfixSettings, type IpfixStats } from './ipfix.js';
import { NF_OUT_DROP, NF_OUT_MULTI, NetflowExporter, parseNetflowTarget, type NetflowSettings } from './netflow.js';
import type { VlanMode } from '../pipeline/normal.js';
import { Pipeline } from '../pipeline/pipeline.js';
import { parseTunnelOptions, tunnelDpPortName, type TunnelConfig, type TunnelType } from '../pipeline/tunnel.js';
import type { ConfigSource, Replica } from './config-source.js';
import { int64Of, intOf, mapOf, optionalOf, rowUuid, setOf, stringOf, uuidsOf, wireMap } from './wire.js';

export const OFPP_LOCAL = 0xfffe;
const MAX_IDLE_MS = 10_000;
const REVALIDATE_MS = 500;
/** Interface and Mirror statistics are written every `stats-update-interval` ms, at least 5000. */
const STATS_MS = 5_000;

export interface SwitchLog { info(m: string): void; warn(m: string): void; err(m: string): void; dbg(m: string): void }

export interface VSwitchOptions {
  source: ConfigSource;
  dpif: Dpif;
  log: SwitchLog;
  version: string;
  /** Interface types the datapath can create (besides patch, handled in the pipeline). */
  now?: () => number;
  /** Netdev settings beyond the datapath messages (ingress policing); absent: not supported. */
  netdev?: { setIngressPolicing(iface: string, rateKbps: number, burstKbit: number): void };
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
interface DesiredMirror { uuid: string; name: string; selectAll: boolean; srcPorts: string[]; dstPorts: string[]; vlans: number[]; outPort?: string; outVlan?: number; snaplen?: number }
interface DesiredBridge { uuid: string; name: string; row: RowJson; failMode: string; ports: DesiredPort[]; mirrors: DesiredMirror[] }

interface IfaceState { ofport: number; odpPort?: number; error?: string; bridge: string; spec?: string; /** tunnels: the shared datapath port */ dpName?: string }

interface InstalledRec {
  key: OdpFlowKey; mask: OdpFlowKey; actions: OdpAction[]; packets: bigint; bytes: bigint; installed: number;
  /** NetFlow bookkeeping: the upcall's own packet (executed, not counted by the flow), what was
   *  exported so far, when, and the TCP flags and last use seen. */
  nf?: { upcallPackets: bigint; upcallBytes: bigint; exportedPackets: bigint; exportedBytes: bigint; exportedAt: number; first: number; last: number; tcpFlags: number };
}

/** Interface types and how the datapath realises them. */
function vportTypeFor(ifaceType: string): number | 'patch' | undefined {
  switch (ifaceType) {
    case '': case 'system': case 'tap': return VPORT_TYPES.netdev;
    case 'internal': return VPORT_TYPES.internal;
    case 'vxlan': return VPORT_TYPES.vxlan;
    case 'geneve': return VPORT_TYPES.geneve;
    case 'gre': return VPORT_TYPES.gre;
    case 'stt': return VPORT_TYPES.stt;
    case 'patch': return 'patch';
    default: return undefined;
  }
}

const VPORT_TYPE_NAMES = new Map<number, string>([[1, 'system'], [2, 'internal'], [3, 'gre'], [4, 'vxlan'], [5, 'geneve'], [106, 'stt']]);
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

/** sFlow `agent`: an IPv4 address, or an interface whose IPv4 address to use; empty = the first
 *  non-loopback IPv4 address (or loopback when there is none). Undefined when it has none. */
function sflowAgentIp(agent: string): string | undefined {
  if (isIPv4(agent)) return agent;
  const ifs = networkInterfaces();
  if (agent) return ifs[agent]?.find((a) => a.family === 'IPv4')?.address;
  const all = Object.values(ifs).flat().filter((a): a is NonNullable<typeof a> => !!a && a.family === 'IPv4');
  return (all.find((a) => !a.internal) ?? all[0])?.address ?? '127.0.0.1';
}

/** The bridge's Ethernet address (its internal port's), or a stable locally administered one. */
function bridgeMac(name: string): string {
  const mac = sysfs(name, 'address');
  if (mac && mac !== '00:00:00:00:00:00') return mac;
  let h = 0x811c9dc5;
  for (const c of Buffer.from(name)) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return ['02', '00', ...[24, 16, 8, 0].map((sh) => ((h >>> sh) & 0xff).toString(16).padStart(2, '0'))].join(':');
}

/** A device's link (carrier) is up: operstate up or unknown (TAPs, some drivers); up when the
 *  platform cannot tell. */
/** A device's operstate read as carrier: unknown (no state kept, e.g. TAP) and absent count as up. */
function operUp(oper: string | undefined): boolean {
  return oper === undefined || oper === 'up' || oper === 'unknown';
}

function linkUp(name: string): boolean {
  return operUp(sysfs(name, 'operstate'));
}

function sysfs(name: string, attr: string): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try { return readFileSync(`/sys/class/net/${name}/${attr}`, 'utf8').trim(); } catch { return undefined; }
}

/** What the Interface/Bridge status columns need of a network device. */
interface DeviceInfo { mac?: string; mtu?: number; flags?: number; oper?: string }

/** The host's devices, for one status write: on Linux one rtnetlink link dump for all of them
 *  (reading 4 sysfs files per interface cost ~0.1 ms each and made every reconfiguration, so the
 *  wait for cur_cfg, grow with the number of interfaces); per-device sysfs reads when the dump is
 *  not available. */
class DeviceSnapshot {
  private static rt: RtNetlink | null | undefined;
  private readonly links?: Map<string, DeviceInfo>;
  constructor() {
    if (process.platform !== 'linux') return;
    try {
      if (DeviceSnapshot.rt === undefined) DeviceSnapshot.rt = new RtNetlink();
      if (!DeviceSnapshot.rt) return;
      this.links = new Map(DeviceSnapshot.rt.dumpLinks().map((l) => [l.name, { mac: l.mac, mtu: l.mtu, flags: l.flags, oper: l.operstate }]));
    } catch {
      DeviceSnapshot.rt = null; // fall back to sysfs from now on
    }
  }
  /** Everything status is made of, as one string, so an unchanged host is seen without a status
   *  pass; undefined where devices are read one by one (sysfs fallback, other platforms). */
  fingerprint(): string | undefined {
    if (!this.links) return undefined;
    let s = '';
    for (const [name, d] of this.links) s += `${name} ${d.mac} ${d.mtu} ${d.flags} ${d.oper}\n`;
    return s;
  }
  get(name: string): DeviceInfo {
    if (this.links) return this.links.get(name) ?? {};
    const mtu = Number(sysfs(name, 'mtu')), flags = Number(sysfs(name, 'flags'));
    return { mac: sysfs(name, 'address'), mtu: Number.isFinite(mtu) ? mtu : undefined, flags: Number.isFinite(flags) ? flags : undefined, oper: sysfs(name, 'operstate') };
  }
}

/** How often link state, MAC and MTU are re-read with no reconfiguration (a device going down
 *  changes no database row). */
const STATUS_MS = 2_000;

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
  private statsIntervalMs = STATS_MS;
  private lastStatus = 0;
  /** What the last status write saw: the devices' fingerprint, the number of configuration
   *  changes and of reconfigurations (counters.reconfigurations). The periodic refresh skips its
   *  O(interfaces) pass while all three are unchanged (with 1,000 interfaces the pass took 50-300 ms
   *  of the main thread). */
  private statusSeen?: { devices: string; changes: number; reconfigs: number };
  private configChanges = 0;
  /** Set while a periodic pass runs: a pass that takes longer than REVALIDATE_MS (100k rules, 1,000
   *  ports) must not have a second one start beside it. */
  private inPeriodic = false;
  /** Set once a flow with an idle or hard timeout was added (every flow-mod path of the switch goes
   *  through commands.ts, which calls noteFlowMods); until then the periodic pass skips rule expiry. */
  private flowsMayExpire = false;
  readonly counters = { upcalls: 0, flowPuts: 0, flowPutErrors: 0, revalidations: 0, flowsDeleted: 0, reconfigurations: 0, executes: 0, lacpRx: 0, lacpTx: 0 };
  /** LACP state of each bond with `lacp` active/passive, by Port name. */
  private readonly lacps = new Map<string, Lacp>();
  private readonly warnedDefaultBondMode = new Set<string>();
  /** sFlow agents by bridge name. */
  private readonly sflows = new Map<string, SflowAgent>();
  private readonly ifindexCache = new Map<string, number>();
  /** Port QoS on the Linux devices of interfaces (linux-htb), and which devices have it. */
  private readonly qos = new LinuxQos();
  private readonly qosDevices = new Set<string>();
  /** Interfaces with ingress policing applied, and the rate/burst applied. */
  private readonly policed = new Map<string, string>();
  /** IPFIX exporters (per-bridge sampling) by bridge name. */
  private readonly ipfixes = new Map<string, IpfixExporter>();
  /** Flow-based IPFIX exporters (Flow_Sample_Collector_Set rows) by bridge name, then set id. */
  private readonly flowExporters = new Map<string, Map<number, { exporter: IpfixExporter; key: string }>>();
  /** NetFlow exporters by bridge name. */
  private readonly netflows = new Map<string, NetflowExporter>();

  constructor(private readonly o: VSwitchOptions) {}

  private now(): number { return (this.o.now ?? Date.now)(); }

  async start(): Promise<void> {
    this.unsubs.push(this.o.source.onChange(() => { this.configChanges++; this.schedule(); }));
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
    for (const a of this.sflows.values()) a.close();
    this.sflows.clear();
    for (const n of this.netflows.values()) n.close();
    this.netflows.clear();
    for (const x of this.ipfixes.values()) x.close();
    this.ipfixes.clear();
    for (const m of this.flowExporters.values()) for (const x of m.values()) x.exporter.close();
    this.flowExporters.clear();
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

  /** The configuration as the switch sees it, and the replica it was read from (one replica per
   *  reconciliation: building it reads every switch table). */
  private desired(): { ovs?: RowJson; bridges: DesiredBridge[]; rep: Replica } {
    const rep = this.o.source.replica();
    const ovs = [...(rep.get('Open_vSwitch')?.values() ?? [])][0];
    const bridgesT = rep.get('Bridge')!, portsT = rep.get('Port')!, ifacesT = rep.get('Interface')!;
    const bridges: DesiredBridge[] = [];
    if (!ovs) return { bridges, rep };
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
      const mirrorsT = rep.get('Mirror');
      const mirrors: DesiredMirror[] = [];
      for (const mu of uuidsOf(b.mirrors)) {
        const m = mirrorsT?.get(mu);
        if (!m) continue;
        const outPort = uuidsOf(m.output_port)[0];
        mirrors.push({ uuid: mu, name: stringOf(m.name), selectAll: optionalOf(m.select_all) === true, srcPorts: uuidsOf(m.select_src_port),
          dstPorts: uuidsOf(m.select_dst_port), vlans: setOf(m.select_vlan).filter((x): x is number => typeof x === 'number'),
          ...(outPort ? { outPort } : {}), ...(intOf(m.output_vlan) !== undefined ? { outVlan: intOf(m.output_vlan) } : {}),
          ...(intOf(m.snaplen) !== undefined ? { snaplen: intOf(m.snaplen) } : {}) });
      }
      bridges.push({ uuid: bu, name: bname, row: b, failMode: stringOf(b.fail_mode), ports, mirrors });
    }
    return { ovs, bridges, rep };
  }

  // ------------------------------------------------------------------ reconciliation

  private async reconcile(): Promise<void> {
    const { ovs, bridges, rep } = this.desired();
    const nextCfg = ovs ? int64Of(ovs.next_cfg) ?? 0 : 0;
    // bridge.c: Open_vSwitch other_config:stats-update-interval, never below 5000 ms.
    const interval = ovs ? Number(mapOf(ovs.other_config).get('stats-update-interval') ?? STATS_MS) : STATS_MS;
    this.statsIntervalMs = Number.isInteger(interval) ? Math.max(STATS_MS, interval) : STATS_MS;
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
          if (vt === VPORT_TYPES.vxlan || vt === VPORT_TYPES.geneve || vt === VPORT_TYPES.gre || vt === VPORT_TYPES.stt) {
            const r = parseTunnelOptions(i.name, i.type as TunnelType, i.options);
            for (const w of r.warnings) this.o.log.warn(w);
            if (!r.config) { errors.set(i.name, r.error!); this.o.log.warn(r.error!); continue; }
            const dpName = tunnelDpPortName(r.config);
            tunnels.set(i.name, { dpName, config: r.config });
            wantDp.set(dpName, vt);
            if (vt !== VPORT_TYPES.gre) dpOptions.set(dpName, { dstPort: r.config.dstPort });
            continue;
          }
          wantDp.set(i.name, vt);
        }
      }
    }
    const have = await this.datapathPorts();
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
        this.policed.delete(name); // a new datapath port has no policer yet
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
    for (const [name, agent] of [...this.sflows]) if (!wantBridges.has(name)) { agent.close(); this.sflows.delete(name); }
    for (const [name, nf] of [...this.netflows]) if (!wantBridges.has(name)) { nf.close(); this.netflows.delete(name); }
    for (const [name, ix] of [...this.ipfixes]) if (!wantBridges.has(name)) { ix.close(); this.ipfixes.delete(name); }
    for (const [name, m] of [...this.flowExporters]) {
      if (wantBridges.has(name)) continue;
      for (const x of m.values()) x.exporter.close();
      this.flowExporters.delete(name);
    }
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
        // A bond's members are all its interfaces that came up; NORMAL treats them as one port.
        const isBond = p.ifaces.length > 1;
        const members = isBond ? p.ifaces.filter((i) => !errors.has(i.name)) : p.ifaces;
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
          if (isBond) spec.bond = p.name;
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
      this.configureBonds(b, br);
      this.configureSflow(rep, b, br);
      this.configureNetflow(rep, b, br);
      this.configureIpfix(rep, b, br);
      this.configureFlowSampleCollectors(rep, b, br);
      this.configureMirrors(b, br);
    }
    for (const name of [...this.ifaces.keys()]) if (!seenIfaces.has(name)) this.ifaces.delete(name);
    this.configureQos(rep, bridges, errors);
    this.configurePolicing(bridges, errors);

    // 3. Flows built under the old configuration are stale.
    await this.revalidateInstalled();

    // 4. Status back into the database, and the acknowledgement of next_cfg.
    await this.writeStatus(ovs, bridges, have, nextCfg);
  }

  /** bridge.c port_configure_bond + port_configure_lacp/iface_configure_lacp for the bridge's
   *  multi-interface Ports. */
  private configureBonds(b: DesiredBridge, br: Bridge): void {
    const want = new Set<string>();
    for (const p of b.ports) {
      if (p.ifaces.length < 2) continue;
      const members = p.ifaces.filter((i) => br.portByName(i.name)?.bond === p.name);
      if (!members.length) continue;
      want.add(p.name);
      const other = mapOf(p.row.other_config);
      let mode: BondMode = 'active-backup';
      if (p.bondMode === '') {
        if (!this.warnedDefaultBondMode.has(p.name)) {
          this.warnedDefaultBondMode.add(p.name);
          this.o.log.warn(`port ${p.name}: Using the default bond_mode active-backup. Note that in previous versions, the default bond_mode was balance-slb`);
        }
      } else if ((BOND_MODES as readonly string[]).includes(p.bondMode)) {
        mode = p.bondMode as BondMode;
      } else {
        this.o.log.warn(`port ${p.name}: unknown bond_mode ${p.bondMode}, defaulting to active-backup`);
      }
      const fallbackAb = other.get('lacp-fallback-ab') === 'true';
      const basis = Number(other.get('bond-hash-basis') ?? 0);
      const bond = br.setBond(p.name, {
        mode, members: members.map((i) => i.name), lacpFallbackAb: fallbackAb, basis: Number.isInteger(basis) ? basis : 0,
        ...(mode === 'active-backup' || fallbackAb ? { primary: other.get('bond-primary') } : {}),
      });
      const lacpMode = stringOf(p.row.lacp);
      let lacp: Lacp | undefined;
      if (lacpMode === 'active' || lacpMode === 'passive') {
        const prio = Number(other.get('lacp-system-priority') ?? 0);
        const settings: LacpSettings = {
          name: p.name, sysId: (other.get('lacp-system-id') ?? bridgeMac(b.name)).toLowerCase(),
          sysPriority: Number.isInteger(prio) && prio > 0 && prio <= 0xffff ? prio : 0xffff - (p.ifaces.length > 1 ? 1 : 0),
          active: lacpMode === 'active', fast: (other.get('lacp-time') ?? '').toLowerCase() === 'fast', fallbackAb,
        };
        try {
          lacp = this.lacps.get(p.name);
          if (lacp) lacp.configure(settings); else { lacp = new Lacp(settings, () => this.now()); this.lacps.set(p.name, lacp); }
          lacp.setMembers(members.map((i) => {
            const o = mapOf(i.row.other_config);
            const num = (k: string, lo: number) => { const v = Number(o.get(k) ?? 0); return Number.isInteger(v) && v >= lo && v <= 0xffff ? v : undefined; };
            return { name: i.name, portId: num('lacp-port-id', 1) ?? (this.ifaces.get(i.name)?.ofport ?? 0) & 0xffff,
              portPriority: num('lacp-port-priority', 1) ?? 0xffff, key: num('lacp-aggregation-key', 0) ?? 0 };
          }));
        } catch (e) {
          this.o.log.warn(`port ${p.name}: ${(e as Error).message.replace(/^port \S+: /, '')}`);
          this.lacps.delete(p.name);
          lacp = undefined;
        }
      } else {
        if (lacpMode !== '' && lacpMode !== 'off') this.o.log.warn(`port ${p.name}: unknown LACP mode ${lacpMode}`);
        this.lacps.delete(p.name);
      }
      this.applyLacp(bond, lacp);
    }
    for (const name of [...br.bonds.keys()]) if (!want.has(name)) { br.removeBond(name); this.lacps.delete(name); }
  }

  /** The Bridge's sFlow row (bridge.c bridge_configure_sflow): sampling on the bridge, an agent
   *  exporting to the targets. */
  private configureSflow(rep: Replica, b: DesiredBridge, br: Bridge): void {
    const rowUuidOf = uuidsOf(b.row.sflow)[0];
    const row = rowUuidOf ? rep.get('sFlow')?.get(rowUuidOf) : undefined;
    const off = () => { br.setSflowSampling(0); this.sflows.get(b.name)?.close(); this.sflows.delete(b.name); };
    if (!row) { off(); return; }
    const targets = [];
    for (const t of setOf(row.targets)) {
      try { targets.push(parseSflowTarget(String(t))); } catch (e) { this.o.log.warn(`bridge ${b.name}: ${(e as Error).message}`); }
    }
    const agentName = stringOf(row.agent);
    const agentIp = sflowAgentIp(agentName);
    if (!targets.length || !agentIp) {
      this.o.log.warn(`bridge ${b.name}: ${!targets.length ? 'sFlow has no valid target' : `could not determine IP address for sFlow agent ${agentName}`}; sFlow disabled`);
      off();
      return;
    }
    const positive = (v: number | undefined, def: number) => (v !== undefined && v > 0 ? v : def);
    const settings: SflowSettings = {
      agentIp, targets, samplingRate: positive(intOf(row.sampling), 400), pollingSeconds: positive(intOf(row.polling), 30), headerBytes: positive(intOf(row.header), 128),
    };
    const agent = this.sflows.get(b.name);
    if (agent) agent.settings = settings;
    else { this.sflows.set(b.name, new SflowAgent(settings, (m) => this.o.log.warn(m))); this.o.log.info(`bridge ${b.name}: sFlow export to ${targets.map((t) => `${t.host}:${t.port}`).join(', ')}, 1 in ${settings.samplingRate}`); }
    br.setSflowSampling(settings.samplingRate);
  }

  /** The Bridge's NetFlow row (bridge.c bridge_configure_netflow). */
  private configureNetflow(rep: Replica, b: DesiredBridge, br: Bridge): void {
    const id = uuidsOf(b.row.netflow)[0];
    const row = id ? rep.get('NetFlow')?.get(id) : undefined;
    const off = () => { br.setNetflow(false); this.netflows.get(b.name)?.close(); this.netflows.delete(b.name); };
    if (!row) { off(); return; }
    const targets = [];
    for (const t of setOf(row.targets)) {
      try { targets.push(parseNetflowTarget(String(t))); } catch (e) { this.o.log.warn(`bridge ${b.name}: ${(e as Error).message}`); }
    }
    if (!targets.length) { this.o.log.warn(`bridge ${b.name}: NetFlow has no valid target; NetFlow disabled`); off(); return; }
    const at = intOf(row.active_timeout) ?? 0;
    const settings: NetflowSettings = {
      targets, engineType: intOf(row.engine_type) ?? 0, engineId: intOf(row.engine_id) ?? 0,
      addIdToInterface: optionalOf(row.add_id_to_interface) === true, activeTimeoutSeconds: at === 0 ? 600 : at,
    };
    const nf = this.netflows.get(b.name);
    if (nf) nf.settings = settings;
    else { this.netflows.set(b.name, new NetflowExporter(settings, (m) => this.o.log.warn(m))); this.o.log.info(`bridge ${b.name}: NetFlow export to ${targets.map((t) => `${t.host}:${t.port}`).join(', ')}`); }
    br.setNetflow(true);
  }

  /** Port `qos` (QoS + Queue rows) onto the Linux devices of the port's interfaces. */
  private configureQos(rep: Replica, bridges: DesiredBridge[], errors: Map<string, string>): void {
    if (process.platform !== 'linux') return;
    const want = new Map<string, QosSpec>();
    for (const b of bridges) {
      for (const p of b.ports) {
        const qid = uuidsOf(p.row.qos)[0];
        const q = qid ? rep.get('QoS')?.get(qid) : undefined;
        if (!q) continue;
        const other = mapOf(q.other_config);
        const num = (m: Map<string, string>, k: string) => { const v = Number(m.get(k)); return m.has(k) && Number.isFinite(v) && v >= 0 ? v : undefined; };
        const queues: QueueSpec[] = [];
        const qm = q.queues;
        if (Array.isArray(qm) && qm[0] === 'map' && Array.isArray(qm[1])) {
          for (const pair of qm[1]) {
            if (!Array.isArray(pair)) continue;
            const row = rep.get('Queue')?.get(uuidsOf(pair[1] as Json)[0] ?? '');
            if (!row || typeof pair[0] !== 'number') continue;
            const o = mapOf(row.other_config);
            queues.push({ id: pair[0], minRate: num(o, 'min-rate'), maxRate: num(o, 'max-rate'), burst: num(o, 'burst'), priority: num(o, 'priority') });
          }
        }
        const spec: QosSpec = { type: stringOf(q.type), maxRate: num(other, 'max-rate'), queues };
        for (const i of p.ifaces) {
          if (errors.has(i.name) || !['', 'system', 'internal', 'tap'].includes(i.type)) continue;
          want.set(i.name, spec);
        }
      }
    }
    for (const dev of [...this.qosDevices]) {
      if (want.has(dev)) continue;
      try { this.qos.apply(dev, undefined); } catch { /* device gone */ }
      this.qosDevices.delete(dev);
    }
    for (const [dev, spec] of want) {
      try {
        this.qos.apply(dev, spec);
        this.qosDevices.add(dev);
      } catch (e) { this.o.log.warn(`port ${dev}: ${(e as Error).message}`); }
    }
  }

  /** Interface ingress_policing_rate/burst (kbit/s, kbit) onto the datapath's netdev policer. */
  private configurePolicing(bridges: DesiredBridge[], errors: Map<string, string>): void {
    const want = new Map<string, string>();
    for (const b of bridges) for (const p of b.ports) for (const i of p.ifaces) {
      if (errors.has(i.name) || i.isLocal || i.type === 'patch') continue;
      const rate = intOf(i.row.ingress_policing_rate) ?? 0, burst = intOf(i.row.ingress_policing_burst) ?? 0;
      const key = `${rate}/${burst}`;
      if (rate > 0 || this.policed.has(i.name)) want.set(i.name, key);
    }
    for (const [iface, key] of want) {
      if (this.policed.get(iface) === key) continue;
      const [rate, burst] = key.split('/').map(Number) as [number, number];
      if (!this.o.netdev) { if (rate > 0) this.o.log.warn(`interface ${iface}: ingress policing is not supported by this datapath`); continue; }
      try {
        this.o.netdev.setIngressPolicing(iface, rate, burst);
        if (rate > 0) this.policed.set(iface, key); else this.policed.delete(iface);
      } catch (e) { this.o.log.warn(`interface ${iface}: could not set ingress policing: ${(e as Error).message}`); }
    }
    for (const iface of [...this.policed.keys()]) if (!want.has(iface)) this.policed.delete(iface);
  }

  /** `ovs-appctl qos/show IFACE`. */
  qosShow(iface: string): string {
    try { return this.qos.show(iface); } catch (e) { throw new UnixctlCommandError((e as Error).message); }
  }

  /** The Bridge's IPFIX row (bridge.c bridge_configure_ipfix, per-bridge sampling). */
  private configureIpfix(rep: Replica, b: DesiredBridge, br: Bridge): void {
    const id = uuidsOf(b.row.ipfix)[0];
    const row = id ? rep.get('IPFIX')?.get(id) : undefined;
    const off = () => { br.setIpfixSampling(0); this.ipfixes.get(b.name)?.close(); this.ipfixes.delete(b.name); };
    if (!row) { off(); return; }
    const targets = [];
    for (const t of setOf(row.targets)) {
      try { targets.push(parseIpfixTarget(String(t))); } catch (e) { this.o.log.warn(`bridge ${b.name}: ${(e as Error).message}`); }
    }
    if (!targets.length) { this.o.log.warn(`bridge ${b.name}: IPFIX has no valid target; IPFIX disabled`); off(); return; }
    const other = mapOf(row.other_config);
    const tmpl = Number(other.get('template-interval') ?? 600);
    const settings: IpfixSettings = {
      targets, observationDomainId: intOf(row.obs_domain_id) ?? 0, observationPointId: intOf(row.obs_point_id) ?? 0,
      samplingRate: Math.max(1, intOf(row.sampling) ?? 400), cacheActiveTimeout: intOf(row.cache_active_timeout) ?? 0,
      cacheMaxFlows: intOf(row.cache_max_flows) ?? 0, templateIntervalSeconds: Number.isFinite(tmpl) && tmpl > 0 ? tmpl : 600,
    };
    const x = this.ipfixes.get(b.name);
    if (x) x.settings = settings;
    else { this.ipfixes.set(b.name, new IpfixExporter(settings, (m) => this.o.log.warn(m))); this.o.log.info(`bridge ${b.name}: IPFIX export to ${targets.map((t) => `${t.host}:${t.port}`).join(', ')}, 1 in ${settings.samplingRate}`); }
    br.setIpfixSampling(settings.samplingRate);
  }

  /** bridge.c bridge_configure_ipfix, flow exporters: one IPFIX exporting process per
   *  Flow_Sample_Collector_Set row of this bridge whose IPFIX row has targets (the IPFIX row's
   *  sampling, obs_domain_id and obs_point_id are for bridge sampling only: `sample` actions
   *  carry their own). With at least one, the bridge translates OpenFlow `sample` actions. */
  private configureFlowSampleCollectors(rep: Replica, b: DesiredBridge, br: Bridge): void {
    const want = new Map<number, { settings: IpfixSettings; key: string }>();
    for (const row of rep.get('Flow_Sample_Collector_Set')?.values() ?? []) {
      if (uuidsOf(row.bridge)[0] !== b.uuid) continue;
      const id = intOf(row.id);
      const ipfixId = uuidsOf(row.ipfix)[0];
      const ipfix = ipfixId ? rep.get('IPFIX')?.get(ipfixId) : undefined;
      if (id === undefined || !ipfix || setOf(ipfix.targets).length === 0) continue;
      const targets = [];
      for (const t of setOf(ipfix.targets)) {
        try { targets.push(parseIpfixTarget(String(t))); } catch (e) { this.o.log.warn(`bridge ${b.name}: flow sample collector set ${id}: ${(e as Error).message}`); }
      }
      if (!targets.length) continue;
      const other = mapOf(ipfix.other_config);
      const tmpl = Number(other.get('template-interval') ?? 600);
      const settings: IpfixSettings = {
        targets, observationDomainId: 0, observationPointId: 0, samplingRate: 1, cacheActiveTimeout: intOf(ipfix.cache_active_timeout) ?? 0,
        cacheMaxFlows: intOf(ipfix.cache_max_flows) ?? 0, templateIntervalSeconds: Number.isFinite(tmpl) && tmpl > 0 ? tmpl : 600,
      };
      want.set(id, { settings, key: JSON.stringify(settings) });
    }
    const have = this.flowExporters.get(b.name) ?? new Map<number, { exporter: IpfixExporter; key: string }>();
    for (const [id, x] of [...have]) if (!want.has(id)) { x.exporter.close(); have.delete(id); this.o.log.info(`bridge ${b.name}: flow sample collector set ${id} removed`); }
    for (const [id, w] of want) {
      const x = have.get(id);
      if (x) { if (x.key !== w.key) { x.exporter.settings = w.settings; x.key = w.key; } continue; }
      have.set(id, { exporter: new IpfixExporter(w.settings, (m) => this.o.log.warn(m)), key: w.key });
      this.o.log.info(`bridge ${b.name}: flow sample collector set ${id}: IPFIX export to ${w.settings.targets.map((t) => `${t.host}:${t.port}`).join(', ')}`);
    }
    if (have.size) this.flowExporters.set(b.name, have); else this.flowExporters.delete(b.name);
    br.setFlowSampling(have.size > 0);
  }

  /** A packet an OpenFlow `sample` action sampled: to its collector set's exporter, if any (OVS
   *  drops samples for collector sets that do not exist). */
  private handleFlowSample(c: FlowSampleCookie, packet: Uint8Array): void {
    const x = this.flowExporters.get(c.bridge)?.get(c.collectorSetId);
    if (!x) return;
    x.exporter.sampleWith(packet, {
      inPort: c.inPort, ...(c.outputPort !== undefined ? { outPort: c.outputPort } : {}), obsDomainId: c.obsDomainId, obsPointId: c.obsPointId,
      direction: c.direction, packetDeltaCount: BigInt(Math.floor(0xffff / c.probability)),
    });
  }

  /** Exports what a NetFlow-tracked datapath flow carried since its last record. */
  private exportNetflow(rec: InstalledRec, totalPackets: bigint, totalBytes: bigint, now: number): void {
    const nf = rec.nf;
    const k = rec.key;
    if (!nf || !k.ipv4 || k.inPort === undefined) return;
    const where = this.pipeline.portOfOdp(k.inPort);
    const exp = where ? this.netflows.get(where.bridge.name) : undefined;
    if (!where || !exp) return;
    const packets = totalPackets + nf.upcallPackets - nf.exportedPackets, bytes = totalBytes + nf.upcallBytes - nf.exportedBytes;
    if (packets <= 0n) return;
    const outs = rec.actions.filter((a): a is { type: 'output'; port: number } => a.type === 'output').map((a) => a.port);
    const out = outs.length === 1 ? this.pipeline.portOfOdp(outs[0]!) : undefined;
    const outPort = out?.bridge === where.bridge ? out.port : undefined;
    const output = outs.length === 0 ? NF_OUT_DROP : outs.length > 1 ? NF_OUT_MULTI : outPort ? exp.iface(outPort.ofport) : NF_OUT_MULTI;
    const l4 = k.tcp ?? k.udp ?? k.sctp;
    exp.add({
      srcAddr: k.ipv4.src, dstAddr: k.ipv4.dst, input: exp.iface(where.port.ofport), output, packets, bytes, first: nf.first, last: nf.last,
      srcPort: l4 ? l4.src : k.icmp ? k.icmp.type : 0, dstPort: l4 ? l4.dst : k.icmp ? k.icmp.code : 0,
      tcpFlags: nf.tcpFlags, proto: k.ipv4.proto, tos: k.ipv4.tos,
    });
    nf.exportedPackets += packets;
    nf.exportedBytes += bytes;
    nf.exportedAt = now;
  }

  private ifindexOf(name: string): number {
    let i = this.ifindexCache.get(name);
    if (i === undefined) { i = Number(sysfs(name, 'ifindex') ?? 0) || 0; if (i) this.ifindexCache.set(name, i); }
    return i;
  }

  /** A packet the datapath sampled for sFlow (userspace action upcall). */
  private handleSflowSample(u: PacketMessage): void {
    const c = decodeSflowCookie(u.userdata);
    const agent = c ? this.sflows.get(c.bridge) : undefined;
    if (!c || !agent || !this.pipeline.hasBridge(c.bridge)) return;
    const br = this.pipeline.bridge(c.bridge);
    const byOdp = (odp: number) => { const w = this.pipeline.portOfOdp(odp); return w?.bridge === br ? w.port : undefined; };
    const inP = byOdp(c.inPort);
    const inIf = inP ? this.ifindexOf(inP.name) : 0;
    const outIfs = c.outPorts.map((o) => { const p = byOdp(o); return p ? this.ifindexOf(p.name) : 0; });
    const tagged = (c.vlanTci & 0x1000) !== 0;
    const vlan = tagged ? c.vlanTci & 0xfff : inP && inP.vlan.mode === 'access' ? inP.vlan.vlan : 0;
    agent.flowSample({
      inputIfIndex: inIf, sourceIfIndex: inIf, packet: u.packet,
      outputIfIndex: outIfs.length === 1 ? outIfs[0]! : outIfs.length > 1 ? (0x80000000 | outIfs.length) >>> 0 : 0,
      srcVlan: vlan, srcPriority: tagged ? c.vlanTci >> 13 : 0, dstVlan: vlan, dstPriority: tagged ? c.vlanTci >> 13 : 0,
    });
  }

  /** Counter samples for every interface of the bridges whose polling interval passed. */
  private async pollSflowCounters(): Promise<void> {
    const now = Date.now();
    const due = [...this.sflows].filter(([, a]) => a.settings.pollingSeconds > 0 && a.pollDue(now));
    if (!due.length) return;
    const stats = new Map((await this.o.dpif.portDump()).map((v) => [v.name, v]));
    for (const [bname, agent] of due) {
      if (!this.pipeline.hasBridge(bname)) continue;
      const br = this.pipeline.bridge(bname);
      agent.pollCounters(() => {
        const out: IfCounters[] = [];
        for (const p of br.ports.values()) {
          const v = stats.get(p.name);
          const ifIndex = this.ifindexOf(p.name);
          if (!v?.stats || !ifIndex) continue;
          const s = v.stats;
          const mbps = Number(sysfs(p.name, 'speed') ?? 0);
          out.push({ ifIndex, speed: BigInt(mbps > 0 ? mbps : 0) * 1_000_000n, adminUp: p.adminUp, operUp: linkUp(p.name),
            inOctets: s.rxBytes, inUcastPkts: Number(s.rxPackets & 0xffffffffn), inMulticastPkts: 0, inBroadcastPkts: 0, inDiscards: Number(s.rxDropped & 0xffffffffn), inErrors: Number(s.rxErrors & 0xffffffffn),
            outOctets: s.txBytes, outUcastPkts: Number(s.txPackets & 0xffffffffn), outMulticastPkts: 0, outBroadcastPkts: 0, outDiscards: Number(s.txDropped & 0xffffffffn), outErrors: Number(s.txErrors & 0xffffffffn) });
        }
        return out;
      }, now, true);
    }
  }

  /** What LACP says about a bond's members, into the bond. */
  private applyLacp(bond: BondState, lacp: Lacp | undefined): void {
    const before = bond.activeMember?.name;
    if (!lacp) bond.setLacp('off', new Map());
    else bond.setLacp(lacp.negotiated ? 'negotiated' : 'configured', new Map(bond.members().map((m) => [m.name, lacp.memberMayEnable(m.name)])));
    const after = bond.activeMember?.name;
    if (after !== before) this.o.log.info(after ? `bond ${bond.name}: active member is now ${after}` : `bond ${bond.name}: all members disabled`);
  }

  /** Per tick: member carriers, LACP timers and PDUs, then the members each bond may use. */
  private async runBonds(): Promise<void> {
    for (const bname of this.pipeline.bridgeNames()) {
      const br = this.pipeline.bridge(bname);
      for (const bond of br.bonds.values()) {
        const lacp = this.lacps.get(bond.name);
        for (const m of bond.members()) {
          const up = linkUp(m.name);
          if (up !== m.carrier) {
            this.o.log.info(`member ${m.name}: link state ${up ? 'up' : 'down'}`);
            bond.setCarrier(m.name, up);
            lacp?.setCarrier(m.name, up);
          }
        }
        if (lacp) await this.runLacp(br, bond, lacp);
        else this.applyLacp(bond, undefined);
      }
    }
  }

  private async runLacp(br: Bridge, bond: BondState, lacp: Lacp): Promise<void> {
    for (const tx of lacp.run()) await this.sendLacp(br, tx.member, tx.pdu);
    this.applyLacp(bond, lacp);
  }

  private async sendLacp(br: Bridge, member: string, pdu: LacpPdu): Promise<void> {
    const port = br.portByName(member);
    if (port?.odpPort === undefined) return;
    const frame = encodeLacpFrame(sysfs(member, 'address') ?? bridgeMac(br.name), pdu);
    try {
      await this.o.dpif.execute(frame, extractFlowKey(frame), [{ type: 'output', port: port.odpPort }]);
      this.counters.lacpTx++;
    } catch (e) { this.o.log.dbg(`sending an LACP PDU on ${member} failed: ${strerror(e)}`); }
  }

  /** `ovs-appctl bond/show [PORT]`. */
  bondShow(port?: string): string {
    const bonds = this.allBonds().filter((x) => port === undefined || x.bond.name === port);
    if (port !== undefined && !bonds.length) throw new UnixctlCommandError('no such bond');
    return bonds.map((x) => x.bond.show(x.bond.activeMember ? sysfs(x.bond.activeMember.name, 'address') : undefined)).join('');
  }

  /** Every bond's live state, for the management API (Get-OvsBond). */
  bondViews(): Array<{ name: string; bridge: string; mode: string; lacpStatus: string; activeMember: string | null; lacpNegotiated: boolean;
    members: Array<{ name: string; enabled: boolean; mayEnable: boolean; carrier: boolean; lacpCurrent: boolean | null }> }> {
    return this.allBonds().map(({ bridge, bond }) => {
      const lacp = this.lacps.get(bond.name);
      return {
        name: bond.name, bridge: bridge.name, mode: bond.mode, lacpStatus: bond.lacpStatus, activeMember: bond.activeMember?.name ?? null,
        lacpNegotiated: lacp?.negotiated ?? false,
        members: bond.members().map((m) => ({ name: m.name, enabled: m.enabled, mayEnable: m.mayEnable, carrier: m.carrier, lacpCurrent: lacp ? lacp.memberIsCurrent(m.name) : null })),
      };
    });
  }

  /** `ovs-appctl bond/list`. */
  bondList(): string {
    return 'bond\ttype\trecircID\tmembers\n' + this.allBonds().map((x) => `${x.bond.name}\t${x.bond.mode}\t0\t${x.bond.members().map((m) => m.name).join(', ')}\n`).join('');
  }

  /** `ovs-appctl lacp/show [PORT]` and `lacp/show-stats [PORT]`. */
  lacpShow(port?: string, stats = false): string {
    const ls = [...this.lacps.values()].filter((l) => port === undefined || l.name === port).sort((a, b) => (a.name < b.name ? -1 : 1));
    if (port !== undefined && !ls.length) throw new UnixctlCommandError('no such lacp object');
    return ls.map((l) => (stats ? l.showStats() : l.show())).join('');
  }

  private allBonds(): Array<{ bridge: Bridge; bond: BondState }> {
    const out: Array<{ bridge: Bridge; bond: BondState }> = [];
    for (const bname of this.pipeline.bridgeNames()) {
      const br = this.pipeline.bridge(bname);
      for (const bond of br.bonds.values()) out.push({ bridge: br, bond });
    }
    return out.sort((a, b) => (a.bond.name < b.bond.name ? -1 : 1));
  }

  /** bridge.c mirror_configure: Mirror rows -> the bridge's mirrors (Port rows resolved to the
   *  pipeline ports of their interfaces), with OVS's log messages for mirrors it ignores. */
  private configureMirrors(b: DesiredBridge, br: Bridge): void {
    const portNames = new Map<string, { name: string; members: string[] }>();
    for (const p of b.ports) portNames.set(p.uuid, { name: p.name, members: p.ifaces.map((i) => i.name).filter((n) => br.portByName(n) !== undefined) });
    const members = (uuids: string[]) => uuids.flatMap((u) => portNames.get(u)?.members ?? []);
    const specs: MirrorSpec[] = [];
    const seen = new Set<string>();
    for (const m of b.mirrors) {
      if (seen.has(m.name)) { this.o.log.warn(`bridge ${b.name}: mirror ${m.name} is configured twice; ignoring the second`); continue; }
      let outPort: string | undefined, outVlan: number | undefined;
      if (m.outPort !== undefined) {
        const port = portNames.get(m.outPort);
        if (!port) { this.o.log.err(`bridge ${b.name}: mirror ${m.name} outputs to port not on bridge`); continue; }
        outPort = port.members[0] ?? port.name;
        if (m.outVlan !== undefined) this.o.log.err(`bridge ${b.name}: mirror ${m.name} specifies both output port and output vlan; ignoring output vlan`);
      } else if (m.outVlan !== undefined) {
        outVlan = m.outVlan;
      } else {
        this.o.log.err(`bridge ${b.name}: mirror ${m.name} does not specify output; ignoring`);
        continue;
      }
      seen.add(m.name);
      specs.push({ name: m.name, selectAll: m.selectAll, srcPorts: members(m.srcPorts), dstPorts: members(m.dstPorts), vlans: m.vlans,
        ...(outPort !== undefined ? { outPort } : {}), ...(outVlan !== undefined ? { outVlan } : {}), ...(m.snaplen !== undefined ? { snaplen: m.snaplen } : {}) });
    }
    try {
      for (const w of br.setMirrors(specs)) this.o.log.warn(w);
    } catch (e) {
      this.o.log.err(`bridge ${b.name}: mirror configuration is invalid: ${(e as Error).message}`);
    }
  }

  private ifaceStatus(i: DesiredIface, dpPorts: Map<string, OdpVport>, devices: DeviceSnapshot): Record<string, Json> {
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
    const d = devices.get(i.name);
    out.mac_in_use = d.mac ?? ['set', []];
    if (d.mtu !== undefined && d.mtu > 0) out.mtu = d.mtu;
    if (v.ifindex !== undefined) out.ifindex = v.ifindex;
    out.admin_state = d.flags !== undefined ? ((d.flags & 1) ? 'up' : 'down') : 'up';
    out.link_state = operUp(d.oper) ? 'up' : 'down';
    return out;
  }

  private async writeStatus(ovs: RowJson | undefined, bridges: DesiredBridge[], dpPorts: Map<string, OdpVport>, nextCfg: number | bigint, devices = new DeviceSnapshot()): Promise<void> {
    if (!ovs) return;
    const ops: Json[] = [];
    const upd = (table: string, row: RowJson, values: Record<string, Json>) => {
      const changed: Record<string, Json> = {};
      for (const [k, v] of Object.entries(values)) if (JSON.stringify(row[k]) !== JSON.stringify(v)) changed[k] = v;
      if (Object.keys(changed).length) ops.push({ op: 'update', table, where: [['_uuid', '==', ['uuid', rowUuid(row)]]], row: changed });
    };
    for (const b of bridges) {
      const mac = devices.get(b.name).mac;
      const dpid = mac ? '0000' + mac.replace(/:/g, '') : undefined;
      upd('Bridge', b.row, { datapath_version: '<built-in>', ...(dpid ? { datapath_id: dpid } : {}) });
      for (const p of b.ports) for (const i of p.ifaces) upd('Interface', i.row, this.ifaceStatus(i, dpPorts, devices));
    }
    const ovsValues: Record<string, Json> = {
      ovs_version: this.o.version,
      datapath_types: ['set', ['netdev', 'system']],
      iface_types: ['set', ['geneve', 'gre', 'internal', 'patch', 'stt', 'system', 'tap', 'vxlan']],
    };
    if (int64Of(ovs.cur_cfg) !== nextCfg) ovsValues.cur_cfg = nextCfg;
    upd('Open_vSwitch', ovs, ovsValues);
    const seen = { devices: devices.fingerprint(), reconfigs: this.counters.reconfigurations };
    let failed = false;
    if (ops.length) {
      const r = await this.o.source.transact(ops);
      const err = r.find((x) => x && typeof x === 'object' && !Array.isArray(x) && 'error' in x);
      if (err) { failed = true; this.o.log.warn(`writing status failed: ${JSON.stringify(err)}`); }
    }
    // Status columns are no configuration (status-columns.ts): our own write does not count as a
    // change; any configuration change that lands later makes the next refresh run again.
    this.statusSeen = seen.devices === undefined || failed ? undefined : { devices: seen.devices, changes: this.configChanges, reconfigs: seen.reconfigs };
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
    // Mirror statistics (bridge.c mirror_refresh_stats): packets and bytes copied to each mirror.
    for (const brow of rep.get('Bridge')?.values() ?? []) {
      const bname = stringOf(brow.name);
      if (!this.pipeline.hasBridge(bname)) continue;
      const br = this.pipeline.bridge(bname);
      for (const mu of uuidsOf(brow.mirrors)) {
        const row = rep.get('Mirror')?.get(mu);
        const m = row ? br.mirrors.byName(stringOf(row.name)) : undefined;
        if (!row || !m) continue;
        const stats = wireMap({ tx_packets: Number(m.txPackets), tx_bytes: Number(m.txBytes) });
        if (JSON.stringify(row.statistics) !== JSON.stringify(stats)) ops.push({ op: 'update', table: 'Mirror', where: [['_uuid', '==', row._uuid!]], row: { statistics: stats } });
      }
    }
    if (ops.length) await this.o.source.transact(ops);
  }

  // ------------------------------------------------------------------ upcalls and megaflows

  private async handleUpcall(u: PacketMessage): Promise<void> {
    if (this.closed || !u.key) return;
    if (u.cmd === 'ACTION') {
      const ix = decodeSflowCookie(u.userdata, 'ipfix');
      const fs = ix ? undefined : decodeFlowSampleCookie(u.userdata);
      if (ix) this.ipfixes.get(ix.bridge)?.sample(u.packet, ix.inPort, ix.outPorts);
      else if (fs) this.handleFlowSample(fs, u.packet);
      else this.handleSflowSample(u);
      return;
    }
    if (u.cmd !== 'MISS') return;
    this.counters.upcalls++;
    const key = u.key;
    // Slow protocols (LACP) on an LACP bond member go to the bond's LACP state, never forwarded.
    if (key.ethType === ETH_TYPE_SLOW && key.inPort !== undefined) {
      const where = this.pipeline.portOfOdp(key.inPort);
      const lacp = where?.port.bond !== undefined ? this.lacps.get(where.port.bond) : undefined;
      const bond = where?.port.bond !== undefined ? where.bridge.bonds.get(where.port.bond) : undefined;
      if (where && lacp && bond) {
        this.counters.lacpRx++;
        lacp.processFrame(where.port.name, u.packet);
        await this.runLacp(where.bridge, bond, lacp);
        return;
      }
    }
    const r = this.pipeline.translate({ key, packetLen: u.packet.length }, { sideEffects: true });
    if (r.error) this.o.log.dbg(`translation of a packet from datapath port ${key.inPort} stopped: ${r.error}`);
    const actions = r.error ? [] : r.actions;
    const ufid = randomBytes(16);
    try {
      await this.o.dpif.flowPut({ key, mask: r.mask, actions, ufid });
      const rec: InstalledRec = { key, mask: r.mask, actions, packets: 0n, bytes: 0n, installed: this.now() };
      if (key.ipv4 && key.inPort !== undefined && this.netflows.size) {
        const now = this.now();
        rec.nf = { upcallPackets: 1n, upcallBytes: BigInt(u.packet.length), exportedPackets: 0n, exportedBytes: 0n, exportedAt: now, first: now, last: now, tcpFlags: 0 };
      }
      this.installed.set(ufid.toString('hex'), rec);
      this.counters.flowPuts++;
    } catch (e) {
      if (!(e instanceof DpifError && e.errno === osConstants.errno.EEXIST)) { this.counters.flowPutErrors++; this.o.log.dbg(`installing a megaflow failed: ${strerror(e)}`); }
    }
    if (actions.length) {
      try { await this.o.dpif.execute(u.packet, key, actions); this.counters.executes++; } catch (e) { this.o.log.dbg(`executing a missed packet failed: ${strerror(e)}`); }
    }
  }

  private async periodic(): Promise<void> {
    if (this.closed || this.inPeriodic) return;
    this.inPeriodic = true;
    try {
      // Pipeline.run() scans every OpenFlow rule for timeouts (O(rules) every REVALIDATE_MS: ~0.2 s
      // per pass with 100k rules); without any rule that can expire only the MAC tables need ageing.
      let expiredFlows = 0;
      if (this.flowsMayExpire) expiredFlows = this.pipeline.run().expiredFlows;
      else for (const name of this.pipeline.bridgeNames()) this.pipeline.bridge(name).mac.expire();
      await this.runBonds();
      await this.pollSflowCounters();
      for (const x of this.ipfixes.values()) x.run();
      for (const m of this.flowExporters.values()) for (const x of m.values()) x.exporter.run();
      await this.revalidate(expiredFlows > 0);
      if (this.now() - this.lastStats >= this.statsIntervalMs) { this.lastStats = this.now(); await this.writeStatistics(); }
      if (this.now() - this.lastStatus >= STATUS_MS && !this.running) { this.lastStatus = this.now(); await this.refreshStatus(); }
    } catch (e) {
      this.o.log.warn(`periodic work failed: ${(e as Error).message}`);
    } finally {
      this.inPeriodic = false;
    }
  }

  /** The datapath's ports by name, without port 0 (the datapath's own local port). */
  private async datapathPorts(): Promise<Map<string, OdpVport>> {
    const have = new Map<string, OdpVport>();
    for (const v of await this.o.dpif.portDump()) if (v.portNo !== 0) have.set(v.name, v);
    return have;
  }

  /** Link state, MAC and MTU of every interface as the devices are now (a device can go down or
   *  change with no change to the database); cur_cfg is left as it is. */
  private async refreshStatus(): Promise<void> {
    const devices = new DeviceSnapshot();
    const seen = this.statusSeen;
    if (seen && seen.changes === this.configChanges && seen.reconfigs === this.counters.reconfigurations && seen.devices === devices.fingerprint()) return;
    const { ovs, bridges } = this.desired();
    if (!ovs) return;
    const have = await this.datapathPorts();
    if (this.running) return; // a reconfiguration started meanwhile: it writes status itself
    await this.writeStatus(ovs, bridges, have, intOf(ovs.cur_cfg) ?? 0, devices);
  }

  /** After a reconfiguration: re-translates every megaflow we installed, from our own records. A
   *  datapath dump here (as the periodic pass does, for traffic and idle times) costs encoding and
   *  decoding every flow on every change; traffic is credited by the next periodic pass. */
  private async revalidateInstalled(): Promise<void> {
    const gen = this.pipeline.generation;
    const todo = [...this.installed.entries()];
    if (todo.length) {
      this.counters.revalidations++;
      const verdicts = this.pipeline.revalidate(todo.map(([, rec]) => ({ key: rec.key, mask: rec.mask, actions: rec.actions, statsDelta: { packets: 0n, bytes: 0n } })));
      for (let i = 0; i < todo.length; i++) await this.applyVerdict(todo[i]![0], todo[i]![1], verdicts[i]!);
    }
    this.revalidatedAt = this.pipeline.generation === gen ? gen : -1;
  }

  private async applyVerdict(hex: string, rec: InstalledRec, v: ReturnType<Pipeline['revalidate']>[number]): Promise<void> {
    if (v.op === 'delete') await this.deleteFlow(hex, v.reason);
    else if (v.op === 'modify') {
      try {
        await this.o.dpif.flowPut({ key: rec.key, mask: rec.mask, actions: v.actions, ufid: Buffer.from(hex, 'hex') }, { modify: true });
        rec.actions = v.actions;
      } catch (e) { this.o.log.dbg(`modifying a megaflow failed: ${strerror(e)}`); await this.deleteFlow(hex, 'modify failed'); }
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
    // NetFlow: last use and TCP flags of every tracked flow; records for flows active longer than
    // the active timeout.
    for (const m of mine) {
      const nf = m.rec.nf;
      if (!nf) continue;
      if (m.flow.used && m.flow.used > nf.last) nf.last = m.flow.used;
      nf.tcpFlags |= m.flow.tcpFlags ?? 0;
      const where = m.rec.key.inPort !== undefined ? this.pipeline.portOfOdp(m.rec.key.inPort) : undefined;
      const exp = where ? this.netflows.get(where.bridge.name) : undefined;
      if (exp && exp.settings.activeTimeoutSeconds > 0 && now - nf.exportedAt >= exp.settings.activeTimeoutSeconds * 1000) {
        this.exportNetflow(m.rec, m.flow.stats?.packets ?? m.rec.packets, m.flow.stats?.bytes ?? m.rec.bytes, now);
      }
    }
    for (let i = 0; i < todo.length; i++) {
      const m = todo[i]!;
      const v = verdicts[i]!;
      m.rec.packets = m.flow.stats?.packets ?? m.rec.packets;
      m.rec.bytes = m.flow.stats?.bytes ?? m.rec.bytes;
      await this.applyVerdict(m.hex, m.rec, v);
    }
    this.revalidatedAt = this.pipeline.generation === gen ? gen : -1;
  }

  private async deleteFlow(hex: string, reason: string): Promise<void> {
    const rec = this.installed.get(hex);
    this.installed.delete(hex);
    this.counters.flowsDeleted++;
    try {
      const last = await this.o.dpif.flowDel({ ufid: Buffer.from(hex, 'hex') });
      // NetFlow: a flow's final record goes out when it leaves the datapath.
      if (rec?.nf) {
        if (last?.used && last.used > rec.nf.last) rec.nf.last = last.used;
        rec.nf.tcpFlags |= last?.tcpFlags ?? 0;
        this.exportNetflow(rec, last?.stats?.packets ?? rec.packets, last?.stats?.bytes ?? rec.bytes, this.now());
      }
    } catch (e) { this.o.log.dbg(`deleting megaflow (${reason}): ${strerror(e)}`); }
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
  /** The bridge's IPFIX exporting processes' counters: bridge sampling (undefined when off) and
   *  each flow sample collector set by id (ascending). */
  ipfixStats(bridge: string): { bridge?: IpfixStats; flows: Array<{ id: number; stats: IpfixStats }> } {
    const flows = [...(this.flowExporters.get(bridge) ?? new Map<number, { exporter: IpfixExporter }>())]
      .sort((a, b) => a[0] - b[0]).map(([id, x]) => ({ id, stats: x.exporter.stats() }));
    const b = this.ipfixes.get(bridge);
    return { ...(b ? { bridge: b.stats() } : {}), flows };
  }
}

