// ODP flow keys, masks and actions <-> netlink attributes (OVS_KEY_ATTR_*, OVS_ACTION_ATTR_*), in the
// attribute order OVS's odp_flow_key_from_flow writes. Unknown or duplicate attributes are errors.
import { decodeValue, encodeValue, type StructValue } from './attr-values.js';
import { NetlinkFormatError, NlWriter, parseAttrs, type NlAttr } from './netlink.js';
import { attrSet, type AttrSet } from './netlink-tables.js';
import type { OdpAction, OdpFlowKey, OdpTunnelKey } from './odp-types.js';

const ETH_TYPE_VLAN = 0x8100;
const ETH_TYPE_QINQ = 0x88a8;

function put(out: NlAttr[], set: AttrSet, name: string, value: Parameters<typeof encodeValue>[1], where: string): void {
  const spec = set.byName.get(name)!;
  out.push({ type: spec.id, payload: encodeValue(spec, value, where) });
}

function nestAttrs(attrs: NlAttr[]): Buffer {
  const w = new NlWriter();
  for (const a of attrs) w.attr(a.type, a.payload);
  return w.finish();
}

export function tunnelToAttrs(t: OdpTunnelKey): NlAttr[] {
  const s = attrSet('tunnelKey');
  const out: NlAttr[] = [];
  const where = 'tunnel';
  if (t.id !== undefined) put(out, s, 'ID', t.id, where);
  if (t.ipv4Src !== undefined) put(out, s, 'IPV4_SRC', t.ipv4Src, where);
  if (t.ipv4Dst !== undefined) put(out, s, 'IPV4_DST', t.ipv4Dst, where);
  if (t.tos !== undefined) put(out, s, 'TOS', t.tos, where);
  if (t.ttl !== undefined) put(out, s, 'TTL', t.ttl, where);
  if (t.dontFragment) put(out, s, 'DONT_FRAGMENT', true, where);
  if (t.csum) put(out, s, 'CSUM', true, where);
  if (t.oam) put(out, s, 'OAM', true, where);
  if (t.geneveOptions !== undefined) put(out, s, 'GENEVE_OPTS', t.geneveOptions, where);
  if (t.tpSrc !== undefined) put(out, s, 'TP_SRC', t.tpSrc, where);
  if (t.tpDst !== undefined) put(out, s, 'TP_DST', t.tpDst, where);
  if (t.vxlanGbp !== undefined) {
    const v = attrSet('vxlanExt');
    const inner: NlAttr[] = [];
    put(inner, v, 'GBP', t.vxlanGbp, 'tunnel.vxlan');
    out.push({ type: s.byName.get('VXLAN_OPTS')!.id, payload: nestAttrs(inner) });
  }
  return out;
}

export function attrsToTunnel(attrs: NlAttr[]): OdpTunnelKey {
  const s = attrSet('tunnelKey');
  const t: OdpTunnelKey = {};
  for (const a of unique(attrs, s, 'tunnel')) {
    const spec = s.byId.get(a.type)!;
    if (spec.name === 'VXLAN_OPTS') {
      const v = attrSet('vxlanExt');
      for (const x of unique(parseAttrs(a.payload), v, 'tunnel.vxlan')) t.vxlanGbp = decodeValue(v.byId.get(x.type)!, x.payload, 'tunnel.vxlan') as number;
      continue;
    }
    const val = decodeValue(spec, a.payload, 'tunnel');
    switch (spec.name) {
      case 'ID': t.id = val as bigint; break;
      case 'IPV4_SRC': t.ipv4Src = val as string; break;
      case 'IPV4_DST': t.ipv4Dst = val as string; break;
      case 'TOS': t.tos = val as number; break;
      case 'TTL': t.ttl = val as number; break;
      case 'DONT_FRAGMENT': t.dontFragment = true; break;
      case 'CSUM': t.csum = true; break;
      case 'OAM': t.oam = true; break;
      case 'GENEVE_OPTS': t.geneveOptions = val as Buffer; break;
      case 'TP_SRC': t.tpSrc = val as number; break;
      case 'TP_DST': t.tpDst = val as number; break;
      default: break; // IPv6 tunnel endpoints, ERSPAN: accepted, not modelled
    }
  }
  return t;
}

