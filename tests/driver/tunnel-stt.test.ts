// STT framing (draft-davie-stt-08, OVS's layout): the 18-byte STT header, segments whose sequence
// number carries frame length and offset and whose ack is the frame id, TCP checksums, reassembly
// in any order, duplicates, timeouts, and the packets a receiver must refuse.
import t from 'tap';
import { SttReassembler, STT_DST_PORT, STT_HDR_LEN, STT_REASSEMBLY_MS, encapsulateStt } from '../../driver/userspace/tunnel-stt.js';
import { emptyTunnelMeta } from '../../driver/userspace/tunnel.js';
import { TUN_F_DF, TUN_F_KEY, ipv4ToWord } from '../../engine/channel/flow-extract.js';

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
