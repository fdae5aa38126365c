// The four datapath families as typed messages: each request/reply/notification encodes to one
// netlink message and decodes back (both directions, so the same code serves the engine, our
// userspace datapath and tests). Family ids come from the caller (Windows: fixed; Linux: resolved).
import { decodeValue, encodeValue, type AttrValue, type StructValue } from './attr-values.js';
import { NetlinkFormatError, NlWriter, encodeGenl, parseAttrs, type GenlMessage, type NlAttr } from './netlink.js';
import { attrSet, familySpec, netlinkTables } from './netlink-tables.js';
import { actionsToAttrs, attrsToActions, attrsToKey, attrsToTunnel, keyToAttrs } from './odp-codec.js';
import type { OdpAction, OdpDatapathStats, OdpFlow, OdpFlowKey, OdpTunnelKey, OdpVport } from './odp-types.js';
import { VLAN_CFI } from './flow-extract.js';

export type FamilyName = 'ovs_datapath' | 'ovs_vport' | 'ovs_flow' | 'ovs_packet';

export interface Envelope {
  /** Family id as used on this transport. */
  type: number;
  flags?: number;
  seq?: number;
  pid?: number;
  /** Overridden by the message's own dpIfindex. */
  dpIfindex?: number;
}

function commandNumber(family: FamilyName, cmd: string): number {
  const n = familySpec(family).commands.get(cmd);
  if (n === undefined) throw new NetlinkFormatError(`${family} has no command ${cmd}`);
  return n;
}

export function commandName(family: FamilyName, cmd: number): string {
  const n = familySpec(family).commandNames.get(cmd);
  if (n === undefined) throw new NetlinkFormatError(`${family}: unknown command ${cmd}`);
  return n;
}

/** Builds a message of `family` whose attributes are `attrs` (already encoded). */
function build(family: FamilyName, cmd: string, env: Envelope, attrs: NlAttr[]): Buffer {
  const f = familySpec(family);
  return encodeGenl({ type: env.type, flags: env.flags ?? 0, seq: env.seq, pid: env.pid, cmd: commandNumber(family, cmd), version: f.version, dpIfindex: env.dpIfindex ?? 0 },
    (w: NlWriter) => { for (const a of attrs) w.attr(a.type, a.payload); });
}

function scalar(out: NlAttr[], setName: string, name: string, value: AttrValue | undefined): void {
  if (value === undefined) return;
  const spec = attrSet(setName).byName.get(name)!;
  out.push({ type: spec.id, payload: encodeValue(spec, value, setName) });
}

function nested(out: NlAttr[], setName: string, name: string, inner: NlAttr[]): void {
  const w = new NlWriter();
  for (const a of inner) w.attr(a.type, a.payload);
  out.push({ type: attrSet(setName).byName.get(name)!.id, payload: w.finish() });
}

/** Indexes a message's attributes by name, rejecting unknown and duplicate ones. */
function byName(setName: string, attrs: NlAttr[]): Map<string, NlAttr> {
  const set = attrSet(setName);
  const out = new Map<string, NlAttr>();
  for (const a of attrs) {
    const spec = set.byId.get(a.type);
    if (!spec) throw new NetlinkFormatError(`${setName}: unknown attribute ${a.type}`);
    if (out.has(spec.name)) throw new NetlinkFormatError(`${setName}: attribute ${spec.name} appears twice`);
    out.set(spec.name, a);
  }
  return out;
}

function value(setName: string, m: Map<string, NlAttr>, name: string): AttrValue | undefined {
  const a = m.get(name);
  return a ? decodeValue(attrSet(setName).byName.get(name)!, a.payload, setName) : undefined;
}

function expectFamily(msg: GenlMessage, family: FamilyName): string {
  return commandName(family, msg.cmd);
}

// ---- ovs_datapath ---------------------------------------------------------------------------

export interface DatapathMessage {
  cmd: 'NEW' | 'DEL' | 'GET' | 'SET';
  dpIfindex: number;
  name?: string;
  upcallPid?: number;
  stats?: OdpDatapathStats;
  userFeatures?: number;
}

