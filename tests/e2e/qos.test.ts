// Port QoS (linux-htb) end to end, with the ovs-vsctl recipe from OVS's QoS documentation: a
// 10 Mbit/s max-rate on VM b's port holds for a TCP transfer from a to b (the upper bound is the
// limit holding; the measured rate is printed), qos/show reports it, and clearing it removes the
// HTB qdisc from the device.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { needCommand, needRoot } from '../lib/env.js';
import { EngineHarness } from '../lib/engine-harness.js';
import { htbCommands } from '../../engine/vswitch/qos.js';

const skip = needRoot() || needCommand('ping') || needCommand('ip') || needCommand('tc');

t.test('htb commands as OVS lays the classes out', async (t) => {
  t.same(htbCommands('eth9', { type: 'linux-htb', maxRate: 10_000_000, queues: [{ id: 1, minRate: 2_000_000, priority: 3 }, { id: 0, maxRate: 5_000_000, burst: 80_000 }] }), [
    ['qdisc', 'replace', 'dev', 'eth9', 'root', 'handle', '1:', 'htb', 'default', '1'],
    ['class', 'replace', 'dev', 'eth9', 'parent', '1:', 'classid', '1:fffe', 'htb', 'rate', '10000000bit', 'ceil', '10000000bit'],
    ['class', 'replace', 'dev', 'eth9', 'parent', '1:fffe', 'classid', '1:1', 'htb', 'rate', '8bit', 'ceil', '5000000bit', 'burst', '10000b', 'prio', '0'],
    ['class', 'replace', 'dev', 'eth9', 'parent', '1:fffe', 'classid', '1:2', 'htb', 'rate', '2000000bit', 'ceil', '10000000bit', 'prio', '3'],
  ]);
  t.throws(() => htbCommands('eth9', { type: 'linux-htb', queues: [{ id: 70000 }] }), /queue 70000 is out of range/);
});

t.test('a 10 Mbit/s linux-htb max-rate holds', { skip, timeout: 180_000 }, async (t) => {
  const h = new EngineHarness('qo');
  t.teardown(() => h.stop());
  await h.start();
  h.ok('ovs-vsctl', 'add-br', 'br-int');
  const a = h.addVm('a', '10.2.0.1/24'), b = h.addVm('b', '10.2.0.2/24');
  h.ok('ovs-vsctl', 'add-port', 'br-int', a.hostIf);
  h.ok('ovs-vsctl', 'add-port', 'br-int', b.hostIf);
  t.ok(h.ping(a, b.ip), 'a pings b');

  h.ok('ovs-vsctl', 'set', 'port', b.hostIf, 'qos=@newqos', '--', '--id=@newqos', 'create', 'qos', 'type=linux-htb', 'other-config:max-rate=10000000',
    'queues:0=@q0', '--', '--id=@q0', 'create', 'queue', 'other-config:min-rate=1000000', 'other-config:max-rate=10000000');
  const qdisc = spawnSync('ip', ['netns', 'exec', h.ns, 'tc', 'qdisc', 'show', 'dev', b.hostIf], { encoding: 'utf8' }).stdout;
  t.match(qdisc, /qdisc htb 1: root .*default 0x1/, 'an HTB qdisc at the root of b\'s port device, default class 1:1');
  const classes = spawnSync('ip', ['netns', 'exec', h.ns, 'tc', 'class', 'show', 'dev', b.hostIf], { encoding: 'utf8' }).stdout;
  t.match(classes, /class htb 1:fffe root .*rate 10Mbit ceil 10Mbit/, 'root class with the QoS max-rate');
  t.match(classes, /class htb 1:1 parent 1:fffe .*rate 1Mbit ceil 10Mbit/, 'queue 0 class with its min-rate and max-rate');

  const bytes = 4 * 1024 * 1024;
  const t0 = process.hrtime.bigint();
  t.equal(await h.tcpTransfer(a, b, bytes), bytes, 'a 4 MiB transfer to b arrives whole');
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const mbps = (bytes * 8) / secs / 1e6;
  t.comment(`measured ${mbps.toFixed(2)} Mbit/s through a 10 Mbit/s max-rate (${secs.toFixed(2)} s)`);
  t.ok(mbps <= 11, `the rate limit holds within 10% (${mbps.toFixed(2)} Mbit/s <= 11)`);
  const show = h.ok('ovs-appctl', 'qos/show', b.hostIf);
  t.match(show, new RegExp(`^QoS: ${b.hostIf} linux-htb\\nmax-rate: 10000000\\n\\nDefault:\\n  max-rate: 10000000\\n  min-rate: 1000000\\n  priority: 0\\n  tx_packets: \\d+\\n  tx_bytes: (\\d+)\\n`), 'qos/show as OVS prints it');
  const txBytes = Number(/tx_bytes: (\d+)/.exec(show)?.[1] ?? 0);
  t.ok(txBytes >= bytes, `queue 0 carried the transfer (${txBytes} bytes)`);

  h.ok('ovs-vsctl', 'clear', 'port', b.hostIf, 'qos');
  const after = spawnSync('ip', ['netns', 'exec', h.ns, 'tc', 'qdisc', 'show', 'dev', b.hostIf], { encoding: 'utf8' }).stdout;
  t.notMatch(after, /htb/, 'clearing the port\'s qos removes the HTB qdisc');
  t.match(h.cli('ovs-appctl', ['qos/show', b.hostIf]).stderr, /QoS not configured on/, 'qos/show says so');
});

