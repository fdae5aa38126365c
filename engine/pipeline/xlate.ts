// Translation of one upcall (a packet's flow key and input port) through the OpenFlow tables of
// the bridges into datapath actions plus the megaflow mask, as ofproto-dpif-xlate.c does:
// resubmit/goto_table with depth limits, patch ports continuing in the peer bridge, NORMAL as
// a VLAN-aware learning switch, and set/push/pop actions committed lazily before each output.
import type { OdpAction, OdpFlowKey, OdpTunnelKey } from '../channel/odp-types.js';
import {
  F, FlowVec, zeroVec, OFPP, VLAN_CFI, VLAN_VID_MASK, VLAN_PCP_MASK, ETH_TYPE, IPPROTO, BROADCAST_MAC, isMulticastMac,
  isReservedMac, bigToMac, bigToIp, fieldMax, N_REGS,
} from './fields.js';
import type { OfAction } from './actions.js';
import type { Match, MetaField, Prereq } from './match.js';
import type { Bridge, BridgePort, FlowRule } from './bridge.js';
import { inputVidRejection, inputVidToVlan, outputVid, portIncludesVlan } from './normal.js';
import { flowFromOdpKey, isTunnelKey, odpMaskFromWildcards } from './odp-flow.js';
import { egressTunnel } from './tunnel.js';
import { bondHash } from './bond.js';
import { encodeSflowCookie } from './sflow-cookie.js';
import { encodeFlowSampleCookie } from './flow-sample-cookie.js';

export const MAX_DEPTH = 64;
export const MAX_RESUBMITS = 4096;

/** What translation needs to know about the bridges around it. */
export interface XlateEnv {
  /** The bridge and port that own datapath port `odpPort`. */
  portOfOdp(odpPort: number): { bridge: Bridge; port: BridgePort } | undefined;
  /** The bridge and port named `name` (patch peers). */
  portByName(name: string): { bridge: Bridge; port: BridgePort } | undefined;
  /** The tunnel port a packet received on tunnel vport `odpPort` with tunnel metadata `t` is for. */
  tunnelPortOf?(odpPort: number, t: OdpTunnelKey): { bridge: Bridge; port: BridgePort } | undefined;
}

export interface XlateInput {
  key: OdpFlowKey;
  /** Length of the packet that caused the upcall, credited to the rules it hit (0 = none). */
  packetLen?: number;
  /** Packets/bytes to credit to the rules hit (revalidation pushes datapath stats this way). */
  stats?: { packets: bigint; bytes: bigint };
  /** Learn MACs and credit rules (false for a pure re-translation). Default true. */
  sideEffects?: boolean;
  /** Collect a human-readable trace. */
  trace?: boolean;
}

export interface XlateResult {
  actions: OdpAction[];
  /** The megaflow mask: only the fields translation consulted (plus in_port and ethertype). */
  mask: OdpFlowKey;
  /** Rules whose actions ran. */
  rules: FlowRule[];
  /** Names of the bridges the packet went through. */
  bridges: string[];
  /** Set when translation was cut short (the flow should be installed as drop). */
  error?: string;
  trace: string[];
  /** The flow as the first bridge saw it (in_port = OpenFlow port) and the fields consulted:
   *  `formatMatch({ value, mask: wildcards })` prints the megaflow as ofproto/trace does. */
  flow: FlowVec;
  wildcards: FlowVec;
}

class XlateCtx {
  flow: FlowVec;
  /** The packet as the datapath will have it after the actions emitted so far. */
  base: FlowVec;
  wc: FlowVec = zeroVec();
  actions: OdpAction[] = [];
  rules: FlowRule[] = [];
  bridges: string[] = [];
  trace: string[] = [];
  /** The tag the datapath packet carries now was pushed by us (not the packet's own). */
  pushedTag = false;
  /** The tunnel metadata the datapath packet carries now (received, or set by an action). */
  baseTunnel?: OdpTunnelKey;
  depth = 0;
  resubmits = 0;
  /** Mirrors (bit mask, this bridge) the packet was already copied to, with their duplicates. */
  mirrored = 0;
  /** While a mirror copy with `snaplen` is output: its length (OVS's ctx->mirror_snaplen). */
  mirrorSnaplen = 0;
  /** OpenFlow port the packet entered the first bridge on (OVS's xin->flow.in_port). */
  inOfport = 0;
  /** skb priority wanted on output (set_queue), what the datapath packet has now, and the
   *  packet's own (pop_queue restores it). */
  priority = 0;
  basePriority = 0;
  origPriority = 0;
  error?: string;
  bridge: Bridge;
  table = 0;
  exited = false;

  constructor(readonly env: XlateEnv, readonly input: XlateInput, readonly key: OdpFlowKey, flow: FlowVec, bridge: Bridge) {
    this.flow = flow;
    this.base = flow.slice();
    this.bridge = bridge;
    this.priority = this.basePriority = this.origPriority = key.priority ?? 0;
  }

  get sideEffects(): boolean { return this.input.sideEffects !== false; }
  note(s: string): void { if (this.input.trace) this.trace.push(`${'  '.repeat(this.depth)}${s}`); }
}

