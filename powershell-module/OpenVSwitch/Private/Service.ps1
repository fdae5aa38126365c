# Service definitions: the command lines of the engine's services (one engine service, or the seed's
# ovsdb-server + ovs-vswitchd pair), as Windows services or systemd units.

function Get-OvsServiceDefinition {
    [CmdletBinding()]
    param(
        [ValidateSet('Engine', 'Split')][string]$Mode = 'Engine',
        [string]$Name,
        [Parameter(Mandatory)][string]$DatabasePath,
        [Parameter(Mandatory)][string]$RunDirectory,
        [string]$LogDirectory
    )
    $root = Get-OvsProjectRoot
    $node = try { Get-OvsNodePath } catch { if ($IsWindows) { 'node.exe' } else { '/usr/bin/node' } }
    if (-not $LogDirectory) { $LogDirectory = $RunDirectory }
    $q = { param($s) if ($s -match '[\s"]') { '"' + ($s -replace '"', '\"') + '"' } else { $s } }
    if ($Mode -eq 'Engine') {
        $n = if ($Name) { $Name } else { 'ovs-engine' }
        $argv = @((Join-Path $root '.build/engine/ovs-engine.js'), $DatabasePath, "--rundir=$RunDirectory", "--logdir=$LogDirectory", '-vfile:info')
        return , @([pscustomobject]@{ Name = $n; DisplayName = 'Open vSwitch engine'; Executable = $node; Arguments = $argv
                CommandLine = ((@($node) + $argv) | ForEach-Object { & $q $_ }) -join ' '; DependsOn = @() })
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
