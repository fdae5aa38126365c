// Translation through the pipeline: NORMAL learning/flooding, VLAN modes, patch ports,
// OpenFlow tables, minimal megaflow masks and revalidation.
import t from 'tap';
import type { OdpFlowKey, OdpAction } from '../../engine/channel/odp-types.js';
import { Pipeline, InstalledFlow } from '../../engine/pipeline/pipeline.js';
import type { Bridge } from '../../engine/pipeline/bridge.js';

const A = '00:00:00:00:00:0a', B = '00:00:00:00:00:0b', C = '00:00:00:00:00:0c';
const BCAST = 'ff:ff:ff:ff:ff:ff';

function l2(inPort: number, src: string, dst: string, vid?: number, pcp = 0): OdpFlowKey {
  const k: OdpFlowKey = { inPort, eth: { src, dst }, ethType: 0x88b5 };
  if (vid !== undefined) k.vlanTci = 0x1000 | vid | (pcp << 13);
  return k;
}
function ipv4(inPort: number, src: string, dst: string, nwSrc: string, nwDst: string, dport = 80): OdpFlowKey {
  return {
    inPort, eth: { src, dst }, ethType: 0x0800,
    ipv4: { src: nwSrc, dst: nwDst, proto: 6, tos: 0, ttl: 64, frag: 0 }, tcp: { src: 40000, dst: dport },
  };
}
const outputs = (acts: OdpAction[]) => acts.filter((a) => a.type === 'output').map((a) => (a as { port: number }).port);

function setup(clock = { t: 1_000_000 }) {
  const p = new Pipeline({ now: () => clock.t });
  const br = p.addBridge('br0');
  br.addPort({ name: 'br0', ofport: 65534, odpPort: 1 });
  br.addPort({ name: 'p1', ofport: 1, odpPort: 2 });
  br.addPort({ name: 'p2', ofport: 2, odpPort: 3 });
  br.addPort({ name: 'p3', ofport: 3, odpPort: 4 });
  return { p, br, clock };
}

t.test('a new bridge has the NORMAL default flow', async (t) => {
  const { br } = setup();
  t.same(br.dumpFlows('', { showStats: false }), [' priority=0 actions=NORMAL']);
  t.match(br.dumpFlows()[0], /^ cookie=0x0, duration=0s, table=0, n_packets=0, n_bytes=0, idle_age=0, priority=0 actions=NORMAL$/);
});

t.test('NORMAL floods unknown destinations, learns sources, unicasts to learnt ones', async (t) => {
  const { p, br } = setup();
  const r1 = p.translate({ key: l2(2, A, B), packetLen: 60 });
  t.same(outputs(r1.actions), [3, 4, 1], 'flooded to p2, p3 and LOCAL in port order, not back to p1');
  t.same(r1.actions.filter((a) => a.type !== 'output'), [], 'no header changes');
  t.match(br.fdbShow(), /^ port {2}VLAN {2}MAC {16}Age\n {4}1 {5}0 {2}00:00:00:00:00:0a {4}0\n$/);

  const r2 = p.translate({ key: l2(3, B, A), packetLen: 60 });
  t.same(r2.actions, [{ type: 'output', port: 2 }], 'B -> A goes only to p1');
  t.same(r2.mask, { inPort: 0xffffffff, eth: { src: 'ff:ff:ff:ff:ff:ff', dst: 'ff:ff:ff:ff:ff:ff' }, vlanTci: 0x1000, ethType: 0xffff },
    'megaflow needs in_port, dl_src, dl_dst, VLAN (untagged: the tag-present bit) and the ethertype OVS always matches');
  t.match(br.dumpFlows()[0], /n_packets=2, n_bytes=120, /, 'the NORMAL rule counted both upcalls');
  const tagged = p.translate({ key: l2(3, B, BCAST, 5) });
  t.equal(tagged.mask.vlanTci, 0x1fff, 'a tagged packet flooded with its tag: megaflow matches VID and tag-present');

  const r3 = p.translate({ key: l2(2, A, BCAST) });  // (A also on p1)
  t.same(outputs(r3.actions), [3, 4, 1], 'broadcast floods');

  const r4 = p.translate({ key: l2(3, A, B) });
  t.same(r4.actions, [], 'B is on p2 where this came in: dropped');
  t.match(br.fdbShow(), /\n {4}2 {5}0 {2}00:00:00:00:00:0a/, 'A moved to p2');

  const r5 = p.translate({ key: l2(2, A, '01:80:c2:00:00:00') });
  t.same(r5.actions, [], 'reserved multicast (STP) is not forwarded');
});

