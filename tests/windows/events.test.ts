// Vport events and pended reads over the Windows transport, against the simulated extension:
// MC_SUBSCRIBE_REQ on an event handle, READ_EVENT, WIN_PEND_REQ / WIN_PEND_PACKET_REQ completed by
// the device (no READ_PACKET polling while idle), the extension's validation of control commands,
// and cancellation on close.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatapathEndpoint } from '../../engine/channel/datapath-endpoint.js';
import { Dpif } from '../../engine/channel/dpif.js';
import type { PacketMessage, VportMessage } from '../../engine/channel/messages.js';
import { projectRoot } from '../../engine/setup/paths.js';
import { encodeVportEvent, FakeOvsExtension } from '../../driver/windows/fake-extension.js';
import { IOCTL, WIN32 } from '../../driver/windows/ioctl.js';
import { controlMessage, WindowsNetlinkTransport } from '../../driver/windows/transport.js';
import { MemoryDatapath } from '../lib/memory-datapath.js';

/** Resolves once `cond()` holds (re-checked after each turn of the event loop); fails after 10 s. */
function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (cond()) resolve();
      else if (Date.now() > deadline) reject(new Error(`gave up waiting for ${what}`));
      else setTimeout(check, 1);
    };
    check();
  });
}

async function setup(t: Test) {
  const dp = new MemoryDatapath();
  const fake = new FakeOvsExtension(new DatapathEndpoint(dp));
  const transport = await WindowsNetlinkTransport.open(fake);
  t.teardown(() => transport.close());
  const dpif = await Dpif.open(transport, 'ovs-system');
  return { dp, fake, transport, dpif };
}

t.test('upcalls are read when the device completes the pended WIN_PEND_PACKET_REQ, not by polling', async (t) => {
  const { dp, fake, transport, dpif } = await setup(t);
  const port = await dpif.portAdd({ name: 'Ethernet0', type: 1 });
  t.ok(transport.upcallPid! > 0 && port.portNo > 0, `vports name the packet handle's pid (${transport.upcallPid}) as their upcall pid`);
  const got: PacketMessage[] = [];
  dpif.onUpcall((u) => got.push(u));
  await until('transport.counters.packetPends === 1', () => transport.counters.packetPends === 1);
  const pend = fake.calls.find((c) => c.cmd === 'WIN_PEND_PACKET_REQ');
  t.ok(pend, 'the packet handle pends a WIN_PEND_PACKET_REQ');
  t.equal(pend?.ioctl, 'WRITE', 'through OVS_IOCTL_WRITE');
  t.equal(pend?.bytesIn, 24, 'header only: nlmsghdr + genlmsghdr + ovs_header');
  const readsIdle = fake.calls.filter((c) => c.ioctl === 'READ_PACKET').length;
  // Busy work on the request handle while no upcall is queued: the packet handle stays parked.
  for (let i = 0; i < 20; i++) await dpif.portDump();
  t.equal(fake.calls.filter((c) => c.ioctl === 'READ_PACKET').length, readsIdle, 'no READ_PACKET while nothing is queued');
  t.equal(transport.counters.packetPends, 1, 'still the one pend request');

  const key = { inPort: 1, eth: { src: '00:15:5d:00:00:01', dst: '00:15:5d:00:00:02' }, ethType: 0x0800 };
  dp.miss(Buffer.alloc(64, 1), key);
  dp.miss(Buffer.alloc(64, 2), key);
  await until('got.length === 2', () => got.length === 2);
  t.same(got.map((u) => u.packet[0]), [1, 2], 'both upcalls delivered in order');
  await until('transport.counters.packetPends === 2', () => transport.counters.packetPends === 2);
  t.equal(fake.droppedUpcalls, 0, 'no upcall dropped');
  dp.miss(Buffer.alloc(64, 3), { ...key, inPort: 42 });
  t.equal(fake.droppedUpcalls, 1, 'a miss on a port with no upcall pid has no queue: the extension drops it');
  t.equal(transport.counters.packetReads, 2, 'one READ_PACKET per queued upcall');
  const seq = fake.calls.filter((c) => c.handle === pend!.handle).map((c) => c.cmd ?? c.ioctl);
  t.same(seq.slice(-5), ['WIN_PEND_PACKET_REQ', 'READ_PACKET', 'READ_PACKET', 'READ_PACKET', 'WIN_PEND_PACKET_REQ'],
    'completion -> read until empty -> pend again');
});

