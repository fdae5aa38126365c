// The datapath's tunnel pieces without sockets: VXLAN/Geneve encapsulation and decapsulation
// (byte layout per RFC 7348 / RFC 8926), tunnel metadata in flow-key words and masks, the
// set(tunnel) action, fragmentation of an oversized outer packet.
import t from 'tap';
import { compileActions, executeActions, type ActionHost, type FrameState } from '../../driver/userspace/actions.js';
import {
  decapsulate, emptyTunnelMeta, encapsulate, fragments, tunnelMetaFromKey, tunnelMetaToKey, TUNNEL_GENEVE, TUNNEL_VXLAN, type Decapsulated,
} from '../../driver/userspace/tunnel.js';
import { exactMaskWords, keyFromWords, keyToWords, maskToWords, maskWords, wordsMatch, W, TUN_F_KEY, TUN_F_DF } from '../../engine/channel/flow-extract.js';
import { eth } from './frames.js';

const frame = () => eth('02:00:00:00:00:0b', '02:00:00:00:00:0a', 0x88b5, Buffer.from('payload of the inner frame'));

t.test('VXLAN: encapsulate then decapsulate gives back the frame and the metadata', async (t) => {
  const meta = tunnelMetaFromKey({ id: 0x123456n, ipv4Src: '172.31.0.1', ipv4Dst: '172.31.0.2', tos: 0x20, ttl: 33, dontFragment: true });
  const f = frame();
  const out = Buffer.alloc(200);
  const n = encapsulate(TUNNEL_VXLAN, 4789, meta, f, 0, f.length, out);
  t.equal(n, f.length + 36, '20 bytes of IPv4, 8 of UDP, 8 of VXLAN');
  t.equal(out[0], 0x45); t.equal(out[1], 0x20, 'TOS'); t.equal(out[8], 33, 'TTL'); t.equal(out[9], 17, 'UDP');
  t.equal(out.readUInt16BE(6), 0x4000, 'DF');
  t.equal(out.readUInt16BE(22), 4789, 'UDP destination port');
  t.ok(out.readUInt16BE(20) >= 32768 && out.readUInt16BE(20) < 61000, 'source port in the ephemeral range');
  t.equal(out.readUInt16BE(26), 0, 'UDP checksum 0 (allowed over IPv4)');
  t.equal(out[28], 0x08, 'I flag');
  t.equal(out.readUInt32BE(32) >>> 8, 0x123456, 'VNI');
  const m = emptyTunnelMeta();
  const d: Decapsulated = { off: 0, len: 0 };
  t.ok(decapsulate(out, 0, n, TUNNEL_VXLAN, 4789, m, d));
  t.same(out.subarray(d.off, d.off + d.len), f, 'inner frame intact');
  t.match(tunnelMetaToKey(m), { id: 0x123456n, ipv4Src: '172.31.0.1', ipv4Dst: '172.31.0.2', tos: 0x20, ttl: 33, dontFragment: true, tpDst: 4789 });
  t.notOk(decapsulate(out, 0, n, TUNNEL_VXLAN, 4790, m, d), 'another UDP port is not ours');
  out[28] = 0;
  t.notOk(decapsulate(out, 0, n, TUNNEL_VXLAN, 4789, m, d), 'VXLAN without the I flag is dropped');
  t.notOk(decapsulate(out, 0, 30, TUNNEL_VXLAN, 4789, m, d), 'a truncated packet is dropped');
});

t.test('Geneve: options travel with the VNI', async (t) => {
  const opts = Buffer.from([0x01, 0x02, 0x80, 0x01, 0xde, 0xad, 0xbe, 0xef]);
  const meta = tunnelMetaFromKey({ id: 7n, ipv4Src: '10.0.0.1', ipv4Dst: '10.0.0.2', geneveOptions: opts });
  const f = frame();
  const out = Buffer.alloc(200);
  const n = encapsulate(TUNNEL_GENEVE, 6081, meta, f, 0, f.length, out);
  t.equal(n, f.length + 36 + 8);
  t.equal(out[28], 2, 'option length in 4-byte words');
  t.equal(out.readUInt16BE(30), 0x6558, 'Transparent Ethernet Bridging');
  const m = emptyTunnelMeta();
  const d: Decapsulated = { off: 0, len: 0 };
  t.ok(decapsulate(out, 0, n, TUNNEL_GENEVE, 6081, m, d));
  t.same(out.subarray(d.off, d.off + d.len), f);
  t.same(tunnelMetaToKey(m).geneveOptions, opts);
  t.equal(tunnelMetaToKey(m).id, 7n);
  t.throws(() => tunnelMetaFromKey({ ipv4Dst: '10.0.0.2', geneveOptions: Buffer.alloc(3) }), /multiple of 4/);
});

