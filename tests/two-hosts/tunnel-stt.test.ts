// STT between two of our hypervisors (OVS's STT needed its own kernel module, so there is no real
// OVS to interoperate with here): VMs ping across an STT tunnel with a 64-bit key, and a TCP
// transfer whose frames exceed one segment is reassembled whole.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { needCommand, needRoot } from '../lib/env.js';
import { EngineHarness } from '../lib/engine-harness.js';

const skip = needRoot() || needCommand('ping') || needCommand('ip');

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

t.test('STT between two hypervisors', { skip, timeout: 240_000 }, async (t) => {
  const hv1 = 'ovspsstt1', hv2 = 'ovspsstt2';
  for (const ns of [hv1, hv2]) spawnSync('ip', ['netns', 'del', ns]);
  t.teardown(() => { spawnSync('ip', ['netns', 'del', hv1]); spawnSync('ip', ['netns', 'del', hv2]); });
  for (const ns of [hv1, hv2]) { ip('netns', 'add', ns); ip('-n', ns, 'link', 'set', 'lo', 'up'); }
  ip('link', 'add', 'ovspsstU1', 'netns', hv1, 'type', 'veth', 'peer', 'name', 'ovspsstU2', 'netns', hv2);
  ip('-n', hv1, 'addr', 'add', '172.31.14.1/24', 'dev', 'ovspsstU1');
  ip('-n', hv2, 'addr', 'add', '172.31.14.2/24', 'dev', 'ovspsstU2');
  ip('-n', hv1, 'link', 'set', 'ovspsstU1', 'up');
  ip('-n', hv2, 'link', 'set', 'ovspsstU2', 'up');
  const h1 = new EngineHarness('sa', hv1), h2 = new EngineHarness('sb', hv2);
  t.teardown(() => h1.stop());
  t.teardown(() => h2.stop());
  await h1.start();
  await h2.start();
  const vms = [];
  for (const [h, local, remote, addr] of [[h1, '172.31.14.1', '172.31.14.2', '10.66.0.1/24'], [h2, '172.31.14.2', '172.31.14.1', '10.66.0.2/24']] as const) {
    h.ok('ovs-vsctl', 'add-br', 'br-int');
    h.ok('ovs-vsctl', 'add-port', 'br-int', 'st', '--', 'set', 'interface', 'st', 'type=stt', `options:remote_ip=${remote}`, `options:local_ip=${local}`, 'options:key=0x1234567890');
    const vm = h.addVm(h === h1 ? 'a' : 'b', addr);
    h.ok('ovs-vsctl', 'add-port', 'br-int', vm.hostIf);
    vms.push(vm);
  }
  const [a, b] = vms as [typeof vms[0], typeof vms[0]];
  t.equal(h1.ok('ovs-vsctl', 'get', 'interface', 'st', 'error').trim(), '[]', 'the STT port came up without error');
  t.match(h1.ok('ovs-dpctl', 'show'), /port \d+: stt_sys_7471 \(stt/, 'the datapath has the shared stt_sys_7471 vport');
  let up = false;
  for (let i = 0; i < 10 && !up; i++) up = h1.ping(a, b.ip, 2);
  t.ok(up, 'VMs ping across the STT tunnel');
  const sent = 2 * 1024 * 1024;
  t.equal(await h1.tcpTransfer(a, b, sent), sent, 'a 2 MiB TCP transfer (1500-byte frames, two STT segments each) arrives whole');
  t.match(h1.ok('ovs-dpctl', 'dump-flows'), /tun_id=0x1234567890/, 'megaflows match the 64-bit STT context id');
});
