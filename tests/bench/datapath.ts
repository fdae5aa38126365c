// Benchmark, side by side in one run: ping RTT, TCP throughput (iperf3) and 64-byte UDP packets/s
// between two network namespaces ("VMs") G and S, through
//   - a bare veth pair G <-> S (no switch; the floor for latency, the ceiling for throughput),
//   - a Linux bridge,
//   - real Open vSwitch 3.1's userspace datapath (ovs-vswitchd, datapath_type=netdev, NORMAL, on a
//     private ovsdb-server in a temp dir),
//   - ours: driver/userspace's datapath with one megaflow per direction.
// Every setup gets fresh namespaces and veths. The veth and bridge rows run with the kernel's
// default offloads (as they are used); both userspace datapaths read frames through packet sockets
// and need segmentation/checksum offloads off on the veths (real OVS's netdev datapath without
// userspace TSO, and ours: see driver/linux/offload.ts), so the "bare veth, offloads off" row shows
// what the same setting costs a switchless path. UDP: iperf3 -u -b 0 -l 18 (18-byte payload =
// 64-byte frames on the wire with FCS); the rate is what S's vNIC received per second. CPU per frame
// is the datapath process's CPU time (ours: this process, all threads; OVS: ovs-vswitchd) over the
// frames S received. Prints a table and the ratios ours/real OVS and ours/veth.
// Usage (root): node .build/tests/bench/datapath.js [--quick] [--seconds N] [--only veth,bridge,ovs,ours]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatapath, type UserspaceDatapath } from '../../driver/userspace/datapath.js';
import { createNetns, createVethVm, deleteLink, deleteNetns, ip, type VethVm } from '../../driver/linux/netns.js';
import { disableOffloads } from '../../driver/linux/offload.js';
import { arg, cpuOfPid, runAsync, rxPackets } from '../lib/bench.js';
import { needCommand, needRealOvs, needRoot } from '../lib/env.js';
import { sleep } from '../lib/wait.js';

const quick = process.argv.includes('--quick');
const SECONDS = Number(arg('--seconds') ?? (quick ? 2 : 5));
const ONLY = new Set((arg('--only') ?? 'veth,vethoff,bridge,ovs,ours').split(','));
const G = 'ovspsh22bg', S = 'ovspsh22bs', GH = 'ovspsh22bgh', SH = 'ovspsh22bsh', BR = 'ovspsh22bbr';
const G_IP = '10.75.0.1', S_IP = '10.75.0.2';

interface Row { label: string; rttMs: number; tcpGbps: number; pps: number; cpuUsPerFrame: number }

const inNs = (ns: string, cmd: string, args: string[], timeoutMs?: number) => runAsync('ip', ['netns', 'exec', ns, cmd, ...args], timeoutMs);

const selfCpu = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

async function pingRtt(): Promise<number> {
  const r = await inNs(G, 'ping', ['-c', quick ? '20' : '50', '-i', '0.01', '-W', '1', '-q', S_IP]);
  const m = /= [\d.]+\/([\d.]+)\//.exec(r.stdout);
  return m ? Number(m[1]) : NaN;
}

/** An iperf3 server in S for one test, then the client in G; returns the client's JSON. */
async function iperf(clientArgs: string[]): Promise<Record<string, unknown> | undefined> {
  const server = spawn('ip', ['netns', 'exec', S, 'iperf3', '-s', '-1', '-B', S_IP], { stdio: 'ignore' });
  try {
    await sleep(300);
    const r = await inNs(G, 'iperf3', ['-c', S_IP, '-t', String(SECONDS), '-J', ...clientArgs], (SECONDS + 30) * 1000);
    try { return JSON.parse(r.stdout) as Record<string, unknown>; } catch { return undefined; }
  } finally {
    server.kill('SIGKILL');
  }
}

async function tcpGbps(): Promise<number> {
  const j = await iperf([]) as { end?: { sum_received?: { bits_per_second?: number } }; error?: string } | undefined;
  return (j?.end?.sum_received?.bits_per_second ?? NaN) / 1e9;
}

async function udpPps(cpu: () => number): Promise<{ pps: number; cpuUsPerFrame: number }> {
  const before = rxPackets(S, 'eth0');
  const cpu0 = cpu();
  await iperf(['-u', '-b', '0', '-l', '18']);
  const got = rxPackets(S, 'eth0') - before;
  return { pps: got / SECONDS, cpuUsPerFrame: got > 0 ? ((cpu() - cpu0) * 1e6) / got : NaN };
}