/** Checks every attribute is known to `set` and appears once; returns them. */
function unique(attrs: NlAttr[], set: AttrSet, where: string): NlAttr[] {
  const seen = new Set<number>();
  for (const a of attrs) {
    if (!set.byId.has(a.type)) throw new NetlinkFormatError(`${where}: unknown attribute ${a.type} in ${set.name} attributes`);
    if (seen.has(a.type)) throw new NetlinkFormatError(`${where}: attribute ${set.byId.get(a.type)!.name} appears twice`);
    seen.add(a.type);
  }
  return attrs;
}

/** The L3/L4 part of a key (inside ENCAP when the frame is VLAN-tagged). */
function l3ToAttrs(k: OdpFlowKey, s: AttrSet, out: NlAttr[], where: string): void {
  if (k.ethType !== undefined) put(out, s, 'ETHERTYPE', k.ethType, where);
  if (k.ipv4) put(out, s, 'IPV4', k.ipv4 as unknown as StructValue, where);
  if (k.ipv6) put(out, s, 'IPV6', k.ipv6 as unknown as StructValue, where);
  if (k.arp) put(out, s, 'ARP', k.arp as unknown as StructValue, where);
  if (k.tcp) put(out, s, 'TCP', k.tcp as unknown as StructValue, where);
  if (k.tcpFlags !== undefined) put(out, s, 'TCP_FLAGS', k.tcpFlags, where);
  if (k.udp) put(out, s, 'UDP', k.udp as unknown as StructValue, where);
  if (k.sctp) put(out, s, 'SCTP', k.sctp as unknown as StructValue, where);
  if (k.icmp) put(out, s, 'ICMP', k.icmp as unknown as StructValue, where);
  if (k.icmpv6) put(out, s, 'ICMPV6', k.icmpv6 as unknown as StructValue, where);
  if (k.nd) put(out, s, 'ND', k.nd as unknown as StructValue, where);
  if (k.ipv6Exthdrs) put(out, s, 'IPV6_EXTHDRS', k.ipv6Exthdrs, where);
}

/** Encodes a flow key (or a mask, with `isMask`) as OVS_KEY_ATTR_* attributes. */
export function keyToAttrs(k: OdpFlowKey, isMask = false): NlAttr[] {
  const s = attrSet('key');
  const where = isMask ? 'mask' : 'key';
  const out: NlAttr[] = [];
  if (k.priority !== undefined) put(out, s, 'PRIORITY', k.priority, where);
  if (k.tunnel) out.push({ type: s.byName.get('TUNNEL')!.id, payload: nestAttrs(tunnelToAttrs(k.tunnel)) });
  if (k.skbMark !== undefined) put(out, s, 'SKB_MARK', k.skbMark, where);
  if (k.ctState !== undefined) put(out, s, 'CT_STATE', k.ctState, where);
  if (k.ctZone !== undefined) put(out, s, 'CT_ZONE', k.ctZone, where);
  if (k.ctMark !== undefined) put(out, s, 'CT_MARK', k.ctMark, where);
  if (k.ctLabels !== undefined) put(out, s, 'CT_LABELS', k.ctLabels, where);
  if (k.ctOrigTupleIpv4 !== undefined) put(out, s, 'CT_ORIG_TUPLE_IPV4', k.ctOrigTupleIpv4, where);
  if (k.ctOrigTupleIpv6 !== undefined) put(out, s, 'CT_ORIG_TUPLE_IPV6', k.ctOrigTupleIpv6, where);
  if (k.recircId !== undefined) put(out, s, 'RECIRC_ID', k.recircId, where);
  if (k.dpHash !== undefined) put(out, s, 'DP_HASH', k.dpHash, where);
  if (k.inPort !== undefined) put(out, s, 'IN_PORT', k.inPort, where);
  if (k.eth) put(out, s, 'ETHERNET', k.eth as unknown as StructValue, where);
  if (k.vlanTci !== undefined) {
    put(out, s, 'ETHERTYPE', isMask ? 0xffff : ETH_TYPE_VLAN, where);
    put(out, s, 'VLAN', k.vlanTci, where);
    const inner: NlAttr[] = [];
    l3ToAttrs(k, s, inner, where);
    out.push({ type: s.byName.get('ENCAP')!.id, payload: nestAttrs(inner) });
  } else {
    l3ToAttrs(k, s, out, where);
  }
  return out;
}

