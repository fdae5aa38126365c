function Get-OvsService {
    <#
    .SYNOPSIS
    Gets the engine's services and their state.
    .DESCRIPTION
    Returns OpenVSwitch.Service objects (Name, Status, Platform, CommandLine/UnitFile) for the
    engine's services: Windows services, or systemd units in -UnitPath on Linux.
    .PARAMETER Name
    Service names; default ovs-engine, ovsdb-server, ovs-vswitchd.
    .PARAMETER UnitPath
    Linux: the directory holding the unit files.
    .EXAMPLE
    Get-OvsService
    Shows the registered services (like `sc query`).
    .EXAMPLE
    Get-OvsService -UnitPath /etc/systemd/system | Where-Object Status -ne Running
    Lists services that are not running.
    .OUTPUTS
    OpenVSwitch.Service
    #>
    [CmdletBinding()]
    [OutputType('OpenVSwitch.Service')]
    param(
        [Parameter(Position = 0)][string[]]$Name = @('ovs-engine', 'ovsdb-server', 'ovs-vswitchd'),
        [string]$UnitPath = '/etc/systemd/system'
    )
    foreach ($n in $Name) {
        if ($IsWindows) {
            $svc = Get-CimInstance -ClassName Win32_Service -Filter ("Name = '" + ($n -replace "\\", '\\' -replace "'", "\'") + "'") -ErrorAction SilentlyContinue
            if (-not $svc) { continue }
            [pscustomobject]@{ PSTypeName = 'OpenVSwitch.Service'; Name = $n; Status = [string]$svc.State; Platform = 'Windows'; CommandLine = [string]$svc.PathName; UnitFile = $null }
        } else {
            $file = Join-Path $UnitPath "$n.service"
            if (-not (Test-Path -LiteralPath $file)) { continue }
            $exec = (Select-String -LiteralPath $file -Pattern '^ExecStart=(.*)$' | Select-Object -First 1)
            $status = if (Test-OvsSystemd) { $s = (& systemctl is-active $n 2>$null); if ($s -eq 'active') { 'Running' } else { 'Stopped' } } else { 'Unknown (systemd is not running)' }
            [pscustomobject]@{ PSTypeName = 'OpenVSwitch.Service'; Name = $n; Status = $status; Platform = 'systemd'; CommandLine = if ($exec) { $exec.Matches[0].Groups[1].Value } else { $null }; UnitFile = $file }
        }
    }
}
