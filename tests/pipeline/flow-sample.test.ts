// Flow-based IPFIX in the pipeline: the OpenFlow `sample` action parsed and printed exactly as
// ovs-ofctl 3.1 (differential against real `ovs-ofctl parse-flow`), translated into a datapath
// sample(userspace(cookie)) only on bridges with IPFIX (65535 = the bare userspace action), with
// header changes committed first and sampling_port resolved to its datapath port; mirror snaplen
// as a trunc before each output of a mirror copy; the IPFIX exporter's flow-based records.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { OdpAction, OdpFlowKey } from '../../engine/channel/odp-types.js';
import { needCommand } from '../lib/env.js';
import { Pipeline } from '../../engine/pipeline/pipeline.js';
import { parseFlowMod, formatFlowMod, parseActions, formatActions, FlowSyntaxError } from '../../engine/pipeline/flow-syntax.js';
import { decodeFlowSampleCookie, encodeFlowSampleCookie } from '../../engine/pipeline/flow-sample-cookie.js';
import { MirrorSet } from '../../engine/pipeline/mirror.js';
import { IpfixExporter } from '../../engine/vswitch/ipfix.js';
import { ipfixDecoder } from '../lib/ipfix-decode.js';

const VALID = [
  'actions=sample(probability=12345,collector_set_id=23456,obs_domain_id=34567,obs_point_id=45678)',
  'actions=sample(probability=65535,collector_set_id=1,obs_domain_id=2,obs_point_id=3,sampling_port=5,ingress)',
  'actions=sample(probability=65535,collector_set_id=1,obs_domain_id=2,obs_point_id=3,egress)',
  'actions=sample(probability=1)',
  'actions=sample(probability=010)',
  'actions=sample(probability=0x10,obs_point_id=0x10)',
  'actions=sample(probability=5,collector_set_id=-1)',
  'actions=sample(probability=5,collector_set_id=010)',
  'actions=sample(probability=5,collector_set_id=4294967295,obs_domain_id=4294967296)',
  'actions=sample(probability=5,collector_set_id=18446744073709551615)',
  'actions=sample(probability=5,collector_set_id=-4294967297)',
  'actions=sample(probability=5,ingress,egress)',
  'actions=sample(probability=5,ingress=7)',
  'actions=sample(probability=5 collector_set_id=3)',
  'actions=sample(probability=5,sampling_port=LOCAL)',
  'actions=sample(probability=5,sampling_port=NORMAL)',
  'actions=sample(probability=5,sampling_port=in_port)',
  'actions=sample(probability=5,sampling_port=0)',
  'actions=sample(probability=5,sampling_port=65279)',
  'actions=sample(probability=5,sampling_port=ANY)',
  'actions=sample(probability=5,sampling_port=none)',
  'actions=sample(probability=5,sampling_port=1,egress)',
  'actions=sample:probability=5',
  'actions=SAMPLE(probability=5)',
  'in_port=1,ip,actions=mod_nw_dst:10.0.0.9,sample(probability=100,collector_set_id=7,obs_domain_id=8,obs_point_id=9),output:2',
  'actions=sample(probability=1000,collector_set_id=1),sample(probability=2000,collector_set_id=2),NORMAL',
];
const INVALID = [
  'actions=sample(collector_set_id=1)',
  'actions=sample(probability=0)',
  'actions=sample(probability=65536)',
  'actions=sample(probability=-1)',
  'actions=sample(probability=5,foo=1)',
  'actions=sample(PROBABILITY=5)',
  'actions=sample(probability=5,collector_set_id=abc)',
  'actions=sample(probability=5,collector_set_id=)',
  'actions=sample(probability=5,collector_set_id)',
  'actions=sample(probability=5,collector_set_id= 7)',
  'actions=sample(probability=5,collector_set_id=18446744073709551616)',
  'actions=sample(probability=5,obs_point_id=08)',
  'actions=sample(probability=5,sampling_port=foo)',
  'actions=sample(probability=5,sampling_port=99999)',
  'actions=sample(probability=5,sampling_port=0xfff8)',
  'actions=sample',
  'actions=sample()',
];

