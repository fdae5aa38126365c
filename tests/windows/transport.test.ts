// The Windows datapath transport, proven without Windows: IOCTL codes as the extension defines them,
// the handle/pid discipline, TRANSACT, WRITE+READ dumps, packet subscription and READ_PACKET upcalls,
// all through a simulated extension device whose datapath speaks netlink.
import t from 'tap';
import { DatapathEndpoint } from '../../engine/channel/datapath-endpoint.js';
import { Dpif, DpifError } from '../../engine/channel/dpif.js';
import { encodeVport } from '../../engine/channel/messages.js';
import { FakeOvsExtension } from '../../driver/windows/fake-extension.js';
import { DeviceError, IOCTL, WIN32 } from '../../driver/windows/ioctl.js';
import { WindowsNetlinkTransport } from '../../driver/windows/transport.js';
import { MemoryDatapath } from '../lib/memory-datapath.js';
import type { PacketMessage } from '../../engine/channel/messages.js';

t.test('IOCTL codes are CTL_CODE(45000, fn, method, access) as the extension defines them', async (t) => {
  t.equal(IOCTL.GET_PID, 0xafc88400);
  t.equal(IOCTL.READ, 0xafc84406);
  t.equal(IOCTL.READ_EVENT, 0xafc8440a);
  t.equal(IOCTL.READ_PACKET, 0xafc8440e);
  t.equal(IOCTL.WRITE, 0xafc84411);
  t.equal(IOCTL.TRANSACT, 0xafc88416);
});

t.test('datapath operations over the Windows transport', async (t) => {
  const dp = new MemoryDatapath();
  const fake = new FakeOvsExtension(new DatapathEndpoint(dp));
  const transport = await WindowsNetlinkTransport.open(fake);
  t.teardown(() => transport.close());
  t.same(fake.calls.slice(0, 2).map((c) => c.ioctl), ['GET_PID', 'TRANSACT'], 'a socket starts with GET_PID then the SOCK_PROP transaction');
  t.equal(await transport.resolveFamily('ovs_vport'), 0x14, 'fixed family ids, no genl controller lookup');
  t.equal(await transport.resolveMulticastGroup('ovs_vport', 'ovs_vport'), 101);

  const dpif = await Dpif.open(transport, 'ovs-system');
  t.equal(dpif.dpIfindex, 7, 'datapath found through TRANSACT');
  const p = await dpif.portAdd({ name: 'Ethernet0', type: 1 });
  t.equal(p.portNo, 1);
  await dpif.portAdd({ name: 'br-int', type: 2 });
  const before = fake.calls.length;
  const ports = await dpif.portDump();
  t.same(ports.map((v) => v.name).sort(), ['Ethernet0', 'br-int', 'ovs-system'], 'port dump');
  const dumpCalls = fake.calls.slice(before).map((c) => c.ioctl);
  t.equal(dumpCalls[0], 'WRITE', 'a dump starts with WRITE');
  t.same(dumpCalls.slice(1), ['READ', 'READ', 'READ', 'READ'], 'then one READ per message until an empty READ');
  await t.rejects(dpif.portAdd({ name: 'Ethernet0', type: 1 }), DpifError, 'a duplicate port comes back as an NLMSG_ERROR');

  const key = { inPort: 1, eth: { src: '00:15:5d:00:00:01', dst: '00:15:5d:00:00:02' }, ethType: 0x0800 };
  await dpif.flowPut({ key, actions: [{ type: 'output', port: 2 }], ufid: Buffer.alloc(16, 1) });
  t.same((await dpif.flowDump()).map((f) => f.actions), [[{ type: 'output', port: 2 }]], 'flow dump');
  await dpif.flowDel({ ufid: Buffer.alloc(16, 1) });
  t.equal((await dpif.flowDump()).length, 0, 'flow deleted');
  await dpif.execute(Buffer.alloc(60, 0xaa), key, [{ type: 'output', port: 1 }]);
  t.equal(dp.executed.length, 1, 'packet execute reaches the datapath');

  const got = new Promise<PacketMessage>((resolve) => dpif.onUpcall(resolve));
  await new Promise((r) => setTimeout(r, 50)); // the packet socket subscribes
  dp.miss(Buffer.alloc(64, 0x55), key);
  const up = await got;
  t.equal(up.cmd, 'MISS', 'upcall delivered through READ_PACKET');
  t.same(up.key?.eth, key.eth);
  t.ok(fake.calls.some((c) => c.ioctl === 'READ_PACKET' && c.bytesOut > 0), 'read with READ_PACKET');
});

t.test('the extension refuses messages whose nlmsg_pid is not the handle pid', async (t) => {
  const fake = new FakeOvsExtension(new DatapathEndpoint(new MemoryDatapath()));
  const h = fake.open();
  const pid = (await fake.ioctl(h, IOCTL.GET_PID, undefined, 4)).readUInt32LE(0);
  const msg = encodeVport({ cmd: 'GET', dpIfindex: 7, vport: { name: 'x' } }, { type: 0x14, flags: 1, seq: 1, pid: pid + 1 });
  await t.rejects(fake.ioctl(h, IOCTL.TRANSACT, msg, 65536), { win32: WIN32.ERROR_INVALID_PARAMETER, message: /nlmsg_pid/ });
  await t.rejects(fake.ioctl(h, IOCTL.TRANSACT, Buffer.alloc(20), 65536), { message: /24-byte/ }, 'short messages are refused');
});

t.test('a missing or disabled extension gives a clear error', async (t) => {
  const fake = new FakeOvsExtension(new DatapathEndpoint(new MemoryDatapath()), { enabled: false });
  await t.rejects(WindowsNetlinkTransport.open(fake), { message: /the Open vSwitch extension is not installed or not enabled on any Hyper-V switch/ });
  t.ok(new DeviceError(5, 'x'), 'DeviceError carries the Win32 code');
});
