// Benchmark: the same client load against real ovsdb-server 3.1 and ours, side by side in one run,
// each server in a private temp dir. The load runs in rounds, and each round runs every phase on
// every server one after the other (in a rotating order), so a busy machine slows them alike; the
// report gives the median over the rounds, the ratio ours/real, and each server's CPU time (user +
// system, from /proc) per operation.
//
// Phases (one-row inserts into QoS through one JSON-RPC client of ours):
//   seq     one transaction in flight (the latency of one transaction, round trip)
//   pipe    100 transactions in flight
//   setup   what `ovs-vsctl add-br` does on a fresh connection, step by step: connect, get_schema
//           of _Server, monitor_cond of _Server's Database table (it carries the schema), then
//           monitor_cond_since of the five tables ovs-vsctl reads, and its add-br transaction
//           (wait on Open_vSwitch.bridges, three inserts, update of bridges, comment)
//   vsctl   `ovs-vsctl --no-wait add-br` processes: real ovs-vsctl, and ours (when built)
//   insns   user-space instructions per one-row insert, one in flight, counted by valgrind's
//           callgrind (tests/lib/callgrind.ts) in fresh servers: a measure of each server's work
//           that, unlike time on a virtual machine, moves by a few per cent between runs. Each
//           server runs twice, INSNS_FIRST and INSNS_FIRST + INSNS_MEASURED transactions; the
//           difference of the counts over INSNS_MEASURED is the steady state (start-up, JIT warm-up
//           and exit cancel out). Under valgrind a server runs about 50 times slower, so timers
//           fire 50 times as often per transaction: our audit lines, written in 10 ms batches,
//           then go out about one per batch instead of dozens (this counts against ours).
//
// `--baseline=DIR` adds a third server: the ovsdb-server of another build of this project (a
// checkout with .build/ made by `npx tsc -b`), so before and after run in the same machine state.
// `floor` (unless --no-floor; seq and pipe phases only) is tests/bench/ovsdb-floor-server.ts: no
// OVSDB server, only what any Node server pays per one-row insert (net receive, JSON.parse, a UUID,
// one SHA-1'd log record written synchronously, the reply). Its ratio is how close a Node server can
// come to real ovsdb-server on the machine of the run.
// `--variant-args="ARG ..."` adds our server once more, started with these options instead.
// `--ours-args="ARG ..."` passes options to our servers (e.g. --no-audit-log: real ovsdb-server
// writes no line per transaction, ours writes an audit line by default).
// Usage: node .build/tests/bench/ovsdb-server.js [--quick] [--rounds=N] [--vsctl=N] [--our-vsctl=N] [--warm-sessions=N]
//        [--baseline=DIR] [--ours-args="..."] [--variant-args="..."] [--phases=seq,pipe,setup,vsctl,insns] [--no-floor] [--no-pin]   (N: processes per server in total, spread over the rounds)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { projectRoot } from '../../engine/setup/paths.js';
import { connectOvsdb, type RpcOvsdbClient } from '../../engine/rpc/client.js';
import type { Json, JsonObject } from '../../engine/ovsdb/api.js';
import { needCommand, needRealOvs } from '../lib/env.js';
import { cpuOfPid, median } from '../lib/bench.js';
import { startCounted } from '../lib/callgrind.js';
import { waitFor } from '../lib/wait.js';

