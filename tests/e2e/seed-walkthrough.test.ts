// The seed walkthrough (shared/seed/ovs-on-windows.rst) on Linux, end to end through our engine:
// br-int and br-pif, VMs (namespaces with veth vNICs) on VLAN 900, a patch pair, tunnels' DB config,
// forwarding and isolation proved with real pings and a TCP transfer; OpenFlow rules and port
// deletion take effect at once.
import t from 'tap';
import { needCommand, needRoot } from '../lib/env.js';
import { EngineHarness } from '../lib/engine-harness.js';

const skip = needRoot() || needCommand('ping') || needCommand('ip');

t.test('seed walkthrough on Linux', { skip, timeout: 240_000 }, async (t) => {
  const h = new EngineHarness('sw');
  t.teardown(() => h.stop());
  await h.start();

  // ovs-vsctl without --no-wait returns once the switch has applied the change (cur_cfg).
  h.ok('ovs-vsctl', 'add-br', 'br-int');
  h.ok('ovs-vsctl', 'add-br', 'br-pif');
  const ovs = h.ok('ovs-vsctl', '--columns=cur_cfg,next_cfg', 'list', 'Open_vSwitch');
  const cur = /cur_cfg\s*:\s*(\d+)/.exec(ovs)?.[1], next = /next_cfg\s*:\s*(\d+)/.exec(ovs)?.[1];
  t.equal(cur, next, 'cur_cfg caught up with next_cfg');

  const dp = h.ok('ovs-dpctl', 'show');
  t.match(dp, /^system@ovs-system:\n  lookups: hit:\d+ missed:\d+ lost:\d+\n  flows: \d+\n/, 'ovs-dpctl show header as OVS prints it');
  t.match(dp, /  port \d+: br-int \(internal\)\n/, 'br-int is a datapath port at once (no restart needed)');
  t.match(dp, /  port \d+: br-pif \(internal\)\n/, 'br-pif is a datapath port');

  const show = h.ok('ovs-vsctl', 'show');
  // Bridges are listed in uuid order (as real ovs-vsctl does), so either may come first.
  t.match(show, /^[0-9a-f-]{36}\n    Bridge br-/, 'ovs-vsctl show starts with the Open_vSwitch uuid');
  for (const br of ['br-int', 'br-pif']) {
    t.match(show, new RegExp(`    Bridge ${br}\n        Port ${br}\n            Interface ${br}\n                type: internal\n`), `ovs-vsctl show has the seed's block for ${br}`);
  }

  const a = h.addVm('a', '10.9.0.1/24'), b = h.addVm('b', '10.9.0.2/24'), c = h.addVm('c', '10.9.0.3/24'), d = h.addVm('d', '10.9.0.4/24');
  h.ok('ovs-vsctl', 'add-port', 'br-int', a.hostIf, 'tag=900');
  h.ok('ovs-vsctl', 'add-port', 'br-int', b.hostIf, 'tag=900');
  h.ok('ovs-vsctl', 'add-port', 'br-int', c.hostIf, 'tag=901');
  // The seed's patch pair, exactly its commands.
  h.ok('ovs-vsctl', 'add-port', 'br-int', 'patch-to-pif');
  h.ok('ovs-vsctl', 'set', 'interface', 'patch-to-pif', 'type=patch', 'options:peer=patch-to-int');
  h.ok('ovs-vsctl', 'add-port', 'br-pif', 'patch-to-int');
  h.ok('ovs-vsctl', 'set', 'interface', 'patch-to-int', 'type=patch', 'options:peer=patch-to-pif');
  h.ok('ovs-vsctl', 'add-port', 'br-pif', d.hostIf, 'tag=900');

  t.equal(h.ok('ovs-vsctl', 'get', 'interface', a.hostIf, 'error').trim(), '[]', 'the VM port came up without error');
  t.match(h.ok('ovs-vsctl', 'get', 'interface', a.hostIf, 'ofport').trim(), /^[1-9]\d*$/, 'ofport written back');
  t.equal(h.ok('ovs-vsctl', 'get', 'interface', a.hostIf, 'link_state').trim(), 'up', 'link_state written back');
  t.equal(h.ok('ovs-vsctl', 'get', 'interface', 'patch-to-pif', 'link_state').trim(), 'up', 'patch port is up once its peer exists');

  t.ok(h.ping(a, b.ip), 'VM a pings VM b on VLAN 900');
  t.ok(h.ping(a, d.ip), 'VM a reaches VM d on br-pif through the patch ports');
  t.notOk(h.ping(a, c.ip, 2), 'VM c on VLAN 901 is isolated from VLAN 900');
  const sent = 4 * 1024 * 1024;
  t.equal(await h.tcpTransfer(a, b, sent), sent, 'a 4 MiB TCP transfer between same-VLAN VMs arrives whole');

  const fdb = h.ok('ovs-appctl', 'fdb/show', 'br-int');
  t.match(fdb, / port {2}VLAN {2}MAC {16}Age\n/, 'fdb/show lists learnt MACs');
  t.match(fdb, / 900 {2}[0-9a-f:]{17}/, 'MACs learnt on VLAN 900');

  // OpenFlow rules change forwarding immediately.
  h.ok('ovs-ofctl', 'add-flow', 'br-int', 'priority=100,ip,nw_dst=10.9.0.2,actions=drop');
  t.notOk(h.ping(a, b.ip, 2), 'a drop rule stops the ping at once');
  t.match(h.ok('ovs-ofctl', 'dump-flows', 'br-int'), /priority=100,ip,nw_dst=10\.9\.0\.2 actions=drop/, 'dump-flows shows the rule');
  h.ok('ovs-ofctl', 'del-flows', 'br-int', 'ip,nw_dst=10.9.0.2');
  t.ok(h.ping(a, b.ip), 'deleting the rule restores the ping');

  // Deleting a port stops its traffic at once.
  h.ok('ovs-vsctl', 'del-port', 'br-int', b.hostIf);
  t.notOk(h.ping(a, b.ip, 2), 'after del-port the VM is unreachable');
  t.notMatch(h.ok('ovs-dpctl', 'show'), new RegExp(`: ${b.hostIf}\\b`), 'and its datapath port is gone');

  // A missing device gets a clear error in the Interface row, and nothing else breaks.
  h.ok('ovs-vsctl', 'add-port', 'br-int', 'nosuchdev0');
  t.match(h.ok('ovs-vsctl', 'get', 'interface', 'nosuchdev0', 'error'), /could not open network device nosuchdev0 \(No such device\)/, 'error column names the missing device');
  t.ok(h.ping(a, d.ip), 'other ports keep forwarding');

  // The seed's tunnel configuration is accepted into the database.
  h.ok('ovs-vsctl', 'add-port', 'br-int', 'tun-1');
  h.ok('ovs-vsctl', 'set', 'Interface', 'tun-1', 'type=vxlan');
  h.ok('ovs-vsctl', 'set', 'Interface', 'tun-1', 'options:local_ip=172.168.201.101');
  h.ok('ovs-vsctl', 'set', 'Interface', 'tun-1', 'options:remote_ip=172.168.201.102');
  h.ok('ovs-vsctl', 'set', 'Interface', 'tun-1', 'options:in_key=flow');
  h.ok('ovs-vsctl', 'set', 'Interface', 'tun-1', 'options:out_key=flow');
  t.match(h.ok('ovs-vsctl', 'show'), /Port tun-1\n\s+Interface tun-1\n\s+type: vxlan\n\s+options: \{in_key=flow, local_ip="172\.168\.201\.101", out_key=flow, remote_ip="172\.168\.201\.102"\}/, 'tunnel port shows as in the seed');
});
