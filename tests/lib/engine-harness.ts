// Runs our engine (engine/ovs-engine.ts: database + switch) inside a private network namespace with
// a private run directory, plus "VMs" (namespaces with a veth vNIC whose host end lives in the
// engine's namespace). Everything is torn down by stop(), also after failures.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../engine/setup/paths.js';

let counter = 0;

export interface CliResult { status: number; stdout: string; stderr: string }

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv, input?: string): CliResult {
  const r: SpawnSyncReturns<string> = spawnSync(cmd, args, { encoding: 'utf8', env: env ?? process.env, input, timeout: 120_000 });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

function ip(...args: string[]): void {
  const r = run('ip', args);
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

export interface TestVm { name: string; ns: string; hostIf: string; ip: string }

/** True when namespace `from` (a VM of ours or of a real OVS set-up) gets at least one reply out
 *  of `count` pings to `to`. */
export function pingFrom(from: { ns: string }, to: string, count = 3): boolean {
  return run('ip', ['netns', 'exec', from.ns, 'ping', '-c', String(count), '-i', '0.2', '-W', '1', '-q', to]).status === 0;
}

/** Pings two at a time until `to` answers, at most `rounds` times (a fresh tunnel needs a few:
 *  ARP, MAC learning, the first upcalls); true when it answered. */
export function pingUntilAnswered(from: { ns: string }, to: string, rounds = 10): boolean {
  for (let i = 0; i < rounds; i++) if (pingFrom(from, to, 2)) return true;
  return false;
}

export class EngineHarness {
  readonly dir: string;
  readonly ns: string;
  readonly env: NodeJS.ProcessEnv;
  private readonly vms: TestVm[] = [];
  private pid?: number;

  /** `netns`: run the engine inside this existing namespace (the caller creates and deletes it)
   *  instead of a private one, e.g. to put two engines on one "physical network". */
  constructor(readonly tag = 'e', private readonly netns?: string) {
    const id = `${process.pid % 1000}${counter++}`;
    this.ns = netns ?? `ovsps${tag}${id}`.slice(0, 15);
    this.dir = mkdtempSync(join(tmpdir(), 'ovsps-engine-'));
    this.env = { ...process.env, OVS_RUNDIR: this.dir, OVS_LOGDIR: this.dir, OVS_DBDIR: this.dir, OVS_VSCTL_WAIT_TIMEOUT: '20' };
  }

  /** Starts the engine detached in its namespace; resolves when it serves db.sock. */
  async start(extra: string[] = []): Promise<void> {
    if (!this.netns) {
      ip('netns', 'add', this.ns);
      ip('-n', this.ns, 'link', 'set', 'lo', 'up');
    }
    const r = run('ip', ['netns', 'exec', this.ns, process.execPath, join(projectRoot, '.build/engine/ovs-engine.js'), join(this.dir, 'conf.db'),
      `--rundir=${this.dir}`, `--logdir=${this.dir}`, `--dbdir=${this.dir}`, '--detach', ...extra], this.env);
    if (r.status !== 0) throw new Error(`engine failed to start (${r.status}): ${r.stderr}${this.log()}`);
    this.pid = Number(readFileSync(join(this.dir, 'ovs-engine.pid'), 'utf8'));
  }

  log(): string {
    const f = join(this.dir, 'ovs-engine.log');
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  }

  cli(tool: 'ovs-vsctl' | 'ovs-dpctl' | 'ovs-ofctl' | 'ovs-appctl' | 'ovsdb-client' | 'ovsdb-tool', args: string[], input?: string): CliResult {
    return run(process.execPath, [join(projectRoot, 'engine/bin', tool), ...args], this.env, input);
  }

  /** Runs a command and throws with its output when it fails. */
  ok(tool: Parameters<EngineHarness['cli']>[0], ...args: string[]): string {
    const r = this.cli(tool, args);
    if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return r.stdout;
  }

  /** A VM: namespace + veth; eth0 inside with `addr`, host end `hostIf` in the engine's namespace. */
  addVm(short: string, addr: string, hostIf = `vp-${short}`, opts: { mtu?: number } = {}): TestVm {
    const ns = `${this.ns}${short}`.slice(0, 15);
    ip('netns', 'add', ns);
    const vm: TestVm = { name: short, ns, hostIf, ip: addr.split('/')[0]! };
    this.vms.push(vm);
    ip('link', 'add', hostIf, 'netns', this.ns, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'addr', 'add', addr, 'dev', 'eth0');
    if (opts.mtu) { ip('-n', ns, 'link', 'set', 'eth0', 'mtu', String(opts.mtu)); ip('-n', this.ns, 'link', 'set', hostIf, 'mtu', String(opts.mtu)); }
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    ip('-n', this.ns, 'link', 'set', hostIf, 'up');
    run('ip', ['netns', 'exec', this.ns, 'ethtool', '-K', hostIf, 'tx', 'off', 'tso', 'off', 'gso', 'off']);
    run('ip', ['netns', 'exec', ns, 'ethtool', '-K', 'eth0', 'tx', 'off', 'tso', 'off', 'gso', 'off']);
    return vm;
  }

  /** True when `from` gets at least one reply out of `count` pings to `to`. */
  ping(from: TestVm, to: string, count = 3): boolean {
    return pingFrom(from, to, count);
  }

  /** Sends `bytes` over TCP from `from` to `to` (port 5201) and returns what the receiver counted. */
  async tcpTransfer(from: TestVm, to: TestVm, bytes: number): Promise<number> {
    const server = spawn('ip', ['netns', 'exec', to.ns, process.execPath, '-e',
      "const s=require('net').createServer(c=>{let n=0;c.on('data',d=>n+=d.length);c.on('end',()=>{process.stdout.write(String(n));process.exit(0)})});s.listen(5201,()=>process.stdout.write('L'));setTimeout(()=>process.exit(3),60000)"],
    { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      server.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.startsWith('L')) resolve(); });
      server.on('exit', () => reject(new Error('tcp receiver exited early')));
    });
    const c = run('ip', ['netns', 'exec', from.ns, process.execPath, '-e',
      `const s=require('net').connect(5201,'${to.ip}',()=>{const b=Buffer.alloc(65536,7);let left=${bytes};const w=()=>{while(left>0){const n=Math.min(left,b.length);left-=n;if(!s.write(b.subarray(0,n)))return s.once('drain',w)}s.end()};w()});s.on('error',e=>{console.error(e.message);process.exit(2)});setTimeout(()=>process.exit(3),60000).unref()`]);
    if (c.status !== 0) { server.kill(); throw new Error(`tcp sender failed: ${c.stderr}`); }
    await new Promise<void>((resolve) => server.on('exit', () => resolve()));
    return Number(out.slice(1));
  }

  async stop(): Promise<void> {
    if (this.pid) {
      this.cli('ovs-appctl', ['-t', 'ovsdb-server', 'exit']);
      for (let i = 0; i < 100; i++) {
        try { process.kill(this.pid, 0); } catch { break; }
        await new Promise((r) => setTimeout(r, 50));
      }
      try { process.kill(this.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    for (const vm of this.vms) run('ip', ['netns', 'del', vm.ns]);
    if (!this.netns) run('ip', ['netns', 'del', this.ns]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