/** Translates one upcall. `env` resolves ports; the input port's bridge is where it starts. */
export function translate(env: XlateEnv, input: XlateInput): XlateResult {
  const key = input.key;
  const tunnel = isTunnelKey(key) ? key.tunnel : undefined;
  const where = key.inPort === undefined ? undefined : tunnel ? env.tunnelPortOf?.(key.inPort, tunnel) : env.portOfOdp(key.inPort);
  const flow = flowFromOdpKey(key);
  if (!where) {
    const wc = zeroVec();
    tunnelWcInit(wc, tunnel);
    const error = tunnel ? `receive tunnel port not found (tun_id=0x${(tunnel.id ?? 0n).toString(16)}, src=${tunnel.ipv4Src}, dst=${tunnel.ipv4Dst}, datapath port ${key.inPort})`
      : `no bridge has datapath port ${key.inPort}`;
    return { actions: [], mask: odpMaskFromWildcards(key, wc), rules: [], bridges: [], error, trace: [], flow, wildcards: wc };
  }
  flow[F.in_port] = BigInt(where.port.ofport);
  const firstFlow = flow.slice();
  const ctx = new XlateCtx(env, input, key, flow, where.bridge);
  ctx.inOfport = where.port.ofport;
  ctx.wc[F.in_port] = 0xffffn;
  ctx.wc[F.dl_type] = 0xffffn;
  tunnelWcInit(ctx.wc, tunnel);
  if (tunnel) ctx.baseTunnel = tunnel;
  ctx.bridges.push(where.bridge.name);
  ctx.note(`bridge ${where.bridge.name}, in_port ${where.port.name} (${where.port.ofport})`);
  if (!where.port.adminUp) {
    ctx.note('input port is administratively down: dropping');
  } else if (where.bridge.mirrors.isOutput(where.port.name)) {
    ctx.note(`dropping packet received on port ${where.port.name}, which is reserved exclusively for mirroring`);
  } else if (tunnel && !tunnelProcessEcn(ctx, tunnel)) {
    ctx.note('dropping tunnel packet marked ECN CE but is not ECN capable');
  } else {
    // Ingress mirroring copies the packet as received, before any action changes it.
    if (where.bridge.mirrors.size) mirrorPacket(ctx, where.port, where.bridge.mirrors.srcMask(where.port.name));
    lookupAndRun(ctx, 0);
  }
  if (where.bridge.netflowEnabled && Number(ctx.flow[F.dl_type]) === ETH_TYPE.IP) {
    // netflow_mask_wc: one datapath flow per NetFlow flow.
    const wc = ctx.wc;
    for (const fid of [F.nw_src, F.nw_dst, F.nw_proto, F.tp_src, F.tp_dst]) wc[fid] = fieldMax(fid);
    wc[F.nw_tos] = wc[F.nw_tos]! | 0xfcn;
  }
  if (ctx.error) ctx.actions = [];
  else if (where.bridge.sflowProbability || where.bridge.ipfixProbability) {
    // compose_sflow_action / compose_ipfix_action: every packet of the flow is sampled with the
    // bridge's probability before anything else happens to it; the cookie says where it went.
    const outPorts = ctx.actions.filter((a): a is { type: 'output'; port: number } => a.type === 'output').map((a) => a.port);
    const cookie = { bridge: where.bridge.name, inPort: key.inPort!, outPorts, vlanTci: key.vlanTci ?? 0 };
    if (where.bridge.ipfixProbability) ctx.actions.unshift({ type: 'sample', probability: where.bridge.ipfixProbability, actions: [{ type: 'userspace', pid: 0, userdata: encodeSflowCookie(cookie, 'ipfix') }] });
    if (where.bridge.sflowProbability) ctx.actions.unshift({ type: 'sample', probability: where.bridge.sflowProbability, actions: [{ type: 'userspace', pid: 0, userdata: encodeSflowCookie(cookie) }] });
  }
  finishWildcards(ctx);
  return {
    actions: ctx.actions, mask: odpMaskFromWildcards(key, ctx.wc), rules: ctx.rules, bridges: ctx.bridges, error: ctx.error,
    trace: ctx.trace, flow: firstFlow, wildcards: ctx.wc,
  };
}

/** OVS's tnl_wc_init (the tun_* part; outer TOS and flags are added with the datapath mask). */
function tunnelWcInit(wc: FlowVec, tunnel: OdpTunnelKey | undefined): void {
  if (!tunnel) return;
  wc[F.tun_id] = fieldMax(F.tun_id);
  wc[F.tun_src] = 0xffffffffn;
  wc[F.tun_dst] = 0xffffffffn;
}

/** OVS's tnl_process_ecn: an outer CE mark reaches the inner IP header; false = drop. */
function tunnelProcessEcn(ctx: XlateCtx, tunnel: OdpTunnelKey): boolean {
  const dt = Number(ctx.flow[F.dl_type]);
  if ((dt !== ETH_TYPE.IP && dt !== ETH_TYPE.IPV6) || ((tunnel.tos ?? 0) & 3) !== 3) return true;
  ctx.wc[F.nw_tos] = ctx.wc[F.nw_tos]! | 3n;
  if ((ctx.flow[F.nw_tos]! & 3n) === 0n) return false;
  ctx.flow[F.nw_tos] = ctx.flow[F.nw_tos]! | 3n;
  return true;
}