t.test('Interface ingress policing at 10 Mbit/s holds', { skip, timeout: 180_000 }, async (t) => {
  const h = new EngineHarness('qp');
  t.teardown(() => h.stop());
  await h.start();
  h.ok('ovs-vsctl', 'add-br', 'br-int');
  const a = h.addVm('a', '10.2.1.1/24'), b = h.addVm('b', '10.2.1.2/24');
  h.ok('ovs-vsctl', 'add-port', 'br-int', a.hostIf);
  h.ok('ovs-vsctl', 'add-port', 'br-int', b.hostIf);
  t.ok(h.ping(a, b.ip), 'a pings b');
  h.ok('ovs-vsctl', 'set', 'interface', a.hostIf, 'ingress_policing_rate=10000', 'ingress_policing_burst=1000');
  const bytes = 3 * 1024 * 1024;
  const t0 = process.hrtime.bigint();
  t.equal(await h.tcpTransfer(a, b, bytes), bytes, 'a 3 MiB transfer from the policed VM arrives whole (TCP recovers the drops)');
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const mbps = (bytes * 8) / secs / 1e6;
  t.comment(`measured ${mbps.toFixed(2)} Mbit/s through a 10 Mbit/s ingress policer (${secs.toFixed(2)} s)`);
  t.ok(mbps <= 11, `the policing limit holds within 10% (${mbps.toFixed(2)} Mbit/s <= 11)`);
  const stats = h.ok('ovs-vsctl', 'get', 'interface', a.hostIf, 'statistics');
  void stats;
  const dropped = /port \d+: vp-a[\s\S]*?RX packets:\d+ errors:\d+ dropped:(\d+)/.exec(h.ok('ovs-dpctl', 'show', '-s'))?.[1];
  if (dropped !== undefined) t.ok(Number(dropped) > 0, `the policer dropped frames over the rate (${dropped})`);
  h.ok('ovs-vsctl', 'set', 'interface', a.hostIf, 'ingress_policing_rate=0');
  const t1 = process.hrtime.bigint();
  t.equal(await h.tcpTransfer(a, b, bytes), bytes, 'with policing off the transfer still arrives');
  const secs2 = Number(process.hrtime.bigint() - t1) / 1e9;
  t.comment(`without the policer: ${((bytes * 8) / secs2 / 1e6).toFixed(2)} Mbit/s`);
});

t.test('set_queue sends a flow through its QoS queue', { skip, timeout: 180_000 }, async (t) => {
  const h = new EngineHarness('qq');
  t.teardown(() => h.stop());
  await h.start();
  h.ok('ovs-vsctl', 'add-br', 'br-int');
  const a = h.addVm('a', '10.2.2.1/24'), b = h.addVm('b', '10.2.2.2/24');
  h.ok('ovs-vsctl', 'add-port', 'br-int', a.hostIf);
  h.ok('ovs-vsctl', 'add-port', 'br-int', b.hostIf);
  h.ok('ovs-vsctl', 'set', 'port', b.hostIf, 'qos=@q', '--', '--id=@q', 'create', 'qos', 'type=linux-htb', 'other-config:max-rate=100000000',
    'queues:0=@q0', 'queues:1=@q1', '--', '--id=@q0', 'create', 'queue', 'other-config:max-rate=100000000',
    '--', '--id=@q1', 'create', 'queue', 'other-config:max-rate=50000000');
  const ofA = h.ok('ovs-vsctl', 'get', 'interface', a.hostIf, 'ofport').trim();
  h.ok('ovs-ofctl', 'add-flow', 'br-int', `priority=100,ip,in_port=${ofA},actions=set_queue:1,NORMAL`);
  t.match(h.ok('ovs-ofctl', 'dump-flows', 'br-int'), /priority=100,ip,in_port=\d+ actions=set_queue:1,NORMAL/, 'dump-flows prints set_queue');
  t.ok(h.ping(a, b.ip), 'a pings b');
  const bytes = 2 * 1024 * 1024;
  t.equal(await h.tcpTransfer(a, b, bytes), bytes, 'a 2 MiB transfer from a to b');
  const show = h.ok('ovs-appctl', 'qos/show', b.hostIf);
  const q1 = Number(/Queue 1:\n(?:  .*\n)*?  tx_bytes: (\d+)/.exec(show)?.[1] ?? 0);
  const q0 = Number(/Default:\n(?:  .*\n)*?  tx_bytes: (\d+)/.exec(show)?.[1] ?? 0);
  t.ok(q1 >= bytes, `queue 1 (class 1:2) carried the IP flow (${q1} bytes)`);
  t.ok(q0 < bytes / 4, `the default queue did not (${q0} bytes: ARP and the like)`);
  t.match(h.ok('ovs-dpctl', 'dump-flows'), /set\(skb_priority\(0x10002\)\)|priority\(0x10002\)/, 'the megaflow sets skb priority 0x10002');
});
