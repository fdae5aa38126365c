// Address text <-> bytes for the datapath codec: MAC "aa:bb:cc:dd:ee:ff", IPv4 dotted quad, IPv6 in
// RFC 5952 form on output (any valid form accepted on input).
import { isIPv4, isIPv6 } from 'node:net';
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
  if (!isIPv6(ip)) throw new NetlinkFormatError(`"${ip}" is not an IPv6 address`);
  let text = ip;
  const words: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let tail: number[] = [];
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    tail = [(b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!];
    text = text.slice(0, text.length - v4[1]!.length) + '0';
    text = text.replace(/:0$/, ':');
    if (text.endsWith('::')) { /* keep */ } else if (text.endsWith(':')) text = text.slice(0, -1);
  }
  const [head, rest] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)));
  const hw = parse(head);
  const need = 8 - tail.length;
  if (rest !== undefined) {
    const rw = parse(rest);
    words.push(...hw, ...new Array(need - hw.length - rw.length).fill(0), ...rw);
  } else words.push(...hw);
  words.push(...tail);
  if (words.length !== 8) throw new NetlinkFormatError(`"${ip}" is not an IPv6 address`);
  for (let i = 0; i < 8; i++) out.writeUInt16BE(words[i]!, off + 2 * i);
}

export function bytesToIpv6(buf: Buffer, off: number): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(buf.readUInt16BE(off + 2 * i));
  // RFC 5952: compress the longest run (>= 2) of zero words, the first on a tie.
  let bestAt = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) { bestAt = i; bestLen = j - i; }
    i = j;
  }
  const h = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return h(w);
  return `${h(w.slice(0, bestAt))}::${h(w.slice(bestAt + bestLen))}`;
}
