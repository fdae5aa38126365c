// ODP actions compiled once per flow (validation happens here, at flow put) and executed on a frame
// in place. Used by the port workers (fast path) and the main thread (packet execute).
// Frames live in a buffer with headroom, so push_vlan moves 12 bytes instead of the frame.
// Field sets keep checksums right with incremental updates (RFC 1624): the IPv4 header checksum,
// the TCP/UDP/ICMPv6 checksum for addresses (pseudo-header) and ports; SCTP's CRC32c is recomputed.
import type { OdpAction, OdpFlowKey } from '../../engine/channel/odp-types.js';
import {
  extractKeyWords, ipv4ToWord, ipv6ToWords, macToWords, KEY_WORDS, W, ETH_TYPE_IP, ETH_TYPE_IPV6, ETH_TYPE_VLAN,
  IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_ICMPV6,
} from '../../engine/channel/flow-extract.js';
import { BadFlowError, UnsupportedActionError } from './errors.js';
import { HEADROOM, FRAME_BUFFER } from './limits.js';
import { tunnelMetaFromKey, type TunnelMeta } from './tunnel.js';

export const OP = {
  OUTPUT: 1, PUSH_VLAN: 2, POP_VLAN: 3, SET_ETH: 4, SET_IPV4: 5, SET_IPV6: 6, SET_L4: 7,
  USERSPACE: 8, DROP: 9, TRUNC: 10, CLONE: 11, SAMPLE: 12, RECIRC: 13, HASH: 14, NOP: 15, SET_TUNNEL: 16, SET_PRIORITY: 17,
} as const;

export interface CompiledAction {
  op: number;
  /** output port, push_vlan tpid, trunc length, recirc id, hash basis, userspace pid, L4 proto */
  a: number;
  /** push_vlan tci (without the present bit), sample probability */
  b: number;
  value?: Uint8Array;
  mask?: Uint8Array;
  userdata?: Buffer;
  nested?: CompiledAction[];
  /** set(tunnel(...)): the egress tunnel metadata the frame carries from here on. */
  tun?: TunnelMeta;
}

/** A frame being processed: buf[off, off+len), with headroom before `off`. */
export interface FrameState {
  buf: Buffer;
  off: number;
  len: number;
  inPort: number;
  recircId: number;
  dpHash: number;
  cutlen: number;
  depth: number;
  /** Tunnel metadata: from the tunnel port the frame came in on, or from a set(tunnel) action. */
  tun?: TunnelMeta | undefined;
  /** skb priority from a set(priority) action (QoS queue selection on output); 0 = none. */
  priority?: number;
}

export interface ActionHost {
  /** `f` is the frame being output (a tunnel port needs its tunnel metadata). */
  output(port: number, buf: Buffer, off: number, len: number, f?: FrameState): void;
  userspace(f: FrameState, pid: number, userdata: Buffer | undefined): void;
  recirculate(f: FrameState): void;
}

function act(op: number, a = 0, b = 0): CompiledAction { return { op, a, b }; }

function u(v: unknown, bits: number, what: string): number {
  const max = bits === 32 ? 0xffffffff : (1 << bits) - 1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new BadFlowError(`invalid ${what} ${JSON.stringify(v)}: expected an integer 0-${max}`);
  return v;
}

/** Validates and compiles a list of ODP actions; throws BadFlowError / UnsupportedActionError. */
export function compileActions(actions: readonly OdpAction[], depth = 0): CompiledAction[] {
  if (!Array.isArray(actions)) throw new BadFlowError(`invalid actions ${JSON.stringify(actions)}: expected an array`);
  if (depth > 8) throw new BadFlowError('actions nest deeper than 8 levels');
  const out: CompiledAction[] = [];
  for (const x of actions) {
    switch (x?.type) {
      case 'output': out.push(act(OP.OUTPUT, u(x.port, 32, 'output port'))); break;
      case 'push_vlan': {
        const tpid = u(x.tpid, 16, 'push_vlan tpid');
        if (tpid !== 0x8100 && tpid !== 0x88a8) throw new BadFlowError(`invalid push_vlan tpid 0x${tpid.toString(16)}: expected 0x8100 or 0x88a8`);
        const tci = u(x.tci, 16, 'push_vlan tci');
        if (!(tci & 0x1000)) throw new BadFlowError(`invalid push_vlan tci 0x${tci.toString(16)}: the 0x1000 present bit must be set`);
        out.push(act(OP.PUSH_VLAN, tpid, tci & ~0x1000));
        break;
      }
      case 'pop_vlan': out.push(act(OP.POP_VLAN)); break;
      case 'set': out.push(...compileSet(x.key, undefined)); break;
      case 'set_masked': out.push(...compileSet(x.key, x.mask)); break;
      case 'userspace': { const c = act(OP.USERSPACE, u(x.pid, 32, 'userspace pid')); if (x.userdata) c.userdata = Buffer.from(x.userdata); out.push(c); break; }
      case 'drop': out.push(act(OP.DROP, u(x.reason, 32, 'drop reason'))); break;
      case 'trunc': out.push(act(OP.TRUNC, u(x.maxLen, 32, 'trunc maxLen'))); break;
      case 'clone': { const c = act(OP.CLONE); c.nested = compileActions(x.actions, depth + 1); out.push(c); break; }
      case 'sample': { const c = act(OP.SAMPLE, 0, u(x.probability, 32, 'sample probability')); c.nested = compileActions(x.actions, depth + 1); out.push(c); break; }
      case 'recirc': out.push(act(OP.RECIRC, u(x.id, 32, 'recirc id'))); break;
      case 'hash': u(x.alg, 32, 'hash alg'); out.push(act(OP.HASH, u(x.basis, 32, 'hash basis'))); break;
      case 'meter': u(x.id, 32, 'meter id'); out.push(act(OP.NOP)); break; // no meters: never drops
      default: throw new UnsupportedActionError(`action ${JSON.stringify((x as { type?: unknown })?.type)}`);
    }
  }
  return out;
}

