// The engine's Dpif driving the userspace datapath through ovs_* netlink messages (DatapathEndpoint
// over UserspaceBackend): ports, megaflows and upcalls end to end on real frames. Needs root.
import t from 'tap';
import { spawn } from 'node:child_process';
import { needCommand, needRoot } from '../lib/env.js';
import { openUserspaceTransport } from '../../driver/userspace/backend.js';
import { createVethVm, deleteLink, deleteNetns, type VethVm } from '../../driver/linux/netns.js';
import { Dpif, DpifError } from '../../engine/channel/dpif.js';
import type { PacketMessage } from '../../engine/channel/messages.js';
import { VPORT_TYPES } from '../../engine/channel/odp-types.js';
import type { UserspaceDatapath } from '../../driver/userspace/datapath.js';

const skip = needRoot() || needCommand('ping');

function ping(ns: string, args: string[]): Promise<number | null> {
  return new Promise((resolve) => spawn('ip', ['netns', 'exec', ns, 'ping', ...args], { stdio: 'ignore' }).on('close', resolve));
}

t.test('Dpif over netlink drives the userspace datapath', { skip }, async (t) => {
  const vms: VethVm[] = [];
  let dp: UserspaceDatapath | undefined;
  t.teardown(async () => { await dp?.destroy(); for (const v of vms) v.destroy(); });
  for (const n of ['ovspsh8na', 'ovspsh8nb']) deleteNetns(n);
  for (const l of ['ovspsh8nva', 'ovspsh8nvb', 'ovspsh8ndp']) deleteLink(l);
  const a = createVethVm({ netns: 'ovspsh8na', hostIf: 'ovspsh8nva', addresses: ['10.74.0.1/24'] });
  vms.push(a);
  vms.push(createVethVm({ netns: 'ovspsh8nb', hostIf: 'ovspsh8nvb', addresses: ['10.74.0.2/24'] }));
  const opened = await openUserspaceTransport('ovspsh8ndp');
  dp = opened.datapath;
  const dpif = await Dpif.open(opened.transport, 'ovspsh8ndp');
  t.equal(dpif.dpIfindex, dp.dpIfindex);

  const pa = await dpif.portAdd({ name: 'ovspsh8nva', type: VPORT_TYPES.netdev });
  const pb = await dpif.portAdd({ name: 'ovspsh8nvb', type: VPORT_TYPES.netdev });
  t.same([pa.portNo, pb.portNo], [1, 2]);
  const ports = await dpif.portDump();
  t.same(ports.map((p) => [p.portNo, p.name, p.type]), [[0, 'ovspsh8ndp', VPORT_TYPES.internal], [1, 'ovspsh8nva', VPORT_TYPES.netdev], [2, 'ovspsh8nvb', VPORT_TYPES.netdev]]);
  const errnoOf = (p: Promise<unknown>) => p.then(() => 0, (e: unknown) => (e instanceof DpifError ? e.errno : -1));
  t.equal(await errnoOf(dpif.portAdd({ name: 'ovspsh8nnone', type: VPORT_TYPES.netdev })), 19, 'missing interface: ENODEV');
  t.equal(await errnoOf(dpif.portAdd({ name: 'ovspsh8ners', type: 107 })), 95, 'erspan (type 107): EOPNOTSUPP');

  const upcalls: PacketMessage[] = [];
  dpif.onUpcall((u) => upcalls.push(u));
  await ping('ovspsh8na', ['-c1', '-W1', '10.74.0.2']);
  const arp = upcalls.find((u) => u.cmd === 'MISS' && u.key?.arp && u.key.inPort === pa.portNo);
  t.ok(arp, 'a MISS upcall with the ARP key arrived through netlink');
  t.equal(arp?.key?.eth?.src, a.mac);
  t.equal(arp?.key?.arp?.tip, '10.74.0.2');

  await dpif.flowPut({ key: { inPort: pa.portNo }, mask: { inPort: 0xffffffff }, actions: [{ type: 'output', port: pb.portNo }] });
  await dpif.flowPut({ key: { inPort: pb.portNo }, mask: { inPort: 0xffffffff }, actions: [{ type: 'output', port: pa.portNo }] });
  t.equal(await ping('ovspsh8na', ['-c3', '-i0.2', '-W2', '10.74.0.2']), 0, 'ping through flows installed over netlink');
  const flows = await dpif.flowDump();
  t.equal(flows.length, 2);
  t.ok(flows.every((f) => (f.stats?.packets ?? 0n) >= 3n), 'both flows counted the ping');
  const f = await dpif.flowGet({ key: { inPort: pa.portNo } });
  t.same(f.actions, [{ type: 'output', port: pb.portNo }]);
  t.equal(await errnoOf(dpif.flowGet({ key: { inPort: 77 } })), 2, 'unknown flow: ENOENT');
  await dpif.flowDel({ key: { inPort: pa.portNo } });
  t.equal((await dpif.flowDump()).length, 1);
  await dpif.portDel(pb.portNo);
  t.same((await dpif.portDump()).map((p) => p.portNo), [0, 1]);
  const err = await dpif.portGet({ portNo: pb.portNo }).catch((e: unknown) => e);
  t.ok(err instanceof DpifError && err.errno === 19, 'deleted port is gone (ENODEV)');
});
