// Port mirroring end to end: a Mirror row made with the ovs-vsctl recipe from OVS's documentation
// copies a VM's traffic (both directions) to a monitor VM, counted on the monitor's vNIC; the
// Mirror's statistics column counts the copies; the mirror port accepts no traffic of its own;
// removing the mirror stops the copies at once.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { needCommand, needRoot } from '../lib/env.js';
import { EngineHarness, type TestVm } from '../lib/engine-harness.js';

const skip = needRoot() || needCommand('ping') || needCommand('ip');

function rxPackets(vm: TestVm): number {
  const r = spawnSync('ip', ['netns', 'exec', vm.ns, 'cat', '/sys/class/net/eth0/statistics/rx_packets'], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

function pingMany(from: TestVm, to: string, count: number): boolean {
  return spawnSync('ip', ['netns', 'exec', from.ns, 'ping', '-c', String(count), '-i', '0.02', '-W', '1', '-q', to]).status === 0;
}

t.test('SPAN mirror copies a port\'s traffic to a monitor port', { skip, timeout: 180_000 }, async (t) => {
  const h = new EngineHarness('mi');
  t.teardown(() => h.stop());
  await h.start();
  h.ok('ovs-vsctl', 'add-br', 'br-int');
  const a = h.addVm('a', '10.8.0.1/24'), b = h.addVm('b', '10.8.0.2/24'), mon = h.addVm('m', '10.8.0.9/24');
  h.ok('ovs-vsctl', 'add-port', 'br-int', a.hostIf, 'tag=900');
  h.ok('ovs-vsctl', 'add-port', 'br-int', b.hostIf, 'tag=900');
  h.ok('ovs-vsctl', 'add-port', 'br-int', mon.hostIf);
  t.ok(h.ping(a, b.ip), 'a pings b before any mirror');

  h.ok('ovs-vsctl', '--', 'set', 'Bridge', 'br-int', 'mirrors=@m',
    '--', '--id=@a', 'get', 'Port', a.hostIf, '--', '--id=@mon', 'get', 'Port', mon.hostIf,
    '--', '--id=@m', 'create', 'Mirror', 'name=span-a', 'select-src-port=@a', 'select-dst-port=@a', 'output-port=@mon');
  t.match(h.ok('ovs-vsctl', 'list', 'Mirror'), /name\s+: span-a/, 'the Mirror row exists');

  const before = rxPackets(mon);
  t.ok(pingMany(a, b.ip, 40), 'a pings b 40 times with the mirror in place');
  const copies = rxPackets(mon) - before;
  t.ok(copies >= 80, `the monitor received a copy of each request and each reply (${copies} >= 80)`);
  t.ok(copies <= 100, `and not much more (${copies} <= 100: no duplicate copies)`);

  let stats = '';
  for (let i = 0; i < 60 && !/tx_packets=(\d+)/.test(stats); i++) {
    stats = h.ok('ovs-vsctl', 'get', 'Mirror', 'span-a', 'statistics');
    if (/tx_packets=(\d+)/.test(stats) && Number(/tx_packets=(\d+)/.exec(stats)![1]) >= 80) break;
    stats = '';
    await new Promise((r) => setTimeout(r, 250));
  }
  const txPackets = Number(/tx_packets=(\d+)/.exec(stats)?.[1] ?? -1);
  t.ok(txPackets >= 80, `Mirror statistics count the copies (tx_packets=${txPackets})`);
  t.match(stats, /tx_bytes=\d+/, 'and their bytes');

  t.notOk(h.ping(mon, a.ip, 2), 'the mirror output port is reserved: traffic it sends is dropped');

  h.ok('ovs-vsctl', 'clear', 'Bridge', 'br-int', 'mirrors');
  t.equal(h.ok('ovs-vsctl', 'list', 'Mirror').trim(), '', 'the unreferenced Mirror row is garbage-collected');
  const before2 = rxPackets(mon);
  t.ok(pingMany(a, b.ip, 40), 'a still pings b');
  const after = rxPackets(mon) - before2;
  t.ok(after <= 6, `no copies once the mirror is gone (${after} frames, at most a few broadcasts)`);
});