t.test('tunnel metadata in flow-key words: key, mask, exact mask', async (t) => {
  const key = { inPort: 3, tunnel: { id: 5n, ipv4Src: '172.31.0.2', ipv4Dst: '172.31.0.1', tos: 0, ttl: 64, tpSrc: 40000, tpDst: 4789, dontFragment: true } };
  const w = keyToWords(key);
  t.equal(w[W.TUN_ID_LO], 5); t.equal(w[W.TUN_FLAGS], TUN_F_KEY | TUN_F_DF);
  t.match(keyFromWords(w).tunnel, key.tunnel, 'words back to the typed key');
  const mask = maskToWords({ inPort: 0xffffffff, tunnel: { id: 0xffffffffffffffffn, ipv4Src: '255.255.255.255', ipv4Dst: '255.255.255.255', tos: 0xff, dontFragment: true } });
  const other = keyToWords({ ...key, tunnel: { ...key.tunnel, tpSrc: 50000, ttl: 3 } });
  t.ok(wordsMatch(other, maskWords(w, mask), mask), 'outer source port and TTL are wildcarded by that mask');
  t.notOk(wordsMatch(keyToWords({ ...key, tunnel: { ...key.tunnel, id: 6n } }), maskWords(w, mask), mask), 'another VNI is not');
  t.notOk(wordsMatch(keyToWords({ inPort: 3 }), maskWords(w, mask), mask), 'nor a frame without tunnel metadata');
  const exact = exactMaskWords(key);
  t.equal(exact[W.TUN_TP_SRC], 0xffff, 'a flow put without a mask matches every tunnel field it names');
  t.throws(() => keyToWords({ tunnel: { ipv4Dst: 'x' } }), /tunnel\.ipv4Dst/);
});

t.test('set(tunnel) gives the frame egress metadata that output sees', async (t) => {
  const seen: Array<{ port: number; dst?: number; id?: number }> = [];
  const host: ActionHost = {
    output(port, _b, _o, _l, f) { seen.push({ port, dst: f?.tun?.dst, id: f?.tun?.idLo }); },
    userspace() { /* none */ }, recirculate() { /* none */ },
  };
  const f0 = frame();
  const buf = Buffer.alloc(f0.length + 128);
  f0.copy(buf, 64);
  const f: FrameState = { buf, off: 64, len: f0.length, inPort: 1, recircId: 0, dpHash: 0, cutlen: 0, depth: 0 };
  executeActions(compileActions([{ type: 'output', port: 2 }, { type: 'set', key: { tunnel: { id: 9n, ipv4Dst: '10.1.2.3' } } }, { type: 'output', port: 5 }]), f, host);
  t.same(seen, [{ port: 2, dst: undefined, id: undefined }, { port: 5, dst: 0x0a010203, id: 9 }]);
});

t.test('an outer packet over the path MTU is cut into IPv4 fragments with one id', async (t) => {
  const meta = tunnelMetaFromKey({ id: 1n, ipv4Src: '1.1.1.1', ipv4Dst: '2.2.2.2' });
  const inner = eth('02:00:00:00:00:0b', '02:00:00:00:00:0a', 0x88b5, Buffer.alloc(1600, 0xab));
  const out = Buffer.alloc(2000);
  const n = encapsulate(TUNNEL_VXLAN, 4789, meta, inner, 0, inner.length, out);
  const frags = [...fragments(out, n, 1500, 0x1234)];
  t.equal(frags.length, 2);
  t.ok(frags.every((x) => x.length <= 1500 && x.readUInt16BE(4) === 0x1234));
  t.equal(frags[0]!.readUInt16BE(6), 0x2000, 'more fragments, offset 0');
  t.equal(frags[1]!.readUInt16BE(6) & 0x1fff, (frags[0]!.length - 20) / 8, 'second fragment offset');
  t.same(Buffer.concat([frags[0]!.subarray(20), frags[1]!.subarray(20)]), out.subarray(20, n), 'payload reassembles');
});
