// Help and static checks of the module, without an engine: every exported cmdlet has a synopsis, a
// description, examples (Get-Help X -Examples is non-empty) and every parameter described; the
// manifest imports and lists what Public/ holds; the AST lint (tests/powershell/lint-module.ps1)
// finds nothing.
import t from 'tap';
import { join } from 'node:path';
import { projectRoot } from '../../engine/setup/paths.js';
import { needPwsh } from '../lib/env.js';
import { PwshSession, psq } from './lib/pwsh-session.js';

const skip = needPwsh();
const moduleRoot = join(projectRoot, 'powershell-module', 'OpenVSwitch');

interface HelpInfo { Name: string; Synopsis: string; Description: string; Examples: number; ExampleCode: string[]; Undocumented: string[] }

// Generous timeout: help for every cmdlet and the AST lint take a while on a busy shared machine.
t.test('module help and lint', { skip, timeout: 360_000 }, async (t) => {
  const ps = await PwshSession.open();
  t.teardown(() => ps.close());

  const names = await ps.ok<string>('(Get-Module OpenVSwitch).ExportedFunctions.Keys | Sort-Object');
  t.ok(names.length >= 38, `the module exports its cmdlets (${names.length})`);
  for (const n of ['Initialize-OvsDatabase', 'Start-OvsEngine', 'Stop-OvsEngine', 'New-OvsBridge', 'Get-OvsBridge', 'Add-OvsPort', 'Set-VMNetworkAdapterOVSPort']) {
    t.ok(names.includes(n), `${n} is exported`);
  }
  const dsc = await ps.ok<string>(`(Import-PowerShellDataFile ${psq(join(moduleRoot, 'OpenVSwitch.psd1'))}).DscResourcesToExport`);
  t.same(dsc, ['OvsBridge', 'OvsPort', 'OvsVMAdapterPort', 'OvsService'], 'DSC resources listed in the manifest');

  const help = await ps.ok<HelpInfo>(`foreach ($n in (Get-Module OpenVSwitch).ExportedFunctions.Keys | Sort-Object) {
    $h = Get-Help $n -Full
    $ex = @((Get-Help $n -Examples).examples.example)
    $params = @((Get-Command $n).Parameters.Keys | Where-Object { $_ -notin [System.Management.Automation.PSCmdlet]::CommonParameters -and $_ -notin [System.Management.Automation.PSCmdlet]::OptionalCommonParameters })
    $described = @{}
    foreach ($p in @($h.parameters.parameter)) { if ($p -and ($p.description | Out-String).Trim()) { $described[$p.name] = $true } }
    [pscustomobject]@{
      Name = $n; Synopsis = [string]$h.Synopsis; Description = ($h.description | Out-String).Trim()
      Examples = $ex.Count; ExampleCode = @($ex | ForEach-Object { [string]$_.code })
      Undocumented = @($params | Where-Object { -not $described.ContainsKey($_) })
    }
  }`);
  t.equal(help.length, names.length, 'help for every exported cmdlet');
  for (const h of help) {
    const problems: string[] = [];
    if (!h.Synopsis.trim() || h.Synopsis.trim() === h.Name) problems.push('no synopsis');
    if (h.Description.length < 20) problems.push('no description');
    if (h.Examples < 1) problems.push('Get-Help -Examples is empty');
    if (h.ExampleCode.some((c) => !c.includes(h.Name))) problems.push('an example does not use the cmdlet');
    if (h.Undocumented.length) problems.push(`parameters without description: ${h.Undocumented.join(', ')}`);
    t.same(problems, [], `${h.Name}: synopsis, description, ${h.Examples} example(s), parameters described`);
  }

  const about = await ps.ok<string>('(Get-Help about_OpenVSwitch | Out-String).Length');
  t.ok(Number(about[0]) > 500, 'about_OpenVSwitch help is found');

  const lint = await ps.ok<{ File: string; Line: number; Rule: string; Message: string }>(`& ${psq(join(projectRoot, 'tests/powershell/lint-module.ps1'))} -ModuleRoot ${psq(moduleRoot)}`);
  t.same(lint.map((f) => `${f.File}:${f.Line} ${f.Rule}: ${f.Message}`), [], 'lint finds nothing');

  // The lint itself catches what it claims to (so a clean result means something).
  const probe = await ps.ok<string>(`$d = Join-Path ([IO.Path]::GetTempPath()) ('ovsps-lint-' + [guid]::NewGuid()); $null = New-Item -ItemType Directory -Path (Join-Path $d 'Public')
    Copy-Item ${psq(join(moduleRoot, 'OpenVSwitch.psd1'))} $d
    Set-Content -Path (Join-Path $d 'Public/Remove-Thing.ps1') -Value 'function Remove-Thing { param($x) gci | % { Write-Host $_ }; try { 1 } catch { } ; if ($x -eq $null) { } }'
    Set-Content -Path (Join-Path $d 'Public/Set-Other.ps1') -Value 'function Set-Other { [CmdletBinding()] [OutputType([string])] param([string]$x) if (-not $x) { throw "no x: $x" }; $x }'
    Set-Content -Path (Join-Path $d 'Public/Frob-Other.ps1') -Value ('function Frob-Other {', '<#', '.SYNOPSIS', 'Frobs.', '.EXAMPLE', 'Get-Thing', '#>', '[CmdletBinding()] [OutputType([string])] param([string]$x) throw ("bad {0}" -f $x) }' -join [Environment]::NewLine)
    try { & ${psq(join(projectRoot, 'tests/powershell/lint-module.ps1'))} -ModuleRoot $d | ForEach-Object Rule | Sort-Object -Unique } finally { Remove-Item -Recurse -Force $d }`);
  for (const rule of ['PSAvoidUsingCmdletAliases', 'PSAvoidUsingWriteHost', 'PSAvoidUsingEmptyCatchBlock', 'PSPossibleIncorrectComparisonWithNull', 'PSUseCmdletBinding', 'ExplicitExports',
    'PSUseShouldProcessForStateChangingFunctions', 'AvoidThrowString', 'ProvideCommentHelp', 'PSUseApprovedVerbs']) {
    t.ok(probe.includes(rule), `the lint reports ${rule} on a bad file`);
  }
});
