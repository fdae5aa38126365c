// Frame -> datapath flow key, with the fields OVS's flow_extract puts in an ODP key: Ethernet, one
// 802.1Q tag (TCI with the 0x1000 present bit, `ethType` = the inner type), ARP, IPv4 (+fragments),
// IPv6 (+extension headers, fragments, ICMPv6 neighbor discovery), TCP (+flags), UDP, SCTP, ICMP.
//
// Two forms of one key:
// - "words": a fixed Uint32Array of KEY_WORDS, one field (or 32 bits of one) per word, filled
//   without allocating. The datapath's classifier hashes and compares these (masked by a mask in
//   the same form); extractKeyWords is the one parser.
// - OdpFlowKey (engine/channel/odp-types.ts), the typed form the engine, pipeline and netlink codec
//   use: keyFromWords / keyToWords / maskToWords convert.
// Which sub-structs an OdpFlowKey carries follows OVS: ipv4/ipv6 for IP ethertypes, tcp+tcpFlags,
// udp, sctp, icmp/icmpv6 when the protocol says so and the packet is not a later fragment, nd for
// ICMPv6 neighbor solicitation/advertisement (code 0), arp for ARP/RARP; `ethType` is absent for
// 802.3 frames without a SNAP ethertype (OVS's "FLOW_DL_TYPE_NONE", word value 0x05ff).
import type { OdpFlowKey, OdpTunnelKey } from './odp-types.js';
import { InvalidInputError } from '../util/errors.js';

export const W = {
  IN_PORT: 0, RECIRC: 1, SKB_MARK: 2, PRIORITY: 3, DP_HASH: 4,
  DL_DST_HI: 5, DL_DST_LO: 6, DL_SRC_HI: 7, DL_SRC_LO: 8,
  VLAN: 9, DL_TYPE: 10,
  NW_SRC: 11, NW_DST: 12, NW_PROTO: 13, NW_TOS: 14, NW_TTL: 15, NW_FRAG: 16,
  IPV6_SRC: 17, IPV6_DST: 21, IPV6_LABEL: 25,
  TP_SRC: 26, TP_DST: 27, TCP_FLAGS: 28,
  ARP_SHA_HI: 29, ARP_SHA_LO: 30, ARP_THA_HI: 31, ARP_THA_LO: 32,
  ND_TARGET: 33,
  // Tunnel metadata (OVS_KEY_ATTR_TUNNEL): set by the tunnel port that decapsulated the frame.
  TUN_ID_HI: 37, TUN_ID_LO: 38, TUN_SRC: 39, TUN_DST: 40, TUN_TOS: 41, TUN_TTL: 42, TUN_TP_SRC: 43, TUN_TP_DST: 44, TUN_FLAGS: 45,
} as const;
export const KEY_WORDS = 46;

/** Bits of the W.TUN_FLAGS word (a key with an `id` has TUN_F_KEY, as the kernel's TUNNEL_KEY). */
export const TUN_F_DF = 0x1;
export const TUN_F_CSUM = 0x2;
export const TUN_F_KEY = 0x4;
export const TUN_F_OAM = 0x8;

export const ETH_TYPE_IP = 0x0800;
export const ETH_TYPE_ARP = 0x0806;
export const ETH_TYPE_RARP = 0x8035;
export const ETH_TYPE_VLAN = 0x8100;
export const ETH_TYPE_IPV6 = 0x86dd;
export const ETH_TYPE_NONE = 0x05ff;
export const VLAN_CFI = 0x1000;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_SCTP = 132;
export const FRAG_NONE = 0;
export const FRAG_FIRST = 1;
export const FRAG_LATER = 2;

/** Offsets found while parsing, relative to the frame start; -1 when the layer is absent. */
export const OFF = { L3: 0, L4: 1 } as const;

function rd16(b: Uint8Array, o: number): number { return (b[o]! << 8) | b[o + 1]!; }
function rd32(b: Uint8Array, o: number): number { return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0; }

/**
 * Parses the Ethernet frame buf[off, off+len) into `out` (KEY_WORDS words, overwritten entirely).
 * `offsets`, if given, receives [L3 offset, L4 offset] relative to `off` (-1 when absent).
 * Returns false for a runt frame (< 14 bytes), which has no key beyond its metadata.
 */
