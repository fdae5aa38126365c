// Megaflow soundness: for random packets, every other packet that falls inside a translated
// megaflow (key under mask) must translate to the same datapath actions; and the masks must be
// narrower than exact-match for the common cases (wildcarding is actually happening).
import t from 'tap';
import type { OdpFlowKey, OdpAction } from '../../engine/channel/odp-types.js';
import { Pipeline } from '../../engine/pipeline/pipeline.js';

function macNum(m: string): bigint { return BigInt('0x' + m.replace(/:/g, '')); }
function ipNum(ip: string): number { return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0); }

/** Whether packet `p` is inside the megaflow (key, mask), as a datapath would decide. */
function inMegaflow(key: OdpFlowKey, mask: OdpFlowKey, p: OdpFlowKey): boolean {
  const eq = (a: number, b: number, m: number) => ((a ^ b) & m) === 0 || (m >= 2 ** 31 && Number((BigInt(a) ^ BigInt(b)) & BigInt(m)) === 0);
  const eqBig = (a: bigint, b: bigint, m: bigint) => ((a ^ b) & m) === 0n;
  if (mask.inPort !== undefined && !eqBig(BigInt(key.inPort ?? 0), BigInt(p.inPort ?? 0), BigInt(mask.inPort))) return false;
  if (mask.eth) {
    if (!key.eth || !p.eth) return false;
    if (!eqBig(macNum(key.eth.src), macNum(p.eth.src), macNum(mask.eth.src))) return false;
    if (!eqBig(macNum(key.eth.dst), macNum(p.eth.dst), macNum(mask.eth.dst))) return false;
  }
  if (mask.vlanTci !== undefined && !eq(key.vlanTci ?? 0, p.vlanTci ?? 0, mask.vlanTci)) return false;
  if (mask.ethType !== undefined && !eq(key.ethType ?? 0, p.ethType ?? 0, mask.ethType)) return false;
  if (mask.ipv4) {
    if (!key.ipv4 || !p.ipv4) return false;
    const m = mask.ipv4, a = key.ipv4, b = p.ipv4;
    if (!eqBig(BigInt(ipNum(a.src)), BigInt(ipNum(b.src)), BigInt(ipNum(m.src)))) return false;
    if (!eqBig(BigInt(ipNum(a.dst)), BigInt(ipNum(b.dst)), BigInt(ipNum(m.dst)))) return false;
    if (!eq(a.proto, b.proto, m.proto) || !eq(a.tos, b.tos, m.tos) || !eq(a.ttl, b.ttl, m.ttl) || !eq(a.frag, b.frag, m.frag)) return false;
  }
  for (const l4 of ['tcp', 'udp'] as const) {
    const m = mask[l4];
    if (m) {
      const a = key[l4], b = p[l4];
      if (!a || !b) return false;
      if (!eq(a.src, b.src, m.src) || !eq(a.dst, b.dst, m.dst)) return false;
    }
  }
  // A packet without the L4 header the key has cannot be inside (the datapath key differs in shape).
  if ((key.tcp === undefined) !== (p.tcp === undefined) || (key.udp === undefined) !== (p.udp === undefined)) return false;
  if ((key.ipv4 === undefined) !== (p.ipv4 === undefined)) return false;
  return true;
}

const canon = (a: OdpAction[]) => JSON.stringify(a);

