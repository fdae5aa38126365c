// The userspace datapath moving real frames between two network namespaces ("VMs") attached as
// system ports. Needs root (netns, veth, AF_PACKET, TAP).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { writeFileSync, writeSync } from 'node:fs';
import { needCommand, needRoot } from '../lib/env.js';
import { createDatapath, type Upcall, type UserspaceDatapath } from '../../driver/userspace/datapath.js';
import { addVlanSubinterface, createNetns, createVethVm, deleteLink, deleteNetns, ip, waitForLinkUp, type VethVm } from '../../driver/linux/netns.js';
import { openPacketSocket, openRxRing, TP_STATUS_USER, TP_STATUS_VLAN_VALID, type RxRing } from '../../driver/linux/af-packet.js';
import { disableOffloads } from '../../driver/linux/offload.js';
import type { OdpFlowKey } from '../../engine/channel/odp-types.js';
import { eth, ipv4, udp } from './frames.js';
import { nsRun } from '../lib/ns-run.js';

const skip = needRoot() || needCommand('ping');


function waitFor<T>(what: string, get: () => T | undefined, limitMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      const v = get();
      if (v !== undefined) return resolve(v);
      if (Date.now() - started > limitMs) return reject(new Error(`gave up waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

const ALL = 0xffffffff;

function vlanSkip(): string | false {
  const r = spawnSync('ip', ['link', 'add', 'link', 'lo', 'name', 'ovspsh8dvq', 'type', 'vlan', 'id', '5'], { encoding: 'utf8' });
  if (r.status !== 0) return `this kernel has no 802.1Q sub-interfaces (${r.stderr.trim()})`;
  spawnSync('ip', ['link', 'del', 'ovspsh8dvq']);
  return false;
}

interface RingFrame { frame: Buffer; vlan?: number }
/** Takes every frame waiting in a receive ring (tag from the slot header when the kernel stripped it). */
function readRing(r: RxRing): RingFrame[] {
  const out: RingFrame[] = [];
  for (let i = 0; i < r.frameCount; i++) {
    const base = i * r.frameSize;
    const st = r.buffer.readUInt32LE(base);
    if (!(st & TP_STATUS_USER)) continue;
    const len = r.buffer.readUInt32LE(base + 8), mac = r.buffer.readUInt16LE(base + 12);
    const f: RingFrame = { frame: Buffer.from(r.buffer.subarray(base + mac, base + mac + len)) };
    if (st & TP_STATUS_VLAN_VALID) f.vlan = r.buffer.readUInt16LE(base + 24);
    out.push(f);
    r.buffer.writeUInt32LE(0, base);
  }
  return out;
}
const byPort = (inPort: number): { key: OdpFlowKey; mask: OdpFlowKey } => ({ key: { inPort }, mask: { inPort: ALL } });

t.test('userspace datapath between two netns VMs', { skip }, async (t) => {
  const vms: VethVm[] = [];
  let dp: UserspaceDatapath | undefined;
  t.teardown(async () => {
    await dp?.destroy();
    for (const v of vms) v.destroy();
  });
  for (const n of ['ovspsh8da', 'ovspsh8db']) deleteNetns(n); // leftovers of a killed run
  for (const l of ['ovspsh8dva', 'ovspsh8dvb', 'ovspsh8dp']) deleteLink(l);
  const a = createVethVm({ netns: 'ovspsh8da', hostIf: 'ovspsh8dva', addresses: ['10.77.0.1/24'] });
  vms.push(a);
  const b = createVethVm({ netns: 'ovspsh8db', hostIf: 'ovspsh8dvb', addresses: ['10.77.0.2/24'] });
  vms.push(b);
  dp = await createDatapath('ovspsh8dp');
  const d = dp;
  const pa = await d.addPort({ name: 'ovspsh8dva', type: 'system' });
  const pb = await d.addPort({ name: 'ovspsh8dvb', type: 'system' });
  const upcalls: Upcall[] = [];
  d.onUpcall((u) => upcalls.push(u));

  t.test('ports: local port 0 is an internal TAP, others numbered from 1', async (t) => {
    const ports = d.dumpPorts();
    t.same(ports.map((p) => [p.portNo, p.name, p.type]), [[0, 'ovspsh8dp', 2], [1, 'ovspsh8dva', 1], [2, 'ovspsh8dvb', 1]]);
    t.equal(d.getPort('ovspsh8dvb').portNo, pb.portNo);
    await t.rejects(d.addPort({ name: 'ovspsh8dva', type: 'system' }), { code: 'OVS_E_PORT_EXISTS' });
    await t.rejects(d.addPort({ name: 'ovspsh8nope', type: 'system' }), { code: 'OVS_E_NO_SUCH_PORT' });
    t.throws(() => d.getPort(99), { code: 'OVS_E_NO_SUCH_PORT' });
    t.match(ip('-br', 'link', 'show', 'ovspsh8dp'), /ovspsh8dp/, 'the local TAP exists in the root namespace');
  });

  t.test('a miss produces an upcall with the frame\'s key', async (t) => {
    upcalls.length = 0;
    const ping = nsRun('ovspsh8da', ['ping', '-c1', '-W1', '10.77.0.2']);
    const u = await waitFor('an ARP upcall from port A', () => upcalls.find((x) => x.key.arp && x.portNo === pa.portNo));
    await ping;
    t.equal(u.kind, 'miss');
    t.equal(u.key.inPort, pa.portNo);
    t.equal(u.key.eth?.src, a.mac);
    t.equal(u.key.ethType, 0x0806);
    t.same({ sip: u.key.arp?.sip, tip: u.key.arp?.tip, op: u.key.arp?.op, sha: u.key.arp?.sha }, { sip: '10.77.0.1', tip: '10.77.0.2', op: 1, sha: a.mac });
    t.equal(u.packet.readUInt16BE(12), 0x0806, 'the upcall carries the frame');
    t.ok(d.stats().missed >= 1n);
  });

  t.test('megaflows installed by hand forward ping both ways', async (t) => {
    d.putFlow({ ...byPort(pa.portNo), actions: [{ type: 'output', port: pb.portNo }] });
    d.putFlow({ ...byPort(pb.portNo), actions: [{ type: 'output', port: pa.portNo }], ufid: Buffer.alloc(16, 7) });
    const r = await nsRun('ovspsh8da', ['ping', '-c3', '-i0.2', '-W2', '10.77.0.2']);
    t.equal(r.status, 0, `ping succeeds: ${r.out}`);
    const f = d.getFlow({ key: { inPort: pa.portNo } });
    t.ok(f.stats!.packets >= 3n, `flow A->B counted ${f.stats!.packets} packets`);
    t.ok(f.stats!.bytes >= 3n * 98n);
    t.ok(f.used! > 0);
    const byUfid = d.getFlow({ ufid: Buffer.alloc(16, 7) });
    t.same(byUfid.key, { inPort: pb.portNo });
    t.ok(d.getPort(pa.portNo).stats!.rxPackets >= 3n);
    t.ok(d.getPort(pb.portNo).stats!.txPackets >= 3n);
    const s = d.stats();
    t.ok(s.hit >= 6n);
    t.equal(s.flows, 2n);
    t.equal(s.masks, 1);
  });

  t.test('flow table operations and their errors', async (t) => {
    t.throws(() => d.putFlow({ ...byPort(pa.portNo), actions: [] }, { mode: 'create' }), { code: 'OVS_E_FLOW_EXISTS', errno: 17 });
    t.throws(() => d.putFlow({ ...byPort(42), actions: [] }, { mode: 'modify' }), { code: 'OVS_E_NO_SUCH_FLOW', errno: 2 });
    t.throws(() => d.putFlow({ key: { inPort: 1 }, actions: [{ type: 'output', port: -3 }] }), { code: 'OVS_E_BAD_FLOW' });
    t.throws(() => d.putFlow({ key: { eth: { src: 'x', dst: 'y' } }, actions: [] }), { code: 'OVS_E_BAD_FLOW', message: /eth\.src/ });
    t.throws(() => d.getFlow({ key: { inPort: 42 } }), { code: 'OVS_E_NO_SUCH_FLOW' });
    t.equal(d.dumpFlows().length, 2);
    const old = d.putFlow({ ...byPort(pa.portNo), actions: [{ type: 'output', port: pb.portNo }] }, { mode: 'modify', clearStats: true });
    t.ok(old && old.stats!.packets >= 3n, 'modify returns the flow as it was');
    t.equal(d.getFlow({ key: { inPort: pa.portNo } }).stats!.packets, 0n, 'counters cleared');
    const gone = d.delFlow({ ufid: Buffer.alloc(16, 7) });
    t.same(gone.actions, [{ type: 'output', port: pa.portNo }]);
    t.equal(d.dumpFlows().length, 1);
    d.flushFlows();
    t.equal(d.dumpFlows().length, 0);
    const r = await nsRun('ovspsh8da', ['ping', '-c1', '-W1', '10.77.0.2']);
    t.not(r.status, 0, 'no flows: ping fails again');
  });

  t.test('packet execute (packet out) sends a frame to a port', async (t) => {
    const frame = eth('ff:ff:ff:ff:ff:ff', '02:00:00:00:00:99', 0x0800, ipv4({ src: '10.77.0.99', dst: '10.77.0.255', proto: 17 }, udp('10.77.0.99', '10.77.0.255', 9, 9)));
    const before = d.getPort(pb.portNo).stats!.txPackets;
    d.execute(frame, [{ type: 'output', port: pb.portNo }]);
    t.equal(d.getPort(pb.portNo).stats!.txPackets, before + 1n);
    t.throws(() => d.execute(Buffer.alloc(5), []), { code: 'OVS_E_INVALID_INPUT' });
  });

  t.test('VLAN push/pop on real frames between raw sockets on veth pairs', async (t) => {
    const links = ['ovspsh8dxa', 'ovspsh8dya'];
    for (const l of links) deleteLink(l);
    t.teardown(() => { for (const l of links) deleteLink(l); });
    for (const [outer, inner] of [['ovspsh8dxa', 'ovspsh8dxb'], ['ovspsh8dya', 'ovspsh8dyb']] as const) {
      ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', inner);
      for (const l of [outer, inner]) {
        writeFileSync(`/proc/sys/net/ipv6/conf/${l}/disable_ipv6`, '1');
        disableOffloads(l);
        ip('link', 'set', l, 'up');
      }
    }
    for (const l of ['ovspsh8dxa', 'ovspsh8dxb', 'ovspsh8dya', 'ovspsh8dyb']) t.ok(waitForLinkUp(l), `${l} is up`);
    const px = await d.addPort({ name: 'ovspsh8dxb', type: 'system' });
    const py = await d.addPort({ name: 'ovspsh8dyb', type: 'system' });
    const sx = openPacketSocket('ovspsh8dxa'), sy = openPacketSocket('ovspsh8dya');
    const rx = openRxRing(sx.fd, { mtu: 1500 }), ry = openRxRing(sy.fd, { mtu: 1500 });
    t.teardown(() => { rx.close(); ry.close(); sx.close(); sy.close(); });
    d.putFlow({ key: { inPort: px.portNo, vlanTci: 0x1000 | 100 }, mask: { inPort: ALL, vlanTci: 0x1fff }, actions: [{ type: 'pop_vlan' }, { type: 'output', port: py.portNo }] });
    d.putFlow({ key: { inPort: py.portNo }, mask: { inPort: ALL, vlanTci: 0xffff }, actions: [{ type: 'push_vlan', tpid: 0x8100, tci: 0x1000 | (5 << 13) | 200 }, { type: 'output', port: px.portNo }] });
    const payload = (tag: string) => ipv4({ src: '10.79.0.1', dst: '10.79.0.2', proto: 17 }, udp('10.79.0.1', '10.79.0.2', 7, 7, Buffer.from(tag)));
    const marked = (tag: string) => (f: RingFrame) => f.frame.includes(Buffer.from(tag));

    const tagged = eth('02:00:00:00:00:02', '02:00:00:00:00:01', 0x0800, payload('to-y'), 100);
    writeSync(sx.fd, tagged);
    const atY = await waitFor('the popped frame at Y', () => readRing(ry).find(marked('to-y')));
    t.equal(atY.vlan, undefined, 'arrives untagged');
    t.same(atY.frame, eth('02:00:00:00:00:02', '02:00:00:00:00:01', 0x0800, payload('to-y')), 'same frame without the tag');

    writeSync(sy.fd, eth('02:00:00:00:00:01', '02:00:00:00:00:02', 0x0800, payload('to-x')));
    const atX = await waitFor('the pushed frame at X', () => readRing(rx).find(marked('to-x')));
    t.equal(atX.vlan, (5 << 13) | 200, 'arrives tagged with VID 200, PCP 5');

    upcalls.length = 0;
    writeSync(sx.fd, eth('02:00:00:00:00:02', '02:00:00:00:00:01', 0x0800, payload('vid-300'), 300));
    const miss = await waitFor('the upcall of a VID 300 frame', () => upcalls.find((u) => u.portNo === px.portNo && u.packet.includes(Buffer.from('vid-300'))));
    t.equal(miss.key.vlanTci, 0x1000 | 300, 'the upcall key has the tag the kernel had stripped');
    t.equal(miss.key.ethType, 0x0800);
    t.equal(miss.packet.readUInt16BE(12), 0x8100, 'the upcall packet has the tag back in place');
    await d.delPort(px.portNo);
    await d.delPort(py.portNo);
  });

  t.test('VLAN with a tagged sub-interface inside a netns', { skip: vlanSkip() }, async (t) => {
    addVlanSubinterface('ovspsh8da', 'eth0', 100, ['10.78.0.1/24']);
    ip('-n', 'ovspsh8db', 'addr', 'add', '10.78.0.2/24', 'dev', 'eth0');
    d.flushFlows();
    d.putFlow({ key: { inPort: pa.portNo, vlanTci: 0x1000 | 100 }, mask: { inPort: ALL, vlanTci: 0x1fff }, actions: [{ type: 'pop_vlan' }, { type: 'output', port: pb.portNo }] });
    d.putFlow({ key: { inPort: pb.portNo }, mask: { inPort: ALL, vlanTci: 0xffff }, actions: [{ type: 'push_vlan', tpid: 0x8100, tci: 0x1000 | 100 }, { type: 'output', port: pa.portNo }] });
    const r = await nsRun('ovspsh8da', ['ping', '-c3', '-i0.2', '-W2', '-I', 'eth0.100', '10.78.0.2']);
    t.equal(r.status, 0, `ping over the VLAN succeeds: ${r.out}`);
    t.ok(d.getFlow({ key: { inPort: pa.portNo, vlanTci: 0x1000 | 100 } }).stats!.packets >= 3n, 'tagged frames from A matched the VID 100 flow');
  });

  t.test('an internal (TAP) port moved into a namespace as a VM vNIC', async (t) => {
    deleteNetns('ovspsh8dc');
    createNetns('ovspsh8dc');
    t.teardown(() => deleteNetns('ovspsh8dc'));
    const pt = await d.addPort({ name: 'ovspsh8dti', type: 'internal', mac: '02:00:00:00:0c:01' });
    t.teardown(async () => { if (d.hasPortNamed('ovspsh8dti')) await d.delPort('ovspsh8dti'); });
    t.equal(pt.type, 2);
    ip('link', 'set', 'dev', 'ovspsh8dti', 'netns', 'ovspsh8dc');
    ip('-n', 'ovspsh8dc', 'addr', 'add', '10.77.0.3/24', 'dev', 'ovspsh8dti');
    ip('-n', 'ovspsh8dc', 'link', 'set', 'ovspsh8dti', 'up');
    d.flushFlows();
    d.putFlow({ ...byPort(pt.portNo), actions: [{ type: 'output', port: pa.portNo }] });
    d.putFlow({ ...byPort(pa.portNo), actions: [{ type: 'output', port: pt.portNo }] });
    const r = await nsRun('ovspsh8dc', ['ping', '-c3', '-i0.2', '-W2', '10.77.0.1']);
    t.equal(r.status, 0, `ping from the TAP's namespace to A: ${r.out}`);
    t.ok(d.getPort(pt.portNo).stats!.rxPackets >= 3n, 'frames read from the TAP fd');
    t.ok(d.getPort(pt.portNo).stats!.txPackets >= 3n, 'frames written to the TAP fd');
    await d.delPort(pt.portNo);
    t.notOk(ip('-n', 'ovspsh8dc', 'link').includes('ovspsh8dti'), 'deleting the port removes the TAP');
  });

  t.test('deleting a port stops its traffic and frees its number', async (t) => {
    await d.delPort(pb.portNo);
    t.throws(() => d.getPort(pb.portNo), { code: 'OVS_E_NO_SUCH_PORT' });
    const again = await d.addPort({ name: 'ovspsh8dvb', type: 'system' });
    t.equal(again.portNo, pb.portNo, 'lowest free number reused');
    t.equal(again.stats!.txPackets, 0n, 'a new port starts with zero counters');
  });
});