export function extractKeyWords(buf: Uint8Array, off: number, len: number, inPort: number, out: Uint32Array, offsets?: Int32Array): boolean {
  out.fill(0);
  out[W.IN_PORT] = inPort >>> 0;
  if (offsets) { offsets[0] = -1; offsets[1] = -1; }
  if (len < 14) return false;
  const end = off + len;
  out[W.DL_DST_HI] = rd32(buf, off);
  out[W.DL_DST_LO] = rd16(buf, off + 4);
  out[W.DL_SRC_HI] = rd32(buf, off + 6);
  out[W.DL_SRC_LO] = rd16(buf, off + 10);
  let p = off + 12;
  let type = rd16(buf, p);
  p += 2;
  if (type === ETH_TYPE_VLAN) {
    if (end - p < 4) { out[W.DL_TYPE] = ETH_TYPE_VLAN; return true; }
    out[W.VLAN] = rd16(buf, p) | VLAN_CFI;
    type = rd16(buf, p + 2);
    p += 4;
  }
  if (type < 0x600) {
    // 802.3 length field: an LLC/SNAP header may carry an Ethernet II type.
    if (end - p >= 8 && buf[p] === 0xaa && buf[p + 1] === 0xaa && buf[p + 2] === 0x03 && buf[p + 3] === 0 && buf[p + 4] === 0 && buf[p + 5] === 0 && rd16(buf, p + 6) >= 0x600) {
      type = rd16(buf, p + 6);
      p += 8;
    } else {
      out[W.DL_TYPE] = ETH_TYPE_NONE;
      return true;
    }
  }
  out[W.DL_TYPE] = type;
  if (type === ETH_TYPE_IP) parseIpv4(buf, p, end, out, offsets, off);
  else if (type === ETH_TYPE_IPV6) parseIpv6(buf, p, end, out, offsets, off);
  else if (type === ETH_TYPE_ARP || type === ETH_TYPE_RARP) parseArp(buf, p, end, out, offsets, off);
  return true;
}

function parseArp(b: Uint8Array, p: number, end: number, out: Uint32Array, offsets: Int32Array | undefined, base: number): void {
  if (offsets) offsets[0] = p - base;
  if (end - p < 28 || rd16(b, p) !== 1 || rd16(b, p + 2) !== ETH_TYPE_IP || b[p + 4] !== 6 || b[p + 5] !== 4) return;
  const op = rd16(b, p + 6);
  out[W.NW_PROTO] = op <= 0xff ? op : 0;
  out[W.ARP_SHA_HI] = rd32(b, p + 8);
  out[W.ARP_SHA_LO] = rd16(b, p + 12);
  out[W.NW_SRC] = rd32(b, p + 14);
  out[W.ARP_THA_HI] = rd32(b, p + 18);
  out[W.ARP_THA_LO] = rd16(b, p + 22);
  out[W.NW_DST] = rd32(b, p + 24);
}

function parseIpv4(b: Uint8Array, p: number, end: number, out: Uint32Array, offsets: Int32Array | undefined, base: number): void {
  if (offsets) offsets[0] = p - base;
  if (end - p < 20) return;
  const ihl = (b[p]! & 0x0f) * 4;
  const version = b[p]! >> 4;
  const totLen = rd16(b, p + 2);
  if (version !== 4 || ihl < 20 || end - p < ihl || totLen < ihl || totLen > end - p) return;
  out[W.NW_SRC] = rd32(b, p + 12);
  out[W.NW_DST] = rd32(b, p + 16);
  out[W.NW_TOS] = b[p + 1]!;
  out[W.NW_TTL] = b[p + 8]!;
  const proto = b[p + 9]!;
  out[W.NW_PROTO] = proto;
  const fragField = rd16(b, p + 6);
  let frag = FRAG_NONE;
  if (fragField & 0x3fff) frag = (fragField & 0x1fff) ? FRAG_LATER : FRAG_FIRST;
  out[W.NW_FRAG] = frag;
  if (frag === FRAG_LATER) return;
  parseL4(b, p + ihl, p + totLen, proto, out, offsets, base);
}

function isIpv6ExtHeader(nh: number): boolean {
  return nh === 0 || nh === 43 || nh === 60 || nh === 44 || nh === 51;
}

