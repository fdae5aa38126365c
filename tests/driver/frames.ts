// Hand-built Ethernet frames for the driver tests, with correct checksums, and checksum checkers.
export function mac(s: string): Buffer { return Buffer.from(s.split(':').map((h) => parseInt(h, 16))); }
export function ip4(s: string): Buffer { return Buffer.from(s.split('.').map(Number)); }
export function ip6(s: string): Buffer {
  const [head, tail] = s.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail !== undefined ? [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), 2 * i));
  return b;
}

export function csum(...parts: Buffer[]): number {
  let s = 0;
  const all = Buffer.concat(parts);
  for (let i = 0; i + 1 < all.length; i += 2) s += all.readUInt16BE(i);
  if (all.length % 2) s += all[all.length - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export function eth(dst: string, src: string, type: number, payload: Buffer, vlanTci?: number): Buffer {
  const h = Buffer.alloc(vlanTci === undefined ? 14 : 18);
  mac(dst).copy(h, 0); mac(src).copy(h, 6);
  if (vlanTci !== undefined) { h.writeUInt16BE(0x8100, 12); h.writeUInt16BE(vlanTci, 14); h.writeUInt16BE(type, 16); } else h.writeUInt16BE(type, 12);
  return Buffer.concat([h, payload]);
}

export interface Ip4Opts { src: string; dst: string; proto: number; tos?: number; ttl?: number; fragOff?: number; mf?: boolean; df?: boolean; options?: Buffer }
export function ipv4(o: Ip4Opts, payload: Buffer): Buffer {
  const opt = o.options ?? Buffer.alloc(0);
  const h = Buffer.alloc(20 + opt.length);
  h[0] = 0x40 | ((20 + opt.length) / 4); h[1] = o.tos ?? 0;
  h.writeUInt16BE(h.length + payload.length, 2); h.writeUInt16BE(0x1234, 4);
  h.writeUInt16BE((o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | (o.fragOff ?? 0), 6);
  h[8] = o.ttl ?? 64; h[9] = o.proto;
  ip4(o.src).copy(h, 12); ip4(o.dst).copy(h, 16); opt.copy(h, 20);
  h.writeUInt16BE(csum(h), 10);
  return Buffer.concat([h, payload]);
}

export interface Ip6Opts { src: string; dst: string; next: number; tclass?: number; label?: number; hlimit?: number }
export function ipv6(o: Ip6Opts, payload: Buffer): Buffer {
  const h = Buffer.alloc(40);
  h.writeUInt32BE(((6 << 28) | ((o.tclass ?? 0) << 20) | (o.label ?? 0)) >>> 0, 0);
  h.writeUInt16BE(payload.length, 4); h[6] = o.next; h[7] = o.hlimit ?? 64;
  ip6(o.src).copy(h, 8); ip6(o.dst).copy(h, 24);
  return Buffer.concat([h, payload]);
}

function pseudo4(src: string, dst: string, proto: number, len: number): Buffer {
  const p = Buffer.alloc(12); ip4(src).copy(p, 0); ip4(dst).copy(p, 4); p[9] = proto; p.writeUInt16BE(len, 10); return p;
}
function pseudo6(src: string, dst: string, proto: number, len: number): Buffer {
  const p = Buffer.alloc(40); ip6(src).copy(p, 0); ip6(dst).copy(p, 16); p.writeUInt32BE(len, 32); p[39] = proto; return p;
}

/** A TCP segment (20-byte header) with its checksum for the given IP addresses (v4 or v6). */
export function tcp(src: string, dst: string, sport: number, dport: number, flags: number, data = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(sport, 0); h.writeUInt16BE(dport, 2); h.writeUInt32BE(1, 4);
  h.writeUInt16BE((5 << 12) | flags, 12); h.writeUInt16BE(65535, 14);
  const seg = Buffer.concat([h, data]);
  const ps = src.includes(':') ? pseudo6(src, dst, 6, seg.length) : pseudo4(src, dst, 6, seg.length);
  seg.writeUInt16BE(csum(ps, seg), 16);
  return seg;
}

export function udp(src: string, dst: string, sport: number, dport: number, data = Buffer.alloc(4)): Buffer {
  const seg = Buffer.alloc(8 + data.length);
  seg.writeUInt16BE(sport, 0); seg.writeUInt16BE(dport, 2); seg.writeUInt16BE(seg.length, 4); data.copy(seg, 8);
  const ps = src.includes(':') ? pseudo6(src, dst, 17, seg.length) : pseudo4(src, dst, 17, seg.length);
  seg.writeUInt16BE(csum(ps, seg) || 0xffff, 6);
  return seg;
}

export function sctp(sport: number, dport: number): Buffer {
  const b = Buffer.alloc(16); b.writeUInt16BE(sport, 0); b.writeUInt16BE(dport, 2); return b;
}

export function icmp(type: number, code: number, data = Buffer.alloc(4)): Buffer {
  const b = Buffer.concat([Buffer.from([type, code, 0, 0]), data]);
  b.writeUInt16BE(csum(b), 2);
  return b;
}

export function icmp6(src: string, dst: string, type: number, code: number, body: Buffer): Buffer {
  const b = Buffer.concat([Buffer.from([type, code, 0, 0]), body]);
  b.writeUInt16BE(csum(pseudo6(src, dst, 58, b.length), b), 2);
  return b;
}

/** Neighbor solicitation (135) with an SLL option, or advertisement (136) with a TLL option. */
export function nd(src: string, dst: string, type: 135 | 136, target: string, ll: string): Buffer {
  const body = Buffer.alloc(4 + 16 + 8);
  ip6(target).copy(body, 4);
  body[20] = type === 135 ? 1 : 2; body[21] = 1; mac(ll).copy(body, 22);
  return icmp6(src, dst, type, 0, body);
}

export function arp(op: number, sha: string, sip: string, tha: string, tip: string): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16BE(1, 0); b.writeUInt16BE(0x0800, 2); b[4] = 6; b[5] = 4; b.writeUInt16BE(op, 6);
  mac(sha).copy(b, 8); ip4(sip).copy(b, 14); mac(tha).copy(b, 18); ip4(tip).copy(b, 24);
  return b;
}

/** True when an IPv4 frame's header checksum and (TCP/UDP) checksum verify. */
export function ipv4ChecksumsOk(frame: Buffer, l3 = 14): boolean {
  const ihl = (frame[l3]! & 0xf) * 4;
  const hdr = frame.subarray(l3, l3 + ihl);
  if (csum(hdr) !== 0) return false;
  const proto = hdr[9]!;
  const seg = frame.subarray(l3 + ihl, l3 + hdr.readUInt16BE(2));
  const ps = Buffer.alloc(12); hdr.copy(ps, 0, 12, 20); ps[9] = proto; ps.writeUInt16BE(seg.length, 10);
  if (proto === 6) return csum(ps, seg) === 0;
  if (proto === 17) return seg.readUInt16BE(6) === 0 || csum(ps, seg) === 0;
  return true;
}
