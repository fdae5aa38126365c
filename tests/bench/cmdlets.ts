// Benchmark: the PowerShell module's cost per cmdlet, in one warm pwsh against our engine (database
// only), next to one `ovs-vsctl add-br` process against a real ovsdb-server 3.1 and against ours.
// Measures N New-OvsBridge, N Add-OvsPort, N Get-OvsBridge -Name, and the bare JSON-RPC round trip
// of the module's client (Invoke-OvsRpc ovsps/info), and prints ms per call and the ratios. Beside
// wall time it prints the CPU time per call of pwsh (the client) and of the engine (the server),
// which a busy machine inflates far less than wall time.
// Usage: node .build/tests/bench/cmdlets.js [--quick]
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../engine/setup/paths.js';
import { needPwsh, needRealOvs } from '../lib/env.js';
import { PwshSession, psq } from '../powershell/lib/pwsh-session.js';

const N = process.argv.includes('--quick') ? 40 : 200;
const WARM = 25;
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

function vsctlLoop(db: string, prefix: string, n: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const r = spawnSync('ovs-vsctl', [`--db=${db}`, '--no-wait', 'add-br', `${prefix}${i}`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ovs-vsctl add-br: ${r.stderr}`);
  }
  return Number(process.hrtime.bigint() - t0) / 1e6 / n;
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
      let msg: { id: unknown; method: string; params: Array<{ view?: { kind?: string } }> };
      try { msg = JSON.parse(buf); } catch { return; }
      buf = '';
      const result = msg.method === 'ovsps/bridges' ? [bridge]
        : msg.method === 'ovsps/vsctl' ? { outputs: [''], warnings: [], view: [msg.params[0]?.view?.kind === 'ports' ? port : bridge] }
          : { pid: 1 };
      sock.write(JSON.stringify({ id: msg.id, result, error: null }));
    });
    sock.on('error', () => undefined);
  });
  return new Promise((res) => server.listen(path, () => res(server)));
}

async function main(): Promise<void> {
  const noPwsh = needPwsh();
  if (noPwsh) { console.log(`skipped: ${noPwsh}`); return; }
  const root = mkdtempSync(join(tmpdir(), 'ovsps-bench-cmdlets-'));
  const run = join(root, 'engine');
  const ps = await PwshSession.open();
  let real: { sock: string; pid: number } | undefined;
  try {
    const [enginePid] = await ps.ok<number>(`$e = Start-OvsEngine -DatabasePath ${psq(join(root, 'conf.db'))} -RunDirectory ${psq(run)} -NoSwitch; $env:OVS_DB = $e.Socket; [int]$e.Pid`);
    const time = async (label: string, body: string, engine = true): Promise<number> => {
      // Wall time, and pwsh's own CPU time (the client's cost, less sensitive to a busy machine).
      // Warm-up calls of the same body (indices past N, so names do not collide): .NET compiles
      // hot code again in the background during a process's first seconds, which would be counted.
      await ps.ok(`for ($i = ${N}; $i -lt ${N + WARM}; $i++) { ${body} }`);
      const e0 = processCpuMs(enginePid);
      const [r] = await ps.ok<{ Wall: number; Cpu: number }>(`$p = [System.Diagnostics.Process]::GetCurrentProcess(); $c0 = $p.TotalProcessorTime.TotalMilliseconds
        $sw = [System.Diagnostics.Stopwatch]::StartNew(); for ($i = 0; $i -lt ${N}; $i++) { ${body} }; $wall = $sw.Elapsed.TotalMilliseconds / ${N}
        $p.Refresh(); [pscustomobject]@{ Wall = $wall; Cpu = ($p.TotalProcessorTime.TotalMilliseconds - $c0) / ${N} }`);
      const e1 = processCpuMs(enginePid);
      const engineCpu = engine && e0 !== undefined && e1 !== undefined ? `, engine CPU ${((e1 - e0) / N).toFixed(2)} ms/call` : '';
      console.log(`${label.padEnd(44)} ${r!.Wall.toFixed(2).padStart(8)} ms/call  (pwsh CPU ${r!.Cpu.toFixed(2)} ms/call${engineCpu}; ${N} calls, one warm pwsh)`);
      return r!.Wall;
    };
    // pwsh keeps compiling (tiered JIT) in the background for many seconds after the module is
    // imported; wait until it is quiet, or its CPU would be counted against the first cmdlets.
    const [pwshPid] = await ps.ok<number>('$PID');
    const settled = await waitQuiet(pwshPid);
    console.log(`pwsh background CPU settled after ${settled} s`);
    // Warm up the code paths (first calls compile script blocks and the regex).
    await ps.ok('$null = New-OvsBridge warm0; $null = Add-OvsPort warm0 warmp0; $null = Get-OvsBridge warm0; Remove-OvsBridge warm0 -Force');
    // The PowerShell side alone: the same cmdlets against an engine that answers instantly. Run
    // first, it also warms pwsh up: perf shows most of pwsh's CPU in its first few hundred calls
    // of a cmdlet going to the JIT compiler (tiered compilation), which the engine then competes with.
    const instantPath = join(root, 'instant.sock');
    const instant = await startInstantEngine(instantPath);
    const db = psq(`unix:${instantPath}`);
    let client: number[];
    try {
      await ps.ok(`for ($i = 0; $i -lt 300; $i++) { $null = Get-OvsBridge -Name br0 -Database ${db}; $null = New-OvsBridge -Name "w$i" -Database ${db}; $null = Add-OvsPort -Bridge br0 -Name "w$i" -VlanTag 900 -Database ${db} }`);
      client = [
        await time('client only: Get-OvsBridge', `$null = Get-OvsBridge -Name br0 -Database ${db}`, false),
        await time('client only: New-OvsBridge', `$null = New-OvsBridge -Name "x$i" -Database ${db}`, false),
        await time('client only: Add-OvsPort', `$null = Add-OvsPort -Bridge br0 -Name "x$i" -VlanTag 900 -Database ${db}`, false),
      ];
    } finally {
      await ps.run(`& (Get-Module OpenVSwitch) { Disconnect-OvsEngineSocket -Target ${db} }`);
      await new Promise<void>((res) => instant.close(() => res()));
    }

    const rpc = await time('Invoke-OvsRpc ovsps/info (client round trip)', `$null = & (Get-Module OpenVSwitch) { Invoke-OvsRpc -Method 'ovsps/info' }`);
    await ps.ok('$null = New-OvsBridge psget');
    const get = await time('Get-OvsBridge -Name', `$null = Get-OvsBridge -Name psget`);
    const nb = await time('New-OvsBridge (vsctl txn, row in the reply)', `$null = New-OvsBridge -Name "psbr$i"`);
    const ap = await time('Add-OvsPort (vsctl txn, row in the reply)', `$null = Add-OvsPort -Bridge psbr0 -Name "psp$i" -VlanTag 900`);

    const bridgesNow = (await ps.ok<number>('@(Get-OvsBridge).Count'))[0];
    const ours = vsctlLoop(`unix:${join(run, 'db.sock')}`, 'vsbr', Math.min(N, 100));
    console.log(`${'real ovs-vsctl add-br process -> our engine'.padEnd(44)} ${ours.toFixed(2).padStart(8)} ms/call  (the engine already holds ${bridgesNow} bridges)`);
    let theirs: number | undefined;
    if (!needRealOvs()) {
      real = startRealOvsdb(join(root, 'real'));
      theirs = vsctlLoop(`unix:${real.sock}`, 'vsbr', Math.min(N, 100));
      console.log(`${'real ovs-vsctl add-br process -> ovsdb-server'.padEnd(44)} ${theirs.toFixed(2).padStart(8)} ms/call`);
    } else {
      console.log(`real ovsdb-server: skipped (${needRealOvs()})`);
    }
    console.log(`load average during the run: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} cores`);
    const base = theirs ?? ours;
    console.log(`ratios vs one ovs-vsctl process${theirs ? ' (real server)' : ' (our engine)'}: New-OvsBridge ${(nb / base).toFixed(2)}x, Add-OvsPort ${(ap / base).toFixed(2)}x, Get-OvsBridge ${(get / base).toFixed(2)}x, bare RPC ${(rpc / base).toFixed(2)}x`);
    console.log(`PowerShell side of each cmdlet (against an instant engine): Get-OvsBridge ${client[0]!.toFixed(2)} ms, New-OvsBridge ${client[1]!.toFixed(2)} ms, Add-OvsPort ${client[2]!.toFixed(2)} ms`);
    const verdict = (name: string, ms: number): string => `${name} ${ms < 5 ? 'meets' : 'misses'} it (${ms.toFixed(2)} ms)`;
    console.log(`target: a cmdlet round trip under 5 ms -> ${verdict('New-OvsBridge', nb)}, ${verdict('Add-OvsPort', ap)}, ${verdict('Get-OvsBridge', get)}`);
  } finally {
    await ps.run(`Stop-OvsEngine -RunDirectory ${psq(run)} -Confirm:$false`).catch(() => undefined);
    await ps.close();
    if (real) try { process.kill(real.pid, 'SIGTERM'); } catch { /* gone */ }
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e: Error) => { console.error(e.stack ?? e.message); process.exit(1); });
