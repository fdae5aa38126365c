// Bonds with LACP, interoperating with real Open vSwitch: our engine's bond of two links (lacp=active,
// balance-tcp) faces a bond of real ovs-vswitchd (Debian, userspace netdev datapath, lacp=active) in
// another namespace. Both sides must negotiate (real LACPDUs both ways), a VM on our bridge pings an
// address behind the real switch, and traffic survives pulling either member's link.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { needCommand, needRealOvs, needRoot } from '../lib/env.js';
import { EngineHarness } from '../lib/engine-harness.js';
import { realOvsInNs, sh } from '../lib/real-ovs-ns.js';
import { waitFor } from '../lib/wait.js';

const skip = needRoot() || needRealOvs() || needCommand('ping') || needCommand('ip');
// Per process, so two runs at once (developers' worktrees) never share or delete each other's namespace.
const PEER_NS = `ovspslacpB${process.pid}`;

t.test('LACP bond against real OVS: negotiation, forwarding, failover both ways', { skip, timeout: 240_000 }, async (t) => {
  spawnSync('ip', ['netns', 'del', PEER_NS]);
  const h = new EngineHarness('lb');
  const real = realOvsInNs(PEER_NS, 'ovsps-lacp-real-');
  t.teardown(() => real.stop(300, async () => {
    await h.stop();
    spawnSync('ip', ['netns', 'del', PEER_NS]);
  }));
  await h.start();

  // The real switch in its own namespace, joined to ours by two veth links.
  sh('ip', ['netns', 'add', PEER_NS]);
  sh('ip', ['-n', PEER_NS, 'link', 'set', 'lo', 'up']);
  // Real OVS's netdev datapath reads the members through AF_PACKET, so the peer's kernel still sees
  // every frame on lbB0/lbB1 and, with the default arp_ignore=0, answers ARP for brB's 10.6.0.2 from
  // a member's own MAC. The VM then sends to that MAC, our bond hashes the flow onto the other link
  // and the real bridge delivers it to brB with a foreign destination MAC: dropped. (Seen 1 run in 4.)
  // Answer ARP only on the interface that owns the address, as a host with a real NIC bond would.
  sh('ip', ['netns', 'exec', PEER_NS, 'sysctl', '-qw', 'net.ipv4.conf.all.arp_ignore=1']);
  for (const i of [0, 1]) {
    sh('ip', ['link', 'add', `lbA${i}`, 'netns', h.ns, 'type', 'veth', 'peer', 'name', `lbB${i}`, 'netns', PEER_NS]);
    sh('ip', ['-n', h.ns, 'link', 'set', `lbA${i}`, 'up']);
    sh('ip', ['-n', PEER_NS, 'link', 'set', `lbB${i}`, 'up']);
  }
  const realVsctl = real.vsctl;
  const realAppctl = real.appctl;
  real.start();
  realVsctl('add-br', 'brB', '--', 'set', 'bridge', 'brB', 'datapath_type=netdev');
  realVsctl('add-bond', 'brB', 'bondB', 'lbB0', 'lbB1', 'lacp=active', 'bond_mode=balance-tcp', 'other_config:lacp-time=fast');
  sh('ip', ['-n', PEER_NS, 'addr', 'add', '10.6.0.2/24', 'dev', 'brB']);
  sh('ip', ['-n', PEER_NS, 'link', 'set', 'brB', 'up']);

  // Our side: the same bond command line, and a VM.
  h.ok('ovs-vsctl', 'add-br', 'brA');
  h.ok('ovs-vsctl', 'add-bond', 'brA', 'bondA', 'lbA0', 'lbA1', 'lacp=active', 'bond_mode=balance-tcp', 'other_config:lacp-time=fast');
  const vm = h.addVm('v', '10.6.0.1/24');
  h.ok('ovs-vsctl', 'add-port', 'brA', vm.hostIf);

  await waitFor(() => /status: active negotiated/.test(h.cli('ovs-appctl', ['lacp/show', 'bondA']).stdout), 'our LACP to negotiate', 30_000, 250);
  await waitFor(() => /status: active negotiated/.test(realAppctl('lacp/show', 'bondB')), 'real OVS LACP to negotiate', 30_000, 250);
  const ours = h.ok('ovs-appctl', 'lacp/show', 'bondA');
  t.match(ours, /member: lbA0: current attached\n/, 'our member lbA0 is current and attached');
  t.match(ours, /member: lbA1: current attached\n/, 'our member lbA1 is current and attached');
  t.match(ours, /partner state: activity timeout aggregation synchronized collecting distributing\n/, 'partner (real OVS) says it is in sync and distributing');
  const theirs = realAppctl('lacp/show', 'bondB');
  t.match(theirs, /member: lbB0: current attached\n/, 'real OVS sees its lbB0 current and attached');
  t.match(theirs, /member: lbB1: current attached\n/, 'real OVS sees its lbB1 current and attached');
  const ourSysId = /  sys_id: ([0-9a-f:]{17})/.exec(ours)?.[1];
  t.match(theirs, new RegExp(`partner sys_id: ${ourSysId}`), 'real OVS knows our system id from our PDUs');
  t.match(h.ok('ovs-appctl', 'bond/show', 'bondA'), /bond_mode: balance-tcp\n[\s\S]*lacp_status: negotiated\n[\s\S]*member lbA0: enabled\n[\s\S]*member lbA1: enabled\n/, 'bond/show: both members enabled');
  t.match(h.ok('ovs-appctl', 'bond/list'), /^bond\ttype\trecircID\tmembers\nbondA\tbalance-tcp\t0\tlbA0, lbA1\n$/, 'bond/list');

  const pinged = h.ping(vm, '10.6.0.2', 3) || h.ping(vm, '10.6.0.2', 3);
  if (!pinged) {
    t.comment(`ours:\n${h.cli('ovs-appctl', ['bond/show']).stdout}\n${h.cli('ovs-appctl', ['dpctl/dump-flows']).stdout}\n` +
      `${h.cli('ovs-ofctl', ['dump-flows', 'brA']).stdout}\n${h.cli('ovs-appctl', ['fdb/show', 'brA']).stdout}`);
    t.comment(`theirs:\n${realAppctl('bond/show')}\n${realAppctl('dpctl/dump-flows')}\n${realAppctl('fdb/show', 'brB')}`);
  }
  t.ok(pinged, 'the VM pings through the LACP bond into real OVS');

  for (const pulled of [0, 1]) {
    sh('ip', ['-n', PEER_NS, 'link', 'set', `lbB${pulled}`, 'down']);
    const t0 = Date.now();
    await waitFor(() => new RegExp(`member lbA${pulled}: disabled`).test(h.cli('ovs-appctl', ['bond/show', 'bondA']).stdout), `our bond to disable lbA${pulled}`, 30_000, 250);
    const detected = Date.now() - t0;
    // Traffic moves to the remaining link; a brief gap while both sides fail over is expected.
    let ok = false;
    for (let i = 0; i < 10 && !ok; i++) ok = h.ping(vm, '10.6.0.2', 1);
    const restored = Date.now() - t0;
    if (!ok) t.comment(`ours:\n${h.cli('ovs-appctl', ['bond/show']).stdout}\ntheirs:\n${realAppctl('bond/show')}\n${realAppctl('lacp/show')}`);
    t.ok(ok, `traffic survives pulling link ${pulled} (member disabled after ${detected} ms, pings answered after ${restored} ms)`);
    sh('ip', ['-n', PEER_NS, 'link', 'set', `lbB${pulled}`, 'up']);
    await waitFor(() => new RegExp(`member lbA${pulled}: enabled`).test(h.cli('ovs-appctl', ['bond/show', 'bondA']).stdout), `lbA${pulled} to come back`, 30_000, 250);
  }
  t.match(h.ok('ovs-appctl', 'lacp/show-stats', 'bondA'), /TX PDUs: [1-9]\d*\n  RX PDUs: [1-9]\d*\n  RX Bad PDUs: 0\n/, 'PDUs sent and received, none bad');
});
