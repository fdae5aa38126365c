// VXLAN (RFC 7348) and Geneve (RFC 8926) over IPv4/UDP, and GRE (RFC 2784/2890, transparent Ethernet
// bridging) over IPv4: taking a received outer packet apart into
// tunnel metadata + inner Ethernet frame, and building the outer IPv4/UDP/tunnel headers in front of
// a frame for output, as the kernel datapath's vxlan/geneve vports do with an skb's tunnel info.
// Pure functions over buffers; the sockets are in driver/linux/udp-tunnel.ts.
import type { OdpTunnelKey } from '../../engine/channel/odp-types.js';
import { ipv4ToWord, TUN_F_CSUM, TUN_F_DF, TUN_F_KEY, TUN_F_OAM, wordToIpv4 } from '../../engine/channel/flow-extract.js';
import { BadFlowError } from './errors.js';

export const TUNNEL_VXLAN = 1;
export const TUNNEL_GENEVE = 2;
export const TUNNEL_GRE = 3;
const IPPROTO_GRE = 47;
const GRE_CSUM = 0x8000, GRE_KEY = 0x2000, GRE_SEQ = 0x1000, GRE_ROUTING = 0x4000, GRE_VERSION = 0x0007;
export const VXLAN_DST_PORT = 4789;
export const GENEVE_DST_PORT = 6081;
const ETH_TYPE_TEB = 0x6558; // Transparent Ethernet Bridging (Geneve's protocol type for Ethernet)
const IPPROTO_UDP = 17;

/** A frame's tunnel metadata (the datapath's view of OVS's flow_tnl), IPv4 endpoints as words. */
export interface TunnelMeta {
  idHi: number;
  idLo: number;
  src: number;
  dst: number;
  tos: number;
  ttl: number;
  tpSrc: number;
  tpDst: number;
  /** TUN_F_* bits */
  flags: number;
  /** Geneve options (TLVs) as received or to send. */
  opts?: Uint8Array;
}

export function emptyTunnelMeta(): TunnelMeta {
  return { idHi: 0, idLo: 0, src: 0, dst: 0, tos: 0, ttl: 0, tpSrc: 0, tpDst: 0, flags: 0 };
}

/** The `set(tunnel(...))` action's key compiled once (validated; BadFlowError names the bad field). */
export function tunnelMetaFromKey(t: OdpTunnelKey): TunnelMeta {
  if (!t || typeof t !== 'object') throw new BadFlowError(`invalid set tunnel ${JSON.stringify(t)}: expected an object`);
  const m = emptyTunnelMeta();
  const n = (v: unknown, max: number, what: string): number => {
    if (v === undefined) return 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new BadFlowError(`invalid set tunnel ${what} ${JSON.stringify(v)}: expected an integer 0-${max}`);
    return v;
  };
  if (t.id !== undefined) {
    if (typeof t.id !== 'bigint' || t.id < 0n || t.id >= 1n << 64n) throw new BadFlowError(`invalid set tunnel id ${String(t.id)}: expected an unsigned 64-bit bigint`);
    m.idHi = Number(t.id >> 32n) >>> 0;
    m.idLo = Number(t.id & 0xffffffffn) >>> 0;
    m.flags |= TUN_F_KEY;
  }
  try {
    if (t.ipv4Src !== undefined) m.src = ipv4ToWord(t.ipv4Src, 'set tunnel ipv4Src');
    if (t.ipv4Dst !== undefined) m.dst = ipv4ToWord(t.ipv4Dst, 'set tunnel ipv4Dst');
  } catch (e) { throw new BadFlowError((e as Error).message); }
  if (!m.dst) throw new BadFlowError('invalid set tunnel: ipv4Dst is required (IPv6 tunnel endpoints are not supported)');
  m.tos = n(t.tos, 0xff, 'tos');
  m.ttl = t.ttl === undefined ? 64 : n(t.ttl, 0xff, 'ttl');
  m.tpSrc = n(t.tpSrc, 0xffff, 'tpSrc');
  m.tpDst = n(t.tpDst, 0xffff, 'tpDst');
  if (t.dontFragment) m.flags |= TUN_F_DF;
  if (t.csum) m.flags |= TUN_F_CSUM;
  if (t.oam) m.flags |= TUN_F_OAM;
  if (t.geneveOptions !== undefined) {
    if (!(t.geneveOptions instanceof Uint8Array) || t.geneveOptions.length % 4 || t.geneveOptions.length > 252) {
      throw new BadFlowError('invalid set tunnel geneveOptions: expected a multiple of 4 bytes, at most 252');
    }
    m.opts = Uint8Array.from(t.geneveOptions);
  }
  return m;
}