export function encodeDatapath(m: DatapathMessage, env: Envelope): Buffer {
  const attrs: NlAttr[] = [];
  scalar(attrs, 'datapath', 'NAME', m.name);
  scalar(attrs, 'datapath', 'UPCALL_PID', m.upcallPid);
  if (m.stats) {
    scalar(attrs, 'datapath', 'STATS', { hit: m.stats.hit, missed: m.stats.missed, lost: m.stats.lost, flows: m.stats.flows });
    if (m.stats.masks !== undefined || m.stats.maskHit !== undefined) {
      scalar(attrs, 'datapath', 'MEGAFLOW_STATS', { maskHit: m.stats.maskHit ?? 0n, masks: m.stats.masks ?? 0, cacheHit: 0n });
    }
  }
  scalar(attrs, 'datapath', 'USER_FEATURES', m.userFeatures);
  return build('ovs_datapath', m.cmd, { ...env, dpIfindex: m.dpIfindex }, attrs);
}

export function decodeDatapath(msg: GenlMessage): DatapathMessage {
  const cmd = expectFamily(msg, 'ovs_datapath') as DatapathMessage['cmd'];
  const a = byName('datapath', msg.attrs);
  const out: DatapathMessage = { cmd, dpIfindex: msg.dpIfindex };
  const name = value('datapath', a, 'NAME'); if (name !== undefined) out.name = name as string;
  const pid = value('datapath', a, 'UPCALL_PID'); if (pid !== undefined) out.upcallPid = pid as number;
  const st = value('datapath', a, 'STATS') as StructValue | undefined;
  if (st) {
    out.stats = { hit: st.hit as bigint, missed: st.missed as bigint, lost: st.lost as bigint, flows: st.flows as bigint };
    const mf = value('datapath', a, 'MEGAFLOW_STATS') as StructValue | undefined;
    if (mf) { out.stats.maskHit = mf.maskHit as bigint; out.stats.masks = mf.masks as number; }
  }
  const uf = value('datapath', a, 'USER_FEATURES'); if (uf !== undefined) out.userFeatures = uf as number;
  return out;
}

// ---- ovs_vport ------------------------------------------------------------------------------

export interface VportMessage {
  cmd: 'NEW' | 'DEL' | 'GET' | 'SET';
  dpIfindex: number;
  vport: Partial<OdpVport>;
}

export function encodeVport(m: VportMessage, env: Envelope): Buffer {
  const v = m.vport;
  const attrs: NlAttr[] = [];
  scalar(attrs, 'vport', 'PORT_NO', v.portNo);
  scalar(attrs, 'vport', 'TYPE', v.type);
  scalar(attrs, 'vport', 'NAME', v.name);
  if (v.options) {
    const inner: NlAttr[] = [];
    scalar(inner, 'tunnelOptions', 'DST_PORT', v.options.dstPort);
    nested(attrs, 'vport', 'OPTIONS', inner);
  }
  scalar(attrs, 'vport', 'UPCALL_PID', v.upcallPids);
  if (v.stats) scalar(attrs, 'vport', 'STATS', { ...v.stats });
  scalar(attrs, 'vport', 'IFINDEX', v.ifindex);
  return build('ovs_vport', m.cmd, { ...env, dpIfindex: m.dpIfindex }, attrs);
}