function bytesOf(n: number, size: number, into: Uint8Array, at: number): void {
  for (let i = size - 1; i >= 0; i--) { into[at + i] = n & 0xff; n = Math.floor(n / 256); }
}

function compileSet(key: OdpFlowKey, mask: OdpFlowKey | undefined): CompiledAction[] {
  if (!key || typeof key !== 'object') throw new BadFlowError(`invalid set action key ${JSON.stringify(key)}`);
  const out: CompiledAction[] = [];
  const masked = mask !== undefined;
  const m = (mask ?? {}) as OdpFlowKey;
  for (const field of Object.keys(key) as (keyof OdpFlowKey)[]) {
    if (key[field] === undefined) continue;
    switch (field) {
      case 'eth': {
        const v = new Uint8Array(12), k = new Uint8Array(12);
        const put = (mac: string, at: number, into: Uint8Array, what: string) => { const [hi, lo] = macToWords(mac, what); bytesOf(hi, 4, into, at); bytesOf(lo, 2, into, at + 4); };
        put(key.eth!.dst, 0, v, 'set eth.dst'); put(key.eth!.src, 6, v, 'set eth.src');
        if (masked && m.eth) { put(m.eth.dst, 0, k, 'set mask eth.dst'); put(m.eth.src, 6, k, 'set mask eth.src'); } else if (!masked) k.fill(0xff);
        out.push({ op: OP.SET_ETH, a: 0, b: 0, value: v, mask: k });
        break;
      }
      case 'ipv4': {
        const v = new Uint8Array(20), k = new Uint8Array(20);
        const fill = (x: NonNullable<OdpFlowKey['ipv4']>, into: Uint8Array, what: string) => {
          into[1] = u(x.tos, 8, `${what}.tos`); into[8] = u(x.ttl, 8, `${what}.ttl`);
          bytesOf(ipv4ToWord(x.src, `${what}.src`), 4, into, 12); bytesOf(ipv4ToWord(x.dst, `${what}.dst`), 4, into, 16);
        };
        fill(key.ipv4!, v, 'set ipv4');
        if (masked) { if (m.ipv4) fill(m.ipv4, k, 'set mask ipv4'); } else { k[1] = 0xff; k[8] = 0xff; k.fill(0xff, 12, 20); }
        out.push({ op: OP.SET_IPV4, a: 0, b: 0, value: v, mask: k });
        break;
      }
      case 'ipv6': {
        const v = new Uint8Array(40), k = new Uint8Array(40);
        const fill = (x: NonNullable<OdpFlowKey['ipv6']>, into: Uint8Array, what: string) => {
          const vtf = (u(x.tclass, 8, `${what}.tclass`) << 20 | u(x.label, 20, `${what}.label`)) >>> 0;
          bytesOf(vtf, 4, into, 0);
          into[7] = u(x.hlimit, 8, `${what}.hlimit`);
          ipv6ToWords(x.src, `${what}.src`).forEach((w, i) => bytesOf(w, 4, into, 8 + 4 * i));
          ipv6ToWords(x.dst, `${what}.dst`).forEach((w, i) => bytesOf(w, 4, into, 24 + 4 * i));
        };
        fill(key.ipv6!, v, 'set ipv6');
        if (masked) { if (m.ipv6) fill(m.ipv6, k, 'set mask ipv6'); } else { bytesOf(0x0fffffff, 4, k, 0); k[7] = 0xff; k.fill(0xff, 8, 40); }
        out.push({ op: OP.SET_IPV6, a: 0, b: 0, value: v, mask: k });
        break;
      }
      case 'tcp': case 'udp': case 'sctp': {
        const proto = field === 'tcp' ? IPPROTO_TCP : field === 'udp' ? IPPROTO_UDP : IPPROTO_SCTP;
        const v = new Uint8Array(4), k = new Uint8Array(4);
        const p = key[field]!;
        bytesOf(u(p.src, 16, `set ${field}.src`), 2, v, 0); bytesOf(u(p.dst, 16, `set ${field}.dst`), 2, v, 2);
        const pm = m[field];
        if (masked) { if (pm) { bytesOf(u(pm.src, 16, `set mask ${field}.src`), 2, k, 0); bytesOf(u(pm.dst, 16, `set mask ${field}.dst`), 2, k, 2); } } else k.fill(0xff);
        out.push({ op: OP.SET_L4, a: proto, b: 0, value: v, mask: k });
        break;
      }
      case 'skbMark': out.push(act(OP.NOP)); break; // no skb mark in userspace
      case 'priority':
        // The priority selects the egress QoS queue (tc class) when the frame leaves on a netdev.
        if (masked) throw new UnsupportedActionError('a masked set of priority');
        out.push(act(OP.SET_PRIORITY, u(key.priority!, 32, 'set priority')));
        break;
      case 'tunnel': {
        if (masked) throw new UnsupportedActionError('a masked set of the tunnel key (the kernel datapath rejects it too)');
        const c = act(OP.SET_TUNNEL);
        c.tun = tunnelMetaFromKey(key.tunnel!);
        out.push(c);
        break;
      }
      default: throw new UnsupportedActionError(`set of ${field}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Execution.

const scratchWords = new Uint32Array(KEY_WORDS);
const scratchOffsets = new Int32Array(2);

function csumAdjust(buf: Buffer, pos: number, oldW: number, newW: number, udp: boolean): void {
  const hc = buf.readUInt16BE(pos);
  if (udp && hc === 0) return;
  let s = (~hc & 0xffff) + (~oldW & 0xffff) + newW;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  let r = ~s & 0xffff;
  if (udp && r === 0) r = 0xffff;
  buf.writeUInt16BE(r, pos);
}

/** Masked write of value into buf[base..], 16 bits at a time, adjusting up to two checksums. */
function maskedWrite(buf: Buffer, base: number, value: Uint8Array, mask: Uint8Array, from: number, to: number, csum1: number, csum2: number, csum2Udp: boolean, csum1Udp = false): void {
  for (let j = from; j < to; j += 2) {
    const m16 = (mask[j]! << 8) | mask[j + 1]!;
    if (m16 === 0) continue;
    const oldW = buf.readUInt16BE(base + j);
    const newW = (oldW & ~m16 & 0xffff) | (((value[j]! << 8) | value[j + 1]!) & m16);
    if (newW === oldW) continue;
    buf.writeUInt16BE(newW, base + j);
    if (csum1 >= 0) csumAdjust(buf, csum1, oldW, newW, csum1Udp);
    if (csum2 >= 0) csumAdjust(buf, csum2, oldW, newW, csum2Udp);
  }
}

/** Position of the L4 checksum in the frame, or -1 (protocol without one, or no L4 header). */
function l4CsumPos(f: FrameState, proto: number, l4: number): number {
  if (l4 < 0) return -1;
  const at = f.off + l4;
  if (proto === IPPROTO_TCP && f.len - l4 >= 18) return at + 16;
  if (proto === IPPROTO_UDP && f.len - l4 >= 8) return at + 6;
  if (proto === IPPROTO_ICMPV6 && f.len - l4 >= 4) return at + 2;
  return -1;
}

function parse(f: FrameState): void {
  extractKeyWords(f.buf, f.off, f.len, f.inPort, scratchWords, scratchOffsets);
}

export function executeActions(actions: readonly CompiledAction[], f: FrameState, host: ActionHost): void {
  for (let i = 0; i < actions.length; i++) {
    const x = actions[i]!;
    switch (x.op) {
      case OP.OUTPUT: {
        let len = f.len;
        if (f.cutlen > 0) { if (f.cutlen < len) len = f.cutlen; f.cutlen = 0; }
        host.output(x.a, f.buf, f.off, len, f);
        break;
      }
      case OP.PUSH_VLAN: {
        if (f.off < 4) break;
        f.buf.copyWithin(f.off - 4, f.off, f.off + 12);
        f.off -= 4;
        f.len += 4;
        f.buf.writeUInt16BE(x.a, f.off + 12);
        f.buf.writeUInt16BE(x.b, f.off + 14);
        break;
      }
      case OP.POP_VLAN: {
        if (f.len < 18) break;
        const t = f.buf.readUInt16BE(f.off + 12);
        if (t !== ETH_TYPE_VLAN && t !== 0x88a8) break;
        f.buf.copyWithin(f.off + 4, f.off, f.off + 12);
        f.off += 4;
        f.len -= 4;
        break;
      }
      case OP.SET_ETH: maskedWrite(f.buf, f.off, x.value!, x.mask!, 0, 12, -1, -1, false); break;
      case OP.SET_IPV4: {
        parse(f);
        const l3 = scratchOffsets[0]!;
        if (scratchWords[W.DL_TYPE] !== ETH_TYPE_IP || l3 < 0 || f.len - l3 < 20) break;
        const base = f.off + l3;
        const proto = scratchWords[W.NW_PROTO]!;
        const l4c = proto === IPPROTO_ICMPV6 ? -1 : l4CsumPos(f, proto, scratchOffsets[1]!);
        maskedWrite(f.buf, base, x.value!, x.mask!, 0, 12, base + 10, -1, false);
        maskedWrite(f.buf, base, x.value!, x.mask!, 12, 20, base + 10, l4c, proto === IPPROTO_UDP);
        if (proto === IPPROTO_SCTP) fixSctp(f, scratchOffsets[1]!);
        break;
      }
      case OP.SET_IPV6: {
        parse(f);
        const l3 = scratchOffsets[0]!;
        if (scratchWords[W.DL_TYPE] !== ETH_TYPE_IPV6 || l3 < 0 || f.len - l3 < 40) break;
        const base = f.off + l3;
        const proto = scratchWords[W.NW_PROTO]!;
        maskedWrite(f.buf, base, x.value!, x.mask!, 0, 8, -1, -1, false);
        maskedWrite(f.buf, base, x.value!, x.mask!, 8, 40, l4CsumPos(f, proto, scratchOffsets[1]!), -1, false, proto === IPPROTO_UDP);
        if (proto === IPPROTO_SCTP) fixSctp(f, scratchOffsets[1]!);
        break;
      }
      case OP.SET_L4: {
        parse(f);
        const l4 = scratchOffsets[1]!;
        if (l4 < 0 || scratchWords[W.NW_PROTO] !== x.a || f.len - l4 < 4) break;
        const c = x.a === IPPROTO_SCTP ? -1 : l4CsumPos(f, x.a, l4);
        maskedWrite(f.buf, f.off + l4, x.value!, x.mask!, 0, 4, c, -1, false, x.a === IPPROTO_UDP);
        if (x.a === IPPROTO_SCTP) fixSctp(f, l4);
        break;
      }
      case OP.SET_TUNNEL: f.tun = x.tun; break;
      case OP.SET_PRIORITY: f.priority = x.a; break;
      case OP.USERSPACE: host.userspace(f, x.a, x.userdata); break;
      case OP.DROP: return;
      case OP.TRUNC: f.cutlen = x.a; break;
      case OP.CLONE: runOnCopy(x.nested!, f, host); break;
      case OP.SAMPLE: {
        const p = x.b;
        if (p === 0xffffffff || (p > 0 && Math.random() * 0xffffffff < p)) runOnCopy(x.nested!, f, host);
        break;
      }
      case OP.RECIRC: {
        if (f.depth >= 5) return;
        f.recircId = x.a;
        f.depth++;
        host.recirculate(f);
        return;
      }
      case OP.HASH: {
        parse(f);
        let h = x.a | 0;
        for (let w = W.NW_SRC; w <= W.TP_DST; w++) h = Math.imul(h ^ scratchWords[w]!, 0x9e3779b1) ^ (h >>> 15);
        f.dpHash = (h >>> 0) || 1;
        break;
      }
      default: break;
    }
  }
}

function runOnCopy(actions: readonly CompiledAction[], f: FrameState, host: ActionHost): void {
  const buf = Buffer.allocUnsafe(Math.max(FRAME_BUFFER, f.len + HEADROOM));
  f.buf.copy(buf, HEADROOM, f.off, f.off + f.len);
  const g: FrameState = { buf, off: HEADROOM, len: f.len, inPort: f.inPort, recircId: f.recircId, dpHash: f.dpHash, cutlen: f.cutlen, depth: f.depth, tun: f.tun };
  executeActions(actions, g, host);
}

// SCTP's checksum is a CRC32c over the whole packet with the checksum field zeroed.
let crcTable: Uint32Array | undefined;
function crc32c(buf: Buffer, from: number, to: number): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = from; i < to; i++) c = crcTable[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function fixSctp(f: FrameState, l4: number): void {
  if (l4 < 0 || f.len - l4 < 12) return;
  const at = f.off + l4;
  f.buf.writeUInt32LE(0, at + 8);
  f.buf.writeUInt32LE(crc32c(f.buf, at, f.off + f.len), at + 8);
}
