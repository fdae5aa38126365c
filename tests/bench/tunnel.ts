// Benchmark: TCP throughput VM-to-VM across VXLAN between two "hypervisors" (namespaces joined by a
// veth underlay, 172.31.9.1/24 and .2), ours (an engine in each, br-int + vxlan port) against real
// OVS's userspace datapath in the same topology (ovs-vswitchd datapath_type=netdev on a private
// ovsdb-server per host, native tunnelling: br-int with the vxlan port, br-phy holding the
// underlay veth and the host's underlay address). VM MTU 1400 on both. Prints MB/s and the ratio.
// Usage (root): node .build/tests/bench/tunnel.js [--mib N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineHarness, type TestVm } from '../lib/engine-harness.js';
import { needRealOvs, needRoot } from '../lib/env.js';

const mibIdx = process.argv.indexOf('--mib');
const MIB = mibIdx > 0 ? Number(process.argv[mibIdx + 1]) : 32;
const HV1 = 'ovspsh14bh1', HV2 = 'ovspsh14bh2';

function sh(cmd: string, args: string[], env?: NodeJS.ProcessEnv): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function underlay(): void {
  for (const ns of [HV1, HV2]) { sh('ip', ['netns', 'add', ns]); sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']); }
  sh('ip', ['link', 'add', 'ovspsh14u1', 'netns', HV1, 'type', 'veth', 'peer', 'name', 'ovspsh14u2', 'netns', HV2]);
  sh('ip', ['-n', HV1, 'link', 'set', 'ovspsh14u1', 'up']);
  sh('ip', ['-n', HV2, 'link', 'set', 'ovspsh14u2', 'up']);
}

function cleanup(): void {
  for (const ns of [HV1, HV2]) spawnSync('ip', ['netns', 'del', ns]);
}

async function timed(h: EngineHarness, from: TestVm, to: TestVm): Promise<number> {
  const bytes = MIB * 1024 * 1024;
  const t0 = process.hrtime.bigint();
  const got = await h.tcpTransfer(from, to, bytes);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (got !== bytes) throw new Error(`received ${got} of ${bytes} bytes`);
  return bytes / secs / 1e6;
}

async function ours(): Promise<number> {
  underlay();
  sh('ip', ['-n', HV1, 'addr', 'add', '172.31.9.1/24', 'dev', 'ovspsh14u1']);
  sh('ip', ['-n', HV2, 'addr', 'add', '172.31.9.2/24', 'dev', 'ovspsh14u2']);
  const h1 = new EngineHarness('h14x', HV1), h2 = new EngineHarness('h14y', HV2);
  try {
    await h1.start();
    await h2.start();
    for (const [h, remote] of [[h1, '172.31.9.2'], [h2, '172.31.9.1']] as const) {
      h.ok('ovs-vsctl', 'add-br', 'br-int');
      h.ok('ovs-vsctl', 'add-port', 'br-int', 'vx', '--', 'set', 'interface', 'vx', 'type=vxlan', `options:remote_ip=${remote}`);
    }
    const a = h1.addVm('a', '10.70.0.1/24', 'vp-a', { mtu: 1400 }), b = h2.addVm('b', '10.70.0.2/24', 'vp-b', { mtu: 1400 });
    h1.ok('ovs-vsctl', 'add-port', 'br-int', a.hostIf);
    h2.ok('ovs-vsctl', 'add-port', 'br-int', b.hostIf);
    if (!h1.ping(a, b.ip)) throw new Error('ours: no ping across the tunnel');
    await timed(h1, a, b); // warm-up: megaflows in place
    return await timed(h1, a, b);
  } finally {
    await h1.stop();
    await h2.stop();
    cleanup();
  }
}

async function realOvs(): Promise<number | undefined> {
  const why = needRealOvs();
  if (why) { console.log(`real OVS: skipped (${why})`); return undefined; }
  underlay();
  const dirs: string[] = [];
  const vmNs: string[] = [];
  try {
    const hosts = [{ ns: HV1, dev: 'ovspsh14u1', ip: '172.31.9.1', remote: '172.31.9.2', vmNs: 'ovspsh14bva', vmIp: '10.70.0.1' },
      { ns: HV2, dev: 'ovspsh14u2', ip: '172.31.9.2', remote: '172.31.9.1', vmNs: 'ovspsh14bvb', vmIp: '10.70.0.2' }];
    for (const h of hosts) {
      const dir = mkdtempSync(join(tmpdir(), 'ovspsh14-ovs-'));
      dirs.push(dir);
      const env = { OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir };
      const db = `unix:${dir}/db.sock`;
      const inNs = (cmd: string, args: string[]) => sh('ip', ['netns', 'exec', h.ns, cmd, ...args], env);
      const vsctl = (...args: string[]) => inNs('ovs-vsctl', [`--db=${db}`, '--timeout=30', ...args]);
      sh('ovsdb-tool', ['create', `${dir}/conf.db`, '/usr/share/openvswitch/vswitch.ovsschema']);
      inNs('/usr/sbin/ovsdb-server', [`${dir}/conf.db`, `--remote=punix:${dir}/db.sock`, `--pidfile=${dir}/ovsdb-server.pid`, `--log-file=${dir}/ovsdb-server.log`, `--unixctl=${dir}/ovsdb-server.ctl`, '--detach', '--no-chdir']);
      vsctl('--no-wait', 'init');
      inNs('/usr/sbin/ovs-vswitchd', [db, `--pidfile=${dir}/ovs-vswitchd.pid`, `--log-file=${dir}/ovs-vswitchd.log`, `--unixctl=${dir}/ovs-vswitchd.ctl`, '--detach', '--no-chdir']);
      vsctl('add-br', 'br-phy', '--', 'set', 'bridge', 'br-phy', 'datapath_type=netdev', '--', 'add-port', 'br-phy', h.dev);
      sh('ip', ['-n', h.ns, 'addr', 'add', `${h.ip}/24`, 'dev', 'br-phy']);
      sh('ip', ['-n', h.ns, 'link', 'set', 'br-phy', 'up']);
      vsctl('add-br', 'br-int', '--', 'set', 'bridge', 'br-int', 'datapath_type=netdev');
      vsctl('add-port', 'br-int', 'vx', '--', 'set', 'interface', 'vx', 'type=vxlan', `options:remote_ip=${h.remote}`);
      // The VM: a namespace with a veth whose host end is a port of br-int.
      sh('ip', ['netns', 'add', h.vmNs]);
      vmNs.push(h.vmNs);
      sh('ip', ['link', 'add', 'vp-vm', 'netns', h.ns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.vmNs]);
      sh('ip', ['-n', h.vmNs, 'addr', 'add', `${h.vmIp}/24`, 'dev', 'eth0']);
      for (const [ns, dev] of [[h.vmNs, 'eth0'], [h.ns, 'vp-vm']] as const) {
        sh('ip', ['-n', ns, 'link', 'set', dev, 'mtu', '1400']);
        sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
        spawnSync('ip', ['netns', 'exec', ns, 'ethtool', '-K', dev, 'tx', 'off', 'tso', 'off', 'gso', 'off']);
      }
      vsctl('add-port', 'br-int', 'vp-vm');
    }
    const a: TestVm = { name: 'a', ns: 'ovspsh14bva', hostIf: 'vp-vm', ip: '10.70.0.1' };
    const b: TestVm = { name: 'b', ns: 'ovspsh14bvb', hostIf: 'vp-vm', ip: '10.70.0.2' };
    const h = new EngineHarness('h14z', HV1); // only its VM helpers (ping, tcpTransfer) are used
    try {
      let up = false;
      for (let i = 0; i < 10 && !up; i++) up = h.ping(a, b.ip, 2);
      if (!up) throw new Error('real OVS: no ping across the tunnel');
      await timed(h, a, b);
      return await timed(h, a, b);
    } finally {
      await h.stop();
    }
  } finally {
    for (const dir of dirs) {
      for (const p of ['ovs-vswitchd.pid', 'ovsdb-server.pid']) {
        try { process.kill(Number(readFileSync(join(dir, p), 'utf8').trim()), 'SIGTERM'); } catch { /* gone */ }
      }
    }
    await new Promise((r) => setTimeout(r, 500));
    for (const ns of vmNs) spawnSync('ip', ['netns', 'del', ns]);
    cleanup();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const why = needRoot();
  if (why) { console.log(`tunnel bench skipped: ${why}`); return; }
  cleanup();
  console.log(`VM -> VM TCP across VXLAN, ${MIB} MiB per run (after a warm-up run), VM MTU 1400, ${process.arch}, Node ${process.version}`);
  const o = await ours();
  console.log(`ours: userspace datapath              ${o.toFixed(1).padStart(8)} MB/s`);
  const r = await realOvs().catch((e: Error) => { console.log(`real OVS: failed (${e.message.split('\n')[0]})`); return undefined; });
  if (r !== undefined) {
    console.log(`real OVS 3.1: netdev datapath        ${r.toFixed(1).padStart(8)} MB/s`);
    console.log(`ratio ours/real OVS: ${(o / r).toFixed(2)}`);
  }
}

await main();
