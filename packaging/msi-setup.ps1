# Install/uninstall steps of the Open vSwitch (ovs-powershell) MSI, run by Windows Installer as
# LocalSystem in Windows PowerShell 5.1 (the module itself needs PowerShell 7; this script does not).
#   -Install:   runs after InstallServices (the MSI's ServiceInstall row registered ovs-engine:
#               service-host\ovs-service-host.exe running node + the bundled engine). Sets the
#               service's recovery actions (restart after 5 s, 10 s, 60 s; also when the engine
#               exits on its own, failureflag 1), creates C:\ProgramData\openvswitch\conf.db with the
#               bundled ovsdb-tool (if missing), adds the Modules folder to the machine PSModulePath,
#               writes the Test-OvsPrerequisite report to log\install-prerequisites.txt (when
#               PowerShell 7 is installed; the module needs it) and starts the service unless a
#               check failed or node.exe is missing (the report says why; the install itself
#               succeeds, the service starts at the next boot or with Start-OvsService).
#   -Uninstall: stop and delete the service if still there (the MSI's ServiceControl row normally
#               did), take the Modules folder out of PSModulePath, remove the run and log
#               directories (sockets, pidfiles, logs). conf.db is kept.
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
    $sc = Join-Path $env:SystemRoot 'System32\sc.exe'
    if (Get-Service -Name $ServiceName -ErrorAction SilentlyContinue) {
        & $sc failure $ServiceName reset= 86400 actions= restart/5000/restart/10000/restart/60000 | Out-Null
        & $sc failureflag $ServiceName 1 | Out-Null
    } else {
        Write-Warning "service $ServiceName is not registered (the MSI's ServiceInstall row should have done it)"
    }
    Set-MachineModulePath $true

    # Prerequisites: the module's own checks, in PowerShell 7 (the module does not load in 5.1).
    $report = Join-Path $log 'install-prerequisites.txt'
    $pwsh = @((Join-Path $env:ProgramFiles 'PowerShell\7\pwsh.exe')) | Where-Object { Test-Path -LiteralPath $_ } | Select-Object -First 1
    if (-not $pwsh) { $pwsh = (Get-Command -Name pwsh.exe -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1).Source }
    $failed = $false
    if ($pwsh) {
        $psd1 = Join-Path $moduleDir.FullName 'OpenVSwitch.psd1'
        $check = "Import-Module '$($psd1 -replace "'", "''")'; `$c = Test-OvsPrerequisite -DataDirectory '$($data -replace "'", "''")'; `$c | Format-Table -AutoSize -Wrap Name, Status, Detail, Fix | Out-String -Width 200; if (`$c | Where-Object Status -eq 'Fail') { exit 3 }"
        $text = & $pwsh -NoProfile -NonInteractive -ExecutionPolicy Bypass -Command $check 2>&1 | Out-String
        $failed = $LASTEXITCODE -ne 0
        Set-Content -LiteralPath $report -Value $text -Encoding UTF8
    } else {
        Set-Content -LiteralPath $report -Value 'PowerShell 7 (pwsh.exe) is not installed: the OpenVSwitch module needs it; install it, then run Test-OvsPrerequisite.' -Encoding UTF8
    }
    if ($failed) {
        Write-Warning "a prerequisite check failed (see $report); the service $ServiceName is not started"
    } elseif (Test-Path -LiteralPath $Node) {
        try { Start-Service -Name $ServiceName -ErrorAction Stop } catch { Write-Warning "starting $ServiceName failed: $($_.Exception.Message) (see $log\ovs-service-host.log)" }
    }
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
