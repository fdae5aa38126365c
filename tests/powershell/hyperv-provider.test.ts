// The Hyper-V provider (Private/Provider.HyperV.ps1) against a fake CIM layer: the module's two CIM
// wrappers are replaced (in the module's scope) by fakes that keep a small table of
// Msvm_EthernetPortAllocationSettingData instances and record every query (class + WQL filter) and
// method call, so the tests check the exact classes, filters and calls the cmdlets would make on a
// Hyper-V host, including WQL escaping of hostile names, job polling, job failure and timeout.
import t from 'tap';
import { needPwsh } from '../lib/env.js';
import { PwshSession } from './lib/pwsh-session.js';

const skip = needPwsh();

interface Call { Kind: string; Class: string; Filter: string | null; Method: string | null; Args: string | null }

const FAKE = String.raw`
& (Get-Module OpenVSwitch) {
  $script:OvsVmProviderName = 'HyperV'
  $script:Fake = @{ Calls = [System.Collections.Generic.List[object]]::new(); Jobs = [System.Collections.Generic.Queue[int]]::new(); JobError = '' }
  $script:Fake.Settings = @(
    [pscustomobject]@{ InstanceID = 'Microsoft:VM1\NIC1\C'; ElementName = ''; __EmbeddedText = 'setting-1' }
    [pscustomobject]@{ InstanceID = 'Microsoft:VM2\NIC2\C'; ElementName = 'ovs-port-b'; __EmbeddedText = 'setting-2' }
  )
  function script:Test-FakeFilter($Item, [string]$Filter) {
    if (-not $Filter) { return $true }
    if ($Filter -match "^InstanceID LIKE '(.*)%'$") { return $Item.InstanceID.StartsWith(($Matches[1] -replace '\[(.)\]', '$1' -replace '\\\\', '\' -replace "\\'", "'")) }
    if ($Filter -match "^ElementName = '(.*)'$") { return $Item.ElementName -eq ($Matches[1] -replace '\\\\', '\' -replace "\\'", "'") }
    if ($Filter -eq "ElementName <> ''") { return [bool]$Item.ElementName }
    throw "fake CIM: unsupported filter $Filter"
  }
  function script:Invoke-OvsCimQuery {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$ClassName, [string]$Filter)
    $script:Fake.Calls.Add([pscustomobject]@{ Kind = 'Query'; Class = $ClassName; Filter = $Filter; Method = $null; Args = $null })
    switch ($ClassName) {
      'Msvm_EthernetPortAllocationSettingData' { $script:Fake.Settings | Where-Object { Test-FakeFilter $_ $Filter } }
      'Msvm_VirtualSystemManagementService' { [pscustomobject]@{ Name = 'vsms' } }
      'Msvm_ConcreteJob' {
        $state = if ($script:Fake.Jobs.Count) { $script:Fake.Jobs.Dequeue() } else { 4 }
        [pscustomobject]@{ InstanceID = 'JOB-1'; JobState = $state; ErrorDescription = $script:Fake.JobError }
      }
      default { throw "fake CIM: unexpected class $ClassName" }
    }
  }
  function script:Invoke-OvsCimMethod {
    [CmdletBinding()]
    param([Parameter(Mandatory)]$InputObject, [Parameter(Mandatory)][string]$MethodName, [hashtable]$Arguments = @{})
    $script:Fake.Calls.Add([pscustomobject]@{ Kind = 'Method'; Class = $InputObject.Name; Filter = $null; Method = $MethodName; Args = ($Arguments | ConvertTo-Json -Compress) })
    [pscustomobject]@{ ReturnValue = 4096; Job = 'Msvm_ConcreteJob.InstanceID="JOB-1"' }
  }
}
function global:Get-VMNetworkAdapter {
  param([string]$VMName, [string]$Name, [switch]$All)
  $a = @([pscustomobject]@{ Id = 'Microsoft:VM1\NIC1'; Name = 'Network Adapter'; VMName = 'VM1'; MacAddress = '00155D000001' }
         [pscustomobject]@{ Id = 'Microsoft:VM2\NIC2'; Name = 'Network Adapter'; VMName = 'VM2'; MacAddress = '00155D000002' })
  if ($All) { return $a }
  $a | Where-Object { $_.VMName -eq $VMName -and (-not $Name -or $_.Name -eq $Name) }
}
function global:Get-FakeCalls { & (Get-Module OpenVSwitch) { $c = @($script:Fake.Calls); $script:Fake.Calls.Clear(); $c } }
function global:Set-FakeJobs([int[]]$States, [string]$ErrorText = '') { & (Get-Module OpenVSwitch) { param($s, $e) $script:Fake.Jobs.Clear(); foreach ($x in $s) { $script:Fake.Jobs.Enqueue($x) }; $script:Fake.JobError = $e } $States $ErrorText }
`;