const quick = process.argv.includes('--quick');
function intArg(name: string, dflt: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  if (!a) return dflt;
  const n = Number(a.slice(name.length + 3));
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} needs a non-negative integer, got '${a}'`);
  return n;
}
const ROUNDS = Math.max(1, intArg('rounds', quick ? 3 : 5));
const N_SEQ = intArg('seq', quick ? 500 : 2000);
const N_PIPE = intArg('pipe', quick ? 2000 : 10000);
const N_SETUP = intArg('setup', quick ? 20 : 50);
/** Untimed transactions first, on every server: our server is a JIT-compiled program whose first
 *  few thousand requests run unoptimised code; the timed phases measure the steady state. */
const N_WARM = quick ? 1000 : 3000;
/** Untimed ovs-vsctl-like sessions and real ovs-vsctl processes first, for the same reason: the
 *  per-connection path (accept, get_schema, monitors, close) runs once per session, so a few
 *  sessions leave it unoptimised (our first get_schema of a connection took 1.3 ms after 5
 *  sessions, 0.3 ms, as real ovsdb-server's, after 2000). `--warm-sessions=0` times the cold path. */
const N_WARM_SETUP = intArg('warm-sessions', quick ? 100 : 300);
const N_WARM_VSCTL = quick ? 5 : 20;
const N_VSCTL = intArg('vsctl', quick ? 30 : 200);
const N_OUR_VSCTL = intArg('our-vsctl', quick ? 15 : 100);
const baselineArg = process.argv.find((a) => a.startsWith('--baseline='));
const BASELINE = baselineArg ? resolve(baselineArg.slice(11)) : undefined;
const oursArgsArg = process.argv.find((a) => a.startsWith('--ours-args='));
const OURS_ARGS = oursArgsArg ? oursArgsArg.slice(12).split(/\s+/).filter((x) => x !== '') : [];
const variantArg = process.argv.find((a) => a.startsWith('--variant-args='));
const VARIANT_ARGS = variantArg ? variantArg.slice(15).split(/\s+/).filter((x) => x !== '') : undefined;
const INSNS_FIRST = intArg('insns-first', quick ? 2000 : 5000);
const INSNS_MEASURED = intArg('insns-measured', quick ? 3000 : 10000);
const PHASES = ['seq', 'pipe', 'setup', 'vsctl', 'insns'] as const;
const phasesArg = process.argv.find((a) => a.startsWith('--phases='));
const phases = new Set<string>(phasesArg ? phasesArg.slice(9).split(',') : PHASES);
for (const p of phases) if (!(PHASES as readonly string[]).includes(p)) throw new Error(`--phases: unknown phase '${p}' (expected a comma-separated list of ${PHASES.join(', ')})`);

const SCHEMA = join(projectRoot, 'manifests', 'vswitch.ovsschema');
const launcherIn = (root: string): string => join(root, 'engine', 'bin', 'ovsdb-server');
const OUR_VSCTL_BUILT = join(projectRoot, '.build', 'engine', 'cli', 'ovs-vsctl.js');
const OUR_VSCTL = join(projectRoot, 'engine', 'bin', 'ovs-vsctl');
const NO_EXTRA_CA_METRIC = 'our ovs-vsctl add-br, no NODE_EXTRA_CA_CERTS (ms)';
const FLOOR_SERVER = join(projectRoot, '.build', 'tests', 'bench', 'ovsdb-floor-server.js');
const WITH_FLOOR = !process.argv.includes('--no-floor');

/** `full`: an OVSDB server (every phase); the Node floor only answers one-row inserts. */
interface Server { name: string; dir: string; sock: string; pid: number; full: boolean }

/** A fresh database in `dir` and the command line of an OVSDB server on it (`launcher`: ours, with
 *  `oursArgs`; none: real ovsdb-server), serving punix:`sock`. */
function serverCommand(dir: string, launcher: string | undefined, oursArgs: string[], detach: boolean): { command: string; args: string[]; sock: string } {
  const db = join(dir, 'conf.db');
  spawnSync('ovsdb-tool', ['create', db, SCHEMA]);
  const sock = join(dir, 'db.sock');
  const args = [...(detach ? ['--detach', `--pidfile=${dir}/pid`] : []), '--no-chdir', `--log-file=${dir}/log`, `--remote=punix:${sock}`, `--unixctl=${dir}/ctl`, db];
  return launcher ? { command: process.execPath, args: [launcher, ...oursArgs, ...args], sock } : { command: '/usr/sbin/ovsdb-server', args, sock };
}

function start(name: string, root: string, launcher?: string, oursArgs = OURS_ARGS): Server {
  const dir = join(root, name);
  mkdirSync(dir);
  const { command, args, sock } = serverCommand(dir, launcher, oursArgs, true);
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
  const v = spawnSync('ovs-vsctl', [`--db=unix:${sock}`, '--no-wait', 'init'], { encoding: 'utf8' });
  if (v.status !== 0) throw new Error(`${name}: init: ${v.stderr}`);
  return { name, dir, sock, pid: Number(readFileSync(join(dir, 'pid'), 'utf8')), full: true };
}

/** With one transaction in flight, the time between request and reply on this kind of machine
 *  (a VM) depends mostly on where the kernel runs client and server: on one CPU each wake-up is a
 *  context switch, on two CPUs it is a cross-CPU wake-up of an idle virtual CPU, which costs far
 *  more; the unpinned figure is a mix that varies from run to run. So the phase also runs pinned
 *  (taskset, all threads): both on CPU 0, where the server's whole CPU time per transaction counts;
 *  and client on CPU 0, server on CPU 1, where its work before the reply and the wake-ups count. */
const ALL_CPUS = `0-${availableParallelism() - 1}`;
const PIN_REGIMES: [label: string, clientCpu: string, serverCpu: string][] =
  process.argv.includes('--no-pin') || availableParallelism() < 2 || needCommand('taskset') !== false ? []
    : [['one CPU', '0', '0'], ['two CPUs', '0', '1']];

function pin(pid: number, cpus: string): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset -a -p -c ${cpus} ${pid}: ${r.stderr.trim()}`);
}