interface Outcome { ok: boolean; text: string }
function ours(flow: string): Outcome {
  try { return { ok: true, text: formatFlowMod(parseFlowMod(flow, 'add')).trim() }; } catch (e) {
    if (e instanceof FlowSyntaxError) return { ok: false, text: e.message };
    throw e;
  }
}
function real(flow: string): Outcome {
  const r = spawnSync('ovs-ofctl', ['parse-flow', flow], { encoding: 'utf8' });
  if (r.status === 0) return { ok: true, text: r.stdout.trim().split('\n').pop()!.replace(/^[A-Z0-9_]+ \(xid=0x[0-9a-f]+\):/, '').trim() };
  const err = r.stderr.trim().split('\n').filter((l) => l.startsWith('ovs-ofctl: ')).pop() ?? r.stderr.trim();
  return { ok: false, text: err.replace(/^ovs-ofctl: /, '') };
}

t.test('differential: sample actions against ovs-ofctl parse-flow', { skip: needCommand('ovs-ofctl') }, async (t) => {
  let ok = 0, bad = 0;
  for (const flow of [...VALID, ...INVALID]) {
    const r = real(flow);
    if (r.ok) ok++; else bad++;
    t.same(ours(flow), r, `${flow} -> ${r.ok ? r.text : 'error: ' + r.text}`);
  }
  t.equal(ok, VALID.length, 'real OVS accepts every flow of the valid list');
  t.equal(bad, INVALID.length, 'and rejects every flow of the invalid list');
});

t.test('sample: parsed values, printing and round trip without real OVS', async (t) => {
  const [a] = parseActions('sample(probability=65535,collector_set_id=1,obs_domain_id=2,obs_point_id=3,sampling_port=5,ingress)');
  t.same(a, { type: 'sample', probability: 65535, collectorSetId: 1, obsDomainId: 2, obsPointId: 3, samplingPort: 5, direction: 'ingress' });
  t.equal(formatActions(parseActions('sample(probability=7)')), 'sample(probability=7,collector_set_id=0,obs_domain_id=0,obs_point_id=0)');
  t.match(parseActions('sample(probability=5,collector_set_id=-1)')[0], { collectorSetId: 0xffffffff }, 'strtoul wraps negative ids');
  t.throws(() => parseActions('sample(obs_point_id=3)'), /non-zero "probability" must be specified on sample/);
  t.throws(() => parseActions('sample(probability=70000)'), /invalid probability "70000"/);
  for (const flow of VALID) {
    const text = formatActions(parseFlowMod(flow, 'add').actions);
    t.equal(formatActions(parseActions(text)), text, `round trip of ${text}`);
  }
});

t.test('flow sample cookie round trip; other userdata is not one', async (t) => {
  const c = { bridge: 'br-int', probability: 100, collectorSetId: 0xfffffffe, obsDomainId: 7, obsPointId: 0xffffffff, inPort: 3, outputPort: 9, direction: 'egress' as const };
  t.same(decodeFlowSampleCookie(encodeFlowSampleCookie(c)), c);
  const { outputPort: _o, ...noPort } = c;
  t.same(decodeFlowSampleCookie(encodeFlowSampleCookie(noPort)), noPort, 'no sampling port');
  t.equal(decodeFlowSampleCookie(Buffer.from('5346010000', 'hex')), undefined, 'an sFlow cookie is not a flow sample cookie');
  const cut = encodeFlowSampleCookie(c);
  t.equal(decodeFlowSampleCookie(cut.subarray(0, cut.length - 1)), undefined, 'truncated');
  t.equal(decodeFlowSampleCookie(undefined), undefined);
});

// br0: LOCAL (dp 1), p1 (dp 2), p2 (dp 3), mon (dp 5).
function setup() {
  const p = new Pipeline({ now: () => 1_000_000 });
  const br = p.addBridge('br0');
  br.addPort({ name: 'br0', ofport: 65534, odpPort: 1 });
  br.addPort({ name: 'p1', ofport: 1, odpPort: 2 });
  br.addPort({ name: 'p2', ofport: 2, odpPort: 3 });
  br.addPort({ name: 'mon', ofport: 4, odpPort: 5 });
  return { p, br };
}
function ipKey(inPort: number): OdpFlowKey {
  return { inPort, eth: { src: '00:00:00:00:00:0a', dst: '00:00:00:00:00:0b' }, ethType: 0x0800,
    ipv4: { src: '10.0.0.1', dst: '10.0.0.2', proto: 17, tos: 0, ttl: 64, frag: 0 }, udp: { src: 1000, dst: 2000 } };
}
type Userspace = Extract<OdpAction, { type: 'userspace' }>;
type Sample = Extract<OdpAction, { type: 'sample' }>;

