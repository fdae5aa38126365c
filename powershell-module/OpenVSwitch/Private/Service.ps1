# Service definitions: the command lines of the engine's services (one engine service, or the seed's
# ovsdb-server + ovs-vswitchd pair), as Windows services or systemd units.
#
# On Windows a service's binary must answer the service control manager, which node.exe does not:
# every Windows service runs service-host\ovs-service-host.exe (driver/windows/service-host, built
# by `npm run package`), which starts node with the engine and stops it gracefully. systemd runs
# node directly.

function Get-OvsDefaultDirectory {
    <# The one default layout (engine/util/ovs-paths.ts has the same): on Windows the data root
       %ProgramData%\openvswitch (conf.db, run\, log\), which the MSI creates; elsewhere the
       engine's project directories (var/lib, var/run, var/log under the engine root). OVS_RUNDIR,
       OVS_LOGDIR and OVS_DBDIR override, as for the engine. #>
    [CmdletBinding()]
    param()
    if ($IsWindows) {
        $programData = if ($env:ProgramData) { $env:ProgramData } else { 'C:\ProgramData' }
        $data = Join-Path $programData 'openvswitch'
        $db = $data; $run = Join-Path $data 'run'; $log = Join-Path $data 'log'
    } else {
        $root = Get-OvsProjectRoot
        $data = Join-Path $root 'var'
        $db = Join-Path $root 'var/lib/openvswitch'; $run = Join-Path $root 'var/run/openvswitch'; $log = Join-Path $root 'var/log/openvswitch'
    }
    if ($env:OVS_DBDIR) { $db = $env:OVS_DBDIR }
    if ($env:OVS_RUNDIR) { $run = $env:OVS_RUNDIR }
    if ($env:OVS_LOGDIR) { $log = $env:OVS_LOGDIR }
    [pscustomobject]@{ DataDirectory = $data; DatabasePath = (Join-Path $db 'conf.db'); RunDirectory = $run; LogDirectory = $log }
}

function Get-OvsServiceHostPath {
    <# ovs-service-host.exe: beside the module in a package (<module>/service-host/), or the
       project's last build (.cache/packaging/service-host/*/) in a checkout. $null when absent. #>
    [CmdletBinding()]
    [OutputType([string])]
    param()
    $packaged = Join-Path $PSScriptRoot '../service-host/ovs-service-host.exe'
    if (Test-Path -LiteralPath $packaged) { return (Resolve-Path -LiteralPath $packaged).Path }
    $cache = Join-Path (Get-OvsProjectRoot) '.cache/packaging/service-host'
    if (Test-Path -LiteralPath $cache) {
        $built = Get-ChildItem -Path $cache -Filter 'ovs-service-host.exe' -Recurse -File -ErrorAction SilentlyContinue | Sort-Object LastWriteTime -Descending | Select-Object -First 1
        if ($built) { return $built.FullName }
    }
    return $null
}

