import t from 'tap';
import { compileActions, executeActions, type ActionHost, type FrameState } from '../../driver/userspace/actions.js';
import { Classifier } from '../../driver/userspace/classifier.js';
import { extractFlowKey, keyToWords, maskToWords, maskWords, exactMaskWords, KEY_WORDS, extractKeyWords } from '../../engine/channel/flow-extract.js';
import type { OdpAction } from '../../engine/channel/odp-types.js';
import { eth, ipv4, ipv6, tcp, udp, ipv4ChecksumsOk, csum } from './frames.js';

const A = '02:00:00:00:00:0a', B = '02:00:00:00:00:0b';

class Recorder implements ActionHost {
  out: Array<{ port: number; frame: Buffer }> = [];
  up: Array<{ pid: number; userdata?: Buffer }> = [];
  recirc: number[] = [];
  output(port: number, buf: Buffer, off: number, len: number): void { this.out.push({ port, frame: Buffer.from(buf.subarray(off, off + len)) }); }
  userspace(_f: FrameState, pid: number, userdata: Buffer | undefined): void { this.up.push(userdata ? { pid, userdata } : { pid }); }
  recirculate(f: FrameState): void { this.recirc.push(f.recircId); }
}

function run(frame: Buffer, actions: OdpAction[]): Recorder {
  const buf = Buffer.alloc(frame.length + 128);
  frame.copy(buf, 64);
  const f: FrameState = { buf, off: 64, len: frame.length, inPort: 1, recircId: 0, dpHash: 0, cutlen: 0, depth: 0 };
  const r = new Recorder();
  executeActions(compileActions(actions), f, r);
  return r;
}

const tcpFrame = () => eth(B, A, 0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6 }, tcp('10.0.0.1', '10.0.0.2', 1000, 80, 0x02, Buffer.from('hello'))));
const udpFrame = () => eth(B, A, 0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17 }, udp('10.0.0.1', '10.0.0.2', 1000, 53, Buffer.from('query'))));

t.test('output sends the frame unchanged; several outputs see the frame as it is at that point', async (t) => {
  const f = tcpFrame();
  const r = run(f, [{ type: 'output', port: 2 }, { type: 'push_vlan', tpid: 0x8100, tci: 0x1000 | 7 }, { type: 'output', port: 3 }]);
  t.equal(r.out.length, 2);
  t.same(r.out[0]!.frame, f);
  t.equal(r.out[1]!.frame.length, f.length + 4);
  t.equal(extractFlowKey(r.out[1]!.frame).vlanTci, 0x1000 | 7);
});

t.test('push_vlan then pop_vlan restores the frame', async (t) => {
  const f = udpFrame();
  const r = run(f, [{ type: 'push_vlan', tpid: 0x8100, tci: 0x1000 | (3 << 13) | 100 }, { type: 'output', port: 1 }, { type: 'pop_vlan' }, { type: 'output', port: 2 }]);
  const tagged = r.out[0]!.frame;
  t.equal(tagged.readUInt16BE(12), 0x8100);
  t.equal(tagged.readUInt16BE(14), (3 << 13) | 100, 'TCI on the wire has no present bit');
  t.same(tagged.subarray(0, 12), f.subarray(0, 12), 'MACs kept');
  t.same(tagged.subarray(16), f.subarray(12), 'payload after the tag');
  t.same(r.out[1]!.frame, f);
  const untouched = run(f, [{ type: 'pop_vlan' }, { type: 'output', port: 1 }]);
  t.same(untouched.out[0]!.frame, f, 'pop_vlan on an untagged frame does nothing');
});

t.test('set eth and set_masked eth', async (t) => {
  const r = run(tcpFrame(), [{ type: 'set', key: { eth: { src: '02:11:11:11:11:11', dst: '02:22:22:22:22:22' } } }, { type: 'output', port: 1 }]);
  t.same(extractFlowKey(r.out[0]!.frame).eth, { src: '02:11:11:11:11:11', dst: '02:22:22:22:22:22' });
  const m = run(tcpFrame(), [{ type: 'set_masked', key: { eth: { src: '00:00:00:00:00:00', dst: '0a:00:00:00:00:ff' } }, mask: { eth: { src: '00:00:00:00:00:00', dst: 'ff:00:00:00:00:ff' } } }, { type: 'output', port: 1 }]);
  t.same(extractFlowKey(m.out[0]!.frame).eth, { src: A, dst: '0a:00:00:00:00:ff' }, 'only masked bits change');
});

