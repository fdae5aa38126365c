// An OpenFlow match: a value vector and a mask vector over the fields of fields.ts, plus the
// named "meta-flow" fields users write in flow syntax (eth_src aka dl_src, tcp_src aka tp_src...)
// and how each maps onto the vector.
import {
  F, N_FIELDS, FieldId, FlowVec, fieldMax, zeroVec, ETH_TYPE, IPPROTO, VLAN_CFI, VLAN_VID_MASK, IP_DSCP_MASK, IP_ECN_MASK,
} from './fields.js';

export interface Match { value: FlowVec; mask: FlowVec }

export function catchAll(): Match { return { value: zeroVec(), mask: zeroVec() }; }
export function cloneMatch(m: Match): Match { return { value: m.value.slice(), mask: m.mask.slice() }; }
export function matchEquals(a: Match, b: Match): boolean {
  for (let i = 0; i < N_FIELDS; i++) if (a.mask[i] !== b.mask[i] || a.value[i] !== b.value[i]) return false;
  return true;
}
/** Sets `field` to `value` under `mask` (bits outside the mask are cleared, as OVS stores them). */
export function setMasked(m: Match, field: FieldId, value: bigint, mask: bigint): void {
  m.mask[field] = mask;
  m.value[field] = value & mask;
}
/** Whether packet `flow` satisfies `m`. */
export function matchesFlow(m: Match, flow: FlowVec): boolean {
  for (let i = 0; i < N_FIELDS; i++) {
    const mk = m.mask[i]!;
    if (mk !== 0n && (flow[i]! & mk) !== m.value[i]) return false;
  }
  return true;
}
/** Whether every packet matching `narrow` also matches `wide` (non-strict OpenFlow selection). */
export function matchIsSubsetOf(narrow: Match, wide: Match): boolean {
  for (let i = 0; i < N_FIELDS; i++) {
    const wm = wide.mask[i]!;
    if (wm === 0n) continue;
    if ((narrow.mask[i]! & wm) !== wm) return false;
    if ((narrow.value[i]! & wm) !== wide.value[i]) return false;
  }
  return true;
}

export type Prereq = 'none' | 'ip' | 'ipv4' | 'arp' | 'tcp' | 'udp' | 'sctp' | 'icmp' | 'l4' | 'vlan';
export type MfSyntax = 'dec' | 'hex' | 'eth' | 'ipv4' | 'port';

/** A named field as written in flow syntax. Values are in the field's own space (`bits` wide);
 *  `toVec` maps a value/mask onto the match vector. */
export interface MetaField {
  name: string;
  aliases: string[];
  nxm: string;
  field: FieldId;
  bits: number;
  syntax: MfSyntax;
  maskable: boolean;
  writable: boolean;
  prereq: Prereq;
  /** Apply (value, mask) in this field's space to a match. */
  apply(m: Match, value: bigint, mask: bigint): void;
  /** Read this field from a packet vector. */
  read(flow: FlowVec): bigint;
  /** Write (value under mask) into a packet vector. */
  write(flow: FlowVec, value: bigint, mask: bigint): void;
}

function plain(name: string, aliases: string[], nxm: string, field: FieldId, bits: number, syntax: MfSyntax,
  maskable: boolean, prereq: Prereq, writable = true): MetaField {
  return {
    name, aliases, nxm, field, bits, syntax, maskable, writable, prereq,
    // A non-maskable field narrower or wider than its slot (icmp_type on tp_src, arp_op on
    // nw_proto) matches the whole slot exactly, as OVS's match_set_* do.
    apply(m, v, k) { setMasked(m, field, v, maskable ? k : (k === 0n ? 0n : fieldMax(field))); },
    read(flow) { return flow[field]!; },
    write(flow, v, k) { flow[field] = (flow[field]! & ~k) | (v & k); },
  };
}

