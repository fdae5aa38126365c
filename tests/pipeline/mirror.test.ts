// Port mirroring in translation: SPAN to a port (select_src/dst/all, select_vlan), RSPAN to a VLAN,
// mirror output ports reserved, duplicates suppressed, per-mirror counters, revalidation on change.
import t from 'tap';
import type { OdpFlowKey, OdpAction } from '../../engine/channel/odp-types.js';
import { Pipeline } from '../../engine/pipeline/pipeline.js';
import { MirrorSet, MAX_MIRRORS } from '../../engine/pipeline/mirror.js';

const A = '00:00:00:00:00:0a', B = '00:00:00:00:00:0b';
const BCAST = 'ff:ff:ff:ff:ff:ff';

function l2(inPort: number, src: string, dst: string, vid?: number): OdpFlowKey {
  const k: OdpFlowKey = { inPort, eth: { src, dst }, ethType: 0x88b5 };
  if (vid !== undefined) k.vlanTci = 0x1000 | vid;
  return k;
}
const outputs = (acts: OdpAction[]) => acts.filter((a) => a.type === 'output').map((a) => (a as { port: number }).port);

// br0: LOCAL (dp 1), p1 (dp 2), p2 (dp 3), p3 (dp 4) access VLAN 10, mon (dp 5) trunk.
function setup() {
  const p = new Pipeline({ now: () => 1_000_000 });
  const br = p.addBridge('br0');
  br.addPort({ name: 'br0', ofport: 65534, odpPort: 1 });
  br.addPort({ name: 'p1', ofport: 1, odpPort: 2 });
  br.addPort({ name: 'p2', ofport: 2, odpPort: 3 });
  br.addPort({ name: 'p3', ofport: 3, odpPort: 4, tag: 10 });
  br.addPort({ name: 'mon', ofport: 4, odpPort: 5 });
  return { p, br };
}

t.test('select_src_port copies what a port receives to the output port, once', async (t) => {
  const { p, br } = setup();
  t.same(br.setMirrors([{ name: 'm1', srcPorts: ['p1'], outPort: 'mon' }]), []);
  p.translate({ key: l2(3, B, A) });                 // learn B on p2
  const r = p.translate({ key: l2(2, A, B), packetLen: 100 });
  t.same(outputs(r.actions), [5, 3], 'copy to mon first (ingress mirroring), then the real output to p2');
  const back = p.translate({ key: l2(3, B, A), packetLen: 100 });
  t.same(outputs(back.actions), [2], 'traffic received on p2 is not selected');
  t.equal(br.mirrors.byName('m1')!.txPackets, 1n);
  t.equal(br.mirrors.byName('m1')!.txBytes, 100n);
  t.equal(back.mask.vlanTci, 0x1000, 'an untagged megaflow still only needs the tag-present bit');
});

t.test('select_dst_port copies what a port sends; flooding does not duplicate copies', async (t) => {
  const { p, br } = setup();
  br.setMirrors([{ name: 'm1', dstPorts: ['p2', 'br0'], outPort: 'mon' }]);
  const r = p.translate({ key: l2(2, A, BCAST) });
  t.same(outputs(r.actions), [3, 5, 1], 'flood to p2 (then its copy), LOCAL (already mirrored: no second copy)');
  t.notOk(outputs(r.actions).slice(2).includes(5));
});

t.test('select_all mirrors both directions; the mirror port is reserved', async (t) => {
  const { p, br } = setup();
  br.setMirrors([{ name: 'all', selectAll: true, outPort: 'mon' }]);
  const fromMon = p.translate({ key: l2(5, A, BCAST) });
  t.same(fromMon.actions, [], 'packets received on a mirror output port are dropped');
  t.equal(br.fdbShow().includes(':0a'), false, 'and nothing is learnt from them');
  const r = p.translate({ key: l2(2, A, BCAST) });
  t.notOk(outputs(r.actions).filter((x) => x === 5).length > 1, 'one copy per mirror destination');
  t.same(outputs(r.actions), [5, 3, 1], 'flood skips the mirror port; the copy comes from ingress mirroring');
  p.translate({ key: l2(3, B, BCAST) });
  br.mac.learn(BigInt('0x00000000000c'), 0, 4); // a MAC that somehow sits on the mirror port
  const toMon = p.translate({ key: l2(2, A, '00:00:00:00:00:0c') });
  t.same(outputs(toMon.actions), [5], 'unicast to a MAC learnt on the mirror port: only the mirror copy');
});

t.test('select_vlan filters by the VLAN the packet is in; output keeps the VLAN tag on a trunk', async (t) => {
  const { p, br } = setup();
  br.setMirrors([{ name: 'v10', selectAll: true, vlans: [10], outPort: 'mon' }]);
  const r0 = p.translate({ key: l2(2, A, BCAST, 5) });
  t.same(outputs(r0.actions), [3, 1], 'VLAN 5 traffic is not selected');
  t.equal(r0.mask.vlanTci, 0x1fff, 'the megaflow matches the VID');
  const r10 = p.translate({ key: l2(4, B, BCAST) });  // access port p3, VLAN 10
  t.same(r10.actions, [{ type: 'push_vlan', tpid: 0x8100, tci: 0x1000 | 10 }, { type: 'output', port: 5 },
    { type: 'output', port: 2 }, { type: 'output', port: 3 }, { type: 'output', port: 1 }],
    'the copy of a VLAN 10 access frame leaves the trunk mirror port tagged 10, then the flood to the trunks (not to mon again)');
});