export function decodeVport(msg: GenlMessage): VportMessage {
  const cmd = expectFamily(msg, 'ovs_vport') as VportMessage['cmd'];
  const a = byName('vport', msg.attrs);
  const v: Partial<OdpVport> = {};
  const portNo = value('vport', a, 'PORT_NO'); if (portNo !== undefined) v.portNo = portNo as number;
  const type = value('vport', a, 'TYPE'); if (type !== undefined) v.type = type as number;
  const name = value('vport', a, 'NAME'); if (name !== undefined) v.name = name as string;
  const opts = a.get('OPTIONS');
  if (opts) {
    const o = byName('tunnelOptions', parseAttrs(opts.payload));
    const dst = value('tunnelOptions', o, 'DST_PORT');
    v.options = dst !== undefined ? { dstPort: dst as number } : {};
  }
  const pids = value('vport', a, 'UPCALL_PID'); if (pids !== undefined) v.upcallPids = pids as number[];
  const st = value('vport', a, 'STATS') as StructValue | undefined;
  if (st) v.stats = st as unknown as NonNullable<OdpVport['stats']>;
  const ifindex = value('vport', a, 'IFINDEX'); if (ifindex !== undefined) v.ifindex = ifindex as number;
  return { cmd, dpIfindex: msg.dpIfindex, vport: v };
}

// ---- ovs_flow -------------------------------------------------------------------------------

export interface FlowMessage {
  cmd: 'NEW' | 'DEL' | 'GET' | 'SET';
  dpIfindex: number;
  flow: Partial<OdpFlow>;
  clear?: boolean;
  probe?: boolean;
  ufidFlags?: number;
}

/**
 * A flow's mask as the datapath takes it. Our keys are flat (a tagged packet's key has `vlanTci`
 * and the inner `ethType`), so "this flow matches untagged packets only" is a mask `vlanTci` (the
 * CFI bit) under a key without one. On the wire an untagged key has no VLAN/ENCAP attributes, and
 * the kernel (and OVS's Windows datapath, which parses flows the same way) refuses a mask that has
 * them (EINVAL): there the exact ETHERTYPE of the key already excludes tagged packets (their outer
 * ETHERTYPE is the TPID). So the VLAN mask of an untagged key is left off, as ovs-vswitchd does.
 */
export function wireMask(key: Partial<OdpFlowKey>, mask: Partial<OdpFlowKey>): Partial<OdpFlowKey> {
  if (key.vlanTci !== undefined || mask.vlanTci === undefined) return mask;
  const { vlanTci: _dropped, ...rest } = mask;
  return rest;
}

/** The inverse of wireMask for a decoded flow: an untagged key whose EtherType is matched exactly
 *  matches untagged packets only, which our flat keys say with a mask `vlanTci` of the CFI bit. */
export function maskFromWire(key: Partial<OdpFlowKey>, mask: Partial<OdpFlowKey>): Partial<OdpFlowKey> {
  if (key.vlanTci !== undefined || mask.vlanTci !== undefined || mask.ethType !== 0xffff) return mask;
  return { ...mask, vlanTci: VLAN_CFI };
}

export function encodeFlow(m: FlowMessage, env: Envelope): Buffer {
  const f = m.flow;
  const attrs: NlAttr[] = [];
  if (f.key) nested(attrs, 'flow', 'KEY', keyToAttrs(f.key));
  if (f.actions) nested(attrs, 'flow', 'ACTIONS', actionsToAttrs(f.actions));
  if (f.stats) scalar(attrs, 'flow', 'STATS', { packets: f.stats.packets, bytes: f.stats.bytes });
  scalar(attrs, 'flow', 'TCP_FLAGS', f.tcpFlags);
  if (f.used !== undefined) scalar(attrs, 'flow', 'USED', BigInt(f.used));
  if (m.clear) scalar(attrs, 'flow', 'CLEAR', true);
  if (f.mask) nested(attrs, 'flow', 'MASK', keyToAttrs(f.key ? wireMask(f.key, f.mask) : f.mask, true));
  if (m.probe) scalar(attrs, 'flow', 'PROBE', true);
  scalar(attrs, 'flow', 'UFID', f.ufid);
  scalar(attrs, 'flow', 'UFID_FLAGS', m.ufidFlags);
  return build('ovs_flow', m.cmd, { ...env, dpIfindex: m.dpIfindex }, attrs);
}