/** A sub-range of bits of a vector field (DSCP, ECN, PCP...), `shift` bits up from the bottom. */
function bitsOf(name: string, aliases: string[], nxm: string, field: FieldId, bits: number, shift: number, syntax: MfSyntax,
  prereq: Prereq): MetaField {
  const full = (1n << BigInt(bits)) - 1n;
  return {
    name, aliases, nxm, field, bits, syntax, maskable: false, writable: true, prereq,
    apply(m, v, k) {
      const vm = (k & full) << BigInt(shift);
      m.mask[field] = (m.mask[field]! & ~(full << BigInt(shift))) | vm;
      m.value[field] = (m.value[field]! & ~(full << BigInt(shift))) | ((v << BigInt(shift)) & vm);
    },
    read(flow) { return (flow[field]! >> BigInt(shift)) & full; },
    write(flow, v, k) {
      const vm = (k & full) << BigInt(shift);
      flow[field] = (flow[field]! & ~vm) | ((v << BigInt(shift)) & vm);
    },
  };
}

const dlVlan: MetaField = {
  name: 'dl_vlan', aliases: [], nxm: 'NXM_OF_VLAN_TCI', field: F.vlan_tci, bits: 16, syntax: 'dec', maskable: false,
  writable: true, prereq: 'none',
  apply(m, v) {
    if (v === 0xffffn) { m.value[F.vlan_tci] = 0n; m.mask[F.vlan_tci] = 0xffffn; return; }
    m.value[F.vlan_tci] = (m.value[F.vlan_tci]! & ~BigInt(VLAN_VID_MASK)) | BigInt(VLAN_CFI) | (v & BigInt(VLAN_VID_MASK));
    m.mask[F.vlan_tci] = m.mask[F.vlan_tci]! | BigInt(VLAN_VID_MASK | VLAN_CFI);
  },
  read(flow) { return flow[F.vlan_tci]! & BigInt(VLAN_VID_MASK); },
  write(flow, v) { flow[F.vlan_tci] = (flow[F.vlan_tci]! & ~0xfffn) | (v & 0xfffn); },
};
const dlVlanPcp: MetaField = {
  name: 'dl_vlan_pcp', aliases: [], nxm: 'NXM_OF_VLAN_TCI', field: F.vlan_tci, bits: 8, syntax: 'dec', maskable: false,
  writable: true, prereq: 'none',
  apply(m, v) {
    m.value[F.vlan_tci] = (m.value[F.vlan_tci]! & ~0xe000n) | BigInt(VLAN_CFI) | ((v & 7n) << 13n);
    m.mask[F.vlan_tci] = m.mask[F.vlan_tci]! | 0xf000n;
  },
  read(flow) { return (flow[F.vlan_tci]! >> 13n) & 7n; },
  write(flow, v) { flow[F.vlan_tci] = (flow[F.vlan_tci]! & ~0xe000n) | ((v & 7n) << 13n); },
};
/** OpenFlow 1.2 vlan_vid: 13 bits, 0x1000 = "a tag is present". */
const vlanVid: MetaField = {
  name: 'vlan_vid', aliases: [], nxm: 'OXM_OF_VLAN_VID', field: F.vlan_tci, bits: 16, syntax: 'dec', maskable: true,
  writable: true, prereq: 'none',
  apply(m, v, k) {
    const km = k & 0x1fffn;
    m.mask[F.vlan_tci] = (m.mask[F.vlan_tci]! & ~0x1fffn) | km;
    m.value[F.vlan_tci] = (m.value[F.vlan_tci]! & ~0x1fffn) | (v & km);
  },
  read(flow) { return flow[F.vlan_tci]! & 0x1fffn; },
  write(flow, v, k) { const km = k & 0xfffn; flow[F.vlan_tci] = (flow[F.vlan_tci]! & ~km) | (v & km); },
};
const vlanPcp: MetaField = { ...dlVlanPcp, name: 'vlan_pcp', nxm: 'OXM_OF_VLAN_PCP', prereq: 'vlan' };

const REGS: MetaField[] = [];
for (let i = 0; i < 16; i++) REGS.push(plain(`reg${i}`, [], `NXM_NX_REG${i}`, F.reg0 + i, 32, 'hex', true, 'none'));

