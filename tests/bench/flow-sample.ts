// Benchmark: the cost of flow-based IPFIX at probability 65535 (every packet goes up to the switch
// as a sample). VM a sends UDP datagrams to VM b through br-int, whose only IP rule is
// `ip,actions=sample(probability=65535,collector_set_id=1,...),NORMAL` with a Flow_Sample_Collector_Set
// exporting to a collector in the switch's namespace (cache_active_timeout 0: a record per
// sample). Ours (the engine, userspace datapath) against real OVS 3.1 (ovs-vswitchd, netdev
// datapath) in the same topology, interleaved rounds. Prints datagrams delivered, samples received
// at the collector (sum of packetDeltaCount), the switch's CPU seconds, and ratios.
// Usage (root): node .build/tests/bench/flow-sample.js [--packets N] [--rounds R] [--baseline]
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuOfPid } from '../lib/bench.js';
import { EngineHarness, pingUntilAnswered, type TestVm } from '../lib/engine-harness.js';
import { needRealOvs, needRoot } from '../lib/env.js';
import { ipfixDecoder, type IpfixMessage } from '../lib/ipfix-decode.js';
import { realOvsInNs, sh } from '../lib/real-ovs-ns.js';
import { startUdpCollector } from '../lib/udp-collector.js';

const arg = (name: string, def: number) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : def; };
const PACKETS = arg('--packets', 20000), ROUNDS = arg('--rounds', 2);
const PORT = 4745;
/** --baseline: the same rule without the sample action (what sampling costs). */
const BASELINE = process.argv.includes('--baseline');
const RULE = BASELINE ? 'priority=100,ip,actions=NORMAL' : 'priority=100,ip,actions=sample(probability=65535,collector_set_id=1,obs_domain_id=9,obs_point_id=1),NORMAL';

interface Result { delivered: number; sampled: number; seconds: number; cpu: number }

/** A UDP collector in `ns` summing packetDeltaCount of the IPFIX records it receives. */
async function collector(ns: string): Promise<{ total: () => number; undecodable: () => number; stop: () => void }> {
  const decode = ipfixDecoder();
  let total = 0, undecodable = 0;
  const stop = await startUdpCollector(undefined, ns, PORT, (d) => {
    let recs: IpfixMessage['records'] = [];
    // Real OVS also sends domain-0 data sets whose template we never see: not ours to count.
    try { recs = decode(d).records; } catch { undecodable++; }
    for (const r of recs) { const v = r.fields.get(2); if (v) total += Number(v.readBigUInt64BE(0)); }
  }, 600_000);
  return { total: () => total, undecodable: () => undecodable, stop };
}

/** Sends PACKETS datagrams from a to b; returns what b received and the send time. */
async function blast(a: TestVm, b: TestVm): Promise<{ delivered: number; seconds: number }> {
  const rx = spawn('ip', ['netns', 'exec', b.ns, process.execPath, '-e',
    "const s=require('dgram').createSocket('udp4');let n=0,t;s.on('message',()=>{n++;clearTimeout(t);t=setTimeout(()=>{process.stdout.write(String(n));process.exit(0)},2000)});s.bind(9999,()=>process.stdout.write('L'));setTimeout(()=>{process.stdout.write(String(n));process.exit(0)},120000)"],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise<void>((resolve) => rx.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.startsWith('L')) resolve(); }));
  const t0 = process.hrtime.bigint();
  sh('ip', ['netns', 'exec', a.ns, process.execPath, '-e',
    `const s=require('dgram').createSocket('udp4');const b=Buffer.alloc(64);let n=0;const go=()=>{if(n>=${PACKETS})return s.close();n++;s.send(b,9999,'${b.ip}',go)};go()`]);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await new Promise<void>((resolve) => rx.on('exit', () => resolve()));
  return { delivered: Number(out.slice(1)), seconds };
}

