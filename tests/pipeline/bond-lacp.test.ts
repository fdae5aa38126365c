// Bonds and LACP without a network: the LACPDU byte layout, two LACP actors negotiating through
// encoded frames, expiry when PDUs stop, bond member selection, admissibility, and NORMAL over bonds.
import t from 'tap';
import type { OdpFlowKey, OdpAction } from '../../engine/channel/odp-types.js';
import { Pipeline } from '../../engine/pipeline/pipeline.js';
import { BondState } from '../../engine/pipeline/bond.js';
import { Lacp, STATE, encodeLacpFrame, encodeLacpPdu, parseSlowFrame, LACP_PDU_LEN } from '../../engine/vswitch/lacp.js';

t.test('LACPDU layout (IEEE 802.1AX / OVS struct lacp_pdu)', async (t) => {
  const actor = { sysPriority: 65534, sysId: '02:00:00:00:00:01', key: 7, portPriority: 65535, portId: 3, state: STATE.ACT | STATE.AGG };
  const partner = { sysPriority: 1, sysId: 'aa:bb:cc:dd:ee:ff', key: 9, portPriority: 2, portId: 4, state: STATE.SYNC };
  const b = encodeLacpPdu({ actor, partner });
  t.equal(b.length, LACP_PDU_LEN);
  t.same([...b.subarray(0, 4)], [1, 1, 1, 20], 'subtype 1, version 1, actor TLV type 1 length 20');
  t.equal(b.toString('hex', 4, 19), 'fffe' + '020000000001' + '0007' + 'ffff' + '0003' + '05', 'actor info big-endian');
  t.same([...b.subarray(22, 24)], [2, 20], 'partner TLV');
  t.equal(b.toString('hex', 24, 39), '0001' + 'aabbccddeeff' + '0009' + '0002' + '0004' + '08');
  t.same([...b.subarray(42, 46)], [3, 16, 0, 0], 'collector TLV with delay 0');
  t.ok(b.subarray(46).every((x) => x === 0), 'terminator and reserved bytes are zero');
  const frame = encodeLacpFrame('02:00:00:00:00:09', { actor, partner });
  t.equal(frame.toString('hex', 0, 14), '0180c2000002' + '020000000009' + '8809', 'to the slow-protocols group, ethertype 0x8809');
  t.same(parseSlowFrame(frame), { kind: 'lacp', pdu: { actor, partner } }, 'round trip');
  t.same(parseSlowFrame(frame.subarray(0, 40)), { kind: 'bad', reason: 'LACPDU of 26 bytes is shorter than 110' });
  const marker = Buffer.from(frame); marker[14] = 2;
  t.same(parseSlowFrame(marker), { kind: 'marker' });
  t.throws(() => encodeLacpFrame('nope', { actor, partner }), /"nope" is not an Ethernet address/);
});