function parseIpv6(b: Uint8Array, p: number, end: number, out: Uint32Array, offsets: Int32Array | undefined, base: number): void {
  if (offsets) offsets[0] = p - base;
  if (end - p < 40) return;
  const vtf = rd32(b, p);
  if (vtf >>> 28 !== 6) return;
  const payloadLen = rd16(b, p + 4);
  if (payloadLen > end - p - 40) return;
  out[W.NW_TOS] = (vtf >>> 20) & 0xff;
  out[W.IPV6_LABEL] = vtf & 0xfffff;
  out[W.NW_TTL] = b[p + 7]!;
  for (let i = 0; i < 4; i++) {
    out[W.IPV6_SRC + i] = rd32(b, p + 8 + 4 * i);
    out[W.IPV6_DST + i] = rd32(b, p + 24 + 4 * i);
  }
  let nh = b[p + 6]!;
  const l3end = p + 40 + payloadLen;
  let q = p + 40;
  let frag = FRAG_NONE;
  while (isIpv6ExtHeader(nh)) {
    if (l3end - q < 8) { out[W.NW_PROTO] = nh; out[W.NW_FRAG] = frag; return; }
    if (nh === 44) {
      const fo = rd16(b, q + 2);
      const next = b[q]!;
      if ((fo & 0xfff9) !== 0) frag = (fo & 0xfff8) ? FRAG_LATER : FRAG_FIRST;
      q += 8;
      nh = next;
      if (frag === FRAG_LATER) { out[W.NW_PROTO] = nh; out[W.NW_FRAG] = frag; return; }
    } else {
      const next = b[q]!;
      const hlen = nh === 51 ? (b[q + 1]! + 2) * 4 : (b[q + 1]! + 1) * 8;
      q += hlen;
      nh = next;
    }
  }
  out[W.NW_PROTO] = nh;
  out[W.NW_FRAG] = frag;
  if (q > l3end) return;
  parseL4(b, q, l3end, nh, out, offsets, base);
}

function parseL4(b: Uint8Array, q: number, end: number, proto: number, out: Uint32Array, offsets: Int32Array | undefined, base: number): void {
  const avail = end - q;
  if (proto === IPPROTO_TCP) {
    if (avail < 20) return;
    const doff = (b[q + 12]! >> 4) * 4;
    if (doff < 20 || doff > avail) return;
    out[W.TP_SRC] = rd16(b, q);
    out[W.TP_DST] = rd16(b, q + 2);
    out[W.TCP_FLAGS] = rd16(b, q + 12) & 0x0fff;
  } else if (proto === IPPROTO_UDP || proto === IPPROTO_SCTP) {
    if (avail < (proto === IPPROTO_UDP ? 8 : 12)) return;
    out[W.TP_SRC] = rd16(b, q);
    out[W.TP_DST] = rd16(b, q + 2);
  } else if (proto === IPPROTO_ICMP) {
    if (avail < 4) return;
    out[W.TP_SRC] = b[q]!;
    out[W.TP_DST] = b[q + 1]!;
  } else if (proto === IPPROTO_ICMPV6) {
    if (avail < 4) return;
    const type = b[q]!;
    const code = b[q + 1]!;
    out[W.TP_SRC] = type;
    out[W.TP_DST] = code;
    if ((type === 135 || type === 136) && code === 0) parseNd(b, q, end, type, out);
  } else {
    return;
  }
  if (offsets) offsets[1] = q - base;
}

function parseNd(b: Uint8Array, q: number, end: number, type: number, out: Uint32Array): void {
  if (end - q < 24) return;
  for (let i = 0; i < 4; i++) out[W.ND_TARGET + i] = rd32(b, q + 8 + 4 * i);
  let o = q + 24;
  let sllSeen = false, tllSeen = false;
  while (end - o >= 8) {
    const optType = b[o]!;
    const optLen = b[o + 1]! * 8;
    if (optLen === 0 || optLen > end - o) break;
    if (optType === 1 && type === 135 && optLen === 8) {
      if (sllSeen) { invalidNd(out); return; }
      sllSeen = true;
      out[W.ARP_SHA_HI] = rd32(b, o + 2);
      out[W.ARP_SHA_LO] = rd16(b, o + 6);
    } else if (optType === 2 && type === 136 && optLen === 8) {
      if (tllSeen) { invalidNd(out); return; }
      tllSeen = true;
      out[W.ARP_THA_HI] = rd32(b, o + 2);
      out[W.ARP_THA_LO] = rd16(b, o + 6);
    }
    o += optLen;
  }
}