t.test('output_vlan (RSPAN) floods the copy in that VLAN, not to mirror ports', async (t) => {
  const { p, br } = setup();
  br.addPort({ name: 'up', ofport: 5, odpPort: 6, trunks: [20] });
  for (const n of ['br0', 'p1', 'p2']) br.updatePort(n, { tag: 1 });
  br.setMirrors([{ name: 'rspan', srcPorts: ['p1'], outVlan: 20 }]);
  p.translate({ key: l2(3, B, A) });
  const r = p.translate({ key: l2(2, A, B) });
  t.same(r.actions, [
    { type: 'push_vlan', tpid: 0x8100, tci: 0x1000 | 20 }, { type: 'output', port: 5 }, { type: 'output', port: 6 },
    { type: 'pop_vlan' }, { type: 'output', port: 3 },
  ], 'copies tagged 20 to every port carrying VLAN 20 (trunks mon and up), then the packet itself');
  const rs = p.translate({ key: l2(2, A, '01:80:c2:00:00:00') });
  t.same(rs.actions, [], 'reserved multicast is not copied to an RSPAN VLAN');
});

t.test('explicit OpenFlow output actions are mirrored on egress too', async (t) => {
  const { p, br } = setup();
  br.addFlow('priority=10,in_port=1,actions=output:2');
  br.setMirrors([{ name: 'd', dstPorts: ['p2'], outPort: 'mon' }]);
  const r = p.translate({ key: l2(2, A, B) });
  t.same(outputs(r.actions), [3, 5]);
});

t.test('mirrors of the two bridges of a patch pair are independent', async (t) => {
  const p = new Pipeline({ now: () => 0 });
  const a = p.addBridge('a'), b = p.addBridge('b');
  a.addPort({ name: 'a1', ofport: 1, odpPort: 2 });
  a.addPort({ name: 'amon', ofport: 2, odpPort: 3 });
  a.addPort({ name: 'pa', ofport: 3, patchPeer: 'pb' });
  b.addPort({ name: 'pb', ofport: 1, patchPeer: 'pa' });
  b.addPort({ name: 'b1', ofport: 2, odpPort: 4 });
  b.addPort({ name: 'bmon', ofport: 3, odpPort: 5 });
  a.setMirrors([{ name: 'ma', selectAll: true, outPort: 'amon' }]);
  b.setMirrors([{ name: 'mb', selectAll: true, outPort: 'bmon' }]);
  const r = p.translate({ key: l2(2, A, BCAST) });
  t.same(outputs(r.actions).sort(), [3, 4, 5].sort(), 'copied once in each bridge, and delivered to b1');
  t.equal(outputs(r.actions).filter((x) => x === 3).length, 1);
  t.equal(outputs(r.actions).filter((x) => x === 5).length, 1);
});

t.test('reconfiguration: counters survive, generation bumps only on change, limits and bad input', async (t) => {
  const { p, br } = setup();
  br.setMirrors([{ name: 'm1', srcPorts: ['p1'], outPort: 'mon' }]);
  p.translate({ key: l2(2, A, BCAST), packetLen: 60 });
  const g = br.generation;
  br.setMirrors([{ name: 'm1', srcPorts: ['p1'], outPort: 'mon' }]);
  t.equal(br.generation, g, 'same configuration: no revalidation needed');
  br.setMirrors([{ name: 'm1', srcPorts: ['p1', 'p2'], outPort: 'mon' }]);
  t.not(br.generation, g, 'changed configuration bumps the generation');
  t.equal(br.mirrors.byName('m1')!.txPackets, 1n, 'counters kept across reconfiguration');
  const many = Array.from({ length: MAX_MIRRORS + 2 }, (_, i) => ({ name: `m${i}`, selectAll: true, outPort: 'mon' }));
  const w = br.setMirrors(many);
  t.same(w, ['maximum of 32 port mirrors reached, cannot create m32', 'maximum of 32 port mirrors reached, cannot create m33']);
  t.equal(br.mirrors.size, 32);
  const r = p.translate({ key: l2(2, A, BCAST) });
  t.equal(outputs(r.actions).filter((x) => x === 5).length, 1, '32 mirrors with one destination: still one copy');
  const ms = new MirrorSet();
  t.throws(() => ms.configure([{ name: 'x', vlans: [4096], outPort: 'mon' }]), /select_vlan 4096 is out of range/);
  t.throws(() => ms.configure([{ name: 'x', outVlan: 0 }]), /output_vlan 0 is out of range/);
  t.throws(() => ms.configure([{ name: 'x', outPort: 'a' }, { name: 'x', outPort: 'b' }]), /configured twice/);
});

t.test('revalidation credits mirror counters with datapath stats', async (t) => {
  const { p, br } = setup();
  br.setMirrors([{ name: 'm1', srcPorts: ['p1'], outPort: 'mon' }]);
  const key = l2(2, A, BCAST);
  const r = p.translate({ key, packetLen: 60 });
  const v = p.revalidate([{ key, mask: r.mask, actions: r.actions, statsDelta: { packets: 10n, bytes: 600n } }]);
  t.equal(v[0]!.op, 'keep');
  t.equal(br.mirrors.byName('m1')!.txPackets, 11n);
  t.equal(br.mirrors.byName('m1')!.txBytes, 660n);
});