async function settle(total: () => number): Promise<number> {
  let last = -1;
  for (let i = 0; i < 60; i++) {
    const now = total();
    if (now === last) return now;
    last = now;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return total();
}

async function ours(): Promise<Result> {
  const h = new EngineHarness('bfs');
  try {
    await h.start();
    h.ok('ovs-vsctl', 'add-br', 'br-int');
    const a = h.addVm('a', '10.71.0.1/24'), b = h.addVm('b', '10.71.0.2/24');
    h.ok('ovs-vsctl', 'add-port', 'br-int', a.hostIf);
    h.ok('ovs-vsctl', 'add-port', 'br-int', b.hostIf);
    const c = await collector(h.ns);
    try {
      h.ok('ovs-vsctl', '--', '--id=@br', 'get', 'Bridge', 'br-int', '--', '--id=@i', 'create', 'IPFIX', `targets="127.0.0.1:${PORT}"`,
        '--', 'create', 'Flow_Sample_Collector_Set', 'id=1', 'bridge=@br', 'ipfix=@i');
      h.ok('ovs-ofctl', 'add-flow', 'br-int', RULE);
      if (!h.ping(a, b.ip)) throw new Error('ours: no ping');
      await settle(c.total);
      const base = c.total();
      const pid = Number(readFileSync(join(h.dir, 'ovs-engine.pid'), 'utf8'));
      const cpu0 = cpuOfPid(pid);
      const r = await blast(a, b);
      const sampled = (await settle(c.total)) - base;
      return { ...r, sampled, cpu: cpuOfPid(pid) - cpu0 };
    } finally { c.stop(); }
  } catch (e) {
    console.log(`ours failed; the engine's log ends:\n${h.log().split('\n').slice(-10).join('\n')}`);
    throw e;
  } finally { await h.stop(); }
}

async function realOvs(): Promise<Result> {
  const ns = 'ovpsh27bfr';
  spawnSync('ip', ['netns', 'del', ns]);
  const ovs = realOvsInNs(ns, 'ovsps-bfs-');
  const { vsctl } = ovs;
  const vms: string[] = [];
  try {
    sh('ip', ['netns', 'add', ns]);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    ovs.start();
    vsctl('add-br', 'br-int', '--', 'set', 'bridge', 'br-int', 'datapath_type=netdev');
    const vm = (name: string, ip: string): TestVm => {
      const vns = `${ns}${name}`;
      spawnSync('ip', ['netns', 'del', vns]);
      sh('ip', ['netns', 'add', vns]);
      vms.push(vns);
      sh('ip', ['link', 'add', `vp-${name}`, 'netns', ns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vns]);
      sh('ip', ['-n', vns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      sh('ip', ['-n', vns, 'link', 'set', 'lo', 'up']);
      for (const [n, dev] of [[vns, 'eth0'], [ns, `vp-${name}`]] as const) {
        sh('ip', ['-n', n, 'link', 'set', dev, 'up']);
        spawnSync('ip', ['netns', 'exec', n, 'ethtool', '-K', dev, 'tx', 'off', 'tso', 'off', 'gso', 'off']);
      }
      vsctl('add-port', 'br-int', `vp-${name}`);
      return { name, ns: vns, hostIf: `vp-${name}`, ip };
    };
    const a = vm('a', '10.71.0.1'), b = vm('b', '10.71.0.2');
    const c = await collector(ns);
    try {
      vsctl('--', '--id=@br', 'get', 'Bridge', 'br-int', '--', '--id=@i', 'create', 'IPFIX', `targets="127.0.0.1:${PORT}"`,
        '--', 'create', 'Flow_Sample_Collector_Set', 'id=1', 'bridge=@br', 'ipfix=@i');
      ovs.ofctl('add-flow', 'br-int', RULE);
      if (!pingUntilAnswered(a, b.ip)) throw new Error('real OVS: no ping');
      await settle(c.total);
      const base = c.total();
      const pid = ovs.vswitchdPid();
      const cpu0 = cpuOfPid(pid);
      const r = await blast(a, b);
      const sampled = (await settle(c.total)) - base;
      return { ...r, sampled, cpu: cpuOfPid(pid) - cpu0 };
    } finally { c.stop(); }
  } finally {
    await ovs.stop(500, () => {
      for (const v of vms) spawnSync('ip', ['netns', 'del', v]);
      spawnSync('ip', ['netns', 'del', ns]);
    });
  }
}

const fmt = (r: Result) => `delivered ${String(r.delivered).padStart(6)}/${PACKETS}, sampled ${String(r.sampled).padStart(6)}, `
  + `${(r.delivered / r.seconds).toFixed(0).padStart(6)} pkt/s, switch CPU ${r.cpu.toFixed(2)} s${r.sampled ? ` (${(r.cpu * 1e6 / r.sampled).toFixed(1)} us/sample)` : ''}`;

async function main(): Promise<void> {
  const why = needRoot();
  if (why) { console.log(`flow-sample bench skipped: ${why}`); return; }
  const realWhy = needRealOvs();
  console.log(`${PACKETS} UDP datagrams VM -> VM, ${BASELINE ? 'baseline: no sample action' : 'every packet sampled (probability 65535) to a local IPFIX collector'}, ${ROUNDS} interleaved rounds`);
  const o: Result[] = [], r: Result[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const x = await ours();
    o.push(x);
    console.log(`round ${i + 1} ours:     ${fmt(x)}`);
    if (realWhy) continue;
    const y = await realOvs();
    r.push(y);
    console.log(`round ${i + 1} real OVS: ${fmt(y)}`);
  }
  if (realWhy) { console.log(`real OVS: skipped (${realWhy})`); return; }
  const sum = (xs: Result[], k: keyof Result) => xs.reduce((n, x) => n + x[k], 0);
  console.log(`ratio ours/real: delivered ${(sum(o, 'delivered') / sum(r, 'delivered')).toFixed(2)}${BASELINE ? '' : `, samples ${(sum(o, 'sampled') / Math.max(1, sum(r, 'sampled'))).toFixed(2)}`}, pkt/s ${((sum(o, 'delivered') / sum(o, 'seconds')) / (sum(r, 'delivered') / sum(r, 'seconds'))).toFixed(2)}, `
    + `CPU ${(sum(o, 'cpu') / sum(r, 'cpu')).toFixed(2)}`);
}

await main();