/** OVS's xlate_wc_finish: only packet fields belong in a megaflow. */
function finishWildcards(ctx: XlateCtx): void {
  const wc = ctx.wc, key = ctx.key;
  wc[F.metadata] = 0n;
  for (let i = 0; i < N_REGS; i++) wc[F.reg0 + i] = 0n;
  if (key.icmp || key.icmpv6) { wc[F.tp_src] = wc[F.tp_src]! & 0xffn; wc[F.tp_dst] = wc[F.tp_dst]! & 0xffn; }
  // Tag present or not always matters: OVS's datapath key tells tagged frames apart by their
  // outer ethertype (0x8100), ours by the 0x1000 bit of the TCI, so every megaflow matches it.
  wc[F.vlan_tci] = wc[F.vlan_tci]! | BigInt(VLAN_CFI);
  // An untagged packet has TCI 0 throughout: "no tag present" says all of it.
  if (key.vlanTci === undefined) wc[F.vlan_tci] = BigInt(VLAN_CFI);
}

function lookupAndRun(ctx: XlateCtx, table: number): void {
  if (ctx.depth >= MAX_DEPTH) { ctx.error = `over max translation depth ${MAX_DEPTH}`; ctx.note(ctx.error); return; }
  if (++ctx.resubmits > MAX_RESUBMITS) { ctx.error = `over ${MAX_RESUBMITS} resubmit actions`; ctx.note(ctx.error); return; }
  const rule = ctx.bridge.tables[table]!.lookup(ctx.flow, ctx.wc);
  if (!rule) { ctx.note(`table ${table}: no match, dropping`); return; }
  ctx.note(`table ${table}: matched priority ${rule.priority} (${rule.actions.length} actions)`);
  ctx.rules.push(rule);
  if (ctx.sideEffects) {
    // An upcall is one packet; revalidation passes the datapath's counts instead.
    const st = ctx.input.stats ?? { packets: 1n, bytes: BigInt(ctx.input.packetLen ?? 0) };
    ctx.bridge.creditRule(rule, st.packets, st.bytes);
  }
  const savedTable = ctx.table;
  ctx.table = table;
  ctx.depth++;
  runActions(ctx, rule.actions);
  ctx.depth--;
  ctx.table = savedTable;
}

/** Bits of the field vector a set/load/move of `mf` under `mask` touches. */
function vectorMask(mf: MetaField, mask: bigint): { field: number; bits: bigint } {
  const m: Match = { value: zeroVec(), mask: zeroVec() };
  mf.apply(m, mask, mask);
  return { field: mf.field, bits: m.mask[mf.field]! };
}

/** OVS's mf_are_prereqs_ok with wildcard tracking: does the packet have the field at all? */
function prereqOk(ctx: XlateCtx, p: Prereq): boolean {
  const f = ctx.flow, wc = ctx.wc;
  const dt = Number(f[F.dl_type]);
  const isIp = dt === ETH_TYPE.IP || dt === ETH_TYPE.IPV6;
  const proto = (want: number) => { wc[F.nw_proto] = 0xffn; return Number(f[F.nw_proto]) === want; };
  switch (p) {
    case 'none': return true;
    case 'ip': return isIp;
    case 'ipv4': return dt === ETH_TYPE.IP;
    case 'arp': return dt === ETH_TYPE.ARP || dt === ETH_TYPE.RARP;
    case 'tcp': return isIp && proto(IPPROTO.TCP);
    case 'udp': return isIp && proto(IPPROTO.UDP);
    case 'sctp': return isIp && proto(IPPROTO.SCTP);
    case 'icmp': return dt === ETH_TYPE.IP && proto(IPPROTO.ICMP);
    case 'l4': { wc[F.nw_proto] = 0xffn; const pr = Number(f[F.nw_proto]); return isIp && (pr === IPPROTO.TCP || pr === IPPROTO.UDP || pr === IPPROTO.SCTP); }
    case 'vlan': wc[F.vlan_tci] = wc[F.vlan_tci]! | BigInt(VLAN_CFI); return (Number(f[F.vlan_tci]) & VLAN_CFI) !== 0;
  }
}

/** The legacy OpenFlow 1.0 set actions (mod_nw_src...) apply only where the header exists. */
function legacySetApplies(ctx: XlateCtx, mf: MetaField): boolean {
  const dt = Number(ctx.flow[F.dl_type]);
  const isIp = dt === ETH_TYPE.IP || dt === ETH_TYPE.IPV6;
  if (mf.field === F.nw_src || mf.field === F.nw_dst) return dt === ETH_TYPE.IP;
  if (mf.field === F.nw_tos) return isIp;
  if (mf.field === F.tp_src || mf.field === F.tp_dst) {
    if (!isIp) return false;
    ctx.wc[F.nw_proto] = 0xffn;
    return true;
  }
  return true;
}

