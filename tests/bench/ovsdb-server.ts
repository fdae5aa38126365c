// Benchmark: the same load against real ovsdb-server 3.1 and ours, in one run, each in a private
// temp dir: one-row insert transactions (1 in flight, and 100 pipelined) through one JSON-RPC
// client, and 200 sequential `ovs-vsctl --no-wait add-br` processes (real ovs-vsctl against both
// servers, plus our ovs-vsctl when engine/cli/ovs-vsctl is built). Prints txn/s, per-command
// latency and the ratio ours/theirs, plus each server's CPU time (user + system from /proc) per
// transaction / per command, so the comparison holds on a loaded machine.
// Usage: node .build/tests/bench/ovsdb-server.js [--quick] [--vsctl=N] (N add-br processes per pair)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../engine/setup/paths.js';
import { connectOvsdb } from '../../engine/rpc/client.js';
import type { Json } from '../../engine/ovsdb/api.js';
import { needRealOvs } from '../lib/env.js';

const quick = process.argv.includes('--quick');
const N_SEQ = quick ? 300 : 2000;
const N_PIPE = quick ? 1000 : 10000;
/** Untimed transactions first, on both servers: our server is a JIT-compiled program whose first
 *  few thousand requests run unoptimised code; the timed phases measure the steady state. */
const N_WARM = quick ? 500 : 3000;
const vsctlArg = process.argv.find((a) => a.startsWith('--vsctl='));
const N_VSCTL = vsctlArg ? Number(vsctlArg.slice(8)) : quick ? 40 : 200;
const SCHEMA = join(projectRoot, 'manifests', 'vswitch.ovsschema');
const OURS = join(projectRoot, 'engine', 'bin', 'ovsdb-server');
const OUR_VSCTL_BUILT = join(projectRoot, '.build', 'engine', 'cli', 'ovs-vsctl.js');
const OUR_VSCTL = join(projectRoot, 'engine', 'bin', 'ovs-vsctl');

interface Server { name: string; dir: string; sock: string; pid: number }