t.test('translation: sample only with IPFIX on the bridge; probability scaled; cookie says what the exporter needs', async (t) => {
  const { p, br } = setup();
  br.delFlows('');
  br.addFlow('in_port=1,actions=sample(probability=32768,collector_set_id=5,obs_domain_id=6,obs_point_id=7),output:2');
  let r = p.translate({ key: ipKey(2) }, { sideEffects: false });
  t.same(r.actions, [{ type: 'output', port: 3 }], 'no IPFIX on the bridge: the sample action does nothing (as OVS without dpif_ipfix)');
  br.setFlowSampling(true);
  r = p.translate({ key: ipKey(2) }, { sideEffects: false });
  t.equal(r.actions.length, 2);
  const s = r.actions[0] as Sample;
  t.equal(s.type, 'sample');
  t.equal(s.probability, 0x80008000, '16-bit probability scaled to 32 bits as (p << 16) | p');
  const u = s.actions[0] as Userspace;
  t.equal(u.type, 'userspace');
  t.same(decodeFlowSampleCookie(u.userdata), { bridge: 'br0', probability: 32768, collectorSetId: 5, obsDomainId: 6, obsPointId: 7, inPort: 2, direction: 'default' });
  t.same(r.actions[1], { type: 'output', port: 3 }, 'then the output, in rule order');
  t.equal(r.mask.udp, undefined, 'sampling consults no packet field');

  br.setFlowSampling(false);
  br.setIpfixSampling(10);
  r = p.translate({ key: ipKey(2) }, { sideEffects: false });
  t.ok(r.actions.some((a) => a.type === 'sample' && (a.actions[0] as Userspace).userdata && decodeFlowSampleCookie((a.actions[0] as Userspace).userdata)),
    'bridge IPFIX alone also enables sample actions (OVS: they share the bridge\'s dpif_ipfix)');
});

t.test('translation: probability 65535 is the bare userspace action; header changes committed first', async (t) => {
  const { p, br } = setup();
  br.setFlowSampling(true);
  br.delFlows('');
  br.addFlow('in_port=1,ip,actions=mod_nw_dst:10.9.9.9,sample(probability=65535,collector_set_id=1,obs_domain_id=2,obs_point_id=3,sampling_port=2,egress),output:2');
  const r = p.translate({ key: ipKey(2) }, { sideEffects: false });
  t.same(r.actions.map((a) => a.type), ['set_masked', 'userspace', 'output'], 'set before the sample (the sample sees the changed packet), no sample wrapper');
  t.same(decodeFlowSampleCookie((r.actions[1] as Userspace).userdata), { bridge: 'br0', probability: 65535, collectorSetId: 1, obsDomainId: 2, obsPointId: 3, inPort: 2, outputPort: 3, direction: 'egress' },
    'sampling_port 2 is datapath port 3');
});

