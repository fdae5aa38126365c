// Services: Install-OvsService writes systemd units (one engine, or the seed's ovsdb-server +
// ovs-vswitchd pair); the tests read the units back, check their command lines, and run the
// generated ExecStart lines for real to prove they start a working server. -WhatIf writes nothing;
// Uninstall-OvsService removes the units.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../engine/setup/paths.js';
import { needPwsh, needRoot } from '../lib/env.js';
import { PwshSession, psq } from './lib/pwsh-session.js';

const skip = needPwsh() || (process.platform === 'win32' ? 'systemd units are Linux-only' : false);

function execStart(unit: string): string[] {
  const line = /^ExecStart=(.*)$/m.exec(unit)?.[1];
  if (!line) throw new Error(`no ExecStart in\n${unit}`);
  return line.split(' ');
}

/** Runs a unit's ExecStart (in a private namespace when root, so the switch's devices stay there) until db.sock answers `ovsdb-client list-dbs`. */
async function runUntilServing(argv: string[], sock: string, env: NodeJS.ProcessEnv): Promise<{ dbs: string; stop: () => Promise<void> }> {
  const ns = `ovspsh10s${process.pid % 100}`;
  const root = !needRoot();
  if (root) spawnSync('ip', ['netns', 'add', ns]);
  const cmd = root ? ['ip', 'netns', 'exec', ns, ...argv] : argv;
  const child = spawn(cmd[0]!, cmd.slice(1), { env: { ...process.env, ...env }, stdio: 'ignore' });
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGKILL');
    if (root) spawnSync('ip', ['netns', 'del', ns]);
  };
  for (let i = 0; i < 150; i++) {
    if (existsSync(sock)) {
      const r = spawnSync(process.execPath, [join(projectRoot, 'engine/bin/ovsdb-client'), 'list-dbs', `unix:${sock}`], { encoding: 'utf8' });
      if (r.status === 0) return { dbs: r.stdout.trim(), stop };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`${argv.join(' ')} did not serve ${sock}`);
}

