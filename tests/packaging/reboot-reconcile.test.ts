// Surviving a reboot (Install-OvsService -Reconcile = ovs-engine --reconcile), simulated on Linux:
// an engine with a bridge, an internal port and three VM ports (netns "VMs") where pings work; the
// engine stops; every device goes away as at a reboot (VM namespaces with their veths, the TAPs);
// the engine starts with --reconcile, from the command line Install-OvsService -Reconcile writes
// into its systemd unit. Then: the bridge's and the internal port's TAPs come back
// (the engine owns them), the VM whose definition the database records is re-created by the
// engine's netns provider, the VM that its own provider brings back a moment later is attached
// when it appears, the one that never comes back is reported (log + reconcile-report.json +
// `ovs-appctl engine/reconcile-report`), and pings resume. Prints the time until they do.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../engine/setup/paths.js';
import { needCommand, needPwsh, needRoot, pwshPath } from '../lib/env.js';
import type { ReconcileReport } from '../../engine/setup/boot-reconcile.js';

const skip = needRoot() || needCommand('ip') || needCommand('ping') || (process.platform !== 'linux' && 'network namespaces: Linux only');

interface Run { status: number; stdout: string; stderr: string }
const run = (cmd: string, args: string[], env?: NodeJS.ProcessEnv): Run => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: env ?? process.env, timeout: 150_000 });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
};
const sh = (cmd: string, ...args: string[]): number => run(cmd, args).status;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (what()) return true;
    if (Date.now() > end) return false;
    await sleep(100);
  }
}

/** The engine as a service runs it: in the root network namespace (where VMs' host ends live),
 *  with a private run/db/log directory. */
class RootEngine {
  readonly dir = mkdtempSync(join(tmpdir(), 'ovsps-h23-reboot-'));
  readonly env: NodeJS.ProcessEnv = { ...process.env, OVS_RUNDIR: this.dir, OVS_LOGDIR: this.dir, OVS_DBDIR: this.dir, OVS_VSCTL_WAIT_TIMEOUT: '20' };
  pid = 0;
  /** Starts it detached: `argv` is node's command line (default: the engine with this directory). */
  start(extra: string[] = [], argv?: string[]): void {
    const [cmd, ...args] = argv ?? [process.execPath, join(projectRoot, '.build/engine/ovs-engine.js'), `--rundir=${this.dir}`, `--logdir=${this.dir}`, `--dbdir=${this.dir}`];
    const r = run(cmd!, [...args, '--detach', ...extra], this.env);
    if (r.status !== 0) throw new Error(`engine failed to start (${r.status}): ${r.stderr}${this.log()}`);
    this.pid = Number(readFileSync(join(this.dir, 'ovs-engine.pid'), 'utf8'));
  }
  log(): string {
    const f = join(this.dir, 'ovs-engine.log');
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  }
  cli(tool: string, args: string[]): Run { return run(process.execPath, [join(projectRoot, 'engine/bin', tool), ...args], this.env); }
  ok(tool: string, ...args: string[]): string {
    const r = this.cli(tool, args);
    if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return r.stdout;
  }
  async stop(): Promise<void> {
    if (!this.pid) return;
    this.cli('ovs-appctl', ['-t', 'ovsdb-server', 'exit']);
    for (let i = 0; i < 200; i++) {
      try { process.kill(this.pid, 0); } catch { break; }
      await sleep(50);
    }
    try { process.kill(this.pid, 'SIGKILL'); } catch { /* gone */ }
    this.pid = 0;
  }
}

interface Vm { ns: string; hostIf: string }

/** A VM as a provider makes it: namespace, veth (eth0 inside, addressed), offloads off, both up. */
function addVm(ns: string, hostIf: string, addr: string): Vm {
  for (const args of [['netns', 'add', ns], ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns],
    ['-n', ns, 'link', 'set', 'lo', 'up'], ['-n', ns, 'addr', 'add', addr, 'dev', 'eth0'], ['-n', ns, 'link', 'set', 'eth0', 'up'], ['link', 'set', hostIf, 'up']]) {
    const r = run('ip', args);
    if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  }
  run('ethtool', ['-K', hostIf, 'tx', 'off', 'tso', 'off', 'gso', 'off']);
  run('ip', ['netns', 'exec', ns, 'ethtool', '-K', 'eth0', 'tx', 'off', 'tso', 'off', 'gso', 'off']);
  return { ns, hostIf };
}

const ping = (from: Vm, to: string): boolean => run('ip', ['netns', 'exec', from.ns, 'ping', '-c', '1', '-W', '1', '-q', to]).status === 0;