function invalidNd(out: Uint32Array): void {
  for (let i = 0; i < 4; i++) out[W.ND_TARGET + i] = 0;
  out[W.ARP_SHA_HI] = 0; out[W.ARP_SHA_LO] = 0; out[W.ARP_THA_HI] = 0; out[W.ARP_THA_LO] = 0;
}

// ---------------------------------------------------------------------------------------------
// Text <-> words for addresses.

export function macToWords(mac: string, what = 'MAC address'): [number, number] {
  const m = /^([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})$/.exec(mac);
  if (!m) throw new InvalidInputError(`invalid ${what} ${JSON.stringify(mac)}: expected aa:bb:cc:dd:ee:ff`);
  const v = m.slice(1).map((h) => parseInt(h, 16));
  return [((v[0]! << 24) | (v[1]! << 16) | (v[2]! << 8) | v[3]!) >>> 0, (v[4]! << 8) | v[5]!];
}

export function wordsToMac(hi: number, lo: number): string {
  const h = (x: number) => (x & 0xff).toString(16).padStart(2, '0');
  return `${h(hi >>> 24)}:${h(hi >>> 16)}:${h(hi >>> 8)}:${h(hi)}:${h(lo >>> 8)}:${h(lo)}`;
}

export function ipv4ToWord(ip: string, what = 'IPv4 address'): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  const v = m ? m.slice(1).map(Number) : [];
  if (!m || v.some((x) => x > 255)) throw new InvalidInputError(`invalid ${what} ${JSON.stringify(ip)}: expected dotted quad like 10.0.0.1`);
  return ((v[0]! << 24) | (v[1]! << 16) | (v[2]! << 8) | v[3]!) >>> 0;
}

export function wordToIpv4(w: number): string {
  return `${w >>> 24}.${(w >>> 16) & 0xff}.${(w >>> 8) & 0xff}.${w & 0xff}`;
}

export function ipv6ToWords(ip: string, what = 'IPv6 address'): [number, number, number, number] {
  const bad = () => new InvalidInputError(`invalid ${what} ${JSON.stringify(ip)}: expected an IPv6 address like fe80::1`);
  if (typeof ip !== 'string' || ip.length > 45) throw bad();
  let text = ip;
  const groups: number[] = [];
  const v4 = /(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(text);
  let tail: number[] = [];
  if (v4) {
    const w = ipv4ToWord(v4[1]!, what);
    tail = [w >>> 16, w & 0xffff];
    text = text.slice(0, -v4[1]!.length);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const parts = text.split('::');
  if (parts.length > 2) throw bad();
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad();
    return parseInt(g, 16);
  }));
  const head = parse(parts[0]!);
  const rest = parts.length === 2 ? parse(parts[1]!) : [];
  const total = head.length + rest.length + tail.length;
  if (parts.length === 2) {
    if (total > 7) throw bad();
    groups.push(...head, ...new Array<number>(8 - total).fill(0), ...rest, ...tail);
  } else {
    if (total !== 8) throw bad();
    groups.push(...head, ...tail);
  }
  const w: number[] = [];
  for (let i = 0; i < 4; i++) w.push(((groups[2 * i]! << 16) | groups[2 * i + 1]!) >>> 0);
  return w as [number, number, number, number];
}

