// Byte-exact codec vectors (tests/corpus/netlink/*.json), written from the C layouts of OVS's
// OvsDpInterface.h (= include/linux/openvswitch.h) and OvsDpInterfaceExt.h, not produced by our
// encoder. Each vector's typed value is encoded by engine/channel and compared byte for byte, and
// its bytes are decoded and compared with the value. Windows-only families (ovs_win_control,
// ovs_win_netdev) have no typed codec: their messages are built from the tables (encodeGenl +
// attr-values), as the Windows transport builds them.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeValue, encodeValue, type AttrValue } from '../../engine/channel/attr-values.js';
import {
  decodeDatapath, decodeFamily, decodeFlow, decodePacket, decodeVport, encodeDatapath, encodeFlow, encodeGetFamily, encodePacket, encodeVport,
  type DatapathMessage, type Envelope, type FlowMessage, type PacketMessage, type VportMessage,
} from '../../engine/channel/messages.js';
import { align4, decodeMessage, encodeGenl, NetlinkFormatError, type GenlMessage, type NlWriter } from '../../engine/channel/netlink.js';
import { attrSet, familySpec, netlinkTables } from '../../engine/channel/netlink-tables.js';
import { projectRoot } from '../../engine/setup/paths.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Field extends Array<number | string> { 0: number; 1: number; 2: string; 3: string; 4: string }
interface Vector {
  name: string;
  family: string;
  codec: 'datapath' | 'vport' | 'flow' | 'packet' | 'attrs' | 'getfamily';
  meaning: string;
  envelope: { type: number; flags: number; seq: number; pid: number };
  value: { [k: string]: Json };
  hex: string;
  fields: Field[];
  attributeOrder?: 'ovs-userspace' | 'datapath';
}

const dir = join(projectRoot, 'tests', 'corpus', 'netlink');
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

/** JSON -> codec values: {"u64": "n"} is a bigint, {"hex": "..."} a Buffer. */
function revive(v: Json): unknown {
  if (Array.isArray(v)) return v.map(revive);
  if (v && typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === 'u64' && typeof v.u64 === 'string') return BigInt(v.u64);
    if (keys.length === 1 && keys[0] === 'hex' && typeof v.hex === 'string') return Buffer.from(v.hex, 'hex');
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]));
  }
  return v;
}

function attrsCodec(v: Vector, value: Record<string, unknown>): { encode: () => Buffer; decode: (m: GenlMessage) => unknown } {
  const fam = familySpec(v.family);
  const set = attrSet(value.attributeSet as string);
  return {
    encode: () => encodeGenl({ ...v.envelope, cmd: fam.commands.get(value.cmd as string)!, version: fam.version, dpIfindex: value.dpIfindex as number }, (w: NlWriter) => {
      for (const [name, x] of value.attrs as Array<[string, AttrValue]>) {
        const spec = set.byName.get(name);
        if (!spec) throw new Error(`${set.name} has no attribute ${name}`);
        w.attr(spec.id, encodeValue(spec, x, set.name));
      }
    }),
    decode: (m) => ({
      cmd: fam.commandNames.get(m.cmd), dpIfindex: m.dpIfindex, attributeSet: set.name,
      attrs: m.attrs.map((a) => {
        const spec = set.byId.get(a.type);
        if (!spec) throw new Error(`${set.name}: unknown attribute ${a.type}`);
        return [spec.name, decodeValue(spec, a.payload, set.name)];
      }),
    }),
  };
}

function codecFor(v: Vector): { encode: () => Buffer; decode: (m: GenlMessage) => unknown } {
  const value = revive(v.value) as Record<string, unknown>;
  const env: Envelope = v.envelope;
  switch (v.codec) {
    case 'datapath': return { encode: () => encodeDatapath(value as unknown as DatapathMessage, env), decode: decodeDatapath };
    case 'vport': return { encode: () => encodeVport(value as unknown as VportMessage, env), decode: decodeVport };
    case 'flow': return { encode: () => encodeFlow(value as unknown as FlowMessage, env), decode: decodeFlow };
    case 'packet': return { encode: () => encodePacket(value as unknown as PacketMessage, env), decode: decodePacket };
    case 'attrs': return attrsCodec(v, value);
    case 'getfamily': return {
      encode: () => encodeGetFamily(value.name as string, { seq: env.seq, pid: env.pid }),
      decode: (m) => {
        const spec = attrSet('ctrl').byName.get('FAMILY_NAME')!;
        const a = m.attrs.find((x) => x.type === spec.id);
        return { name: a ? decodeValue(spec, a.payload, 'ctrl') : undefined };
      },
    };
  }
}