t.test('set ipv4 (NAT-like) keeps IPv4 and TCP/UDP checksums valid', async (t) => {
  for (const mk of [tcpFrame, udpFrame]) {
    const r = run(mk(), [{ type: 'set', key: { ipv4: { src: '192.168.7.9', dst: '172.16.0.200', proto: 0, tos: 0x10, ttl: 3, frag: 0 } } }, { type: 'output', port: 1 }]);
    const out = r.out[0]!.frame;
    const k = extractFlowKey(out);
    t.same([k.ipv4?.src, k.ipv4?.dst, k.ipv4?.tos, k.ipv4?.ttl], ['192.168.7.9', '172.16.0.200', 0x10, 3]);
    t.ok(ipv4ChecksumsOk(out), 'checksums verify after the rewrite');
  }
  const ttl = run(tcpFrame(), [{ type: 'set_masked', key: { ipv4: { src: '0.0.0.0', dst: '0.0.0.0', proto: 0, tos: 0, ttl: 9, frag: 0 } }, mask: { ipv4: { src: '0.0.0.0', dst: '0.0.0.0', proto: 0, tos: 0, ttl: 255, frag: 0 } } }, { type: 'output', port: 1 }]);
  const k = extractFlowKey(ttl.out[0]!.frame);
  t.same([k.ipv4?.src, k.ipv4?.ttl], ['10.0.0.1', 9]);
  t.ok(ipv4ChecksumsOk(ttl.out[0]!.frame));
});

t.test('set tcp/udp ports keeps checksums valid; UDP without checksum stays without', async (t) => {
  const r = run(tcpFrame(), [{ type: 'set', key: { tcp: { src: 4321, dst: 8080 } } }, { type: 'output', port: 1 }]);
  t.same(extractFlowKey(r.out[0]!.frame).tcp, { src: 4321, dst: 8080 });
  t.ok(ipv4ChecksumsOk(r.out[0]!.frame));
  const u = run(udpFrame(), [{ type: 'set_masked', key: { udp: { src: 0, dst: 5353 } }, mask: { udp: { src: 0, dst: 0xffff } } }, { type: 'output', port: 1 }]);
  t.same(extractFlowKey(u.out[0]!.frame).udp, { src: 1000, dst: 5353 });
  t.ok(ipv4ChecksumsOk(u.out[0]!.frame));
  const noCsum = udpFrame(); noCsum.writeUInt16BE(0, 14 + 20 + 6);
  const n = run(noCsum, [{ type: 'set', key: { udp: { src: 1, dst: 2 } } }, { type: 'output', port: 1 }]);
  t.equal(n.out[0]!.frame.readUInt16BE(14 + 20 + 6), 0);
  const wrongProto = run(udpFrame(), [{ type: 'set', key: { tcp: { src: 1, dst: 2 } } }, { type: 'output', port: 1 }]);
  t.same(wrongProto.out[0]!.frame, udpFrame(), 'set tcp on a UDP frame changes nothing');
});

t.test('set ipv6 addresses keeps the TCP checksum valid', async (t) => {
  const s = 'fd00::1', d = 'fd00::2';
  const f = eth(B, A, 0x86dd, ipv6({ src: s, dst: d, next: 6 }, tcp(s, d, 1, 2, 0x10)));
  const r = run(f, [{ type: 'set', key: { ipv6: { src: 'fd00::99', dst: 'fd00:1::2', label: 5, proto: 6, tclass: 0, hlimit: 2, frag: 0 } } }, { type: 'output', port: 1 }]);
  const out = r.out[0]!.frame;
  const k = extractFlowKey(out);
  t.same([k.ipv6?.src, k.ipv6?.dst, k.ipv6?.label, k.ipv6?.hlimit], ['fd00::99', 'fd00:1::2', 5, 2]);
  const ps = Buffer.alloc(40); out.copy(ps, 0, 22, 54); ps.writeUInt32BE(20, 32); ps[39] = 6;
  t.equal(csum(ps, out.subarray(54)), 0, 'TCP checksum verifies with the new pseudo-header');
});