export function decodeFlow(msg: GenlMessage): FlowMessage {
  const cmd = expectFamily(msg, 'ovs_flow') as FlowMessage['cmd'];
  const a = byName('flow', msg.attrs);
  const f: Partial<OdpFlow> = {};
  const key = a.get('KEY'); if (key) f.key = attrsToKey(parseAttrs(key.payload));
  const mask = a.get('MASK'); if (mask) f.mask = attrsToKey(parseAttrs(mask.payload), true);
  if (f.key && f.mask) f.mask = maskFromWire(f.key, f.mask);
  const acts = a.get('ACTIONS'); if (acts) f.actions = attrsToActions(parseAttrs(acts.payload));
  const st = value('flow', a, 'STATS') as StructValue | undefined;
  if (st) f.stats = { packets: st.packets as bigint, bytes: st.bytes as bigint };
  const tf = value('flow', a, 'TCP_FLAGS'); if (tf !== undefined) f.tcpFlags = tf as number;
  const used = value('flow', a, 'USED'); if (used !== undefined) f.used = Number(used as bigint);
  const ufid = value('flow', a, 'UFID'); if (ufid !== undefined) f.ufid = ufid as Buffer;
  const out: FlowMessage = { cmd, dpIfindex: msg.dpIfindex, flow: f };
  if (a.has('CLEAR')) out.clear = true;
  if (a.has('PROBE')) out.probe = true;
  const uf = value('flow', a, 'UFID_FLAGS'); if (uf !== undefined) out.ufidFlags = uf as number;
  return out;
}

// ---- ovs_packet -----------------------------------------------------------------------------

export interface PacketMessage {
  /** MISS/ACTION: upcalls from the datapath; EXECUTE: packet-out from the engine. */
  cmd: 'MISS' | 'ACTION' | 'EXECUTE';
  dpIfindex: number;
  packet: Buffer;
  key?: OdpFlowKey;
  actions?: OdpAction[];
  userdata?: Buffer;
  egressTunKey?: OdpTunnelKey;
  probe?: boolean;
  mru?: number;
  len?: number;
  hash?: bigint;
}

export function encodePacket(m: PacketMessage, env: Envelope): Buffer {
  const attrs: NlAttr[] = [];
  scalar(attrs, 'packet', 'PACKET', m.packet);
  if (m.key) nested(attrs, 'packet', 'KEY', keyToAttrs(m.key));
  if (m.actions) nested(attrs, 'packet', 'ACTIONS', actionsToAttrs(m.actions));
  scalar(attrs, 'packet', 'USERDATA', m.userdata);
  if (m.probe) scalar(attrs, 'packet', 'PROBE', true);
  scalar(attrs, 'packet', 'MRU', m.mru);
  scalar(attrs, 'packet', 'LEN', m.len);
  scalar(attrs, 'packet', 'HASH', m.hash);
  return build('ovs_packet', m.cmd, { ...env, dpIfindex: m.dpIfindex }, attrs);
}

export function decodePacket(msg: GenlMessage): PacketMessage {
  const cmd = expectFamily(msg, 'ovs_packet') as PacketMessage['cmd'];
  const a = byName('packet', msg.attrs);
  const packet = value('packet', a, 'PACKET') as Buffer | undefined;
  if (!packet) throw new NetlinkFormatError(`ovs_packet ${cmd} without a PACKET attribute`);
  const out: PacketMessage = { cmd, dpIfindex: msg.dpIfindex, packet };
  const key = a.get('KEY'); if (key) out.key = attrsToKey(parseAttrs(key.payload));
  const acts = a.get('ACTIONS'); if (acts) out.actions = attrsToActions(parseAttrs(acts.payload));
  const ud = value('packet', a, 'USERDATA'); if (ud !== undefined) out.userdata = ud as Buffer;
  const etk = a.get('EGRESS_TUN_KEY'); if (etk) out.egressTunKey = attrsToTunnel(parseAttrs(etk.payload));
  if (a.has('PROBE')) out.probe = true;
  const mru = value('packet', a, 'MRU'); if (mru !== undefined) out.mru = mru as number;
  const len = value('packet', a, 'LEN'); if (len !== undefined) out.len = len as number;
  const hash = value('packet', a, 'HASH'); if (hash !== undefined) out.hash = hash as bigint;
  if (cmd === 'EXECUTE' && (!out.key || !out.actions)) throw new NetlinkFormatError('ovs_packet EXECUTE needs KEY and ACTIONS');
  return out;
}