t.test('reboot: stop, devices deleted, start with --reconcile: ports and pings come back', { skip, timeout: 420_000 }, async (t) => {
  const tag = `ovspsh23${process.pid % 100}`;
  const vmNs = (v: string): string => `${tag}${v}`;
  const dev = { br: `${tag}br`, i: `${tag}i`, a: `${tag}a`, b: `${tag}b`, c: `${tag}c` };
  const cleanup = (): void => {
    for (const v of ['v1', 'v2', 'v3']) sh('ip', 'netns', 'del', vmNs(v));
    for (const d of Object.values(dev)) sh('ip', 'link', 'del', d);
  };
  cleanup();
  const h = new RootEngine();
  t.teardown(async () => { await h.stop(); cleanup(); rmSync(h.dir, { recursive: true, force: true }); });
  const addr = { v1: '10.231.7.1/24', v2: '10.231.7.2/24', v3: '10.231.7.3/24' };
  const linkExists = (d: string): boolean => sh('ip', 'link', 'show', d) === 0;

  // Before the reboot: a bridge, an internal port, three VM ports; v1's definition is recorded.
  h.start();
  const v1 = addVm(vmNs('v1'), dev.a, addr.v1);
  addVm(vmNs('v2'), dev.b, addr.v2);
  addVm(vmNs('v3'), dev.c, addr.v3);
  h.ok('ovs-vsctl', 'add-br', dev.br);
  h.ok('ovs-vsctl', 'add-port', dev.br, dev.i, '--', 'set', 'Interface', dev.i, 'type=internal');
  h.ok('ovs-vsctl', 'add-port', dev.br, dev.a, '--', 'set', 'Interface', dev.a,
    'external_ids:ovsps-vm-provider=netns', `external_ids:ovsps-vm-netns=${vmNs('v1')}`, 'external_ids:ovsps-vm-nic=eth0',
    `external_ids:ovsps-vm-addresses="${addr.v1}"`);
  h.ok('ovs-vsctl', 'add-port', dev.br, dev.b);
  h.ok('ovs-vsctl', 'add-port', dev.br, dev.c);
  t.ok(await until(() => ping(v1, '10.231.7.2'), 60_000), 'before: v1 pings v2');
  t.ok(ping(v1, '10.231.7.3'), 'before: v1 pings v3');

  // The reboot: the engine stops, every device goes.
  h.ok('ovs-appctl', '-t', 'ovsdb-server', 'exit');
  t.ok(await until(() => !existsSync(join(h.dir, 'ovs-engine.pid')), 10_000), 'the engine stopped');
  h.pid = 0;
  cleanup();
  t.notOk(Object.values(dev).some(linkExists), 'no device is left');

  // The boot: the engine starts with --reconcile; v2's provider brings it back a moment later; v3 never.
  // As the service starts it: Install-OvsService -Reconcile's unit (ExecStart), when pwsh is here.
  let argv: string[] | undefined;
  if (!needPwsh()) {
    const units = join(h.dir, 'units');
    const psq = (x: string): string => `'${x.replace(/'/g, "''")}'`;
    const r = run(pwshPath()!, ['-NoProfile', '-NonInteractive', '-Command',
      `Import-Module ${psq(join(projectRoot, 'powershell-module/OpenVSwitch/OpenVSwitch.psd1'))}; Install-OvsService -Reconcile -Force -DatabasePath ${psq(join(h.dir, 'conf.db'))} -RunDirectory ${psq(h.dir)} -UnitPath ${psq(units)} -WarningAction SilentlyContinue | Out-Null`]);
    t.equal(r.status, 0, `Install-OvsService -Reconcile: ${r.stderr}`);
    const exec = /^ExecStart=(.*)$/m.exec(readFileSync(join(units, 'ovs-engine.service'), 'utf8'))?.[1] ?? '';
    argv = exec.split(' ');
    t.ok(argv.includes('--reconcile'), `the unit starts the engine with --reconcile: ${exec}`);
  }
  const t0 = Date.now();
  h.start(argv ? ['--reconcile-wait=6'] : ['--reconcile', '--reconcile-wait=6'], argv);
  const started = Date.now() - t0;
  addVm(vmNs('v2'), dev.b, addr.v2);
  const pinged = await until(() => ping(v1, '10.231.7.2'), 90_000);
  const resumed = Date.now() - t0;
  t.ok(pinged, 'after: v1 (re-created by the engine) pings v2 (brought back by its provider)');
  t.ok(linkExists(dev.br) && linkExists(dev.i), 'the bridge\'s and the internal port\'s TAPs are back');
  t.ok(linkExists(dev.a), 'v1\'s host end is back');
  t.match(run('ip', ['-n', vmNs('v1'), 'addr', 'show', 'dev', 'eth0']).stdout, /inet 10\.231\.7\.1\/24/, 'v1 has its recorded address');
  const alias = run('ip', ['-d', 'link', 'show', dev.a]).stdout;
  t.match(alias, new RegExp(`alias ovsps vm=${vmNs('v1')} nic=eth0 bound=1`), 'tagged for the PowerShell netns provider');

  const reportFile = join(h.dir, 'reconcile-report.json');
  if (!t.ok(await until(() => existsSync(reportFile), 60_000), 'reconcile-report.json written')) return;
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as ReconcileReport;
  t.same(report.recreatedVms, [{ interface: dev.a, netns: vmNs('v1') }]);
  t.same([...report.restored].sort(), [dev.a, dev.b, dev.br, dev.i].sort());
  t.same(report.notRestored.map((n) => [n.interface, n.bridge]), [[dev.c, dev.br]]);
  t.match(report.notRestored[0]?.error, new RegExp(`could not open network device ${dev.c} \\(No such device\\)`));
  t.equal(report.interfaces, 5);
  t.ok(report.waitedMs >= 6000, `waited the whole --reconcile-wait for the missing device (${report.waitedMs} ms)`);
  t.match(h.log(), new RegExp(`reconcile\\|WARN\\|reconcile: could not restore interface ${dev.c} on bridge ${dev.br}`));
  const viaCtl = h.cli('ovs-appctl', ['-t', 'ovs-engine', 'engine/reconcile-report']);
  t.equal(viaCtl.status, 0, viaCtl.stderr);
  t.match(viaCtl.stdout, /"notRestored"/);
  const iface = h.ok('ovs-vsctl', 'get', 'Interface', dev.c, 'error');
  t.match(iface, /No such device/, 'the database says so too (Interface error column)');
  console.log(`# reboot reconcile: engine serving after ${started} ms; VM pings resumed ${resumed} ms after the engine was started (v1 re-created, v2 re-attached)`);
});