t.test('two LACP actors negotiate, expire and default', async (t) => {
  let now = 0;
  const clock = () => now;
  const a = new Lacp({ name: 'bondA', sysId: '02:00:00:00:00:0a', sysPriority: 65534, active: true, fast: true, fallbackAb: false }, clock);
  const b = new Lacp({ name: 'bondB', sysId: '02:00:00:00:00:0b', sysPriority: 65534, active: false, fast: true, fallbackAb: false }, clock);
  a.setMembers([{ name: 'a0', portId: 1, portPriority: 65535, key: 0 }, { name: 'a1', portId: 2, portPriority: 65535, key: 0 }]);
  b.setMembers([{ name: 'b0', portId: 5, portPriority: 65535, key: 0 }, { name: 'b1', portId: 6, portPriority: 65535, key: 0 }]);
  const link: Record<string, string> = { a0: 'b0', a1: 'b1', b0: 'a0', b1: 'a1' };
  const exchange = (cut = new Set<string>()) => {
    for (const [from, to] of [[a, b], [b, a]] as const) {
      for (const tx of from.run()) {
        if (cut.has(tx.member)) continue;
        to.processFrame(link[tx.member]!, encodeLacpFrame('02:00:00:00:00:99', tx.pdu));
      }
    }
  };
  t.equal(b.run().length, 0, 'a passive actor with no partner sends nothing');
  for (let i = 0; i < 4; i++) { exchange(); now += 1000; }
  t.ok(a.negotiated && b.negotiated, 'both sides negotiated');
  t.ok(a.memberMayEnable('a0') && a.memberMayEnable('a1'), 'all of A may carry traffic');
  t.ok(b.memberMayEnable('b0') && b.memberMayEnable('b1'), 'all of B may carry traffic');
  t.match(a.show(), /^---- bondA ----\n  status: active negotiated\n  sys_id: 02:00:00:00:00:0a\n  sys_priority: 65534\n  aggregation key: 1\n  lacp_time: fast\n\nmember: a0: current attached\n/);
  t.match(a.show(), /  partner sys_id: 02:00:00:00:00:0b\n  partner sys_priority: 65534\n  partner port_id: 5\n  partner port_priority: 65535\n  partner key: 5\n  partner state: timeout aggregation synchronized collecting distributing\n/);
  t.match(b.show(), /status: passive negotiated/);

  // PDUs on link 0 stop: after 3 s the member expires, after 3 more it is defaulted and detached.
  for (let i = 0; i < 4; i++) { exchange(new Set(['a0', 'b0'])); now += 1000; }
  t.match(a.show(), /member: a0: expired attached\n  port_id: 1\n  port_priority: 65535\n  may_enable: false\n/, 'a0 expired once its partner went silent and may no longer carry traffic');
  for (let i = 0; i < 4; i++) { exchange(new Set(['a0', 'b0'])); now += 1000; }
  t.match(a.show(), /member: a0: defaulted detached/);
  t.notOk(a.memberMayEnable('a0'), 'a silent member may not carry traffic');
  t.ok(a.memberMayEnable('a1'), 'the other member still may');
  t.match(a.showStats(), /member: a0:\n  TX PDUs: \d+\n  RX PDUs: \d+\n  RX Bad PDUs: 0\n  RX Marker Request PDUs: 0\n  Link Expired: 1\n  Link Defaulted: 1\n/);
  a.processFrame('a1', Buffer.alloc(20));
  t.match(a.showStats(), /member: a1:\n  TX PDUs: \d+\n  RX PDUs: \d+\n  RX Bad PDUs: 1\n/, 'a garbage frame counts as a bad PDU');
  t.throws(() => new Lacp({ name: 'z', sysId: '00:00:00:00:00:00', sysPriority: 1, active: true, fast: false, fallbackAb: false }), /Invalid zero LACP system ID/);
});

