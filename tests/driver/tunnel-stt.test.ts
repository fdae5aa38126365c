// STT framing (draft-davie-stt-08, OVS's layout): the 18-byte STT header, segments whose sequence
// number carries frame length and offset and whose ack is the frame id, TCP checksums, reassembly
// in any order, duplicates, timeouts, and the packets a receiver must refuse.
import t from 'tap';
import { SttReassembler, STT_DST_PORT, STT_HDR_LEN, STT_REASSEMBLY_MS, encapsulateStt } from '../../driver/userspace/tunnel-stt.js';
import { emptyTunnelMeta, encapsulate, TUNNEL_VXLAN } from '../../driver/userspace/tunnel.js';
import { TUN_F_CSUM, TUN_F_DF, TUN_F_KEY, ipv4ToWord } from '../../engine/channel/flow-extract.js';
import { localAddress, openTunnelTx } from '../../driver/linux/udp-tunnel.js';
import { closeFd } from '../../driver/linux/native.js';
import { needRoot } from '../lib/env.js';

const frame = Buffer.concat([Buffer.from('0200000000bb0200000000aa0800', 'hex'), Buffer.alloc(3000, 0).map((_, i) => i & 0xff)]);
const meta = { ...emptyTunnelMeta(), src: ipv4ToWord('172.31.0.1'), dst: ipv4ToWord('172.31.0.2'), ttl: 64, tos: 0, flags: TUN_F_KEY | TUN_F_DF, idHi: 0x1, idLo: 0x23456789 };

t.test('segments: header layout and sequence numbers', async (t) => {
  const segs = encapsulateStt(meta, frame, 0, frame.length, 1500, 0xabcdef01, 40000);
  const sttLen = STT_HDR_LEN + frame.length;
  t.equal(segs.length, Math.ceil(sttLen / 1460), 'MSS = path MTU - 40');
  for (const [i, s] of segs.entries()) {
    t.ok(s.length <= 1500, `segment ${i} fits the MTU`);
    t.equal(s[9], 6, 'IP protocol TCP');
    t.equal(s.readUInt16BE(22), STT_DST_PORT, 'destination port 7471');
    t.equal(s.readUInt32BE(24), ((sttLen << 16) | (i * 1460)) >>> 0, 'seq = STT frame length << 16 | offset');
    t.equal(s.readUInt32BE(28), 0xabcdef01, 'ack = the frame id');
    t.equal(s[33], 0x18, 'PSH|ACK');
  }
  const first = segs[0]!;
  t.equal(first[40], 0, 'STT version 0');
  t.equal(first[41], 1, 'flags: checksum verified');
  t.equal(first.readUInt32BE(48), 0x1, 'context id high word');
  t.equal(first.readUInt32BE(52), 0x23456789, 'context id low word');
  t.same([...first.subarray(56, 58)], [0, 0], 'two bytes of padding');
  t.same(first.subarray(58, 58 + 14), frame.subarray(0, 14), 'then the Ethernet frame');
});

t.test('reassembly in any order, with duplicates', async (t) => {
  const segs = encapsulateStt(meta, frame, 0, frame.length, 1000, 7, 40000);
  const r = new SttReassembler();
  const m = emptyTunnelMeta();
  const order = [2, 0, 3, 0, 1];
  const results = order.filter((i) => i < segs.length).map((i) => r.push(segs[i]!, 0, segs[i]!.length, STT_DST_PORT, m, 1000));
  const done = results.filter((x) => x.kind === 'frame');
  t.equal(done.length, 1, 'exactly one frame comes out');
  t.same((done[0] as { frame: Buffer }).frame, frame, 'the frame, whole');
  t.equal(m.idLo, 0x23456789);
  t.equal(m.idHi, 1);
  t.equal(m.src, ipv4ToWord('172.31.0.1'));
  t.equal(r.pendingFrames, 0);
});