/** RFC 5952 text: lower case, longest run (>= 2) of zero groups as "::". */
export function wordsToIpv6(w: ArrayLike<number>, off = 0): string {
  const g: number[] = [];
  for (let i = 0; i < 4; i++) { const x = w[off + i]! >>> 0; g.push(x >>> 16, x & 0xffff); }
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

// ---------------------------------------------------------------------------------------------
// Words <-> OdpFlowKey.

/** The typed key of an extracted frame (what an upcall carries). */
export function keyFromWords(w: Uint32Array): OdpFlowKey {
  const k: OdpFlowKey = { priority: w[W.PRIORITY]!, skbMark: w[W.SKB_MARK]!, inPort: w[W.IN_PORT]!, recircId: w[W.RECIRC]!, dpHash: w[W.DP_HASH]! };
  if (w[W.TUN_DST]) k.tunnel = tunnelFromWords(w);
  k.eth = { src: wordsToMac(w[W.DL_SRC_HI]!, w[W.DL_SRC_LO]!), dst: wordsToMac(w[W.DL_DST_HI]!, w[W.DL_DST_LO]!) };
  if (w[W.VLAN]) k.vlanTci = w[W.VLAN]!;
  const type = w[W.DL_TYPE]!;
  if (type === ETH_TYPE_NONE) return k;
  k.ethType = type;
  const proto = w[W.NW_PROTO]!;
  const frag = w[W.NW_FRAG]!;
  if (type === ETH_TYPE_IP) {
    k.ipv4 = { src: wordToIpv4(w[W.NW_SRC]!), dst: wordToIpv4(w[W.NW_DST]!), proto, tos: w[W.NW_TOS]!, ttl: w[W.NW_TTL]!, frag };
  } else if (type === ETH_TYPE_IPV6) {
    k.ipv6 = { src: wordsToIpv6(w, W.IPV6_SRC), dst: wordsToIpv6(w, W.IPV6_DST), label: w[W.IPV6_LABEL]!, proto, tclass: w[W.NW_TOS]!, hlimit: w[W.NW_TTL]!, frag };
  } else if (type === ETH_TYPE_ARP || type === ETH_TYPE_RARP) {
    k.arp = { sip: wordToIpv4(w[W.NW_SRC]!), tip: wordToIpv4(w[W.NW_DST]!), op: proto, sha: wordsToMac(w[W.ARP_SHA_HI]!, w[W.ARP_SHA_LO]!), tha: wordsToMac(w[W.ARP_THA_HI]!, w[W.ARP_THA_LO]!) };
    return k;
  } else {
    return k;
  }
  if (frag === FRAG_LATER) return k;
  const ports = { src: w[W.TP_SRC]!, dst: w[W.TP_DST]! };
  if (proto === IPPROTO_TCP) { k.tcp = ports; k.tcpFlags = w[W.TCP_FLAGS]!; }
  else if (proto === IPPROTO_UDP) k.udp = ports;
  else if (proto === IPPROTO_SCTP) k.sctp = ports;
  else if (proto === IPPROTO_ICMP && type === ETH_TYPE_IP) k.icmp = { type: ports.src, code: ports.dst };
  else if (proto === IPPROTO_ICMPV6 && type === ETH_TYPE_IPV6) {
    k.icmpv6 = { type: ports.src, code: ports.dst };
    if ((ports.src === 135 || ports.src === 136) && ports.dst === 0) {
      k.nd = { target: wordsToIpv6(w, W.ND_TARGET), sll: wordsToMac(w[W.ARP_SHA_HI]!, w[W.ARP_SHA_LO]!), tll: wordsToMac(w[W.ARP_THA_HI]!, w[W.ARP_THA_LO]!) };
    }
  }
  return k;
}

/** The tunnel metadata words as an OdpTunnelKey (a tunnel is present when its destination is set). */
export function tunnelFromWords(w: ArrayLike<number>): OdpTunnelKey {
  const flags = w[W.TUN_FLAGS]!;
  const t: OdpTunnelKey = {};
  if (flags & TUN_F_KEY) t.id = (BigInt(w[W.TUN_ID_HI]! >>> 0) << 32n) | BigInt(w[W.TUN_ID_LO]! >>> 0);
  t.ipv4Src = wordToIpv4(w[W.TUN_SRC]! >>> 0);
  t.ipv4Dst = wordToIpv4(w[W.TUN_DST]! >>> 0);
  t.tos = w[W.TUN_TOS]!;
  t.ttl = w[W.TUN_TTL]!;
  if (flags & TUN_F_DF) t.dontFragment = true;
  if (flags & TUN_F_CSUM) t.csum = true;
  if (flags & TUN_F_OAM) t.oam = true;
  t.tpSrc = w[W.TUN_TP_SRC]!;
  t.tpDst = w[W.TUN_TP_DST]!;
  return t;
}

function tunnelToWords(t: OdpTunnelKey, out: Uint32Array, what: string, asMask: boolean): void {
  if (typeof t !== 'object' || t === null) throw new InvalidInputError(`invalid ${what} tunnel ${JSON.stringify(t)}: expected an object`);
  let flags = 0;
  if (t.id !== undefined) {
    if (typeof t.id !== 'bigint' || t.id < 0n || t.id >= 1n << 64n) throw new InvalidInputError(`invalid ${what} tunnel.id ${String(t.id)}: expected an unsigned 64-bit bigint`);
    out[W.TUN_ID_HI] = Number(t.id >> 32n) >>> 0;
    out[W.TUN_ID_LO] = Number(t.id & 0xffffffffn) >>> 0;
    if (!asMask || t.id !== 0n) flags |= TUN_F_KEY;
  }
  if (t.ipv4Src !== undefined) out[W.TUN_SRC] = ipv4ToWord(t.ipv4Src, `${what} tunnel.ipv4Src`);
  if (t.ipv4Dst !== undefined) out[W.TUN_DST] = ipv4ToWord(t.ipv4Dst, `${what} tunnel.ipv4Dst`);
  if (t.tos !== undefined) out[W.TUN_TOS] = num(t.tos, 8, `${what} tunnel.tos`);
  if (t.ttl !== undefined) out[W.TUN_TTL] = num(t.ttl, 8, `${what} tunnel.ttl`);
  if (t.tpSrc !== undefined) out[W.TUN_TP_SRC] = num(t.tpSrc, 16, `${what} tunnel.tpSrc`);
  if (t.tpDst !== undefined) out[W.TUN_TP_DST] = num(t.tpDst, 16, `${what} tunnel.tpDst`);
  if (t.dontFragment) flags |= TUN_F_DF;
  if (t.csum) flags |= TUN_F_CSUM;
  if (t.oam) flags |= TUN_F_OAM;
  out[W.TUN_FLAGS] = flags;
}

/** Parses a frame into a typed key (the pipeline's and the upcall's form). */
export function extractFlowKey(frame: Uint8Array, inPort = 0): OdpFlowKey {
  const w = new Uint32Array(KEY_WORDS);
  extractKeyWords(frame, 0, frame.length, inPort, w);
  return keyFromWords(w);
}

function num(v: unknown, bits: number, what: string): number {
  const max = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw new InvalidInputError(`invalid ${what} ${JSON.stringify(v)}: expected an integer 0-${max}`);
  }
  return v >>> 0;
}

