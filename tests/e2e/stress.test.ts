// Issue 4's stress proof, end to end through our engine in a private network namespace: one bridge
// with N ports (2 VM vNICs as veth ports + N-2 internal ports; N = 1,000 is the target, see
// N_PORTS), 100,000 OpenFlow rules loaded by `ovs-ofctl add-flows br FILE`, and traffic between the two VMs that keeps flowing with the
// datapath's megaflow cache serving it (`ovs-dpctl show` cache line).
//
// Why internal ports for the bulk: in our userspace datapath an internal port is one TAP fd created
// by the switch itself (read by one of the datapath's few I/O worker threads, with epoll), so one
// `ovs-vsctl` transaction is all a port costs; a veth port needs two netdevs made by `ip link`
// beforehand plus an AF_PACKET socket with a 4 MiB rx ring per port. IPv6 is off
// in the engine's namespace so the TAPs coming up do not each send router solicitations / MLD
// reports that NORMAL would flood to every other port (1,000 x 1,000 frames of noise).
//
// Measured and printed (never asserted): time to add the ports, time to load the rules, dump-flows
// time, ping RTT before/after, the datapath hit rate over a measured ping window, engine RSS.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import t from 'tap';
import { needCommand, needRoot } from '../lib/env.js';
import { EngineHarness, type TestVm } from '../lib/engine-harness.js';
import { projectRoot } from '../../engine/setup/paths.js';

// Issue 4's 1,000 ports by default (OVS_STRESS_PORTS changes it; OVS_STRESS_RULES the rule count,
// default the 100,000). The datapath reads all ports with a fixed pool of I/O threads, so a
// port costs an fd and table entries (RSS grows by tens of MiB for 1,000 ports). Ports go in with
// BATCH add-ports per ovs-vsctl run: each run is one transaction and one reconfiguration.
const TARGET_PORTS = 1000;
const N_PORTS = Number(process.env.OVS_STRESS_PORTS ?? TARGET_PORTS);
const N_RULES = Number(process.env.OVS_STRESS_RULES ?? 100_000);
const BATCH = 1000;
const BRIDGE = 'br0';

/** The engine with 100k rules and 1,000 ports peaks under 1 GiB (measured); skip rather than push
 *  a small machine into the OOM killer. */