/** The command line of the Node floor (tests/bench/ovsdb-floor-server.ts) in `dir`. */
function floorCommand(dir: string): { command: string; args: string[]; sock: string } {
  const sock = join(dir, 'db.sock');
  return { command: process.execPath, args: [FLOOR_SERVER, sock, join(dir, 'log')], sock };
}

/** The Node floor: what any Node server pays per insert. */
async function startFloor(root: string): Promise<Server> {
  const dir = join(root, 'floor');
  mkdirSync(dir);
  const { command, args, sock } = floorCommand(dir);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`floor server exited (${code}) before listening`)));
    child.stdout!.once('data', () => resolve());
  });
  child.removeAllListeners('exit');
  child.stdout!.resume();
  child.unref();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  return { name: 'floor', dir, sock, pid: child.pid!, full: false };
}

/** How each server of the run is started (the insns phase starts fresh ones under callgrind). */
interface ServerSpec { name: string; launcher?: string; oursArgs?: string[]; floor?: boolean }

/** Instructions per one-row insert, one in flight (see the insns phase at the top). */
async function instructionsPerTxn(spec: ServerSpec, root: string): Promise<number> {
  const run = async (tag: string, n: number): Promise<number> => {
    const dir = join(root, `insns-${spec.name}-${tag}`);
    mkdirSync(dir);
    const { command, args, sock } = spec.floor ? floorCommand(dir) : serverCommand(dir, spec.launcher, spec.oursArgs ?? OURS_ARGS, false);
    const p = startCounted(command, args, join(dir, 'valgrind.log'), join(dir, 'callgrind.out'));
    try {
      // Under valgrind a Node server takes tens of seconds to start.
      await waitFor(() => existsSync(sock) || p.child.exitCode !== null, `${spec.name} under callgrind to listen on ${sock}`, 180_000, 200);
      if (p.child.exitCode !== null) throw new Error(`${spec.name} under callgrind exited (${p.child.exitCode}) before listening; see ${dir}/valgrind.log`);
      const c = await connectOvsdb(`unix:${sock}`);
      for (let i = 0; i < n; i++) await c.transact('Open_vSwitch', insert(serial++));
      await c.close();
    } catch (e) {
      await p.stop().catch(() => 0);
      throw e;
    }
    return p.stop();
  };
  // The two runs side by side: counts do not depend on sharing the machine.
  const [a, b] = await Promise.all([run('a', INSNS_FIRST), run('b', INSNS_FIRST + INSNS_MEASURED)]);
  return (b - a) / INSNS_MEASURED;
}

