// Address text <-> bytes for the datapath codec: MAC "aa:bb:cc:dd:ee:ff", IPv4 dotted quad, IPv6 in
// RFC 5952 form on output (any valid form accepted on input); IPv6 text goes through the same
// parser and formatter as frame extraction (flow-extract.ts).
import { isIPv4 } from 'node:net';
import { ipv6ToWords, wordsToIpv6 } from './flow-extract.js';
import { NetlinkFormatError } from './netlink.js';

export function macToBytes(mac: string, out: Buffer, off: number): void {
  const m = /^([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})$/.exec(mac);
  if (!m) throw new NetlinkFormatError(`"${mac}" is not a MAC address (expected six hex pairs like 00:11:22:33:44:55)`);
  for (let i = 0; i < 6; i++) out[off + i] = parseInt(m[i + 1]!, 16);
}

const hex2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function bytesToMac(buf: Buffer, off: number): string {
  return `${hex2[buf[off]!]}:${hex2[buf[off + 1]!]}:${hex2[buf[off + 2]!]}:${hex2[buf[off + 3]!]}:${hex2[buf[off + 4]!]}:${hex2[buf[off + 5]!]}`;
}

export function ipv4ToBytes(ip: string, out: Buffer, off: number): void {
  if (!isIPv4(ip)) throw new NetlinkFormatError(`"${ip}" is not an IPv4 address`);
  const p = ip.split('.');
  for (let i = 0; i < 4; i++) out[off + i] = Number(p[i]);
}

export function bytesToIpv4(buf: Buffer, off: number): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

export function ipv6ToBytes(ip: string, out: Buffer, off: number): void {
  let w: [number, number, number, number];
  try { w = ipv6ToWords(ip); } catch { throw new NetlinkFormatError(`"${ip}" is not an IPv6 address`); }
  for (let i = 0; i < 4; i++) out.writeUInt32BE(w[i]!, off + 4 * i);
}

export function bytesToIpv6(buf: Buffer, off: number): string {
  return wordsToIpv6([buf.readUInt32BE(off), buf.readUInt32BE(off + 4), buf.readUInt32BE(off + 8), buf.readUInt32BE(off + 12)]);
}