function attrsToL3(attrs: NlAttr[], s: AttrSet, k: OdpFlowKey, where: string, allowEncap: boolean): void {
  let encap: NlAttr | undefined;
  for (const a of unique(attrs, s, where)) {
    const spec = s.byId.get(a.type)!;
    if (spec.name === 'ENCAP') {
      if (!allowEncap) throw new NetlinkFormatError(`${where}: ENCAP nested inside ENCAP (only one VLAN tag is supported)`);
      encap = a;
      continue;
    }
    if (spec.name === 'TUNNEL') { k.tunnel = attrsToTunnel(parseAttrs(a.payload)); continue; }
    const v = decodeValue(spec, a.payload, where);
    switch (spec.name) {
      case 'PRIORITY': k.priority = v as number; break;
      case 'SKB_MARK': k.skbMark = v as number; break;
      case 'IN_PORT': k.inPort = v as number; break;
      case 'RECIRC_ID': k.recircId = v as number; break;
      case 'DP_HASH': k.dpHash = v as number; break;
      case 'CT_STATE': k.ctState = v as number; break;
      case 'CT_ZONE': k.ctZone = v as number; break;
      case 'CT_MARK': k.ctMark = v as number; break;
      case 'CT_LABELS': k.ctLabels = v as Buffer; break;
      case 'CT_ORIG_TUPLE_IPV4': k.ctOrigTupleIpv4 = v as Buffer; break;
      case 'CT_ORIG_TUPLE_IPV6': k.ctOrigTupleIpv6 = v as Buffer; break;
      case 'ETHERNET': k.eth = v as unknown as OdpFlowKey['eth']; break;
      case 'VLAN': k.vlanTci = v as number; break;
      case 'ETHERTYPE': k.ethType = v as number; break;
      case 'IPV4': k.ipv4 = v as unknown as OdpFlowKey['ipv4']; break;
      case 'IPV6': k.ipv6 = v as unknown as OdpFlowKey['ipv6']; break;
      case 'ARP': k.arp = v as unknown as OdpFlowKey['arp']; break;
      case 'TCP': k.tcp = v as unknown as OdpFlowKey['tcp']; break;
      case 'UDP': k.udp = v as unknown as OdpFlowKey['udp']; break;
      case 'SCTP': k.sctp = v as unknown as OdpFlowKey['sctp']; break;
      case 'TCP_FLAGS': k.tcpFlags = v as number; break;
      case 'ICMP': k.icmp = v as unknown as OdpFlowKey['icmp']; break;
      case 'ICMPV6': k.icmpv6 = v as unknown as OdpFlowKey['icmpv6']; break;
      case 'ND': k.nd = v as unknown as OdpFlowKey['nd']; break;
      case 'IPV6_EXTHDRS': k.ipv6Exthdrs = v as Buffer; break;
      default: throw new NetlinkFormatError(`${where}: key attribute ${spec.name} is not supported by this datapath`);
    }
  }
  if (!allowEncap) return;
  if (k.vlanTci !== undefined) {
    // The outer ETHERTYPE was the TPID (or 0xffff in a mask); the inner one comes from ENCAP.
    if (k.ethType !== undefined && k.ethType !== ETH_TYPE_VLAN && k.ethType !== ETH_TYPE_QINQ && k.ethType !== 0xffff) {
      throw new NetlinkFormatError(`${where}: VLAN attribute with outer ethertype 0x${k.ethType.toString(16)}, expected 0x8100`);
    }
    delete k.ethType;
    if (encap) attrsToL3(parseAttrs(encap.payload), s, k, `${where}.encap`, false);
  } else if (encap) {
    throw new NetlinkFormatError(`${where}: ENCAP without a VLAN attribute`);
  }
}