function stop(s: Server): void {
  try { process.kill(s.pid, 'SIGTERM'); } catch { /* gone */ }
}


const insert = (i: number): Json[] => [{ op: 'insert', table: 'QoS', row: { type: `bench-${i}` } }];
let serial = 0;

async function warmUp(s: Server): Promise<void> {
  const c = await connectOvsdb(`unix:${s.sock}`);
  for (let i = 0; i < N_WARM; i++) await c.transact('Open_vSwitch', insert(serial++));
  await c.close();
  if (!s.full) return;
  for (let i = 0; i < N_WARM_SETUP; i++) await setupOnce(s);
  vsctlRun(['ovs-vsctl'], s, 'wv', N_WARM_VSCTL);
  // The warm-up's bridges go again (garbage-collected with their ports and interfaces): the timed
  // sessions see the database they would see without the warm-up.
  const c2 = await connectOvsdb(`unix:${s.sock}`);
  const r = await c2.transact('Open_vSwitch', [{ op: 'update', table: 'Open_vSwitch', where: [], row: { bridges: ['set', []] } }]);
  await c2.close();
  if (!r[0] || typeof r[0] !== 'object' || (r[0] as JsonObject).count !== 1) throw new Error(`${s.name}: removing the warm-up bridges failed: ${JSON.stringify(r)}`);
}

/** Transactions per second, one in flight. */
async function sequential(s: Server): Promise<number> {
  const c = await connectOvsdb(`unix:${s.sock}`);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N_SEQ; i++) await c.transact('Open_vSwitch', insert(serial++));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  await c.close();
  return N_SEQ / secs;
}

/** Transactions per second, 100 in flight. */
async function pipelined(s: Server): Promise<number> {
  const c = await connectOvsdb(`unix:${s.sock}`);
  const t0 = process.hrtime.bigint();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < N_PIPE) {
      next++;
      await c.transact('Open_vSwitch', insert(serial++));
    }
  };
  await Promise.all(Array.from({ length: 100 }, lane));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  await c.close();
  return N_PIPE / secs;
}

const SETUP_STEPS = ['connect', 'get_schema', 'monitor_cond _Server', 'monitor_cond_since', 'transact add-br', 'total'] as const;
type SetupStep = typeof SETUP_STEPS[number];
const VSCTL_MONITOR: JsonObject = {
  Port: [{ columns: ['fake_bridge', 'interfaces', 'name', 'tag'] }], Interface: [{ columns: ['error', 'name', 'ofport'] }],
  Controller: [{ columns: [] }], Bridge: [{ columns: ['controller', 'fail_mode', 'name', 'ports'] }], Open_vSwitch: [{ columns: ['bridges'] }],
};

