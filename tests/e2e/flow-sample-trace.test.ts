// Flow-based IPFIX translation against real OVS: the same bridge (br0, internal ports p1 and p2),
// the same OpenFlow rules with `sample` actions and the same Flow_Sample_Collector_Set in Debian's
// ovs-vswitchd (netdev datapath, private namespace and run directory) and in our engine; the
// "Datapath actions" line of `ovs-appctl ofproto/trace` must be the same for each traced packet,
// datapath port numbers mapped to port names. Before the collector set exists, neither emits the
// sample; after, both emit sample(...,actions(userspace(flow_sample(...)))) or the bare userspace
// action for probability 65535, in rule order, with sampling ports resolved or dropped alike. A
// mirror with snaplen=64 then adds trunc(64) before each copy, alike. dump-flows and
// dump-ipfix-flow/-bridge print the same text.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { needCommand, needRealOvs, needRoot } from '../lib/env.js';
import { EngineHarness } from '../lib/engine-harness.js';
import { realOvsInNs, sh } from '../lib/real-ovs-ns.js';

const skip = needRoot() || needRealOvs() || needCommand('ip');
const REAL_NS = `ovpsh27r${process.pid % 10000}`;

const RULES = [
  'in_port=2,actions=sample(probability=32768,collector_set_id=5),sample(probability=5,collector_set_id=5,sampling_port=1),sample(probability=5,collector_set_id=5,sampling_port=99),output:1',
  'in_port=1,icmp,actions=sample(probability=65535,collector_set_id=1,obs_domain_id=2,obs_point_id=3,sampling_port=2,egress),output:2',
  'in_port=1,udp,actions=sample(probability=100,collector_set_id=7,obs_domain_id=8,obs_point_id=9,sampling_port=in_port,ingress),output:2',
  'in_port=1,tcp,actions=output:2,sample(probability=65535,collector_set_id=5,obs_domain_id=4294967295,obs_point_id=1,sampling_port=LOCAL),sample(probability=65535,collector_set_id=5,sampling_port=1)',
];
const ETH = 'dl_src=00:00:00:00:00:0a,dl_dst=00:00:00:00:00:0b';
const TRACES = [
  `in_port=2,${ETH},icmp,nw_src=10.0.0.2,nw_dst=10.0.0.1`,
  `in_port=1,${ETH},icmp,nw_src=10.0.0.1,nw_dst=10.0.0.2`,
  `in_port=1,${ETH},udp,nw_src=10.0.0.1,nw_dst=10.0.0.2`,
  `in_port=1,${ETH},tcp,nw_src=10.0.0.1,nw_dst=10.0.0.2`,
];

/** datapath port number -> port name, from `dpif/show` ("    NAME OFPORT/ODPPORT: (TYPE)"). */
function portNames(dpifShow: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of dpifShow.split('\n')) {
    const x = /^\s+(\S+) \S+\/(\d+):/.exec(line);
    if (x) m.set(x[2]!, x[1]!);
  }
  return m;
}

/** The Datapath actions line with port numbers replaced by names. */
function normalizedActions(trace: string, names: Map<string, string>): string {
  const line = /^Datapath actions: (.*)$/m.exec(trace)?.[1] ?? `(no datapath actions in: ${trace})`;
  const name = (n: string) => names.get(n) ?? `?${n}`;
  return line.replace(/output_port=(\d+)/g, (_m, n: string) => `output_port=${n === '4294967295' ? 'none' : name(n)}`)
    .replace(/(^|,)(\d+)(?=,|$)/g, (_m, pre: string, n: string) => `${pre}${name(n)}`);
}