/** The typed tunnel key of a frame's metadata (what an upcall carries). */
export function tunnelMetaToKey(m: TunnelMeta): OdpTunnelKey {
  const t: OdpTunnelKey = {};
  if (m.flags & TUN_F_KEY) t.id = (BigInt(m.idHi >>> 0) << 32n) | BigInt(m.idLo >>> 0);
  t.ipv4Src = wordToIpv4(m.src >>> 0);
  t.ipv4Dst = wordToIpv4(m.dst >>> 0);
  t.tos = m.tos;
  t.ttl = m.ttl;
  if (m.flags & TUN_F_DF) t.dontFragment = true;
  if (m.flags & TUN_F_CSUM) t.csum = true;
  if (m.flags & TUN_F_OAM) t.oam = true;
  t.tpSrc = m.tpSrc;
  t.tpDst = m.tpDst;
  if (m.opts && m.opts.length) t.geneveOptions = Buffer.from(m.opts);
  return t;
}

export function rd16(b: Uint8Array, o: number): number { return (b[o]! << 8) | b[o + 1]!; }
export function rd32(b: Uint8Array, o: number): number { return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0; }

/** Where the inner frame of a decapsulated packet is. */
export interface Decapsulated { off: number; len: number }

/**
 * Takes apart an IPv4 packet buf[off, off+len) (as a raw IP socket reads it) carrying `kind` on UDP
 * port `dstPort`: fills `meta` and returns the inner Ethernet frame's place, or undefined when the
 * packet is not a well-formed tunnel packet for this port (not UDP, other port, bad header, VXLAN
 * without the I flag, Geneve with another protocol or version, inner frame shorter than 14 bytes).
 */
export function decapsulate(buf: Uint8Array, off: number, len: number, kind: number, dstPort: number, meta: TunnelMeta, out: Decapsulated): boolean {
  if (len < 20 || buf[off]! >> 4 !== 4) return false;
  if (kind === TUNNEL_GRE) return decapsulateGre(buf, off, len, meta, out);
  const ihl = (buf[off]! & 0x0f) * 4;
  const total = rd16(buf, off + 2);
  if (ihl < 20 || total < ihl || total > len || buf[off + 9] !== IPPROTO_UDP) return false;
  if (rd16(buf, off + 6) & 0x3fff) return false; // a fragment (the kernel reassembles before us)
  const u = off + ihl;
  const end = off + total;
  if (end - u < 16 || rd16(buf, u + 2) !== dstPort) return false;
  const h = u + 8;
  let inner: number;
  meta.opts = undefined;
  if (kind === TUNNEL_VXLAN) {
    if ((buf[h]! & 0x08) === 0) return false; // I flag: the VNI is valid
    meta.flags = TUN_F_KEY;
    meta.idHi = 0;
    meta.idLo = rd32(buf, h + 4) >>> 8;
    inner = h + 8;
  } else {
    const ver = buf[h]! >> 6;
    const optLen = (buf[h]! & 0x3f) * 4;
    if (ver !== 0 || rd16(buf, h + 2) !== ETH_TYPE_TEB || end - h < 8 + optLen) return false;
    meta.flags = TUN_F_KEY | (buf[h + 1]! & 0x80 ? TUN_F_OAM : 0);
    meta.idHi = 0;
    meta.idLo = rd32(buf, h + 4) >>> 8;
    if (optLen) meta.opts = buf.slice(h + 8, h + 8 + optLen);
    inner = h + 8 + optLen;
  }
  if (end - inner < 14) return false;
  if (rd16(buf, off + 6) & 0x4000) meta.flags |= TUN_F_DF;
  if (rd16(buf, u + 6) !== 0) meta.flags |= TUN_F_CSUM;
  meta.src = rd32(buf, off + 12);
  meta.dst = rd32(buf, off + 16);
  meta.tos = buf[off + 1]!;
  meta.ttl = buf[off + 8]!;
  meta.tpSrc = rd16(buf, u);
  meta.tpDst = dstPort;
  out.off = inner;
  out.len = end - inner;
  return true;
}