t.test('translation: sampling_port equal to the input port, or unknown', async (t) => {
  const { p, br } = setup();
  br.setFlowSampling(true);
  br.delFlows('');
  br.addFlow('in_port=1,actions=sample(probability=65535,collector_set_id=1,sampling_port=1),sample(probability=65535,collector_set_id=2,sampling_port=99),output:2');
  const r = p.translate({ key: ipKey(2) }, { sideEffects: false, trace: true });
  t.equal(r.actions.length, 2, 'the sample naming an unknown port is dropped');
  const c = decodeFlowSampleCookie((r.actions[0] as Userspace).userdata)!;
  t.equal(c.collectorSetId, 1);
  t.equal(c.outputPort, undefined, 'sampling_port = in_port: an ingress sample (no output port)');
  t.match(r.trace.join('\n'), /can't use unknown port 99 in flow sample action/);
});

t.test('mirror snaplen: copies truncated, normal outputs whole', async (t) => {
  const { p, br } = setup();
  t.same(br.setMirrors([{ name: 'm', srcPorts: ['p1'], outPort: 'mon', snaplen: 64 }]), []);
  p.translate({ key: { inPort: 3, eth: { src: '00:00:00:00:00:0b', dst: '00:00:00:00:00:0a' }, ethType: 0x88b5 } });
  const r = p.translate({ key: { inPort: 2, eth: { src: '00:00:00:00:00:0a', dst: '00:00:00:00:00:0b' }, ethType: 0x88b5 } });
  t.same(r.actions, [{ type: 'trunc', maxLen: 64 }, { type: 'output', port: 5 }, { type: 'output', port: 3 }], 'trunc only before the copy');
  br.setMirrors([{ name: 'm', srcPorts: ['p1'], outPort: 'mon', snaplen: 65535 }]);
  const whole = p.translate({ key: { inPort: 2, eth: { src: '00:00:00:00:00:0a', dst: '00:00:00:00:00:0b' }, ethType: 0x88b5 } });
  t.notOk(whole.actions.some((a) => a.type === 'trunc'), 'snaplen 65535 means whole packets (OVS: only below UINT16_MAX)');
  br.setMirrors([{ name: 'm', dstPorts: ['p2'], outVlan: 20, snaplen: 100 }]);
  const rspan = p.translate({ key: { inPort: 2, eth: { src: '00:00:00:00:00:0a', dst: '00:00:00:00:00:0b' }, ethType: 0x88b5 } });
  const types = rspan.actions.map((a) => a.type);
  t.equal(types.filter((x) => x === 'trunc').length, types.filter((x) => x === 'output').length - 1, 'RSPAN: every flooded copy is truncated, the real output is not');
  t.same(rspan.actions.find((a) => a.type === 'trunc'), { type: 'trunc', maxLen: 100 });
  const ms = new MirrorSet();
  t.throws(() => ms.configure([{ name: 'x', outPort: 'mon', snaplen: 13 }]), /snaplen 13 is out of range \(expected 14\.\.65535\)/);
  t.ok(ms.configure([{ name: 'x', outPort: 'mon', snaplen: 14 }]).changed);
  t.ok(ms.configure([{ name: 'x', outPort: 'mon', snaplen: 15 }]).changed, 'a snaplen change is a configuration change');
});

t.test('IPFIX exporter: flow-based records per observation domain with direction and delta counts', async (t) => {
  const sock = createSocket('udp4');
  const got: Buffer[] = [];
  sock.on('message', (m) => got.push(m));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  t.teardown(() => sock.close());
  const port = sock.address().port;
  const x = new IpfixExporter({ targets: [{ host: '127.0.0.1', port }], observationDomainId: 0, observationPointId: 0, samplingRate: 1,
    cacheActiveTimeout: 0, cacheMaxFlows: 0, templateIntervalSeconds: 600 });
  const frame = Buffer.alloc(60);
  Buffer.from('00000000000b00000000000a0800', 'hex').copy(frame, 0);
  Buffer.from('4500002e000000004011', 'hex').copy(frame, 14);
  Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]).copy(frame, 26);
  frame.writeUInt16BE(1000, 34); frame.writeUInt16BE(2000, 36);
  x.sampleWith(frame, { inPort: 2, obsDomainId: 11, obsPointId: 21, direction: 'default', packetDeltaCount: 2n });
  x.sampleWith(frame, { inPort: 2, outPort: 3, obsDomainId: 12, obsPointId: 22, direction: 'default', packetDeltaCount: 1n });
  x.sampleWith(frame, { inPort: 2, outPort: 3, obsDomainId: 12, obsPointId: 23, direction: 'ingress', packetDeltaCount: 1n });
  const arp = Buffer.alloc(42); Buffer.from('ffffffffffff00000000000a0806', 'hex').copy(arp, 0);
  const otherIp = Buffer.from(frame); otherIp[23] = 47; // GRE: IPv4 without a transport IPFIX records
  x.sampleWith(arp, { inPort: 2, obsDomainId: 13, obsPointId: 1, direction: 'default', packetDeltaCount: 1n });
  x.sampleWith(otherIp, { inPort: 2, obsDomainId: 13, obsPointId: 1, direction: 'default', packetDeltaCount: 1n });
  x.flush();
  for (let i = 0; i < 50 && got.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
  t.match(x.stats(), { totalFlows: 5, currentFlows: 0, pkts: 5, ipv4Pkts: 3, ipv6Pkts: 0, errorPkts: 1, ipv4ErrorPkts: 1, ipv6ErrorPkts: 0, txPkts: 3, txErrors: 0 },
    'exporting-process counters: ARP is neither ok nor an error, IPv4 without a known transport is an IPv4 error');
  x.close();
  got.splice(0, got.length, ...got.filter((m) => m.readUInt32BE(12) !== 13));
  t.equal(got.length, 2, 'one message per observation domain');
  const byDomain = new Map(got.map((m) => [m.readUInt32BE(12), m]));
  t.same([...byDomain.keys()].sort(), [11, 12]);
  for (const m of got) {
    t.equal(m.readUInt16BE(0), 10);
    t.equal(m.readUInt16BE(16), 2, 'templates first in each domain\'s first message');
    t.equal(m.readUInt32BE(8), 0, 'sequence numbers count per domain');
  }
  // Template 257 layout: obsPoint(4) dir(1) srcMac(6) dstMac(6) ethType(2) vlan(2) srcIp(4) dstIp(4) proto(1) tos(1) ttl(1)
  // sport(2) dport(2) in(4) out(4) start(8) end(8) packets(8) octets(8) reason(1) = 77 bytes.
  const records = (m: Buffer) => {
    const out: Buffer[] = [];
    let o = 16;
    while (o < m.length) {
      const id = m.readUInt16BE(o), len = m.readUInt16BE(o + 2);
      if (id === 257) for (let p = o + 4; p + 77 <= o + len; p += 77) out.push(m.subarray(p, p + 77));
      o += len;
    }
    return out;
  };
  const d11 = records(byDomain.get(11)!), d12 = records(byDomain.get(12)!);
  t.equal(d11.length, 1);
  t.equal(d11[0]!.readUInt32BE(0), 21, 'observation point from the sample');
  t.equal(d11[0]![4], 0, 'no output port: ingress');
  t.equal(d11[0]!.readBigUInt64BE(60), 2n, 'packetDeltaCount from the sample');
  t.equal(d11[0]!.readBigUInt64BE(68), 120n, 'octets = packets x frame length');
  t.equal(d12.length, 2);
  const p22 = d12.find((r) => r.readUInt32BE(0) === 22)!, p23 = d12.find((r) => r.readUInt32BE(0) === 23)!;
  t.equal(p22[4], 1, 'an output port and no direction: egress');
  t.equal(p22.readUInt32BE(40), 3, 'egressInterface');
  t.equal(p23[4], 0, 'direction ingress as the action said');
});