async function measure(label: string, cpu?: () => number): Promise<Row> {
  await pingRtt(); // warm-up: ARP/MAC learning, megaflows
  const rttMs = await pingRtt();
  const tcp = await tcpGbps();
  const u = await udpPps(cpu ?? (() => 0));
  const row = { label, rttMs, tcpGbps: tcp, pps: u.pps, cpuUsPerFrame: cpu ? u.cpuUsPerFrame : NaN };
  console.log(fmt(row));
  return row;
}

function fmt(r: Row): string {
  const n = (v: number, d: number, w: number) => (Number.isFinite(v) ? v.toFixed(d) : '-').padStart(w);
  return `${r.label.padEnd(38)}${n(r.rttMs, 3, 10)}${n(r.tcpGbps, 2, 12)}${n(r.pps / 1000, 1, 12)}${n(r.cpuUsPerFrame, 2, 12)}`;
}

/** Fresh G and S. `offloads`: keep the kernel's default offloads on both veths. */
function makeVms(offloads: boolean): VethVm[] {
  cleanup();
  const vms: VethVm[] = [];
  try {
    const g = createVethVm({ netns: G, hostIf: GH, addresses: [`${G_IP}/24`], noOffloads: !offloads });
    vms.push(g);
    const s = createVethVm({ netns: S, hostIf: SH, addresses: [`${S_IP}/24`], noOffloads: !offloads });
    vms.push(s);
    ip('-n', G, 'neigh', 'replace', S_IP, 'lladdr', s.mac, 'dev', 'eth0', 'nud', 'permanent');
    ip('-n', S, 'neigh', 'replace', G_IP, 'lladdr', g.mac, 'dev', 'eth0', 'nud', 'permanent');
    return vms;
  } catch (e) {
    for (const v of vms) v.destroy();
    throw e;
  }
}

function cleanup(): void {
  deleteNetns(G); deleteNetns(S); deleteLink(GH); deleteLink(SH); deleteLink(BR);
}

/** A veth pair straight from G to S (same addresses, no host ends). */
async function bareVeth(offloads: boolean): Promise<Row> {
  cleanup();
  try {
    createNetns(G); createNetns(S);
    ip('-n', G, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', S);
    ip('-n', G, 'addr', 'add', `${G_IP}/24`, 'dev', 'eth0');
    ip('-n', S, 'addr', 'add', `${S_IP}/24`, 'dev', 'eth0');
    if (!offloads) { disableOffloads('eth0', G); disableOffloads('eth0', S); }
    for (const ns of [G, S]) { ip('-n', ns, 'link', 'set', 'lo', 'up'); ip('-n', ns, 'link', 'set', 'eth0', 'up'); }
    await sleep(1000); // the veth's qdisc comes up with the link watcher
    return await measure(offloads ? 'bare veth pair' : 'bare veth pair, offloads off');
  } finally {
    cleanup();
  }
}

async function linuxBridge(): Promise<Row> {
  const vms = makeVms(true);
  try {
    ip('link', 'add', BR, 'type', 'bridge');
    ip('link', 'set', GH, 'master', BR);
    ip('link', 'set', SH, 'master', BR);
    ip('link', 'set', BR, 'up');
    await sleep(500);
    return await measure('Linux bridge');
  } finally {
    deleteLink(BR);
    for (const v of vms) v.destroy();
  }
}

async function ours(): Promise<Row> {
  const vms = makeVms(false);
  let dp: UserspaceDatapath | undefined;
  try {
    dp = await createDatapath('ovspsh22bdp');
    const pg = await dp.addPort({ name: GH, type: 'system' });
    const ps = await dp.addPort({ name: SH, type: 'system' });
    dp.putFlow({ key: { inPort: pg.portNo }, mask: { inPort: 0xffffffff }, actions: [{ type: 'output', port: ps.portNo }] });
    dp.putFlow({ key: { inPort: ps.portNo }, mask: { inPort: 0xffffffff }, actions: [{ type: 'output', port: pg.portNo }] });
    const row = await measure('ours: userspace datapath', selfCpu);
    const st = dp.stats();
    console.log(`  (datapath: hit ${st.hit} missed ${st.missed} lost ${st.lost}; port S tx ${dp.getPort(ps.portNo).stats!.txPackets}, tx dropped ${dp.getPort(ps.portNo).stats!.txDropped})`);
    return row;
  } finally {
    await dp?.destroy();
    for (const v of vms) v.destroy();
  }
}

function sh(cmd: string, args: string[], env?: NodeJS.ProcessEnv): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function realOvs(): Promise<Row | undefined> {
  const why = needRealOvs() || (spawnSync('sh', ['-c', 'command -v /usr/sbin/ovs-vswitchd']).status === 0 ? false : 'ovs-vswitchd missing');
  if (why) { console.log(`real OVS: skipped (${why})`); return undefined; }
  const vms = makeVms(false);
  const dir = mkdtempSync(join(tmpdir(), 'ovspsh22-ovs-'));
  const env = { OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir };
  const db = `unix:${dir}/db.sock`;
  const pids: string[] = [];
  const bridge = 'ovspsh22bovs';
  try {
    sh('ovsdb-tool', ['create', `${dir}/conf.db`, '/usr/share/openvswitch/vswitch.ovsschema']);
    sh('/usr/sbin/ovsdb-server', [`${dir}/conf.db`, `--remote=punix:${dir}/db.sock`, `--pidfile=${dir}/ovsdb-server.pid`, `--log-file=${dir}/ovsdb-server.log`, `--unixctl=${dir}/ovsdb-server.ctl`, '--detach', '--no-chdir'], env);
    pids.push(`${dir}/ovsdb-server.pid`);
    sh('ovs-vsctl', [`--db=${db}`, '--no-wait', 'init']);
    sh('/usr/sbin/ovs-vswitchd', [db, `--pidfile=${dir}/ovs-vswitchd.pid`, `--log-file=${dir}/ovs-vswitchd.log`, `--unixctl=${dir}/ovs-vswitchd.ctl`, '--detach', '--no-chdir'], env);
    pids.push(`${dir}/ovs-vswitchd.pid`);
    sh('ovs-vsctl', [`--db=${db}`, '--timeout=30', 'add-br', bridge, '--', 'set', 'bridge', bridge, 'datapath_type=netdev']);
    sh('ovs-vsctl', [`--db=${db}`, '--timeout=30', 'add-port', bridge, GH, '--', 'add-port', bridge, SH]);
    const vswitchd = Number(readFileSync(`${dir}/ovs-vswitchd.pid`, 'utf8').trim());
    return await measure('real OVS 3.1: netdev datapath, NORMAL', () => cpuOfPid(vswitchd));
  } finally {
    // Remove the bridge first so ovs-vswitchd closes its TAPs, then stop the daemons.
    spawnSync('ovs-vsctl', [`--db=${db}`, '--timeout=10', '--if-exists', 'del-br', bridge]);
    for (const p of pids.reverse()) {
      try { process.kill(Number(readFileSync(p, 'utf8').trim()), 'SIGTERM'); } catch { /* gone */ }
    }
    await sleep(500);
    deleteLink(bridge);
    // ovs-vswitchd's netdev datapath leaves its "ovs-netdev" TAP behind; remove it unless some other
    // ovs-vswitchd (another test's) is still running and may be using it.
    if (spawnSync('pgrep', ['-x', 'ovs-vswitchd']).status !== 0) spawnSync('ip', ['link', 'del', 'ovs-netdev']);
    rmSync(dir, { recursive: true, force: true });
    for (const v of vms) v.destroy();
  }
}

const ratio = (a: number, b: number): string => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : '-');

