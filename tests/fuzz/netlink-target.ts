// Fuzz target: the datapath netlink decoder (engine/channel/netlink.ts decodeMessage and
// engine/channel/messages.ts decode*). Inputs are valid messages of every family with random
// mutations (byte flips, truncation, splices, length-field edits), random attribute trees, and raw
// random bytes. Every decoder is tried on every message: only NetlinkFormatError may escape.
import fc from 'fast-check';
import { decodeDatapath, decodeFamily, decodeFlow, decodePacket, decodeVport, encodeDatapath, encodeFlow,
  encodeNewFamily, encodePacket, encodeVport } from '../../engine/channel/messages.js';
import { NetlinkFormatError, decodeMessage, splitMessages, type GenlMessage } from '../../engine/channel/netlink.js';
import type { OdpAction, OdpFlowKey } from '../../engine/channel/odp-types.js';
import { bufFromJson, bufToJson, FuzzFailure, type FuzzTarget } from './harness.js';

const tcpKey: OdpFlowKey = {
  priority: 0, skbMark: 0, recircId: 0, dpHash: 0, inPort: 3,
  eth: { src: '00:11:22:33:44:55', dst: 'ff:ee:dd:cc:bb:aa' }, ethType: 0x0800,
  ipv4: { src: '10.0.0.1', dst: '10.0.0.2', proto: 6, tos: 0, ttl: 64, frag: 0 },
  tcp: { src: 40000, dst: 80 }, tcpFlags: 0x02,
};
const vlanKey: OdpFlowKey = {
  inPort: 1, eth: { src: '02:00:00:00:00:01', dst: '02:00:00:00:00:02' }, vlanTci: 0x1000 | 900, ethType: 0x0806,
  arp: { sip: '192.168.9.1', tip: '192.168.9.2', op: 1, sha: '02:00:00:00:00:01', tha: '00:00:00:00:00:00' },
};
const actions: OdpAction[] = [
  { type: 'push_vlan', tpid: 0x8100, tci: 0x1000 | 100 }, { type: 'output', port: 2 }, { type: 'pop_vlan' },
  { type: 'set', key: { eth: { src: '02:00:00:00:00:09', dst: '02:00:00:00:00:0a' } } },
];

/** Valid messages of every family, the starting points of mutation. */
function seeds(): Buffer[] {
  return [
    encodeDatapath({ cmd: 'GET', dpIfindex: 3, name: 'ovs-system', upcallPid: 12 }, { type: 0x16, seq: 1 }),
    encodeVport({ cmd: 'NEW', dpIfindex: 3, vport: { portNo: 2, type: 4, name: 'vxlan0', upcallPids: [1, 2], options: { dstPort: 4789 } } }, { type: 0x14 }),
    encodeVport({ cmd: 'GET', dpIfindex: 1, vport: { name: 'br0' } }, { type: 0x14, flags: 1, seq: 7, pid: 99 }),
    encodeFlow({ cmd: 'NEW', dpIfindex: 3, flow: { key: tcpKey, mask: { inPort: 0xffffffff, ethType: 0xffff }, actions, ufid: Buffer.alloc(16, 0xab), used: 5 } }, { type: 0x15 }),
    encodeFlow({ cmd: 'DEL', dpIfindex: 3, flow: { key: vlanKey, actions: [] } }, { type: 0x15 }),
    encodePacket({ cmd: 'MISS', dpIfindex: 3, packet: Buffer.from('0123456789abcdef', 'hex'), key: tcpKey, userdata: Buffer.from([1, 2, 3, 4]), mru: 1500 }, { type: 0x13 }),
    encodePacket({ cmd: 'EXECUTE', dpIfindex: 3, packet: Buffer.alloc(60, 1), key: vlanKey, actions }, { type: 0x13 }),
    encodeNewFamily({ id: 27, name: 'ovs_vport', version: 1, mcgroups: [{ name: 'ovs_vport', id: 5 }] }, { seq: 1 }),
  ];
}

let seedCache: Buffer[] | undefined;
const seedMessages = (): Buffer[] => (seedCache ??= seeds());

type Attr = { type: number; payload: Buffer | Attr[] };
const attrTree: fc.Arbitrary<Attr[]> = fc.letrec<{ list: Attr[]; attr: Attr }>((tie) => ({
  list: fc.array(tie('attr'), { maxLength: 5 }),
  attr: fc.record({
    type: fc.oneof(fc.integer({ min: 0, max: 35 }), fc.integer({ min: 0, max: 0xffff })),
    payload: fc.oneof({ depthSize: 'small' },
      fc.constantFrom(0, 1, 2, 4, 6, 8, 12, 16, 20, 40).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })).map((u) => Buffer.from(u)),
      tie('list')),
  }),
})).list;