t.test('IPv4 megaflow for NORMAL leaves L3/L4 wildcarded except fragments', async (t) => {
  const { p } = setup();
  p.translate({ key: l2(3, B, A) });
  const r = p.translate({ key: ipv4(2, A, B, '10.0.0.1', '10.0.0.2') });
  t.same(r.actions, [{ type: 'output', port: 3 }]);
  t.same(r.mask.ipv4, { src: '0.0.0.0', dst: '0.0.0.0', proto: 0, tos: 0, ttl: 0, frag: 0xff });
  t.equal(r.mask.tcp, undefined, 'TCP ports not consulted');
});

t.test('revalidation after learning, MAC move and flow-table change', async (t) => {
  const { p, br } = setup();
  const installed: InstalledFlow[] = [];
  const miss = (key: OdpFlowKey) => {
    const r = p.translate({ key });
    installed.push({ key, mask: r.mask, actions: r.actions });
    return r;
  };
  let gen = p.generation;
  miss(l2(2, A, B));  // flood, learns A@p1
  t.not(p.generation, gen, 'learning A changed the generation');
  gen = p.generation;
  t.same(p.revalidate(installed), [{ op: 'keep' }], 'nothing changed: keep');
  t.equal(p.generation, gen, 'a pure revalidation learns nothing');

  miss(l2(3, B, A));  // unicast to p1, learns B@p2
  t.not(p.generation, gen);
  const v1 = p.revalidate(installed);
  t.same(v1[0], { op: 'modify', actions: [{ type: 'output', port: 3 }] }, 'the A->B flood flow now unicasts to p2');
  t.same(v1[1], { op: 'keep' });
  installed[0]!.actions = [{ type: 'output', port: 3 }];

  // A moves to p3.
  miss(l2(4, A, C));
  const v2 = p.revalidate(installed);
  t.same(v2[1], { op: 'modify', actions: [{ type: 'output', port: 4 }] }, 'B->A now goes to p3');
  t.same(v2[0], { op: 'keep' }, 'A->B from p1 still unicasts to p2 (re-translation does not learn)');

  // A flow-table change that makes the mask differ deletes, one that only changes actions modifies.
  br.addFlow('priority=100,in_port=2,actions=drop');
  const v3 = p.revalidate([installed[1]!]);
  t.same(v3, [{ op: 'delete', reason: 'megaflow mask changed' }], 'B on p2 now hits a drop rule that needs only in_port: new mask');
  t.same(br.delFlows('in_port=2'), { added: 0, modified: 0, deleted: 1 });
  t.same(br.dumpFlows('', { showStats: false }), [' priority=0 actions=NORMAL'], 'the NORMAL flow is not within in_port=2');
});

t.test('datapath stats credit rules and keep MACs alive', async (t) => {
  const clock = { t: 1_000_000 };
  const { p, br } = setup(clock);
  const key = l2(3, B, A);
  const r = p.translate({ key, packetLen: 100 });
  clock.t += 200_000;
  p.revalidate([{ key, mask: r.mask, actions: r.actions, statsDelta: { packets: 10n, bytes: 1000n } }]);
  t.match(br.dumpFlows()[0], /n_packets=11, n_bytes=1100, /);
  clock.t += 200_000;
  t.same(p.run(), { expiredFlows: 0, expiredMacs: 0 }, 'B refreshed 200 s ago: still learnt');
  clock.t += 101_000;
  t.same(p.run(), { expiredFlows: 0, expiredMacs: 1 }, 'after 300 s idle B ages out');
  t.equal(br.fdbShow(), ' port  VLAN  MAC                Age\n');
});