/** One ovs-vsctl-like session; returns each step's milliseconds. */
async function setupOnce(s: Server): Promise<Record<SetupStep, number>> {
  const out = {} as Record<SetupStep, number>;
  const t0 = process.hrtime.bigint();
  let t = t0;
  const lap = (step: SetupStep): void => {
    const now = process.hrtime.bigint();
    out[step] = Number(now - t) / 1e6;
    t = now;
  };
  const c: RpcOvsdbClient = await connectOvsdb(`unix:${s.sock}`);
  lap('connect');
  await c.request('get_schema', ['_Server']);
  lap('get_schema');
  await c.request('monitor_cond', ['_Server', ['monid', '_Server'], { Database: [{ columns: ['name', 'model', 'connected', 'leader', 'schema', 'cid', 'index'] }] }]);
  lap('monitor_cond _Server');
  const r = await c.request('monitor_cond_since', ['Open_vSwitch', ['monid', 'Open_vSwitch'], VSCTL_MONITOR, '00000000-0000-0000-0000-000000000000']) as Json[];
  lap('monitor_cond_since');
  const ovs = (r[2] as JsonObject).Open_vSwitch as JsonObject;
  const root = Object.keys(ovs)[0]!;
  const bridgesJson = ((ovs[root] as JsonObject).initial as JsonObject).bridges ?? ['set', []];
  const bridges: Json[] = Array.isArray(bridgesJson) && bridgesJson[0] === 'set' ? bridgesJson[1] as Json[] : [bridgesJson];
  const name = `bs${serial++}`;
  const where = [['_uuid', '==', ['uuid', root]]];
  const res = await c.transact('Open_vSwitch', [
    { op: 'wait', table: 'Open_vSwitch', where, columns: ['bridges'], until: '==', rows: [{ bridges: ['set', bridges] }], timeout: 0 },
    { op: 'insert', table: 'Port', 'uuid-name': 'p', row: { name, interfaces: ['named-uuid', 'i'] } },
    { op: 'insert', table: 'Bridge', 'uuid-name': 'b', row: { name, ports: ['named-uuid', 'p'] } },
    { op: 'update', table: 'Open_vSwitch', where, row: { bridges: ['set', [...bridges, ['named-uuid', 'b']]] } },
    { op: 'insert', table: 'Interface', 'uuid-name': 'i', row: { name, type: 'internal' } },
    { op: 'comment', comment: `bench: add-br ${name}` },
  ]);
  if (res.some((x) => x && typeof x === 'object' && 'error' in x)) throw new Error(`${s.name}: add-br transaction failed: ${JSON.stringify(res)}`);
  lap('transact add-br');
  out.total = Number(process.hrtime.bigint() - t0) / 1e6;
  await c.close();
  return out;
}

/** Median per step over N_SETUP sessions. */
async function setup(s: Server): Promise<Record<SetupStep, number>> {
  const all: Record<SetupStep, number>[] = [];
  for (let i = 0; i < N_SETUP; i++) all.push(await setupOnce(s));
  const out = {} as Record<SetupStep, number>;
  for (const step of SETUP_STEPS) out[step] = median(all.map((x) => x[step]));
  return out;
}

/** Mean milliseconds per `add-br` process (n processes), run with `env` (default: this process's). */
function vsctlRun(cmd: string[], s: Server, tag: string, n: number, env: NodeJS.ProcessEnv = process.env): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const name = `${tag}${serial++}`;
    const r = spawnSync(cmd[0]!, [...cmd.slice(1), `--db=unix:${s.sock}`, '--no-wait', 'add-br', name], { encoding: 'utf8', env });
    if (r.status !== 0) throw new Error(`${cmd.join(' ')} add-br ${name} against ${s.name}: ${r.stderr}`);
  }
  return Number(process.hrtime.bigint() - t0) / 1e6 / n;
}

const fmt = (n: number, d = 1): string => (Number.isFinite(n) ? n.toFixed(d) : '-');

/** Per metric and server: one value per round, and server CPU seconds per round. */
class Results {
  readonly values = new Map<string, Map<string, number[]>>();
  readonly cpu = new Map<string, Map<string, number[]>>();
  readonly ops = new Map<string, number>();

  add(metric: string, server: string, value: number, cpu?: number): void {
    const put = (m: Map<string, Map<string, number[]>>, v: number): void => {
      let per = m.get(metric);
      if (!per) m.set(metric, (per = new Map()));
      let l = per.get(server);
      if (!l) per.set(server, (l = []));
      l.push(v);
    };
    put(this.values, value);
    if (cpu !== undefined) put(this.cpu, cpu);
  }

  med(metric: string, server: string, m = this.values): number {
    const l = m.get(metric)?.get(server);
    return l && l.length ? median(l) : NaN;
  }

  /** The lowest and highest of the per-round ratios server/real (each round ran both, one after
   *  the other), as " a..b"; '' with fewer than two rounds. Shows how far one run can move. */
  spread(metric: string, server: string): string {
    const o = this.values.get(metric)?.get(server) ?? [];
    const r = this.values.get(metric)?.get('real') ?? [];
    const ratios = o.slice(0, r.length).map((v, i) => v / r[i]!).filter(Number.isFinite);
    return ratios.length < 2 ? '' : ` ${fmt(Math.min(...ratios), 2)}..${fmt(Math.max(...ratios), 2)}`;
  }
}