function runActions(ctx: XlateCtx, actions: readonly OfAction[]): void {
  const wc = ctx.wc;
  for (const a of actions) {
    if (ctx.error || ctx.exited) return;
    switch (a.type) {
      case 'output': outputAction(ctx, a.port); break;
      case 'set_vlan_vid': {
        const tci = Number(ctx.flow[F.vlan_tci]);
        wc[F.vlan_tci] = wc[F.vlan_tci]! | BigInt(VLAN_VID_MASK | VLAN_CFI);
        if ((tci & VLAN_CFI) || a.push) ctx.flow[F.vlan_tci] = BigInt((tci & ~VLAN_VID_MASK) | VLAN_CFI | a.vid);
        break;
      }
      case 'set_vlan_pcp': {
        const tci = Number(ctx.flow[F.vlan_tci]);
        wc[F.vlan_tci] = wc[F.vlan_tci]! | BigInt(VLAN_PCP_MASK | VLAN_CFI);
        if ((tci & VLAN_CFI) || a.push) ctx.flow[F.vlan_tci] = BigInt((tci & ~VLAN_PCP_MASK) | VLAN_CFI | (a.pcp << 13));
        break;
      }
      case 'strip_vlan':
        ctx.flow[F.vlan_tci] = 0n;
        break;
      case 'push_vlan': {
        const tci = Number(ctx.flow[F.vlan_tci]);
        if (tci & VLAN_CFI) {
          wc[F.vlan_tci] = 0xffffn;
          ctx.note('push_vlan on a tagged packet: only one VLAN header is supported, tag kept');
          break;
        }
        ctx.flow[F.vlan_tci] = BigInt(VLAN_CFI);
        break;
      }
      case 'set_field': {
        const ok = a.via === 'mod' ? legacySetApplies(ctx, a.mf) : prereqOk(ctx, a.mf.prereq);
        if (!ok) { ctx.note(`unmet prerequisites for ${a.mf.name}, set ignored`); break; }
        const vm = vectorMask(a.mf, a.mask);
        wc[vm.field] = wc[vm.field]! | vm.bits;
        // Observed in OVS 3.1: setting an IPv4 header field (not moving into it) also makes the
        // megaflow match the IP protocol.
        if (vm.field === F.nw_src || vm.field === F.nw_dst || vm.field === F.nw_tos || vm.field === F.nw_ttl) wc[F.nw_proto] = 0xffn;
        a.mf.write(ctx.flow, a.value, a.mask);
        break;
      }
      case 'move': {
        const bits = (1n << BigInt(a.src.nbits)) - 1n;
        const v = (a.src.mf.read(ctx.flow) >> BigInt(a.src.ofs)) & bits;
        // The result depends on the source bits and replaces the destination bits.
        for (const sf of [a.src, a.dst]) {
          const vm = vectorMask(sf.mf, bits << BigInt(sf.ofs));
          wc[vm.field] = wc[vm.field]! | vm.bits;
        }
        a.dst.mf.write(ctx.flow, v << BigInt(a.dst.ofs), bits << BigInt(a.dst.ofs));
        break;
      }
      case 'resubmit': {
        const saved = ctx.flow[F.in_port]!;
        if (a.inPort !== OFPP.IN_PORT) ctx.flow[F.in_port] = BigInt(a.inPort);
        const table = a.table === 255 ? ctx.table : a.table;
        ctx.note(`resubmit(${a.inPort === OFPP.IN_PORT ? '' : a.inPort},${table})`);
        lookupAndRun(ctx, table);
        ctx.flow[F.in_port] = saved;
        break;
      }
      case 'goto_table':
        ctx.note(`goto_table:${a.table}`);
        lookupAndRun(ctx, a.table);
        break;
      case 'note': break;
      case 'sample': sampleAction(ctx, a); break;
      case 'set_queue': {
        const p = queuePriority(a.queue);
        if (p === undefined) ctx.note(`set_queue:${a.queue}: queue id out of range, ignored`);
        else ctx.priority = p;
        break;
      }
      case 'pop_queue': ctx.priority = ctx.origPriority; break;
      case 'enqueue': {
        const p = queuePriority(a.queue);
        if (p === undefined) { ctx.note(`enqueue:${a.port}:${a.queue}: queue id out of range, dropping`); break; }
        const saved = ctx.priority;
        ctx.priority = p;
        outputAction(ctx, a.port === OFPP.IN_PORT ? OFPP.IN_PORT : a.port);
        ctx.priority = saved;
        break;
      }
    }
  }
}

function inPort(ctx: XlateCtx): number { return Number(ctx.flow[F.in_port]); }

/** OVS's xlate_sample_action: flow-based IPFIX. Only on a bridge with IPFIX (bridge sampling or a
 *  collector set); the 16-bit probability scaled to 32 bits (65535 = every packet, then the
 *  userspace action is not wrapped in a sample); header changes so far are committed first, so
 *  the sampled packet is the packet as it is at this point. */
function sampleAction(ctx: XlateCtx, a: Extract<OfAction, { type: 'sample' }>): void {
  const br = ctx.bridge;
  if (!br.flowSampling && !br.ipfixProbability) { ctx.note(`sample: bridge ${br.name} has no IPFIX, ignored`); return; }
  let outputPort: number | undefined;
  if (a.samplingPort !== OFPP.NONE && a.samplingPort !== ctx.inOfport) {
    const p = br.ports.get(a.samplingPort);
    if (!p || p.odpPort === undefined) { ctx.note(`can't use unknown port ${a.samplingPort} in flow sample action`); return; }
    outputPort = p.odpPort;
  }
  commit(ctx);
  const userdata = encodeFlowSampleCookie({
    bridge: br.name, probability: a.probability, collectorSetId: a.collectorSetId, obsDomainId: a.obsDomainId, obsPointId: a.obsPointId,
    inPort: ctx.key.inPort ?? 0, ...(outputPort !== undefined ? { outputPort } : {}), direction: a.direction,
  });
  const userspace: OdpAction = { type: 'userspace', pid: 0, userdata };
  const probability = ((a.probability << 16) | a.probability) >>> 0;
  ctx.actions.push(probability === 0xffffffff ? userspace : { type: 'sample', probability, actions: [userspace] });
  ctx.note(`sample: probability ${a.probability}/65535, collector set ${a.collectorSetId}`);
}

/** dpif_queue_to_priority on Linux: queue N is tc class 1:(N+1), i.e. TC_H_MAKE(1 << 16, N + 1). */
function queuePriority(queue: number): number | undefined {
  return queue < 0xf000 ? (0x10000 | (queue + 1)) >>> 0 : undefined;
}