export const META_FIELDS: readonly MetaField[] = [
  plain('metadata', [], 'OXM_OF_METADATA', F.metadata, 64, 'hex', true, 'none'),
  plain('in_port', [], 'NXM_OF_IN_PORT', F.in_port, 16, 'port', false, 'none'),
  ...REGS,
  plain('eth_src', ['dl_src'], 'NXM_OF_ETH_SRC', F.dl_src, 48, 'eth', true, 'none'),
  plain('eth_dst', ['dl_dst'], 'NXM_OF_ETH_DST', F.dl_dst, 48, 'eth', true, 'none'),
  plain('eth_type', ['dl_type'], 'NXM_OF_ETH_TYPE', F.dl_type, 16, 'hex', false, 'none', false),
  plain('vlan_tci', [], 'NXM_OF_VLAN_TCI', F.vlan_tci, 16, 'hex', true, 'none'),
  dlVlan, vlanVid, dlVlanPcp, vlanPcp,
  plain('ip_src', ['nw_src'], 'NXM_OF_IP_SRC', F.nw_src, 32, 'ipv4', true, 'ipv4'),
  plain('ip_dst', ['nw_dst'], 'NXM_OF_IP_DST', F.nw_dst, 32, 'ipv4', true, 'ipv4'),
  plain('nw_proto', ['ip_proto'], 'NXM_OF_IP_PROTO', F.nw_proto, 8, 'dec', false, 'ip', false),
  { ...bitsOf('ip_dscp', [], 'NXM_OF_IP_TOS', F.nw_tos, 6, 2, 'dec', 'ip'), name: 'nw_tos', bits: 8,
    apply(m: Match, v: bigint, k: bigint) {
      const km = k & 0xfcn;
      m.mask[F.nw_tos] = (m.mask[F.nw_tos]! & 0x03n) | km;
      m.value[F.nw_tos] = (m.value[F.nw_tos]! & 0x03n) | (v & km);
    },
    read(flow: FlowVec) { return flow[F.nw_tos]! & 0xfcn; },
    write(flow: FlowVec, v: bigint, k: bigint) { const km = k & 0xfcn; flow[F.nw_tos] = (flow[F.nw_tos]! & ~km) | (v & km); } },
  bitsOf('ip_dscp', [], 'OXM_OF_IP_DSCP', F.nw_tos, 6, 2, 'dec', 'ip'),
  bitsOf('nw_ecn', ['ip_ecn'], 'NXM_NX_IP_ECN', F.nw_tos, 2, 0, 'dec', 'ip'),
  plain('nw_ttl', [], 'NXM_NX_IP_TTL', F.nw_ttl, 8, 'dec', false, 'ip'),
  plain('arp_op', [], 'NXM_OF_ARP_OP', F.nw_proto, 16, 'dec', false, 'arp'),
  plain('arp_spa', [], 'NXM_OF_ARP_SPA', F.nw_src, 32, 'ipv4', true, 'arp'),
  plain('arp_tpa', [], 'NXM_OF_ARP_TPA', F.nw_dst, 32, 'ipv4', true, 'arp'),
  plain('arp_sha', [], 'NXM_NX_ARP_SHA', F.arp_sha, 48, 'eth', true, 'arp'),
  plain('arp_tha', [], 'NXM_NX_ARP_THA', F.arp_tha, 48, 'eth', true, 'arp'),
  plain('tcp_src', ['tp_src'], 'NXM_OF_TCP_SRC', F.tp_src, 16, 'dec', true, 'tcp'),
  plain('tcp_dst', ['tp_dst'], 'NXM_OF_TCP_DST', F.tp_dst, 16, 'dec', true, 'tcp'),
  plain('udp_src', [], 'NXM_OF_UDP_SRC', F.tp_src, 16, 'dec', true, 'udp'),
  plain('udp_dst', [], 'NXM_OF_UDP_DST', F.tp_dst, 16, 'dec', true, 'udp'),
  plain('sctp_src', [], 'OXM_OF_SCTP_SRC', F.tp_src, 16, 'dec', true, 'sctp'),
  plain('sctp_dst', [], 'OXM_OF_SCTP_DST', F.tp_dst, 16, 'dec', true, 'sctp'),
  plain('icmp_type', [], 'NXM_OF_ICMP_TYPE', F.tp_src, 8, 'dec', false, 'icmp'),
  plain('icmp_code', [], 'NXM_OF_ICMP_CODE', F.tp_dst, 8, 'dec', false, 'icmp'),
  plain('tun_id', ['tunnel_id'], 'NXM_NX_TUN_ID', F.tun_id, 64, 'hex', true, 'none'),
  plain('tun_src', [], 'NXM_NX_TUN_IPV4_SRC', F.tun_src, 32, 'ipv4', true, 'none'),
  plain('tun_dst', [], 'NXM_NX_TUN_IPV4_DST', F.tun_dst, 32, 'ipv4', true, 'none'),
];