function ConvertTo-OvsCommandLineArgument {
    # Windows command-line quoting (CommandLineToArgvW rules: backslashes double only before a quote).
    [CmdletBinding()]
    [OutputType([string])]
    param([AllowEmptyString()][string]$Value)
    if ($Value -and $Value -notmatch '[\s"]') { return $Value }
    $sb = [System.Text.StringBuilder]::new('"'); $bs = 0
    foreach ($c in $Value.ToCharArray()) {
        if ($c -eq '\') { $bs++; continue }
        if ($c -eq '"') { $null = $sb.Append('\', 2 * $bs + 1).Append('"') } else { $null = $sb.Append('\', $bs).Append($c) }
        $bs = 0
    }
    $null = $sb.Append('\', 2 * $bs).Append('"')
    $sb.ToString()
}

function Get-OvsServiceDefinition {
    [CmdletBinding()]
    param(
        [ValidateSet('Engine', 'Split')][string]$Mode = 'Engine',
        [string]$Name,
        [Parameter(Mandatory)][string]$DatabasePath,
        [Parameter(Mandatory)][string]$RunDirectory,
        [string]$LogDirectory,
        [switch]$Reconcile,
        # Windows: wrap node in ovs-service-host.exe (default on Windows); a path to use another host.
        [switch]$ServiceHost,
        [string]$ServiceHostPath
    )
    $root = Get-OvsProjectRoot
    $node = try { Get-OvsNodePath } catch { if ($IsWindows) { 'node.exe' } else { '/usr/bin/node' } }
    if (-not $LogDirectory) { $LogDirectory = $RunDirectory }
    $q = if ($IsWindows) { { param($s) ConvertTo-OvsCommandLineArgument $s } }
         else { { param($s) if ($s -match '[\s"\\]') { '"' + ($s -replace '\\', '\\' -replace '"', '\"') + '"' } else { $s } } }  # systemd ExecStart quoting
    $useHost = $ServiceHost -or $ServiceHostPath
    $hostExe = if ($ServiceHostPath) { $ServiceHostPath } elseif ($useHost) { Get-OvsServiceHostPath } else { $null }
    if ($useHost -and -not $hostExe) {
        throw [OvsEngineException]::new('OVS_E_NO_SERVICE_HOST', 'ovs-service-host.exe was not found beside the module (service-host\) nor in the project''s .cache/packaging; a Windows service cannot run node.exe directly. Install the packaged module (npm run package, or the MSI).', 'ovs-service-host.exe')
    }
    # Under the host: host options, "--", then node's arguments (the host finds node itself when
    # -Node is not a path: %ProgramFiles%\nodejs, then PATH).
    $wrap = {
        param([string]$ServiceName, [string[]]$NodeArgs, [string]$Ctl)
        if (-not $useHost) { return [pscustomobject]@{ Exe = $node; Args = $NodeArgs } }
        $h = @("--name=$ServiceName")
        if ($node -and (Split-Path -Path $node -IsAbsolute)) { $h += "--node=$node" }
        $h += "--log=$([System.IO.Path]::Combine($LogDirectory, "$ServiceName-service-host.log"))"
        if ($Ctl) { $h += "--ctl=$Ctl" }
        return [pscustomobject]@{ Exe = $hostExe; Args = @($h + '--' + $NodeArgs) }
    }
    if ($Mode -eq 'Engine') {
        $n = if ($Name) { $Name } else { 'ovs-engine' }
        $argv = @((Join-Path $root '.build/engine/ovs-engine.js'), $DatabasePath, "--rundir=$RunDirectory", "--logdir=$LogDirectory", '-vfile:info')
        if ($Reconcile) { $argv += '--reconcile' }
        $w = & $wrap $n $argv $null
        return , @([pscustomobject]@{ Name = $n; DisplayName = 'Open vSwitch engine'; Executable = $w.Exe; Arguments = @($w.Args)
                CommandLine = ((@($w.Exe) + @($w.Args)) | ForEach-Object { & $q $_ }) -join ' '; DependsOn = @() })
    }
    # The seed's two daemons: paths given in full, so the command lines work from any directory.
    $db = [pscustomobject]@{
        Name = 'ovsdb-server'; DisplayName = 'Open vSwitch database server'; Executable = $node; DependsOn = @()
        Arguments = @((Join-Path $root 'engine/bin/ovsdb-server'), $DatabasePath, "--remote=punix:$(Join-Path $RunDirectory 'db.sock')",
            '--remote=db:Open_vSwitch,Open_vSwitch,manager_options', "--pidfile=$(Join-Path $RunDirectory 'ovsdb-server.pid')",
            "--log-file=$(Join-Path $LogDirectory 'ovsdb-server.log')", '-vfile:info')
    }
    $sw = [pscustomobject]@{
        Name = 'ovs-vswitchd'; DisplayName = 'Open vSwitch switch daemon'; Executable = $node; DependsOn = @('ovsdb-server')
        Arguments = @((Join-Path $root 'engine/bin/ovs-vswitchd'), "unix:$(Join-Path $RunDirectory 'db.sock')", "--pidfile=$(Join-Path $RunDirectory 'ovs-vswitchd.pid')",
            "--log-file=$(Join-Path $LogDirectory 'ovs-vswitchd.log')", '-vfile:info')
    }
    if ($useHost) {
        foreach ($pair in @(@($db, 'ovsdb-server'), @($sw, 'ovs-vswitchd'))) {
            $s = $pair[0]
            $w = & $wrap $s.Name $s.Arguments "$RunDirectory/$($pair[1]).ctl"
            $s.Executable = $w.Exe; $s.Arguments = @($w.Args)
        }
    }
    foreach ($s in $db, $sw) { $s | Add-Member -NotePropertyName CommandLine -NotePropertyValue (((@($s.Executable) + $s.Arguments) | ForEach-Object { & $q $_ }) -join ' ') }
    return , @($db, $sw)
}

function New-OvsSystemdUnit {
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)]$Definition, [string]$RunDirectory, [string]$LogDirectory)
    if (-not $LogDirectory) { $LogDirectory = $RunDirectory }
    $after = @('network.target') + @($Definition.DependsOn | ForEach-Object { "$_.service" })
    $requires = if ($Definition.DependsOn.Count) { "Requires=$(@($Definition.DependsOn | ForEach-Object { "$_.service" }) -join ' ')`n" } else { '' }
    @"
[Unit]
Description=$($Definition.DisplayName) (ovs-powershell)
After=$($after -join ' ')
$requires
[Service]
Type=simple
Environment=OVS_RUNDIR=$RunDirectory
Environment=OVS_LOGDIR=$LogDirectory
ExecStart=$($Definition.CommandLine)
Restart=on-failure
RestartSec=2

[Install]
WantedBy=multi-user.target
"@
}

function Test-OvsSystemd {
    [CmdletBinding()]
    [OutputType([bool])]
    param()
    return (Test-Path -LiteralPath '/run/systemd/system') -and [bool](Get-Command -Name systemctl -CommandType Application -ErrorAction SilentlyContinue)
}

function Set-OvsServiceRecovery {
    <# Windows: restart the service when it fails (after 5 s, 10 s, then 60 s; the failure count resets
       after a day), also when the engine exits with an error and the host stops the service with
       that exit code (failureflag 1: failure actions on non-crash failures). #>
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Name)
    $sc = Join-Path $env:SystemRoot 'System32\sc.exe'
    $out = & $sc failure $Name reset= 86400 actions= restart/5000/restart/10000/restart/60000 2>&1
    if ($LASTEXITCODE -ne 0) { throw [OvsEngineException]::new('OVS_E_SERVICE_RECOVERY', "sc.exe failure $Name failed (exit $LASTEXITCODE): $out", $Name) }
    $out = & $sc failureflag $Name 1 2>&1
    if ($LASTEXITCODE -ne 0) { throw [OvsEngineException]::new('OVS_E_SERVICE_RECOVERY', "sc.exe failureflag $Name 1 failed (exit $LASTEXITCODE): $out", $Name) }
}