t.test('refused: bad checksum, other port, bad version; partial frames time out', async (t) => {
  const small = frame.subarray(0, 100);
  const [seg] = encapsulateStt(meta, small, 0, small.length, 1500, 9, 40000);
  const r = new SttReassembler();
  const m = emptyTunnelMeta();
  t.equal(r.push(seg!, 0, seg!.length, STT_DST_PORT, m, 0).kind, 'frame', 'a one-segment frame');
  const bad = Buffer.from(seg!); bad[bad.length - 1] ^= 1;
  t.match(r.push(bad, 0, bad.length, STT_DST_PORT, m, 0), { kind: 'bad', reason: 'bad TCP checksum' });
  t.match(r.push(seg!, 0, seg!.length, 9999, m, 0), { kind: 'bad', reason: 'other port' });
  const v1 = encapsulateStt(meta, small, 0, small.length, 1500, 10, 40000)[0]!;
  v1[40] = 1; v1.writeUInt16BE(0, 36); // version 1, checksum left out
  t.match(r.push(v1, 0, v1.length, STT_DST_PORT, m, 0), { kind: 'bad', reason: 'STT version 1' });
  const segs = encapsulateStt(meta, frame, 0, frame.length, 1000, 11, 40000);
  t.equal(r.push(segs[0]!, 0, segs[0]!.length, STT_DST_PORT, m, 0).kind, 'pending');
  t.equal(r.pendingFrames, 1);
  t.equal(r.push(segs[1]!, 0, segs[1]!.length, STT_DST_PORT, m, STT_REASSEMBLY_MS + 10).kind, 'pending', 'the stale start is dropped; this segment starts over');
  t.match(r.push(seg!, 0, 30, STT_DST_PORT, m, 0), { kind: 'bad' }, 'truncated');
});

/** Independent TCP/UDP checksum check over an IPv4 packet: the ones' complement sum of the pseudo
 *  header and the segment, including its checksum field, must be 0xffff. */
function l4ChecksumOk(p: Buffer): boolean {
  const ihl = (p[0]! & 0x0f) * 4, total = p.readUInt16BE(2);
  let s = p.readUInt16BE(12) + p.readUInt16BE(14) + p.readUInt16BE(16) + p.readUInt16BE(18) + p[9]! + (total - ihl);
  for (let i = ihl; i < total; i += 2) s += (p[i]! << 8) | (i + 1 < total ? p[i + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s === 0xffff;
}

t.test('without a source in the metadata: the sender passes the route source and the checksum covers it', async (t) => {
  const noSrc = { ...meta, src: 0 };
  const routeSrc = ipv4ToWord('172.31.0.9');
  const segs = encapsulateStt(noSrc, frame, 0, frame.length, 1500, 21, 40000, routeSrc);
  t.ok(segs.length > 1, 'several segments');
  for (const [i, s] of segs.entries()) {
    t.equal(s.readUInt32BE(12), routeSrc, `segment ${i}: the outer source is the given route source`);
    t.not(s.readUInt16BE(36), 0, `segment ${i}: a checksum is filled in`);
    t.ok(l4ChecksumOk(s), `segment ${i}: the TCP checksum is valid`);
  }
  const r = new SttReassembler();
  const m = emptyTunnelMeta();
  const results = segs.map((s) => r.push(s, 0, s.length, STT_DST_PORT, m, 0));
  t.equal(results.filter((x) => x.kind === 'frame').length, 1, 'the receiver takes the frame');
  t.equal(m.src, routeSrc, 'and reports the route source as tun_src');
  const bare = encapsulateStt(noSrc, frame, 0, 100, 1500, 22, 40000);
  t.equal(bare[0]!.readUInt16BE(36), 0, 'no source known at all: checksum left 0 (the kernel picks the source)');
  t.equal(bare[0]!.readUInt32BE(12), 0, 'and the source stays 0');
});

t.test('VXLAN with csum and no source in the metadata: the UDP checksum uses the given route source', async (t) => {
  const m = { ...emptyTunnelMeta(), dst: ipv4ToWord('172.31.0.2'), ttl: 64, flags: TUN_F_KEY | TUN_F_CSUM, idLo: 77 };
  const out = Buffer.alloc(2000);
  const small = frame.subarray(0, 200);
  const total = encapsulate(TUNNEL_VXLAN, 4789, m, small, 0, small.length, out, ipv4ToWord('172.31.0.9'));
  const p = out.subarray(0, total);
  t.equal(p.readUInt32BE(12), ipv4ToWord('172.31.0.9'), 'outer source');
  t.not(p.readUInt16BE(26), 0, 'a UDP checksum');
  t.ok(l4ChecksumOk(p), 'valid over the pseudo header with that source');
  const t2 = encapsulate(TUNNEL_VXLAN, 4789, m, small, 0, small.length, out);
  t.equal(out.readUInt16BE(26), 0, 'no source: UDP checksum 0');
  t.equal(t2, total);
});

t.test('localAddress: the source the kernel picked for a connected tunnel socket', { skip: needRoot() }, async (t) => {
  const fd = openTunnelTx(ipv4ToWord('127.0.0.1'));
  t.teardown(() => closeFd(fd));
  t.equal(localAddress(fd), ipv4ToWord('127.0.0.1'), 'loopback remote: loopback source');
});