t.test('VLANs: access, trunk, native-tagged, native-untagged', async (t) => {
  const p = new Pipeline({ now: () => 5000 });
  const br = p.addBridge('br0');
  br.addPort({ name: 'a10', ofport: 1, odpPort: 11, tag: 10 });
  br.addPort({ name: 'a20', ofport: 2, odpPort: 12, tag: 20 });
  br.addPort({ name: 't10', ofport: 3, odpPort: 13, trunks: [10] });
  br.addPort({ name: 'tall', ofport: 4, odpPort: 14 });
  br.addPort({ name: 'nu30', ofport: 5, odpPort: 15, tag: 30, vlanMode: 'native-untagged' });
  br.addPort({ name: 'nt30', ofport: 6, odpPort: 16, tag: 30, vlanMode: 'native-tagged' });

  const r1 = p.translate({ key: l2(11, A, B) });
  t.same(r1.actions, [
    { type: 'push_vlan', tpid: 0x8100, tci: 0x100a },
    { type: 'output', port: 13 }, { type: 'output', port: 14 }, { type: 'output', port: 15 }, { type: 'output', port: 16 },
  ], 'untagged on access 10: tagged to every port carrying 10 (native ports without trunks carry all), not to VLAN 20');

  t.same(p.translate({ key: l2(11, A, B, 10) }).actions, [], 'tagged frame on an access port is dropped');
  t.same(p.translate({ key: l2(13, C, B, 20) }).actions, [], 'VLAN 20 on a trunk of only 10 is dropped');
  t.same(p.translate({ key: l2(13, C, B) }).actions, [], 'untagged (VLAN 0) on a trunk of only 10 is dropped');

  const r2 = p.translate({ key: l2(13, B, A, 10, 5) });
  t.same(r2.actions, [{ type: 'pop_vlan' }, { type: 'output', port: 11 }], 'trunk VLAN 10 to the learnt access port: untagged');

  const r3 = p.translate({ key: l2(15, C, 'ff:ff:ff:ff:ff:ff') });
  t.same(r3.actions, [
    { type: 'push_vlan', tpid: 0x8100, tci: 0x101e }, { type: 'output', port: 14 }, { type: 'output', port: 16 },
  ], 'untagged on native-untagged 30 = VLAN 30: tagged to the all-VLAN trunk and the native-tagged port');

  const r4 = p.translate({ key: l2(14, B, C, 30, 3) });
  t.same(r4.actions, [{ type: 'pop_vlan' }, { type: 'output', port: 15 }], 'VLAN 30 to its native-untagged port leaves untagged');

  const r5 = p.translate({ key: l2(16, '00:00:00:00:00:0d', C) });
  t.same(r5.actions, [{ type: 'output', port: 15 }], 'native-tagged untagged input = VLAN 30, to nu30 untagged');
  const r6 = p.translate({ key: l2(14, '00:00:00:00:00:0e', '00:00:00:00:00:0d', 30, 2) });
  t.same(r6.actions, [{ type: 'output', port: 16 }], 'VLAN 30 to the native-tagged port stays tagged');
  t.same(p.translate({ key: l2(15, C, B, 40) }).actions, [{ type: 'output', port: 14 }, { type: 'output', port: 16 }],
    'a native port without trunks carries every other VLAN (40): flooded tagged to the ports carrying 40');
  t.same(p.translate({ key: l2(15, C, B, 0) }).actions.length > 0, true, 'priority-tagged VLAN 0 on a native port is its native VLAN');

  t.throws(() => br.addPort({ name: 'bad', ofport: 9, odpPort: 19, tag: 5000 }), /out of range/);
  br.updatePort('a20', { tag: 10 });
  const r7 = p.translate({ key: l2(11, '00:00:00:00:00:0f', 'ff:ff:ff:ff:ff:ff') });
  t.ok(outputs(r7.actions).includes(12), 'a20 retagged to VLAN 10 now receives VLAN 10 floods');
});