function outputAction(ctx: XlateCtx, port: number): void {
  const br = ctx.bridge;
  switch (port) {
    case OFPP.NORMAL: xlateNormal(ctx); return;
    case OFPP.FLOOD: case OFPP.ALL:
      for (const p of sortedPorts(br)) {
        if (p.ofport === inPort(ctx)) continue;
        if (port === OFPP.FLOOD && p.noFlood) continue;
        outputToPort(ctx, p);
      }
      return;
    case OFPP.IN_PORT: {
      const p = br.ports.get(inPort(ctx));
      if (p) outputToPort(ctx, p); else ctx.note(`IN_PORT ${inPort(ctx)} is not a port of ${br.name}`);
      return;
    }
    case OFPP.CONTROLLER:
      if (ctx.sideEffects) br.controllerPackets++;
      ctx.note('output to CONTROLLER: no controller, packet counted and dropped');
      return;
    case OFPP.TABLE: case OFPP.NONE: case OFPP.UNSET:
      ctx.note(`output to ${port} ignored`);
      return;
    default: {
      if (port === inPort(ctx)) { ctx.note(`skipping output to input port ${port}`); return; }
      const p = br.ports.get(port);
      if (!p) { ctx.note(`output to nonexistent port ${port}`); return; }
      outputToPort(ctx, p);
    }
  }
}

function sortedPorts(br: Bridge): BridgePort[] {
  return [...br.ports.values()].sort((a, b) => a.ofport - b.ofport);
}

function outputToPort(ctx: XlateCtx, p: BridgePort): void {
  if (!p.adminUp) { ctx.note(`port ${p.name} is down, skipping output`); return; }
  if (p.patchPeer !== undefined) { patchOutput(ctx, p); return; }
  if (p.odpPort === undefined) { ctx.note(`port ${p.name} has no datapath port, skipping`); return; }
  if (p.tunnel) {
    if (!tunnelOutput(ctx, p)) return;
  } else {
    commit(ctx);
    pushMirrorTrunc(ctx);
    ctx.actions.push({ type: 'output', port: p.odpPort });
    ctx.note(`output to ${p.name} (datapath port ${p.odpPort})`);
  }
  // Egress mirroring (patch ports are not mirrored on output, as in OVS).
  if (ctx.bridge.mirrors.size) mirrorPacket(ctx, p, ctx.bridge.mirrors.dstMask(p.name));
}

/** A mirror copy with a snaplen is truncated by the output that sends it (compose_output_action__). */
function pushMirrorTrunc(ctx: XlateCtx): void {
  if (ctx.mirrorSnaplen > 0 && ctx.mirrorSnaplen < 0xffff) ctx.actions.push({ type: 'trunc', maxLen: ctx.mirrorSnaplen });
}

/** OVS's mirror_packet: copies the packet entering or leaving `port` to the destinations of the
 *  mirrors in `candidates` it has not been copied to yet. The VLAN a mirror selects on is the
 *  packet's VLAN as `port` would receive it. */
function mirrorPacket(ctx: XlateCtx, port: BridgePort, candidates: number): void {
  let mirrors = candidates & ~ctx.mirrored;
  if (!mirrors) return;
  const ms = ctx.bridge.mirrors, wc = ctx.wc;
  const tci = Number(ctx.flow[F.vlan_tci]);
  const vid = tci & VLAN_CFI ? tci & VLAN_VID_MASK : 0;
  wc[F.vlan_tci] = wc[F.vlan_tci]! | BigInt(VLAN_VID_MASK | VLAN_CFI);
  if (inputVidRejection(port.vlan, vid, port.name)) return;
  const vlan = inputVidToVlan(port.vlan, vid);
  let used = 0;
  while (mirrors) {
    const bit = mirrors & -mirrors;
    mirrors &= ~bit;
    const m = ms.byIndex(31 - Math.clz32(bit));
    if (!m) continue;
    if (m.vlans && !m.vlans.has(vlan)) continue;
    used |= bit;
    // Before the copies go out, so that their own egress cannot mirror to the same place again.
    ctx.mirrored |= m.dupMask;
    const savedSnaplen = ctx.mirrorSnaplen;
    ctx.mirrorSnaplen = m.snaplen ?? 0;
    if (m.outPort !== undefined) {
      const out = ctx.bridge.portByName(m.outPort);
      if (out) {
        ctx.note(`mirror ${m.name}: copy to ${out.name}`);
        normalOutput(ctx, out, vlan, tci);
      }
    } else if (m.outVlan !== undefined && vlan !== m.outVlan) {
      wc[F.dl_dst] = fieldMax(F.dl_dst);
      if (!isReservedMac(ctx.flow[F.dl_dst]!)) {
        ctx.note(`mirror ${m.name}: copy to VLAN ${m.outVlan}`);
        for (const p of sortedPorts(ctx.bridge)) {
          if (portIncludesVlan(p.vlan, m.outVlan) && !ms.isOutput(p.name)) normalOutput(ctx, p, m.outVlan, tci);
        }
      }
    }
    ctx.mirrorSnaplen = savedSnaplen;
    mirrors &= ~ctx.mirrored;
  }
  if (used && ctx.sideEffects) {
    const st = ctx.input.stats ?? { packets: 1n, bytes: BigInt(ctx.input.packetLen ?? 0) };
    ms.credit(used, st.packets, st.bytes);
  }
}

