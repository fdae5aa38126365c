// GRE (RFC 2784/2890) framing of the userspace datapath: key and checksum flags, the inner
// Ethernet frame, and the packets a GRE vport must refuse.
import t from 'tap';
import { decapsulate, emptyTunnelMeta, encapsulate, headerLength, TUNNEL_GRE, type Decapsulated } from '../../driver/userspace/tunnel.js';
import { TUN_F_CSUM, TUN_F_DF, TUN_F_KEY, ipv4ToWord } from '../../engine/channel/flow-extract.js';

const frame = Buffer.concat([Buffer.from('0200000000bb0200000000aa0800', 'hex'), Buffer.alloc(46, 0x5a)]);

function roundTrip(flags: number, key = 0) {
  const meta = { ...emptyTunnelMeta(), src: ipv4ToWord('172.31.0.1'), dst: ipv4ToWord('172.31.0.2'), ttl: 64, tos: 0x10, flags, idLo: key };
  const out = Buffer.alloc(200);
  const n = encapsulate(TUNNEL_GRE, 0, meta, frame, 0, frame.length, out);
  return { meta, pkt: out.subarray(0, n) };
}

t.test('GRE with a key and a checksum', async (t) => {
  const { meta, pkt } = roundTrip(TUN_F_KEY | TUN_F_CSUM | TUN_F_DF, 0x12345678);
  t.equal(pkt.length, 20 + 12 + frame.length, 'IPv4 + GRE base 4 + checksum 4 + key 4 + frame');
  t.equal(pkt.length, headerLength(TUNNEL_GRE, meta) + frame.length);
  t.equal(pkt[9], 47, 'IP protocol 47');
  t.equal(pkt.readUInt16BE(6), 0x4000, 'DF set');
  t.equal(pkt.readUInt16BE(20), 0xa000, 'C and K flags, version 0');
  t.equal(pkt.readUInt16BE(22), 0x6558, 'transparent Ethernet bridging');
  t.equal(pkt.readUInt32BE(28), 0x12345678, 'the key');
  const m = emptyTunnelMeta();
  const d: Decapsulated = { off: 0, len: 0 };
  t.ok(decapsulate(pkt, 0, pkt.length, TUNNEL_GRE, 0, m, d), 'decapsulates');
  t.same(pkt.subarray(d.off, d.off + d.len), frame, 'the inner frame');
  t.equal(m.idLo, 0x12345678);
  t.equal(m.flags & (TUN_F_KEY | TUN_F_CSUM | TUN_F_DF), TUN_F_KEY | TUN_F_CSUM | TUN_F_DF);
  t.equal(m.tos, 0x10);
  const bad = Buffer.from(pkt); bad[pkt.length - 1] ^= 0xff;
  t.notOk(decapsulate(bad, 0, bad.length, TUNNEL_GRE, 0, emptyTunnelMeta(), d), 'a bad GRE checksum is dropped');
});

t.test('GRE without key: 4-byte header, tunnel id 0', async (t) => {
  const { pkt } = roundTrip(0);
  t.equal(pkt.length, 24 + frame.length);
  t.equal(pkt.readUInt16BE(20), 0, 'no flags');
  const m = emptyTunnelMeta();
  const d: Decapsulated = { off: 0, len: 0 };
  t.ok(decapsulate(pkt, 0, pkt.length, TUNNEL_GRE, 0, m, d));
  t.equal(m.flags & TUN_F_KEY, 0, 'no key');
  t.equal(d.len, frame.length);
});

t.test('GRE packets a vport refuses', async (t) => {
  const { pkt } = roundTrip(TUN_F_KEY, 7);
  const d: Decapsulated = { off: 0, len: 0 };
  const v = (mut: (b: Buffer) => void) => { const b = Buffer.from(pkt); mut(b); return decapsulate(b, 0, b.length, TUNNEL_GRE, 0, emptyTunnelMeta(), d); };
  t.notOk(v((b) => { b[9] = 17; }), 'not protocol 47');
  t.notOk(v((b) => { b.writeUInt16BE(0x0800, 22); }), 'GRE carrying IPv4, not Ethernet');
  t.notOk(v((b) => { b.writeUInt16BE(0x2001, 20); }), 'GRE version 1 (PPTP)');
  t.notOk(v((b) => { b.writeUInt16BE(0x2000 | 0x4000, 20); }), 'routing present');
  t.notOk(v((b) => { b.writeUInt16BE(0x2000 | 0x1fff, 6); }), 'a fragment');
  t.notOk(decapsulate(pkt, 0, 30, TUNNEL_GRE, 0, emptyTunnelMeta(), d), 'truncated');
});