t.test('vport events: MC_SUBSCRIBE_REQ, READ_EVENT after WIN_PEND_REQ completes, decoded by Dpif', async (t) => {
  const { dp, fake, transport, dpif } = await setup(t);
  const eth = await dpif.portAdd({ name: 'Ethernet1', type: 1, upcallPids: [6] });
  const vm = await dpif.portAdd({ name: 'vm-nic-1', type: 1 });
  const events: VportMessage[] = [];
  const errors: Error[] = [];
  dpif.onVportEvent((e) => events.push(e), (e) => errors.push(e));
  await until('transport.counters.eventPends === 1', () => transport.counters.eventPends === 1);
  const sub = fake.calls.find((c) => c.cmd === 'MC_SUBSCRIBE_REQ');
  t.equal(sub?.ioctl, 'WRITE', 'MC_SUBSCRIBE_REQ is a WRITE');
  t.not(sub?.handle, fake.calls[0]!.handle, 'on a handle of its own, not the request handle');
  t.equal(fake.calls.find((c) => c.cmd === 'WIN_PEND_REQ')?.handle, sub?.handle, 'the event handle pends WIN_PEND_REQ');

  await dpif.portAdd({ name: 'br-int', type: 2 });
  t.equal(events.length, 0, 'netlink vport changes raise no event (the extension posts only Hyper-V side changes)');

  const gone = await fake.deleteSwitchPort('Ethernet1');
  t.equal(gone?.portNo, eth.portNo, 'the simulated Hyper-V side tore the port down');
  await until('events.length === 1', () => events.length === 1);
  t.same(events[0], { cmd: 'DEL', dpIfindex: 0, vport: { portNo: eth.portNo, type: 1, name: 'Ethernet1', upcallPids: [0] } },
    'OVS_VPORT_CMD_DEL with PORT_NO, TYPE, UPCALL_PID, NAME');
  t.notOk(dp.vports.has(eth.portNo), 'and the vport left the datapath');

  await fake.disconnectNic('vm-nic-1');
  await until('events.length === 2', () => events.length === 2);
  t.equal(events[1]!.cmd, 'DEL', 'a NIC disconnect is LINK_DOWN too');
  t.ok(dp.vports.has(vm.portNo), 'but the vport stays (HvDisconnectNic keeps a VM NIC vport)');
  t.same(errors, [], 'no errors');
  const reads = fake.calls.filter((c) => c.ioctl === 'READ_EVENT');
  t.ok(reads.some((c) => c.bytesOut > 0), 'events read with READ_EVENT');

  // A second subscription on the same transport is a no-op.
  await transport.subscribeMulticast('ovs_vport', 'ovs_vport');
  t.equal(fake.calls.filter((c) => c.cmd === 'MC_SUBSCRIBE_REQ').length, 1, 'one subscription');
  await t.rejects(transport.subscribeMulticast('ovs_vport', 'nope'), { code: 'OVS_E_WINDOWS_DATAPATH', message: /no multicast group nope/ });
});

t.test('the vport event message is byte-exact with the checked-in vector', async (t) => {
  const doc = JSON.parse(readFileSync(join(projectRoot, 'tests', 'corpus', 'netlink', 'vport.json'), 'utf8')) as { vectors: Array<{ name: string; hex: string }> };
  const down = doc.vectors.find((v) => v.name === 'vport-event-link-down')!;
  const up = doc.vectors.find((v) => v.name === 'vport-event-link-up')!;
  t.equal(encodeVportEvent('down', { portNo: 3, type: 1, name: 'Ethernet1', upcallPid: 6 }, 9).toString('hex'), down.hex, 'LINK_DOWN');
  t.equal(encodeVportEvent('up', { portNo: 4, type: 2, name: 'br-int' }, 9).toString('hex'), up.hex, 'LINK_UP');
  const wc = JSON.parse(readFileSync(join(projectRoot, 'tests', 'corpus', 'netlink', 'win-control.json'), 'utf8')) as { vectors: Array<{ name: string; hex: string }> };
  for (const [name, cmd, attrs] of [
    ['win-mc-subscribe', 'MC_SUBSCRIBE_REQ', [['winControl', 'MCAST_GRP', 101], ['winControl', 'MCAST_JOIN', 1]]],
    ['win-mc-unsubscribe', 'MC_SUBSCRIBE_REQ', [['winControl', 'MCAST_GRP', 101], ['winControl', 'MCAST_JOIN', 0]]],
    ['win-pend-req', 'WIN_PEND_REQ', []],
    ['win-pend-packet-req', 'WIN_PEND_PACKET_REQ', []],
  ] as Array<[string, string, Array<[string, string, number]>]>) {
    const v = wc.vectors.find((x) => x.name === name)!;
    const b = Buffer.from(v.hex, 'hex');
    t.equal(controlMessage(cmd, b.readUInt32LE(12), b.readUInt32LE(8), attrs).toString('hex'), v.hex, `the transport's ${name} matches its vector`);
  }
});

