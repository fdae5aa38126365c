// sFlow sampling in translation: the sample action comes first, with the bridge's probability and a
// cookie naming the input and output ports; the cookie round-trips and rejects foreign userdata.
import t from 'tap';
import { Pipeline } from '../../engine/pipeline/pipeline.js';
import { decodeSflowCookie, encodeSflowCookie } from '../../engine/pipeline/sflow-cookie.js';
import { encodeDatagram, encodeFlowSample, parseSflowTarget } from '../../engine/vswitch/sflow.js';
import { decodeSflow } from '../lib/sflow-decode.js';

t.test('translation prepends sample(userspace(cookie)) when sFlow is on', async (t) => {
  const p = new Pipeline({ now: () => 0 });
  const br = p.addBridge('br0');
  br.addPort({ name: 'p1', ofport: 1, odpPort: 2 });
  br.addPort({ name: 'p2', ofport: 2, odpPort: 3 });
  const key = { inPort: 2, eth: { src: '00:00:00:00:00:0a', dst: 'ff:ff:ff:ff:ff:ff' }, ethType: 0x88b5 };
  t.same(p.translate({ key }).actions, [{ type: 'output', port: 3 }], 'no sampling by default');
  const g = p.generation;
  br.setSflowSampling(400);
  t.not(p.generation, g, 'turning sFlow on revalidates flows');
  const r = p.translate({ key });
  const s = r.actions[0] as { type: 'sample'; probability: number; actions: Array<{ type: 'userspace'; pid: number; userdata: Buffer }> };
  t.equal(s.type, 'sample');
  t.equal(s.probability, Math.floor(0xffffffff / 400), 'probability UINT32_MAX / sampling, as OVS');
  t.same(decodeSflowCookie(s.actions[0]!.userdata), { bridge: 'br0', inPort: 2, outPorts: [3], vlanTci: 0 });
  t.same(r.actions.slice(1), [{ type: 'output', port: 3 }], 'then the forwarding actions');
  br.setSflowSampling(0);
  t.same(p.translate({ key }).actions, [{ type: 'output', port: 3 }], 'off again');
  t.throws(() => br.setSflowSampling(-1), /sampling rate -1/);
});

t.test('cookie and datagram encoding', async (t) => {
  const c = { bridge: 'br-int', inPort: 7, outPorts: [1, 2, 3], vlanTci: 0x1384 };
  t.same(decodeSflowCookie(encodeSflowCookie(c)), c);
  t.equal(decodeSflowCookie(Buffer.from('not a cookie')), undefined);
  t.equal(decodeSflowCookie(encodeSflowCookie(c).subarray(0, 12)), undefined, 'truncated');
  const frame = Buffer.alloc(60, 0xab);
  const d = decodeSflow(encodeDatagram('10.0.0.1', 0, 9, 1234, [encodeFlowSample(3, 64, 640, {
    inputIfIndex: 5, outputIfIndex: 6, sourceIfIndex: 5, packet: frame, srcVlan: 10, srcPriority: 0, dstVlan: 10, dstPriority: 0 }, 40)]));
  t.match(d, { version: 5, agent: '10.0.0.1', seq: 9, uptime: 1234 });
  t.match(d.samples[0], { kind: 'flow', seq: 3, sourceId: 5, samplingRate: 64, samplePool: 640, input: 5, output: 6, ext: { srcVlan: 10, dstVlan: 10 } });
  t.equal((d.samples[0] as { header: { bytes: Buffer } }).header.bytes.length, 40, 'header truncated to the configured length');
  t.same(parseSflowTarget('10.1.2.3'), { host: '10.1.2.3', port: 6343 });
  t.same(parseSflowTarget('10.1.2.3:9999'), { host: '10.1.2.3', port: 9999 });
  t.throws(() => parseSflowTarget('collector:6343'), /not IPv4\[:PORT\]/);
  t.throws(() => parseSflowTarget('10.1.2.3:70000'), /port 70000 is out of range/);
});