/** GRE over IPv4 carrying an Ethernet frame (protocol 0x6558): key and checksum as flags say. */
function decapsulateGre(buf: Uint8Array, off: number, len: number, meta: TunnelMeta, out: Decapsulated): boolean {
  const ihl = (buf[off]! & 0x0f) * 4;
  const total = rd16(buf, off + 2);
  if (ihl < 20 || total < ihl || total > len || buf[off + 9] !== IPPROTO_GRE) return false;
  if (rd16(buf, off + 6) & 0x3fff) return false;
  const g = off + ihl;
  const end = off + total;
  if (end - g < 4) return false;
  const flags = rd16(buf, g);
  if (flags & (GRE_ROUTING | GRE_VERSION) || rd16(buf, g + 2) !== ETH_TYPE_TEB) return false;
  let h = g + 4;
  meta.opts = undefined;
  meta.flags = 0;
  if (flags & GRE_CSUM) {
    if (end - h < 4 || onesSum(buf, g, end) !== 0xffff) return false;  // a bad checksum is dropped, as the kernel does
    meta.flags |= TUN_F_CSUM;
    h += 4;
  }
  meta.idHi = 0;
  meta.idLo = 0;
  if (flags & GRE_KEY) {
    if (end - h < 4) return false;
    meta.idLo = rd32(buf, h);
    meta.flags |= TUN_F_KEY;
    h += 4;
  }
  if (flags & GRE_SEQ) h += 4;
  if (end - h < 14) return false;
  if (rd16(buf, off + 6) & 0x4000) meta.flags |= TUN_F_DF;
  meta.src = rd32(buf, off + 12);
  meta.dst = rd32(buf, off + 16);
  meta.tos = buf[off + 1]!;
  meta.ttl = buf[off + 8]!;
  meta.tpSrc = 0;
  meta.tpDst = 0;
  out.off = h;
  out.len = end - h;
  return true;
}

/** The 16-bit ones' complement sum of b[from, to) added to `start` (0xffff over data that includes
 *  a valid checksum); `start` carries a pseudo-header sum. */