/** Output to a tunnel port (tnl_port_send + commit_odp_tunnel_action): set(tunnel(...)) when the
 *  packet's tunnel metadata must change, then the packet's own header changes, then the output. */
function tunnelOutput(ctx: XlateCtx, p: BridgePort): boolean {
  const cfg = p.tunnel!, f = ctx.flow, wc = ctx.wc;
  const dt = Number(f[F.dl_type]);
  const isIp = dt === ETH_TYPE.IP || dt === ETH_TYPE.IPV6;
  if (cfg.remoteIpFlow) wc[F.tun_dst] = 0xffffffffn;
  const t = egressTunnel(cfg, { tunId: f[F.tun_id]!, tunSrc: f[F.tun_src]!, tunDst: f[F.tun_dst]!, isIp, nwTos: Number(f[F.nw_tos]), nwTtl: Number(f[F.nw_ttl]) });
  if (!t) { ctx.note(`port ${p.name}: remote_ip=flow and the flow has no tun_dst, dropping`); return false; }
  if (cfg.localIpFlow) wc[F.tun_src] = 0xffffffffn;
  if (cfg.outKeyPresent && cfg.outKeyFlow) wc[F.tun_id] = fieldMax(F.tun_id);
  if (isIp) {
    wc[F.nw_tos] = wc[F.nw_tos]! | 3n | (cfg.tosInherit ? 0xfcn : 0n);
    if (cfg.ttlInherit) wc[F.nw_ttl] = 0xffn;
  }
  if (ctx.key.tunnel && isTunnelKey(ctx.key) && ctx.key.tunnel.ipv4Dst === t.ipv4Dst) { ctx.note(`port ${p.name}: not tunneling to our own address`); return false; }
  if (!sameTunnel(ctx.baseTunnel, t)) {
    ctx.actions.push({ type: 'set', key: { tunnel: t } });
    ctx.baseTunnel = t;
  }
  commit(ctx);
  pushMirrorTrunc(ctx);
  ctx.actions.push({ type: 'output', port: p.odpPort! });
  ctx.note(`output to tunnel ${p.name} (datapath port ${p.odpPort}, remote ${t.ipv4Dst}${t.id !== undefined ? `, key 0x${t.id.toString(16)}` : ''})`);
  return true;
}

function sameTunnel(a: OdpTunnelKey | undefined, b: OdpTunnelKey): boolean {
  if (!a) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as Array<keyof OdpTunnelKey>);
  for (const k of keys) {
    const x = a[k], y = b[k];
    if (Buffer.isBuffer(x) || Buffer.isBuffer(y)) { if (!(Buffer.isBuffer(x) && Buffer.isBuffer(y) && x.equals(y))) return false; }
    else if (x !== y) return false;
  }
  return true;
}

function patchOutput(ctx: XlateCtx, p: BridgePort): void {
  const peer = ctx.env.portByName(p.patchPeer!);
  if (!peer || peer.port.patchPeer !== p.name) { ctx.note(`patch port ${p.name}: peer ${p.patchPeer} not found, dropping`); return; }
  if (!peer.port.adminUp) { ctx.note(`patch peer ${peer.port.name} is down`); return; }
  if (ctx.depth >= MAX_DEPTH) { ctx.error = `over max translation depth ${MAX_DEPTH}`; return; }
  const savedFlow = ctx.flow.slice();
  const savedBridge = ctx.bridge, savedTable = ctx.table;
  const savedWcInPort = ctx.wc[F.in_port]!;
  // Another bridge's mirrors are independent of this one's.
  const savedMirrored = ctx.mirrored;
  if (peer.bridge !== ctx.bridge) ctx.mirrored = 0;
  ctx.bridge = peer.bridge;
  ctx.flow[F.in_port] = BigInt(peer.port.ofport);
  ctx.flow[F.metadata] = 0n;
  for (let i = 0; i < N_REGS; i++) ctx.flow[F.reg0 + i] = 0n;
  if (!ctx.bridges.includes(peer.bridge.name)) ctx.bridges.push(peer.bridge.name);
  ctx.note(`patch ${p.name} -> bridge ${peer.bridge.name} port ${peer.port.name}`);
  lookupAndRun(ctx, 0);
  // The peer's in_port is not a datapath field; the datapath in_port stays exact anyway.
  ctx.wc[F.in_port] = savedWcInPort;
  ctx.bridge = savedBridge;
  ctx.table = savedTable;
  ctx.flow = savedFlow;
  ctx.mirrored = savedMirrored;
  ctx.exited = false;
}

// ------------------------------------------------------------------------------------- NORMAL

function isGratuitousArp(ctx: XlateCtx): boolean {
  const f = ctx.flow, wc = ctx.wc;
  if (Number(f[F.dl_type]) !== ETH_TYPE.ARP) return false;
  wc[F.dl_dst] = fieldMax(F.dl_dst);
  if (f[F.dl_dst] !== BROADCAST_MAC) return false;
  wc[F.nw_proto] = 0xffn;
  if (f[F.nw_proto] === 2n) return true;
  if (f[F.nw_proto] === 1n) {
    wc[F.nw_src] = 0xffffffffn; wc[F.nw_dst] = 0xffffffffn;
    return f[F.nw_src] === f[F.nw_dst];
  }
  return false;
}