export function attrsToKey(attrs: NlAttr[], isMask = false): OdpFlowKey {
  const k: OdpFlowKey = {};
  attrsToL3(attrs, attrSet('key'), k, isMask ? 'mask' : 'key', true);
  return k;
}

export function actionsToAttrs(actions: OdpAction[]): NlAttr[] {
  const s = attrSet('action');
  const id = (n: string): number => s.byName.get(n)!.id;
  const out: NlAttr[] = [];
  for (const a of actions) {
    switch (a.type) {
      case 'output': put(out, s, 'OUTPUT', a.port, 'actions'); break;
      case 'userspace': {
        const u = attrSet('userspace');
        const inner: NlAttr[] = [];
        put(inner, u, 'PID', a.pid, 'actions.userspace');
        if (a.userdata) put(inner, u, 'USERDATA', a.userdata, 'actions.userspace');
        out.push({ type: id('USERSPACE'), payload: nestAttrs(inner) });
        break;
      }
      case 'push_vlan': put(out, s, 'PUSH_VLAN', { tpid: a.tpid, tci: a.tci }, 'actions'); break;
      case 'pop_vlan': put(out, s, 'POP_VLAN', true, 'actions'); break;
      case 'set': {
        const inner = keyToAttrs(a.key);
        if (inner.length !== 1) throw new NetlinkFormatError(`set action must carry exactly one key attribute, got ${inner.length}`);
        out.push({ type: id('SET'), payload: nestAttrs(inner) });
        break;
      }
      case 'set_masked': {
        const v = keyToAttrs(a.key);
        const m = keyToAttrs(a.mask, true);
        if (v.length !== 1 || m.length !== 1 || v[0]!.type !== m[0]!.type) {
          throw new NetlinkFormatError('set_masked action must carry one key attribute and its mask');
        }
        out.push({ type: id('SET_MASKED'), payload: nestAttrs([{ type: v[0]!.type, payload: Buffer.concat([v[0]!.payload, m[0]!.payload]) }]) });
        break;
      }
      case 'sample': {
        const sm = attrSet('sample');
        const inner: NlAttr[] = [];
        put(inner, sm, 'PROBABILITY', a.probability, 'actions.sample');
        inner.push({ type: sm.byName.get('ACTIONS')!.id, payload: nestAttrs(actionsToAttrs(a.actions)) });
        out.push({ type: id('SAMPLE'), payload: nestAttrs(inner) });
        break;
      }
      case 'recirc': put(out, s, 'RECIRC', a.id, 'actions'); break;
      case 'hash': put(out, s, 'HASH', { alg: a.alg, basis: a.basis }, 'actions'); break;
      case 'trunc': put(out, s, 'TRUNC', a.maxLen, 'actions'); break;
      case 'clone': out.push({ type: id('CLONE'), payload: nestAttrs(actionsToAttrs(a.actions)) }); break;
      case 'meter': put(out, s, 'METER', a.id, 'actions'); break;
      case 'drop': put(out, s, 'DROP', a.reason, 'actions'); break;
    }
  }
  return out;
}

