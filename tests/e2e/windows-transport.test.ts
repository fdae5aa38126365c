// The whole engine over the Windows transport code path on Linux: ovs-vsctl changes reach the
// datapath and frames are forwarded, with every datapath message going through the Windows
// transport (GET_PID, TRANSACT, WRITE+READ dumps, READ_PACKET upcalls) to a simulated extension.
import t from 'tap';
import { needCommand, needRoot } from '../lib/env.js';
import { EngineHarness } from '../lib/engine-harness.js';

const skip = needRoot() || needCommand('ping') || needCommand('ip');

t.test('engine over the Windows transport (simulated extension device)', { skip, timeout: 180_000 }, async (t) => {
  const h = new EngineHarness('wt');
  t.teardown(() => h.stop());
  await h.start(['--datapath-transport=windows-sim']);
  h.ok('ovs-vsctl', 'add-br', 'br-int');
  const a = h.addVm('a', '10.8.0.1/24'), b = h.addVm('b', '10.8.0.2/24');
  h.ok('ovs-vsctl', 'add-port', 'br-int', a.hostIf, 'tag=900');
  h.ok('ovs-vsctl', 'add-port', 'br-int', b.hostIf, 'tag=900');
  const dp = h.ok('ovs-dpctl', 'show');
  t.match(dp, /port \d+: br-int \(internal\)/, 'bridge port created through the Windows transport');
  t.match(dp, new RegExp(`port \\d+: ${a.hostIf}\\n`), 'VM port created through the Windows transport');
  t.ok(h.ping(a, b.ip), 'VMs ping each other; misses travel as READ_PACKET upcalls');
  t.match(h.ok('ovs-dpctl', 'dump-flows'), /actions:/, 'megaflows installed through TRANSACT and dumped with WRITE+READ');

  // The same configuration over the userspace transport shows the same datapath (what
  // Get-OvsDatapath and ovs-dpctl show read through the management API).
  const u = new EngineHarness('wu');
  t.teardown(() => u.stop());
  await u.start(['--datapath-transport=userspace']);
  u.ok('ovs-vsctl', 'add-br', 'br-int');
  const ua = u.addVm('a', '10.8.0.1/24'), ub = u.addVm('b', '10.8.0.2/24');
  u.ok('ovs-vsctl', 'add-port', 'br-int', ua.hostIf, 'tag=900');
  u.ok('ovs-vsctl', 'add-port', 'br-int', ub.hostIf, 'tag=900');
  const ports = (text: string) => text.split('\n').filter((l) => /^  port /.test(l)).sort();
  t.same(ports(u.ok('ovs-dpctl', 'show')), ports(h.ok('ovs-dpctl', 'show')), 'same datapath ports over the Windows and the userspace transport');
});