t.test('IPFIX exporter: a burst of records is cut into messages of at most 1400 bytes', async (t) => {
  const sock = createSocket('udp4');
  const got: Buffer[] = [];
  sock.on('message', (m) => got.push(m));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  t.teardown(() => sock.close());
  sock.setRecvBufferSize(8 * 1024 * 1024); // the whole burst is sent at once
  const errors: string[] = [];
  const x = new IpfixExporter({ targets: [{ host: '127.0.0.1', port: sock.address().port }], observationDomainId: 0, observationPointId: 0, samplingRate: 1,
    cacheActiveTimeout: 0, cacheMaxFlows: 0, templateIntervalSeconds: 600 }, (m) => errors.push(m));
  const frame = Buffer.alloc(60);
  Buffer.from('00000000000b00000000000a0800', 'hex').copy(frame, 0);
  Buffer.from('4500002e000000004011', 'hex').copy(frame, 14);
  const arp = Buffer.alloc(42); Buffer.from('ffffffffffff00000000000a0806', 'hex').copy(arp, 0);
  const n = 3000; // about 230 KB of records: once a single message (and a crash: IPFIX lengths are 16 bits)
  for (let i = 0; i < n; i++) x.sampleWith(i % 3 ? frame : arp, { inPort: 1, obsDomainId: 5, obsPointId: i, direction: 'default', packetDeltaCount: 1n });
  x.flush();
  const decode = ipfixDecoder();
  let records = 0, nextSeq = 0, seqOk = true, biggest = 0;
  for (let i = 0; i < 100 && records < n; i++) {
    await new Promise((r) => setTimeout(r, 20));
    while (got.length) {
      const m = got.shift()!;
      const d = decode(m);
      // UDP may drop some of the burst (a small net.core.rmem_max): sequence numbers may skip, never go back.
      if (d.sequence < nextSeq) seqOk = false;
      nextSeq = d.sequence + d.records.length;
      records += d.records.length;
      biggest = Math.max(biggest, m.length);
    }
  }
  x.close();
  t.equal(x.recordsSent, n, 'every record was sent');
  t.ok(records > 0 && biggest <= 1400, `messages of at most 1400 bytes (largest ${biggest}; ${records} records received)`);
  t.ok(seqOk, 'each message\'s sequence number counts the records sent before it');
  t.same(errors, []);
});
