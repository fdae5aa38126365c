// On root: the whole pwsh session runs in a private network namespace, where Start-OvsEngine starts
// the engine with its switch; New-OvsTestVM makes "VMs" (namespaces with a veth vNIC), and the seed's
// steps as cmdlets (Set-VMNetworkAdapterOVSPort, then Add-OvsPort -VlanTag 900) make them ping each
// other through br-int, while a VM on another VLAN stays isolated. The OvsVMAdapterPort DSC resource
// converges an adapter's binding and is idempotent.
import t from 'tap';
import { netnsVmDefinition } from '../../engine/setup/boot-reconcile.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needCommand, needPwsh, needRoot } from '../lib/env.js';
import { PwshSession, psq } from './lib/pwsh-session.js';

const skip = needPwsh() || needRoot() || needCommand('ip') || needCommand('ping');
const tag = `ovspsh10${process.pid % 10}`; // 9 chars, so VM and interface names below fit 15
const hostNs = `${tag}sw`;
const vm = (s: string): string => `${tag}${s}`;

function ip(...args: string[]): number {
  return spawnSync('ip', args, { stdio: 'ignore' }).status ?? -1;
}

t.test('VMs ping through the bridge after Set-VMNetworkAdapterOVSPort + Add-OvsPort', { skip, timeout: 170_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h10vm-'));
  const run = join(dir, 'run');
  if (ip('netns', 'add', hostNs) !== 0) throw new Error(`cannot create namespace ${hostNs}`);
  ip('-n', hostNs, 'link', 'set', 'lo', 'up');
  const ps = await PwshSession.open({ netns: hostNs });
  t.teardown(async () => {
    await ps.run(`Stop-OvsEngine -RunDirectory ${psq(run)} -Confirm:$false; Get-OvsTestVM ${tag}* | Remove-OvsTestVM -Confirm:$false`).catch(() => undefined);
    await ps.close();
    for (const s of ['a', 'b', 'c']) ip('netns', 'del', vm(s));
    ip('netns', 'del', hostNs);
    rmSync(dir, { recursive: true, force: true });
  });

  const e = await ps.ok<{ Running: boolean; SwitchRunning: boolean }>(
    `$e = Start-OvsEngine -DatabasePath ${psq(join(dir, 'conf.db'))} -RunDirectory ${psq(run)}; $env:OVS_DB = $e.Socket; $e | Select-Object Running, SwitchRunning`);
  t.same(e, [{ Running: true, SwitchRunning: true }], 'the engine runs its switch');

  const vms = await ps.ok<{ Name: string; IPAddress: string[] }>(
    `New-OvsTestVM -Name ${vm('a')} -IPAddress 10.77.0.1/24 -HostInterface va-${tag}; New-OvsTestVM -Name ${vm('b')} -IPAddress 10.77.0.2/24 -HostInterface vb-${tag}; ` +
    `New-OvsTestVM -Name ${vm('c')} -IPAddress 10.77.0.3/24 -HostInterface vc-${tag} | Select-Object Name, IPAddress`);
  t.same(vms.map((v) => v.Name), [vm('a'), vm('b'), vm('c')], 'three VMs');

  await ps.ok(`$null = New-OvsBridge -Name br-int`);
  // The seed: name each vNIC's OVS port, then add a port of that name on VLAN 900.
  const bound = await ps.ok<{ VMName: string; OVSPortName: string }>(
    `$vnic = (Get-OvsTestVM ${vm('a')}).NetworkAdapters; $vnic[0] | Set-VMNetworkAdapterOVSPort -OVSPortName ovs-port-a -PassThru | Select-Object VMName, OVSPortName`);
  t.same(bound, [{ VMName: vm('a'), OVSPortName: 'ovs-port-a' }], 'Set-VMNetworkAdapterOVSPort names the vNIC\'s port');
  await ps.ok(`(Get-OvsTestVM ${vm('b')}).NetworkAdapters | Set-VMNetworkAdapterOVSPort -OVSPortName ovs-port-b; (Get-OvsTestVM ${vm('c')}).NetworkAdapters | Set-VMNetworkAdapterOVSPort -OVSPortName ovs-port-c`);
  const byPort = await ps.ok<string>('Get-VMNetworkAdapterByOVSPort ovs-port-b | ForEach-Object VMName; Get-VMByOVSPort ovs-port-a | ForEach-Object Name');
  t.same(byPort, [vm('b'), vm('a')], 'Get-VMNetworkAdapterByOVSPort and Get-VMByOVSPort find them back');
  t.same(await ps.ok('Get-VMNetworkAdapterWithOVSPort | ForEach-Object OVSPortName | Sort-Object'), ['ovs-port-a', 'ovs-port-b', 'ovs-port-c']);

  await ps.ok('$null = Add-OvsPort -Bridge br-int -Name ovs-port-a -VlanTag 900; $null = Add-OvsPort -Bridge br-int -Name ovs-port-b -VlanTag 900; $null = Add-OvsPort -Bridge br-int -Name ovs-port-c -VlanTag 901');
  const ifs = await ps.ok<{ Name: string; LinkState: string; Error: string; OfPort: number }>('Get-OvsInterface ovs-port-* | Select-Object Name, LinkState, Error, OfPort');
  t.same(ifs.map((i) => [i.Name, i.Error]), [['ovs-port-a', ''], ['ovs-port-b', ''], ['ovs-port-c', '']], 'the ports opened without error');
  t.ok(ifs.every((i) => i.OfPort > 0), 'and got OpenFlow port numbers');
  // Add-OvsPort recorded each VM in its Interface, in the form the boot reconcile re-creates VMs from.
  const rec = await ps.ok<{ Name: string; Ids: string }>(`Get-OvsInterface ovs-port-a | ForEach-Object { [pscustomobject]@{ Name = $_.Name; Ids = ($_.ExternalIds | ConvertTo-Json -Compress) } }`);
  const ids = new Map(Object.entries(JSON.parse(rec[0]?.Ids ?? '{}') as Record<string, string>));
  const mac = (await ps.ok<string>(`(& ip -n ${vm('a')} -j link show dev eth0 | ConvertFrom-Json).address`))[0];
  t.same(netnsVmDefinition({ name: 'ovs-port-a', type: '', bridge: 'br-int', port: 'ovs-port-a', externalIds: ids }),
    { netns: vm('a'), hostIf: 'ovs-port-a', vmIf: 'eth0', addresses: ['10.77.0.1/24'], mac }, 'the Interface records VM a (namespace, vNIC, address, MAC) for a boot reconcile');

  // The VMs' namespaces were mounted inside pwsh's mount namespace (ip netns exec makes one), so
  // they are entered from there.
  const ping = async (from: string, to: string, count = 3): Promise<boolean> =>
    (await ps.ok<boolean>(`$null = & ip netns exec ${vm(from)} ping -c ${count} -i 0.2 -W 1 -q ${to} 2>&1; $LASTEXITCODE -eq 0`))[0] === true;
  // A positive check tries a few times: on a loaded machine the first ARP broadcast of a new path can
  // miss ping's 1 s window (each miss is an upcall to the engine). Negative checks use ping() once.
  const pingEventually = async (from: string, to: string): Promise<boolean> => {
    for (let i = 0; i < 5; i++) if (await ping(from, to)) return true;
    return false;
  };
  const first = await pingEventually('a', '10.77.0.2');
  if (!first) {
    // Say why, for whoever reads the failure.
    t.comment((await ps.run<string>(`Get-OvsInterface | Format-Table Name, OfPort, LinkState, Error | Out-String; Get-OvsFlow br-int | Format-Table | Out-String; (Get-OvsDatapath).Text; Get-Content ${psq(join(run, 'ovs-engine.log'))} -Tail 30`)).output.join('\n'));
  }
  t.ok(first, 'VM a pings VM b on VLAN 900 through br-int');
  t.notOk(await ping('a', '10.77.0.3', 2), 'VM c on VLAN 901 is isolated');

  const fdb = await ps.ok<{ PortName: string; Vlan: number }>('Get-OvsFdb -Bridge br-int | Select-Object PortName, Vlan');
  t.ok(fdb.some((f) => f.PortName === 'ovs-port-a' && f.Vlan === 900), 'Get-OvsFdb shows a MAC learnt on ovs-port-a, VLAN 900');
  const dp = await ps.ok<string>('(Get-OvsDatapath).Ports | ForEach-Object Name');
  t.ok(['br-int', 'ovs-port-a', 'ovs-port-b'].every((n) => dp.includes(n)), 'Get-OvsDatapath lists the ports');

  // Moving c to VLAN 900 through the pipeline reconnects it.
  await ps.ok('Get-OvsPort ovs-port-c | Set-OvsPort -VlanTag 900');
  t.ok(await pingEventually('a', '10.77.0.3'), 'after Set-OvsPort -VlanTag 900, c answers');

  // An OpenFlow rule through the cmdlets.
  await ps.ok(`Add-OvsFlow -Bridge br-int -Flow 'priority=100,ip,nw_dst=10.77.0.2,actions=drop'`);
  const flows = await ps.ok<{ Priority: number; Actions: string }>('Get-OvsFlow -Bridge br-int | Where-Object Priority -eq 100 | Select-Object Priority, Actions');
  t.same(flows, [{ Priority: 100, Actions: 'drop' }], 'Get-OvsFlow shows the rule');
  t.notOk(await ping('a', '10.77.0.2', 2), 'the drop rule stops the ping');
  await ps.ok(`Remove-OvsFlow -Bridge br-int -Match 'ip,nw_dst=10.77.0.2' -Confirm:$false`);
  t.ok(await pingEventually('a', '10.77.0.2'), 'removing it restores the ping');

  // DSC: OvsVMAdapterPort converges the binding and is idempotent.
  const dsc = await ps.ok<{ Before: boolean; After: boolean; Again: boolean; Name: string; Reasons: number }>(`& (Get-Module OpenVSwitch) {
    $r = [OvsVMAdapterPort]::new(); $r.VMName = '${vm('c')}'; $r.AdapterName = 'eth0'; $r.OVSPortName = 'ovs-port-c2'
    $before = $r.Test(); $r.Set(); $after = $r.Test(); $r.Set(); $again = $r.Test(); $g = $r.Get()
    [pscustomobject]@{ Before = $before; After = $after; Again = $again; Name = $g.OVSPortName; Reasons = @($g.Reasons).Count }
  }`);
  t.same(dsc, [{ Before: false, After: true, Again: true, Name: 'ovs-port-c2', Reasons: 0 }], 'Test false, Set, Test true; a second Set changes nothing');

  await ps.ok(`Remove-OvsTestVM -Name ${vm('c')} -Confirm:$false`);
  t.same(await ps.ok(`Get-OvsTestVM ${vm('c')}`), [], 'Remove-OvsTestVM removed it');
});