function xlateNormal(ctx: XlateCtx): void {
  const br = ctx.bridge, f = ctx.flow, wc = ctx.wc;
  wc[F.dl_src] = fieldMax(F.dl_src);
  wc[F.dl_dst] = fieldMax(F.dl_dst);
  wc[F.vlan_tci] = wc[F.vlan_tci]! | BigInt(VLAN_VID_MASK | VLAN_CFI);
  wc[F.in_port] = 0xffffn;
  const inP = br.ports.get(inPort(ctx));
  if (!inP) { ctx.note(`NORMAL: input port ${inPort(ctx)} is not a port of ${br.name}, dropping`); return; }
  if (br.mirrors.isOutput(inP.name)) { ctx.note('NORMAL: input port is mirror output port, dropping'); return; }
  const dst = f[F.dl_dst]!, src = f[F.dl_src]!;
  if (isReservedMac(dst)) { ctx.note('NORMAL: packet has reserved destination MAC, dropping'); return; }
  const tci = Number(f[F.vlan_tci]);
  const vid = tci & VLAN_CFI ? tci & VLAN_VID_MASK : 0;
  const rejected = inputVidRejection(inP.vlan, vid, inP.name);
  if (rejected) { ctx.note(`NORMAL: ${rejected}`); return; }
  const vlan = inputVidToVlan(inP.vlan, vid);
  const grat = isGratuitousArp(ctx);
  const inId = br.bundleId(inP);
  const inBond = inP.bond !== undefined ? br.bonds.get(inP.bond) : undefined;
  if (inBond) {
    // bond_check_admissibility: backups, LACP-disabled members, SLB reflections are dropped.
    const verdict = inBond.admissibility(inP.name, isMulticastMac(dst));
    if (verdict === 'drop') { ctx.note(`NORMAL: bond ${inBond.name} does not accept this packet on member ${inP.name}, dropping`); return; }
    if (verdict === 'drop-if-moved') {
      const moved = br.mac.lookup(src, vlan);
      if (moved && moved.port !== inId && !grat) { ctx.note(`NORMAL: SLB bond ${inBond.name}: ${bigToMac(src)} is learnt on another port, dropping`); return; }
    }
  }
  if (ctx.sideEffects && !isMulticastMac(src)) {
    const r = br.mac.learn(src, vlan, inId, { gratuitousArp: grat, bondLike: inBond !== undefined });
    if (r === 'new' || r === 'moved') ctx.note(`NORMAL: learned that ${bigToMac(src)} is on port ${inBond ? inBond.name : inP.name} in VLAN ${vlan}`);
  }
  if (isMulticastMac(dst)) { ctx.note('NORMAL: multicast/broadcast destination, flooding'); normalFlood(ctx, inId, vlan, tci); return; }
  const e = br.mac.lookup(dst, vlan);
  if (!e) { ctx.note('NORMAL: no learned MAC for destination, flooding'); normalFlood(ctx, inId, vlan, tci); return; }
  const outP = br.ports.get(e.port);
  if (!outP) { ctx.note('NORMAL: learned port is unknown, dropping'); return; }
  if (br.mirrors.isOutput(outP.name)) { ctx.note('NORMAL: learned port is a mirror port, dropping'); return; }
  if (br.bundleId(outP) === inId) { ctx.note('NORMAL: learned port is input port, dropping'); return; }
  ctx.note(`NORMAL: forwarding to learned port ${outP.bond ?? outP.name}`);
  normalOutputBundle(ctx, outP, vlan, tci);
}

function normalFlood(ctx: XlateCtx, inId: number, vlan: number, inTci: number): void {
  const br = ctx.bridge;
  const bondsDone = new Set<string>();
  for (const p of sortedPorts(br)) {
    if (p.bond !== undefined) {
      if (bondsDone.has(p.bond)) continue;
      bondsDone.add(p.bond);
    }
    if (br.bundleId(p) === inId || p.noFlood || !portIncludesVlan(p.vlan, vlan) || br.mirrors.isOutput(p.name)) continue;
    if (p.bond === undefined && !p.adminUp) continue;
    normalOutputBundle(ctx, p, vlan, inTci);
  }
}

/** NORMAL output to the port `p` stands for: for a bond member, the member its bond picks for
 *  this flow (bond_choose_output_member); else `p` itself. */
function normalOutputBundle(ctx: XlateCtx, p: BridgePort, vlan: number, inTci: number): void {
  if (p.bond === undefined) { normalOutput(ctx, p, vlan, inTci); return; }
  const bond = ctx.bridge.bonds.get(p.bond);
  if (!bond) { ctx.note(`bond ${p.bond} is not configured, dropping`); return; }
  let hash = 0;
  if (bond.balanced) {
    const f = ctx.flow, wc = ctx.wc;
    if (bond.mode === 'balance-tcp') {
      for (const fid of [F.nw_src, F.nw_dst, F.nw_proto, F.tp_src, F.tp_dst]) wc[fid] = fieldMax(fid);
      hash = bondHash(bond.basis, [f[F.dl_src]!, f[F.dl_dst]!, vlan, f[F.nw_src]!, f[F.nw_dst]!, f[F.nw_proto]!, f[F.tp_src]!, f[F.tp_dst]!]);
    } else {
      hash = bondHash(bond.basis, [f[F.dl_src]!, vlan]);
    }
  }
  const m = bond.outputMember(hash);
  const port = m ? ctx.bridge.portByName(m.name) : undefined;
  if (!port) { ctx.note(`bond ${bond.name}: no member can send, dropping`); return; }
  normalOutput(ctx, port, vlan, inTci);
}

