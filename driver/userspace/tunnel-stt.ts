// STT (draft-davie-stt-08, as OVS's Windows and Linux datapaths framed it): an Ethernet frame behind
// an 18-byte STT header (version, flags, L4 offset, reserved, MSS, VLAN TCI, 64-bit context id, 2
// bytes of padding), carried in TCP-like segments to port 7471 whose sequence number holds the STT
// frame length (high 16 bits) and the segment's offset (low 16 bits) and whose acknowledgement number
// identifies the frame. Segments are reassembled per (source, destination, ack). Pure functions and
// a reassembler over buffers; the sockets are in driver/linux/udp-tunnel.ts.
import { TUN_F_CSUM, TUN_F_DF, TUN_F_KEY } from '../../engine/channel/flow-extract.js';
import { onesSum, rd16, rd32, writeOuterIp, type TunnelMeta } from './tunnel.js';

export const TUNNEL_STT = 4;
export const STT_DST_PORT = 7471;
export const STT_HDR_LEN = 18;
export const STT_CSUM_VERIFIED = 1, STT_CSUM_PARTIAL = 2, STT_PROTO_IPV4 = 4, STT_PROTO_TCP = 8;
const IPPROTO_TCP = 6;
/** A partial frame is dropped when its segments do not all arrive within this time. */
export const STT_REASSEMBLY_MS = 1000;
const MAX_PENDING = 256;

/** TCP checksum over the pseudo header and p[20, total) of an IPv4 packet with a 20-byte header. */
function tcpChecksum(p: Uint8Array, ihl: number, total: number): number {
  const pseudo = onesSum(p, 12, 20) + IPPROTO_TCP + (total - ihl);
  return onesSum(p, ihl, total, pseudo);
}

/**
 * The outer packets (IPv4 + TCP-like header + a piece of the STT frame) carrying frame[off, off+len)
 * with `meta` (key = context id), each at most `mtu` bytes. `frameId` is the acknowledgement number
 * shared by the segments. The outer source is `src` (default: the metadata's); the TCP checksum
 * covers it, so with a source of 0 (the kernel fills it in on a raw socket) the checksum cannot be
 * computed here and is left 0: a sender without a source in the metadata passes the route's.
 */
export function encapsulateStt(meta: TunnelMeta, frame: Uint8Array, off: number, len: number, mtu: number, frameId: number, srcPort: number, src = meta.src): Buffer[] {
  const sttLen = STT_HDR_LEN + len;
  if (sttLen > 0xffff) return [];
  const stt = Buffer.alloc(sttLen);
  stt[0] = 0;
  stt[1] = STT_CSUM_VERIFIED;
  stt.writeUInt32BE(meta.idHi >>> 0, 8);
  stt.writeUInt32BE(meta.idLo >>> 0, 12);
  stt.set(frame.subarray(off, off + len), STT_HDR_LEN);
  const mss = Math.max(8, mtu - 40);
  const out: Buffer[] = [];
  for (let at = 0; at < sttLen; at += mss) {
    const n = Math.min(mss, sttLen - at);
    const total = 40 + n;
    const p = Buffer.alloc(total);
    writeOuterIp(meta, IPPROTO_TCP, total, p, src);
    p.writeUInt16BE(srcPort, 20);
    p.writeUInt16BE(meta.tpDst || STT_DST_PORT, 22);
    p.writeUInt32BE(((sttLen << 16) | at) >>> 0, 24);
    p.writeUInt32BE(frameId >>> 0, 28);
    p[32] = 5 << 4;          // data offset: 20 bytes
    p[33] = 0x18;            // PSH | ACK
    p.writeUInt16BE(0xffff, 34);
    stt.copy(p, 40, at, at + n);
    if (src) p.writeUInt16BE(~tcpChecksum(p, 20, total) & 0xffff, 36);
    out.push(p);
  }
  return out;
}

interface Pending { buf: Buffer; got: number; seen: Uint8Array; started: number; tos: number; ttl: number; df: boolean; srcPort: number; dstPort: number }

export type SttResult = { kind: 'frame'; frame: Buffer } | { kind: 'pending' } | { kind: 'bad'; reason: string };

/** Collects STT segments into frames (one per receiving thread). */
export class SttReassembler {
  private readonly pending = new Map<string, Pending>();

