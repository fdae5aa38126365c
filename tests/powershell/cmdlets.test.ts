// The OpenVSwitch module against a real engine (database only: -NoSwitch, so no root is needed):
// the seed walkthrough as cmdlets, objects, -WhatIf, ErrorRecords, the pipeline, format views,
// argument completion, Invoke-OvsVsctl, and the engine's lifecycle cmdlets.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needPwsh } from '../lib/env.js';
import { PwshSession, psq } from './lib/pwsh-session.js';

const skip = needPwsh();

interface PortObj { Name: string; Bridge: string; VlanTag: number | null; Trunks: number[]; Interfaces: string[]; VlanMode: string; TypeName: string }
interface BridgeObj { Name: string; Ports: string[]; FailMode: string; TypeName: string }

// Generous timeout: one pwsh runs dozens of scripts, and the build machine is shared by many jobs.
t.test('OpenVSwitch cmdlets against the engine', { skip, timeout: 360_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h10-'));
  const ps = await PwshSession.open();
  t.teardown(async () => {
    await ps.run(`Stop-OvsEngine -RunDirectory ${psq(join(dir, 'run'))} -Confirm:$false`).catch(() => undefined);
    await ps.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const db = join(dir, 'conf.db'), run = join(dir, 'run');

  await t.test('Initialize-OvsDatabase creates the file, refuses to overwrite, -WhatIf creates nothing', async (t) => {
    const w = await ps.run(`Initialize-OvsDatabase -Path ${psq(join(dir, 'whatif.db'))} -WhatIf; Test-Path ${psq(join(dir, 'whatif.db'))}`);
    t.same(w.output, [false], '-WhatIf created no file');
    const r = await ps.ok<{ Name: string; Length: number }>(`Initialize-OvsDatabase -Path ${psq(db)} | Select-Object Name, Length`);
    t.equal(r[0]?.Name, 'conf.db');
    t.ok((r[0]?.Length ?? 0) > 1000, 'the file holds the schema');
    const again = await ps.run(`Initialize-OvsDatabase -Path ${psq(db)}`);
    t.equal(again.errors.length, 1, 'a second create is an error');
    t.match(again.errors[0]?.id, /^OVS_E_DB_EXISTS,Initialize-OvsDatabase$/);
    t.equal(again.errors[0]?.category, 'ResourceExists');
  });

  await t.test('Start-OvsEngine returns once the engine answers; Get-OvsEngine and Test-OvsEngine see it', async (t) => {
    const e = await ps.ok<{ Running: boolean; Pid: number; Socket: string; DatabasePath: string; SwitchRunning: boolean }>(
      `$global:e = Start-OvsEngine -DatabasePath ${psq(db)} -RunDirectory ${psq(run)} -NoSwitch; $env:OVS_DB = $e.Socket; $e`);
    t.equal(e[0]?.Running, true);
    t.equal(e[0]?.Socket, `unix:${run}/db.sock`);
    t.equal(e[0]?.DatabasePath, db);
    t.equal(e[0]?.SwitchRunning, false);
    t.ok((e[0]?.Pid ?? 0) > 1, 'pid reported');
    const g = await ps.ok<{ Running: boolean; Pid: number }>(`Get-OvsEngine -RunDirectory ${psq(run)}`);
    t.equal(g[0]?.Pid, e[0]?.Pid, 'Get-OvsEngine finds the same engine');
    const h = await ps.ok<{ Name: string; Healthy: boolean }>(`Test-OvsEngine -RunDirectory ${psq(run)} -Detailed | Select-Object Name, Healthy`);
    t.same(h.find((c) => c.Name === 'engine'), { Name: 'engine', Healthy: true });
    t.same(h.find((c) => c.Name === 'database'), { Name: 'database', Healthy: true }, 'the Open_vSwitch row exists');
    const second = await ps.run(`Start-OvsEngine -DatabasePath ${psq(db)} -RunDirectory ${psq(run)} -NoSwitch`);
    t.match(second.errors[0]?.id, /^OVS_E_ENGINE_RUNNING,/, 'starting a second engine on the same directory is refused');
  });

  await t.test('the seed walkthrough as cmdlets', async (t) => {
    const bridges = await ps.ok<BridgeObj>(`New-OvsBridge -Name br-int, br-pif` +
      ` | Select-Object Name, Ports, FailMode, @{ n = 'TypeName'; e = { $_.PSObject.TypeNames[0] } }`);
    t.same(bridges.map((b) => [b.Name, b.TypeName, b.Ports]), [['br-int', 'OpenVSwitch.Bridge', ['br-int']], ['br-pif', 'OpenVSwitch.Bridge', ['br-pif']]], 'New-OvsBridge returns each new bridge');
    const all = await ps.ok<string>('Get-OvsBridge | ForEach-Object Name');
    t.same(all, ['br-int', 'br-pif'], 'Get-OvsBridge lists both, sorted');

    const p = await ps.ok<PortObj>(`Add-OvsPort -Bridge br-int -Name ovs-port-a -VlanTag 900` +
      ` | Select-Object Name, Bridge, VlanTag, Trunks, Interfaces, @{ n = 'TypeName'; e = { $_.PSObject.TypeNames[0] } }`);
    t.same(p, [{ Name: 'ovs-port-a', Bridge: 'br-int', VlanTag: 900, Trunks: [], Interfaces: ['ovs-port-a'], TypeName: 'OpenVSwitch.Port' }], 'Add-OvsPort returns the port object');
    await ps.ok(`$null = Add-OvsPort br-int ovs-port-b -VlanTag 900`);
    await ps.ok(`$null = Add-OvsPatchPort -Bridge br-int -Name patch-to-pif -PeerBridge br-pif -PeerName patch-to-int`);
    await ps.ok(`$null = Get-OvsBridge br-pif | Add-OvsPort -Name Ethernet0`);
    const ports = await ps.ok<PortObj>('Get-OvsPort | Select-Object Name, Bridge, VlanTag');
    t.same(ports, [
      { Name: 'br-int', Bridge: 'br-int', VlanTag: null }, { Name: 'ovs-port-a', Bridge: 'br-int', VlanTag: 900 },
      { Name: 'ovs-port-b', Bridge: 'br-int', VlanTag: 900 }, { Name: 'patch-to-pif', Bridge: 'br-int', VlanTag: null },
      { Name: 'br-pif', Bridge: 'br-pif', VlanTag: null }, { Name: 'Ethernet0', Bridge: 'br-pif', VlanTag: null },
      { Name: 'patch-to-int', Bridge: 'br-pif', VlanTag: null },
    ].sort((a, b) => (a.Bridge + '\0' + a.Name).localeCompare(b.Bridge + '\0' + b.Name)), 'Get-OvsPort lists every port with its bridge and tag');
    const patch = await ps.ok<{ Name: string; Type: string; Peer: string }>(
      `Get-OvsInterface -Name patch-to-*  | Select-Object Name, Type, @{ n = 'Peer'; e = { $_.Options['peer'] } }`);
    t.same(patch, [{ Name: 'patch-to-int', Type: 'patch', Peer: 'patch-to-pif' }, { Name: 'patch-to-pif', Type: 'patch', Peer: 'patch-to-int' }], 'the patch pair points at each other');
    const tun = await ps.ok<{ Type: string; Options: Record<string, string> }>(
      `Add-OvsTunnelPort -Bridge br-int -Name tun-1 -Type vxlan -RemoteIp 172.168.201.102 -LocalIp 172.168.201.101 -Key flow | Out-Null; Get-OvsInterface tun-1 | Select-Object Type, Options`);
    t.equal(tun[0]?.Type, 'vxlan');
    t.same(tun[0]?.Options, { in_key: 'flow', local_ip: '172.168.201.101', out_key: 'flow', remote_ip: '172.168.201.102' }, 'the seed\'s tunnel options');
    // What real ovs-vsctl would print for the same database: our Invoke-OvsVsctl runs the same library.
    const show = await ps.ok<string>('Invoke-OvsVsctl show');
    t.match(show.join('\n'), /Bridge br-int\n(.|\n)*Port ovs-port-a\n\s+tag: 900\n\s+Interface ovs-port-a/, 'ovs-vsctl show agrees');
  });

  await t.test('-WhatIf changes nothing', async (t) => {
    const before = await ps.ok<string>('Invoke-OvsVsctl show');
    const r = await ps.run(`New-OvsBridge br-whatif -WhatIf; Add-OvsPort -Bridge br-int -Name p-whatif -WhatIf; Set-OvsPort ovs-port-a -VlanTag 5 -WhatIf;` +
      ` Remove-OvsPort ovs-port-b -WhatIf; Remove-OvsBridge br-pif -WhatIf; Set-OvsBridge br-int -FailMode secure -WhatIf; Set-OvsInterface tun-1 -Options @{ remote_ip = '1.2.3.4' } -WhatIf;` +
      ` Add-OvsFlow -Bridge br-int -Flow 'priority=1,actions=drop' -WhatIf; Remove-OvsFlow -Bridge br-int -WhatIf; Add-OvsBond -Bridge br-int -Name bond0 -Interface e1, e2 -WhatIf`);
    t.same(r.errors, [], 'no errors');
    t.same(r.output, [], 'no objects returned');
    t.same(await ps.ok<string>('Invoke-OvsVsctl show'), before, 'ovs-vsctl show is unchanged');
  });

  await t.test('errors are ErrorRecords with the engine\'s code', async (t) => {
    const dup = await ps.run('Add-OvsPort -Bridge br-int -Name ovs-port-a');
    t.equal(dup.errors.length, 1);
    t.match(dup.errors[0], { id: 'OVS_E_ALREADY_EXISTS,Add-OvsPort', category: 'ResourceExists', target: 'ovs-port-a' });
    t.match(dup.errors[0]?.message, /a port named ovs-port-a already exists on bridge br-int/, 'the message says the port exists');
    const stop = await ps.run(`try { Add-OvsPort -Bridge br-int -Name ovs-port-a -ErrorAction Stop; 'not reached' } catch { "caught $($_.FullyQualifiedErrorId)" }`);
    t.same(stop.output, ['caught OVS_E_ALREADY_EXISTS,Add-OvsPort'], '-ErrorAction Stop throws');
    const nobr = await ps.run('Add-OvsPort -Bridge nosuchbr -Name x1');
    t.match(nobr.errors[0], { id: 'OVS_E_NO_BRIDGE,Add-OvsPort', category: 'ObjectNotFound' });
    const getmiss = await ps.run('Get-OvsBridge nosuchbr; Get-OvsPort nosuchport; Get-OvsBridge no*');
    t.same(getmiss.errors.map((e) => e.id), ['OVS_E_NO_BRIDGE,Get-OvsBridge', 'OVS_E_NO_PORT,Get-OvsPort'], 'a missing name is an error, an unmatched wildcard is not');
    const bad = await ps.run('Add-OvsPort -Bridge br-int -Name x2 -VlanTag 5000');
    t.match(bad.thrown?.id ?? bad.errors[0]?.id, /^ParameterArgumentValidationError,Add-OvsPort$/, 'PowerShell validates the VLAN range before any call');
    const mayExist = await ps.run('New-OvsBridge br-int -MayExist | ForEach-Object Name');
    t.same(mayExist.output, ['br-int'], '-MayExist succeeds on an existing bridge');
    const conn = await ps.run(`Get-OvsBridge -Database ${psq('unix:' + join(dir, 'nothing.sock'))}`);
    t.match(conn.errors[0], { id: 'OVS_E_CONNECT,Get-OvsBridge', category: 'ConnectionError' });
    t.match(conn.errors[0]?.message, /Cannot connect to the Open vSwitch engine/);
  });

  await t.test('pipeline: Get-OvsBridge br-int | Get-OvsPort | Set-OvsPort -VlanTag 900', async (t) => {
    await ps.ok('Get-OvsBridge br-int | Get-OvsPort -ExcludeInternal | Where-Object Name -like ovs-port-* | Set-OvsPort -VlanTag 901');
    t.same(await ps.ok('Get-OvsPort ovs-port-* | ForEach-Object VlanTag'), [901, 901], 'both VM ports moved to 901');
    const n = (await ps.ok<number>('@(Get-OvsPort -Bridge br-int).Count'))[0];
    const r = await ps.ok<PortObj>('Get-OvsBridge br-int | Get-OvsPort | Set-OvsPort -VlanTag 900 -PassThru | Select-Object Name, VlanTag');
    t.equal(r.length, n, 'every port of br-int passed through');
    t.ok(r.every((p) => p.VlanTag === 900), 'all on VLAN 900');
    const names = await ps.ok<string>(`'br-a', 'br-b' | New-OvsBridge | ForEach-Object Name`);
    t.same(names, ['br-a', 'br-b'], 'names piped to New-OvsBridge');
    await ps.ok(`Get-OvsBridge br-a, br-b | Remove-OvsBridge -Force`);
    t.same(await ps.ok('Get-OvsBridge br-? | ForEach-Object Name'), [], 'piped removal removed both');
    const trunk = await ps.ok<PortObj>('Set-OvsPort ovs-port-b -ClearVlanTag -Trunks 10, 20 -VlanMode trunk -PassThru | Select-Object VlanTag, Trunks, VlanMode');
    t.same(trunk, [{ VlanTag: null, Trunks: [10, 20], VlanMode: 'trunk' }]);
    await ps.ok('Set-OvsPort ovs-port-b -VlanTag 900 -Trunks @() -VlanMode access');
  });

  await t.test('format views look like the seed\'s output', async (t) => {
    const table = (await ps.ok<string>('Get-OvsPort -Bridge br-int | Format-Table | Out-String -Width 200')).join('');
    t.match(table, /Bridge\s+Name\s+VlanTag\s+VlanMode\s+Trunks\s+Interfaces\n/, 'port table header');
    t.match(table, /\n\s*br-int\s+ovs-port-a\s+900\s+ovs-port-a\n/, 'a port row');
    const br = (await ps.ok<string>('Get-OvsBridge | Out-String -Width 200')).join('');
    t.match(br, /Name\s+FailMode\s+DatapathType\s+Ports\n/, 'bridge table header');
    t.match(br, /br-int\s+.*ovs-port-a/, 'bridge row lists its ports');
    const cfg = (await ps.ok<string>('Show-OvsConfig | Out-String -Width 200')).join('');
    t.match(cfg, /^[0-9a-f-]{36}\n(.*\n)*    Bridge br-int\n        Port /, 'Show-OvsConfig prints the ovs-vsctl show tree');
    t.match(cfg, /\n            Interface br-int\n                type: internal\n/, 'with the internal interface');
  });

  await t.test('argument completers complete bridge and port names from the engine', async (t) => {
    const br = await ps.ok<string>(`$s = 'Get-OvsPort -Bridge br-'; (TabExpansion2 -inputScript $s -cursorColumn $s.Length).CompletionMatches | ForEach-Object CompletionText`);
    t.same(br, ['br-int', 'br-pif']);
    const pt = await ps.ok<string>(`$s = 'Set-OvsPort -Name ovs-'; (TabExpansion2 -inputScript $s -cursorColumn $s.Length).CompletionMatches | ForEach-Object CompletionText`);
    t.same(pt, ['ovs-port-a', 'ovs-port-b']);
  });

  await t.test('Invoke-OvsVsctl runs raw ovs-vsctl commands and reports their errors', async (t) => {
    const out = await ps.ok<string>('Invoke-OvsVsctl list-ports br-int');
    t.same(out, ['ovs-port-a', 'ovs-port-b', 'patch-to-pif', 'tun-1']);
    const bad = await ps.run('Invoke-OvsVsctl frobnicate');
    t.match(bad.errors[0]?.id, /^OVS_E_VSCTL_UNKNOWN_COMMAND,Invoke-OvsVsctl$/);
    const rm = await ps.run('Remove-OvsPort tun-1 -Confirm:$false; Get-OvsPort tun-1 -ErrorAction SilentlyContinue');
    t.same(rm.output, [], 'Remove-OvsPort removed it');
    t.same(rm.errors, []);
  });

  await t.test('Stop-OvsEngine stops it; a second stop is not an error', async (t) => {
    await ps.ok(`Stop-OvsEngine -RunDirectory ${psq(run)} -Confirm:$false`);
    const g = await ps.ok<{ Running: boolean }>(`Get-OvsEngine -RunDirectory ${psq(run)}`);
    t.equal(g[0]?.Running, false);
    const again = await ps.run(`Stop-OvsEngine -RunDirectory ${psq(run)} -Confirm:$false`);
    t.same(again.errors, []);
    const h = await ps.run(`Test-OvsEngine -RunDirectory ${psq(run)}`);
    t.same(h.output, [false], 'Test-OvsEngine is false');
    t.ok(h.warnings.length > 0, 'and says why');
    // Restart on the same database: the configuration persisted.
    await ps.ok(`$null = Start-OvsEngine -DatabasePath ${psq(db)} -RunDirectory ${psq(run)} -NoSwitch`);
    t.same(await ps.ok('Get-OvsBridge | ForEach-Object Name'), ['br-int', 'br-pif'], 'bridges survived the restart');
  });
});
