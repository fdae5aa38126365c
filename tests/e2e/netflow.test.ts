// NetFlow v5 end to end: a NetFlow row on br-int (the ovs-vsctl recipe from OVS's documentation)
// makes the switch export one record stream per IPv4 flow to a collector in the engine's
// namespace: active-timeout records while a ping runs and a final record when the flow expires,
// adding up to exactly the packets sent.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { needCommand, needRoot } from '../lib/env.js';
import { EngineHarness } from '../lib/engine-harness.js';
import { startUdpCollector } from '../lib/udp-collector.js';

const skip = needRoot() || needCommand('ping') || needCommand('ip');

interface Rec { src: string; dst: string; input: number; output: number; packets: number; bytes: number; first: number; last: number; srcPort: number; dstPort: number; proto: number }

function decodeNetflowV5(b: Buffer): { version: number; count: number; sequence: number; engineType: number; engineId: number; records: Rec[] } {
  const ip = (o: number) => [...b.subarray(o, o + 4)].join('.');
  const count = b.readUInt16BE(2);
  if (b.length !== 24 + 48 * count) throw new Error(`NetFlow v5 datagram of ${b.length} bytes for ${count} records`);
  const records: Rec[] = [];
  for (let i = 0; i < count; i++) {
    const o = 24 + 48 * i;
    records.push({ src: ip(o), dst: ip(o + 4), input: b.readUInt16BE(o + 12), output: b.readUInt16BE(o + 14), packets: b.readUInt32BE(o + 16), bytes: b.readUInt32BE(o + 20),
      first: b.readUInt32BE(o + 24), last: b.readUInt32BE(o + 28), srcPort: b.readUInt16BE(o + 32), dstPort: b.readUInt16BE(o + 34), proto: b[o + 38]! });
  }
  return { version: b.readUInt16BE(0), count, sequence: b.readUInt32BE(16), engineType: b[20]!, engineId: b[21]!, records };
}

t.test('NetFlow v5 records for the VMs\' flows', { skip, timeout: 180_000 }, async (t) => {
  const h = new EngineHarness('nf');
  t.teardown(() => h.stop());
  await h.start();
  h.ok('ovs-vsctl', 'add-br', 'br-int');
  const a = h.addVm('a', '10.4.0.1/24'), b = h.addVm('b', '10.4.0.2/24');
  h.ok('ovs-vsctl', 'add-port', 'br-int', a.hostIf);
  h.ok('ovs-vsctl', 'add-port', 'br-int', b.hostIf);
  const ofA = Number(h.ok('ovs-vsctl', 'get', 'Interface', a.hostIf, 'ofport').trim());
  const ofB = Number(h.ok('ovs-vsctl', 'get', 'Interface', b.hostIf, 'ofport').trim());

  const dgrams: Array<ReturnType<typeof decodeNetflowV5>> = [];
  await startUdpCollector(t, h.ns, 2055, (d) => dgrams.push(decodeNetflowV5(d)));

  h.ok('ovs-vsctl', '--', 'set', 'Bridge', 'br-int', 'netflow=@nf', '--', '--id=@nf', 'create', 'NetFlow', 'targets="127.0.0.1:2055"', 'active_timeout=1', 'engine_type=7', 'engine_id=3');
  t.ok(h.ping(a, b.ip, 1), 'ARP resolved, path up');
  const sent = 30;
  t.equal(spawnSync('ip', ['netns', 'exec', a.ns, 'ping', '-c', String(sent), '-i', '0.1', '-q', b.ip]).status, 0, `${sent} more pings`);
  // Flows idle for 10 s leave the datapath; their final records follow.
  await new Promise((r) => setTimeout(r, 13_000));
  t.ok(dgrams.length > 0, `datagrams received (${dgrams.length})`);
  t.ok(dgrams.every((d) => d.version === 5 && d.engineType === 7 && d.engineId === 3), 'NetFlow v5 with the configured engine type and id');
  const seqOk = dgrams.every((d, i) => i === 0 || d.sequence === dgrams[i - 1]!.sequence + dgrams[i - 1]!.count);
  t.ok(seqOk, 'flow_sequence counts the records exported before each datagram');
  const recs = dgrams.flatMap((d) => d.records);
  const req = recs.filter((r) => r.src === a.ip && r.dst === b.ip && r.proto === 1 && r.srcPort === 8);
  const rep = recs.filter((r) => r.src === b.ip && r.dst === a.ip && r.proto === 1 && r.srcPort === 0);
  t.ok(req.length >= 2, `the request flow was reported several times (active timeout 1 s, then expiry): ${req.length} records`);
  t.equal(req.reduce((n, r) => n + r.packets, 0), sent + 1, 'its records add up to every echo request sent');
  t.equal(rep.reduce((n, r) => n + r.packets, 0), sent + 1, 'and the replies to every reply');
  t.equal(req.reduce((n, r) => n + r.bytes, 0), (sent + 1) * 98, 'bytes: 98-byte frames');
  t.ok(req.every((r) => r.input === ofA && r.output === ofB), 'request records: input = a\'s ofport, output = b\'s');
  t.ok(rep.every((r) => r.input === ofB && r.output === ofA), 'reply records the other way');
  t.ok(req.every((r) => r.last >= r.first), 'first <= last');

  h.ok('ovs-vsctl', 'clear', 'Bridge', 'br-int', 'netflow');
  const before = dgrams.length;
  spawnSync('ip', ['netns', 'exec', a.ns, 'ping', '-c', '10', '-i', '0.1', '-q', b.ip]);
  await new Promise((r) => setTimeout(r, 2500));
  t.equal(dgrams.length, before, 'nothing exported once NetFlow is removed');
});