/**
 * Writes a typed key (or a mask: `asMask`) into words. For a key, fields absent are 0; for a mask,
 * absent = wildcarded (0). Throws InvalidInputError naming a bad field.
 */
export function keyToWords(k: OdpFlowKey, out: Uint32Array = new Uint32Array(KEY_WORDS), asMask = false): Uint32Array {
  out.fill(0);
  const what = asMask ? 'mask' : 'key';
  if (k.inPort !== undefined) out[W.IN_PORT] = num(k.inPort, 32, `${what} inPort`);
  if (k.recircId !== undefined) out[W.RECIRC] = num(k.recircId, 32, `${what} recircId`);
  if (k.skbMark !== undefined) out[W.SKB_MARK] = num(k.skbMark, 32, `${what} skbMark`);
  if (k.priority !== undefined) out[W.PRIORITY] = num(k.priority, 32, `${what} priority`);
  if (k.dpHash !== undefined) out[W.DP_HASH] = num(k.dpHash, 32, `${what} dpHash`);
  if (k.tunnel !== undefined) tunnelToWords(k.tunnel, out, what, asMask);
  if (k.eth) {
    [out[W.DL_SRC_HI], out[W.DL_SRC_LO]] = macToWords(k.eth.src, `${what} eth.src`);
    [out[W.DL_DST_HI], out[W.DL_DST_LO]] = macToWords(k.eth.dst, `${what} eth.dst`);
  }
  if (k.vlanTci !== undefined) out[W.VLAN] = num(k.vlanTci, 16, `${what} vlanTci`);
  if (k.ethType !== undefined) out[W.DL_TYPE] = num(k.ethType, 16, `${what} ethType`);
  else if (!asMask && k.eth) out[W.DL_TYPE] = ETH_TYPE_NONE;
  const l3 = (src: string, dst: string, sub: string) => {
    out[W.NW_SRC] = ipv4ToWord(src, `${what} ${sub}.src`);
    out[W.NW_DST] = ipv4ToWord(dst, `${what} ${sub}.dst`);
  };
  if (k.ipv4) {
    l3(k.ipv4.src, k.ipv4.dst, 'ipv4');
    out[W.NW_PROTO] = num(k.ipv4.proto, 8, `${what} ipv4.proto`);
    out[W.NW_TOS] = num(k.ipv4.tos, 8, `${what} ipv4.tos`);
    out[W.NW_TTL] = num(k.ipv4.ttl, 8, `${what} ipv4.ttl`);
    out[W.NW_FRAG] = num(k.ipv4.frag, 8, `${what} ipv4.frag`);
  }
  if (k.ipv6) {
    const s = ipv6ToWords(k.ipv6.src, `${what} ipv6.src`);
    const d = ipv6ToWords(k.ipv6.dst, `${what} ipv6.dst`);
    for (let i = 0; i < 4; i++) { out[W.IPV6_SRC + i] = s[i]!; out[W.IPV6_DST + i] = d[i]!; }
    out[W.IPV6_LABEL] = num(k.ipv6.label, 20, `${what} ipv6.label`);
    out[W.NW_PROTO] = num(k.ipv6.proto, 8, `${what} ipv6.proto`);
    out[W.NW_TOS] = num(k.ipv6.tclass, 8, `${what} ipv6.tclass`);
    out[W.NW_TTL] = num(k.ipv6.hlimit, 8, `${what} ipv6.hlimit`);
    out[W.NW_FRAG] = num(k.ipv6.frag, 8, `${what} ipv6.frag`);
  }
  if (k.arp) {
    l3(k.arp.sip, k.arp.tip, 'arp');
    out[W.NW_PROTO] = num(k.arp.op, asMask ? 16 : 8, `${what} arp.op`) & 0xff;
    [out[W.ARP_SHA_HI], out[W.ARP_SHA_LO]] = macToWords(k.arp.sha, `${what} arp.sha`);
    [out[W.ARP_THA_HI], out[W.ARP_THA_LO]] = macToWords(k.arp.tha, `${what} arp.tha`);
  }
  const ports = k.tcp ?? k.udp ?? k.sctp;
  if (ports) {
    out[W.TP_SRC] = num(ports.src, 16, `${what} ports.src`);
    out[W.TP_DST] = num(ports.dst, 16, `${what} ports.dst`);
  }
  const icmp = k.icmp ?? k.icmpv6;
  if (icmp) {
    out[W.TP_SRC] = num(icmp.type, 8, `${what} icmp.type`);
    out[W.TP_DST] = num(icmp.code, 8, `${what} icmp.code`);
  }
  if (k.tcpFlags !== undefined) out[W.TCP_FLAGS] = num(k.tcpFlags, 16, `${what} tcpFlags`) & 0x0fff;
  if (k.nd) {
    const t = ipv6ToWords(k.nd.target, `${what} nd.target`);
    for (let i = 0; i < 4; i++) out[W.ND_TARGET + i] = t[i]!;
    [out[W.ARP_SHA_HI], out[W.ARP_SHA_LO]] = macToWords(k.nd.sll, `${what} nd.sll`);
    [out[W.ARP_THA_HI], out[W.ARP_THA_LO]] = macToWords(k.nd.tll, `${what} nd.tll`);
  }
  return out;
}