async function main(): Promise<void> {
  const why = needRealOvs();
  if (why) { console.log(`ovsdb-server bench skipped: ${why}`); return; }
  if (BASELINE && !existsSync(join(BASELINE, '.build', 'engine', 'cli', 'ovsdb-server.js'))) {
    throw new Error(`--baseline=${BASELINE}: no .build/engine/cli/ovsdb-server.js there (run npx tsc -b in it)`);
  }
  const root = mkdtempSync(join(tmpdir(), 'ovsdb-server-bench-'));
  const servers: Server[] = [];
  const cleanup = (): void => { for (const s of servers) stop(s); rmSync(root, { recursive: true, force: true }); };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => { cleanup(); process.exit(1); });
  try {
    const specs: ServerSpec[] = [{ name: 'real' }, { name: 'ours', launcher: launcherIn(projectRoot) }];
    if (BASELINE) specs.push({ name: 'base', launcher: launcherIn(BASELINE) });
    if (VARIANT_ARGS) specs.push({ name: 'variant', launcher: launcherIn(projectRoot), oursArgs: VARIANT_ARGS });
    for (const spec of specs) servers.push(start(spec.name, root, spec.launcher, spec.oursArgs));
    if (WITH_FLOOR && (phases.has('seq') || phases.has('pipe') || phases.has('insns'))) {
      servers.push(await startFloor(root));
      specs.push({ name: 'floor', floor: true });
    }
    const noValgrind = phases.has('insns') ? needCommand('valgrind') : false;
    if (noValgrind) console.log(`insns phase skipped: ${noValgrind}`);
    const ourVsctl = existsSync(OUR_VSCTL_BUILT) && N_OUR_VSCTL > 0;
    console.log(`servers: ${servers.map((s) => s.name).join(', ')}${BASELINE ? ` (base = ${BASELINE})` : ''}${OURS_ARGS.length ? ` (ours with ${OURS_ARGS.join(' ')})` : ''}${VARIANT_ARGS ? ` (variant = ours with ${VARIANT_ARGS.join(' ')})` : ''}; ${ROUNDS} rounds, each: `
      + `${N_SEQ} one-row inserts 1 in flight, ${N_PIPE} with 100 in flight, ${N_SETUP} ovs-vsctl-like sessions, `
      + `${Math.ceil(N_VSCTL / ROUNDS)} real ovs-vsctl add-br${ourVsctl ? `, ${Math.ceil(N_OUR_VSCTL / ROUNDS)} of our ovs-vsctl` : ''} per server`);
    console.log(`(each server first runs ${N_WARM} untimed transactions, ${N_WARM_SETUP} ovs-vsctl-like sessions and ${N_WARM_VSCTL} real ovs-vsctl: the steady state, not JIT warm-up, is timed)`);
    for (const s of servers) await warmUp(s);
    const res = new Results();
    const timed = async (metric: string, s: Server, ops: number, fn: () => Promise<number> | number): Promise<void> => {
      const c0 = cpuOfPid(s.pid);
      const v = await fn();
      res.add(metric, s.name, v, (cpuOfPid(s.pid) - c0) / ops);
      res.ops.set(metric, ops);
    };
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order, so no server always runs right after the same other one.
      const order = servers.map((_, i) => servers[(i + round) % servers.length]!);
      if (phases.has('seq')) {
        for (const s of order) await timed('txn/s, 1 in flight', s, N_SEQ, () => sequential(s));
        for (const [label, clientCpu, serverCpu] of PIN_REGIMES) {
          for (const s of order) {
            await timed(`txn/s, 1 in flight, ${label}`, s, N_SEQ, async () => {
              pin(process.pid, clientCpu);
              pin(s.pid, serverCpu);
              try { return await sequential(s); } finally { pin(process.pid, ALL_CPUS); pin(s.pid, ALL_CPUS); }
            });
          }
        }
      }
      if (phases.has('pipe')) for (const s of order) await timed('txn/s, 100 in flight', s, N_PIPE, () => pipelined(s));
      const full = order.filter((s) => s.full);
      if (phases.has('setup')) for (const s of full) {
        const c0 = cpuOfPid(s.pid);
        const r = await setup(s);
        for (const step of SETUP_STEPS) {
          if (step === 'total') res.add('setup session, total (ms)', s.name, r.total, (cpuOfPid(s.pid) - c0) / N_SETUP);
          else res.add(`setup ${step} (ms)`, s.name, r[step]);
        }
      }
      const nv = Math.ceil(N_VSCTL / ROUNDS);
      if (phases.has('vsctl')) for (const s of full) await timed('real ovs-vsctl add-br (ms)', s, nv, () => vsctlRun(['ovs-vsctl'], s, 'rv', nv));
      if (ourVsctl && phases.has('vsctl')) {
        const no = Math.ceil(N_OUR_VSCTL / ROUNDS);
        for (const s of full) await timed('our ovs-vsctl add-br (ms)', s, no, () => vsctlRun([process.execPath, OUR_VSCTL], s, 'ov', no));
        // Node 20 reads every certificate of NODE_EXTRA_CA_CERTS (and its own root store) as it
        // starts, before any of our code runs; our tools never use them (TLS to OVSDB trusts only
        // the --ca-cert given). Where the variable is set, the run without it shows our own cost.
        if (process.env.NODE_EXTRA_CA_CERTS) {
          const env = { ...process.env };
          delete env.NODE_EXTRA_CA_CERTS;
          for (const s of full) await timed(NO_EXTRA_CA_METRIC, s, no, () => vsctlRun([process.execPath, OUR_VSCTL], s, 'on', no, env));
        }
      }
      process.stdout.write(`round ${round + 1}/${ROUNDS} done\n`);
    }
    if (phases.has('insns') && !noValgrind) {
      for (const spec of specs) res.add('instructions per txn (callgrind)', spec.name, await instructionsPerTxn(spec, root));
      process.stdout.write('instruction counts done\n');
    }
    const others = servers.filter((s) => s.name !== 'real').map((s) => s.name);
    console.log(`\nmedian of ${ROUNDS} rounds (instructions: one count); ratio = ours/real (txn/s: higher is better; ms and instructions: lower is better), then the lowest..highest ratio of a single round; CPU = server user+system per operation`);
    for (const metric of res.values.keys()) {
      const real = res.med(metric, 'real');
      const cells = [`real ${fmt(real, 2).padStart(8)}`];
      for (const o of others) cells.push(`${o} ${fmt(res.med(metric, o), 2).padStart(8)} (${fmt(res.med(metric, o) / real, 2)}${res.spread(metric, o)})`);
      let line = `${metric.padEnd(50)} ${cells.join('   ')}`;
      if (res.cpu.has(metric)) {
        const rc = res.med(metric, 'real', res.cpu) * 1e6;
        line += `   | CPU/op real ${fmt(rc, 0)} us`;
        for (const o of others) {
          const oc = res.med(metric, o, res.cpu) * 1e6;
          line += `, ${o} ${fmt(oc, 0)} us (${fmt(oc / rc, 2)})`;
        }
      }
      console.log(line);
    }
    const mem = (pid: number, what: 'VmRSS' | 'VmHWM'): number => {
      try { return Number(new RegExp(`${what}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024; } catch { return 0; }
    };
    console.log(`server RSS after the run: ${servers.map((s) => `${s.name} ${fmt(mem(s.pid, 'VmRSS'))} MB (peak ${fmt(mem(s.pid, 'VmHWM'))})`).join(', ')}`);
  } finally {
    cleanup();
  }
}

await main();
