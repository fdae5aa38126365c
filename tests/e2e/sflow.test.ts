// sFlow end to end: the ovs-vsctl recipe from OVS's documentation turns on sampling on br-int; a
// collector (a UDP socket in the engine's namespace) receives sFlow v5 datagrams that decode to
// flow samples of the VMs' pings (right sampling rate, input interface, VLAN, packet header) and
// counter samples of the bridge's interfaces; removing the sFlow row stops the export.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { needCommand, needRoot } from '../lib/env.js';
import { EngineHarness } from '../lib/engine-harness.js';
import { startUdpCollector } from '../lib/udp-collector.js';
import { decodeSflow, type SflowCounterSample, type SflowDatagram, type SflowFlowSample } from '../lib/sflow-decode.js';

const skip = needRoot() || needCommand('ping') || needCommand('ip');

t.test('sFlow samples and counters reach a collector', { skip, timeout: 180_000 }, async (t) => {
  const h = new EngineHarness('sf');
  t.teardown(() => h.stop());
  await h.start();
  h.ok('ovs-vsctl', 'add-br', 'br-int');
  const a = h.addVm('a', '10.5.0.1/24'), b = h.addVm('b', '10.5.0.2/24');
  h.ok('ovs-vsctl', 'add-port', 'br-int', a.hostIf, 'tag=900');
  h.ok('ovs-vsctl', 'add-port', 'br-int', b.hostIf, 'tag=900');

  const datagrams: SflowDatagram[] = [];
  await startUdpCollector(t, h.ns, 6343, (d) => datagrams.push(decodeSflow(d)));

  h.ok('ovs-vsctl', '--', '--id=@s', 'create', 'sflow', 'agent=lo', 'target="127.0.0.1:6343"', 'header=128', 'sampling=2', 'polling=1',
    '--', 'set', 'bridge', 'br-int', 'sflow=@s');
  t.ok(spawnSync('ip', ['netns', 'exec', a.ns, 'ping', '-c', '100', '-i', '0.01', '-q', b.ip]).status === 0, 'a pings b 100 times');
  await new Promise((r) => setTimeout(r, 3000));
  const aIfindex = Number(spawnSync('ip', ['netns', 'exec', h.ns, 'cat', `/sys/class/net/${a.hostIf}/ifindex`], { encoding: 'utf8' }).stdout.trim());
  const bIfindex = Number(spawnSync('ip', ['netns', 'exec', h.ns, 'cat', `/sys/class/net/${b.hostIf}/ifindex`], { encoding: 'utf8' }).stdout.trim());

  t.ok(datagrams.length > 0, `datagrams received (${datagrams.length})`);
  t.ok(datagrams.every((d) => d.version === 5 && d.agent === '127.0.0.1'), 'sFlow v5 from agent 127.0.0.1 (the address of agent=lo)');
  const seqs = datagrams.map((d) => d.seq);
  t.same(seqs, seqs.slice().sort((x, y) => x - y), 'datagram sequence numbers increase');
  const flows = datagrams.flatMap((d) => d.samples).filter((s): s is SflowFlowSample => s.kind === 'flow');
  const icmp = flows.filter((s) => s.header && s.header.bytes.readUInt16BE(12) === 0x0800 && s.header.bytes[23] === 1);
  // 200 ICMP packets (requests and replies) sampled 1 in 2: about 100; a binomial spread of
  // several standard deviations (sd ~7) stays well inside these bounds.
  t.ok(icmp.length >= 50 && icmp.length <= 150, `about 1 in 2 of 200 ICMP packets sampled (${icmp.length})`);
  t.ok(flows.every((s) => s.samplingRate === 2), 'samples carry the sampling rate');
  const fromA = icmp.filter((s) => s.input === aIfindex);
  t.ok(fromA.length > 0 && fromA.every((s) => s.output === bIfindex && s.sourceId === aIfindex), 'requests: input = a\'s port ifindex, output = b\'s');
  t.ok(icmp.some((s) => s.input === bIfindex && s.output === aIfindex), 'replies: the other way');
  t.ok(icmp.every((s) => s.ext?.srcVlan === 900 && s.ext?.dstVlan === 900), 'extended switch record: VLAN 900 of the access ports');
  t.ok(icmp.every((s) => s.header!.protocol === 1 && s.header!.frameLength === 98 + 4 && s.header!.stripped === 4 && s.header!.bytes.length === 98), 'raw Ethernet header records: whole 98-byte frames (under 128) plus FCS');
  const pools = fromA.map((s) => s.samplePool);
  t.same(pools, pools.slice().sort((x, y) => x - y), 'sample pool grows');
  const counters = datagrams.flatMap((d) => d.samples).filter((s): s is SflowCounterSample => s.kind === 'counter');
  const ca = counters.filter((c) => c.ifCounters?.ifIndex === aIfindex);
  t.ok(ca.length >= 1, `counter samples for a's interface (${ca.length})`);
  t.ok(ca.some((c) => c.ifCounters!.inUcastPkts >= 100 && c.ifCounters!.inOctets >= 9800n), 'its counters include the pings');
  t.ok(ca.every((c) => (c.ifCounters!.status & 3) === 3), 'admin and oper up');

  h.ok('ovs-vsctl', 'clear', 'bridge', 'br-int', 'sflow');
  await new Promise((r) => setTimeout(r, 1500));
  const before = datagrams.length;
  spawnSync('ip', ['netns', 'exec', a.ns, 'ping', '-c', '20', '-i', '0.01', '-q', b.ip]);
  await new Promise((r) => setTimeout(r, 2500));
  t.equal(datagrams.length, before, 'no datagrams after the sFlow row is removed');
});
