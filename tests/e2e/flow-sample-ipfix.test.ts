// Flow-based IPFIX end to end (OVS 3.1's Flow_Sample_Collector_Set + OpenFlow `sample`): a
// collector set with id 5 on br-int points at an IPFIX row whose target is a UDP collector in the
// engine's namespace; rules sample the VMs' pings with probability 65535 (every packet), each
// direction with its own observation point, the replies as egress samples on a's port. Every
// ping is exported once with the action's observation domain and point; a rule naming a collector
// set that does not exist exports nothing; probability 32768 samples about half of 400 UDP
// packets; once the collector set is removed nothing more is exported.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { needCommand, needRoot } from '../lib/env.js';
import { EngineHarness } from '../lib/engine-harness.js';
import { startUdpCollector } from '../lib/udp-collector.js';
import { ipfixDecoder, ipfixField as f, type IpfixMessage } from '../lib/ipfix-decode.js';
import { nsRun } from '../lib/ns-run.js';
import { sleep, waitFor } from '../lib/wait.js';

const skip = needRoot() || needCommand('ping') || needCommand('ip');

t.test('sample actions export IPFIX records to their Flow_Sample_Collector_Set', { skip, timeout: 180_000 }, async (t) => {
  const h = new EngineHarness('fs');
  t.teardown(() => h.stop());
  await h.start();
  h.ok('ovs-vsctl', 'add-br', 'br-int');
  const a = h.addVm('a', '10.31.0.1/24'), b = h.addVm('b', '10.31.0.2/24');
  h.ok('ovs-vsctl', 'add-port', 'br-int', a.hostIf, '--', 'set', 'Interface', a.hostIf, 'ofport_request=1');
  h.ok('ovs-vsctl', 'add-port', 'br-int', b.hostIf, '--', 'set', 'Interface', b.hostIf, 'ofport_request=2');
  t.ok(h.ping(a, b.ip, 1), 'path up');
  const dp = h.ok('ovs-dpctl', 'show');
  const odp = (name: string) => Number(new RegExp(`port (\\d+): ${name}(?:\\s|$)`, 'm').exec(dp)?.[1] ?? -1);

  const decode = ipfixDecoder();
  const msgs: IpfixMessage[] = [];
  await startUdpCollector(t, h.ns, 4740, (d) => msgs.push(decode(d)));

  h.ok('ovs-vsctl', '--', '--id=@br', 'get', 'Bridge', 'br-int', '--', '--id=@i', 'create', 'IPFIX', 'targets="127.0.0.1:4740"',
    'obs_domain_id=1', 'obs_point_id=1', 'sampling=1000', '--', 'create', 'Flow_Sample_Collector_Set', 'id=5', 'bridge=@br', 'ipfix=@i');
  t.match(h.ok('ovs-vsctl', 'list', 'Flow_Sample_Collector_Set'), /id\s+: 5/, 'the collector set exists');
  h.ok('ovs-ofctl', 'add-flow', 'br-int', `priority=100,icmp,nw_src=${a.ip},actions=sample(probability=65535,collector_set_id=5,obs_domain_id=77,obs_point_id=88),NORMAL`);
  h.ok('ovs-ofctl', 'add-flow', 'br-int', `priority=100,icmp,nw_src=${b.ip},actions=sample(probability=65535,collector_set_id=5,obs_domain_id=77,obs_point_id=99,sampling_port=1,egress),NORMAL`);
  h.ok('ovs-ofctl', 'add-flow', 'br-int', 'priority=90,arp,actions=sample(probability=65535,collector_set_id=6,obs_domain_id=66,obs_point_id=1),NORMAL');
  h.ok('ovs-ofctl', 'add-flow', 'br-int', `priority=100,udp,nw_src=${a.ip},tp_dst=9999,actions=sample(probability=32768,collector_set_id=5,obs_domain_id=78,obs_point_id=3),NORMAL`);
  const flows = h.ok('ovs-ofctl', 'dump-flows', 'br-int');
  t.match(flows, /actions=sample\(probability=65535,collector_set_id=5,obs_domain_id=77,obs_point_id=99,sampling_port=1,egress\),NORMAL/, 'dump-flows prints the action as ovs-ofctl');
  await sleep(1000);

  const sent = 20;
  t.equal(spawnSync('ip', ['netns', 'exec', a.ns, 'ping', '-c', String(sent), '-i', '0.05', '-q', b.ip]).status, 0, `${sent} pings`);
  // Flush ARP so that ARP packets hit the rule of the missing collector set 6.
  spawnSync('ip', ['-n', a.ns, 'neigh', 'flush', 'all']);
  spawnSync('ip', ['netns', 'exec', a.ns, 'ping', '-c', '1', '-q', b.ip]);
  const recs = () => msgs.filter((m) => m.domain === 77).flatMap((m) => m.records.map((r) => r.fields)).filter((r) => f.u8(r, 4) === 1);
  const total = () => recs().reduce((n, r) => n + f.u64(r, 2), 0);
  await waitFor(() => total() >= 2 * sent, `${2 * sent} ICMP samples`, 15_000).catch(() => undefined);
  await sleep(500);

  t.ok(msgs.every((m) => m.version === 10), 'IPFIX version 10');
  t.notOk(msgs.some((m) => m.domain === 1), 'nothing under the IPFIX row\'s own observation domain (it is for bridge sampling)');
  const arpRule = h.ok('ovs-ofctl', 'dump-flows', 'br-int', 'arp').split('\n').find((l) => l.includes('collector_set_id=6')) ?? '';
  t.ok(Number(/n_packets=(\d+)/.exec(arpRule)?.[1] ?? 0) > 0, `ARP packets hit the rule sampling to collector set 6 (${arpRule.trim()})`);
  t.notOk(msgs.some((m) => m.domain === 66), 'but a sample naming a collector set that does not exist exports nothing');
  const req = recs().filter((r) => f.ipv4(r, 8) === a.ip && f.ipv4(r, 12) === b.ip);
  const rep = recs().filter((r) => f.ipv4(r, 8) === b.ip && f.ipv4(r, 12) === a.ip);
  // The last ping (after the ARP flush) adds one request and one reply.
  t.equal(req.reduce((n, r) => n + f.u64(r, 2), 0), sent + 1, 'every echo request sampled once (probability 65535)');
  t.equal(rep.reduce((n, r) => n + f.u64(r, 2), 0), sent + 1, 'every reply sampled once');
  t.ok(req.every((r) => f.u32(r, 138) === 88 && f.u8(r, 61) === 0 && f.u32(r, 10) === odp(a.hostIf)),
    'requests: observation point 88, ingress, ingress interface = a\'s datapath port');
  t.ok(rep.every((r) => f.u32(r, 138) === 99 && f.u8(r, 61) === 1 && f.u32(r, 14) === odp(a.hostIf) && f.u32(r, 10) === odp(b.hostIf)),
    'replies: observation point 99, egress, egress interface = sampling_port 1 (a\'s datapath port)');
  t.equal(req.reduce((n, r) => n + f.u64(r, 1), 0), (sent + 1) * 98, 'octets of 98-byte frames');

  // Probability 32768: about half of 400 UDP datagrams (binomial: 200 +- 10; bounds are 10 sigma).
  const udpSent = 400;
  const send = await nsRun(a.ns, [process.execPath, '-e',
    `const s=require('dgram').createSocket('udp4');let n=0;const go=()=>{if(n++>=${udpSent})return s.close();s.send(Buffer.alloc(32),9999,'${b.ip}',()=>setImmediate(go))};go()`]);
  t.equal(send.status, 0, `${udpSent} UDP datagrams sent`);
  const udpTotal = () => msgs.filter((m) => m.domain === 78).flatMap((m) => m.records.map((r) => r.fields)).reduce((n, r) => n + f.u64(r, 2), 0);
  // Every datagram's upcall handled (the exporter's count stops moving) and every record received.
  const received = () => msgs.filter((m) => m.domain === 77 || m.domain === 78).flatMap((m) => m.records).reduce((n, r) => n + f.u64(r.fields, 2), 0);
  const counted = () => Number(/sampled pkts=(\d+)/.exec(h.ok('ovs-ofctl', 'dump-ipfix-flow', 'br-int'))?.[1] ?? -1);
  let last = -1;
  await waitFor(() => { const c = counted(), same = c === last && c === received(); last = c; return same; }, 'sampling to settle', 20_000, 500).catch(() => undefined);
  const sampled = udpTotal();
  t.ok(sampled >= 100 && sampled <= 300, `probability 32768/65535 sampled ${sampled} of ${udpSent} (expected about half)`);

  // Exporting-process counters (ovs-ofctl dump-ipfix-flow): every sample of collector set 5, each
  // its own record (no cache), all received by the collector.
  const fstats = h.ok('ovs-ofctl', 'dump-ipfix-flow', 'br-int');
  const samples = received();
  // b also answers some datagrams with ICMP port unreachable, which b's ICMP rule samples too.
  t.ok(samples >= 2 * (sent + 1) + sampled, `the collector received ${samples} sampled packets: the pings', the datagrams' and b's ICMP errors`);
  t.match(fstats, new RegExp(`^NXST_IPFIX_FLOW reply \\(xid=0x2\\): 1 ids\n  id   5: flows=${samples}, current flows=0, sampled pkts=${samples}, ipv4 ok=${samples}, ipv6 ok=0, tx pkts=\\d+\n`
    + '          pkts errs=0, ipv4 errs=0, ipv6 errs=0, tx errs=0\n$'), `dump-ipfix-flow counts the same ${samples} samples, each its own flow record`);
  t.ok(Number(/tx pkts=(\d+)/.exec(fstats)?.[1] ?? 0) >= 1, 'and the messages sent');
  t.equal(h.ok('ovs-ofctl', 'dump-ipfix-bridge', 'br-int'), 'OFPT_ERROR (xid=0x2): NXST_NOT_CONFIGURED\nNXST_IPFIX_BRIDGE request (xid=0x2):\n',
    'dump-ipfix-bridge without bridge IPFIX: NXST_NOT_CONFIGURED, as ovs-ofctl prints it');

  h.ok('ovs-vsctl', '--all', 'destroy', 'Flow_Sample_Collector_Set');
  await sleep(1000);
  const before = msgs.length;
  spawnSync('ip', ['netns', 'exec', a.ns, 'ping', '-c', '10', '-i', '0.05', '-q', b.ip]);
  await sleep(2000);
  t.equal(msgs.length, before, 'nothing exported once the collector set is gone');
  t.match(h.ok('ovs-ofctl', 'dump-flows', 'br-int'), /sample\(probability=65535,collector_set_id=5/, 'the rules stay');
  t.match(h.ok('ovs-ofctl', 'dump-ipfix-flow', 'br-int'), /NXST_NOT_CONFIGURED/, 'and dump-ipfix-flow says not configured');
});