// ---- generic netlink controller (family resolution on Linux, and our datapath's answer) --------

export interface FamilyInfo { id: number; name: string; version: number; mcgroups: Array<{ name: string; id: number }> }

export function encodeGetFamily(name: string, env: { seq?: number; pid?: number }): Buffer {
  const c = netlinkTables().controller;
  return encodeGenl({ type: c.id, flags: 1 /* REQUEST */, seq: env.seq, pid: env.pid, cmd: c.commands.GETFAMILY!, version: 1 },
    (w) => w.attr(attrSet('ctrl').byName.get('FAMILY_NAME')!.id, encodeValue(attrSet('ctrl').byName.get('FAMILY_NAME')!, name, 'ctrl')));
}

export function encodeNewFamily(info: FamilyInfo, env: { seq?: number; pid?: number }): Buffer {
  const c = netlinkTables().controller;
  const ctrl = attrSet('ctrl');
  const grp = attrSet('ctrlMcastGroup');
  return encodeGenl({ type: c.id, flags: 0, seq: env.seq, pid: env.pid, cmd: c.commands.NEWFAMILY!, version: c.version }, (w) => {
    w.attr(ctrl.byName.get('FAMILY_ID')!.id, encodeValue(ctrl.byName.get('FAMILY_ID')!, info.id, 'ctrl'));
    w.attr(ctrl.byName.get('FAMILY_NAME')!.id, encodeValue(ctrl.byName.get('FAMILY_NAME')!, info.name, 'ctrl'));
    w.attr(ctrl.byName.get('VERSION')!.id, encodeValue(ctrl.byName.get('VERSION')!, info.version, 'ctrl'));
    if (info.mcgroups.length) {
      const groups = w.beginNested(ctrl.byName.get('MCAST_GROUPS')!.id);
      info.mcgroups.forEach((g, i) => {
        const one = w.beginNested(i + 1);
        w.attr(grp.byName.get('NAME')!.id, encodeValue(grp.byName.get('NAME')!, g.name, 'mcast'));
        w.attr(grp.byName.get('ID')!.id, encodeValue(grp.byName.get('ID')!, g.id, 'mcast'));
        w.endNested(one);
      });
      w.endNested(groups);
    }
  });
}

export function decodeFamily(msg: GenlMessage): FamilyInfo {
  const ctrl = attrSet('ctrl');
  const grp = attrSet('ctrlMcastGroup');
  const info: FamilyInfo = { id: 0, name: '', version: 0, mcgroups: [] };
  for (const a of msg.attrs) {
    const spec = ctrl.byId.get(a.type);
    if (!spec) continue; // the kernel's controller sends more than we model (OPS, POLICY...)
    if (spec.name === 'MCAST_GROUPS') {
      for (const g of parseAttrs(a.payload)) {
        let name = '', id = 0;
        for (const x of parseAttrs(g.payload)) {
          const xs = grp.byId.get(x.type);
          if (xs?.name === 'NAME') name = decodeValue(xs, x.payload, 'mcast') as string;
          else if (xs?.name === 'ID') id = decodeValue(xs, x.payload, 'mcast') as number;
        }
        info.mcgroups.push({ name, id });
      }
    } else if (spec.name === 'FAMILY_ID') info.id = decodeValue(spec, a.payload, 'ctrl') as number;
    else if (spec.name === 'FAMILY_NAME') info.name = decodeValue(spec, a.payload, 'ctrl') as string;
    else if (spec.name === 'VERSION') info.version = decodeValue(spec, a.payload, 'ctrl') as number;
  }
  if (!info.id || !info.name) throw new NetlinkFormatError('CTRL_CMD_NEWFAMILY reply without FAMILY_ID or FAMILY_NAME');
  return info;
}