t.test('every packet inside a megaflow gets the megaflow\'s actions', async (t) => {
  const p = new Pipeline({ now: () => 0 });
  const br = p.addBridge('br0');
  br.addPort({ name: 'p1', ofport: 1, odpPort: 1, tag: 10 });
  br.addPort({ name: 'p2', ofport: 2, odpPort: 2, tag: 20 });
  br.addPort({ name: 'p3', ofport: 3, odpPort: 3 });
  br.addPort({ name: 'p4', ofport: 4, odpPort: 4, trunks: [10, 20] });
  br.addFlow('priority=100,tcp,nw_dst=10.0.0.0/24,tp_dst=22,actions=drop');
  br.addFlow('priority=90,in_port=3,udp,actions=mod_nw_src:192.168.0.1,resubmit(,1)');
  br.addFlow('priority=80,ip,nw_src=10.0.1.0/24,actions=mod_vlan_vid:30,output:3');
  br.addFlow('table=1,priority=10,udp,tp_src=53,actions=output:1');
  br.addFlow('table=1,priority=5,actions=NORMAL');
  br.addFlow('priority=70,dl_src=00:00:00:00:00:03,actions=strip_vlan,output:2');

  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) % n;
  };
  const macs = ['00:00:00:00:00:01', '00:00:00:00:00:02', '00:00:00:00:00:03', '00:00:00:00:00:04', 'ff:ff:ff:ff:ff:ff'];
  const ips = ['10.0.0.1', '10.0.0.2', '10.0.1.5', '10.0.2.9', '192.168.7.7'];
  const mk = (): OdpFlowKey => {
    const k: OdpFlowKey = { inPort: 1 + rnd(4), eth: { src: macs[rnd(4)]!, dst: macs[rnd(5)]! }, ethType: 0x0800 };
    if (rnd(3) === 0) k.vlanTci = 0x1000 | [10, 20, 30][rnd(3)]! | (rnd(2) << 13);
    k.ipv4 = { src: ips[rnd(5)]!, dst: ips[rnd(5)]!, proto: rnd(2) ? 6 : 17, tos: rnd(2) * 4, ttl: 64, frag: 0 };
    const ports = { src: [53, 1000, 2000][rnd(3)]!, dst: [22, 80, 53][rnd(3)]! };
    if (k.ipv4.proto === 6) k.tcp = ports; else k.udp = ports;
    return k;
  };
  // Teach the switch some MACs first (with side effects), then check without side effects.
  for (let i = 0; i < 60; i++) p.translate({ key: mk() });
  const samples = Array.from({ length: 400 }, mk);
  const results = samples.map((key) => ({ key, r: p.translate({ key }, { sideEffects: false }) }));
  let pairs = 0, violations = 0;
  for (const a of results) {
    for (const b of results) {
      if (a === b || !inMegaflow(a.key, a.r.mask, b.key)) continue;
      pairs++;
      if (canon(a.r.actions) !== canon(b.r.actions)) {
        violations++;
        if (violations <= 3) t.fail(`packet ${JSON.stringify(b.key)} inside megaflow of ${JSON.stringify(a.key)} mask ${JSON.stringify(a.r.mask)} got ${canon(b.r.actions)} not ${canon(a.r.actions)}`);
      }
    }
  }
  t.equal(violations, 0, `${pairs} packet pairs shared a megaflow, all with identical actions`);
  t.ok(pairs > 100, `megaflows are wide enough to cover other packets (${pairs} pairs)`);
  const wildSrc = results.filter((x) => x.r.mask.ipv4?.src === '0.0.0.0').length;
  t.ok(wildSrc > 0, `${wildSrc} megaflows leave nw_src wildcarded`);
});

t.test('NORMAL-only bridges with VLAN modes and a patch: megaflows stay sound', async (t) => {
  const p = new Pipeline({ now: () => 0 });
  const b0 = p.addBridge('br0');
  const b1 = p.addBridge('br1');
  b0.addPort({ name: 'a10', ofport: 1, odpPort: 1, tag: 10 });
  b0.addPort({ name: 't', ofport: 2, odpPort: 2, trunks: [10, 20] });
  b0.addPort({ name: 'nu', ofport: 3, odpPort: 3, tag: 20, vlanMode: 'native-untagged' });
  b0.addPort({ name: 'px', ofport: 4, patchPeer: 'py' });
  b1.addPort({ name: 'py', ofport: 1, patchPeer: 'px' });
  b1.addPort({ name: 'q', ofport: 2, odpPort: 5, tag: 20 });
  let seed = 99;
  const rnd = (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) % n;
  };
  const macs = ['00:00:00:00:00:01', '00:00:00:00:00:02', '00:00:00:00:00:03', 'ff:ff:ff:ff:ff:ff'];
  const mk = (): OdpFlowKey => {
    const k: OdpFlowKey = { inPort: [1, 2, 3, 5][rnd(4)]!, eth: { src: macs[rnd(3)]!, dst: macs[rnd(4)]! }, ethType: 0x88b5 };
    if (rnd(2)) k.vlanTci = 0x1000 | [0, 10, 20, 30][rnd(4)]! | (rnd(4) << 13);
    return k;
  };
  for (let i = 0; i < 40; i++) p.translate({ key: mk() });
  const results = Array.from({ length: 300 }, mk).map((key) => ({ key, r: p.translate({ key }, { sideEffects: false }) }));
  let pairs = 0, violations = 0;
  for (const a of results) {
    for (const b of results) {
      if (a === b || !inMegaflow(a.key, a.r.mask, b.key)) continue;
      pairs++;
      if (canon(a.r.actions) !== canon(b.r.actions)) {
        violations++;
        if (violations <= 3) t.fail(`${JSON.stringify(b.key)} inside megaflow of ${JSON.stringify(a.key)} (mask ${JSON.stringify(a.r.mask)}): ${canon(b.r.actions)} vs ${canon(a.r.actions)}`);
      }
    }
  }
  t.equal(violations, 0, `${pairs} packet pairs shared a megaflow, all with identical actions`);
  t.ok(pairs > 100, `PCP stays wildcarded under NORMAL, so tagged packets share megaflows (${pairs} pairs)`);
});