function needMemory(): string | false {
  const kb = Number(/MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
  const needMiB = Math.ceil(N_PORTS / 4) + 1536;
  return kb / 1024 >= needMiB ? false : `needs ~${needMiB} MiB of available memory for ${N_PORTS} ports and ${N_RULES} rules, have ${Math.round(kb / 1024)} MiB`;
}

/** CPU used by a process (user + system), in seconds. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

function enginePid(h: EngineHarness): number { return Number(readFileSync(join(h.dir, 'ovs-engine.pid'), 'utf8').trim()); }

/** Our ovs-vsctl without the harness's 2-minute cap (a batch of ports can take longer). */
function vsctl(h: EngineHarness, args: string[]): string {
  const r = spawnSync(process.execPath, [join(projectRoot, 'engine/bin/ovs-vsctl'), '--timeout=900', ...args], { encoding: 'utf8', env: h.env, timeout: 900_000 });
  if (r.status !== 0) throw new Error(`ovs-vsctl ${args.slice(0, 6).join(' ')}... exited ${r.status ?? r.signal}: ${r.stderr ?? ''}${r.error ? String(r.error) : ''}`);
  return r.stdout;
}

/** Our ovs-ofctl with room for a 100k-line reply (the harness's cli() keeps spawnSync's 1 MiB cap). */
function ofctl(h: EngineHarness, args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(projectRoot, 'engine/bin/ovs-ofctl'), ...args], { encoding: 'utf8', env: h.env, maxBuffer: 512 << 20, timeout: 300_000 });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** The i-th rule's destination: 10.100.0.0 upwards, so 10.100.0.1/.2 (the VMs) have rules too. */
function ruleDst(i: number): string {
  return `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
}

interface PingStats { sent: number; received: number; avgMs: number }

function pingStats(vm: TestVm, to: string, count: number, interval: string): PingStats {
  // -w: ping waits for every reply until the deadline. With -c alone it waits only twice the
  // largest RTT seen after the last request, so a reply delayed by a busy moment of a loaded machine
  // (the whole suite runs beside this test) was counted as lost although it arrived.
  const deadline = String(Math.ceil(count * Number(interval)) + 10);
  const r = spawnSync('ip', ['netns', 'exec', vm.ns, 'ping', '-c', String(count), '-i', interval, '-w', deadline, '-q', to], { encoding: 'utf8', timeout: 120_000 });
  const out = r.stdout ?? '';
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  const rtt = /= [\d.]+\/([\d.]+)\//.exec(out);
  return { sent: Number(m?.[1] ?? 0), received: Number(m?.[2] ?? 0), avgMs: rtt ? Number(rtt[1]) : NaN };
}

function cacheCounters(show: string): { hit: number; missed: number; line: string } {
  const m = /lookups: hit:(\d+) missed:(\d+)/.exec(show);
  return { hit: Number(m?.[1] ?? NaN), missed: Number(m?.[2] ?? NaN), line: /^ {2}cache:.*$/m.exec(show)?.[0]?.trim() ?? '(no cache line)' };
}

function engineRssMiB(h: EngineHarness): number {
  try {
    const pid = enginePid(h);
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : NaN;
  } catch { return NaN; }
}

function timed<T>(fn: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t0 };
}

const skip = needRoot() || needCommand('ping') || needCommand('ip') || needMemory();

t.test(`stress: ${N_PORTS} ports on one bridge, ${N_RULES} OpenFlow rules`, { skip, timeout: 600_000 }, async (t) => {
  const started = performance.now();
  const h = new EngineHarness('h12s');
  t.teardown(() => h.stop());
  // Each ovs-vsctl batch waits for the switch to apply it (cur_cfg); allow slow batches.
  h.env.OVS_VSCTL_WAIT_TIMEOUT = '900';
  await h.start();
  for (const k of ['all', 'default']) spawnSync('ip', ['netns', 'exec', h.ns, 'sysctl', '-qw', `net.ipv6.conf.${k}.disable_ipv6=1`]);
  const report: string[] = [];
  const note = (s: string) => { report.push(s); t.comment(s); };
  if (N_PORTS < TARGET_PORTS) note(`${N_PORTS} ports, not issue 4's ${TARGET_PORTS} (OVS_STRESS_PORTS=${N_PORTS})`);

  h.ok('ovs-vsctl', 'add-br', BRIDGE);
  const a = h.addVm('a', '10.100.0.1/16'), b = h.addVm('b', '10.100.0.2/16');
  h.ok('ovs-vsctl', 'add-port', BRIDGE, a.hostIf, '--', 'add-port', BRIDGE, b.hostIf);
  t.ok(h.ping(a, b.ip), 'the two VMs reach each other before the stress');
  const before = pingStats(a, b.ip, 20, '0.05');
  note(`ping RTT before (2 ports, 1 rule): avg ${before.avgMs} ms, ${before.received}/${before.sent} replies`);

  // 998 internal ports, BATCH per ovs-vsctl invocation chained with "--".
  const names: string[] = [];
  for (let i = 0; i < N_PORTS - 2; i++) names.push(`sp${i}`);
  const rssBefore = engineRssMiB(h);
  const addPorts = timed(() => {
    for (let i = 0; i < names.length; i += BATCH) {
      const args: string[] = [];
      for (const n of names.slice(i, i + BATCH)) args.push('--', 'add-port', BRIDGE, n, '--', 'set', 'Interface', n, 'type=internal');
      vsctl(h, args.slice(1));
    }
  });
  note(`added ${names.length} internal ports in ${Math.ceil(names.length / BATCH)} ovs-vsctl runs: ${(addPorts.ms / 1000).toFixed(1)} s (${(addPorts.ms / names.length).toFixed(1)} ms/port); engine RSS ${rssBefore.toFixed(0)} -> ${engineRssMiB(h).toFixed(0)} MiB`);

  // The switch is busy for a while after a 1,000-port reconfiguration (status of every Interface
  // written back, megaflows revalidated); time until the VMs reach each other again, then the RTT.
  const settle = timed(() => { for (let i = 0; i < 30; i++) if (h.ping(a, b.ip, 1)) return true; return false; });
  t.ok(settle.value, `the two VMs reach each other through the bridge with ${N_PORTS} ports`);
  note(`first ping answered ${(settle.ms / 1000).toFixed(1)} s after the ports were added`);
  const mid = pingStats(a, b.ip, 20, '0.05');
  note(`ping RTT with ${N_PORTS} ports (1 rule): avg ${mid.avgMs} ms, ${mid.received}/${mid.sent} replies`);

  const dpShow = timed(() => h.ok('ovs-dpctl', 'show'));
  const dpPorts = new Set([...dpShow.value.matchAll(/^ {2}port \d+: (\S+)/gm)].map((m) => m[1]!));
  const missing = [...names, a.hostIf, b.hostIf].filter((n) => !dpPorts.has(n));
  t.same(missing.slice(0, 10), [], `all ${N_PORTS} ports are datapath ports in ovs-dpctl show (${missing.length} missing)`);
  const listed = h.ok('ovs-vsctl', 'list-ports', BRIDGE).split('\n').filter(Boolean);
  t.equal(listed.length, N_PORTS, `ovs-vsctl list-ports ${BRIDGE} lists ${N_PORTS} ports`);
  const ofports = h.ok('ovs-vsctl', '--bare', '--columns=ofport', 'find', 'Interface', 'type=internal').split('\n').map((s) => s.trim()).filter(Boolean);
  const badOfport = ofports.filter((p) => !/^[1-9]\d*$/.test(p));
  t.equal(ofports.length, names.length + 1, `every internal Interface row has an ofport column (${names.length} + the bridge's own)`);
  t.same(badOfport.filter((p) => p !== '65534'), [], 'and each got a valid OpenFlow port number');

  // 100,000 distinct /32 rules, written to a file and loaded in one ovs-ofctl add-flows.
  const flowFile = join(h.dir, 'flows.txt');
  const lines: string[] = [];
  for (let i = 0; i < N_RULES; i++) lines.push(`priority=100,ip,nw_dst=${ruleDst(i)},actions=NORMAL`);
  writeFileSync(flowFile, lines.join('\n') + '\n');
  const load = timed(() => ofctl(h, ['add-flows', BRIDGE, flowFile]));
  t.equal(load.value.status, 0, `ovs-ofctl add-flows ${BRIDGE} FILE with ${N_RULES} rules succeeds ${load.value.stderr}`);
  note(`ovs-ofctl add-flows of ${N_RULES} rules: ${(load.ms / 1000).toFixed(1)} s (${((N_RULES / load.ms) * 1000).toFixed(0)} rules/s); engine RSS ${engineRssMiB(h).toFixed(0)} MiB`);

  const pid = enginePid(h);
  const cpu0 = cpuSeconds(pid);
  await new Promise((r) => setTimeout(r, 3000));
  note(`engine CPU while idle with ${N_RULES} rules: ${(((cpuSeconds(pid) - cpu0) / 3) * 100).toFixed(0)}% of one core`);

  const dump = timed(() => ofctl(h, ['dump-flows', BRIDGE]));
  t.equal(dump.value.status, 0, 'dump-flows succeeds');
  const dumped = dump.value.stdout.split('\n').filter((l) => l.includes('actions='));
  t.equal(dumped.length, N_RULES + 1, `dump-flows lists the ${N_RULES} rules plus the default NORMAL flow`);
  const last = `priority=100,ip,nw_dst=${ruleDst(N_RULES - 1)} actions=NORMAL`;
  t.ok(dumped.some((l) => l.endsWith(last)), `the last rule of the file is there, as written (${last})`);
  const filtered = h.ok('ovs-ofctl', 'dump-flows', BRIDGE, `ip,nw_dst=${b.ip}`);
  t.match(filtered, /priority=100,ip,nw_dst=10\.100\.0\.2 actions=NORMAL/, 'dump-flows with a filter finds the VM rule');
  note(`ovs-ofctl dump-flows of ${dumped.length} flows: ${(dump.ms / 1000).toFixed(1)} s`);

  // Traffic between the VMs still flows, served by megaflows after warm-up.
  t.ok(h.ping(a, b.ip), `the VMs still reach each other with ${N_PORTS} ports and ${N_RULES} rules`);
  const c0 = cacheCounters(h.ok('ovs-dpctl', 'show'));
  const after = pingStats(a, b.ip, 100, '0.02');
  const show1 = h.ok('ovs-dpctl', 'show');
  const c1 = cacheCounters(show1);
  const hits = c1.hit - c0.hit, misses = c1.missed - c0.missed;
  const windowRate = hits + misses ? hits / (hits + misses) : 0;
  t.equal(after.received, after.sent, `every one of ${after.sent} pings is answered`);
  t.ok(windowRate >= 0.9, `the megaflow cache serves the ping traffic (window hit rate ${(windowRate * 100).toFixed(1)}%: ${hits} hits, ${misses} misses)`);
  t.ok(hits >= 2 * after.received, 'each echo request and reply was a datapath lookup hit at least once');
  const trace = h.ok('ovs-appctl', 'ofproto/trace', BRIDGE, `in_port=${a.hostIf},ip,nw_dst=${b.ip}`);
  t.match(trace, /nw_dst=10\.100\.0\.2/, 'ofproto/trace names the /32 rule for the VM');
  note(`ping RTT after (${N_PORTS} ports, ${N_RULES + 1} rules): avg ${after.avgMs} ms, ${after.received}/${after.sent} replies`);
  note(`datapath hit rate over the 100-ping window: ${(windowRate * 100).toFixed(1)}% (${hits} hit, ${misses} missed); ovs-dpctl show: "${c1.line}"`);
  note(`engine RSS at the end: ${engineRssMiB(h).toFixed(0)} MiB; whole test ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(['', '== stress summary', ...report].join('\n'));
});
