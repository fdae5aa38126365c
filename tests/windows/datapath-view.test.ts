// Get-OvsDatapath shows the same data over each transport: the engine method behind the cmdlet
// (ovsps/dpctl show, the JSON-RPC call Get-OvsDatapath makes) answers the same datapath view when the
// engine drives the userspace datapath directly and when it drives it through the Windows transport
// code path (simulated extension device). Then, over the Windows path, a VM whose interface goes away
// is a torn-down Hyper-V port: the extension's vport event (READ_EVENT) makes the switch reconfigure
// at once, and the view and the Interface's error say so.
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Json, JsonObject } from '../../engine/ovsdb/api.js';
import { connectOvsdb } from '../../engine/rpc/client.js';
import { needCommand, needRoot } from '../lib/env.js';
import { EngineHarness } from '../lib/engine-harness.js';

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
  t.same(portNames(uv).sort(), ['br-int', 'ovs-system', 'vp-a', 'vp-b'].sort(), 'the userspace view lists the local, bridge and VM ports');
  // Counters depend on what the VMs happened to send (IPv6 DAD, router solicitations), so they are
  // compared for consistency; everything else must be identical.
  const traffic = ['hit', 'missed', 'lost', 'flows', 'cacheHitRate'];
  const fixed = (v: JsonObject): JsonObject => ({
    ...Object.fromEntries(Object.entries(v).filter(([k]) => !traffic.includes(k))),
    text: String(v.text).split('\n').map((l) => (/^ +port \d+:/.test(l) ? l : l.replace(/\d+(\.\d+)?/g, '#'))).join('\n'),
  });
  t.strictSame(fixed(wv), fixed(uv), 'the same view (datapath name, ports with numbers and types, text layout) over both transports');
  for (const [which, v] of [['userspace', uv], ['windows', wv]] as const) {
    const hit = Number(v.hit), missed = Number(v.missed);
    t.ok(traffic.every((k) => typeof v[k] === 'number' && Number(v[k]) >= 0), `${which}: counters are numbers`);
    t.equal(Number(v.cacheHitRate).toFixed(2), (hit + missed ? (100 * hit) / (hit + missed) : 0).toFixed(2), `${which}: cacheHitRate is hit/(hit+missed)`);
    t.match(String(v.text), `lookups: hit:${hit} missed:${missed} lost:${v.lost}`, `${which}: the text shows the same counters`);
  }
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
