// Classifier: priority order, masked matches, the wildcard mask a lookup accumulates, and a
// 10k-rule table checked against a linear scan.
import t from 'tap';
import { Classifier, ClassifierRule } from '../../engine/pipeline/classifier.js';
import { parseFlowMod } from '../../engine/pipeline/flow-syntax.js';
import { Match, matchesFlow } from '../../engine/pipeline/match.js';
import { F, zeroVec, FlowVec, ETH_TYPE, IPPROTO, macToBig, ipToBig } from '../../engine/pipeline/fields.js';

interface R extends ClassifierRule { name: string }
function rule(text: string, name = text): R {
  const fm = parseFlowMod(`${text},actions=drop`);
  return { match: fm.match, priority: fm.priority, name };
}
function pkt(fields: Partial<Record<keyof typeof F, bigint | number>>): FlowVec {
  const v = zeroVec();
  for (const [k, val] of Object.entries(fields)) v[F[k as keyof typeof F]] = BigInt(val as number);
  return v;
}
const tcpPkt = (src: string, dst: string, dport: number, inPort = 1) => pkt({
  in_port: inPort, dl_type: ETH_TYPE.IP, nw_proto: IPPROTO.TCP, nw_src: ipToBig(src)!, nw_dst: ipToBig(dst)!, tp_dst: dport,
});

t.test('highest priority wins, masks apply', async (t) => {
  const c = new Classifier<R>();
  c.insert(rule('priority=0', 'default'));
  c.insert(rule('priority=10,ip,nw_dst=10.0.0.0/8', 'ten'));
  c.insert(rule('priority=20,tcp,nw_dst=10.1.0.0/16,tp_dst=80', 'web'));
  c.insert(rule('priority=30,tcp,tp_dst=0x1000/0xf000', 'range'));
  t.equal(c.lookup(tcpPkt('1.1.1.1', '10.1.2.3', 80))?.name, 'web');
  t.equal(c.lookup(tcpPkt('1.1.1.1', '10.2.2.3', 80))?.name, 'ten');
  t.equal(c.lookup(tcpPkt('1.1.1.1', '11.2.2.3', 80))?.name, 'default');
  t.equal(c.lookup(tcpPkt('1.1.1.1', '10.1.2.3', 0x1234))?.name, 'range');
  t.equal(c.lookup(tcpPkt('1.1.1.1', '10.1.2.3', 0x2234))?.name, 'ten');
  t.equal(c.size, 4);
  const web = c.findExact(parseFlowMod('tcp,nw_dst=10.1.0.0/16,tp_dst=80,actions=drop').match, 20);
  t.equal(web?.name, 'web');
  t.ok(c.remove(web!));
  t.notOk(c.remove(web!), 'second removal finds nothing');
  t.equal(c.lookup(tcpPkt('1.1.1.1', '10.1.2.3', 80))?.name, 'ten');
  t.equal(c.findExact(parseFlowMod('tcp,nw_dst=10.1.0.0/16,tp_dst=80,actions=drop').match, 20), undefined);
});

t.test('lookup un-wildcards only what it consulted', async (t) => {
  const c = new Classifier<R>();
  c.insert(rule('priority=0', 'default'));
  let wc = zeroVec();
  c.lookup(tcpPkt('1.1.1.1', '10.1.2.3', 80), wc);
  t.ok(wc.every((x) => x === 0n), 'catch-all alone consults nothing');

  c.insert(rule('priority=10,in_port=5,tcp,tp_dst=22', 'ssh5'));
  wc = zeroVec();
  t.equal(c.lookup(tcpPkt('1.1.1.1', '10.1.2.3', 22, 1), wc)?.name, 'default');
  t.equal(wc[F.in_port], 0xffffn, 'in_port consulted');
  t.equal(wc[F.tp_dst], 0n, 'in_port mismatch rejected the subtable before L4 was looked at');
  t.equal(wc[F.dl_type], 0n);

  wc = zeroVec();
  t.equal(c.lookup(tcpPkt('1.1.1.1', '10.1.2.3', 23, 5), wc)?.name, 'default');
  t.equal(wc[F.tp_dst], 0xffffn, 'with in_port matching, tp_dst had to be checked');
  t.equal(wc[F.dl_type], 0xffffn);
  t.equal(wc[F.nw_src], 0n, 'nw_src never consulted');

  // A higher-priority subtable that matches stops the search: lower ones are not consulted.
  c.insert(rule('priority=100,ip,nw_src=1.1.1.1', 'top'));
  c.insert(rule('priority=50,dl_src=00:00:00:00:00:01', 'mid'));
  wc = zeroVec();
  t.equal(c.lookup(tcpPkt('1.1.1.1', '10.1.2.3', 23, 5), wc)?.name, 'top');
  t.equal(wc[F.dl_src], 0n, 'priority-50 subtable skipped after a priority-100 hit');
  t.equal(wc[F.nw_src], 0xffffffffn);
});

t.test('10k rules: same answers as a linear scan, few subtables', async (t) => {
  const c = new Classifier<R>();
  const all: R[] = [];
  let seed = 12345;
  // mulberry32: deterministic, well spread.
  const rnd = (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) % n;
  };
  for (let i = 0; i < 10000; i++) {
    const kind = i % 4;
    let text: string;
    if (kind === 0) text = `priority=${100 + rnd(50)},in_port=${1 + rnd(200)},ip,nw_dst=10.${rnd(256)}.${rnd(256)}.${rnd(256)}`;
    else if (kind === 1) text = `priority=${200 + rnd(50)},tcp,nw_src=192.168.${rnd(256)}.0/24,tp_dst=${rnd(1024)}`;
    else if (kind === 2) text = `priority=${50 + rnd(50)},dl_dst=00:00:00:${(rnd(256)).toString(16)}:${(rnd(256)).toString(16)}:01`;
    else text = `priority=${300 + rnd(10)},reg0=${rnd(5000)},in_port=${1 + rnd(200)}`;
    const r = rule(text, `r${i}`);
    if (c.findExact(r.match, r.priority)) continue;
    c.insert(r);
    all.push(r);
  }
  t.ok(c.size > 9900, `inserted ${c.size} rules`);
  t.ok(c.subtableCount <= 4, `rules share ${c.subtableCount} subtables`);
  const linear = (p: FlowVec) => {
    let best: R | undefined;
    for (const r of all) if (matchesFlow(r.match as Match, p) && (!best || r.priority > best.priority)) best = r;
    return best;
  };
  let agree = 0, hits = 0;
  for (let i = 0; i < 200; i++) {
    const pick = all[rnd(all.length)]!;
    // A packet built from a rule (so lookups hit), or a random one.
    const p = i % 2 === 0 ? pick.match.value.slice() : tcpPkt(`192.168.${rnd(256)}.9`, `10.${rnd(256)}.1.1`, rnd(1024), 1 + rnd(200));
    if (i % 2 === 0) { p[F.dl_type] = p[F.dl_type] || BigInt(ETH_TYPE.IP); }
    const a = c.lookup(p), b = linear(p);
    if (a?.priority === b?.priority && (a === b || (a && b))) agree++;
    if (a) hits++;
  }
  t.equal(agree, 200, 'every lookup agrees with the linear scan on the winning priority');
  t.ok(hits >= 100, `${hits} lookups hit a rule (every packet built from a rule does)`);
  for (const r of all.slice(0, 5000)) c.remove(r);
  t.equal(c.size, all.length - 5000);
  t.equal(macToBig('00:00:00:00:00:01'), 1n);
});