t.test('bond member selection and admissibility', async (t) => {
  const ab = new BondState('b', { mode: 'active-backup', members: ['m1', 'm0'] });
  t.equal(ab.activeMember?.name, 'm0', 'first enabled member by name is active');
  t.equal(ab.admissibility('m1', false), 'drop', 'active-backup drops what arrives on the backup');
  t.equal(ab.admissibility('m0', true), 'accept');
  const g = ab.generation;
  ab.setCarrier('m0', false);
  t.equal(ab.activeMember?.name, 'm1', 'failover to the other member');
  t.not(ab.generation, g, 'failover changes translation');
  ab.setCarrier('m0', true);
  t.equal(ab.activeMember?.name, 'm1', 'the active member is sticky');
  ab.configure({ mode: 'active-backup', members: ['m0', 'm1'], primary: 'm0' });
  t.equal(ab.activeMember?.name, 'm0', 'bond-primary wins when enabled');
  t.match(ab.show('02:00:00:00:00:01'), /^---- b ----\nbond_mode: active-backup\n[\s\S]*lacp_status: off\n[\s\S]*active-backup primary: m0\nactive member mac: 02:00:00:00:00:01\(m0\)\n\nmember m0: enabled\n  active member\n  may_enable: true\n\nmember m1: enabled\n  may_enable: true\n\n$/);

  const slb = new BondState('s', { mode: 'balance-slb', members: ['x', 'y'] });
  t.equal(slb.admissibility('y', false), 'drop-if-moved', 'SLB accepts unicast on any member unless the MAC moved');
  t.equal(slb.admissibility(slb.activeMember!.name === 'x' ? 'y' : 'x', true), 'drop', 'SLB takes broadcasts only on the active member');
  const used = new Set<string>();
  for (let h = 0; h < 16; h++) used.add(slb.outputMember(h)!.name);
  t.same([...used].sort(), ['x', 'y'], 'SLB spreads flows over both members');
  slb.setCarrier('x', false);
  for (let h = 0; h < 16; h++) t.equal(slb.outputMember(h)!.name, 'y');

  const tcp = new BondState('l', { mode: 'balance-tcp', members: ['p', 'q'] });
  t.equal(tcp.admissibility('p', false), 'drop', 'balance-tcp without LACP carries nothing');
  tcp.setLacp('configured', new Map());
  t.equal(tcp.outputMember(1), undefined, 'LACP configured but not negotiated: no output');
  tcp.setLacp('negotiated', new Map([['p', true], ['q', false]]));
  t.equal(tcp.outputMember(7)?.name, 'p', 'only members LACP enables carry traffic');
  t.equal(tcp.admissibility('q', false), 'drop');
  t.throws(() => new BondState('bad', { mode: 'balance-foo' as 'balance-slb', members: ['a'] }), /bond_mode "balance-foo" is not one of/);
});

const A = '00:00:00:00:00:0a', B = '00:00:00:00:00:0b';
const l2 = (inPort: number, src: string, dst: string): OdpFlowKey => ({ inPort, eth: { src, dst }, ethType: 0x88b5 });
const outputs = (acts: OdpAction[]) => acts.filter((a) => a.type === 'output').map((a) => (a as { port: number }).port);

t.test('NORMAL over an active-backup bond', async (t) => {
  const p = new Pipeline({ now: () => 0 });
  const br = p.addBridge('br0');
  br.addPort({ name: 'br0', ofport: 65534, odpPort: 1 });
  br.addPort({ name: 'vm', ofport: 1, odpPort: 2 });
  br.addPort({ name: 'u0', ofport: 2, odpPort: 3, bond: 'up' });
  br.addPort({ name: 'u1', ofport: 3, odpPort: 4, bond: 'up' });
  const bond = br.setBond('up', { mode: 'active-backup', members: ['u0', 'u1'] });
  const flood = p.translate({ key: l2(2, A, 'ff:ff:ff:ff:ff:ff') });
  t.same(outputs(flood.actions), [3, 1], 'a flood reaches the bond once, on its active member');
  t.same(p.translate({ key: l2(4, B, A) }).actions, [], 'frames arriving on the backup member are dropped');
  const fromActive = p.translate({ key: l2(3, B, A) });
  t.same(outputs(fromActive.actions), [2], 'frames from the active member are switched');
  t.match(br.fdbShow(), /\n {4}2 {5}0 {2}00:00:00:00:00:0b/, 'B is learnt on the bond (its id: the lowest member ofport)');
  const toB = p.translate({ key: l2(2, A, B) });
  t.same(outputs(toB.actions), [3], 'unicast to B leaves on the active member');
  const g = p.generation;
  bond.setCarrier('u0', false);
  t.not(p.generation, g, 'a member going down makes installed flows stale');
  const v = p.revalidate([{ key: l2(2, A, B), mask: toB.mask, actions: toB.actions }]);
  t.same(v[0], { op: 'modify', actions: [{ type: 'output', port: 4 }] }, 'revalidation moves the flow to the other member');
  t.same(outputs(p.translate({ key: l2(4, B, A) }).actions), [2], 'and the new active member is accepted');
});
