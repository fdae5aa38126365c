# Windows smoke test of the engine as a real service, for a Windows CI runner (elevated, Node.js 20+,
# PowerShell 7) after `npm run package`: registers a throwaway service with Install-OvsService from
# the packaged module (ovs-service-host.exe + the bundled engine, private directories), starts it
# through the service control manager, checks the engine answers, kills node to check that the
# recovery actions restart it, stops it and checks the stop was graceful (the engine's "exit"
# control command, exit code 0), then removes everything. Exits 0 when every step passed.
# It cannot run on Linux; tests/packaging/package.test.ts only parses it.
[CmdletBinding()]
param(
    [string]$Dist = (Join-Path $PSScriptRoot '..\dist'),
    [string]$Name = 'ovs-engine-ci',
    [int]$TimeoutSeconds = 60
)
$ErrorActionPreference = 'Stop'
$failures = [System.Collections.Generic.List[string]]::new()
function Step([string]$What, [scriptblock]$Check) {
    try {
        $ok = & $Check
        if ($ok) { Write-Host "ok   $What" } else { Write-Host "FAIL $What"; $failures.Add($What) }
    } catch {
        Write-Host "FAIL $What ($($_.Exception.Message))"; $failures.Add($What)
    }
}
function WaitFor([scriptblock]$Condition, [int]$Seconds = $TimeoutSeconds) {
    $until = [DateTime]::UtcNow.AddSeconds($Seconds)
    while ([DateTime]::UtcNow -lt $until) {
        if (& $Condition) { return $true }
        Start-Sleep -Milliseconds 250
    }
    return $false
}

$module = Get-ChildItem -LiteralPath (Join-Path $Dist 'OpenVSwitch') -Directory | Sort-Object { [version]$_.Name } -Descending | Select-Object -First 1
if (-not $module) { throw "no packaged module under $Dist\OpenVSwitch (run npm run package first)" }
Import-Module (Join-Path $module.FullName 'OpenVSwitch.psd1') -Force
$root = Join-Path ([IO.Path]::GetTempPath()) ('ovsps-svc-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
$run = Join-Path $root 'run'; $log = Join-Path $root 'log'; $db = Join-Path $root 'conf.db'
$null = New-Item -ItemType Directory -Path $run, $log -Force
$node = (Get-Command -Name node -CommandType Application | Select-Object -First 1).Source
& $node (Join-Path $module.FullName 'engine\.build\engine\cli\ovsdb-tool.js') create $db (Join-Path $module.FullName 'engine\manifests\vswitch.ovsschema')
$hostLog = Join-Path $log "$Name-service-host.log"
$pidFile = Join-Path $run 'ovs-engine.pid'
$enginePid = { if (Test-Path -LiteralPath $pidFile) { [int](Get-Content -LiteralPath $pidFile -TotalCount 1) } else { 0 } }

try {
    Step 'Install-OvsService registers the service with ovs-service-host.exe' {
        $def = Install-OvsService -Name $Name -DatabasePath $db -RunDirectory $run -LogDirectory $log -StartupType Manual -Force -WarningAction SilentlyContinue
        $svc = Get-CimInstance -ClassName Win32_Service -Filter "Name = '$Name'"
        $def -and $svc -and ([string]$svc.PathName -match 'ovs-service-host\.exe')
    }
    Step 'recovery actions are set (sc qfailure)' { (& sc.exe qfailure $Name | Out-String) -match 'RESTART' }
    Step 'the SCM starts it (Running within the timeout)' {
        Start-Service -Name $Name
        WaitFor { (Get-Service -Name $Name).Status -eq 'Running' -and (& $enginePid) -gt 0 }
    }
    $env:OVS_RUNDIR = $run
    Step 'the engine answers (Get-OvsEngine over its pipe)' { WaitFor { try { [bool](Get-OvsEngine -ErrorAction Stop) } catch { $false } } }
    Step "the engine's pipe is restricted to SYSTEM, Administrators and its owner (protected DACL, no Everyone)" {
        # The pipe of db.sock: the path with its slashes removed (stream.ts). Reading the DACL needs a
        # connection (READ_CONTROL comes with InOut for an administrator).
        $pipeName = (Join-Path $run 'db.sock') -replace '[\\/]', ''
        Add-Type -AssemblyName System.IO.Pipes.AccessControl -ErrorAction SilentlyContinue
        $client = [System.IO.Pipes.NamedPipeClientStream]::new('.', $pipeName, [System.IO.Pipes.PipeDirection]::InOut)
        try {
            $client.Connect(5000)
            $sddl = [System.IO.Pipes.PipesAclExtensions]::GetAccessControl($client).GetSecurityDescriptorSddlForm([System.Security.AccessControl.AccessControlSections]::Access)
        } finally { $client.Dispose() }
        Write-Host "     pipe DACL: $sddl"
        $sddl -match '^D:P' -and $sddl -match '\(A;;FA;;;SY\)' -and $sddl -match '\(A;;FA;;;BA\)' -and $sddl -notmatch ';(WD|AN|AU|BU)\)'
    }
    Step 'after node is killed, the recovery actions restart the engine' {
        $first = & $enginePid
        Stop-Process -Id $first -Force
        WaitFor { $p = & $enginePid; $p -gt 0 -and $p -ne $first -and (Get-Service -Name $Name).Status -eq 'Running' } ($TimeoutSeconds + 10)
    }
    Step 'Stop-Service stops it gracefully (exit control command, exit code 0)' {
        Stop-Service -Name $Name
        $stopped = WaitFor { (Get-Service -Name $Name).Status -eq 'Stopped' }
        $text = Get-Content -LiteralPath $hostLog -Raw
        $stopped -and $text -match 'asked the engine to exit' -and $text -match 'exited with code 0 after a stop request' -and -not (Test-Path -LiteralPath $pidFile)
    }
} finally {
    Stop-Service -Name $Name -Force -ErrorAction SilentlyContinue
    & sc.exe delete $Name | Out-Null
    if (Test-Path -LiteralPath $hostLog) { Write-Host "--- $hostLog"; Get-Content -LiteralPath $hostLog | Write-Host }
    Remove-Item -LiteralPath $root -Recurse -Force -ErrorAction SilentlyContinue
}
if ($failures.Count) { Write-Host "$($failures.Count) step(s) failed"; exit 1 }
Write-Host 'all steps passed'
