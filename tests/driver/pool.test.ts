// The userspace datapath's I/O worker pool: ports are fds in a few threads' epoll sets, not
// threads. Many TAP ports on one datapath with a 2-thread pool; the process's thread count does
// not grow with ports; two veth "VMs" among them still ping through megaflows, from whichever
// worker reads them; deleting ports frees them and their numbers. Needs root (TAP, netns, veth).
import t from 'tap';
import { readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { needCommand, needRoot } from '../lib/env.js';
import { nsRun } from '../lib/ns-run.js';
import { waitFor } from '../lib/wait.js';
import { createDatapath, type UserspaceDatapath } from '../../driver/userspace/datapath.js';
import { createVethVm, deleteLink, deleteNetns, type VethVm } from '../../driver/linux/netns.js';

const skip = needRoot() || needCommand('ping');
const N_TAPS = 100;
const DP = 'ovspsh22pdp';
const tapName = (i: number) => `ovspsh22t${i}`;

function threads(): number {
  return readdirSync('/proc/self/task').length;
}



t.test(`${N_TAPS} ports on a 2-thread pool`, { skip, timeout: 180_000 }, async (t) => {
  const vms: VethVm[] = [];
  let dp: UserspaceDatapath | undefined;
  t.teardown(async () => {
    await dp?.destroy();
    for (const v of vms) v.destroy();
  });
  for (const n of ['ovspsh22pa', 'ovspsh22pb']) deleteNetns(n); // leftovers of a killed run
  for (const l of ['ovspsh22pva', 'ovspsh22pvb', DP]) deleteLink(l);
  for (let i = 0; i < N_TAPS; i++) deleteLink(tapName(i));
  const a = createVethVm({ netns: 'ovspsh22pa', hostIf: 'ovspsh22pva', addresses: ['10.78.0.1/24'] });
  vms.push(a);
  const b = createVethVm({ netns: 'ovspsh22pb', hostIf: 'ovspsh22pvb', addresses: ['10.78.0.2/24'] });
  vms.push(b);

  const before = threads();
  dp = await createDatapath(DP, { workers: 2 });
  const d = dp;
  const pa = d.addPortNow({ name: 'ovspsh22pva', type: 'system' }); // the pool's second thread starts here
  const withPool = threads();
  const t0 = performance.now();
  for (let i = 0; i < N_TAPS; i++) d.addPortNow({ name: tapName(i), type: 'internal' });
  const ms = performance.now() - t0;
  const pb = d.addPortNow({ name: 'ovspsh22pvb', type: 'system' });
  t.comment(`added ${N_TAPS} internal ports in ${ms.toFixed(0)} ms (${(ms / N_TAPS).toFixed(2)} ms/port); threads: ${before} before the datapath, ${withPool} with its pool and 2 ports, ${threads()} with ${N_TAPS + 3} ports`);
  // A thread per port would add N_TAPS + 1 here; allow a few for the runtime's own lazy threads.
  t.ok(threads() - withPool <= 4, `${N_TAPS + 1} more ports add no threads (${withPool} -> ${threads()})`);

  const ports = d.dumpPorts();
  t.equal(ports.length, N_TAPS + 3, 'every port is listed');
  t.same(ports.map((p) => p.portNo), Array.from({ length: N_TAPS + 3 }, (_, i) => i), 'numbered 0 (local), then 1, 2, ... in order of adding');
  t.equal(d.getPort(tapName(N_TAPS - 1)).portNo, N_TAPS + 1, 'found by name');
  t.equal(pb.portNo, N_TAPS + 2);
  t.throws(() => d.addPortNow({ name: tapName(7), type: 'internal' }), { code: 'OVS_E_PORT_EXISTS' }, 'a name is taken once');

  // The two VMs' ports were given to the pool at different times; whichever threads read them,
  // megaflows forward between them.
  d.putFlow({ key: { inPort: pa.portNo }, mask: { inPort: 0xffffffff }, actions: [{ type: 'output', port: pb.portNo }] });
  d.putFlow({ key: { inPort: pb.portNo }, mask: { inPort: 0xffffffff }, actions: [{ type: 'output', port: pa.portNo }] });
  const r = await nsRun('ovspsh22pa', ['ping', '-c3', '-i0.2', '-W2', '10.78.0.2']);
  t.equal(r.status, 0, `ping between two of ${N_TAPS + 3} ports: ${r.out.split('\n').find((l) => l.includes('transmitted')) ?? r.out}`);
  t.ok(d.getFlow({ key: { inPort: pa.portNo } }).stats!.packets >= 3n, 'the megaflow counted the pings');
  t.ok(d.getPort(pb.portNo).stats!.txPackets >= 3n, 'and the output port its frames');

  // Deleting half the TAPs frees their names and numbers; the lowest free number is reused first.
  for (let i = 0; i < N_TAPS; i += 2) d.delPortNow(tapName(i));
  t.equal(d.dumpPorts().length, N_TAPS / 2 + 3);
  t.throws(() => d.getPort(tapName(0)), { code: 'OVS_E_NO_SUCH_PORT' });
  await waitFor(() => !readdirSync('/sys/class/net').includes(tapName(0)), 'the deleted TAPs to disappear', 10_000);
  const again = await d.addPort({ name: tapName(0), type: 'internal' });
  t.equal(again.portNo, 2, 'the lowest free number (the first TAP\'s) is reused');
  t.equal(d.getPort(2).name, tapName(0), 'and the port is there under that number');
  const r2 = await nsRun('ovspsh22pa', ['ping', '-c2', '-i0.2', '-W2', '10.78.0.2']);
  t.equal(r2.status, 0, 'the VMs still ping after the deletions');

  await d.destroy();
  dp = undefined;
  t.same(readdirSync('/sys/class/net').filter((n) => n.startsWith('ovspsh22t')), [], 'destroy removes every TAP');
  await waitFor(() => threads() <= withPool - 2, 'the pool threads to exit', 10_000);
  t.ok(threads() <= withPool - 2, `and the pool's 2 threads exit (${threads()} threads left)`);
});
