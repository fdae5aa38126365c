// Benchmark: ns -> ns forwarding of 64-byte UDP frames through our userspace datapath and through
// real OVS's userspace datapath (ovs-vswitchd, datapath_type=netdev, NORMAL, on a private
// ovsdb-server in a temp dir), same namespaces and generator, one run. A Python sender in netns G
// floods UDP (18-byte payload = 64-byte frames on the wire with FCS) at netns S; the rate is what
// S's vNIC received per second; CPU per forwarded frame is the datapath process's CPU time (ours:
// all threads; OVS: ovs-vswitchd) over the frames S received. Prints both and the ratios.
// Usage (root): node .build/tests/bench/datapath.js [--quick] [--seconds N]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatapath, type UserspaceDatapath } from '../../driver/userspace/datapath.js';
import { createVethVm, deleteLink, deleteNetns, execInNetns, ip, type VethVm } from '../../driver/linux/netns.js';
import { needRealOvs, needRoot } from '../lib/env.js';

const quick = process.argv.includes('--quick');
const secIdx = process.argv.indexOf('--seconds');
const SECONDS = secIdx > 0 ? Number(process.argv[secIdx + 1]) : quick ? 2 : 5;
const G = 'ovspsh8bg', S = 'ovspsh8bs', GH = 'ovspsh8bgh', SH = 'ovspsh8bsh';
const G_IP = '10.75.0.1', S_IP = '10.75.0.2';

const GENERATOR = `
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
dst = (sys.argv[1], 9); b = b'x' * 18; end = time.time() + float(sys.argv[2]); n = 0; err = 0
while time.time() < end:
    for i in range(1000):
        try:
            s.sendto(b, dst)
        except OSError:
            err += 1
    n += 1000
print(n, err)
`;

function rxPackets(ns: string): number {
  const r = execInNetns(ns, 'cat', ['/sys/class/net/eth0/statistics/rx_packets']);
  return Number(r.stdout.trim());
}

/** CPU seconds (user+system) a process has used so far, from /proc/<pid>/stat. */
function cpuOfPid(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

async function flood(label: string, cpu: () => number): Promise<{ pps: number; sentPps: number; cpuUsPerFrame: number }> {
  const before = rxPackets(S);
  const cpu0 = cpu();
  const started = Date.now();
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn('ip', ['netns', 'exec', G, 'python3', '-c', GENERATOR, S_IP, String(SECONDS)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let s = '';
    p.stdout.on('data', (d: Buffer) => { s += d.toString(); });
    p.on('close', (code) => (code === 0 ? resolve(s) : reject(new Error(`generator exited ${code}`))));
  });
  const secs = (Date.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 300));
  const got = rxPackets(S) - before;
  const cpuUsPerFrame = got > 0 ? ((cpu() - cpu0) * 1e6) / got : NaN;
  const [sent, errs] = out.trim().split(/\s+/).map(Number) as [number, number];
  const pps = got / SECONDS;
  const sentPps = (sent - errs) / SECONDS;
  console.log(`${label.padEnd(40)} ${Math.round(pps).toString().padStart(8)} pps received, ${cpuUsPerFrame.toFixed(2)} CPU-us per frame forwarded   (generator ${Math.round(sentPps)} pps sent, ${secs.toFixed(1)} s)`);
  return { pps, sentPps, cpuUsPerFrame };
}

function cleanup(): void {
  deleteNetns(G); deleteNetns(S); deleteLink(GH); deleteLink(SH);
}

const selfCpu = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

async function ours(): Promise<{ pps: number; cpuUsPerFrame: number }> {
  let dp: UserspaceDatapath | undefined;
  try {
    dp = await createDatapath('ovspsh8bdp');
    const pg = await dp.addPort({ name: GH, type: 'system' });
    const ps = await dp.addPort({ name: SH, type: 'system' });
    dp.putFlow({ key: { inPort: pg.portNo }, mask: { inPort: 0xffffffff }, actions: [{ type: 'output', port: ps.portNo }] });
    dp.putFlow({ key: { inPort: ps.portNo }, mask: { inPort: 0xffffffff }, actions: [{ type: 'output', port: pg.portNo }] });
    await flood('warm-up (ours)', selfCpu);
    const r = await flood('ours: userspace datapath', selfCpu);
    const st = dp.stats();
    console.log(`  datapath stats: hit ${st.hit} missed ${st.missed} lost ${st.lost}; port G rx ${dp.getPort(pg.portNo).stats!.rxPackets}, port S tx ${dp.getPort(ps.portNo).stats!.txPackets} (dropped ${dp.getPort(ps.portNo).stats!.txDropped})`);
    return r;
  } finally {
    await dp?.destroy();
  }
}