export function attrsToActions(attrs: NlAttr[], depth = 0): OdpAction[] {
  if (depth > 8) throw new NetlinkFormatError('actions nested more than 8 levels deep');
  const s = attrSet('action');
  const out: OdpAction[] = [];
  for (const a of attrs) {
    const spec = s.byId.get(a.type);
    if (!spec) throw new NetlinkFormatError(`actions: unknown action attribute ${a.type}`);
    switch (spec.name) {
      case 'OUTPUT': out.push({ type: 'output', port: decodeValue(spec, a.payload, 'actions') as number }); break;
      case 'USERSPACE': {
        const u = attrSet('userspace');
        let pid: number | undefined;
        let userdata: Buffer | undefined;
        for (const x of unique(parseAttrs(a.payload), u, 'actions.userspace')) {
          const xs = u.byId.get(x.type)!;
          if (xs.name === 'PID') pid = decodeValue(xs, x.payload, 'actions.userspace') as number;
          else if (xs.name === 'USERDATA') userdata = Buffer.from(x.payload);
        }
        if (pid === undefined) throw new NetlinkFormatError('actions.userspace: missing PID');
        out.push(userdata ? { type: 'userspace', pid, userdata } : { type: 'userspace', pid });
        break;
      }
      case 'PUSH_VLAN': {
        const v = decodeValue(spec, a.payload, 'actions') as StructValue;
        out.push({ type: 'push_vlan', tpid: v.tpid as number, tci: v.tci as number });
        break;
      }
      case 'POP_VLAN': decodeValue(spec, a.payload, 'actions'); out.push({ type: 'pop_vlan' }); break;
      case 'SET': {
        const inner = parseAttrs(a.payload);
        if (inner.length !== 1) throw new NetlinkFormatError(`actions.set: expected one key attribute, got ${inner.length}`);
        out.push({ type: 'set', key: attrsToKey(inner) });
        break;
      }
      case 'SET_MASKED': {
        const inner = parseAttrs(a.payload);
        if (inner.length !== 1) throw new NetlinkFormatError(`actions.set_masked: expected one key attribute, got ${inner.length}`);
        const x = inner[0]!;
        if (x.payload.length % 2) throw new NetlinkFormatError('actions.set_masked: value and mask differ in size');
        const half = x.payload.length / 2;
        out.push({
          type: 'set_masked',
          key: attrsToKey([{ type: x.type, payload: x.payload.subarray(0, half) }]),
          mask: attrsToKey([{ type: x.type, payload: x.payload.subarray(half) }], true),
        });
        break;
      }
      case 'SAMPLE': {
        const sm = attrSet('sample');
        let probability: number | undefined;
        let actions: OdpAction[] = [];
        for (const x of unique(parseAttrs(a.payload), sm, 'actions.sample')) {
          const xs = sm.byId.get(x.type)!;
          if (xs.name === 'PROBABILITY') probability = decodeValue(xs, x.payload, 'actions.sample') as number;
          else actions = attrsToActions(parseAttrs(x.payload), depth + 1);
        }
        if (probability === undefined) throw new NetlinkFormatError('actions.sample: missing PROBABILITY');
        out.push({ type: 'sample', probability, actions });
        break;
      }
      case 'RECIRC': out.push({ type: 'recirc', id: decodeValue(spec, a.payload, 'actions') as number }); break;
      case 'HASH': {
        const v = decodeValue(spec, a.payload, 'actions') as StructValue;
        out.push({ type: 'hash', alg: v.alg as number, basis: v.basis as number });
        break;
      }
      case 'TRUNC': out.push({ type: 'trunc', maxLen: decodeValue(spec, a.payload, 'actions') as number }); break;
      case 'CLONE': out.push({ type: 'clone', actions: attrsToActions(parseAttrs(a.payload), depth + 1) }); break;
      case 'METER': out.push({ type: 'meter', id: decodeValue(spec, a.payload, 'actions') as number }); break;
      case 'DROP': out.push({ type: 'drop', reason: decodeValue(spec, a.payload, 'actions') as number }); break;
      default: throw new NetlinkFormatError(`actions: action ${spec.name} is not supported by this datapath`);
    }
  }
  return out;
}
