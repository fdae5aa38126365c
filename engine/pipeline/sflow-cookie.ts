// The userdata of the datapath `userspace` action that sFlow sampling installs (OVS's
// user_action_cookie of type USER_ACTION_COOKIE_SFLOW, in our own layout): which bridge sampled
// the packet, the datapath port it came in on, where translation sent it and its VLAN, so the
// sFlow agent can report input/output interfaces without re-translating.
import { InvalidInputError } from '../util/errors.js';

/** Which sampler installed the action: bridge sFlow or bridge IPFIX (both may sample a packet). */
export type SampleKind = 'sflow' | 'ipfix';

export interface SflowCookie {
  bridge: string;
  /** Datapath port the packet entered on. */
  inPort: number;
  /** Datapath output ports translation chose (empty: dropped). */
  outPorts: number[];
  /** The packet's 802.1Q TCI as received (0 = untagged). */
  vlanTci: number;
}

const MAGIC: Record<SampleKind, number> = { sflow: 0x5346 /* "SF" */, ipfix: 0x4958 /* "IX" */ };

export function encodeSflowCookie(c: SflowCookie, kind: SampleKind = 'sflow'): Buffer {
  const name = Buffer.from(c.bridge, 'utf8');
  if (name.length > 255) throw new InvalidInputError(`bridge name "${c.bridge}" is longer than 255 bytes`);
  const n = Math.min(c.outPorts.length, 255);
  const b = Buffer.alloc(2 + 1 + 4 + 2 + 1 + 4 * n + 1 + name.length);
  let o = 0;
  b.writeUInt16BE(MAGIC[kind], o); o += 2;
  b.writeUInt8(1, o); o += 1;
  b.writeUInt32BE(c.inPort >>> 0, o); o += 4;
  b.writeUInt16BE(c.vlanTci & 0xffff, o); o += 2;
  b.writeUInt8(n, o); o += 1;
  for (let i = 0; i < n; i++) { b.writeUInt32BE(c.outPorts[i]! >>> 0, o); o += 4; }
  b.writeUInt8(name.length, o); o += 1;
  name.copy(b, o);
  return b;
}

/** The cookie, or undefined when `b` is not a sampling cookie of ours of that kind. */
export function decodeSflowCookie(b: Buffer | undefined, kind: SampleKind = 'sflow'): SflowCookie | undefined {
  if (!b || b.length < 11 || b.readUInt16BE(0) !== MAGIC[kind] || b[2] !== 1) return undefined;
  let o = 3;
  const inPort = b.readUInt32BE(o); o += 4;
  const vlanTci = b.readUInt16BE(o); o += 2;
  const n = b[o++]!;
  if (b.length < o + 4 * n + 1) return undefined;
  const outPorts: number[] = [];
  for (let i = 0; i < n; i++) { outPorts.push(b.readUInt32BE(o)); o += 4; }
  const len = b[o++]!;
  if (b.length !== o + len) return undefined;
  return { bridge: b.toString('utf8', o, o + len), inPort, outPorts, vlanTci };
}