function start(name: string, root: string): Server {
  const dir = join(root, name);
  mkdirSync(dir);
  const db = join(dir, 'conf.db');
  spawnSync('ovsdb-tool', ['create', db, SCHEMA]);
  const sock = join(dir, 'db.sock');
  const args = ['--detach', '--no-chdir', `--pidfile=${dir}/pid`, `--log-file=${dir}/log`, `--remote=punix:${sock}`, `--unixctl=${dir}/ctl`, db];
  const r = name === 'ours' ? spawnSync(process.execPath, [OURS, ...args], { encoding: 'utf8' }) : spawnSync('/usr/sbin/ovsdb-server', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
  const v = spawnSync('ovs-vsctl', [`--db=unix:${sock}`, '--no-wait', 'init'], { encoding: 'utf8' });
  if (v.status !== 0) throw new Error(`${name}: init: ${v.stderr}`);
  return { name, dir, sock, pid: Number(readFileSync(join(dir, 'pid'), 'utf8')) };
}

function stop(s: Server): void {
  try { process.kill(s.pid, 'SIGTERM'); } catch { /* gone */ }
}

/** CPU seconds (user + system) process `pid` has used so far (clock ticks of 10 ms). */
function procCpu(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Runs `fn` and returns its result with the CPU seconds server `s` spent meanwhile. */
async function withCpu<T>(s: Server, fn: () => Promise<T> | T): Promise<{ value: T; cpu: number }> {
  const c0 = procCpu(s.pid);
  const value = await fn();
  return { value, cpu: procCpu(s.pid) - c0 };
}

const insert = (i: number): Json[] => [{ op: 'insert', table: 'QoS', row: { type: `bench-${i}` } }];

async function warmUp(s: Server): Promise<void> {
  const c = await connectOvsdb(`unix:${s.sock}`);
  for (let i = 0; i < N_WARM; i++) await c.transact('Open_vSwitch', insert(2e6 + i));
  await c.close();
}

async function sequential(s: Server): Promise<number> {
  const c = await connectOvsdb(`unix:${s.sock}`);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N_SEQ; i++) await c.transact('Open_vSwitch', insert(i));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  await c.close();
  return N_SEQ / secs;
}

async function pipelined(s: Server): Promise<number> {
  const c = await connectOvsdb(`unix:${s.sock}`);
  const t0 = process.hrtime.bigint();
  let next = 0;
  const lane = async () => { while (next < N_PIPE) { const i = next++; await c.transact('Open_vSwitch', insert(1e6 + i)); } };
  await Promise.all(Array.from({ length: 100 }, lane));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  await c.close();
  return N_PIPE / secs;
}

interface Latency { mean: number; p50: number; p95: number; p99: number; perSec: number }

function vsctlRun(cmd: string[], s: Server, tag: string): Latency {
  const times: number[] = [];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N_VSCTL; i++) {
    const a = process.hrtime.bigint();
    const r = spawnSync(cmd[0], [...cmd.slice(1), `--db=unix:${s.sock}`, '--no-wait', 'add-br', `${tag}${i}`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd.join(' ')} add-br ${tag}${i} against ${s.name}: ${r.stderr}`);
    times.push(Number(process.hrtime.bigint() - a) / 1e6);
  }
  const total = Number(process.hrtime.bigint() - t0) / 1e9;
  times.sort((x, y) => x - y);
  return { mean: times.reduce((x, y) => x + y, 0) / times.length, p50: times[Math.floor(times.length / 2)], p95: times[Math.floor(times.length * 0.95)], p99: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))], perSec: N_VSCTL / total };
}

function fmt(n: number, d = 1): string {
  return n.toFixed(d);
}

async function main(): Promise<void> {
  const why = needRealOvs();
  if (why) { console.log(`ovsdb-server bench skipped: ${why}`); return; }
  const root = mkdtempSync(join(tmpdir(), 'h6bench-'));
  const servers = [start('real', root), start('ours', root)];
  const cleanup = () => { for (const s of servers) stop(s); rmSync(root, { recursive: true, force: true }); };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => { cleanup(); process.exit(1); });
  try {
    console.log(`one-row insert transactions (QoS), ${N_SEQ} sequential and ${N_PIPE} with 100 in flight; ${N_VSCTL} ovs-vsctl add-br processes`);
    console.log(`(each server first runs ${N_WARM} untimed one-row transactions: steady state, not JIT warm-up, is timed)`);
    for (const s of servers) await warmUp(s);
    const seq: Record<string, { value: number; cpu: number }> = {};
    const pipe: Record<string, { value: number; cpu: number }> = {};
    for (const s of servers) seq[s.name] = await withCpu(s, () => sequential(s));
    for (const s of servers) pipe[s.name] = await withCpu(s, () => pipelined(s));
    const rows: Array<[string, { value: number; cpu: number }, { value: number; cpu: number }, number]> = [
      ['txn/s, 1 in flight', seq.real!, seq.ours!, N_SEQ], ['txn/s, 100 in flight', pipe.real!, pipe.ours!, N_PIPE],
    ];
    for (const [what, real, ours, n] of rows) {
      const rc = (real.cpu / n) * 1e6;
      const oc = (ours.cpu / n) * 1e6;
      console.log(`${what.padEnd(22)} real ${fmt(real.value).padStart(8)}   ours ${fmt(ours.value).padStart(8)}   ours/real ${fmt(ours.value / real.value, 2)}`
        + `   | server CPU/txn real ${fmt(rc, 0).padStart(4)} us  ours ${fmt(oc, 0).padStart(4)} us  ours/real ${fmt(oc / rc, 2)}`);
    }
    const vs: Record<string, Latency & { cpu: number }> = {};
    const runVsctl = async (cmd: string[], s: Server, tag: string, label: string): Promise<void> => {
      const r = await withCpu(s, () => vsctlRun(cmd, s, tag));
      vs[label] = { ...r.value, cpu: r.cpu };
    };
    for (const s of servers) await runVsctl(['ovs-vsctl'], s, 'rv', `real ovs-vsctl -> ${s.name} server`);
    if (existsSync(OUR_VSCTL_BUILT)) {
      for (const s of servers) await runVsctl([process.execPath, OUR_VSCTL], s, 'ov', `our ovs-vsctl -> ${s.name} server`);
    } else {
      console.log('(our ovs-vsctl is not built in this tree; only real ovs-vsctl measured)');
    }
    const base = vs['real ovs-vsctl -> real server']!;
    for (const [what, l] of Object.entries(vs)) {
      console.log(`${what.padEnd(34)} mean ${fmt(l.mean).padStart(7)} ms  p50 ${fmt(l.p50).padStart(7)} ms  p95 ${fmt(l.p95).padStart(7)} ms  p99 ${fmt(l.p99).padStart(7)} ms  ${fmt(l.perSec).padStart(6)} cmd/s  mean/real-real ${fmt(l.mean / base.mean, 2)}`
        + `  server CPU/cmd ${fmt((l.cpu / N_VSCTL) * 1e3, 2)} ms (/real-real ${fmt(l.cpu / base.cpu, 2)})`);
    }
    const mem = (pid: number, what: 'VmRSS' | 'VmHWM') => {
      try { return Number(new RegExp(`${what}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024; } catch { return 0; }
    };
    console.log(`server RSS after the run: real ${fmt(mem(servers[0].pid, 'VmRSS'))} MB, ours ${fmt(mem(servers[1].pid, 'VmRSS'))} MB; `
      + `peak RSS real ${fmt(mem(servers[0].pid, 'VmHWM'))} MB, ours ${fmt(mem(servers[1].pid, 'VmHWM'))} MB`);
  } finally {
    cleanup();
  }
}

await main();
