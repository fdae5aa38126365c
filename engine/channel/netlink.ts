// Netlink framing: nlmsghdr, genlmsghdr, ovs_header and attributes (RFC 3549 layout, as OVS's
// lib/netlink.c and the Windows extension use it). Pure functions over Buffers with strict bounds
// checks: malformed input raises NetlinkFormatError, never reads out of range.
import { OvsError } from '../util/errors.js';

export const NLMSG_HDRLEN = 16;
export const GENL_HDRLEN = 4;
export const OVS_HDRLEN = 4;
export const NLA_HDRLEN = 4;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
const NLA_TYPE_MASK = 0x3fff;

export class NetlinkFormatError extends OvsError {
  constructor(message: string) { super('OVS_E_NETLINK_FORMAT', message); }
}

export const align4 = (n: number): number => (n + 3) & ~3;

export interface NlAttr {
  /** Attribute number without the NESTED/NET_BYTEORDER flag bits. */
  type: number;
  payload: Buffer;
}

export interface NlHeader {
  len: number;
  type: number;
  flags: number;
  seq: number;
  pid: number;
}

/** A generic-netlink message of an OVS family: header, command, and the attributes after ovs_header. */
export interface GenlMessage {
  kind: 'genl';
  header: NlHeader;
  cmd: number;
  version: number;
  /** ovs_header.dp_ifindex (absent for the genl controller, whose messages have no ovs_header). */
  dpIfindex: number;
  attrs: NlAttr[];
}

export interface NlErrorMessage {
  kind: 'error';
  header: NlHeader;
  /** 0 = ACK, otherwise a negative errno. */
  error: number;
  /** The header of the request this answers. */
  request?: NlHeader;
}

export interface NlDoneMessage { kind: 'done'; header: NlHeader }

export type NlMessage = GenlMessage | NlErrorMessage | NlDoneMessage;

/** Grows a buffer as attributes are appended; nests by back-patching lengths. */
export class NlWriter {
  private buf: Buffer;
  private len = 0;
  constructor(initial = 256) { this.buf = Buffer.alloc(initial); }

  get length(): number { return this.len; }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  raw(bytes: Buffer): void {
    this.reserve(bytes.length);
    bytes.copy(this.buf, this.len);
    this.len += bytes.length;
  }

  zeros(n: number): void {
    this.reserve(n);
    this.buf.fill(0, this.len, this.len + n);
    this.len += n;
  }

  u8(v: number): void { this.reserve(1); this.buf.writeUInt8(v, this.len); this.len += 1; }
  u16(v: number): void { this.reserve(2); this.buf.writeUInt16LE(v, this.len); this.len += 2; }
  u32(v: number): void { this.reserve(4); this.buf.writeUInt32LE(v >>> 0, this.len); this.len += 4; }
  i32(v: number): void { this.reserve(4); this.buf.writeInt32LE(v, this.len); this.len += 4; }

  pad(): void { const p = align4(this.len) - this.len; if (p) this.zeros(p); }

  /** Appends one attribute with `payload` and pads it. */
  attr(type: number, payload: Buffer): void {
    if (payload.length + NLA_HDRLEN > 0xffff) throw new NetlinkFormatError(`attribute ${type} payload of ${payload.length} bytes exceeds 65531`);
    this.u16(payload.length + NLA_HDRLEN);
    this.u16(type);
    this.raw(payload);
    this.pad();
  }

  /** Starts a nested attribute; returns the offset to hand to endNested. */
  beginNested(type: number): number {
    const at = this.len;
    this.u16(0);
    this.u16(type);
    return at;
  }

  endNested(at: number): void {
    const len = this.len - at;
    if (len > 0xffff) throw new NetlinkFormatError(`nested attribute of ${len} bytes exceeds 65535`);
    this.buf.writeUInt16LE(len, at);
    this.pad();
  }

  patchU32(at: number, v: number): void { this.buf.writeUInt32LE(v >>> 0, at); }

  finish(): Buffer { return Buffer.from(this.buf.subarray(0, this.len)); }
}

/** Parses the attributes in buf[start, end). Lengths are checked against the enclosing bounds. */
export function parseAttrs(buf: Buffer, start = 0, end = buf.length): NlAttr[] {
  const out: NlAttr[] = [];
  let off = start;
  while (off < end) {
    if (end - off < NLA_HDRLEN) throw new NetlinkFormatError(`truncated attribute header at offset ${off}: ${end - off} bytes left, 4 needed`);
    const len = buf.readUInt16LE(off);
    const type = buf.readUInt16LE(off + 2) & NLA_TYPE_MASK;
    if (len < NLA_HDRLEN) throw new NetlinkFormatError(`attribute ${type} at offset ${off} has length ${len}, less than its 4-byte header`);
    if (off + len > end) throw new NetlinkFormatError(`attribute ${type} at offset ${off} has length ${len} but only ${end - off} bytes remain`);
    out.push({ type, payload: buf.subarray(off + NLA_HDRLEN, off + len) });
    off += align4(len);
  }
  return out;
}

