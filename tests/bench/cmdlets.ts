// Benchmark: the PowerShell module's cost per cmdlet, in one warm pwsh against our engine (database
// only), next to one `ovs-vsctl add-br` process against a real ovsdb-server 3.1 and against ours.
//
// For each of Get-OvsBridge -Name, New-OvsBridge, Add-OvsPort, Set-OvsPort and Remove-OvsBridge it
// times N calls one by one inside pwsh and prints the median and 90th percentile round trip, with
// the CPU time per call of pwsh (the client) and of the engine (the server), which a busy machine
// inflates far less than wall time, and the engine's own account of where its time went
// (ovsps/stats: the handler's time and ovs-vsctl's phases). The same cmdlets against a stand-in
// engine that answers at once give the PowerShell side alone. The `ovs-vsctl add-br` processes run
// in rounds between the cmdlet phases, alternating call by call between ovsdb-server and our
// engine, so both see the same machine load.
// With --switch (root only) it also runs the changing cmdlets against an engine WITH its switch (in
// a private network namespace, userspace datapath), where each change waits until the switch has
// applied it (cur_cfg >= next_cfg): the 'wait' phase of ovsps/stats.
// With --baseline it also starts a second engine with the kept ovs-vsctl replica turned off
// (OVSPS_VSCTL_SESSION=0: every call reads the tables and builds ovs-vsctl's cache anew) and runs
// every cmdlet against both, alternating in rounds (ABBA), printing both and the ratios.
// With --engine-only it runs no pwsh: in this process, two in-memory engines' management methods
// (kept replica on and off) at 200 bridges + 200 ports on one bridge, the calls the cmdlets make
// (ovsps/vsctl with their view), alternating in rounds; prints CPU ms per call and the ratios.
// Usage: node .build/tests/bench/cmdlets.js [--quick] [--switch] [--baseline] [--engine-only]
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject } from '../../engine/ovsdb/api.js';
import { projectRoot } from '../../engine/setup/paths.js';
import { needPwsh, needRealOvs, needRoot } from '../lib/env.js';
import { RawJsonRpcClient } from '../lib/real-ovsdb.js';
import { PwshSession, psq } from '../powershell/lib/pwsh-session.js';

const QUICK = process.argv.includes('--quick');
const SWITCH = process.argv.includes('--switch');
const BASELINE = process.argv.includes('--baseline');
/** Rounds each cmdlet's N calls are split into when two engines alternate. */
const ROUNDS = 4;
/** Calls per cmdlet against the engine with its switch (each waits for the switch). */
const N_SWITCH = QUICK ? 8 : 30;
const NETNS = 'ovspsh25bench';
const N = QUICK ? 40 : 200;
/** Calls of every cmdlet against the instant engine before anything is measured: pwsh compiles
 *  (and recompiles, tiered) the engine's code paths for several hundred calls of a cmdlet. */
const CLIENT_WARM = QUICK ? 300 : 1500;
const WARM = 25;
/** ovs-vsctl add-br processes per round (one round after each cmdlet phase), per server. */
const VSCTL_PER_ROUND = QUICK ? 4 : 12;
const SCHEMA = join(projectRoot, 'manifests', 'vswitch.ovsschema');

/** utime + stime of a process in ms (Linux /proc; undefined elsewhere). */
function processCpuMs(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms (USER_HZ 100)
  } catch { return undefined; }
}

/** Waits (up to 40 s) until a process uses under 3% of a core over one second; returns seconds waited. */
async function waitQuiet(pid: number | undefined): Promise<number> {
  for (let s = 0; s < 40; s++) {
    const c0 = processCpuMs(pid);
    await new Promise((r) => setTimeout(r, 1000));
    const c1 = processCpuMs(pid);
    if (c0 === undefined || c1 === undefined || c1 - c0 < 30) return s + 1;
  }
  return 40;
}

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

interface Timing { median: number; p90: number; mean: number; n: number }
function summarize(ms: number[]): Timing {
  const s = [...ms].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), p90: quantile(s, 0.9), mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length), n: s.length };
}

