// Periodic statistics end to end: after the first packet of a flow (counted at the upcall) the
// datapath forwards the rest, and the switch pushes the megaflows' counters into the OpenFlow
// rules' n_packets/n_bytes (revalidation) and the datapath ports' counters into the Interface
// `statistics` column (every stats-update-interval, at least 5 s), round after round without
// any configuration change; a 10-minute stats-update-interval holds the column back.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { needCommand, needRoot } from '../lib/env.js';
import { EngineHarness, type TestVm } from '../lib/engine-harness.js';
import { sleep, waitFor } from '../lib/wait.js';

const skip = needRoot() || needCommand('ping') || needCommand('ip');

t.test('flow and interface statistics are updated periodically', { skip, timeout: 180_000 }, async (t) => {
  const h = new EngineHarness('st');
  t.teardown(() => h.stop());
  await h.start();
  h.ok('ovs-vsctl', 'add-br', 'br-int');
  const a = h.addVm('a', '10.33.0.1/24'), b = h.addVm('b', '10.33.0.2/24');
  h.ok('ovs-vsctl', 'add-port', 'br-int', a.hostIf);
  h.ok('ovs-vsctl', 'add-port', 'br-int', b.hostIf);
  t.ok(h.ping(a, b.ip, 1), 'path up');
  h.ok('ovs-ofctl', 'add-flow', 'br-int', 'priority=10,icmp,actions=NORMAL');

  const rule = () => {
    const line = h.ok('ovs-ofctl', 'dump-flows', 'br-int', 'icmp').split('\n').find((l) => l.includes('priority=10,icmp')) ?? '';
    return { packets: Number(/n_packets=(\d+)/.exec(line)?.[1] ?? -1), bytes: Number(/n_bytes=(\d+)/.exec(line)?.[1] ?? -1) };
  };
  const ifaceStats = (vm: TestVm) => {
    const s = h.ok('ovs-vsctl', 'get', 'Interface', vm.hostIf, 'statistics');
    const n = (k: string) => Number(new RegExp(`\\b${k}=(\\d+)`).exec(s)?.[1] ?? -1);
    return { rx: n('rx_packets'), tx: n('tx_packets'), rxBytes: n('rx_bytes'), txBytes: n('tx_bytes') };
  };
  const ping = (n: number) => spawnSync('ip', ['netns', 'exec', a.ns, 'ping', '-c', String(n), '-i', '0.02', '-q', b.ip]).status;

  t.same(rule(), { packets: 0, bytes: 0 }, 'the new rule starts at zero');
  let expected = 0;
  for (const round of [1, 2]) {
    const n = 50;
    const before = ifaceStats(a);
    t.equal(ping(n), 0, `round ${round}: ${n} pings`);
    expected += 2 * n;
    await waitFor(() => rule().packets >= expected, `n_packets ${expected}`, 15_000).catch(() => undefined);
    const r = rule();
    t.equal(r.packets, expected, `round ${round}: n_packets counts each request and reply once (datapath hits pushed by revalidation)`);
    t.equal(r.bytes, expected * 98, `round ${round}: n_bytes`);
    // Wait for the bytes too: an ARP or neighbour packet counted before the last pings makes
    // rx_packets reach +n while rx_bytes is still short of n whole echo frames.
    await waitFor(() => { const s = ifaceStats(a); return s.rx >= before.rx + n && s.rxBytes >= before.rxBytes + n * 98; },
      `a's rx_packets to grow by ${n} and rx_bytes by ${n} x 98`, 20_000).catch(() => undefined);
    const after = ifaceStats(a);
    t.ok(after.rx - before.rx >= n && after.tx - before.tx >= n, `round ${round}: Interface statistics of a grew by at least ${n} both ways (rx +${after.rx - before.rx}, tx +${after.tx - before.tx})`);
    t.ok(after.rxBytes - before.rxBytes >= n * 98, `round ${round}: rx_bytes grew by at least ${n} x 98`);
  }
  const bs = ifaceStats(b);
  t.ok(bs.rx >= 100 && bs.tx >= 100, `b's statistics too (rx ${bs.rx}, tx ${bs.tx})`);

  h.ok('ovs-vsctl', 'set', 'Open_vSwitch', '.', 'other_config:stats-update-interval=600000');
  await sleep(1000); // ovs-vsctl waited for the switch to apply it; the next write is 10 min after the last
  const held = ifaceStats(a);
  t.equal(ping(20), 0, '20 more pings');
  await sleep(7000);
  t.same(ifaceStats(a), held, 'with stats-update-interval=600000 the column is not rewritten within 7 s');
  t.equal(rule().packets, expected + 40, 'while flow statistics keep following the traffic');
  h.ok('ovs-vsctl', 'remove', 'Open_vSwitch', '.', 'other_config', 'stats-update-interval');
  await waitFor(() => ifaceStats(a).rx >= held.rx + 20, 'statistics after the interval is back to 5 s', 20_000).catch(() => undefined);
  t.ok(ifaceStats(a).rx >= held.rx + 20, 'back to the default interval: the column catches up');
});