const BY_NAME = new Map<string, MetaField>();
const BY_NXM = new Map<string, MetaField>();
for (const mf of META_FIELDS) {
  BY_NAME.set(mf.name, mf);
  for (const a of mf.aliases) BY_NAME.set(a, mf);
  if (!BY_NXM.has(mf.nxm)) BY_NXM.set(mf.nxm, mf);
}
// tp_src/tp_dst were the OF1.0 names of the TCP fields; NXM names resolve to the first field
// listed with that header, which is the canonical one for loads.
export function metaFieldByName(name: string): MetaField | undefined { return BY_NAME.get(name); }
export function metaFieldByNxm(name: string): MetaField | undefined { return BY_NXM.get(name) ?? BY_NAME.get(name); }

/** Whether the match (as a flow with its mask) satisfies a prerequisite. */
export function prereqMet(m: Match, p: Prereq): boolean {
  const dlTypeExact = m.mask[F.dl_type] === 0xffffn;
  const dt = dlTypeExact ? Number(m.value[F.dl_type]) : -1;
  const isIp = dt === ETH_TYPE.IP || dt === ETH_TYPE.IPV6;
  const proto = m.mask[F.nw_proto] === 0xffn ? Number(m.value[F.nw_proto]) : -1;
  switch (p) {
    case 'none': return true;
    case 'ip': return isIp;
    case 'ipv4': return dt === ETH_TYPE.IP;
    case 'arp': return dt === ETH_TYPE.ARP || dt === ETH_TYPE.RARP;
    case 'tcp': return isIp && proto === IPPROTO.TCP;
    case 'udp': return isIp && proto === IPPROTO.UDP;
    case 'sctp': return isIp && proto === IPPROTO.SCTP;
    case 'icmp': return dt === ETH_TYPE.IP && proto === IPPROTO.ICMP;
    case 'l4': return isIp && (proto === IPPROTO.TCP || proto === IPPROTO.UDP || proto === IPPROTO.SCTP);
    case 'vlan': return (m.mask[F.vlan_tci]! & BigInt(VLAN_CFI)) !== 0n && (m.value[F.vlan_tci]! & BigInt(VLAN_CFI)) !== 0n;
  }
}

/** OVS's ofputil_normalize_match: clear fields whose prerequisites the match does not state
 *  (nw_src without ip, tp_dst without tcp/udp, ...). Returns true when something was cleared. */
export function normalizeMatch(m: Match): boolean {
  const dt = m.mask[F.dl_type] !== 0n ? Number(m.value[F.dl_type]) : 0;
  const proto = Number(m.value[F.nw_proto]);
  let mayNwAddr = false, mayTp = false, mayProto = false, mayIpvx = false, mayArp = false;
  if (dt === ETH_TYPE.IP) {
    mayProto = mayIpvx = mayNwAddr = true;
    if (proto === IPPROTO.TCP || proto === IPPROTO.UDP || proto === IPPROTO.SCTP || proto === IPPROTO.ICMP) mayTp = true;
  } else if (dt === ETH_TYPE.IPV6) {
    mayProto = mayIpvx = true;
    if (proto === IPPROTO.TCP || proto === IPPROTO.UDP || proto === IPPROTO.SCTP || proto === IPPROTO.ICMPV6) mayTp = true;
  } else if (dt === ETH_TYPE.ARP || dt === ETH_TYPE.RARP) {
    mayProto = mayNwAddr = mayArp = true;
  }
  const clear: FieldId[] = [];
  if (!mayNwAddr) clear.push(F.nw_src, F.nw_dst);
  if (!mayTp) clear.push(F.tp_src, F.tp_dst);
  if (!mayProto) clear.push(F.nw_proto);
  if (!mayIpvx) clear.push(F.nw_tos, F.nw_ttl);
  if (!mayArp) clear.push(F.arp_sha, F.arp_tha);
  let changed = false;
  for (const f of clear) {
    if (m.mask[f] !== 0n) changed = true;
    m.mask[f] = 0n;
    m.value[f] = 0n;
  }
  return changed;
}

export { IP_DSCP_MASK, IP_ECN_MASK, fieldMax };