function encodeAttrs(attrs: Attr[]): Buffer {
  const parts: Buffer[] = [];
  for (const a of attrs) {
    const payload = Buffer.isBuffer(a.payload) ? a.payload : encodeAttrs(a.payload);
    const h = Buffer.alloc(4);
    h.writeUInt16LE(Math.min(0xffff, 4 + payload.length), 0);
    h.writeUInt16LE(a.type, 2);
    const pad = Buffer.alloc((4 - ((4 + payload.length) & 3)) & 3);
    parts.push(h, payload, pad);
  }
  return Buffer.concat(parts);
}

const mutation = fc.tuple(fc.constantFrom('flip', 'trunc', 'insert', 'splice', 'len16', 'len32'), fc.nat(), fc.nat({ max: 0xffff }));

function mutate(b: Buffer, muts: [string, number, number][]): Buffer {
  let out = Buffer.from(b);
  for (const [kind, pos, v] of muts) {
    const p = out.length ? pos % out.length : 0;
    switch (kind) {
      case 'flip': if (out.length) out[p] = v & 0xff; break;
      case 'trunc': out = out.subarray(0, p); break;
      case 'insert': out = Buffer.concat([out.subarray(0, p), Buffer.alloc((v % 8) + 1, v & 0xff), out.subarray(p)]); break;
      case 'splice': { const s = seedMessages()[v % seedMessages().length]!; out = Buffer.concat([out.subarray(0, p), s.subarray(v % s.length)]); break; }
      case 'len16': { const q = p & ~1; if (q + 2 <= out.length) out.writeUInt16LE(v, q); break; }
      case 'len32': if (out.length >= 4) out.writeUInt32LE(v * (pos & 0xff), 0); break;
    }
  }
  return out;
}

function header(cmd: number, type: number, body: Buffer, withOvs: boolean, dp: number): Buffer {
  const h = Buffer.alloc(16 + 4 + (withOvs ? 4 : 0));
  h.writeUInt32LE(h.length + body.length, 0);
  h.writeUInt16LE(type, 4);
  h.writeUInt8(cmd, 16);
  h.writeUInt8(1, 17);
  if (withOvs) h.writeInt32LE(dp, 20);
  return Buffer.concat([h, body]);
}

export const netlinkArbitrary: fc.Arbitrary<Buffer> = fc.oneof(
  fc.record({ i: fc.nat(), muts: fc.array(mutation, { minLength: 1, maxLength: 4 }) }).map(({ i, muts }) => mutate(seedMessages()[i % seedMessages().length]!, muts)),
  fc.record({ cmd: fc.integer({ min: 0, max: 12 }), type: fc.constantFrom(0x10, 0x13, 0x14, 0x15, 0x16, 2, 3), attrs: attrTree, ovs: fc.boolean(), dp: fc.integer() })
    .map(({ cmd, type, attrs, ovs, dp }) => header(cmd, type, encodeAttrs(attrs), ovs, dp)),
  fc.uint8Array({ maxLength: 120 }).map((u) => Buffer.from(u)),
);

const decoders: [string, (m: GenlMessage) => unknown][] = [
  ['decodeDatapath', decodeDatapath], ['decodeVport', decodeVport], ['decodeFlow', decodeFlow],
  ['decodePacket', decodePacket], ['decodeFamily', decodeFamily],
];

function onlyFormatError(what: string, fn: () => unknown): unknown {
  try {
    return fn();
  } catch (e) {
    if (e instanceof NetlinkFormatError) return undefined;
    throw new FuzzFailure(`${what} threw something other than NetlinkFormatError`, e);
  }
}

export const netlinkTarget: FuzzTarget<Buffer> = {
  name: 'netlink-decoder',
  arbitrary: () => netlinkArbitrary,
  check(buf) {
    const parts = onlyFormatError('splitMessages', () => splitMessages(buf)) as Buffer[] | undefined;
    for (const one of parts ?? [buf]) {
      for (const withOvs of [true, false]) {
        const m = onlyFormatError('decodeMessage', () => decodeMessage(one, (t) => withOvs && t !== 0x10)) as ReturnType<typeof decodeMessage> | undefined;
        if (!m || m.kind !== 'genl') continue;
        for (const [name, dec] of decoders) onlyFormatError(name, () => dec(m));
      }
    }
  },
  toJson: bufToJson,
  fromJson: bufFromJson,
};