async function main(): Promise<void> {
  const why = needRoot() || needCommand('iperf3') || needCommand('ping') || needCommand('ethtool');
  if (why) { console.log(`datapath bench skipped: ${why}`); return; }
  console.log(`G -> S between two network namespaces, ${SECONDS} s per TCP/UDP run, ${process.arch}, Node ${process.version}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  console.log(`${'setup'.padEnd(38)}${'RTT ms'.padStart(10)}${'TCP Gbit/s'.padStart(12)}${'UDP64 kpps'.padStart(12)}${'CPU us/fr'.padStart(12)}`);
  const rows = new Map<string, Row>();
  try {
    if (ONLY.has('veth')) rows.set('veth', await bareVeth(true));
    if (ONLY.has('vethoff')) rows.set('vethoff', await bareVeth(false));
    if (ONLY.has('bridge')) rows.set('bridge', await linuxBridge());
    if (ONLY.has('ovs')) { const r = await realOvs(); if (r) rows.set('ovs', r); }
    if (ONLY.has('ours')) rows.set('ours', await ours());
  } finally {
    cleanup();
  }
  const o = rows.get('ours');
  if (!o) return;
  for (const [k, what] of [['ovs', 'real OVS'], ['veth', 'bare veth'], ['vethoff', 'bare veth, offloads off'], ['bridge', 'Linux bridge']] as const) {
    const r = rows.get(k);
    if (!r) continue;
    console.log(`ours/${what}: UDP pps ${ratio(o.pps, r.pps)}, TCP ${ratio(o.tcpGbps, r.tcpGbps)}, RTT ${ratio(o.rttMs, r.rttMs)} (RTT: < 1 = ours faster)${k === 'ovs' ? `, CPU per frame ${ratio(o.cpuUsPerFrame, r.cpuUsPerFrame)} (< 1 = ours uses less)` : ''}`);
  }
}

await main();
