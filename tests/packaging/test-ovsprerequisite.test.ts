// Test-OvsPrerequisite: the checks' logic on Windows and Linux against faked probes (the module's
// probe functions replaced in its scope: platform, CIM with a recorded query log, registry, node
// version, free space, Linux process facts, pipes, pidfiles), the real probes on this machine, the
// format view, and Install-OvsService's use of it (stops on Fail unless -Force; -Reconcile).
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needPwsh } from '../lib/env.js';
import { PwshSession, psq } from '../powershell/lib/pwsh-session.js';

const skip = needPwsh();

interface Check { Name: string; Status: 'Pass' | 'Warn' | 'Fail'; Detail: string; Fix: string | null }
interface CimCall { Namespace: string; ClassName: string; Filter: string }

// The fake machine: $script:Fake holds what each probe answers; Set-FakeMachine merges a hashtable
// into it (from a clean Windows host with OVS enabled on one switch), Get-FakeCim returns the log.
const FAKE = String.raw`
& (Get-Module OpenVSwitch) {
  $script:FakeBase = @{
    Platform = 'Windows'
    HyperV = 1
    Installed = @([pscustomobject]@{ ElementName = 'Open vSwitch Extension' })
    PerSwitch = @([pscustomobject]@{ ElementName = 'Open vSwitch Extension'; SystemName = '6A1F-SW1'; EnabledState = 2 })
    Switches = @([pscustomobject]@{ Name = '6A1F-SW1'; ElementName = 'ovs-switch' })
    Services = @()
    Registry = @{ 'UEFISecureBootEnabled' = 1; 'SystemStartOptions' = ' NOEXECUTE=OPTIN'; 'Release' = 533320 }
    CimThrows = ''
    Node = 'v20.11.1'
    Free = [long]50GB
    Linux = [pscustomobject]@{ Uid = 0; CapEff = '000001ffffffffff'; Tun = $true; NetNs = $true; IpCommand = $true }
    Pipes = @()
    Daemons = @()
  }
  $script:Fake = $script:FakeBase.Clone()
  $script:FakeCim = [System.Collections.Generic.List[object]]::new()
  function script:Get-OvsPrereqPlatform { $script:Fake.Platform }
  function script:Invoke-OvsPrereqCim {
    param([string]$Namespace, [string]$ClassName, [string]$Filter)
    $script:FakeCim.Add([pscustomobject]@{ Namespace = $Namespace; ClassName = $ClassName; Filter = $Filter })
    if ($script:Fake.CimThrows -and $ClassName -like $script:Fake.CimThrows) { throw "Invalid namespace" }
    switch ($ClassName) {
      'Win32_OptionalFeature' { if ($null -ne $script:Fake.HyperV) { [pscustomobject]@{ Name = 'Microsoft-Hyper-V'; InstallState = $script:Fake.HyperV } } }
      'Msvm_InstalledEthernetSwitchExtension' { $script:Fake.Installed }
      'Msvm_EthernetSwitchExtension' { $script:Fake.PerSwitch }
      'Msvm_VirtualEthernetSwitch' { $script:Fake.Switches | Where-Object { $Filter -eq ("Name = '" + $_.Name + "'") } }
      'Win32_Service' { $script:Fake.Services }
      default { throw "fake CIM: unexpected class $ClassName" }
    }
  }
  function script:Get-OvsPrereqRegistryValue { param([string]$Path, [string]$Name) $script:Fake.Registry[$Name] }
  function script:Get-OvsPrereqNodeVersion { $script:Fake.Node }
  function script:Get-OvsPrereqFreeBytes { param([string]$Path) $script:Fake.Free }
  function script:Get-OvsPrereqLinuxFacts { $script:Fake.Linux }
  function script:Test-OvsPrereqPipe { param([string]$PipeName) $script:Fake.Pipes -contains $PipeName }
  function script:Get-OvsPrereqRunningDaemon { param([string]$RunDirectory) $script:Fake.Daemons }
}
function global:Set-FakeMachine([hashtable]$Change) {
  & (Get-Module OpenVSwitch) { param($c) $script:Fake = $script:FakeBase.Clone(); foreach ($k in $c.Keys) { $script:Fake[$k] = $c[$k] }; $script:FakeCim.Clear() } $Change
}
function global:Get-FakeCim { & (Get-Module OpenVSwitch) { @($script:FakeCim) } }
function global:Get-Checks { Test-OvsPrerequisite -DataDirectory 'C:\ProgramData\openvswitch' -RunDirectory 'C:\ProgramData\openvswitch\run' | Select-Object Name, Status, Detail, Fix }
`;

