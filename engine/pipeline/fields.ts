// The OpenFlow match fields the pipeline knows, as one flat vector of bigints (value and mask
// share the layout), plus the text conversions OVS uses for them (MAC, IPv4, integers).
//
// Layout follows OVS's `struct flow` where it matters for behaviour: ARP's spa/tpa/op live in
// nw_src/nw_dst/nw_proto, ICMP type/code live in tp_src/tp_dst, nw_tos holds the whole TOS byte
// (DSCP in the top 6 bits, ECN in the low 2), vlan_tci carries the 0x1000 "present" bit.
import { InvalidInputError } from '../util/errors.js';

export const F = {
  in_port: 0, dl_src: 1, dl_dst: 2, dl_type: 3, vlan_tci: 4, nw_src: 5, nw_dst: 6, nw_proto: 7,
  nw_tos: 8, nw_ttl: 9, tp_src: 10, tp_dst: 11, metadata: 12, arp_sha: 13, arp_tha: 14, reg0: 15,
  // Tunnel metadata (after the 16 registers): VNI/key, outer source and destination.
  tun_id: 31, tun_src: 32, tun_dst: 33,
} as const;
export const N_REGS = 16;
export const N_FIELDS = F.tun_dst + 1;
export type FieldId = number;

/** Width in bits of every field id. */
export const FIELD_BITS: readonly number[] = (() => {
  const b = [16, 48, 48, 16, 16, 32, 32, 8, 8, 8, 16, 16, 64, 48, 48];
  for (let i = 0; i < N_REGS; i++) b.push(32);
  b.push(64, 32, 32);
  return b;
})();

export function fieldMax(id: FieldId): bigint { return (1n << BigInt(FIELD_BITS[id]!)) - 1n; }

/** A packet's header fields (absent headers read as zero, as in OVS's struct flow). */
export type FlowVec = bigint[];
export function zeroVec(): FlowVec { return new Array<bigint>(N_FIELDS).fill(0n); }

export const ETH_TYPE = { IP: 0x0800, ARP: 0x0806, RARP: 0x8035, IPV6: 0x86dd, VLAN: 0x8100, VLAN_8021AD: 0x88a8, MPLS: 0x8847, MPLS_MCAST: 0x8848 } as const;
export const IPPROTO = { ICMP: 1, TCP: 6, UDP: 17, SCTP: 132, ICMPV6: 58 } as const;
export const VLAN_CFI = 0x1000;
export const VLAN_VID_MASK = 0x0fff;
export const VLAN_PCP_MASK = 0xe000;
export const IP_DSCP_MASK = 0xfc;
export const IP_ECN_MASK = 0x03;

/** OpenFlow 1.0 reserved port numbers (as OVS prints them). */
export const OFPP = {
  MAX: 0xff00, UNSET: 0xfff7, IN_PORT: 0xfff8, TABLE: 0xfff9, NORMAL: 0xfffa, FLOOD: 0xfffb, ALL: 0xfffc,
  CONTROLLER: 0xfffd, LOCAL: 0xfffe, NONE: 0xffff,
} as const;
const RESERVED_PORT_NAMES: ReadonlyMap<number, string> = new Map([
  [OFPP.UNSET, 'UNSET'], [OFPP.IN_PORT, 'IN_PORT'], [OFPP.TABLE, 'TABLE'], [OFPP.NORMAL, 'NORMAL'], [OFPP.FLOOD, 'FLOOD'],
  [OFPP.ALL, 'ALL'], [OFPP.CONTROLLER, 'CONTROLLER'], [OFPP.LOCAL, 'LOCAL'], [OFPP.NONE, 'ANY'],
]);

export function formatPort(port: number): string { return RESERVED_PORT_NAMES.get(port) ?? String(port); }

/** OVS's ofputil_port_from_string: a number below 0xff00, a reserved number, or a reserved name.
 *  Returns undefined when `s` is not a port. */
export function parsePort(s: string): number | undefined {
  if (s.startsWith('-')) return undefined;
  if (/^\+?[0-9]+$/.test(s)) {
    const n = Number(s);
    if (n < OFPP.UNSET || n <= 0xffff) return n;              // 0xff00..0xfff7 are accepted (OVS warns)
    if (n >= 0xffffff00 && n <= 0xffffffff) return n - 0xffff0000;  // OF1.1 reserved range
    return undefined;
  }
  const up = s.toUpperCase();
  for (const [n, name] of RESERVED_PORT_NAMES) if (name === up) return n;
  if (up === 'NONE') return OFPP.NONE;
  return undefined;
}

/** C-style unsigned integer: decimal, 0x hex, or leading-0 octal; undefined if not one or too wide. */
export function parseUint(s: string, bits: number): bigint | undefined {
  let v: bigint;
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) v = BigInt(s);
  else if (/^0[0-7]+$/.test(s)) v = BigInt('0o' + s.slice(1));
  else if (/^[0-9]+$/.test(s)) v = BigInt(s);
  else return undefined;
  if (v > (1n << BigInt(bits)) - 1n) return undefined;
  return v;
}

export function macToBig(mac: string): bigint {
  const m = /^([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})$/.exec(mac);
  if (!m) throw new InvalidInputError(`${mac}: invalid Ethernet address (expected xx:xx:xx:xx:xx:xx)`);
  let v = 0n;
  for (let i = 1; i <= 6; i++) v = (v << 8n) | BigInt(parseInt(m[i]!, 16));
  return v;
}
export function tryMac(mac: string): bigint | undefined {
  try { return macToBig(mac); } catch { return undefined; }
}
export function bigToMac(v: bigint): string {
  const out: string[] = [];
  for (let i = 5; i >= 0; i--) out.push(Number((v >> BigInt(i * 8)) & 0xffn).toString(16).padStart(2, '0'));
  return out.join(':');
}
export function ipToBig(ip: string): bigint | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  let v = 0n;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255) return undefined;
    v = (v << 8n) | BigInt(o);
  }
  return v;
}
export function bigToIp(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String(Number((v >> s) & 0xffn))).join('.');
}
/** Number of leading one bits when `mask` is a CIDR mask of `bits` width, else -1. */
export function cidrBits(mask: bigint, bits: number): number {
  for (let n = 0; n <= bits; n++) {
    const m = n === 0 ? 0n : (((1n << BigInt(n)) - 1n) << BigInt(bits - n));
    if (m === mask) return n;
  }
  return -1;
}
export function prefixMask(n: number, bits: number): bigint {
  return n === 0 ? 0n : (((1n << BigInt(n)) - 1n) << BigInt(bits - n));
}
export function isMulticastMac(v: bigint): boolean { return ((v >> 40n) & 1n) === 1n; }
export const BROADCAST_MAC = 0xffffffffffffn;
/** 01:80:c2:00:00:0x: link-local protocols (STP, LACP, ...), never forwarded by NORMAL. */
export function isReservedMac(v: bigint): boolean { return (v >> 4n) === 0x0180c200000n; }