  /** Takes one outer IPv4 packet buf[off, off+len) as a raw TCP socket reads it. */
  push(buf: Uint8Array, off: number, len: number, dstPort: number, meta: TunnelMeta, now: number): SttResult {
    if (len < 40 || buf[off]! >> 4 !== 4 || buf[off + 9] !== IPPROTO_TCP) return { kind: 'bad', reason: 'not IPv4/TCP' };
    const ihl = (buf[off]! & 0x0f) * 4;
    const total = rd16(buf, off + 2);
    if (ihl < 20 || total > len || total < ihl + 20) return { kind: 'bad', reason: 'truncated' };
    if (rd16(buf, off + 6) & 0x3fff) return { kind: 'bad', reason: 'IP fragment' };
    const t = off + ihl;
    if (rd16(buf, t + 2) !== dstPort) return { kind: 'bad', reason: 'other port' };
    const doff = (buf[t + 12]! >> 4) * 4;
    if (doff < 20 || ihl + doff > total) return { kind: 'bad', reason: 'bad TCP header length' };
    const seg = buf.subarray(off, off + total);
    if (tcpChecksum(seg, ihl, total) !== 0xffff && rd16(buf, t + 16) !== 0) return { kind: 'bad', reason: 'bad TCP checksum' };
    const seq = rd32(buf, t + 4), ack = rd32(buf, t + 8);
    const sttLen = seq >>> 16, at = seq & 0xffff;
    const data = buf.subarray(t + doff, off + total);
    if (sttLen < STT_HDR_LEN + 14 || at + data.length > sttLen) return { kind: 'bad', reason: 'segment outside the STT frame' };
    const src = rd32(buf, off + 12), dst = rd32(buf, off + 16);
    const key = `${src}/${dst}/${ack}`;
    let p = this.pending.get(key);
    if (p && (p.buf.length !== sttLen || now - p.started > STT_REASSEMBLY_MS)) { this.pending.delete(key); p = undefined; }
    if (!p) {
      if (at === 0 && data.length === sttLen) return this.finish(data, src, dst, buf[off + 1]!, buf[off + 8]!, (rd16(buf, off + 6) & 0x4000) !== 0, rd16(buf, t), dstPort, meta);
      this.expire(now);
      if (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value as string);
      p = { buf: Buffer.alloc(sttLen), got: 0, seen: new Uint8Array(Math.ceil(sttLen / 8)), started: now, tos: 0, ttl: 0, df: false, srcPort: rd16(buf, t), dstPort };
      this.pending.set(key, p);
    }
    // Count each byte once (a retransmitted or overlapping segment adds nothing).
    for (let i = 0; i < data.length; i++) {
      const k = at + i;
      if (!(p.seen[k >> 3]! & (1 << (k & 7)))) { p.seen[k >> 3]! |= 1 << (k & 7); p.got++; }
    }
    p.buf.set(data, at);
    if (at === 0) { p.tos = buf[off + 1]!; p.ttl = buf[off + 8]!; p.df = (rd16(buf, off + 6) & 0x4000) !== 0; }
    if (p.got < sttLen) return { kind: 'pending' };
    this.pending.delete(key);
    return this.finish(p.buf, src, dst, p.tos, p.ttl, p.df, p.srcPort, dstPort, meta);
  }

  private expire(now: number): void {
    for (const [k, p] of this.pending) if (now - p.started > STT_REASSEMBLY_MS) this.pending.delete(k);
  }

  get pendingFrames(): number { return this.pending.size; }

  private finish(stt: Uint8Array, src: number, dst: number, tos: number, ttl: number, df: boolean, srcPort: number, dstPort: number, meta: TunnelMeta): SttResult {
    if (stt[0] !== 0) return { kind: 'bad', reason: `STT version ${stt[0]}` };
    const vlanTci = rd16(stt, 6);
    meta.idHi = rd32(stt, 8);
    meta.idLo = rd32(stt, 12);
    meta.flags = TUN_F_KEY | TUN_F_CSUM | (df ? TUN_F_DF : 0);
    meta.src = src; meta.dst = dst; meta.tos = tos; meta.ttl = ttl; meta.tpSrc = srcPort; meta.tpDst = dstPort; meta.opts = undefined;
    let frame = Buffer.from(stt.subarray(STT_HDR_LEN));
    if (vlanTci & 0x1000) {
      // The sender moved the frame's 802.1Q tag into the STT header: put it back.
      const tag = Buffer.alloc(4);
      tag.writeUInt16BE(0x8100, 0);
      tag.writeUInt16BE(vlanTci & ~0x1000 & 0xffff, 2);
      frame = Buffer.concat([frame.subarray(0, 12), tag, frame.subarray(12)]);
    }
    return { kind: 'frame', frame };
  }
}
