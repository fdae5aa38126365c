// Benchmark: VM-to-VM across a VXLAN tunnel between two "hypervisors" (namespaces joined by a veth
// underlay, 172.31.9.1/24 and .2), ours (an engine in each, br-int + vxlan port) against real OVS's
// userspace datapath in the same topology (ovs-vswitchd datapath_type=netdev on a private
// ovsdb-server per host, native tunnelling: br-int with the vxlan port, br-phy holding the underlay
// veth and the host's underlay address). VM MTU 1400 on both, offloads off on the VM veths (both
// datapaths read them through packet sockets).
// Both topologies stay up for the whole run and the measurements are interleaved (ours, real, real,
// ours, ...), so a busy neighbour on this shared machine hits both alike. Per round: TCP throughput
// (iperf3, receiver's rate, sender's retransmits) and 64-byte UDP packets/s (iperf3 -u -b 0 -l 18:
// what B's vNIC received per second). CPU is the datapath processes' user+system time (ours: both
// engines; OVS: both ovs-vswitchd) over the round: ms per MB for TCP, µs per frame for UDP.
// Prints the rounds, medians and the ratios ours/real OVS (throughput: > 1 = ours faster; CPU:
// < 1 = ours uses less).
// Usage (root): node .build/tests/bench/tunnel.js [--rounds N] [--seconds N]
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { arg, cpuOfPid, median, runAsync, rxPackets } from '../lib/bench.js';
import { EngineHarness, pingUntilAnswered, type TestVm } from '../lib/engine-harness.js';
import { needCommand, needRealOvs, needRoot } from '../lib/env.js';
import { realOvsInNs, sh, type RealOvsInNs } from '../lib/real-ovs-ns.js';
import { sleep } from '../lib/wait.js';

const ROUNDS = Number(arg('--rounds') ?? 3);
const SECONDS = Number(arg('--seconds') ?? 4);
const MTU = 1400;

/** Packets dropped by full receive buffers in a namespace: raw sockets' drop counters (our tunnel
 *  receive sockets) plus UDP RcvbufErrors. */
function rxBufferDrops(ns: string): number {
  let n = 0;
  for (const line of sh('ip', ['netns', 'exec', ns, 'cat', '/proc/net/raw']).trim().split('\n').slice(1)) n += Number(line.trim().split(/\s+/).pop());
  const snmp = sh('ip', ['netns', 'exec', ns, 'cat', '/proc/net/snmp']).split('\n').filter((l) => l.startsWith('Udp:'));
  if (snmp.length === 2) {
    const keys = snmp[0]!.split(/\s+/), vals = snmp[1]!.split(/\s+/);
    n += Number(vals[keys.indexOf('RcvbufErrors')] ?? 0);
  }
  return n;
}

/** One side of the comparison, up and ready to measure. */
interface Setup {
  label: string;
  a: TestVm;
  b: TestVm;
  hosts: string[];
  pids(): number[];
  stop(): Promise<void>;
}