t.test('drop, trunc, clone, sample, userspace, recirc', async (t) => {
  const f = tcpFrame();
  t.equal(run(f, [{ type: 'drop', reason: 0 }, { type: 'output', port: 1 }]).out.length, 0, 'nothing after drop');
  const tr = run(f, [{ type: 'trunc', maxLen: 20 }, { type: 'output', port: 1 }, { type: 'output', port: 2 }]);
  t.same(tr.out.map((o) => o.frame.length), [20, f.length], 'trunc applies to the next output only');
  const cl = run(f, [{ type: 'clone', actions: [{ type: 'push_vlan', tpid: 0x8100, tci: 0x1005 }, { type: 'output', port: 1 }] }, { type: 'output', port: 2 }]);
  t.same(cl.out.map((o) => o.frame.length), [f.length + 4, f.length], 'clone does not change the original');
  t.equal(run(f, [{ type: 'sample', probability: 0xffffffff, actions: [{ type: 'output', port: 1 }] }]).out.length, 1);
  t.equal(run(f, [{ type: 'sample', probability: 0, actions: [{ type: 'output', port: 1 }] }]).out.length, 0);
  const up = run(f, [{ type: 'userspace', pid: 77, userdata: Buffer.from([1, 2]) }]);
  t.same(up.up, [{ pid: 77, userdata: Buffer.from([1, 2]) }]);
  t.same(run(f, [{ type: 'recirc', id: 9 }, { type: 'output', port: 1 }]).recirc, [9]);
});

t.test('bad actions are rejected at compile time with the bad value named', async (t) => {
  t.throws(() => compileActions([{ type: 'output', port: -1 }]), { code: 'OVS_E_BAD_FLOW', message: /output port/ });
  t.throws(() => compileActions([{ type: 'push_vlan', tpid: 0x8100, tci: 5 }]), /present bit/);
  t.throws(() => compileActions([{ type: 'push_vlan', tpid: 0x1234, tci: 0x1005 }]), /tpid/);
  t.throws(() => compileActions([{ type: 'set', key: { tunnel: { id: 1n } } }]), { code: 'OVS_E_BAD_FLOW', message: /ipv4Dst is required/ });
  t.throws(() => compileActions([{ type: 'set_masked', key: { tunnel: { id: 1n, ipv4Dst: '10.0.0.1' } }, mask: { tunnel: { id: 1n } } }]), { code: 'OVS_E_UNSUPPORTED_ACTION' });
  t.throws(() => compileActions([{ type: 'bogus' } as unknown as OdpAction]), { code: 'OVS_E_UNSUPPORTED_ACTION' });
  t.throws(() => compileActions([{ type: 'set', key: { eth: { src: 'nope', dst: B } } }]), /eth\.src/);
});

t.test('classifier: megaflow lookup across mask classes, remove, replace', async (t) => {
  const c = new Classifier();
  const pktA = extractFlowKey(udpFrame(), 1);
  const w = keyToWords(pktA);
  const portMask = maskToWords({ inPort: 0xffffffff });
  const dstMask = maskToWords({ ethType: 0xffff, ipv4: { src: '0.0.0.0', dst: '255.255.255.255', proto: 0, tos: 0, ttl: 0, frag: 0 } });
  c.insert(1, maskWords(keyToWords({ inPort: 2 }), portMask), portMask, []);
  t.equal(c.lookup(w), undefined, 'other in_port: miss');
  c.insert(2, maskWords(keyToWords({ ethType: 0x0800, ipv4: { src: '0.0.0.0', dst: '10.0.0.2', proto: 0, tos: 0, ttl: 0, frag: 0 } }), dstMask), dstMask, []);
  t.equal(c.lookup(w)?.slot, 2, 'hit in the second mask class');
  t.equal(c.maskCount, 2);
  c.insert(3, maskWords(keyToWords({ inPort: 1 }), portMask), portMask, []);
  t.ok([2, 3].includes(c.lookup(w)!.slot));
  c.remove(2);
  t.equal(c.lookup(w)?.slot, 3);
  c.remove(3);
  t.equal(c.lookup(w), undefined);
  t.equal(c.maskCount, 1, 'empty mask classes go away');
  const exact = exactMaskWords(pktA);
  c.insert(4, maskWords(w, exact), exact, []);
  t.equal(c.lookup(w)?.slot, 4, 'exact flow');
  const w2 = new Uint32Array(KEY_WORDS);
  const other = udpFrame(); other[14 + 20 + 3] ^= 1; // another UDP destination port
  extractKeyWords(other, 0, other.length, 1, w2);
  t.equal(c.lookup(w2), undefined, 'exact flow misses a different port');
  c.clear();
  t.equal(c.size, 0);
});