export function parseHeader(buf: Buffer, off = 0): NlHeader {
  if (buf.length - off < NLMSG_HDRLEN) throw new NetlinkFormatError(`netlink message of ${buf.length - off} bytes is shorter than its 16-byte header`);
  return {
    len: buf.readUInt32LE(off), type: buf.readUInt16LE(off + 4), flags: buf.readUInt16LE(off + 6),
    seq: buf.readUInt32LE(off + 8), pid: buf.readUInt32LE(off + 12),
  };
}

/** Splits a datagram holding one or more netlink messages into per-message buffers. */
export function splitMessages(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  while (off < buf.length) {
    const h = parseHeader(buf, off);
    if (h.len < NLMSG_HDRLEN || off + h.len > buf.length) {
      throw new NetlinkFormatError(`netlink message at offset ${off} declares length ${h.len} but ${buf.length - off} bytes remain`);
    }
    out.push(buf.subarray(off, off + h.len));
    off += align4(h.len);
  }
  return out;
}

/** The nlmsghdr fields of a message to build (the length is filled in). */
export interface NlEncodeOptions {
  type: number;
  flags: number;
  seq?: number;
  pid?: number;
}

/** Builds one netlink message: nlmsghdr, then what `body` appends (a family's fixed header and
 *  attributes, for any netlink protocol: generic netlink, rtnetlink). */
export function encodeNlmsg(opts: NlEncodeOptions, body?: (w: NlWriter) => void): Buffer {
  const w = new NlWriter();
  w.u32(0); // length, patched below
  w.u16(opts.type);
  w.u16(opts.flags);
  w.u32(opts.seq ?? 0);
  w.u32(opts.pid ?? 0);
  body?.(w);
  w.patchU32(0, w.length);
  return w.finish();
}

export interface GenlEncodeOptions {
  type: number;
  flags: number;
  cmd: number;
  version: number;
  seq?: number;
  pid?: number;
  /** Omit for the genl controller (no ovs_header). */
  dpIfindex?: number;
}

/** Builds one generic-netlink message; `body` appends the attributes. */
export function encodeGenl(opts: GenlEncodeOptions, body?: (w: NlWriter) => void): Buffer {
  return encodeNlmsg(opts, (w) => {
    w.u8(opts.cmd);
    w.u8(opts.version);
    w.u16(0);
    if (opts.dpIfindex !== undefined) w.i32(opts.dpIfindex);
    body?.(w);
  });
}

/** Encodes NLMSG_ERROR (error 0 = ACK) answering `request`. */
export function encodeError(request: NlHeader, error: number): Buffer {
  const w = new NlWriter(36);
  w.u32(36); w.u16(NLMSG_ERROR); w.u16(0); w.u32(request.seq); w.u32(request.pid);
  w.i32(error);
  w.u32(request.len); w.u16(request.type); w.u16(request.flags); w.u32(request.seq); w.u32(request.pid);
  return w.finish();
}

export function encodeDone(seq: number, pid: number): Buffer {
  const w = new NlWriter(20);
  w.u32(20); w.u16(NLMSG_DONE); w.u16(2 /* MULTI */); w.u32(seq); w.u32(pid); w.i32(0);
  return w.finish();
}

/** Decodes one message. `hasOvsHeader(type)` says whether this message type carries ovs_header. */
export function decodeMessage(buf: Buffer, hasOvsHeader: (type: number) => boolean = () => true): NlMessage {
  const header = parseHeader(buf);
  if (header.len !== buf.length) throw new NetlinkFormatError(`netlink header says ${header.len} bytes but the message has ${buf.length}`);
  if (header.type === NLMSG_ERROR) {
    if (buf.length < NLMSG_HDRLEN + 4) throw new NetlinkFormatError(`NLMSG_ERROR of ${buf.length} bytes is shorter than 20`);
    const error = buf.readInt32LE(NLMSG_HDRLEN);
    const request = buf.length >= NLMSG_HDRLEN + 4 + NLMSG_HDRLEN ? parseHeader(buf, NLMSG_HDRLEN + 4) : undefined;
    return { kind: 'error', header, error, request };
  }
  if (header.type === NLMSG_DONE) return { kind: 'done', header };
  const withOvs = hasOvsHeader(header.type);
  const fixed = NLMSG_HDRLEN + GENL_HDRLEN + (withOvs ? OVS_HDRLEN : 0);
  if (buf.length < fixed) throw new NetlinkFormatError(`message of type ${header.type} has ${buf.length} bytes, less than its ${fixed}-byte fixed headers`);
  return {
    kind: 'genl', header, cmd: buf.readUInt8(NLMSG_HDRLEN), version: buf.readUInt8(NLMSG_HDRLEN + 1),
    dpIfindex: withOvs ? buf.readInt32LE(NLMSG_HDRLEN + GENL_HDRLEN) : 0,
    attrs: parseAttrs(buf, fixed, buf.length),
  };
}