/** The message with its top-level attributes sorted by type (nested payloads untouched). */
function sortedTopLevel(buf: Buffer, fixed: number): string {
  const parts: Array<{ type: number; bytes: Buffer }> = [];
  for (let off = fixed; off < buf.length;) {
    const len = buf.readUInt16LE(off);
    parts.push({ type: buf.readUInt16LE(off + 2), bytes: buf.subarray(off, off + align4(len)) });
    off += align4(len);
  }
  parts.sort((a, b) => a.type - b.type);
  return Buffer.concat([buf.subarray(0, fixed), ...parts.map((p) => p.bytes)]).toString('hex');
}

let total = 0;
for (const file of files) {
  const doc = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { vectors: Vector[] };
  for (const v of doc.vectors) {
    total++;
    t.test(`${file}: ${v.name} (${v.meaning})`, async (t) => {
      const bytes = Buffer.from(v.hex, 'hex');
      // The explanation is the bytes: fields tile the message exactly, in order.
      let off = 0;
      for (const [at, size, field, hex] of v.fields) {
        if (at !== off || hex.length !== 2 * size || bytes.subarray(at, at + size).toString('hex') !== hex) {
          t.fail(`field ${field} at ${at} (size ${size}) does not match the bytes at ${off}`);
          return;
        }
        off += size;
      }
      t.equal(off, bytes.length, 'the fields cover every byte');
      t.equal(bytes.readUInt32LE(0), bytes.length, 'nlmsg_len is the message length');

      const codec = codecFor(v);
      const ours = codec.encode();
      const withOvs = v.codec !== 'getfamily';
      if (ours.equals(bytes)) {
        t.pass('our encoder writes exactly these bytes');
      } else if (v.attributeOrder) {
        // Netlink leaves attribute order to the sender; a vector in another sender's order must
        // still match attribute for attribute.
        t.equal(sortedTopLevel(ours, withOvs ? 24 : 20), sortedTopLevel(bytes, withOvs ? 24 : 20), `same attributes and bytes as ${v.attributeOrder} order (ours orders them differently)`);
        t.comment(`attribute order differs from ${v.attributeOrder}: ours ${ours.toString('hex')}`);
      } else {
        t.equal(ours.toString('hex'), v.hex, 'our encoder writes exactly these bytes');
      }

      const ctrl = netlinkTables().controller.id;
      const msg = decodeMessage(bytes, (type) => type !== ctrl);
      t.equal(msg.kind, 'genl');
      if (msg.kind !== 'genl') return;
      t.same({ type: msg.header.type, flags: msg.header.flags, seq: msg.header.seq, pid: msg.header.pid }, v.envelope, 'header fields');
      t.strictSame(codec.decode(msg), revive(v.value), 'decoding the bytes gives the value back');

      t.throws(() => decodeMessage(bytes.subarray(0, bytes.length - 1), (type) => type !== ctrl), NetlinkFormatError, 'one byte short is refused');
    });
  }
}

t.test('every family and command has a vector', async (t) => {
  const seen = new Set<string>();
  for (const file of files) {
    for (const v of (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { vectors: Vector[] }).vectors) {
      const fam = v.family === 'nlctrl' ? undefined : familySpec(v.family);
      const cmdByte = Buffer.from(v.hex, 'hex').readUInt8(16);
      if (fam) seen.add(`${v.family}/${fam.commandNames.get(cmdByte)}`);
    }
  }
  const want = ['ovs_datapath/NEW', 'ovs_datapath/DEL', 'ovs_datapath/GET', 'ovs_datapath/SET', 'ovs_vport/NEW', 'ovs_vport/DEL', 'ovs_vport/GET', 'ovs_vport/SET',
    'ovs_flow/NEW', 'ovs_flow/DEL', 'ovs_flow/GET', 'ovs_flow/SET', 'ovs_packet/EXECUTE', 'ovs_packet/MISS', 'ovs_packet/ACTION',
    'ovs_win_control/SOCK_PROP', 'ovs_win_control/MC_SUBSCRIBE_REQ', 'ovs_win_control/PACKET_SUBSCRIBE_REQ', 'ovs_win_control/WIN_PEND_REQ', 'ovs_win_control/WIN_PEND_PACKET_REQ',
    'ovs_win_netdev/GET'];
  t.same(want.filter((w) => !seen.has(w)), [], 'no command without a vector');
  t.ok(total >= want.length, `${total} vectors`);
});