function underlay(hv1: string, hv2: string, dev1: string, dev2: string): void {
  for (const ns of [hv1, hv2]) { sh('ip', ['netns', 'add', ns]); sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']); }
  sh('ip', ['link', 'add', dev1, 'netns', hv1, 'type', 'veth', 'peer', 'name', dev2, 'netns', hv2]);
  sh('ip', ['-n', hv1, 'link', 'set', dev1, 'up']);
  sh('ip', ['-n', hv2, 'link', 'set', dev2, 'up']);
}

const OURS = ['ovspsh26o1', 'ovspsh26o2'] as const;
const REAL = ['ovspsh26r1', 'ovspsh26r2'] as const;
const REAL_VMS = ['ovspsh26rva', 'ovspsh26rvb'] as const;

function cleanup(): void {
  for (const ns of [...OURS, ...REAL, ...REAL_VMS]) spawnSync('ip', ['netns', 'del', ns]);
}

async function ours(): Promise<Setup> {
  const [hv1, hv2] = OURS;
  underlay(hv1, hv2, 'ovspsh26ou1', 'ovspsh26ou2');
  sh('ip', ['-n', hv1, 'addr', 'add', '172.31.9.1/24', 'dev', 'ovspsh26ou1']);
  sh('ip', ['-n', hv2, 'addr', 'add', '172.31.9.2/24', 'dev', 'ovspsh26ou2']);
  const h1 = new EngineHarness('h26x', hv1), h2 = new EngineHarness('h26y', hv2);
  const stop = async () => { await h1.stop(); await h2.stop(); for (const ns of OURS) spawnSync('ip', ['netns', 'del', ns]); };
  try {
    await h1.start();
    await h2.start();
    for (const [h, remote] of [[h1, '172.31.9.2'], [h2, '172.31.9.1']] as const) {
      h.ok('ovs-vsctl', 'add-br', 'br-int');
      h.ok('ovs-vsctl', 'add-port', 'br-int', 'vx', '--', 'set', 'interface', 'vx', 'type=vxlan', `options:remote_ip=${remote}`);
    }
    const a = h1.addVm('a', '10.70.0.1/24', 'vp-a', { mtu: MTU }), b = h2.addVm('b', '10.70.0.2/24', 'vp-b', { mtu: MTU });
    h1.ok('ovs-vsctl', 'add-port', 'br-int', a.hostIf);
    h2.ok('ovs-vsctl', 'add-port', 'br-int', b.hostIf);
    if (!pingUntilAnswered(a, b.ip)) throw new Error('ours: no ping across the tunnel');
    const pidOf = (h: EngineHarness) => Number(readFileSync(join(h.dir, 'ovs-engine.pid'), 'utf8'));
    return { label: 'ours', a, b, hosts: [hv1, hv2], pids: () => [pidOf(h1), pidOf(h2)], stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function realOvs(): Promise<Setup> {
  const [hv1, hv2] = REAL;
  underlay(hv1, hv2, 'ovspsh26ru1', 'ovspsh26ru2');
  const ovss: RealOvsInNs[] = [];
  const stop = async () => {
    for (const ovs of ovss) ovs.terminate();
    await sleep(500);
    for (const ns of [...REAL_VMS, ...REAL]) spawnSync('ip', ['netns', 'del', ns]);
    for (const ovs of ovss) ovs.removeDir();
  };
  try {
    const hosts = [{ ns: hv1, dev: 'ovspsh26ru1', ip: '172.31.9.1', remote: '172.31.9.2', vmNs: REAL_VMS[0], vmIp: '10.70.0.1' },
      { ns: hv2, dev: 'ovspsh26ru2', ip: '172.31.9.2', remote: '172.31.9.1', vmNs: REAL_VMS[1], vmIp: '10.70.0.2' }];
    for (const h of hosts) {
      const ovs = realOvsInNs(h.ns, 'ovspsh26-ovs-');
      ovss.push(ovs);
      const { vsctl } = ovs;
      ovs.start();
      vsctl('add-br', 'br-phy', '--', 'set', 'bridge', 'br-phy', 'datapath_type=netdev', '--', 'add-port', 'br-phy', h.dev);
      sh('ip', ['-n', h.ns, 'addr', 'add', `${h.ip}/24`, 'dev', 'br-phy']);
      sh('ip', ['-n', h.ns, 'link', 'set', 'br-phy', 'up']);
      vsctl('add-br', 'br-int', '--', 'set', 'bridge', 'br-int', 'datapath_type=netdev');
      vsctl('add-port', 'br-int', 'vx', '--', 'set', 'interface', 'vx', 'type=vxlan', `options:remote_ip=${h.remote}`);
      // The VM: a namespace with a veth whose host end is a port of br-int.
      sh('ip', ['netns', 'add', h.vmNs]);
      sh('ip', ['link', 'add', 'vp-vm', 'netns', h.ns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.vmNs]);
      sh('ip', ['-n', h.vmNs, 'link', 'set', 'lo', 'up']);
      sh('ip', ['-n', h.vmNs, 'addr', 'add', `${h.vmIp}/24`, 'dev', 'eth0']);
      for (const [ns, dev] of [[h.vmNs, 'eth0'], [h.ns, 'vp-vm']] as const) {
        sh('ip', ['-n', ns, 'link', 'set', dev, 'mtu', String(MTU)]);
        sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
        spawnSync('ip', ['netns', 'exec', ns, 'ethtool', '-K', dev, 'tx', 'off', 'tso', 'off', 'gso', 'off']);
      }
      vsctl('add-port', 'br-int', 'vp-vm');
    }
    const a: TestVm = { name: 'a', ns: REAL_VMS[0], hostIf: 'vp-vm', ip: '10.70.0.1' };
    const b: TestVm = { name: 'b', ns: REAL_VMS[1], hostIf: 'vp-vm', ip: '10.70.0.2' };
    if (!pingUntilAnswered(a, b.ip)) throw new Error('real OVS: no ping across the tunnel');
    const pids = () => ovss.map((o) => o.vswitchdPid());
    return { label: 'real OVS', a, b, hosts: [hv1, hv2], pids, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

interface Sample { tcpMBps: number; retrans: number; tcpCpuMsPerMB: number; pps: number; udpCpuUsPerFrame: number; drops: number }

async function iperf(s: Setup, clientArgs: string[]): Promise<Record<string, unknown> | undefined> {
  const server = spawn('ip', ['netns', 'exec', s.b.ns, 'iperf3', '-s', '-1', '-B', s.b.ip], { stdio: 'ignore' });
  try {
    await sleep(300);
    const r = await runAsync('ip', ['netns', 'exec', s.a.ns, 'iperf3', '-c', s.b.ip, '-t', String(SECONDS), '-J', ...clientArgs], (SECONDS + 30) * 1000);
    try { return JSON.parse(r.stdout) as Record<string, unknown>; } catch { return undefined; }
  } finally {
    server.kill('SIGKILL');
  }
}

async function measure(s: Setup): Promise<Sample> {
  const cpu = () => s.pids().reduce((sum, pid) => sum + cpuOfPid(pid), 0);
  const drops = () => s.hosts.reduce((sum, ns) => sum + rxBufferDrops(ns), 0);
  const d0 = drops();
  let c0 = cpu();
  type TcpJson = { end?: { sum_received?: { bytes?: number; bits_per_second?: number }; sum_sent?: { retransmits?: number } } };
  const t = await iperf(s, []) as TcpJson | undefined;
  const tcpCpu = cpu() - c0;
  const bytes = t?.end?.sum_received?.bytes ?? NaN;
  const rx0 = rxPackets(s.b.ns, 'eth0');
  c0 = cpu();
  await iperf(s, ['-u', '-b', '0', '-l', '18']);
  const udpCpu = cpu() - c0;
  const got = rxPackets(s.b.ns, 'eth0') - rx0;
  return {
    tcpMBps: (t?.end?.sum_received?.bits_per_second ?? NaN) / 8e6,
    retrans: t?.end?.sum_sent?.retransmits ?? NaN,
    tcpCpuMsPerMB: (tcpCpu * 1e3) / (bytes / 1e6),
    pps: got / SECONDS,
    udpCpuUsPerFrame: got > 0 ? (udpCpu * 1e6) / got : NaN,
    drops: drops() - d0,
  };
}

const f = (v: number, d: number, w: number) => (Number.isFinite(v) ? v.toFixed(d) : '-').padStart(w);
function fmt(label: string, x: Sample): string {
  return `${label.padEnd(16)}${f(x.tcpMBps, 1, 10)}${f(x.retrans, 0, 9)}${f(x.tcpCpuMsPerMB, 2, 12)}${f(x.pps / 1000, 1, 11)}${f(x.udpCpuUsPerFrame, 2, 12)}${f(x.drops, 0, 9)}`;
}
function medianSample(xs: Sample[]): Sample {
  const m = (k: keyof Sample) => median(xs.map((x) => x[k]));
  return { tcpMBps: m('tcpMBps'), retrans: m('retrans'), tcpCpuMsPerMB: m('tcpCpuMsPerMB'), pps: m('pps'), udpCpuUsPerFrame: m('udpCpuUsPerFrame'), drops: m('drops') };
}

async function main(): Promise<void> {
  const why = needRoot() || needCommand('iperf3') || needCommand('ping');
  if (why) { console.log(`tunnel bench skipped: ${why}`); return; }
  cleanup();
  console.log(`VM -> VM across VXLAN, ${ROUNDS} interleaved rounds of ${SECONDS} s TCP + ${SECONDS} s UDP 64-byte, VM MTU ${MTU}, ${process.arch}, Node ${process.version}`);
  const setups: Setup[] = [];
  try {
    setups.push(await ours());
    const noOvs = needRealOvs();
    if (noOvs) console.log(`real OVS: skipped (${noOvs})`);
    else {
      try { setups.push(await realOvs()); } catch (e) { console.log(`real OVS: failed (${(e as Error).message.split('\n')[0]})`); }
    }
    for (const s of setups) await iperf(s, ['-t', '1']); // warm-up: ARP, MAC learning, megaflows
    console.log(`${'round'.padEnd(16)}${'TCP MB/s'.padStart(10)}${'retrans'.padStart(9)}${'CPU ms/MB'.padStart(12)}${'UDP kpps'.padStart(11)}${'CPU us/fr'.padStart(12)}${'rxdrops'.padStart(9)}`);
    const samples = new Map<string, Sample[]>(setups.map((s) => [s.label, []]));
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? setups : [...setups].reverse();
      for (const s of order) {
        const x = await measure(s);
        samples.get(s.label)!.push(x);
        console.log(fmt(`${r + 1} ${s.label}`, x));
      }
    }
    const med = new Map([...samples].map(([k, v]) => [k, medianSample(v)]));
    for (const [k, v] of med) console.log(fmt(`median ${k}`, v));
    const o = med.get('ours'), q = med.get('real OVS');
    if (o && q) {
      console.log(`ratio ours/real OVS (medians): TCP ${(o.tcpMBps / q.tcpMBps).toFixed(2)}x, UDP 64-byte pps ${(o.pps / q.pps).toFixed(2)}x; ` +
        `CPU per MB ${(o.tcpCpuMsPerMB / q.tcpCpuMsPerMB).toFixed(2)}x, per frame ${(o.udpCpuUsPerFrame / q.udpCpuUsPerFrame).toFixed(2)}x (< 1 = ours uses less)`);
    }
  } finally {
    for (const s of setups) await s.stop();
    cleanup();
  }
}

await main();