t.test('services as systemd units', { skip, timeout: 170_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h10svc-'));
  const units = join(dir, 'units'), run = join(dir, 'run'), db = join(dir, 'conf.db');
  const ps = await PwshSession.open();
  t.teardown(async () => { await ps.close(); rmSync(dir, { recursive: true, force: true }); });
  await ps.ok(`$null = Initialize-OvsDatabase -Path ${psq(db)}; $null = New-Item -ItemType Directory -Path ${psq(run)}`);

  const w = await ps.run(`Install-OvsService -DatabasePath ${psq(db)} -RunDirectory ${psq(run)} -UnitPath ${psq(units)} -WhatIf; Test-Path ${psq(join(units, 'ovs-engine.service'))}`);
  t.same(w.output, [false], '-WhatIf writes no unit');

  const noPath = await ps.run(`Install-OvsService -DatabasePath ${psq(db)} -RunDirectory ${psq(run)}`);
  t.match(noPath.errors[0]?.id, /^OVS_E_NO_UNIT_PATH,Install-OvsService$/, 'on Linux the unit directory must be given');

  await t.test('one engine service', async (t) => {
    const r = await ps.ok<{ Name: string; UnitFile: string; Platform: string; CommandLine: string }>(
      `Install-OvsService -DatabasePath ${psq(db)} -RunDirectory ${psq(run)} -UnitPath ${psq(units)} | Select-Object Name, UnitFile, Platform, CommandLine`);
    t.equal(r.length, 1);
    t.match(r[0], { Name: 'ovs-engine', Platform: 'systemd', UnitFile: join(units, 'ovs-engine.service') });
    const unit = readFileSync(join(units, 'ovs-engine.service'), 'utf8');
    t.match(unit, /^\[Unit\]\nDescription=Open vSwitch engine \(ovs-powershell\)\nAfter=network\.target\n/, 'unit section');
    t.match(unit, /\n\[Service\]\nType=simple\nEnvironment=OVS_RUNDIR=.*\nEnvironment=OVS_LOGDIR=.*\nExecStart=.*\nRestart=on-failure\n/, 'service section');
    t.match(unit, /\n\[Install\]\nWantedBy=multi-user\.target\n/, 'install section');
    const argv = execStart(unit);
    t.same(argv.slice(1), [join(projectRoot, '.build/engine/ovs-engine.js'), db, `--rundir=${run}`, `--logdir=${run}`, '-vfile:info'], 'ExecStart runs the engine on the database, sockets in the run directory');
    t.equal(argv.join(' '), r[0]?.CommandLine, 'the object carries the same command line');
    const svc = await ps.ok<{ Name: string; CommandLine: string; Status: string }>(`Get-OvsService -UnitPath ${psq(units)} | Select-Object Name, CommandLine, Status`);
    t.same(svc.map((s) => [s.Name, s.CommandLine]), [['ovs-engine', argv.join(' ')]], 'Get-OvsService reads it back');
    const served = await runUntilServing(argv, join(run, 'db.sock'), {});
    t.match(served.dbs, /^Open_vSwitch$/m, 'the generated command line starts a working engine');
    await served.stop();
    await ps.ok(`Uninstall-OvsService -Name ovs-engine -UnitPath ${psq(units)} -Confirm:$false`);
    t.notOk(existsSync(join(units, 'ovs-engine.service')), 'Uninstall-OvsService removed the unit');
  });

  await t.test('DSC OvsService: Reconcile makes the engine re-apply desired state at boot; idempotent', async (t) => {
    const props = (reconcile: boolean) => `@{ Name = 'ovs-engine'; Reconcile = $${reconcile}; DatabasePath = ${psq(db)}; RunDirectory = ${psq(run)}; UnitPath = ${psq(units)} }`;
    const before = await ps.ok<{ InDesiredState: boolean }>(`Invoke-OvsDscResource OvsService Test ${props(true)}`);
    t.same(before.map((r) => r.InDesiredState), [false], 'not installed: not in the desired state');
    await ps.ok(`$null = Invoke-OvsDscResource OvsService Set ${props(true)}`);
    const unit = readFileSync(join(units, 'ovs-engine.service'), 'utf8');
    t.match(execStart(unit).join(' '), /(^| )--reconcile( |$)/, 'the unit starts the engine with --reconcile');
    const get = await ps.ok<{ Ensure: number | string; Reconcile: boolean }>(`Invoke-OvsDscResource OvsService Get ${props(true)} | Select-Object Ensure, Reconcile`);
    t.same(get.map((g) => g.Reconcile), [true], 'Get reports Reconcile');
    t.same((await ps.ok<{ InDesiredState: boolean }>(`Invoke-OvsDscResource OvsService Test ${props(true)}`)).map((r) => r.InDesiredState), [true], 'Test is true after Set');
    const mtime = statSync(join(units, 'ovs-engine.service')).mtimeMs;
    await ps.ok(`$null = Invoke-OvsDscResource OvsService Set ${props(true)}`);
    t.equal(statSync(join(units, 'ovs-engine.service')).mtimeMs, mtime, 'a second Set changes nothing');
    t.same((await ps.ok<{ InDesiredState: boolean }>(`Invoke-OvsDscResource OvsService Test ${props(false)}`)).map((r) => r.InDesiredState), [false], 'Reconcile = $false differs');
    await ps.ok(`$null = Invoke-OvsDscResource OvsService Set ${props(false)}`);
    t.notMatch(execStart(readFileSync(join(units, 'ovs-engine.service'), 'utf8')).join(' '), /--reconcile/, 'Set re-installs without --reconcile');
    await ps.ok(`$null = Invoke-OvsDscResource OvsService Set @{ Name = 'ovs-engine'; Ensure = 'Absent'; UnitPath = ${psq(units)} }`);
    t.notOk(existsSync(join(units, 'ovs-engine.service')), 'Ensure = Absent uninstalls');
  });

  await t.test('the seed\'s two services', async (t) => {
    const r = await ps.ok<string>(`Install-OvsService -Mode Split -DatabasePath ${psq(db)} -RunDirectory ${psq(run)} -UnitPath ${psq(units)} | ForEach-Object Name`);
    t.same(r, ['ovsdb-server', 'ovs-vswitchd']);
    const dbUnit = readFileSync(join(units, 'ovsdb-server.service'), 'utf8');
    const swUnit = readFileSync(join(units, 'ovs-vswitchd.service'), 'utf8');
    t.match(swUnit, /\nAfter=network\.target ovsdb-server\.service\nRequires=ovsdb-server\.service\n/, 'ovs-vswitchd starts after and requires ovsdb-server');
    const dbArgv = execStart(dbUnit), swArgv = execStart(swUnit);
    t.same(dbArgv.slice(1), [join(projectRoot, 'engine/bin/ovsdb-server'), db, `--remote=punix:${join(run, 'db.sock')}`, '--remote=db:Open_vSwitch,Open_vSwitch,manager_options',
      `--pidfile=${join(run, 'ovsdb-server.pid')}`, `--log-file=${join(run, 'ovsdb-server.log')}`, '-vfile:info'], 'ovsdb-server as in the seed, with full paths');
    t.same(swArgv.slice(1), [join(projectRoot, 'engine/bin/ovs-vswitchd'), `unix:${join(run, 'db.sock')}`, `--pidfile=${join(run, 'ovs-vswitchd.pid')}`,
      `--log-file=${join(run, 'ovs-vswitchd.log')}`, '-vfile:info'], 'ovs-vswitchd connects to that socket');
    const served = await runUntilServing(dbArgv, join(run, 'db.sock'), { OVS_RUNDIR: run, OVS_LOGDIR: run });
    t.match(served.dbs, /^Open_vSwitch$/m, 'the generated ovsdb-server command line serves the database');
    await served.stop();
    t.ok(existsSync(join(run, 'ovsdb-server.log')), 'and logs where the unit says');
    const help = spawnSync(swArgv[0]!, [swArgv[1]!, '--help'], { encoding: 'utf8' });
    t.equal(help.status, 0, 'the ovs-vswitchd launcher in the unit exists and runs');
    await ps.ok(`Get-OvsService -UnitPath ${psq(units)} | Uninstall-OvsService -UnitPath ${psq(units)} -Confirm:$false`);
    t.notOk(existsSync(join(units, 'ovsdb-server.service')) || existsSync(join(units, 'ovs-vswitchd.service')), 'both removed through the pipeline');
  });
});
