// Two "hypervisors" on one machine: namespaces hv1 and hv2 joined by a veth "physical network"
// (172.31.0.1/24 and .2, addresses only inside them), an engine in each with br-int and a VXLAN
// port to the other host, VMs on both. Proves: VMs on VLAN 900 ping across the tunnel (NORMAL over
// a tunnel port), another VLAN stays isolated, key=flow with OpenFlow rules choosing the VNI, a
// configuration error lands in the Interface's error column with OVS's wording, and our VXLAN port
// exchanges traffic with the Linux kernel's own vxlan device; Geneve between our two datapaths.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { needCommand, needRoot } from '../lib/env.js';
import { EngineHarness } from '../lib/engine-harness.js';
import { twoHypervisors } from '../lib/two-hosts.js';

const skip = needRoot() || needCommand('ping') || needCommand('ip');

function ip(...args: string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Whether this kernel can create a vxlan device (CONFIG_VXLAN); a reason string when not. */
function kernelVxlan(ns: string): string | false {
  const r = spawnSync('ip', ['-n', ns, 'link', 'add', 'ovspsh14kt', 'type', 'vxlan', 'id', '1', 'dstport', '4799', 'remote', '192.0.2.1'], { encoding: 'utf8' });
  if (r.status !== 0) return `the kernel has no vxlan support (${r.stderr.trim()})`;
  spawnSync('ip', ['-n', ns, 'link', 'del', 'ovspsh14kt']);
  return false;
}

function ofport(h: EngineHarness, iface: string): string {
  return h.ok('ovs-vsctl', 'get', 'interface', iface, 'ofport').trim();
}

t.test('VXLAN between two hypervisors', { skip, timeout: 240_000 }, async (t) => {
  const id = String(process.pid % 100);
  const hv1 = `ovspsh14h1-${id}`, hv2 = `ovspsh14h2-${id}`;
  const [h1, h2] = await twoHypervisors(t, { ns: [hv1, hv2], dev: ['ovspsh14p1', 'ovspsh14p2'], subnet: '172.31.0', tags: ['h14a', 'h14b'], deleteStale: false });

  for (const [h, remote] of [[h1, '172.31.0.2'], [h2, '172.31.0.1']] as const) {
    h.ok('ovs-vsctl', 'add-br', 'br-int');
    h.ok('ovs-vsctl', 'add-port', 'br-int', 'vx-peer', '--', 'set', 'interface', 'vx-peer', 'type=vxlan', `options:remote_ip=${remote}`);
  }
  const a = h1.addVm('a', '10.60.0.1/24', 'vp-a', { mtu: 1400 });
  const b = h2.addVm('b', '10.60.0.2/24', 'vp-b', { mtu: 1400 });
  const c = h2.addVm('c', '10.60.0.3/24', 'vp-c', { mtu: 1400 });
  h1.ok('ovs-vsctl', 'add-port', 'br-int', a.hostIf, 'tag=900');
  h2.ok('ovs-vsctl', 'add-port', 'br-int', b.hostIf, 'tag=900');
  h2.ok('ovs-vsctl', 'add-port', 'br-int', c.hostIf, 'tag=901');

  t.equal(h1.ok('ovs-vsctl', 'get', 'interface', 'vx-peer', 'error').trim(), '[]', 'the tunnel port came up without error');
  t.match(ofport(h1, 'vx-peer'), /^[1-9]\d*$/, 'the tunnel port has an OpenFlow port number');
  t.match(h1.ok('ovs-vsctl', 'show'), /Port vx-peer\n\s+Interface vx-peer\n\s+type: vxlan\n\s+options: \{remote_ip="172\.31\.0\.2"\}/, 'ovs-vsctl show lists the tunnel with its options');
  t.match(h1.ok('ovs-dpctl', 'show'), /port \d+: vxlan_sys_4789 \(vxlan/, 'the datapath has the shared vxlan_sys_4789 vport');

  t.ok(h1.ping(a, b.ip), 'VM a on hv1 pings VM b on hv2 across the VXLAN tunnel (VLAN 900)');
  t.notOk(h1.ping(a, c.ip, 2), 'VM c on VLAN 901 stays isolated across the tunnel');
  t.match(h1.ok('ovs-appctl', 'fdb/show', 'br-int'), new RegExp(` +${ofport(h1, 'vx-peer')} +900  [0-9a-f:]{17}`), 'hv1 learnt VM b\'s MAC on the tunnel port');
  const flows = h1.ok('ovs-dpctl', 'dump-flows');
  t.match(flows, /set\(tunnel\(/, 'megaflows to the peer set the tunnel key');
  t.match(flows, /tunnel\([^)]*src=172\.31\.0\.2/, 'megaflows from the peer match the outer source');
  const sent = 2 * 1024 * 1024;
  t.equal(await h1.tcpTransfer(a, b, sent), sent, 'a 2 MiB TCP transfer crosses the tunnel whole');

  // A bad tunnel configuration: OVS's wording in the error column, the rest keeps working.
  h1.ok('ovs-vsctl', 'add-port', 'br-int', 'vx-bad', '--', 'set', 'interface', 'vx-bad', 'type=vxlan');
  t.equal(h1.ok('ovs-vsctl', 'get', 'interface', 'vx-bad', 'error').trim(), '"vx-bad: vxlan type requires valid \'remote_ip\' argument"', 'missing remote_ip is reported as OVS does');
  t.ok(h1.ping(a, b.ip), 'other ports keep forwarding');

  // key=flow: a second tunnel port to the same peer on its own bridge; OpenFlow rules choose the VNI.
  const d = h1.addVm('d', '10.61.0.1/24'), e = h2.addVm('e', '10.61.0.2/24');
  for (const [h, remote, vm] of [[h1, '172.31.0.2', d], [h2, '172.31.0.1', e]] as const) {
    h.ok('ovs-vsctl', 'add-br', 'br-flow');
    h.ok('ovs-vsctl', 'add-port', 'br-flow', 'vx-flow', '--', 'set', 'interface', 'vx-flow', 'type=vxlan', `options:remote_ip=${remote}`, 'options:key=flow');
    h.ok('ovs-vsctl', 'add-port', 'br-flow', vm.hostIf);
    h.ok('ovs-ofctl', 'del-flows', 'br-flow');
    const vmPort = ofport(h, vm.hostIf), tun = ofport(h, 'vx-flow');
    h.ok('ovs-ofctl', 'add-flow', 'br-flow', `priority=100,in_port=${vmPort},actions=set_field:0x77->tun_id,output:${tun}`);
    h.ok('ovs-ofctl', 'add-flow', 'br-flow', `priority=100,tun_id=0x77,in_port=${tun},actions=output:${vmPort}`);
  }
  t.match(h1.ok('ovs-ofctl', 'dump-flows', 'br-flow'), /tun_id=0x77,in_port=\d+ actions=output:\d+/, 'dump-flows shows the tun_id match');
  t.ok(h1.ping(d, e.ip), 'VMs on br-flow ping through the key=flow tunnel with VNI 0x77');
  t.ok(h1.ping(a, b.ip), 'the fixed-key tunnel to the same peer still carries VNI 0 traffic');
  h1.ok('ovs-ofctl', 'mod-flows', 'br-flow', `in_port=${ofport(h1, d.hostIf)},actions=set_field:0x78->tun_id,output:${ofport(h1, 'vx-flow')}`);
  t.notOk(h1.ping(d, e.ip, 2), 'with hv1 choosing VNI 0x78, hv2\'s tun_id=0x77 rule no longer delivers');

  // Geneve between our two datapaths (its own vport, UDP 6081), with a fixed key.
  const g = h1.addVm('g', '10.63.0.1/24', 'vp-g', { mtu: 1400 }), hh = h2.addVm('h', '10.63.0.2/24', 'vp-h', { mtu: 1400 });
  for (const [h, remote, vm] of [[h1, '172.31.0.2', g], [h2, '172.31.0.1', hh]] as const) {
    h.ok('ovs-vsctl', 'add-br', 'br-gn');
    h.ok('ovs-vsctl', 'add-port', 'br-gn', vm.hostIf);
    h.ok('ovs-vsctl', 'add-port', 'br-gn', 'gn-peer', '--', 'set', 'interface', 'gn-peer', 'type=geneve', `options:remote_ip=${remote}`, 'options:key=0x42');
  }
  t.match(h1.ok('ovs-dpctl', 'show'), /port \d+: geneve_sys_6081 \(geneve/, 'a geneve_sys_6081 vport');
  t.ok(h1.ping(g, hh.ip), 'VMs ping across the Geneve tunnel');

  // Interop with the Linux kernel's vxlan device (on UDP port 4790, as our hv2 engine holds 4789).
  const noKernel = kernelVxlan(hv2);
  t.test('interop with the kernel vxlan device', { skip: noKernel }, async (t) => {
    const f = h1.addVm('f', '10.62.0.1/24', 'vp-f', { mtu: 1400 });
    h1.ok('ovs-vsctl', 'add-br', 'br-kx');
    h1.ok('ovs-vsctl', 'add-port', 'br-kx', f.hostIf);
    h1.ok('ovs-vsctl', 'add-port', 'br-kx', 'vx-kernel', '--', 'set', 'interface', 'vx-kernel', 'type=vxlan',
      'options:remote_ip=172.31.0.2', 'options:key=0x99', 'options:dst_port=4790');
    t.equal(h1.ok('ovs-vsctl', 'get', 'interface', 'vx-kernel', 'error').trim(), '[]', 'the dst_port=4790 tunnel came up');
    ip('-n', hv2, 'link', 'add', 'ovspsh14kx', 'type', 'vxlan', 'id', String(0x99), 'dstport', '4790', 'remote', '172.31.0.1', 'local', '172.31.0.2', 'dev', 'ovspsh14p2');
    ip('-n', hv2, 'link', 'set', 'ovspsh14kx', 'mtu', '1400');
    ip('-n', hv2, 'addr', 'add', '10.62.0.2/24', 'dev', 'ovspsh14kx');
    ip('-n', hv2, 'link', 'set', 'ovspsh14kx', 'up');
    t.ok(h1.ping(f, '10.62.0.2'), 'a VM behind our VXLAN port pings the kernel vxlan device\'s address');
    const r = spawnSync('ip', ['netns', 'exec', hv2, 'ping', '-c', '3', '-i', '0.2', '-W', '1', '-q', f.ip], { encoding: 'utf8' });
    t.equal(r.status, 0, 'and the kernel side pings the VM back');
    // The kernel device holds UDP 4790 on hv2: our datapath cannot open a vport there.
    h2.ok('ovs-vsctl', 'add-port', 'br-int', 'vx-busy', '--', 'set', 'interface', 'vx-busy', 'type=vxlan', 'options:remote_ip=172.31.0.1', 'options:dst_port=4790');
    t.equal(h2.ok('ovs-vsctl', 'get', 'interface', 'vx-busy', 'error').trim(), '"could not open network device vx-busy (Address already in use)"',
      'a UDP port taken by the kernel is an error on the Interface');
  });
});