t.test('sample actions translate to the datapath actions real OVS produces', { skip, timeout: 180_000 }, async (t) => {
  spawnSync('ip', ['netns', 'del', REAL_NS]);
  const real = realOvsInNs(REAL_NS, 'ovsps-fs-real-');
  const h = new EngineHarness('ft');
  t.teardown(() => real.stop(300, async () => {
    await h.stop();
    spawnSync('ip', ['netns', 'del', REAL_NS]);
  }));

  // Real OVS.
  sh('ip', ['netns', 'add', REAL_NS]);
  sh('ip', ['-n', REAL_NS, 'link', 'set', 'lo', 'up']); // OVS disables an exporter whose collector it cannot reach
  const vsctlReal = real.vsctl;
  real.start();
  vsctlReal('add-br', 'br0', '--', 'set', 'bridge', 'br0', 'datapath_type=netdev');
  const appctlReal = real.appctl;
  const ofctlReal = (...args: string[]) => real.ofctl(args[0]!, 'br0', ...args.slice(1));

  // Ours.
  await h.start();
  // No IPv6 chatter (router solicitations, MLD) from the internal ports: nothing may be sampled
  // before the counters are compared.
  for (const ns of [REAL_NS, h.ns]) {
    sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  }
  h.ok('ovs-vsctl', 'add-br', 'br0');

  const both = (...args: string[]) => { vsctlReal(...args); h.ok('ovs-vsctl', ...args); };
  both('add-port', 'br0', 'p1', '--', 'set', 'Interface', 'p1', 'type=internal', 'ofport_request=1');
  both('add-port', 'br0', 'p2', '--', 'set', 'Interface', 'p2', 'type=internal', 'ofport_request=2');
  both('add-port', 'br0', 'p3', '--', 'set', 'Interface', 'p3', 'type=internal', 'ofport_request=3');
  ofctlReal('del-flows');
  h.ok('ovs-ofctl', 'del-flows', 'br0');
  for (const r of RULES) { ofctlReal('add-flow', r); h.ok('ovs-ofctl', 'add-flow', 'br0', r); }
  // dump-flows: the same match and actions text for every rule (statistics aside).
  const ruleText = (dump: string) => dump.split('\n').filter((l) => l.includes('sample(')).map((l) => l.replace(/(cookie|duration|table|n_packets|n_bytes|idle_age|hard_age)=[^ ,]*, /g, '').trim()).sort();
  const realRules = ruleText(ofctlReal('dump-flows', '--no-stats'));
  t.equal(realRules.length, RULES.length, 'real OVS has the rules');
  t.same(ruleText(h.ok('ovs-ofctl', 'dump-flows', 'br0')), realRules, 'dump-flows prints the rules as real ovs-ofctl');

  const realNames = portNames(appctlReal('dpif/show'));
  const ourNames = portNames(h.ok('ovs-appctl', 'dpif/show'));
  t.ok(realNames.size >= 4 && ourNames.size >= 4, 'both datapaths show br0, p1, p2 and p3');

  const compare = (phase: string) => {
    for (const flow of TRACES) {
      const real = normalizedActions(appctlReal('ofproto/trace', 'br0', flow), realNames);
      const ours = normalizedActions(h.ok('ovs-appctl', 'ofproto/trace', 'br0', flow), ourNames);
      t.equal(ours, real, `${phase}: ${flow} -> ${real}`);
    }
  };
  compare('no IPFIX on the bridge');
  both('--', '--id=@br', 'get', 'Bridge', 'br0', '--', '--id=@i', 'create', 'IPFIX', 'targets="127.0.0.1:4739"',
    '--', 'create', 'Flow_Sample_Collector_Set', 'id=5', 'bridge=@br', 'ipfix=@i');
  await new Promise((r) => setTimeout(r, 500));
  compare('with a collector set');
  t.equal(h.ok('ovs-ofctl', 'dump-ipfix-flow', 'br0'), ofctlReal('dump-ipfix-flow'), 'dump-ipfix-flow: the same text (nothing sampled yet)');
  t.equal(h.ok('ovs-ofctl', 'dump-ipfix-bridge', 'br0'), ofctlReal('dump-ipfix-bridge'), 'dump-ipfix-bridge: the same not-configured reply');
  // Mirror snaplen: a SPAN mirror of p1 to p3 cutting copies to 64 bytes.
  both('--', 'set', 'Bridge', 'br0', 'mirrors=@m', '--', '--id=@p1', 'get', 'Port', 'p1', '--', '--id=@p3', 'get', 'Port', 'p3',
    '--', '--id=@m', 'create', 'Mirror', 'name=m', 'select-src-port=@p1', 'select-dst-port=@p1', 'output-port=@p3', 'snaplen=64');
  await new Promise((r) => setTimeout(r, 500));
  compare('with a snaplen mirror of p1');
});
