// STT between two of our hypervisors (OVS's STT needed its own kernel module, so there is no real
// OVS to interoperate with here): VMs ping across an STT tunnel with a 64-bit key, and a TCP
// transfer whose frames exceed one segment is reassembled whole. Without local_ip the sender uses
// the route's source address for the TCP checksum: checked on the wire by an independent counter.
import { spawn } from 'node:child_process';
import t from 'tap';
import { needCommand, needRoot } from '../lib/env.js';
import { pingUntilAnswered } from '../lib/engine-harness.js';
import { nsRun } from '../lib/ns-run.js';
import { twoHypervisors } from '../lib/two-hosts.js';

const skip = needRoot() || needCommand('ping') || needCommand('ip');

t.test('STT between two hypervisors', { skip, timeout: 240_000 }, async (t) => {
  const hv1 = 'ovspsstt1', hv2 = 'ovspsstt2';
  const [h1, h2] = await twoHypervisors(t, { ns: [hv1, hv2], dev: ['ovspsstU1', 'ovspsstU2'], subnet: '172.31.14', tags: ['sa', 'sb'], deleteStale: true });
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
  t.ok(pingUntilAnswered(a, b.ip), 'VMs ping across the STT tunnel');
  const sent = 2 * 1024 * 1024;
  t.equal(await h1.tcpTransfer(a, b, sent), sent, 'a 2 MiB TCP transfer (1500-byte frames, two STT segments each) arrives whole');
  t.match(h1.ok('ovs-dpctl', 'dump-flows'), /tun_id=0x1234567890/, 'megaflows match the 64-bit STT context id');
});

// Reads STT segments (TCP to 7471) arriving in its namespace for up to argv[1] seconds or argv[2]
// segments and prints "L" once listening, then "<valid> <invalid>" TCP checksums (0 is invalid).
const CHECKSUM_COUNTER = `
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
s.settimeout(0.2)
print('L', flush=True)
good = bad = 0
end = time.time() + float(sys.argv[1])
while time.time() < end and good + bad < int(sys.argv[2]):
    try:
        p = s.recv(65535)
    except socket.timeout:
        continue
    ihl = (p[0] & 15) * 4
    total = int.from_bytes(p[2:4], 'big')
    seg = p[ihl:total]
    if int.from_bytes(seg[2:4], 'big') != 7471:
        continue
    d = p[12:20] + bytes([0, 6]) + len(seg).to_bytes(2, 'big') + seg + (b'\\0' if len(seg) % 2 else b'')
    x = sum(int.from_bytes(d[i:i + 2], 'big') for i in range(0, len(d), 2))
    while x > 0xffff:
        x = (x & 0xffff) + (x >> 16)
    if x == 0xffff and seg[16:18] != b'\\0\\0':
        good += 1
    else:
        bad += 1
print(good, bad, flush=True)
`;

t.test('STT without local_ip: segments on the wire carry a valid TCP checksum', { skip: skip || needCommand('python3'), timeout: 240_000 }, async (t) => {
  const hv1 = 'ovspsh26s1', hv2 = 'ovspsh26s2';
  const [h1, h2] = await twoHypervisors(t, { ns: [hv1, hv2], dev: ['ovspsh26sU1', 'ovspsh26sU2'], subnet: '172.31.15', tags: ['sc', 'sd'], deleteStale: true });
  const vms = [];
  for (const [h, remote, addr] of [[h1, '172.31.15.2', '10.67.0.1/24'], [h2, '172.31.15.1', '10.67.0.2/24']] as const) {
    h.ok('ovs-vsctl', 'add-br', 'br-int');
    h.ok('ovs-vsctl', 'add-port', 'br-int', 'st', '--', 'set', 'interface', 'st', 'type=stt', `options:remote_ip=${remote}`, 'options:key=77');
    const vm = h.addVm(h === h1 ? 'a' : 'b', addr);
    h.ok('ovs-vsctl', 'add-port', 'br-int', vm.hostIf);
    vms.push(vm);
  }
  const [a, b] = vms as [typeof vms[0], typeof vms[0]];
  t.ok(pingUntilAnswered(a, b.ip), 'VMs ping across the STT tunnel without local_ip');
  const counter = spawn('ip', ['netns', 'exec', hv2, 'python3', '-c', CHECKSUM_COUNTER, '10', '20'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { counter.kill(); });
  let out = '';
  const listening = new Promise<void>((resolve) => counter.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.startsWith('L')) resolve(); }));
  const exited = new Promise<void>((resolve) => counter.on('close', () => resolve()));
  await Promise.race([listening, exited]);
  t.ok(out.startsWith('L'), 'the segment counter listens in hv2');
  await nsRun(a.ns, ['ping', '-c', '10', '-i', '0.1', '-W', '1', '-q', b.ip]);
  await nsRun(a.ns, ['ping', '-c', '3', '-s', '3000', '-i', '0.2', '-W', '1', '-q', b.ip]); // frames of several segments
  await exited;
  const [good, bad] = out.slice(1).trim().split(/\s+/).map(Number) as [number, number];
  t.ok(good >= 10, `STT segments from hv1 seen in hv2 with a valid TCP checksum (${good})`);
  t.equal(bad, 0, 'none with a missing or wrong checksum');
});
