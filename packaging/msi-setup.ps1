# Install/uninstall steps of the Open vSwitch (ovs-powershell) MSI, run by Windows Installer as
# LocalSystem in Windows PowerShell 5.1 (the module itself needs PowerShell 7; this script does not).
#   -Install:   create C:\ProgramData\openvswitch\conf.db with the bundled ovsdb-tool (if missing),
#               register the ovs-engine service with Install-OvsService's command line (node + the
#               bundled engine, database, --rundir, --logdir, -vfile:info), add the Modules folder
#               to the machine PSModulePath.
#   -Uninstall: stop and delete the service, take the Modules folder out of PSModulePath, remove
#               the run and log directories (sockets, pidfiles, logs). conf.db is kept.
[CmdletBinding()]
param(
    [switch]$Install,
    [switch]$Uninstall,
    [string]$Node = (Join-Path $env:ProgramFiles 'nodejs\node.exe'),
    [string]$ServiceName = 'ovs-engine'
)
$ErrorActionPreference = 'Stop'
$modules = Join-Path $PSScriptRoot 'Modules'
$moduleDir = Get-ChildItem -LiteralPath (Join-Path $modules 'OpenVSwitch') -Directory |
    Sort-Object { [version]$_.Name } -Descending | Select-Object -First 1
$engine = Join-Path $moduleDir.FullName 'engine'
$data = Join-Path $env:ProgramData 'openvswitch'
$run = Join-Path $data 'run'
$log = Join-Path $data 'log'
$db = Join-Path $data 'conf.db'

function Quote([string]$s) { if ($s -match '[\s"]') { '"' + ($s -replace '"', '\"') + '"' } else { $s } }

function Set-MachineModulePath([bool]$Present) {
    $dir = $modules.TrimEnd('\')
    $current = [Environment]::GetEnvironmentVariable('PSModulePath', 'Machine')
    $parts = @(($current -split ';') | Where-Object { $_ -and $_.TrimEnd('\') -ne $dir })
    if ($Present) { $parts += $dir }
    [Environment]::SetEnvironmentVariable('PSModulePath', ($parts -join ';'), 'Machine')
}

if ($Install) {
    if (-not (Test-Path -LiteralPath $Node)) {
        $found = Get-Command -Name node.exe -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        if ($found) { $Node = $found.Source } else { Write-Warning "node.exe not found at $Node nor on PATH; the service will use $Node (install Node.js 20+)" }
    }
    foreach ($d in $data, $run, $log) { if (-not (Test-Path -LiteralPath $d)) { $null = New-Item -ItemType Directory -Path $d } }
    if (-not (Test-Path -LiteralPath $db) -and (Test-Path -LiteralPath $Node)) {
        & $Node (Join-Path $engine '.build\engine\cli\ovsdb-tool.js') create $db (Join-Path $engine 'manifests\vswitch.ovsschema')
        if ($LASTEXITCODE -ne 0) { Write-Warning "ovsdb-tool create $db failed (exit $LASTEXITCODE)" }
    }
    $argv = @($Node, (Join-Path $engine '.build\engine\ovs-engine.js'), $db, "--rundir=$run", "--logdir=$log", '-vfile:info')
    $commandLine = ($argv | ForEach-Object { Quote $_ }) -join ' '
    if (-not (Get-Service -Name $ServiceName -ErrorAction SilentlyContinue)) {
        $null = New-Service -Name $ServiceName -BinaryPathName $commandLine -DisplayName 'Open vSwitch engine' `
            -StartupType Automatic -Description 'Open vSwitch engine (ovs-powershell)'
    }
    Set-MachineModulePath $true
}

if ($Uninstall) {
    $svc = Get-Service -Name $ServiceName -ErrorAction SilentlyContinue
    if ($svc) {
        if ($svc.Status -ne 'Stopped') { Stop-Service -Name $ServiceName -Force -ErrorAction SilentlyContinue }
        & "$env:SystemRoot\System32\sc.exe" delete $ServiceName | Out-Null
    }
    Set-MachineModulePath $false
    foreach ($d in $run, $log) { if (Test-Path -LiteralPath $d) { Remove-Item -LiteralPath $d -Recurse -Force -ErrorAction SilentlyContinue } }
    Remove-Item -LiteralPath (Join-Path $data '.conf.db.~lock~') -Force -ErrorAction SilentlyContinue
}
