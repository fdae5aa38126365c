// Flow_Sample_Collector_Set configuration in the switch, without root: our database, the switch
// reconciler over an in-memory datapath, rows made with the ovs-vsctl library. A collector set
// whose IPFIX row has targets turns sample translation on for its bridge only; rows with no
// targets, bad targets or another bridge are ignored (bad targets logged); a userspace-action
// upcall carrying a flow-sample cookie becomes an IPFIX record at that set's collector (none for an
// unknown set); removing the rows turns sampling off and dump-ipfix-flow says not configured.
import t from 'tap';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { DatapathEndpoint } from '../../engine/channel/datapath-endpoint.js';
import { Dpif } from '../../engine/channel/dpif.js';
import { createDatabase } from '../../engine/ovsdb/database.js';
import { LocalClient } from '../../engine/ovsdb/local-client.js';
import { readSchemaFile } from '../../engine/ovsdb/schema-file.js';
import { projectRoot } from '../../engine/setup/paths.js';
import { executeParsed, parseCommandLine } from '../../engine/vsctl/index.js';
import { LocalConfigSource } from '../../engine/vswitch/config-source.js';
import { VSwitch } from '../../engine/vswitch/vswitch.js';
import { dumpIpfixFlow } from '../../engine/vswitch/commands.js';
import { encodeFlowSampleCookie } from '../../engine/pipeline/flow-sample-cookie.js';
import { MemoryDatapath } from '../lib/memory-datapath.js';
import { ipfixDecoder, ipfixField as f, type IpfixMessage } from '../lib/ipfix-decode.js';
import { waitFor } from '../lib/wait.js';

t.test('collector sets: configuration, samples to their collector, removal', async (t) => {
  const db = createDatabase(readSchemaFile(join(projectRoot, 'manifests/vswitch.ovsschema')));
  const client = new LocalClient(new Map([['Open_vSwitch', db]]));
  const vsctl = async (line: string) => {
    const r = await executeParsed(client, parseCommandLine(line.match(/(?:[^\s"]+|"[^"]*")+/g)!, new Map()), { noWait: true });
    return r.stdout;
  };
  await vsctl('init');
  const mem = new MemoryDatapath();
  const dpif = await Dpif.open(new DatapathEndpoint(mem), 'ovs-system');
  const logs: string[] = [];
  const log = { info: (m: string) => logs.push(`info ${m}`), warn: (m: string) => logs.push(`warn ${m}`), err: (m: string) => logs.push(`err ${m}`), dbg: () => {} };
  const sw = new VSwitch({ source: new LocalConfigSource(db), dpif, log, version: '3.1.0' });
  t.teardown(() => sw.stop());
  await sw.start();

  const sock = createSocket('udp4');
  const decode = ipfixDecoder();
  const msgs: IpfixMessage[] = [];
  sock.on('message', (m) => msgs.push(decode(m)));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  t.teardown(() => sock.close());
  const port = sock.address().port;

  await vsctl('add-br br0');
  await vsctl('add-br br1');
  await vsctl('add-port br0 p1 -- set Interface p1 type=internal');
  await vsctl(`-- --id=@br get Bridge br0 -- --id=@i create IPFIX targets="127.0.0.1:${port}" -- create Flow_Sample_Collector_Set id=5 bridge=@br ipfix=@i`);
  await vsctl('-- --id=@br get Bridge br0 -- --id=@i create IPFIX targets="nonsense" -- create Flow_Sample_Collector_Set id=6 bridge=@br ipfix=@i');
  await vsctl('-- --id=@br get Bridge br0 -- --id=@i create IPFIX sampling=10 -- create Flow_Sample_Collector_Set id=7 bridge=@br ipfix=@i');
  await vsctl('-- --id=@br get Bridge br1 -- create Flow_Sample_Collector_Set id=8 bridge=@br');
  await sw.reconcileNow();
  const br0 = sw.pipeline.bridge('br0'), br1 = sw.pipeline.bridge('br1');
  t.equal(br0.flowSampling, true, 'br0 has a usable collector set: sample actions are translated');
  t.equal(br1.flowSampling, false, 'br1\'s collector set has no IPFIX row: nothing');
  t.match(dumpIpfixFlow(sw, 'br0').text, /^NXST_IPFIX_FLOW reply \(xid=0x2\): 1 ids\n  id   5: flows=0,/, 'only set 5 exports (6: bad target, 7: no targets)');
  t.ok(logs.some((l) => l.startsWith('warn bridge br0: flow sample collector set 6: IPFIX target "nonsense" is not IPv4:PORT')), 'the bad target is logged');
  t.ok(logs.some((l) => l === `info bridge br0: flow sample collector set 5: IPFIX export to 127.0.0.1:${port}`), 'the exporter is logged');

  // A sampled packet as the datapath hands it up.
  const frame = Buffer.alloc(60);
  Buffer.from('00000000000b00000000000a0800', 'hex').copy(frame, 0);
  Buffer.from('4500002e000000004011', 'hex').copy(frame, 14);
  Buffer.from([10, 0, 0, 1, 10, 0, 0, 2]).copy(frame, 26);
  frame.writeUInt16BE(1000, 34); frame.writeUInt16BE(2000, 36);
  const key = { inPort: 1, eth: { src: '00:00:00:00:00:0a', dst: '00:00:00:00:00:0b' }, ethType: 0x0800 };
  const cookie = (collectorSetId: number, bridge = 'br0') => encodeFlowSampleCookie({ bridge, probability: 100, collectorSetId, obsDomainId: 41, obsPointId: 42, inPort: 1, direction: 'egress', outputPort: 2 });
  mem.action(frame, key, cookie(5));
  mem.action(frame, key, cookie(6));
  mem.action(frame, key, cookie(5, 'br1'));
  await waitFor(() => msgs.some((m) => m.records.length > 0), 'an IPFIX record', 5000).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 300));
  const recs = msgs.flatMap((m) => m.records.map((r) => ({ domain: m.domain, r: r.fields })));
  t.equal(recs.length, 1, 'one record: the samples for set 6 (not exporting) and for br1 (no set 5 there) are dropped');
  t.equal(recs[0]?.domain, 41, 'observation domain from the action');
  t.equal(recs[0] && f.u32(recs[0].r, 138), 42, 'observation point from the action');
  t.equal(recs[0] && f.u8(recs[0].r, 61), 1, 'egress');
  t.equal(recs[0] && f.u32(recs[0].r, 14), 2, 'egress interface: the sampling port');
  t.equal(recs[0] && f.u64(recs[0].r, 2), 655, 'packetDeltaCount 65535 / probability 100');
  t.match(dumpIpfixFlow(sw, 'br0').text, /id {3}5: flows=1, current flows=0, sampled pkts=1, ipv4 ok=1,/, 'the counters saw it');

  await vsctl('--all destroy Flow_Sample_Collector_Set');
  await sw.reconcileNow();
  t.equal(br0.flowSampling, false, 'no collector set: sampling off');
  t.match(dumpIpfixFlow(sw, 'br0').text, /NXST_NOT_CONFIGURED/, 'dump-ipfix-flow: not configured');
  t.ok(logs.includes('info bridge br0: flow sample collector set 5 removed'), 'the removal is logged');
  const before = msgs.length;
  mem.action(frame, key, cookie(5));
  await new Promise((r) => setTimeout(r, 300));
  t.equal(msgs.length, before, 'a late sample for a removed set exports nothing');
});