function normalOutput(ctx: XlateCtx, p: BridgePort, vlan: number, inTci: number): void {
  const vid = outputVid(p.vlan, vlan);
  const saved = ctx.flow[F.vlan_tci]!;
  let tci = 0;
  if (vid) {
    // Keep the priority bits the frame came with. A tagged frame leaves with its own tag (same
    // VLAN), so PCP only matters for a priority-tagged frame (VID 0) given a VID here.
    if ((inTci & VLAN_CFI) && (inTci & VLAN_VID_MASK) === 0) ctx.wc[F.vlan_tci] = ctx.wc[F.vlan_tci]! | BigInt(VLAN_PCP_MASK);
    tci = (inTci & VLAN_PCP_MASK) | VLAN_CFI | vid;
  }
  ctx.flow[F.vlan_tci] = BigInt(tci);
  outputToPort(ctx, p);
  ctx.flow[F.vlan_tci] = saved;
}

// ------------------------------------------------------------------------------------- commit

/** Emits the datapath actions that turn `base` (the packet as the datapath has it so far) into
 *  `flow`. The wildcards were widened by the actions that changed `flow` (as OVS does), except
 *  that popping the packet's own tag makes the whole tag matter. */
function commit(ctx: XlateCtx): void {
  const f = ctx.flow, b = ctx.base, wc = ctx.wc, key = ctx.key;
  // skb priority (QoS queue) for what is output next.
  if (ctx.priority !== ctx.basePriority) {
    ctx.actions.push({ type: 'set', key: { priority: ctx.priority } });
    ctx.basePriority = ctx.priority;
  }
  // Ethernet addresses.
  if (key.eth) {
    const srcCh = f[F.dl_src] !== b[F.dl_src], dstCh = f[F.dl_dst] !== b[F.dl_dst];
    if (srcCh || dstCh) {
      // Key bits outside the mask are zero, as the datapath requires.
      ctx.actions.push({
        type: 'set_masked',
        key: { eth: { src: bigToMac(srcCh ? f[F.dl_src]! : 0n), dst: bigToMac(dstCh ? f[F.dl_dst]! : 0n) } },
        mask: { eth: { src: srcCh ? 'ff:ff:ff:ff:ff:ff' : '00:00:00:00:00:00', dst: dstCh ? 'ff:ff:ff:ff:ff:ff' : '00:00:00:00:00:00' } },
      });
      b[F.dl_src] = f[F.dl_src]!; b[F.dl_dst] = f[F.dl_dst]!;
    }
  }
  // VLAN header.
  const bt = Number(b[F.vlan_tci]), ft = Number(f[F.vlan_tci]);
  if (bt !== ft) {
    if (bt & VLAN_CFI) {
      ctx.actions.push({ type: 'pop_vlan' });
      if (!ctx.pushedTag) wc[F.vlan_tci] = 0xffffn;
    }
    ctx.pushedTag = false;
    if (ft & VLAN_CFI) { ctx.actions.push({ type: 'push_vlan', tpid: ETH_TYPE.VLAN, tci: ft | VLAN_CFI }); ctx.pushedTag = true; }
    b[F.vlan_tci] = f[F.vlan_tci]!;
  }
  // IPv4 header.
  if (key.ipv4 && Number(b[F.dl_type]) === ETH_TYPE.IP) {
    const ch = (fid: number) => f[fid] !== b[fid];
    if (ch(F.nw_src) || ch(F.nw_dst) || ch(F.nw_tos) || ch(F.nw_ttl)) {
      ctx.actions.push({
        type: 'set_masked',
        key: { ipv4: {
          src: bigToIp(ch(F.nw_src) ? f[F.nw_src]! : 0n), dst: bigToIp(ch(F.nw_dst) ? f[F.nw_dst]! : 0n), proto: 0,
          tos: Number(f[F.nw_tos]! & (f[F.nw_tos]! ^ b[F.nw_tos]!)), ttl: ch(F.nw_ttl) ? Number(f[F.nw_ttl]) : 0, frag: 0,
        } },
        mask: { ipv4: { src: ch(F.nw_src) ? '255.255.255.255' : '0.0.0.0', dst: ch(F.nw_dst) ? '255.255.255.255' : '0.0.0.0', proto: 0, tos: Number(f[F.nw_tos]! ^ b[F.nw_tos]!), ttl: ch(F.nw_ttl) ? 0xff : 0, frag: 0 } },
      });
      for (const fid of [F.nw_src, F.nw_dst, F.nw_tos, F.nw_ttl]) b[fid] = f[fid]!;
    }
  }
  // Transport ports (the key says which protocol the packet really has).
  const l4 = key.tcp ? 'tcp' : key.udp ? 'udp' : key.sctp ? 'sctp' : undefined;
  if (l4) {
    const sCh = f[F.tp_src] !== b[F.tp_src], dCh = f[F.tp_dst] !== b[F.tp_dst];
    if (sCh || dCh) {
      wc[F.nw_proto] = 0xffn;  // set(tcp) is only valid on TCP: the megaflow must say so
      const k: OdpFlowKey = {}, m: OdpFlowKey = {};
      k[l4] = { src: sCh ? Number(f[F.tp_src]) : 0, dst: dCh ? Number(f[F.tp_dst]) : 0 };
      m[l4] = { src: sCh ? 0xffff : 0, dst: dCh ? 0xffff : 0 };
      ctx.actions.push({ type: 'set_masked', key: k, mask: m });
      b[F.tp_src] = f[F.tp_src]!; b[F.tp_dst] = f[F.tp_dst]!;
    }
  }
}