function sh(cmd: string, args: string[], env?: NodeJS.ProcessEnv): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function realOvs(): Promise<{ pps: number; cpuUsPerFrame: number } | undefined> {
  const why = needRealOvs() || (spawnSync('sh', ['-c', 'command -v /usr/sbin/ovs-vswitchd']).status === 0 ? false : 'ovs-vswitchd missing');
  if (why) { console.log(`real OVS: skipped (${why})`); return undefined; }
  const dir = mkdtempSync(join(tmpdir(), 'ovspsh8-ovs-'));
  const env = { OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir };
  const db = `unix:${dir}/db.sock`;
  const pids: string[] = [];
  try {
    sh('ovsdb-tool', ['create', `${dir}/conf.db`, '/usr/share/openvswitch/vswitch.ovsschema']);
    sh('/usr/sbin/ovsdb-server', [`${dir}/conf.db`, `--remote=punix:${dir}/db.sock`, `--pidfile=${dir}/ovsdb-server.pid`, `--log-file=${dir}/ovsdb-server.log`, `--unixctl=${dir}/ovsdb-server.ctl`, '--detach', '--no-chdir'], env);
    pids.push(`${dir}/ovsdb-server.pid`);
    sh('ovs-vsctl', [`--db=${db}`, '--no-wait', 'init']);
    sh('/usr/sbin/ovs-vswitchd', [db, `--pidfile=${dir}/ovs-vswitchd.pid`, `--log-file=${dir}/ovs-vswitchd.log`, `--unixctl=${dir}/ovs-vswitchd.ctl`, '--detach', '--no-chdir'], env);
    pids.push(`${dir}/ovs-vswitchd.pid`);
    sh('ovs-vsctl', [`--db=${db}`, '--timeout=30', 'add-br', 'ovspsh8bbr', '--', 'set', 'bridge', 'ovspsh8bbr', 'datapath_type=netdev']);
    sh('ovs-vsctl', [`--db=${db}`, '--timeout=30', 'add-port', 'ovspsh8bbr', GH, '--', 'add-port', 'ovspsh8bbr', SH]);
    // Let NORMAL learn both MACs, so the flood goes to S only.
    execInNetns(S, 'ping', ['-c1', '-W1', G_IP]);
    const vswitchd = Number(readFileSync(`${dir}/ovs-vswitchd.pid`, 'utf8').trim());
    await flood('warm-up (real OVS)', () => cpuOfPid(vswitchd));
    const r = await flood('real OVS 3.1: netdev datapath, NORMAL', () => cpuOfPid(vswitchd));
    return r;
  } finally {
    // Remove the bridge first so ovs-vswitchd closes its TAPs, then stop the daemons.
    spawnSync('ovs-vsctl', [`--db=${db}`, '--timeout=10', '--if-exists', 'del-br', 'ovspsh8bbr']);
    for (const p of pids.reverse()) {
      try { process.kill(Number(readFileSync(p, 'utf8').trim()), 'SIGTERM'); } catch { /* gone */ }
    }
    await new Promise((r) => setTimeout(r, 500));
    deleteLink('ovspsh8bbr');
    // ovs-vswitchd's netdev datapath leaves its "ovs-netdev" TAP behind; remove it unless some other
    // ovs-vswitchd (another test's) is still running and may be using it.
    if (spawnSync('pgrep', ['-x', 'ovs-vswitchd']).status !== 0) spawnSync('ip', ['link', 'del', 'ovs-netdev']);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const why = needRoot() || (spawnSync('sh', ['-c', 'command -v python3']).status === 0 ? false : 'python3 missing');
  if (why) { console.log(`datapath bench skipped: ${why}`); return; }
  cleanup();
  const vms: VethVm[] = [];
  try {
    const g = createVethVm({ netns: G, hostIf: GH, addresses: [`${G_IP}/24`] });
    vms.push(g);
    const s = createVethVm({ netns: S, hostIf: SH, addresses: [`${S_IP}/24`] });
    vms.push(s);
    ip('-n', G, 'neigh', 'replace', S_IP, 'lladdr', s.mac, 'dev', 'eth0', 'nud', 'permanent');
    ip('-n', S, 'neigh', 'replace', G_IP, 'lladdr', g.mac, 'dev', 'eth0', 'nud', 'permanent');
    console.log(`ns->ns UDP flood, 64-byte frames, ${SECONDS} s per run, ${process.arch}, Node ${process.version}`);
    const o = await ours();
    const r = await realOvs();
    if (r !== undefined) {
      console.log(`ratio ours/real OVS: ${(o.pps / r.pps).toFixed(2)} (pps received), ${(o.cpuUsPerFrame / r.cpuUsPerFrame).toFixed(2)} (CPU per frame; < 1 = we use less)`);
    }
  } finally {
    for (const v of vms) v.destroy();
    cleanup();
  }
}

await main();