/** The mask in word form; absent fields are wildcards. */
export function maskToWords(mask: OdpFlowKey, out?: Uint32Array): Uint32Array {
  return keyToWords(mask, out, true);
}

/**
 * The mask OVS implies for a flow put without a mask: every field present in the key is exact,
 * including "no VLAN" and, for an Ethernet key without ethType, "not Ethernet II".
 */
export function exactMaskWords(k: OdpFlowKey): Uint32Array {
  const m = new Uint32Array(KEY_WORDS);
  const set = (i: number, n = 1, v = 0xffffffff) => { for (let j = 0; j < n; j++) m[i + j] = v; };
  if (k.inPort !== undefined) set(W.IN_PORT);
  if (k.recircId !== undefined) set(W.RECIRC);
  if (k.skbMark !== undefined) set(W.SKB_MARK);
  if (k.priority !== undefined) set(W.PRIORITY);
  if (k.dpHash !== undefined) set(W.DP_HASH);
  if (k.tunnel) {
    // The kernel matches a tunnel key's fields exactly, and its flags (key/df/csum/oam) as a whole.
    const t = k.tunnel;
    if (t.id !== undefined) set(W.TUN_ID_HI, 2);
    if (t.ipv4Src !== undefined) set(W.TUN_SRC);
    if (t.ipv4Dst !== undefined) set(W.TUN_DST);
    if (t.tos !== undefined) set(W.TUN_TOS, 1, 0xff);
    if (t.ttl !== undefined) set(W.TUN_TTL, 1, 0xff);
    if (t.tpSrc !== undefined) set(W.TUN_TP_SRC, 1, 0xffff);
    if (t.tpDst !== undefined) set(W.TUN_TP_DST, 1, 0xffff);
    set(W.TUN_FLAGS, 1, TUN_F_DF | TUN_F_CSUM | TUN_F_KEY | TUN_F_OAM);
  }
  if (k.eth) { set(W.DL_DST_HI); set(W.DL_DST_LO, 1, 0xffff); set(W.DL_SRC_HI); set(W.DL_SRC_LO, 1, 0xffff); set(W.VLAN, 1, 0xffff); set(W.DL_TYPE, 1, 0xffff); }
  if (k.vlanTci !== undefined) set(W.VLAN, 1, 0xffff);
  if (k.ethType !== undefined) set(W.DL_TYPE, 1, 0xffff);
  if (k.ipv4 || k.arp) { set(W.NW_SRC, 2); set(W.NW_PROTO, 1, 0xff); }
  if (k.ipv4 || k.ipv6) { set(W.NW_TOS, 1, 0xff); set(W.NW_TTL, 1, 0xff); set(W.NW_FRAG, 1, 0xff); set(W.NW_PROTO, 1, 0xff); }
  if (k.ipv6) { set(W.IPV6_SRC, 8); set(W.IPV6_LABEL, 1, 0xfffff); }
  if (k.arp) { set(W.ARP_SHA_HI); set(W.ARP_SHA_LO, 1, 0xffff); set(W.ARP_THA_HI); set(W.ARP_THA_LO, 1, 0xffff); }
  if (k.tcp || k.udp || k.sctp) { set(W.TP_SRC, 2, 0xffff); }
  if (k.icmp || k.icmpv6) { set(W.TP_SRC, 2, 0xff); }
  if (k.tcpFlags !== undefined) set(W.TCP_FLAGS, 1, 0x0fff);
  if (k.nd) { set(W.ND_TARGET, 4); set(W.ARP_SHA_HI); set(W.ARP_SHA_LO, 1, 0xffff); set(W.ARP_THA_HI); set(W.ARP_THA_LO, 1, 0xffff); }
  return m;
}

/** True when (packet & mask) == (flow & mask) over every word. */
export function wordsMatch(packet: Uint32Array, flow: Uint32Array, mask: Uint32Array): boolean {
  for (let i = 0; i < KEY_WORDS; i++) if (((packet[i]! ^ flow[i]!) & mask[i]!) !== 0) return false;
  return true;
}

/** Masked match on typed keys: does a packet's key fall under a flow's key/mask (megaflow)? */
export function flowKeyMatches(packetKey: OdpFlowKey, flowKey: OdpFlowKey, mask?: OdpFlowKey): boolean {
  const m = mask ? maskToWords(mask) : exactMaskWords(flowKey);
  return wordsMatch(keyToWords(packetKey), keyToWords(flowKey), m);
}

/** key & mask in words (what a classifier stores for a megaflow). */
export function maskWords(key: Uint32Array, mask: Uint32Array, out: Uint32Array = new Uint32Array(KEY_WORDS)): Uint32Array {
  for (let i = 0; i < KEY_WORDS; i++) out[i] = (key[i]! & mask[i]!) >>> 0;
  return out;
}
