// Typed attribute payloads, driven by the tables in manifests/netlink: integers, strings, flags,
// fixed structs (ovs_key_ipv4, ovs_dp_stats, ...), addresses. Decoding checks every length.
import { bytesToIpv4, bytesToIpv6, bytesToMac, ipv4ToBytes, ipv6ToBytes, macToBytes } from './inet.js';
import { NetlinkFormatError } from './netlink.js';
import type { AttrSpec, StructFieldType, StructSpec } from './netlink-tables.js';
import { netlinkTables } from './netlink-tables.js';

export type StructValue = Record<string, number | bigint | string>;
export type AttrValue = number | bigint | string | boolean | Buffer | number[] | StructValue;

const fieldSize: Record<StructFieldType, number> = { u8: 1, u16: 2, u32: 4, u64: 8, be16: 2, be32: 4, ipv4: 4, ipv6: 16, mac: 6 };

function structSpec(name: string): StructSpec {
  const s = netlinkTables().structs.get(name);
  if (!s) throw new NetlinkFormatError(`unknown struct ${name}`);
  return s;
}

function writeField(type: StructFieldType, v: number | bigint | string, out: Buffer, off: number, what: string): void {
  switch (type) {
    case 'u8': out.writeUInt8(num(v, 0xff, what), off); break;
    case 'u16': out.writeUInt16LE(num(v, 0xffff, what), off); break;
    case 'be16': out.writeUInt16BE(num(v, 0xffff, what), off); break;
    case 'u32': out.writeUInt32LE(num(v, 0xffffffff, what), off); break;
    case 'be32': out.writeUInt32BE(num(v, 0xffffffff, what), off); break;
    case 'u64': out.writeBigUInt64LE(big(v, what), off); break;
    case 'ipv4': ipv4ToBytes(String(v), out, off); break;
    case 'ipv6': ipv6ToBytes(String(v), out, off); break;
    case 'mac': macToBytes(String(v), out, off); break;
  }
}

function readField(type: StructFieldType, buf: Buffer, off: number): number | bigint | string {
  switch (type) {
    case 'u8': return buf.readUInt8(off);
    case 'u16': return buf.readUInt16LE(off);
    case 'be16': return buf.readUInt16BE(off);
    case 'u32': return buf.readUInt32LE(off);
    case 'be32': return buf.readUInt32BE(off);
    case 'u64': return buf.readBigUInt64LE(off);
    case 'ipv4': return bytesToIpv4(buf, off);
    case 'ipv6': return bytesToIpv6(buf, off);
    case 'mac': return bytesToMac(buf, off);
  }
}

function num(v: unknown, max: number, what: string): number {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max) {
    throw new NetlinkFormatError(`${what}: ${String(v)} is not an integer in 0..${max}`);
  }
  return n;
}

function big(v: unknown, what: string): bigint {
  if (typeof v === 'bigint' && v >= 0n && v < 1n << 64n) return v;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  throw new NetlinkFormatError(`${what}: ${String(v)} is not an unsigned 64-bit integer`);
}

export function packStruct(name: string, value: StructValue): Buffer {
  const s = structSpec(name);
  const out = Buffer.alloc(s.size);
  let off = 0;
  for (const [field, type] of s.fields) {
    const v = value[field];
    if (v === undefined) { off += fieldSize[type]; continue; } // absent = zero (padding, unset)
    writeField(type, v, out, off, `${name}.${field}`);
    off += fieldSize[type];
  }
  return out;
}

export function unpackStruct(name: string, payload: Buffer): StructValue {
  const s = structSpec(name);
  if (payload.length !== s.size) throw new NetlinkFormatError(`${name} payload is ${payload.length} bytes, expected ${s.size}`);
  const out: StructValue = {};
  let off = 0;
  for (const [field, type] of s.fields) {
    out[field] = readField(type, payload, off);
    off += fieldSize[type];
  }
  return out;
}