t.test('Hyper-V provider through a fake CIM layer', { skip, timeout: 170_000 }, async (t) => {
  const ps = await PwshSession.open();
  t.teardown(() => ps.close());
  await ps.ok(FAKE);

  await t.test('Set-VMNetworkAdapterOVSPort: queries, ModifyResourceSettings, job polling', async (t) => {
    await ps.ok('Set-FakeJobs 4, 4, 7');
    const r = await ps.ok<{ VMName: string; OVSPortName: string; Provider: string; TypeName: string }>(
      `Get-VMNetworkAdapter -VMName VM1 | Set-VMNetworkAdapterOVSPort -OVSPortName ovs-port-a -PassThru -Confirm:$false | Select-Object VMName, OVSPortName, Provider, @{ n = 'TypeName'; e = { $_.PSObject.TypeNames[0] } }`);
    t.same(r, [{ VMName: 'VM1', OVSPortName: 'ovs-port-a', Provider: 'HyperV', TypeName: 'OpenVSwitch.VMNetworkAdapterPort' }]);
    const calls = await ps.ok<Call>('Get-FakeCalls');
    t.same(calls.map((c) => c.Kind === 'Query' ? `${c.Class}: ${c.Filter ?? ''}` : `${c.Class}.${c.Method}(${c.Args})`), [
      "Msvm_EthernetPortAllocationSettingData: ElementName = 'ovs-port-a'",
      "Msvm_EthernetPortAllocationSettingData: InstanceID LIKE 'Microsoft:VM1\\\\NIC1%'",
      'Msvm_VirtualSystemManagementService: ',
      'vsms.ModifyResourceSettings({"ResourceSettings":["setting-1"]})',
      "Msvm_ConcreteJob: InstanceID = 'JOB-1'",
      "Msvm_ConcreteJob: InstanceID = 'JOB-1'",
      "Msvm_ConcreteJob: InstanceID = 'JOB-1'",
    ], 'the exact classes, WQL filters and method call; the job is polled until Completed (7)');
  });

  await t.test('a name used by another vNIC is refused before any change', async (t) => {
    const r = await ps.run('Get-VMNetworkAdapter -VMName VM1 | Set-VMNetworkAdapterOVSPort -OVSPortName ovs-port-b -Confirm:$false');
    t.match(r.errors[0], { id: 'OVS_E_PORT_NAME_IN_USE,Set-VMNetworkAdapterOVSPort' });
    t.match(r.errors[0]?.message, /already used by another VM network adapter \(Microsoft:VM2\\NIC2\\C\)/);
    const calls = await ps.ok<Call>('Get-FakeCalls');
    t.notOk(calls.some((c) => c.Kind === 'Method'), 'no ModifyResourceSettings call');
  });

  await t.test('hostile names are escaped in WQL, and length is validated', async (t) => {
    await ps.ok('Set-FakeJobs 7');
    await ps.ok(`Get-VMNetworkAdapter -VMName VM1 | Set-VMNetworkAdapterOVSPort -OVSPortName "x' OR ElementName <> '" -Confirm:$false`);
    const calls = await ps.ok<Call>('Get-FakeCalls');
    t.equal(calls[0]?.Filter, "ElementName = 'x\\' OR ElementName <> \\''", 'the quote is escaped, so the filter stays one comparison');
    const long = await ps.run(`Get-VMNetworkAdapter -VMName VM1 | Set-VMNetworkAdapterOVSPort -OVSPortName ('p' * 49) -Confirm:$false`);
    t.match(long.thrown?.id ?? long.errors[0]?.id, /^ParameterArgumentValidationError/, 'names over 48 characters are refused');
    const like = await ps.run(`Get-VMNetworkAdapterOVSPort -VMNetworkAdapter ([pscustomobject]@{ Id = 'a_b%[c'; Name = 'n'; VMName = 'v' })`);
    t.match(like.errors[0]?.id, /^OVS_E_NOT_CONNECTED,/, 'an adapter with no port setting is "not connected"');
    const likeCalls = await ps.ok<Call>('Get-FakeCalls');
    t.equal(likeCalls[0]?.Filter, "InstanceID LIKE 'a[_]b[%][[]c%'", 'LIKE wildcards in the id are neutralised');
  });

  await t.test('job failure and timeout become ErrorRecords', async (t) => {
    await ps.ok(`Set-FakeJobs 4, 10 'The operation failed.'`);
    const fail = await ps.run('Get-VMNetworkAdapter -VMName VM1 | Set-VMNetworkAdapterOVSPort -OVSPortName ovs-port-z -Confirm:$false');
    t.match(fail.errors[0], { id: 'OVS_E_HYPERV_JOB,Set-VMNetworkAdapterOVSPort' });
    t.match(fail.errors[0]?.message, /The operation failed\. \(job state 10\)/);
    await ps.ok(`Set-FakeJobs 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4`);
    const slow = await ps.run('Get-VMNetworkAdapter -VMName VM1 | Set-VMNetworkAdapterOVSPort -OVSPortName ovs-port-z -TimeoutSeconds 1 -Confirm:$false');
    t.match(slow.errors[0], { id: 'OVS_E_HYPERV_TIMEOUT,Set-VMNetworkAdapterOVSPort', category: 'OperationTimeout' });
    const polls = (await ps.ok<Call>('Get-FakeCalls')).filter((c) => c.Class === 'Msvm_ConcreteJob').length;
    t.ok(polls >= 3 && polls <= 20, `the job was polled with a pause, not busy-waited (${polls} polls in 1 s)`);
  });

  await t.test('lookups by port name', async (t) => {
    await ps.ok('Get-FakeCalls | Out-Null');
    const by = await ps.ok<{ VMName: string; OVSPortName: string }>('Get-VMNetworkAdapterByOVSPort -OVSPortName ovs-port-b | Select-Object VMName, OVSPortName');
    t.same(by, [{ VMName: 'VM2', OVSPortName: 'ovs-port-b' }], 'the adapter is matched to its VM');
    const all = await ps.ok<string>('Get-VMNetworkAdapterWithOVSPort | ForEach-Object OVSPortName | Sort-Object');
    t.ok(all.includes('ovs-port-b'), 'Get-VMNetworkAdapterWithOVSPort lists named ports');
    const calls = await ps.ok<Call>('Get-FakeCalls');
    t.same(calls.map((c) => c.Filter), ["ElementName = 'ovs-port-b'", "ElementName <> ''"], 'one query each, filtered in WQL');
    const none = await ps.run('Get-VMNetworkAdapterByOVSPort -OVSPortName nope');
    t.match(none.errors[0], { id: 'OVS_E_NOT_FOUND,Get-VMNetworkAdapterByOVSPort', category: 'ObjectNotFound' });
    const vm = await ps.ok<string>('Get-VMByOVSPort ovs-port-b');
    t.same(vm, ['VM2'], 'Get-VMByOVSPort names the VM (Get-VM is absent here)');
  });

  await t.test('OvsVMAdapterPort DSC resource on Hyper-V is idempotent', async (t) => {
    await ps.ok('Set-FakeJobs 7, 7, 7; Get-FakeCalls | Out-Null');
    const r = await ps.ok<{ Before: boolean; After: boolean; Again: boolean }>(`
      $p = @{ VMName = 'VM2'; AdapterName = 'Network Adapter'; OVSPortName = 'ovs-port-q' }
      $before = (Invoke-OvsDscResource OvsVMAdapterPort Test $p).InDesiredState
      $null = Invoke-OvsDscResource OvsVMAdapterPort Set $p
      $after = (Invoke-OvsDscResource OvsVMAdapterPort Test $p).InDesiredState
      $null = Invoke-OvsDscResource OvsVMAdapterPort Set $p
      [pscustomobject]@{ Before = $before; After = $after; Again = (Invoke-OvsDscResource OvsVMAdapterPort Test $p).InDesiredState }`);
    t.same(r, [{ Before: false, After: true, Again: true }]);
    const calls = await ps.ok<Call>('Get-FakeCalls');
    t.equal(calls.filter((c) => c.Method === 'ModifyResourceSettings').length, 1, 'exactly one ModifyResourceSettings across two Sets');
  });
});