function vsctlOnce(db: string, name: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('ovs-vsctl', [`--db=${db}`, '--no-wait', 'add-br', name], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ovs-vsctl add-br: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function startRealOvsdb(dir: string): { sock: string; pid: number } {
  mkdirSync(dir);
  const db = join(dir, 'conf.db'), sock = join(dir, 'db.sock');
  spawnSync('ovsdb-tool', ['create', db, SCHEMA]);
  const r = spawnSync('/usr/sbin/ovsdb-server', ['--detach', '--no-chdir', `--pidfile=${dir}/pid`, `--log-file=${dir}/log`, `--remote=punix:${sock}`, `--unixctl=${dir}/ctl`, db], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ovsdb-server: ${r.stderr}`);
  spawnSync('ovs-vsctl', [`--db=unix:${sock}`, '--no-wait', 'init']);
  return { sock, pid: Number(readFileSync(join(dir, 'pid'), 'utf8')) };
}

/** A stand-in engine that answers the module's calls at once with canned rows: timing the cmdlets
 *  against it measures the PowerShell side alone (serialise, socket, parse, objects). */
function startInstantEngine(path: string): Promise<Server> {
  const bridge = { uuid: '6c0f3a52-8f0e-4c55-9b61-3d2a4e7c9a10', name: 'br0', ports: ['br0'], failMode: '', controllers: [], datapathType: '', datapathId: '', protocols: [], externalIds: {}, otherConfig: {} };
  const port = { uuid: '6c0f3a52-8f0e-4c55-9b61-3d2a4e7c9a11', name: 'p0', bridge: 'br0', tag: 900, trunks: [], vlanMode: '', interfaces: ['p0'], bondMode: '', lacp: '', externalIds: {}, otherConfig: {} };
  const server = createServer((sock) => {
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      // The module writes one request per write and waits for its reply: a write is one message.
      let msg: { id: unknown; method: string; params: Array<{ view?: { kind?: string } | null }> };
      try { msg = JSON.parse(buf); } catch { return; }
      buf = '';
      const view = msg.params[0]?.view;
      const result = msg.method === 'ovsps/bridges' ? [bridge]
        : msg.method === 'ovsps/vsctl' ? { outputs: [''], warnings: [], ...(view ? { view: [view.kind === 'ports' ? port : bridge] } : {}) }
          : { pid: 1 };
      sock.write(JSON.stringify({ id: msg.id, result, error: null }));
    });
    sock.on('error', () => undefined);
  });
  return new Promise((res) => server.listen(path, () => res(server)));
}

/** The cmdlets measured: label and a body using $i (the call's index) and $db (-Database, or none). */
const CMDLETS: Array<{ label: string; body: string }> = [
  { label: 'New-OvsBridge', body: '$null = New-OvsBridge -Name "psbr$i"$db' },
  { label: 'Add-OvsPort', body: '$null = Add-OvsPort -Bridge psbr0 -Name "psp$i" -VlanTag 900$db' },
  { label: 'Set-OvsPort', body: 'Set-OvsPort -Name "psp$i" -VlanTag 901$db' },
  { label: 'Get-OvsBridge -Name', body: '$null = Get-OvsBridge -Name "psbr$i"$db' },
  // Reverse order: psbr0 (holding every psp port) goes last.
  { label: 'Remove-OvsBridge', body: 'Remove-OvsBridge -Name "psbr$($N - 1 - $i)" -Force$db' },
];
const withDb = (body: string, db: string): string => body.replace(/\$db$/, db ? ` -Database ${db}` : '');

interface PhaseResult { label: string; wall: Timing; pwshCpu: number; jit: number; engineCpu?: number; stats?: JsonObject }

/** An engine the cmdlets run against: its pid (CPU time), how cmdlets name it (" -Database ..."
 *  or '' for $env:OVS_DB), and its ovsps/stats. */
interface Engine { pid?: number; db: string; stats?: (params: JsonObject) => Promise<JsonObject | undefined> }

function ip(...args: string[]): number {
  return spawnSync('ip', args, { stdio: 'ignore' }).status ?? 1;
}

/** New-OvsBridge, Add-OvsPort, Set-OvsPort and Remove-OvsBridge against an engine running its
 *  switch: each call returns once the switch has applied the change. Prints median/p90 and the
 *  engine's phases (the 'wait' phase is the switch's reconfiguration). */
async function switchRun(root: string): Promise<void> {
  const why = needRoot();
  if (why) { console.log(`\nwith the switch: skipped (${why})`); return; }
  ip('netns', 'del', NETNS);
  if (ip('netns', 'add', NETNS) !== 0) { console.log('\nwith the switch: skipped (cannot create a network namespace)'); return; }
  const run = join(root, 'engine-switch');
  const ps = await PwshSession.open({ netns: NETNS });
  let rpc: RawJsonRpcClient | undefined;
  try {
    await ps.ok(`$e = Start-OvsEngine -DatabasePath ${psq(join(root, 'conf-switch.db'))} -RunDirectory ${psq(run)} -DatapathTransport userspace; $env:OVS_DB = $e.Socket`);
    rpc = await RawJsonRpcClient.connect(join(run, 'db.sock'));
    const bodies: Array<{ label: string; body: string }> = [
      { label: 'New-OvsBridge', body: '$null = New-OvsBridge -Name "swbr$i"' },
      { label: 'Add-OvsPort (internal)', body: '$null = Add-OvsPort -Bridge swbr0 -Name "swp$i" -VlanTag 900 -Type internal' },
      { label: 'Set-OvsPort', body: 'Set-OvsPort -Name "swp$i" -VlanTag 901' },
      { label: 'Remove-OvsBridge', body: 'Remove-OvsBridge -Name "swbr$($N - 1 - $i)" -Force' },
    ];
    await ps.ok('for ($i = 1000; $i -lt 1003; $i++) { $null = New-OvsBridge -Name "swbr$i"; $null = Add-OvsPort -Bridge "swbr$i" -Name "swp$i" -Type internal; Set-OvsPort -Name "swp$i" -VlanTag 5; Remove-OvsBridge -Name "swbr$i" -Force }');
    console.log(`\nWith the switch (userspace datapath, in a private namespace), ${N_SWITCH} calls each; every change waits for cur_cfg:`);
    console.log(`${'ms per call'.padEnd(44)} ${'median'.padStart(7)} ${'p90'.padStart(7)}  engine phases (mean wall ms)`);
    for (const b of bodies) {
      await rpc.request('ovsps/stats', [{ reset: true }]);
      const [r] = await ps.ok<{ Times: number[] }>(`$N = ${N_SWITCH}; $times = [double[]]::new($N); $f = 1000.0 / [System.Diagnostics.Stopwatch]::Frequency
        for ($i = 0; $i -lt $N; $i++) { $s = [System.Diagnostics.Stopwatch]::GetTimestamp(); ${b.body}; $times[$i] = ([System.Diagnostics.Stopwatch]::GetTimestamp() - $s) * $f }
        [pscustomobject]@{ Times = $times }`, 4);
      const st = (await rpc.request('ovsps/stats', [{ reset: true }])).result as JsonObject | null;
      const m = (st?.methods as JsonObject | undefined)?.['ovsps/vsctl'] as JsonObject | undefined;
      const phases = m ? Object.entries(m.phasesMs as JsonObject).map(([k, v]) => `${k} ${Number(v).toFixed(1)}`).join(', ') : 'n/a';
      const w = summarize(r!.Times);
      console.log(`${b.label.padEnd(44)} ${w.median.toFixed(2).padStart(7)} ${w.p90.toFixed(2).padStart(7)}  ${phases}`);
    }
  } finally {
    rpc?.close();
    await ps.run(`Stop-OvsEngine -RunDirectory ${psq(run)} -Confirm:$false`).catch(() => undefined);
    await ps.close();
    ip('netns', 'del', NETNS);
  }
}

/** --engine-only: CPU per management call in this process, kept replica vs none, interleaved. */
async function engineOnly(): Promise<void> {
  const { createDatabase } = await import('../../engine/ovsdb/database.js');
  const { parseSchema } = await import('../../engine/ovsdb/schema.js');
  const { registerManagementMethods } = await import('../../engine/mgmt/methods.js');
  type Handler = (params: unknown[]) => Promise<unknown>;
  const schema = parseSchema(JSON.parse(readFileSync(SCHEMA, 'utf8')));
  const make = (keep: boolean): Map<string, Handler> => {
    const methods = new Map<string, Handler>();
    const prev = process.env.OVSPS_VSCTL_SESSION;
    process.env.OVSPS_VSCTL_SESSION = keep ? '1' : '0';
    registerManagementMethods({ registerMethod: (n: string, h: Handler) => { methods.set(n, h); } } as never,
      { database: createDatabase(schema), vswitch: () => undefined, info: () => ({}), exit: () => undefined });
    if (prev === undefined) delete process.env.OVSPS_VSCTL_SESSION; else process.env.OVSPS_VSCTL_SESSION = prev;
    return methods;
  };
  const engines = [{ name: 'kept', m: make(true) }, { name: 'without', m: make(false) }];
  const B = 200, K = QUICK ? 20 : 100, R = QUICK ? 2 : 4;
  for (const e of engines) {
    const v = e.m.get('ovsps/vsctl')!;
    await v([{ commands: [['init']] }]);
    for (let i = 0; i < B; i++) await v([{ commands: [['add-br', `b${i}`]] }]);
    for (let i = 0; i < B; i++) await v([{ commands: [['add-port', 'b0', `p${i}`, 'tag=900']] }]);
  }
  const calls: Array<[string, (i: number) => unknown[]]> = [
    ['add-br (New-OvsBridge)', (i) => [{ commands: [['add-br', `e${i}`]], view: { kind: 'bridges', name: `e${i}` } }]],
    ['add-port (Add-OvsPort)', (i) => [{ commands: [['add-port', 'b0', `q${i}`, 'tag=900']], view: { kind: 'ports', name: `q${i}` } }]],
    ['set Port tag (Set-OvsPort)', (i) => [{ commands: [['set', 'Port', `q${i}`, 'tag=901']] }]],
    ['del-port', (i) => [{ commands: [['del-port', `q${i}`]] }]],
    ['del-br (Remove-OvsBridge)', (i) => [{ commands: [['del-br', `e${K - 1 - i}`]] }]],
  ];
  const cpu = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  const sums = engines.map(() => calls.map(() => 0));
  for (let r = 0; r < R; r++) {
    // Each round: every call K times on one engine, then on the other (ABBA over the rounds).
    const order = r % 2 ? [1, 0] : [0, 1];
    for (const k of order) {
      const v = engines[k]!.m.get('ovsps/vsctl')!;
      for (let c = 0; c < calls.length; c++) {
        const c0 = cpu();
        for (let i = 0; i < K; i++) await v(calls[c]![1](i));
        sums[k]![c]! += cpu() - c0;
      }
    }
  }
  console.log(`Engine CPU per management call (this process, ${B} bridges + ${B} ports on one bridge, ${R} rounds of ${K} calls, alternating):`);
  console.log(`${'ms CPU per call'.padEnd(30)} ${'kept'.padStart(8)} ${'without'.padStart(8)}  ratio`);
  calls.forEach(([label], c) => {
    const a = sums[0]![c]! / (R * K), b = sums[1]![c]! / (R * K);
    console.log(`${label.padEnd(30)} ${a.toFixed(3).padStart(8)} ${b.toFixed(3).padStart(8)}  ${(a / b).toFixed(2)}`);
  });
  console.log(`load average: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} cores`);
}

async function main(): Promise<void> {
  if (process.argv.includes('--engine-only')) { await engineOnly(); return; }
  const noPwsh = needPwsh();
  if (noPwsh) { console.log(`skipped: ${noPwsh}`); return; }
  const root = mkdtempSync(join(tmpdir(), 'ovsps-bench-cmdlets-'));
  const run = join(root, 'engine'), runBase = join(root, 'engine-base');
  const ps = await PwshSession.open();
  let rpcBase: RawJsonRpcClient | undefined;
  let real: { sock: string; pid: number } | undefined;
  let rpc: RawJsonRpcClient | undefined;
  try {
    const [enginePid] = await ps.ok<number>(`$e = Start-OvsEngine -DatabasePath ${psq(join(root, 'conf.db'))} -RunDirectory ${psq(run)} -NoSwitch; $env:OVS_DB = $e.Socket; [int]$e.Pid`);
    const ourSock = join(run, 'db.sock');
    rpc = await RawJsonRpcClient.connect(ourSock);
    const stats = async (params: JsonObject): Promise<JsonObject | undefined> => {
      const r = await rpc!.request('ovsps/stats', [params]);
      return r.error ? undefined : (r.result as JsonObject);
    };
    const hasStats = (await stats({ reset: true })) !== undefined;
    let engBase: Engine | undefined;
    if (BASELINE) {
      const [basePid] = await ps.ok<number>(`$env:OVSPS_VSCTL_SESSION = '0'; try { $b = Start-OvsEngine -DatabasePath ${psq(join(root, 'conf-base.db'))} -RunDirectory ${psq(runBase)} -NoSwitch } finally { Remove-Item Env:OVSPS_VSCTL_SESSION }; [int]$b.Pid`);
      rpcBase = await RawJsonRpcClient.connect(join(runBase, 'db.sock'));
      const rb = rpcBase;
      const baseStats = async (params: JsonObject): Promise<JsonObject | undefined> => { const r = await rb.request('ovsps/stats', [params]); return r.error ? undefined : (r.result as JsonObject); };
      const st = await baseStats({ reset: true });
      if (st && st.vsctlSession !== null && st.vsctlSession !== undefined) throw new Error('the baseline engine keeps its replica: OVSPS_VSCTL_SESSION=0 did not reach it');
      engBase = { pid: basePid!, db: psq(`unix:${join(runBase, 'db.sock')}`), stats: baseStats };
    }
    if (!needRealOvs()) real = startRealOvsdb(join(root, 'real'));

    /** Calls from..to-1 of `body` (with $db for `eng`), each timed alone; pwsh's CPU, JIT-compiled
     *  methods and the engine's CPU, all in total. */
    const calls = async (body: string, from: number, to: number, eng: Engine): Promise<{ times: number[]; cpu: number; jit: number; engCpu?: number }> => {
      const e0 = processCpuMs(eng.pid);
      // Methods the JIT compiled meanwhile: pwsh recompiles its own code (tiered) for hundreds of
      // calls, in a background thread whose CPU counts in pwsh's.
      const [r] = await ps.ok<{ Times: number[]; Cpu: number; Jit: number }>(`$N = ${N}; $p = [System.Diagnostics.Process]::GetCurrentProcess(); $c0 = $p.TotalProcessorTime.TotalMilliseconds
        $j0 = [System.Runtime.JitInfo]::GetCompiledMethodCount($false)
        $times = [double[]]::new(${to - from}); $f = 1000.0 / [System.Diagnostics.Stopwatch]::Frequency
        for ($i = ${from}; $i -lt ${to}; $i++) { $s = [System.Diagnostics.Stopwatch]::GetTimestamp(); ${withDb(body, eng.db)}; $times[$i - ${from}] = ([System.Diagnostics.Stopwatch]::GetTimestamp() - $s) * $f }
        $p.Refresh(); [pscustomobject]@{ Times = $times; Cpu = $p.TotalProcessorTime.TotalMilliseconds - $c0; Jit = [System.Runtime.JitInfo]::GetCompiledMethodCount($false) - $j0 }`, 4);
      const e1 = processCpuMs(eng.pid);
      return { times: r!.Times, cpu: r!.Cpu, jit: r!.Jit, ...(e0 !== undefined && e1 !== undefined ? { engCpu: e1 - e0 } : {}) };
    };
    /** N calls of `body` against each engine; with two, in ROUNDS rounds alternating (ABBA), so
     *  both see the same machine load. Per engine: median/p90, CPU per call, ovsps/stats. */
    const phase = async (label: string, body: string, engines: Engine[]): Promise<PhaseResult[]> => {
      for (const e of engines) await e.stats?.({ reset: true });
      const acc = engines.map(() => ({ times: [] as number[], cpu: 0, jit: 0, engCpu: 0, engKnown: true }));
      const rounds = engines.length > 1 ? ROUNDS : 1;
      for (let r = 0; r < rounds; r++) {
        const from = Math.floor((r * N) / rounds), to = Math.floor(((r + 1) * N) / rounds);
        const order = engines.map((_, k) => k);
        if (r % 2) order.reverse();
        for (const k of order) {
          const x = await calls(body, from, to, engines[k]!), a = acc[k]!;
          a.times.push(...x.times); a.cpu += x.cpu; a.jit += x.jit;
          if (x.engCpu === undefined) a.engKnown = false; else a.engCpu += x.engCpu;
        }
      }
      const out: PhaseResult[] = [];
      for (let k = 0; k < engines.length; k++) {
        const a = acc[k]!, e = engines[k]!;
        const res: PhaseResult = { label, wall: summarize(a.times), pwshCpu: a.cpu / N, jit: a.jit / N };
        if (e.pid && a.engKnown) res.engineCpu = a.engCpu / N;
        const st = await e.stats?.({ reset: true });
        if (st) res.stats = st;
        out.push(res);
      }
      return out;
    };
    const ours: number[] = [], theirs: number[] = [];
    let vsctlNames = 0;
    /** One round of ovs-vsctl add-br processes, alternating between the two servers. */
    const vsctlRound = (): void => {
      for (let k = 0; k < VSCTL_PER_ROUND; k++) {
        const name = `vsbr${vsctlNames++}`;
        ours.push(vsctlOnce(`unix:${ourSock}`, name));
        if (real) theirs.push(vsctlOnce(`unix:${real.sock}`, name));
      }
    };

    // pwsh keeps compiling (tiered JIT) in the background for many seconds after the module is
    // imported; wait until it is quiet, or its CPU would be counted against the first cmdlets.
    const [pwshPid] = await ps.ok<number>('$PID');
    console.log(`pwsh background CPU settled after ${await waitQuiet(pwshPid)} s`);

    // The PowerShell side alone, against an engine that answers at once. It goes first and warms
    // pwsh up: its JIT compiles each cmdlet's code paths again and again for hundreds of calls.
    const instantPath = join(root, 'instant.sock');
    const instant = await startInstantEngine(instantPath);
    const idb = psq(`unix:${instantPath}`);
    const client: PhaseResult[] = [];
    try {
      await ps.ok(`$N = ${N}; for ($i = 0; $i -lt ${CLIENT_WARM}; $i++) { ${CMDLETS.map((c) => withDb(c.body, idb)).join('; ')} }`);
      for (const c of CMDLETS) client.push(...await phase(c.label, c.body, [{ db: idb }]));
    } finally {
      await ps.run(`& (Get-Module OpenVSwitch) { Disconnect-OvsEngineSocket -Target ${idb} }`);
      await new Promise<void>((res) => instant.close(() => res()));
    }

    // The engine's code paths warm up too (bridges past N, removed again).
    await ps.ok(`for ($i = ${N}; $i -lt ${N + WARM}; $i++) { $null = New-OvsBridge -Name "psbr$i"; $null = Add-OvsPort -Bridge "psbr$i" -Name "psp$i" -VlanTag 900
        Set-OvsPort -Name "psp$i" -VlanTag 901; $null = Get-OvsBridge -Name "psbr$i"; Remove-OvsBridge -Name "psbr$i" -Force }`);
    const engOurs: Engine = { pid: enginePid, db: '', ...(hasStats ? { stats } : {}) };
    const engines: Engine[] = [engOurs];
    if (engBase) {
      const d = ` -Database ${engBase.db}`;
      await ps.ok(`for ($i = ${N}; $i -lt ${N + WARM}; $i++) { $null = New-OvsBridge -Name "psbr$i"${d}; $null = Add-OvsPort -Bridge "psbr$i" -Name "psp$i" -VlanTag 900${d}
        Set-OvsPort -Name "psp$i" -VlanTag 901${d}; $null = Get-OvsBridge -Name "psbr$i"${d}; Remove-OvsBridge -Name "psbr$i" -Force${d} }`);
      engines.push(engBase);
    }
    const [rpcRound] = await phase('Invoke-OvsRpc ovsps/info (bare round trip)', `$null = & (Get-Module OpenVSwitch) { Invoke-OvsRpc -Method 'ovsps/info' }`, [engOurs]);
    vsctlRound();
    const results: PhaseResult[] = [], baseResults: PhaseResult[] = [];
    let bridgesAfterNew = 0;
    for (const c of CMDLETS) {
      const [r, rb] = await phase(c.label, c.body, engines);
      results.push(r!);
      if (rb) baseResults.push(rb);
      if (c.label === 'New-OvsBridge') bridgesAfterNew = (await ps.ok<number>('@(Get-OvsBridge).Count'))[0]!;
      vsctlRound();
    }

    const f = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(2)).padStart(7);
    const row = (r: PhaseResult): string => {
      const st = (r.stats?.methods as JsonObject | undefined) ?? {};
      const handler = Object.values(st).reduce<number>((a, m) => a + Number((m as JsonObject).totalMs ?? 0), 0) / N;
      return `${r.label.padEnd(44)} ${f(r.wall.median)} ${f(r.wall.p90)} ${f(r.wall.mean)}  ${f(r.pwshCpu)} ${f(r.engineCpu)} ${r.stats ? f(handler) : f(undefined)} ${f(r.jit)}`;
    };
    const head = `${'ms per call'.padEnd(44)} ${'median'.padStart(7)} ${'p90'.padStart(7)} ${'mean'.padStart(7)}  ${'pwshCPU'.padStart(7)} ${'engCPU'.padStart(7)} ${'handler'.padStart(7)} ${'jit/call'.padStart(7)}`;
    console.log('(pwshCPU: pwsh process CPU per call, all threads; engCPU: engine process CPU per call; handler: engine time in the ovsps method; jit/call: methods pwsh JIT-compiled per call meanwhile)');
    console.log(`\nPowerShell side alone (instant stand-in engine, after ${CLIENT_WARM} warm-up calls of each cmdlet):`);
    console.log(head);
    for (const r of client) console.log(row(r));
    console.log(`\nAgainst our engine (--no-switch), one warm pwsh, ${N} calls each (${bridgesAfterNew} bridges after New-OvsBridge; Add-OvsPort puts every port on psbr0):`);
    console.log(head);
    console.log(row(rpcRound!));
    for (const r of results) console.log(row(r));
    if (baseResults.length) {
      console.log(`\nThe same calls against an engine without the kept ovs-vsctl replica (OVSPS_VSCTL_SESSION=0), alternating with the above in ${ROUNDS} rounds:`);
      console.log(head);
      for (const r of baseResults) console.log(row(r));
      console.log('ratios kept/without (< 1: faster):');
      results.forEach((r, k) => {
        const b = baseResults[k]!;
        const ratio = (x: number | undefined, y: number | undefined): string => (x !== undefined && y ? (x / y).toFixed(2) : 'n/a');
        const cpuOf = (p: PhaseResult): number | undefined => (p.stats?.methods as JsonObject | undefined)?.['ovsps/vsctl'] ? Number(((p.stats!.methods as JsonObject)['ovsps/vsctl'] as JsonObject).meanMs) : undefined;
        console.log(`  ${r.label.padEnd(20)} median ${ratio(r.wall.median, b.wall.median)}  p90 ${ratio(r.wall.p90, b.wall.p90)}  engine CPU/call ${ratio(r.engineCpu, b.engineCpu)} (${f(r.engineCpu).trim()} vs ${f(b.engineCpu).trim()} ms)  handler ${ratio(cpuOf(r), cpuOf(b))}`);
      });
    }
    const vo = summarize(ours), vt = summarize(theirs);
    console.log(`${'ovs-vsctl add-br process -> our engine'.padEnd(44)} ${f(vo.median)} ${f(vo.p90)} ${f(vo.mean)}  (${vo.n} processes in ${CMDLETS.length + 1} rounds, alternating with the next line)`);
    if (real) console.log(`${'ovs-vsctl add-br process -> ovsdb-server 3.1'.padEnd(44)} ${f(vt.median)} ${f(vt.p90)} ${f(vt.mean)}  (${vt.n} processes)`);
    else console.log(`real ovsdb-server: skipped (${needRealOvs()})`);

    if (hasStats) {
      console.log('\nWhere the engine spends a vsctl cmdlet (ovsps/stats: mean wall ms per call in the handler, by phase):');
      for (const [what, list] of [['', results], [' (without the kept replica)', baseResults]] as const) {
        for (const r of list) {
          const m = (r.stats?.methods as JsonObject | undefined)?.['ovsps/vsctl'] as JsonObject | undefined;
          if (!m) continue;
          const phases = Object.entries((m.phasesMs as JsonObject) ?? {}).map(([k, v]) => `${k} ${Number(v).toFixed(2)}`).join(', ');
          console.log(`  ${(r.label + what).padEnd(20)} handler ${Number(m.meanMs).toFixed(2)} ms: ${phases}`);
        }
      }
      console.log('  (parse: argv; read: tables from the mirror; run: the commands on the replica, incl. the bridge/port cache; plan: the transaction; commit: the database; output; view: the rows returned)');
    } else {
      console.log('\nThis engine has no ovsps/stats method: no engine-side breakdown.');
    }
    console.log(`\nload average during the run: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} cores`);
    const base = real ? vt.median : vo.median;
    const get = (label: string): PhaseResult => results.find((r) => r.label === label)!;
    console.log(`ratios (median) vs one ovs-vsctl add-br process${real ? ' against ovsdb-server' : ' against our engine'}: ${results.map((r) => `${r.label.split(' ')[0]} ${(r.wall.median / base).toFixed(3)}x`).join(', ')}`);
    const verdict = (r: PhaseResult): string => `${r.label.split(' ')[0]} ${r.wall.median < 5 ? 'meets' : 'misses'} it (median ${r.wall.median.toFixed(2)} ms, p90 ${r.wall.p90.toFixed(2)} ms)`;
    console.log(`target: a cmdlet round trip under 5 ms -> ${[get('New-OvsBridge'), get('Add-OvsPort'), get('Set-OvsPort'), get('Get-OvsBridge -Name'), get('Remove-OvsBridge')].map(verdict).join('; ')}`);
    if (SWITCH) await switchRun(root);
  } finally {
    rpc?.close();
    rpcBase?.close();
    await ps.run(`Stop-OvsEngine -RunDirectory ${psq(run)} -Confirm:$false`).catch(() => undefined);
    if (BASELINE) await ps.run(`Stop-OvsEngine -RunDirectory ${psq(runBase)} -Confirm:$false`).catch(() => undefined);
    await ps.close();
    if (real) try { process.kill(real.pid, 'SIGTERM'); } catch { /* gone */ }
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e: Error) => { console.error(e.stack ?? e.message); process.exit(1); });