t.test('patch ports connect two bridges', async (t) => {
  const p = new Pipeline({ now: () => 0 });
  const b0 = p.addBridge('br0');
  const b1 = p.addBridge('br1');
  b0.addPort({ name: 'p1', ofport: 1, odpPort: 2 });
  b0.addPort({ name: 'patch-br1', ofport: 2, patchPeer: 'patch-br0' });
  b1.addPort({ name: 'patch-br0', ofport: 1, patchPeer: 'patch-br1' });
  b1.addPort({ name: 'q1', ofport: 2, odpPort: 3 });
  b1.addPort({ name: 'q2', ofport: 3, odpPort: 4, tag: 7 });

  const r1 = p.translate({ key: l2(2, A, B) });
  t.same(r1.bridges, ['br0', 'br1']);
  t.same(outputs(r1.actions), [3], 'flooded through the patch into br1 (not to the access port of VLAN 7)');
  t.match(b1.fdbShow(), /\n {4}1 {5}0 {2}00:00:00:00:00:0a/, 'br1 learnt A on its patch port');

  const r2 = p.translate({ key: l2(3, B, A) });
  t.same(r2.actions, [{ type: 'output', port: 2 }], 'B -> A crosses the patch back to p1');
  t.same(r2.mask.inPort, 0xffffffff);
  t.same(r2.mask.eth, { src: 'ff:ff:ff:ff:ff:ff', dst: 'ff:ff:ff:ff:ff:ff' });

  b1.updatePort('patch-br0', { adminUp: false });
  t.same(p.translate({ key: l2(3, B, A) }).actions, [], 'patch peer down: nothing crosses');
});

t.test('OpenFlow tables: resubmit, goto_table, set actions, masks', async (t) => {
  const { p, br } = setup();
  br.addFlow('table=0,priority=100,in_port=1,actions=resubmit(,1)');
  br.addFlow('table=1,priority=10,ip,nw_dst=10.0.0.0/8,actions=mod_dl_dst:00:00:00:00:00:99,mod_nw_dst:10.9.9.9,output:2');
  br.addFlow('table=1,priority=5,actions=goto_table:2');
  br.addFlow('table=2,priority=1,actions=mod_vlan_vid:42,output:3,strip_vlan,output:65534,output:1');

  const r1 = p.translate({ key: ipv4(2, A, B, '10.0.0.1', '10.1.2.3') });
  t.same(r1.actions, [
    { type: 'set_masked', key: { eth: { src: '00:00:00:00:00:00', dst: '00:00:00:00:00:99' } }, mask: { eth: { src: '00:00:00:00:00:00', dst: 'ff:ff:ff:ff:ff:ff' } } },
    { type: 'set_masked', key: { ipv4: { src: '0.0.0.0', dst: '10.9.9.9', proto: 0, tos: 0, ttl: 0, frag: 0 } },
      mask: { ipv4: { src: '0.0.0.0', dst: '255.255.255.255', proto: 0, tos: 0, ttl: 0, frag: 0 } } },
    { type: 'output', port: 3 },
  ]);
  t.equal(r1.mask.ipv4?.src, '0.0.0.0', 'nw_src never consulted');
  t.equal(r1.mask.ipv4?.dst, '255.255.255.255', 'nw_dst exact because the flow rewrote it');

  const r2 = p.translate({ key: ipv4(2, A, B, '10.0.0.1', '192.168.0.1') });
  t.same(r2.actions, [
    { type: 'push_vlan', tpid: 0x8100, tci: 0x102a }, { type: 'output', port: 4 },
    { type: 'pop_vlan' }, { type: 'output', port: 1 },
  ], 'goto_table:2 tags for p3, untags for LOCAL, skips output to the input port');
  t.equal(r2.mask.ipv4?.dst, '128.0.0.0', 'as with OVS\'s prefix trie, one bit of nw_dst rules out 10.0.0.0/8 for 192.168.0.1');

  const r3 = p.translate({ key: ipv4(3, B, A, '10.0.0.1', '10.1.2.3') });
  t.same(outputs(r3.actions), [2, 4, 1], 'p2 traffic misses the in_port=1 rule and uses NORMAL');

  br.addFlow('table=3,actions=resubmit(,3)');
  br.addFlow('priority=200,in_port=3,actions=resubmit(,3)');
  const r4 = p.translate({ key: l2(4, C, A) });
  t.match(r4.error, /over max translation depth 64/);
  t.same(r4.actions, [], 'a resubmit loop installs a drop flow');

  br.addFlow('priority=300,in_port=3,actions=output:2,controller,output:3,in_port');
  const r5 = p.translate({ key: l2(4, C, A) });
  t.same(r5.actions, [{ type: 'output', port: 3 }, { type: 'output', port: 4 }], 'output:3 to the input port skipped, IN_PORT sends back');
  t.equal(br.controllerPackets, 1n);

  br.addFlow('priority=400,in_port=3,actions=FLOOD');
  br.updatePort('p2', { noFlood: true });
  t.same(outputs(p.translate({ key: l2(4, C, A) }).actions), [2, 1], 'FLOOD skips the input and no-flood ports');
  br.addFlow('priority=500,in_port=3,actions=ALL');
  t.same(outputs(p.translate({ key: l2(4, C, A) }).actions), [2, 3, 1], 'ALL ignores no-flood');
});

