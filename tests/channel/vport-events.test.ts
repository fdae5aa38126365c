// Vport events through Dpif.onVportEvent over the in-process datapath endpoint (the userspace
// datapath's transport): after joining ovs_vport's multicast group, every vport created or deleted
// is notified as the kernel module does it (the reply itself: cmd NEW/DEL, requester's seq and pid).
import t from 'tap';
import { DatapathEndpoint } from '../../engine/channel/datapath-endpoint.js';
import { Dpif } from '../../engine/channel/dpif.js';
import type { VportMessage } from '../../engine/channel/messages.js';
import { MemoryDatapath } from '../lib/memory-datapath.js';

t.test('vport NEW/DEL notifications after joining the ovs_vport group', async (t) => {
  const endpoint = new DatapathEndpoint(new MemoryDatapath());
  const dpif = await Dpif.open(endpoint, 'ovs-system');
  const raw: Buffer[] = [];
  endpoint.onMessage((m) => raw.push(m));
  await dpif.portAdd({ name: 'before', type: 2 });
  t.equal(raw.length, 0, 'nothing is notified before anyone joins the group');

  const events: VportMessage[] = [];
  const errors: Error[] = [];
  const off = dpif.onVportEvent((e) => events.push(e), (e) => errors.push(e));
  await new Promise((r) => setImmediate(r));
  const p = await dpif.portAdd({ name: 'eth1', type: 1 });
  await dpif.portDel(p.portNo);
  t.same(events.map((e) => [e.cmd, e.vport.name, e.vport.portNo]), [['NEW', 'eth1', p.portNo], ['DEL', 'eth1', p.portNo]], 'NEW then DEL, with name and port number');
  t.equal(events[0]!.dpIfindex, dpif.dpIfindex, 'events carry the datapath ifindex');
  await t.rejects(dpif.portAdd({ name: 'before', type: 2 }), 'a failed add (the name exists)');
  t.equal(events.length, 2, 'a failed request notifies nothing');
  off();
  await dpif.portAdd({ name: 'after', type: 2 });
  t.equal(events.length, 2, 'nothing after the listener is removed');
  t.same(errors, []);
  await t.rejects(endpoint.subscribeMulticast('ovs_vport', 'no-such-group'), /no multicast group/);
  await t.rejects(endpoint.subscribeMulticast('ovs_flow', 'ovs_flow'), /no multicast group/);
});