export function onesSum(b: Uint8Array, from: number, to: number, start = 0): number {
  let s = start;
  let i = from;
  for (; i + 1 < to; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < to) s += b[i]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** Bytes of outer headers encapsulate() puts in front of a frame. */
export function headerLength(kind: number, meta: TunnelMeta): number {
  if (kind === TUNNEL_GRE) return 20 + 4 + (meta.flags & TUN_F_CSUM ? 4 : 0) + (meta.flags & TUN_F_KEY ? 4 : 0);
  return 20 + 8 + 8 + (kind === TUNNEL_GENEVE && meta.opts ? meta.opts.length : 0);
}

/** An ephemeral-range UDP source port from a hash of the inner frame's addresses (flow entropy). */
export function sourcePort(frame: Uint8Array, off: number, len: number): number {
  let h = 0x811c9dc5;
  const n = Math.min(len, 14 + 20 + 4);
  for (let i = 0; i < n; i++) h = Math.imul(h ^ frame[off + i]!, 0x01000193);
  h ^= h >>> 16;
  return 32768 + ((h >>> 0) % (61000 - 32768));
}

/**
 * Writes outer IPv4 + UDP + VXLAN/Geneve headers followed by the frame frame[off, off+len) into
 * `out` from 0 and returns the total length. The outer source is `src` (default: the metadata's;
 * the sender passes the route's source when the metadata has none); a source of 0 stays 0 (the
 * kernel fills in the route's source on a raw socket); the IP id is left 0 for the kernel to
 * choose; the UDP checksum is 0 (RFC 7348 allows it over IPv4) unless the csum flag asks and the
 * source is known (the checksum covers it).
 */
export function encapsulate(kind: number, dstPort: number, meta: TunnelMeta, frame: Uint8Array, off: number, len: number, out: Buffer, src = meta.src): number {
  if (kind === TUNNEL_GRE) return encapsulateGre(meta, frame, off, len, out, src);
  const optLen = kind === TUNNEL_GENEVE && meta.opts ? meta.opts.length : 0;
  const hdr = 36 + optLen;
  const total = hdr + len;
  out.set(frame.subarray(off, off + len), hdr);
  writeOuterIp(meta, IPPROTO_UDP, total, out, src);
  out.writeUInt16BE(meta.tpSrc || sourcePort(frame, off, len), 20);
  out.writeUInt16BE(meta.tpDst || dstPort, 22);
  out.writeUInt16BE(total - 20, 24);
  out.writeUInt16BE(0, 26);
  if (kind === TUNNEL_VXLAN) {
    out.writeUInt32BE(0x08000000, 28);
    out.writeUInt32BE(((meta.idLo & 0xffffff) << 8) >>> 0, 32);
  } else {
    out[28] = optLen / 4;
    out[29] = meta.flags & TUN_F_OAM ? 0x80 : 0;
    out.writeUInt16BE(ETH_TYPE_TEB, 30);
    out.writeUInt32BE(((meta.idLo & 0xffffff) << 8) >>> 0, 32);
    if (optLen) out.set(meta.opts!, 36);
  }
  if ((meta.flags & TUN_F_CSUM) && src) out.writeUInt16BE(udpChecksum(out, total), 26);
  return total;
}

/** The outer IPv4 header (20 bytes, id 0 for the kernel to choose) of a tunnel packet, from `src`
 *  (default the metadata's source; 0 = the kernel's choice) to the metadata's destination. */
export function writeOuterIp(meta: TunnelMeta, proto: number, total: number, out: Buffer, src = meta.src): void {
  out[0] = 0x45;
  out[1] = meta.tos;
  out.writeUInt16BE(total, 2);
  out.writeUInt16BE(0, 4);
  out.writeUInt16BE(meta.flags & TUN_F_DF ? 0x4000 : 0, 6);
  out[8] = meta.ttl || 64;
  out[9] = proto;
  out.writeUInt16BE(0, 10);
  out.writeUInt32BE(src >>> 0, 12);
  out.writeUInt32BE(meta.dst >>> 0, 16);
}

/** Outer IPv4 + GRE (checksum and key when the metadata asks) + the Ethernet frame. */
function encapsulateGre(meta: TunnelMeta, frame: Uint8Array, off: number, len: number, out: Buffer, src: number): number {
  const csum = (meta.flags & TUN_F_CSUM) !== 0, key = (meta.flags & TUN_F_KEY) !== 0;
  const hdr = headerLength(TUNNEL_GRE, meta);
  const total = hdr + len;
  out.set(frame.subarray(off, off + len), hdr);
  writeOuterIp(meta, IPPROTO_GRE, total, out, src);
  out.writeUInt16BE((csum ? GRE_CSUM : 0) | (key ? GRE_KEY : 0), 20);
  out.writeUInt16BE(ETH_TYPE_TEB, 22);
  let h = 24;
  if (csum) { out.writeUInt32BE(0, h); h += 4; }
  if (key) { out.writeUInt32BE(meta.idLo >>> 0, h); h += 4; }
  if (csum) out.writeUInt16BE(~onesSum(out, 20, total) & 0xffff, 24);
  return total;
}

function udpChecksum(p: Buffer, total: number): number {
  const s = onesSum(p, 20, total, onesSum(p, 12, 20) + IPPROTO_UDP + (total - 20));
  const c = ~s & 0xffff;
  return c === 0 ? 0xffff : c;
}

/** IPv4 fragments (RFC 791) of an outer packet p[0, total) for a path MTU, all with IP id `id`. */
export function* fragments(p: Buffer, total: number, mtu: number, id: number): Generator<Buffer> {
  const ihl = (p[0]! & 0x0f) * 4;
  p.writeUInt16BE(id & 0xffff || 1, 4);
  const step = Math.floor((mtu - ihl) / 8) * 8;
  if (step <= 0) return;
  for (let at = ihl; at < total; at += step) {
    const n = Math.min(step, total - at);
    const f = Buffer.allocUnsafe(ihl + n);
    p.copy(f, 0, 0, ihl);
    p.copy(f, ihl, at, at + n);
    f.writeUInt16BE(ihl + n, 2);
    f.writeUInt16BE(((at + n < total) ? 0x2000 : 0) | ((at - ihl) / 8), 6);
    yield f;
  }
}

export { ipv4ToWord };