t.test('flow mods: strict and non-strict modify/delete, cookies, out_port, timeouts, overlap', async (t) => {
  const clock = { t: 0 };
  const { p, br } = setup(clock);
  br.addFlow('priority=10,in_port=1,actions=output:2');
  br.addFlow('priority=20,in_port=1,dl_src=00:00:00:00:00:0a,actions=output:3');
  br.addFlow('cookie=0x77,priority=30,ip,actions=output:3');
  t.equal(br.flowCount, 4);
  t.same(br.modFlows('in_port=1,actions=drop'), { added: 0, modified: 2, deleted: 0 }, 'non-strict modify hits both in_port=1 flows');
  t.same(br.modFlows('priority=10,in_port=1,actions=output:3', true), { added: 0, modified: 1, deleted: 0 });
  t.same(br.modFlows('in_port=9,actions=output:3'), { added: 1, modified: 0, deleted: 0 }, 'OpenFlow 1.0 modify of nothing adds');
  t.same(br.delFlows('cookie=0x70/0xf0'), { added: 0, modified: 0, deleted: 1 }, 'cookie selection');
  t.same(br.delFlows('out_port=3'), { added: 0, modified: 0, deleted: 2 }, 'out_port selection');
  t.same(br.dumpFlows('', { showStats: false }), [' priority=20,in_port=1,dl_src=00:00:00:00:00:0a actions=drop', ' priority=0 actions=NORMAL']);
  t.same(br.delFlows('priority=20,in_port=1,dl_src=00:00:00:00:00:0a', true), { added: 0, modified: 0, deleted: 1 });
  t.same(br.delFlows('in_port=1,dl_src=00:00:00:00:00:0a', true), { added: 0, modified: 0, deleted: 0 }, 'strict needs the priority too');
  t.same(br.dumpFlows('', { showStats: false }), [' priority=0 actions=NORMAL']);
  t.throws(() => br.addFlow('priority=0,check_overlap,in_port=1,actions=drop'), /OFPFMFC_OVERLAP/);
  br.addFlow('idle_timeout=10,hard_timeout=100,priority=50,in_port=2,actions=drop');
  clock.t = 9000;
  p.translate({ key: l2(3, A, B) });
  clock.t = 15000;
  t.equal(p.run().expiredFlows, 0, 'used at 9 s: not idle for 10 s yet');
  clock.t = 19500;
  t.equal(p.run().expiredFlows, 1, 'idle timeout');
  t.same(br.delFlows(), { added: 0, modified: 0, deleted: 1 }, 'del-flows with no match removes everything (the NORMAL flow)');
  t.equal(br.flowCount, 0);
});
