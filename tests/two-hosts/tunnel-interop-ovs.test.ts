// Tunnel interop with real Open vSwitch: hv1 runs our engine, hv2 runs Debian's ovs-vswitchd with
// the userspace (netdev) datapath and native tunneling (underlay on br-phy, as OVS documents it).
// VMs on each side ping across a VXLAN tunnel, a Geneve tunnel with a key and a GRE tunnel with a
// key and checksums, so each of our encapsulations is decoded by OVS's and the other way round.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { needCommand, needRealOvs, needRoot } from '../lib/env.js';
import { EngineHarness, pingUntilAnswered, type TestVm } from '../lib/engine-harness.js';
import { realOvsInNs, sh } from '../lib/real-ovs-ns.js';

const skip = needRoot() || needRealOvs() || needCommand('ping') || needCommand('ip');
const HV1 = 'ovspstiA', HV2 = 'ovspstiB';

t.test('VXLAN, Geneve and GRE between our engine and real OVS', { skip, timeout: 240_000 }, async (t) => {
  for (const ns of [HV1, HV2]) spawnSync('ip', ['netns', 'del', ns]);
  const real = realOvsInNs(HV2, 'ovsps-tun-real-');
  const vmNs: string[] = [];
  const h1 = new EngineHarness('ti', HV1);
  t.teardown(() => real.stop(300, async () => {
    await h1.stop();
    for (const ns of [...vmNs, HV1, HV2]) spawnSync('ip', ['netns', 'del', ns]);
  }));
  for (const ns of [HV1, HV2]) { sh('ip', ['netns', 'add', ns]); sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']); }
  sh('ip', ['link', 'add', 'tiU1', 'netns', HV1, 'type', 'veth', 'peer', 'name', 'tiU2', 'netns', HV2]);
  sh('ip', ['-n', HV1, 'addr', 'add', '172.31.13.1/24', 'dev', 'tiU1']);
  for (const [ns, dev] of [[HV1, 'tiU1'], [HV2, 'tiU2']] as const) {
    sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    spawnSync('ip', ['netns', 'exec', ns, 'ethtool', '-K', dev, 'tx', 'off', 'tso', 'off', 'gso', 'off']);
  }

  // hv2: real OVS, netdev datapath, the underlay address on br-phy.
  const vsctl2 = real.vsctl;
  real.start();
  vsctl2('add-br', 'br-phy', '--', 'set', 'bridge', 'br-phy', 'datapath_type=netdev', '--', 'add-port', 'br-phy', 'tiU2');
  sh('ip', ['-n', HV2, 'addr', 'add', '172.31.13.2/24', 'dev', 'br-phy']);
  sh('ip', ['-n', HV2, 'link', 'set', 'br-phy', 'up']);
  vsctl2('add-br', 'br-int', '--', 'set', 'bridge', 'br-int', 'datapath_type=netdev');
  vsctl2('add-port', 'br-int', 'vx', '--', 'set', 'interface', 'vx', 'type=vxlan', 'options:remote_ip=172.31.13.1');
  vsctl2('add-br', 'br-gn', '--', 'set', 'bridge', 'br-gn', 'datapath_type=netdev');
  vsctl2('add-port', 'br-gn', 'gn', '--', 'set', 'interface', 'gn', 'type=geneve', 'options:remote_ip=172.31.13.1', 'options:key=0x4242');
  vsctl2('add-br', 'br-gre', '--', 'set', 'bridge', 'br-gre', 'datapath_type=netdev');
  vsctl2('add-port', 'br-gre', 'gr', '--', 'set', 'interface', 'gr', 'type=gre', 'options:remote_ip=172.31.13.1', 'options:key=0x99', 'options:csum=true');
  const realVm = (name: string, ip: string, bridge: string): TestVm => {
    const ns = `ovspsti${name}`;
    spawnSync('ip', ['netns', 'del', ns]);
    sh('ip', ['netns', 'add', ns]);
    vmNs.push(ns);
    sh('ip', ['link', 'add', `vp-${name}`, 'netns', HV2, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    sh('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
    for (const [n, dev] of [[ns, 'eth0'], [HV2, `vp-${name}`]] as const) {
      sh('ip', ['-n', n, 'link', 'set', dev, 'mtu', '1400']);
      sh('ip', ['-n', n, 'link', 'set', dev, 'up']);
      spawnSync('ip', ['netns', 'exec', n, 'ethtool', '-K', dev, 'tx', 'off', 'tso', 'off', 'gso', 'off']);
    }
    vsctl2('add-port', bridge, `vp-${name}`);
    return { name, ns, hostIf: `vp-${name}`, ip };
  };
  const b = realVm('b', '10.62.0.2', 'br-int');
  const d = realVm('d', '10.64.0.2', 'br-gn');
  const f = realVm('f', '10.65.0.2', 'br-gre');

  // hv1: our engine.
  await h1.start();
  h1.ok('ovs-vsctl', 'add-br', 'br-int');
  h1.ok('ovs-vsctl', 'add-port', 'br-int', 'vx', '--', 'set', 'interface', 'vx', 'type=vxlan', 'options:remote_ip=172.31.13.2');
  h1.ok('ovs-vsctl', 'add-br', 'br-gn');
  h1.ok('ovs-vsctl', 'add-port', 'br-gn', 'gn', '--', 'set', 'interface', 'gn', 'type=geneve', 'options:remote_ip=172.31.13.2', 'options:key=0x4242');
  h1.ok('ovs-vsctl', 'add-br', 'br-gre');
  h1.ok('ovs-vsctl', 'add-port', 'br-gre', 'gr', '--', 'set', 'interface', 'gr', 'type=gre', 'options:remote_ip=172.31.13.2', 'options:key=0x99', 'options:csum=true');
  const e = h1.addVm('e', '10.65.0.1/24', 'vp-e', { mtu: 1400 });
  h1.ok('ovs-vsctl', 'add-port', 'br-gre', e.hostIf);
  const a = h1.addVm('a', '10.62.0.1/24', 'vp-a', { mtu: 1400 });
  const c = h1.addVm('c', '10.64.0.1/24', 'vp-c', { mtu: 1400 });
  h1.ok('ovs-vsctl', 'add-port', 'br-int', a.hostIf);
  h1.ok('ovs-vsctl', 'add-port', 'br-gn', c.hostIf);

  t.ok(pingUntilAnswered(a, b.ip), 'our VM pings a VM behind real OVS across VXLAN');
  t.ok(h1.ping(b, a.ip, 3), 'and the other way round');
  t.ok(pingUntilAnswered(c, d.ip), 'across Geneve with key 0x4242 too');
  t.equal(h1.ok('ovs-vsctl', 'get', 'interface', 'gr', 'error').trim(), '[]', 'the GRE port came up without error');
  t.match(h1.ok('ovs-dpctl', 'show'), /port \d+: gre_sys \(gre\)/, 'the datapath has the shared gre_sys vport');
  t.ok(pingUntilAnswered(e, f.ip), 'and across GRE with key 0x99 and checksums');
  t.equal(await h1.tcpTransfer(e, f, 1024 * 1024), 1024 * 1024, 'a 1 MiB TCP transfer across GRE arrives whole');
  const sent = 1024 * 1024;
  t.equal(await h1.tcpTransfer(a, b, sent), sent, 'a 1 MiB TCP transfer from our side to real OVS\'s arrives whole');
  t.equal(await h1.tcpTransfer(b, a, sent), sent, 'and from theirs to ours');
  t.match(h1.ok('ovs-dpctl', 'dump-flows'), /tunnel\([^)]*src=172\.31\.13\.2/, 'our megaflows match packets decapsulated from real OVS');
});
