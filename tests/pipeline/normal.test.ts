// NORMAL building blocks: Port VLAN resolution and the MAC learning table.
import t from 'tap';
import {
  resolvePortVlan, inputVidRejection, inputVidToVlan, outputVid, portIncludesVlan, MacLearningTable,
} from '../../engine/pipeline/normal.js';
import { macToBig } from '../../engine/pipeline/fields.js';

t.test('vlan_mode defaults and trunk sets', async (t) => {
  const access = resolvePortVlan({ tag: 10 });
  t.equal(access.mode, 'access');
  t.equal(access.vlan, 10);
  const trunk = resolvePortVlan({});
  t.equal(trunk.mode, 'trunk');
  t.equal(trunk.trunks, null, 'trunk without trunks carries every VLAN');
  t.equal(resolvePortVlan({ tag: 10, trunks: [1, 2] }).mode, 'access', 'trunks are ignored when a tag makes it access');
  t.notOk(portIncludesVlan(resolvePortVlan({ tag: 10, trunks: [1, 2] }), 1));
  const nat = resolvePortVlan({ tag: 5, trunks: [0, 7], vlanMode: 'native-untagged' });
  t.ok(portIncludesVlan(nat, 5), 'native VLAN always trunked');
  t.ok(portIncludesVlan(nat, 7));
  t.notOk(nat.trunks![0], 'VLAN 0 never trunked on a native port');
  t.notOk(portIncludesVlan(nat, 8));
  t.throws(() => resolvePortVlan({ tag: -1 }), /out of range/);
  t.throws(() => resolvePortVlan({ trunks: [4096] }), /out of range/);
  t.throws(() => resolvePortVlan({ vlanMode: 'dot1q' as 'trunk' }), /vlan_mode "dot1q"/);
});

t.test('input and output VLAN rules', async (t) => {
  const access = resolvePortVlan({ tag: 10 });
  t.equal(inputVidRejection(access, 0, 'a'), undefined);
  t.equal(inputVidRejection(access, 10, 'a'), 'dropping VLAN 10 tagged packet received on port a configured as VLAN 10 access port');
  t.equal(inputVidToVlan(access, 0), 10);
  t.equal(outputVid(access, 10), 0);
  const trunk = resolvePortVlan({ trunks: [10, 20] });
  t.equal(inputVidRejection(trunk, 30, 't'), 'dropping VLAN 30 packet received on port t not configured for trunking VLAN 30');
  t.match(inputVidRejection(trunk, 0, 't'), /VLAN 0/, 'untagged needs VLAN 0 in trunks');
  t.equal(inputVidToVlan(trunk, 20), 20);
  t.equal(outputVid(trunk, 20), 20);
  const nt = resolvePortVlan({ tag: 3, vlanMode: 'native-tagged' });
  const nu = resolvePortVlan({ tag: 3, vlanMode: 'native-untagged' });
  t.equal(inputVidToVlan(nt, 0), 3);
  t.equal(inputVidToVlan(nu, 9), 9);
  t.equal(outputVid(nt, 3), 3, 'native-tagged tags its native VLAN');
  t.equal(outputVid(nu, 3), 0, 'native-untagged sends its native VLAN untagged');
  t.equal(outputVid(nu, 4), 4);
});

t.test('learning table: new, refresh, move, ageing, limits, fdb/show', async (t) => {
  let now = 0;
  const ml = new MacLearningTable({ now: () => now, maxEntries: 3, idleTimeS: 300 });
  const m = (n: number) => macToBig(`00:00:00:00:00:0${n}`);
  t.equal(ml.learn(m(1), 0, 1), 'new');
  const g = ml.generation;
  now = 1000;
  t.equal(ml.learn(m(1), 0, 1), 'refreshed');
  t.equal(ml.generation, g, 'refresh does not change forwarding');
  t.equal(ml.learn(m(1), 0, 2), 'moved');
  t.not(ml.generation, g);
  t.equal(ml.learn(m(1), 5, 3), 'new', 'same MAC in another VLAN is another entry');
  t.equal(ml.learn(macToBig('01:00:5e:00:00:01'), 0, 1), 'not-learnable', 'multicast sources are not learnt');
  t.equal(ml.lookup(m(1), 0)?.port, 2);
  t.equal(ml.lookup(m(1), 5)?.port, 3);
  t.equal(ml.lookup(m(1), 7), undefined);
  ml.learn(m(2), 0, 1);
  ml.learn(m(3), 0, 1);
  t.equal(ml.size, 3, 'bounded by max entries');
  t.equal(ml.lookup(m(1), 0), undefined, 'least recently used entry evicted');
  now = 30_000;
  t.equal(ml.show((p) => String(p)),
    ' port  VLAN  MAC                Age\n' +
    '    3     5  00:00:00:00:00:01   29\n' +
    '    1     0  00:00:00:00:00:02   29\n' +
    '    1     0  00:00:00:00:00:03   29\n');
  now = 301_000;
  t.equal(ml.expire().length, 3);
  t.equal(ml.size, 0);
  ml.learn(m(4), 0, 1, { gratuitousArp: true, bondLike: true });
  t.equal(ml.learn(m(4), 0, 2, { gratuitousArp: true, bondLike: true }), 'moved', 'no lock set from a bond');
  ml.learn(m(5), 0, 1, { gratuitousArp: true });
  t.equal(ml.learn(m(5), 0, 2, { gratuitousArp: true, bondLike: true }), 'locked', 'gratuitous ARP lock holds against bond reflections');
  t.equal(ml.flushPort(2), 1);
  t.equal(ml.flush(), 1);
});
