// DSC resources OvsBridge and OvsPort against a real engine (database only): Get/Test/Set converge,
// a second Set changes nothing (the database's transaction count does not move), Test is then true,
// Reasons say why Test was false, and Ensure=Absent removes. Also the example configuration in
// examples/ builds the seed's topology and is idempotent.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../engine/setup/paths.js';
import { needPwsh } from '../lib/env.js';
import { PwshSession, psq } from './lib/pwsh-session.js';

const skip = needPwsh();

t.test('DSC resources are idempotent', { skip, timeout: 170_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h10dsc-'));
  const run = join(dir, 'run');
  const ps = await PwshSession.open();
  t.teardown(async () => {
    await ps.run(`Stop-OvsEngine -RunDirectory ${psq(run)} -Confirm:$false`).catch(() => undefined);
    await ps.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await ps.ok(`$e = Start-OvsEngine -DatabasePath ${psq(join(dir, 'conf.db'))} -RunDirectory ${psq(run)} -NoSwitch; $env:OVS_DB = $e.Socket`);
  // Every committed transaction bumps the database file; a no-op Set must not write anything.
  const dbSize = `(Get-Item ${psq(join(dir, 'conf.db'))}).Length`;

  const bridge = await ps.ok<Record<string, unknown>>(`& (Get-Module OpenVSwitch) {
    $r = [OvsBridge]::new(); $r.Name = 'br-int'; $r.FailMode = 'secure'
    $t0 = $r.Test(); $reasons = @($r.Get().Reasons | ForEach-Object Code)
    $r.Set(); $t1 = $r.Test(); $size1 = ${dbSize}
    $r.Set(); $t2 = $r.Test(); $size2 = ${dbSize}
    $g = $r.Get()
    [pscustomobject]@{ Before = $t0; Reasons = $reasons; After = $t1; Again = $t2; Unchanged = $size1 -eq $size2; Ensure = [string]$g.Ensure; FailMode = $g.FailMode }
  }`);
  t.same(bridge, [{ Before: false, Reasons: ['OvsBridge:Ensure'], After: true, Again: true, Unchanged: true, Ensure: 'Present', FailMode: 'secure' }], 'OvsBridge converges once');

  const drift = await ps.ok<Record<string, unknown>>(`Set-OvsBridge br-int -FailMode standalone; & (Get-Module OpenVSwitch) {
    $r = [OvsBridge]::new(); $r.Name = 'br-int'; $r.FailMode = 'secure'
    $t0 = $r.Test(); $reasons = @($r.Get().Reasons | ForEach-Object Code); $r.Set()
    [pscustomobject]@{ Before = $t0; Reasons = $reasons; After = $r.Test() }
  }`);
  t.same(drift, [{ Before: false, Reasons: ['OvsBridge:FailMode'], After: true }], 'drift in FailMode is found and corrected');

  const port = await ps.ok<Record<string, unknown>>(`& (Get-Module OpenVSwitch) {
    $r = [OvsPort]::new(); $r.Name = 'ovs-port-a'; $r.Bridge = 'br-int'; $r.VlanTag = 900
    $t0 = $r.Test(); $r.Set(); $t1 = $r.Test(); $size1 = ${dbSize}
    $r.Set(); $t2 = $r.Test(); $size2 = ${dbSize}
    $g = $r.Get()
    [pscustomobject]@{ Before = $t0; After = $t1; Again = $t2; Unchanged = $size1 -eq $size2; VlanTag = $g.VlanTag; Bridge = $g.Bridge }
  }`);
  t.same(port, [{ Before: false, After: true, Again: true, Unchanged: true, VlanTag: 900, Bridge: 'br-int' }], 'OvsPort converges once');

  const patch = await ps.ok<Record<string, unknown>>(`& (Get-Module OpenVSwitch) {
    $r = [OvsPort]::new(); $r.Name = 'patch-x'; $r.Bridge = 'br-int'; $r.Type = 'patch'; $r.Options = @{ peer = 'patch-y' }
    $r.Set(); $t1 = $r.Test(); $size1 = ${dbSize}; $r.Set(); $size2 = ${dbSize}
    $r.Options = @{ peer = 'patch-z' }; $t2 = $r.Test(); $why = @($r.Get().Reasons | ForEach-Object Code); $r.Set()
    [pscustomobject]@{ After = $t1; Unchanged = $size1 -eq $size2; Drift = $t2; Why = $why; Fixed = $r.Test(); Peer = (Get-OvsInterface patch-x).Options['peer'] }
  }`);
  t.same(patch, [{ After: true, Unchanged: true, Drift: false, Why: ['OvsPort:Options'], Fixed: true, Peer: 'patch-z' }], 'OvsPort with type and options');

  const move = await ps.ok<Record<string, unknown>>(`$null = New-OvsBridge br-pif; & (Get-Module OpenVSwitch) {
    $r = [OvsPort]::new(); $r.Name = 'ovs-port-a'; $r.Bridge = 'br-pif'; $r.VlanTag = 900
    $why = @($r.Get().Reasons | ForEach-Object Code); $r.Set()
    [pscustomobject]@{ Why = $why; After = $r.Test(); Bridge = (Get-OvsPort ovs-port-a).Bridge }
  }`);
  t.same(move, [{ Why: ['OvsPort:Bridge'], After: true, Bridge: 'br-pif' }], 'a port on the wrong bridge is moved');

  const absent = await ps.ok<Record<string, unknown>>(`& (Get-Module OpenVSwitch) {
    $p = [OvsPort]::new(); $p.Name = 'ovs-port-a'; $p.Bridge = 'br-pif'; $p.Ensure = 'Absent'
    $b = [OvsBridge]::new(); $b.Name = 'br-int'; $b.Ensure = 'Absent'
    $p0 = $p.Test(); $b0 = $b.Test(); $p.Set(); $b.Set(); $size1 = ${dbSize}; $p.Set(); $b.Set(); $size2 = ${dbSize}
    [pscustomobject]@{ Before = $p0 -or $b0; After = $p.Test() -and $b.Test(); Unchanged = $size1 -eq $size2; Left = @(Get-OvsBridge | ForEach-Object Name) }
  }`);
  t.same(absent, [{ Before: false, After: true, Unchanged: true, Left: ['br-pif'] }], 'Ensure=Absent removes, and then changes nothing');

  // The example configuration (examples/seed-topology.ps1) builds the seed's topology, twice.
  const example = join(projectRoot, 'examples', 'seed-topology.ps1');
  const first = await ps.ok<{ Resource: string; InDesiredState: boolean }>(`& ${psq(example)} -Database $env:OVS_DB | Select-Object Resource, InDesiredState`);
  t.ok(first.length >= 6, `the example applies ${first.length} resources`);
  t.ok(first.some((r) => !r.InDesiredState), 'the first run changes things');
  const size1 = await ps.ok<number>(dbSize);
  const second = await ps.ok<{ Resource: string; InDesiredState: boolean }>(`& ${psq(example)} -Database $env:OVS_DB | Select-Object Resource, InDesiredState`);
  t.ok(second.every((r) => r.InDesiredState), 'the second run finds everything in the desired state');
  t.same(await ps.ok<number>(dbSize), size1, 'and writes nothing');
  const ports = await ps.ok<{ Name: string; Bridge: string; VlanTag: number | null }>('Get-OvsPort -ExcludeInternal | Select-Object Name, Bridge, VlanTag');
  t.same(ports, [
    { Name: 'ovs-port-a', Bridge: 'br-int', VlanTag: 900 }, { Name: 'ovs-port-b', Bridge: 'br-int', VlanTag: 900 }, { Name: 'patch-to-pif', Bridge: 'br-int', VlanTag: null },
    { Name: 'Ethernet0', Bridge: 'br-pif', VlanTag: null }, { Name: 'patch-to-int', Bridge: 'br-pif', VlanTag: null },
  ], 'br-int with two VM ports on VLAN 900, br-pif with the NIC, and the patch pair');
});

// Discovery: what Get-DscResource needs, checked by tests/powershell/dsc-discovery.ps1 through the
// parser (which itself rejects a malformed resource class), since PSDesiredStateConfiguration
// cannot be installed here; when it is installed, the real Get-DscResource is asked too. The
// checker is first shown a module laid out wrongly.
t.test('DSC resources are discoverable', { skip, timeout: 170_000 }, async (t) => {
  const ps = await PwshSession.open();
  t.teardown(() => ps.close());
  const moduleRoot = join(projectRoot, 'powershell-module', 'OpenVSwitch');
  const checker = join(projectRoot, 'tests', 'powershell', 'dsc-discovery.ps1');
  const bad = mkdtempSync(join(tmpdir(), 'ovsps-h19dsc-'));
  t.teardown(() => rmSync(bad, { recursive: true, force: true }));

  const probe = await ps.ok<string>(`$d = ${psq(bad)}; $null = New-Item -ItemType Directory -Path (Join-Path $d 'Classes') -Force
    Set-Content -Path (Join-Path $d 'Bad.psd1') -Value "@{ RootModule = 'Bad.psm1'; ModuleVersion = '1.0'; DscResourcesToExport = @('R1', 'R2'); FunctionsToExport = @(); CmdletsToExport = @(); AliasesToExport = @() }"
    Set-Content -Path (Join-Path $d 'Bad.psm1') -Value '[DscResource()] class R1 { [DscProperty()] [string]$Name; [DscProperty()] [System.IO.FileInfo]$X; [string] Get() { return "" } [bool] Test() { return $true } }'
    Set-Content -Path (Join-Path $d 'Classes/R2.ps1') -Value '[DscResource()] class R2 { [DscProperty(Key)] [string]$Name; [R2] Get() { return $this } [bool] Test() { return $true } [void] Set() { } }'
    & ${psq(checker)} -ModuleRoot $d | ForEach-Object Rule | Sort-Object -Unique`);
  t.same(probe, ['ExportLists', 'Method', 'NoKey', 'NotInRootModule', 'OutsideRootModule', 'ParseError', 'PropertyType'], 'the checker finds every kind of problem in a badly laid out module');

  const findings = await ps.ok<{ Rule: string; Message: string }>(`& ${psq(checker)} -ModuleRoot ${psq(moduleRoot)}`);
  t.same(findings.map((f) => `${f.Rule}: ${f.Message}`), [], 'the OpenVSwitch module passes every discovery check');
  const listed = await ps.ok<string>(`& ${psq(checker)} -ModuleRoot ${psq(moduleRoot)} -List | Sort-Object`);
  t.same(listed, ['OvsBridge', 'OvsPort', 'OvsService', 'OvsVMAdapterPort'], 'the root module defines the four resources');
  t.same(await ps.ok<string>('@((Get-Module OpenVSwitch).ExportedDscResources) | Sort-Object'), ['OvsBridge', 'OvsPort', 'OvsService', 'OvsVMAdapterPort'],
    'the imported module reports them as its DSC resources');

  // Classes in the root module are what `using module` gives a script: the resources by type name.
  const using = await ps.ok<Record<string, unknown>>(`$body = '[pscustomobject]@{ Type = [OvsBridge]::new().GetType().Name; Ensure = [string][OvsPort]::new().Ensure; Methods = @([OvsVMAdapterPort].GetMethods().Name | Where-Object { $_ -in "Get", "Set", "Test" } | Sort-Object -Unique) }'
    [scriptblock]::Create('using module ' + ${psq(join(moduleRoot, 'OpenVSwitch.psd1'))} + [Environment]::NewLine + $body).Invoke()`);
  t.same(using, [{ Type: 'OvsBridge', Ensure: 'Present', Methods: ['Get', 'Set', 'Test'] }], '`using module OpenVSwitch` exposes the resource classes');

  const real = await ps.ok<string>(`if (Get-Command Get-DscResource -ErrorAction SilentlyContinue) { @(Get-DscResource -Module OpenVSwitch | ForEach-Object Name | Sort-Object) } else { 'not installed' }`);
  if (real[0] === 'not installed') t.comment('PSDesiredStateConfiguration is not installed: Get-DscResource itself was not run');
  else t.same(real, ['OvsBridge', 'OvsPort', 'OvsService', 'OvsVMAdapterPort'], 'Get-DscResource -Module OpenVSwitch lists the four resources');
});
