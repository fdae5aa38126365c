// The multi-host feature cmdlets against a real engine (database only: -NoSwitch, so no root):
// mirrors, sFlow and QoS as objects with -WhatIf, errors and the pipeline; ingress policing through
// Set-OvsInterface; Get-OvsBond's error when no switch runs. The data plane behind them is proven
// by tests/e2e (mirror, sflow, qos) and tests/two-hosts (bonds).
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needPwsh } from '../lib/env.js';
import { PwshSession, psq } from './lib/pwsh-session.js';

const skip = needPwsh();

t.test('mirror, sFlow, QoS and policing cmdlets', { skip, timeout: 170_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-feat-'));
  const ps = await PwshSession.open();
  const run = join(dir, 'run');
  t.teardown(async () => {
    await ps.run(`Stop-OvsEngine -RunDirectory ${psq(run)} -Confirm:$false`).catch(() => undefined);
    await ps.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await ps.ok(`$e = Start-OvsEngine -DatabasePath ${psq(join(dir, 'conf.db'))} -RunDirectory ${psq(run)} -NoSwitch; $env:OVS_DB = $e.Socket; $null = New-OvsBridge -Name br0;` +
    ` foreach ($p in 'p1','p2','mon') { $null = Add-OvsPort -Bridge br0 -Name $p }`);

  await t.test('New-OvsMirror / Get-OvsMirror / Remove-OvsMirror', async (t) => {
    const w = await ps.run('New-OvsMirror -Bridge br0 -Name m0 -SelectAll -OutputPort mon -WhatIf; @(Get-OvsMirror).Count');
    t.same(w.output, [0], '-WhatIf creates no mirror');
    const m = await ps.ok<{ Name: string; Bridge: string; SourcePort: string[]; DestinationPort: string[]; OutputPort: string; SelectAll: boolean; TypeName: string }>(
      "New-OvsMirror -Bridge br0 -Name m1 -SourcePort p1 -DestinationPort p1, p2 -OutputPort mon -PassThru | Select-Object Name, Bridge, SourcePort, DestinationPort, OutputPort, SelectAll, @{ n = 'TypeName'; e = { $_.PSObject.TypeNames[0] } }");
    t.same(m, [{ Name: 'm1', Bridge: 'br0', SourcePort: ['p1'], DestinationPort: ['p1', 'p2'], OutputPort: 'mon', SelectAll: false, TypeName: 'OpenVSwitch.Mirror' }]);
    const rspan = await ps.ok<{ OutputVlan: number; Vlan: number[] }>('New-OvsMirror br0 m2 -SelectAll -Vlan 900, 901 -OutputVlan 999 -PassThru | Select-Object OutputVlan, Vlan');
    t.same(rspan, [{ OutputVlan: 999, Vlan: [900, 901] }], 'an RSPAN mirror with a VLAN selection');
    const vsctl = await ps.ok<string>("Invoke-OvsVsctl -- --columns=name,output_vlan list Mirror m2");
    t.match(vsctl.join('\n'), /output_vlan\s+: 999/, 'the Mirror row as ovs-vsctl sees it');
    const table = await ps.ok<string>('Get-OvsMirror -Bridge br0 | Out-String -Width 200');
    t.match(table.join('\n'), /Bridge\s+Name\s+Selects\s+Vlan\s+Output\s+TxPackets/, 'the table view');
    t.match(table.join('\n'), /br0\s+m1\s+in:p1 out:p1 out:p2\s+mon\s+0/, 'm1 in the table');
    const bad = await ps.run('New-OvsMirror -Bridge br0 -Name m3 -SourcePort nope -OutputPort mon');
    t.equal(bad.errors.length, 1, 'a missing source port is an error');
    t.match(bad.errors[0]?.message, /nope/, 'naming the port');
    const missing = await ps.run('Get-OvsMirror -Bridge br0 -Name zzz');
    t.match(missing.errors[0]?.id, /^OVS_E_NOT_FOUND,Get-OvsMirror$/);
    t.equal(missing.errors[0]?.category, 'ObjectNotFound');
    await ps.ok('Get-OvsMirror -Bridge br0 | Remove-OvsMirror -Confirm:$false');
    t.same(await ps.ok('@(Get-OvsMirror).Count'), [0], 'the pipeline removes every mirror');
    t.same(await ps.ok<string>('(Invoke-OvsVsctl list Mirror) -join ""'), [''], 'and their rows are garbage-collected');
  });

  await t.test('Enable-OvsSFlow / Get-OvsSFlow / Disable-OvsSFlow', async (t) => {
    const s = await ps.ok<{ Bridge: string; Target: string[]; Sampling: number; Polling: number; Header: number | null; Agent: string | null }>(
      "Enable-OvsSFlow -Bridge br0 -Target 127.0.0.1:6343, 10.0.0.9 -Sampling 64 -Polling 10 -Agent lo -PassThru | Select-Object Bridge, Target, Sampling, Polling, Header, Agent");
    t.same(s, [{ Bridge: 'br0', Target: ['10.0.0.9', '127.0.0.1:6343'], Sampling: 64, Polling: 10, Header: null, Agent: 'lo' }]);
    const bad = await ps.run('Enable-OvsSFlow -Bridge br0 -Target collector.example');
    t.match(JSON.stringify(bad.thrown ?? bad.errors), /ParameterArgumentValidationError|does not match/, 'a target that is not IP[:PORT] is refused before anything changes');
    t.same(await ps.ok<string[]>('@(Get-OvsSFlow).Target'), ['10.0.0.9', '127.0.0.1:6343'], 'and the configuration is unchanged');
    await ps.ok('Get-OvsSFlow | Disable-OvsSFlow -Confirm:$false');
    t.same(await ps.ok('@(Get-OvsSFlow).Count'), [0], 'sFlow off');
  });

  await t.test('Set-OvsQos / Get-OvsQos / Remove-OvsQos and ingress policing', async (t) => {
    const w = await ps.run('Set-OvsQos -Port p1 -MaxRate 10000000 -WhatIf; @(Get-OvsQos).Count');
    t.same(w.output, [0], '-WhatIf sets nothing');
    const q = await ps.ok<{ Port: string; Type: string; MaxRate: number }>('Set-OvsQos -Port p1 -MaxRate 10000000 -QueueMinRate 1000000 -PassThru | Select-Object Port, Type, MaxRate');
    t.same(q, [{ Port: 'p1', Type: 'linux-htb', MaxRate: 10000000 }]);
    t.same(await ps.ok('(Get-OvsQos -Port p1).Queues | Select-Object Id, MinRate, MaxRate'), [{ Id: 0, MinRate: 1000000, MaxRate: 10000000 }], 'queue 0 with its rates');
    await ps.ok('Get-OvsPort -Bridge br0 -Name p2 | Set-OvsQos -MaxRate 5000000');
    t.same(await ps.ok<string>('Get-OvsQos | ForEach-Object Port'), ['p1', 'p2'], 'pipeline input by property name');
    await ps.ok('Get-OvsQos | Remove-OvsQos -Confirm:$false');
    t.same(await ps.ok('@(Get-OvsQos).Count'), [0], 'QoS removed');
    await ps.ok('Set-OvsInterface -Name p1 -IngressPolicingRate 10000 -IngressPolicingBurst 1000');
    t.same(await ps.ok<string>("Invoke-OvsVsctl get interface p1 ingress_policing_rate ingress_policing_burst"), ['10000', '1000'], 'policing rate and burst set');
  });

  await t.test('Get-OvsBond needs the switch', async (t) => {
    const r = await ps.run('Get-OvsBond');
    t.match(r.errors[0]?.id, /^OVS_E_NO_SWITCH,Get-OvsBond$/, 'a clear error when the engine runs no switch');
  });
});