const byName = (checks: Check[]): Map<string, Check> => new Map(checks.map((c) => [c.Name, c]));

t.test('Test-OvsPrerequisite', { skip, timeout: 420_000 }, async (t) => {
  const ps = await PwshSession.open();
  t.teardown(() => ps.close());

  await t.test('real probes on this machine: one object per check, typed, with a status', async (t) => {
    const real = await ps.ok<Check & { Type: string }>(`Test-OvsPrerequisite | ForEach-Object { [pscustomobject]@{ Name = $_.Name; Status = $_.Status; Detail = $_.Detail; Fix = $_.Fix; Type = $_.PSObject.TypeNames[0] } }`);
    const names = real.map((c) => c.Name);
    if (process.platform === 'linux') t.same(names, ['NetAdmin', 'TunDevice', 'NetworkNamespaces', 'NodeVersion', 'FreeDisk', 'PortConflict']);
    for (const c of real) {
      t.equal(c.Type, 'OpenVSwitch.PrerequisiteCheck', `${c.Name} type`);
      t.ok(['Pass', 'Warn', 'Fail'].includes(c.Status), `${c.Name} status ${c.Status}`);
      t.ok(c.Detail.length > 10, `${c.Name} has a detail`);
      if (c.Status !== 'Pass') t.ok(c.Fix, `${c.Name} (${c.Status}) says how to fix it`);
    }
    const node = byName(real).get('NodeVersion')!;
    t.equal(node.Status, Number(process.versions.node.split('.')[0]) >= 20 ? 'Pass' : 'Fail');
    t.match(node.Detail, process.version, 'reports the node it found');
    if (process.getuid?.() === 0) t.equal(byName(real).get('NetAdmin')?.Status, 'Pass', 'root may configure networking');
    const quiet = await ps.ok<boolean>('Test-OvsPrerequisite -Quiet');
    t.same(quiet, [!real.some((c) => c.Status === 'Fail')], '-Quiet is true exactly when nothing failed');
  });

  await ps.ok(FAKE);

  await t.test('Windows host with the extension enabled on one switch: all pass, the switch is named', async (t) => {
    await ps.ok('Set-FakeMachine @{}');
    const checks = await ps.ok<Check>('Get-Checks');
    t.same(checks.map((c) => [c.Name, c.Status]), [['HyperV', 'Pass'], ['OvsExtension', 'Pass'], ['DriverSigning', 'Pass'], ['DotNetFramework', 'Pass'], ['NodeVersion', 'Pass'], ['FreeDisk', 'Pass'], ['PortConflict', 'Pass']]);
    t.match(byName(checks).get('DotNetFramework')!.Detail, /release 533320/);
    t.match(byName(checks).get('OvsExtension')!.Detail, /enabled on switch 'ovs-switch'/);
    t.match(byName(checks).get('DriverSigning')!.Detail, /Secure Boot on; test-signing off\. The OVS extension is enabled/);
    const cim = await ps.ok<CimCall>('Get-FakeCim');
    t.same(cim.map((c) => [c.Namespace, c.ClassName, c.Filter]), [
      ['root\\cimv2', 'Win32_OptionalFeature', "Name = 'Microsoft-Hyper-V'"],
      ['root\\virtualization\\v2', 'Msvm_InstalledEthernetSwitchExtension', "ElementName = 'Open vSwitch Extension'"],
      ['root\\virtualization\\v2', 'Msvm_EthernetSwitchExtension', "ElementName = 'Open vSwitch Extension'"],
      ['root\\virtualization\\v2', 'Msvm_VirtualEthernetSwitch', "Name = '6A1F-SW1'"],
      ['root\\cimv2', 'Win32_Service', "Name = 'ovsdb-server' OR Name = 'ovs-vswitchd'"],
    ], 'the exact CIM classes and WQL filters');
    t.same(await ps.ok<boolean>('Test-OvsPrerequisite -Quiet'), [true]);
  });

  await t.test('no Hyper-V role: Fail with the command that installs it', async (t) => {
    await ps.ok(`Set-FakeMachine @{ HyperV = 2; CimThrows = 'Msvm_*' }`);
    const c = byName(await ps.ok<Check>('Get-Checks'));
    t.equal(c.get('HyperV')!.Status, 'Fail');
    t.match(c.get('HyperV')!.Fix, /Install-WindowsFeature -Name Hyper-V/);
    t.equal(c.get('OvsExtension')!.Status, 'Warn', 'the virtualization namespace cannot be read: a warning, not a crash');
    t.match(c.get('OvsExtension')!.Detail, /Invalid namespace/);
    t.same(await ps.ok<boolean>('Test-OvsPrerequisite -Quiet'), [false]);
  });

  await t.test('extension installed but disabled, Secure Boot on, no test-signing: what to choose, nothing changed', async (t) => {
    await ps.ok(`Set-FakeMachine @{ PerSwitch = @([pscustomobject]@{ ElementName = 'Open vSwitch Extension'; SystemName = '6A1F-SW1'; EnabledState = 3 }) }`);
    const c = byName(await ps.ok<Check>('Get-Checks'));
    t.equal(c.get('OvsExtension')!.Status, 'Fail');
    t.match(c.get('OvsExtension')!.Detail, /bound but disabled on: ovs-switch/);
    t.match(c.get('OvsExtension')!.Fix, /Enable-VMSwitchExtension -VMSwitchName <switch> -Name "Open vSwitch Extension"/);
    const s = c.get('DriverSigning')!;
    t.equal(s.Status, 'Warn');
    t.match(s.Detail, /Secure Boot on; test-signing off\. Only a production-signed/);
    t.match(s.Fix, /production-signed OVS driver \(keeps Secure Boot on: recommended\)/);
    t.match(s.Fix, /bcdedit \/set testsigning on/);
    t.match(s.Fix, /never changes either setting/);
  });

  await t.test('not installed at all; Secure Boot off with test-signing on; legacy BIOS', async (t) => {
    await ps.ok(`Set-FakeMachine @{ Installed = @(); PerSwitch = @(); Registry = @{ UEFISecureBootEnabled = 0; SystemStartOptions = ' TESTSIGNING  NOEXECUTE=OPTIN' } }`);
    let c = byName(await ps.ok<Check>('Get-Checks'));
    t.equal(c.get('OvsExtension')!.Status, 'Fail');
    t.match(c.get('OvsExtension')!.Detail, /is not installed/);
    t.match(c.get('OvsExtension')!.Fix, /netcfg/);
    t.equal(c.get('DriverSigning')!.Status, 'Pass');
    t.match(c.get('DriverSigning')!.Detail, /Secure Boot off; test-signing on\. A test-signed OVS driver can load/);
    await ps.ok(`Set-FakeMachine @{ Installed = @(); PerSwitch = @(); Registry = @{ SystemStartOptions = ' NOEXECUTE=OPTIN' } }`);
    c = byName(await ps.ok<Check>('Get-Checks'));
    t.equal(c.get('DriverSigning')!.Status, 'Warn');
    t.match(c.get('DriverSigning')!.Detail, /Secure Boot not available \(legacy BIOS boot\); test-signing off/);
    t.equal(c.get('DotNetFramework')!.Status, 'Fail', 'no .NET Framework 4 release: the service host cannot run');
    t.match(c.get('DotNetFramework')!.Fix, /Install \.NET Framework 4\.8/);
    await ps.ok(`Set-FakeMachine @{ Registry = @{ Release = 461814 } }`);
    c = byName(await ps.ok<Check>('Get-Checks'));
    t.equal(c.get('DotNetFramework')!.Status, 'Fail');
    t.match(c.get('DotNetFramework')!.Detail, /release 461814 is older than 4\.8/);
  });

  await t.test('enabled on two switches: a warning naming both', async (t) => {
    await ps.ok(`Set-FakeMachine @{ PerSwitch = @([pscustomobject]@{ SystemName = 'A'; EnabledState = 2 }, [pscustomobject]@{ SystemName = 'B'; EnabledState = 2 }); Switches = @([pscustomobject]@{ Name = 'A'; ElementName = 'sw-a' }, [pscustomobject]@{ Name = 'B'; ElementName = 'sw-b' }) }`);
    const c = byName(await ps.ok<Check>('Get-Checks'));
    t.equal(c.get('OvsExtension')!.Status, 'Warn');
    t.match(c.get('OvsExtension')!.Detail, /more than one switch \(sw-a, sw-b\)/);
    t.equal(c.get('DriverSigning')!.Status, 'Pass', 'a loaded driver proves its signature');
  });

  await t.test('node missing or too old, low disk', async (t) => {
    await ps.ok(`Set-FakeMachine @{ Node = $null; Free = [long]50MB }`);
    let c = byName(await ps.ok<Check>('Get-Checks'));
    t.equal(c.get('NodeVersion')!.Status, 'Fail');
    t.match(c.get('NodeVersion')!.Fix, /Install Node\.js 20 or later/);
    t.equal(c.get('FreeDisk')!.Status, 'Fail');
    t.match(c.get('FreeDisk')!.Detail, /^50 MiB free for C:\\ProgramData\\openvswitch/);
    await ps.ok(`Set-FakeMachine @{ Node = 'v18.19.0'; Free = [long]500MB }`);
    c = byName(await ps.ok<Check>('Get-Checks'));
    t.equal(c.get('NodeVersion')!.Status, 'Fail');
    t.match(c.get('NodeVersion')!.Detail, /v18\.19\.0 is too old/);
    t.equal(c.get('FreeDisk')!.Status, 'Warn');
    await ps.ok(`Set-FakeMachine @{ Node = 'banana' }`);
    t.equal(byName(await ps.ok<Check>('Get-Checks')).get('NodeVersion')!.Status, 'Warn');
  });

  await t.test('conflicts: a running engine, a pipe in use, the services of another OVS install', async (t) => {
    await ps.ok(`Set-FakeMachine @{ Daemons = @([pscustomobject]@{ Program = 'ovsdb-server'; Pid = 4242 }) }`);
    let c = byName(await ps.ok<Check>('Get-Checks')).get('PortConflict')!;
    t.equal(c.Status, 'Warn');
    t.match(c.Detail, /ovsdb-server \(pid 4242\)/);
    await ps.ok(`Set-FakeMachine @{ Pipes = @('C:ProgramDataopenvswitchrundb.sock') }`);
    c = byName(await ps.ok<Check>('Get-Checks')).get('PortConflict')!;
    t.equal(c.Status, 'Warn');
    t.match(c.Detail, /\\\\\.\\pipe\\C:ProgramDataopenvswitchrundb\.sock/, 'the pipe OVS would use for <rundir>\\db.sock');
    await ps.ok(`Set-FakeMachine @{ Services = @([pscustomobject]@{ Name = 'ovs-vswitchd'; State = 'Running'; PathName = 'C:\\openvswitch\\usr\\sbin\\ovs-vswitchd.exe --service' }, [pscustomobject]@{ Name = 'ovsdb-server'; State = 'Stopped'; PathName = '"C:\\Program Files\\OpenVSwitch\\Modules\\OpenVSwitch\\0.1.0\\service-host\\ovs-service-host.exe" --name=ovsdb-server' }) }`);
    c = byName(await ps.ok<Check>('Get-Checks')).get('PortConflict')!;
    t.equal(c.Status, 'Warn');
    t.match(c.Detail, /the service ovs-vswitchd of another Open vSwitch install \(Running: C:\\openvswitch/);
    t.notMatch(c.Detail, /ovsdb-server of another/, 'our own service host is not a conflict');
  });

  await t.test('Linux: root or CAP_NET_ADMIN, /dev/net/tun, netns and iproute2', async (t) => {
    await ps.ok(`Set-FakeMachine @{ Platform = 'Linux'; Linux = [pscustomobject]@{ Uid = 1000; CapEff = '0000000000001000'; Tun = $true; NetNs = $true; IpCommand = $true } }`);
    let c = byName(await ps.ok<Check>('Get-Checks'));
    t.same([...c.keys()], ['NetAdmin', 'TunDevice', 'NetworkNamespaces', 'NodeVersion', 'FreeDisk', 'PortConflict']);
    t.equal(c.get('NetAdmin')!.Status, 'Pass');
    t.match(c.get('NetAdmin')!.Detail, /CAP_NET_ADMIN/);
    t.same(await ps.ok<CimCall>('Get-FakeCim'), [], 'no CIM on Linux');
    await ps.ok(`Set-FakeMachine @{ Platform = 'Linux'; Linux = [pscustomobject]@{ Uid = 1000; CapEff = '0000000000000fff'; Tun = $false; NetNs = $true; IpCommand = $false } }`);
    c = byName(await ps.ok<Check>('Get-Checks'));
    t.equal(c.get('NetAdmin')!.Status, 'Fail', 'bit 12 clear: no CAP_NET_ADMIN');
    t.match(c.get('NetAdmin')!.Fix, /setcap cap_net_admin/);
    t.equal(c.get('TunDevice')!.Status, 'Fail');
    t.match(c.get('TunDevice')!.Fix, /modprobe tun/);
    t.equal(c.get('NetworkNamespaces')!.Status, 'Warn');
    t.match(c.get('NetworkNamespaces')!.Fix, /iproute2/);
  });

  await t.test('format view: a table with the fix folded into the detail', async (t) => {
    await ps.ok(`Set-FakeMachine @{ HyperV = 0 }`);
    const text = (await ps.ok<string>(`Test-OvsPrerequisite -DataDirectory C:\\x -RunDirectory C:\\x\\run | Out-String -Width 300`)).join('');
    t.match(text, /^Name\s+Status Detail\s*$/m, 'the view\'s header');
    t.match(text, /^HyperV\s+Fail\s+The Hyper-V role is not installed.* Fix: Install-WindowsFeature/m);
    const list = (await ps.ok<string>(`Test-OvsPrerequisite -DataDirectory C:\\x -RunDirectory C:\\x\\run | Select-Object -First 1 | Format-List | Out-String -Width 300`)).join('');
    t.match(list, /^Fix\s+: Install-WindowsFeature/m);
  });

  await t.test('Install-OvsService runs the checks: stops on Fail, -Force installs with a warning, -Reconcile', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'ovsps-h23-svc-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const units = join(dir, 'units');
    await ps.ok(`Set-FakeMachine @{ Platform = 'Linux'; Linux = [pscustomobject]@{ Uid = 1000; CapEff = '0'; Tun = $true; NetNs = $true; IpCommand = $true } }`);
    const refused = await ps.run(`Install-OvsService -DatabasePath ${psq(join(dir, 'conf.db'))} -RunDirectory ${psq(dir)} -UnitPath ${psq(units)}`);
    t.equal(refused.errors.length, 1);
    t.match(refused.errors[0]?.id, /^OVS_E_PREREQUISITE,Install-OvsService$/);
    t.match(refused.errors[0]?.message, /NetAdmin: Neither root .* -Force/);
    t.equal(refused.output.length, 0, 'nothing installed');
    const forced = await ps.run<{ Name: string; UnitFile: string }>(`Install-OvsService -DatabasePath ${psq(join(dir, 'conf.db'))} -RunDirectory ${psq(dir)} -UnitPath ${psq(units)} -Force -Reconcile | Select-Object Name, UnitFile`);
    t.same(forced.errors, []);
    t.same(forced.output.map((o) => o.Name), ['ovs-engine']);
    t.ok(forced.warnings.some((w) => /despite failed prerequisite checks \(-Force\): NetAdmin/.test(w)), 'warns what it ignored');
    const unit = readFileSync(join(units, 'ovs-engine.service'), 'utf8');
    t.match(unit, /^ExecStart=\S+node\S* \S+ovs-engine\.js \S+conf\.db --rundir=\S+ --logdir=\S+ -vfile:info --reconcile$/m, '-Reconcile starts the engine with --reconcile');
    const split = await ps.run(`Install-OvsService -Mode Split -Reconcile -DatabasePath ${psq(join(dir, 'conf.db'))} -RunDirectory ${psq(dir)} -UnitPath ${psq(units)} -Force`);
    t.match(split.errors[0]?.id, /^OVS_E_RECONCILE_MODE,/, '-Reconcile belongs to the one-process engine');
  });

  await t.test('Windows service definition: ovs-service-host.exe wraps node; Windows quoting', async (t) => {
    const defs = await ps.ok<{ Name: string; Executable: string; Arguments: string[] }>(`& (Get-Module OpenVSwitch) { Get-OvsServiceDefinition -DatabasePath 'C:\\ProgramData\\openvswitch\\conf.db' -RunDirectory 'C:\\ProgramData\\openvswitch\\run' -LogDirectory 'C:\\ProgramData\\openvswitch\\log' -Reconcile -ServiceHostPath 'C:\\Program Files\\OpenVSwitch\\Modules\\OpenVSwitch\\0.1.0\\service-host\\ovs-service-host.exe' } | ForEach-Object { $_ } | Select-Object Name, Executable, Arguments`);
    t.equal(defs.length, 1);
    t.match(defs[0]!.Executable, /service-host\\ovs-service-host\.exe$/);
    const a = defs[0]!.Arguments;
    t.equal(a[0], '--name=ovs-engine');
    t.ok(a.some((x) => /^--log=.*ovs-engine-service-host\.log$/.test(x)), 'the host logs into the log directory');
    const dash = a.indexOf('--');
    t.ok(dash > 0, 'host options, then --');
    t.match(a[dash + 1], /ovs-engine\.js$/);
    t.same(a.slice(dash + 2), ['C:\\ProgramData\\openvswitch\\conf.db', '--rundir=C:\\ProgramData\\openvswitch\\run', '--logdir=C:\\ProgramData\\openvswitch\\log', '-vfile:info', '--reconcile']);
    const quoted = await ps.ok<string>(`& (Get-Module OpenVSwitch) { 'plain', 'C:\\Program Files\\x', 'C:\\dir\\', 'C:\\has space\\', 'say "hi"', '' | ForEach-Object { ConvertTo-OvsCommandLineArgument $_ } }`);
    t.same(quoted, ['plain', '"C:\\Program Files\\x"', 'C:\\dir\\', '"C:\\has space\\\\"', '"say \\"hi\\""', '""'], 'CommandLineToArgvW rules: backslashes double only before a quote');
    const missing = await ps.run(`& (Get-Module OpenVSwitch) { Get-OvsServiceDefinition -DatabasePath x -RunDirectory y -ServiceHost } | ForEach-Object { $_ }`);
    // In a checkout the host exists only after npm run package; either way the answer is definite.
    if (missing.thrown) t.match(missing.thrown.message, /ovs-service-host\.exe was not found/);
    else t.match((missing.output[0] as { Executable: string }).Executable, /ovs-service-host\.exe$/, 'a built service host was found in .cache/packaging');
  });
});