t.test('the extension validates control commands and pend requests as the driver does', async (t) => {
  const fake = new FakeOvsExtension(new DatapathEndpoint(new MemoryDatapath()));
  const h = fake.open();
  const pid = (await fake.ioctl(h, IOCTL.GET_PID, undefined, 4)).readUInt32LE(0);
  const prop = controlMessage('SOCK_PROP', pid, 1, [['winSockProp', 'SOCK_PROTO', 16], ['winSockProp', 'SOCK_PID', pid]]);
  await t.rejects(fake.ioctl(h, IOCTL.WRITE, controlMessage('WIN_PEND_REQ', pid, 2, []), 0), { win32: WIN32.ERROR_INVALID_PARAMETER, message: /no event queue/ }, 'pend before subscribing');
  await t.rejects(fake.ioctl(h, IOCTL.WRITE, controlMessage('MC_SUBSCRIBE_REQ', pid, 2, [['winControl', 'MCAST_GRP', 101], ['winControl', 'MCAST_JOIN', 1]]), 0),
    { message: /NETLINK_GENERIC/ }, 'subscribing before SOCK_PROP set the protocol');
  await fake.ioctl(h, IOCTL.TRANSACT, prop, 65536);
  const wrongDp = controlMessage('MC_SUBSCRIBE_REQ', pid, 3, [['winControl', 'MCAST_GRP', 101], ['winControl', 'MCAST_JOIN', 1]]);
  wrongDp.writeInt32LE(7, 20);
  await t.rejects(fake.ioctl(h, IOCTL.WRITE, wrongDp, 0), { message: /dp_ifindex 7/ }, 'control commands validate dp_ifindex against OVS_DP_NUMBER');
  await t.rejects(fake.ioctl(h, IOCTL.TRANSACT, controlMessage('MC_SUBSCRIBE_REQ', pid, 4, [['winControl', 'MCAST_GRP', 101], ['winControl', 'MCAST_JOIN', 1]]), 65536),
    { message: /is a WRITE command/ }, 'MC_SUBSCRIBE_REQ only through WRITE');
  await fake.ioctl(h, IOCTL.WRITE, controlMessage('MC_SUBSCRIBE_REQ', pid, 5, [['winControl', 'MCAST_GRP', 101], ['winControl', 'MCAST_JOIN', 1]]), 0);
  let settled: string | undefined;
  const pending = fake.pend(h, IOCTL.WRITE, controlMessage('WIN_PEND_REQ', pid, 6, [])).then(() => { settled = 'completed'; }, (e: { win32?: number }) => { settled = `failed ${e.win32}`; });
  await t.rejects(fake.pend(h, IOCTL.WRITE, controlMessage('WIN_PEND_REQ', pid, 7, [])), { win32: WIN32.ERROR_BUSY, message: /already pending/ }, 'a second pend while one is pending: STATUS_DEVICE_BUSY');
  await new Promise((r) => setImmediate(r));
  t.equal(settled, undefined, 'the pend stays pending with nothing queued');
  fake.postVportEvent('down', { portNo: 2, type: 1, name: 'x' });
  await pending;
  t.equal(settled, 'completed', 'an event completes it');
  const ev = await fake.ioctl(h, IOCTL.READ_EVENT, undefined, 65536);
  t.equal(ev.readUInt32LE(12), pid, 'the event is addressed to the subscriber');
  t.equal((await fake.ioctl(h, IOCTL.READ_EVENT, undefined, 65536)).length, 0, 'then the queue is empty');
  const again = fake.pend(h, IOCTL.WRITE, controlMessage('WIN_PEND_REQ', pid, 8, []));
  fake.cancelIo(h);
  await t.rejects(again, { win32: WIN32.ERROR_OPERATION_ABORTED, message: /aborted/ }, 'CancelIoEx completes a pend as aborted');
  fake.close(h);
});

t.test('closing the transport cancels its pended requests and stops reading', async (t) => {
  const { fake, transport, dpif } = await setup(t);
  dpif.onVportEvent(() => undefined);
  await until('transport.counters.eventPends === 1 && transport.counters.packetPends === 1', () => transport.counters.eventPends === 1 && transport.counters.packetPends === 1);
  const warnings: string[] = [];
  const onWarn = (w: Error): void => { warnings.push(w.message); };
  process.on('warning', onWarn);
  t.teardown(() => { process.off('warning', onWarn); });
  await transport.close();
  const before = fake.calls.length;
  fake.postVportEvent('down', { portNo: 1, type: 1, name: 'y' });
  await new Promise((r) => setTimeout(r, 20));
  t.equal(fake.calls.length, before, 'no device call after close');
  t.same(warnings, [], 'cancellation is not reported as a failure');
  await t.rejects(transport.transact(Buffer.alloc(24)), /closed/);
});

t.test('concurrent dumps on the request handle do not mix (one dump state per handle)', async (t) => {
  const { dpif } = await setup(t);
  for (let i = 0; i < 5; i++) await dpif.portAdd({ name: `p${i}`, type: 2 });
  await dpif.flowPut({ key: { inPort: 1, ethType: 0x0800 }, actions: [{ type: 'output', port: 2 }] });
  const [ports, flows, ports2] = await Promise.all([dpif.portDump(), dpif.flowDump(), dpif.portDump()]);
  t.equal(ports.length, 6, 'the port dump has every port');
  t.equal(ports2.length, 6, 'and so does the one started at the same time');
  t.equal(flows.length, 1, 'the flow dump in between has only the flow');
});
