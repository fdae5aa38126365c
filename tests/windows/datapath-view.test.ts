// Get-OvsDatapath shows the same data over each transport: the engine method behind the cmdlet
// (ovsps/dpctl show, the JSON-RPC call Get-OvsDatapath makes) answers the same datapath view when the
// engine drives the userspace datapath directly and when it drives it through the Windows transport
// code path (simulated extension device); the kernel-VM suite checks the same view over the Linux
// kernel module (tests/kernel-vm/datapath-view.ts). Then, over the Windows path, a VM whose interface goes away
// is a torn-down Hyper-V port: the extension's vport event (READ_EVENT) makes the switch reconfigure
// at once, and the view and the Interface's error say so.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Json, JsonObject } from '../../engine/ovsdb/api.js';
import { connectOvsdb } from '../../engine/rpc/client.js';
import { needCommand, needRoot } from '../lib/env.js';
import { EngineHarness } from '../lib/engine-harness.js';
import { comparableView, counterProblems, SCENARIO_VIEW, type View } from '../kernel-vm/datapath-view.js';

const skip = needRoot() || needCommand('ip');

async function datapathView(h: EngineHarness): Promise<JsonObject> {
  const c = await connectOvsdb(`unix:${join(h.dir, 'db.sock')}`);
  try {
    const r = await c.request('ovsps/dpctl', [{ command: 'show' }]) as JsonObject;
    const dps = r.datapaths as JsonObject[];
    if (!Array.isArray(dps) || dps.length !== 1) throw new Error(`expected one datapath, got ${JSON.stringify(r)}`);
    return dps[0]!;
  } finally {
    await c.close();
  }
}

const portNames = (v: JsonObject): string[] => (v.ports as Json[] as JsonObject[]).map((p) => String(p.name));

async function configured(tag: string, transport: string, t: Test): Promise<EngineHarness> {
  const h = new EngineHarness(tag);
  t.teardown(() => h.stop());
  await h.start([`--datapath-transport=${transport}`]);
  h.ok('ovs-vsctl', 'add-br', 'br-int');
  const a = h.addVm('a', '10.9.0.1/24'), b = h.addVm('b', '10.9.0.2/24');
  h.ok('ovs-vsctl', 'add-port', 'br-int', a.hostIf, 'tag=900');
  h.ok('ovs-vsctl', 'add-port', 'br-int', b.hostIf, 'tag=900');
  return h;
}

t.test('the datapath view is the same over the userspace and the Windows transport', { skip, timeout: 180_000 }, async (t) => {
  const u = await configured('vu', 'userspace', t);
  const w = await configured('vw', 'windows-sim', t);
  const uv = await datapathView(u), wv = await datapathView(w);
  t.strictSame(comparableView(uv as View), SCENARIO_VIEW, 'the userspace transport shows the scenario\'s view (datapath name, ports with numbers and types, text layout)');
  t.strictSame(comparableView(wv as View), comparableView(uv as View), 'the Windows transport shows the same view');
  t.same(counterProblems(uv as View), [], 'userspace: counters consistent');
  t.same(counterProblems(wv as View), [], 'windows: counters consistent');
  t.comment(String(wv.text));

  // A VM removed on the Windows side: its switch port goes away, the extension posts LINK_DOWN.
  w.ok('ovs-appctl', '-t', 'ovsdb-server', 'vlog/set', 'bridge:file:dbg');
  const r = spawnSync('ip', ['-n', w.ns, 'link', 'del', 'vp-a'], { encoding: 'utf8' });
  t.equal(r.status, 0, `deleted vp-a ${r.stderr}`);
  let view = wv, error = '';
  for (let i = 0; i < 150; i++) {
    view = await datapathView(w);
    error = w.ok('ovs-vsctl', 'get', 'Interface', 'vp-a', 'error').trim();
    if (!portNames(view).includes('vp-a') && /could not open network device vp-a/.test(error)) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  t.notOk(portNames(view).includes('vp-a'), 'the datapath view no longer lists vp-a');
  t.ok(portNames(view).includes('vp-b'), 'vp-b is still there');
  t.match(error, /could not open network device vp-a/, 'the switch reconfigured: the Interface reports the missing device');
  t.match(w.log(), /datapath port vp-a deleted \(vport event\)/, 'the switch got the vport event (READ_EVENT) and reconfigured on it');
});
