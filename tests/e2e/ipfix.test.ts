// IPFIX (per-bridge sampling) end to end: an IPFIX row on br-int with sampling 1 and a 2 s cache
// makes the switch send RFC 7011 messages to a collector in the engine's namespace; a template-
// driven decoder finds the ICMP flows between two VMs with every packet counted once.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { needCommand, needRoot } from '../lib/env.js';
import { EngineHarness } from '../lib/engine-harness.js';
import { startUdpCollector } from '../lib/udp-collector.js';
import { ipfixDecoder, type IpfixMessage, type IpfixRecord as Rec } from '../lib/ipfix-decode.js';

const skip = needRoot() || needCommand('ping') || needCommand('ip');

t.test('IPFIX flow records for the VMs\' pings', { skip, timeout: 180_000 }, async (t) => {
  const h = new EngineHarness('ix');
  t.teardown(() => h.stop());
  await h.start();
  h.ok('ovs-vsctl', 'add-br', 'br-int');
  const a = h.addVm('a', '10.3.0.1/24'), b = h.addVm('b', '10.3.0.2/24');
  h.ok('ovs-vsctl', 'add-port', 'br-int', a.hostIf);
  h.ok('ovs-vsctl', 'add-port', 'br-int', b.hostIf);
  t.ok(h.ping(a, b.ip, 1), 'path up');
  const dp = h.ok('ovs-dpctl', 'show');
  const odp = (name: string) => Number(new RegExp(`port (\\d+): ${name}(?:\\s|$)`, 'm').exec(dp)?.[1] ?? -1);

  const decode = ipfixDecoder();
  const msgs: IpfixMessage[] = [];
  await startUdpCollector(t, h.ns, 4739, (d) => msgs.push(decode(d)));

  h.ok('ovs-vsctl', '--', 'set', 'Bridge', 'br-int', 'ipfix=@i', '--', '--id=@i', 'create', 'IPFIX', 'targets="127.0.0.1:4739"', 'sampling=1',
    'obs_domain_id=42', 'obs_point_id=7', 'cache_active_timeout=2', 'cache_max_flows=100');
  await new Promise((r) => setTimeout(r, 1500)); // installed megaflows are revalidated with the sample action
  const sent = 20;
  t.equal(spawnSync('ip', ['netns', 'exec', a.ns, 'ping', '-c', String(sent), '-i', '0.05', '-q', b.ip]).status, 0, `${sent} pings`);
  await new Promise((r) => setTimeout(r, 5000));

  t.ok(msgs.length > 0, `IPFIX messages received (${msgs.length})`);
  t.ok(msgs.every((m) => m.version === 10 && m.domain === 42), 'IPFIX version 10, observation domain 42');
  const recs = msgs.flatMap((m) => m.records);
  const u32 = (r: Rec, id: number) => r.get(id)!.readUInt32BE(0);
  const ip = (r: Rec, id: number) => [...r.get(id)!].join('.');
  const u64 = (r: Rec, id: number) => Number(r.get(id)!.readBigUInt64BE(0));
  const icmp = recs.filter((r) => r.template === 257 && r.fields.get(4)![0] === 1).map((r) => r.fields);
  const req = icmp.filter((r) => ip(r, 8) === a.ip && ip(r, 12) === b.ip);
  const rep = icmp.filter((r) => ip(r, 8) === b.ip && ip(r, 12) === a.ip);
  t.equal(req.reduce((n, r) => n + u64(r, 2), 0), sent, 'every echo request sampled and counted once (sampling 1)');
  t.equal(rep.reduce((n, r) => n + u64(r, 2), 0), sent, 'and every reply');
  t.equal(req.reduce((n, r) => n + u64(r, 1), 0), sent * 98, 'octets of 98-byte frames');
  t.ok(req.every((r) => u32(r, 10) === odp(a.hostIf) && u32(r, 14) === odp(b.hostIf)), 'ingress/egress interfaces: the datapath ports of a and b');
  t.ok(req.every((r) => u32(r, 138) === 7), 'observation point 7');
  t.ok(req.every((r) => r.get(61)![0] === 0), 'flowDirection ingress (bridge sampling samples packets as they come in)');
  t.ok(req.every((r) => u64(r, 153) >= u64(r, 152)), 'flow end >= flow start');
  t.ok(req.every((r) => r.get(136)![0] === 2 || r.get(136)![0] === 4), 'flowEndReason: active timeout (or forced end)');

  const bstats = h.ok('ovs-ofctl', 'dump-ipfix-bridge', 'br-int');
  t.match(bstats, /^NXST_IPFIX_BRIDGE reply \(xid=0x2\):\n  bridge ipfix: flows=\d+, current flows=\d+, sampled pkts=\d+, ipv4 ok=\d+, ipv6 ok=\d+, tx pkts=\d+\n {16}pkts errs=\d+, ipv4 errs=\d+, ipv6 errs=\d+, tx errs=0\n$/,
    'dump-ipfix-bridge prints the exporter\'s counters as ovs-ofctl');
  t.ok(Number(/ipv4 ok=(\d+)/.exec(bstats)?.[1]) >= 2 * sent, `every sampled ping counted as an IPv4 sample (${/ipv4 ok=(\d+)/.exec(bstats)?.[1]})`);
  h.ok('ovs-vsctl', 'clear', 'Bridge', 'br-int', 'ipfix');
  await new Promise((r) => setTimeout(r, 1000));
  const before = msgs.length;
  spawnSync('ip', ['netns', 'exec', a.ns, 'ping', '-c', '10', '-i', '0.05', '-q', b.ip]);
  await new Promise((r) => setTimeout(r, 3000));
  t.equal(msgs.length, before, 'nothing exported once IPFIX is removed');
});