/** Encodes a scalar/struct attribute value to its payload bytes (nested sets are built by callers). */
export function encodeValue(spec: AttrSpec, value: AttrValue, where: string): Buffer {
  const what = `${where}.${spec.name}`;
  switch (spec.type) {
    case 'u8': { const b = Buffer.alloc(1); b.writeUInt8(num(value, 0xff, what)); return b; }
    case 'u16': { const b = Buffer.alloc(2); b.writeUInt16LE(num(value, 0xffff, what)); return b; }
    case 'be16': { const b = Buffer.alloc(2); b.writeUInt16BE(num(value, 0xffff, what)); return b; }
    case 'u32': { const b = Buffer.alloc(4); b.writeUInt32LE(num(value, 0xffffffff, what)); return b; }
    case 'be32': { const b = Buffer.alloc(4); b.writeUInt32BE(num(value, 0xffffffff, what)); return b; }
    case 'u64': { const b = Buffer.alloc(8); b.writeBigUInt64LE(big(value, what)); return b; }
    case 'be64': { const b = Buffer.alloc(8); b.writeBigUInt64BE(big(value, what)); return b; }
    case 'string': {
      if (typeof value !== 'string') throw new NetlinkFormatError(`${what}: expected a string`);
      return Buffer.concat([Buffer.from(value, 'utf8'), Buffer.alloc(1)]);
    }
    case 'flag': return Buffer.alloc(0);
    case 'binary': {
      if (!Buffer.isBuffer(value)) throw new NetlinkFormatError(`${what}: expected bytes`);
      if (spec.length !== undefined && value.length !== spec.length) throw new NetlinkFormatError(`${what}: ${value.length} bytes, expected ${spec.length}`);
      return value;
    }
    case 'u32array': {
      if (!Array.isArray(value)) throw new NetlinkFormatError(`${what}: expected an array of u32`);
      const b = Buffer.alloc(4 * value.length);
      value.forEach((v, i) => b.writeUInt32LE(num(v, 0xffffffff, what), 4 * i));
      return b;
    }
    case 'ipv4': { const b = Buffer.alloc(4); ipv4ToBytes(String(value), b, 0); return b; }
    case 'ipv6': { const b = Buffer.alloc(16); ipv6ToBytes(String(value), b, 0); return b; }
    case 'mac': { const b = Buffer.alloc(6); macToBytes(String(value), b, 0); return b; }
    case 'struct': {
      if (typeof value !== 'object' || Buffer.isBuffer(value) || Array.isArray(value)) throw new NetlinkFormatError(`${what}: expected a struct`);
      return packStruct(spec.struct!, value as StructValue);
    }
    case 'nested':
    case 'nestedArray':
      throw new NetlinkFormatError(`${what}: nested attributes are encoded by their own codec`);
  }
}

const fixedLen: Partial<Record<AttrSpec['type'], number>> = { u8: 1, u16: 2, be16: 2, u32: 4, be32: 4, u64: 8, be64: 8, flag: 0, ipv4: 4, ipv6: 16, mac: 6 };

/** Decodes a non-nested attribute payload, checking its length against the table. */
export function decodeValue(spec: AttrSpec, payload: Buffer, where: string): AttrValue {
  const what = `${where}.${spec.name}`;
  const want = spec.type === 'struct' ? structSpec(spec.struct!).size : spec.type === 'binary' ? spec.length : fixedLen[spec.type];
  if (want !== undefined && payload.length !== want) throw new NetlinkFormatError(`${what} is ${payload.length} bytes, expected ${want}`);
  switch (spec.type) {
    case 'u8': return payload.readUInt8(0);
    case 'u16': return payload.readUInt16LE(0);
    case 'be16': return payload.readUInt16BE(0);
    case 'u32': return payload.readUInt32LE(0);
    case 'be32': return payload.readUInt32BE(0);
    case 'u64': return payload.readBigUInt64LE(0);
    case 'be64': return payload.readBigUInt64BE(0);
    case 'string': {
      const nul = payload.indexOf(0);
      if (nul < 0) throw new NetlinkFormatError(`${what} is not NUL-terminated`);
      return payload.toString('utf8', 0, nul);
    }
    case 'flag': return true;
    case 'binary': return Buffer.from(payload);
    case 'u32array': {
      if (payload.length % 4) throw new NetlinkFormatError(`${what} is ${payload.length} bytes, not a multiple of 4`);
      const out: number[] = [];
      for (let i = 0; i < payload.length; i += 4) out.push(payload.readUInt32LE(i));
      return out;
    }
    case 'ipv4': return bytesToIpv4(payload, 0);
    case 'ipv6': return bytesToIpv6(payload, 0);
    case 'mac': return bytesToMac(payload, 0);
    case 'struct': return unpackStruct(spec.struct!, payload);
    case 'nested':
    case 'nestedArray':
      throw new NetlinkFormatError(`${what}: nested attributes are decoded by their own codec`);
  }
}
