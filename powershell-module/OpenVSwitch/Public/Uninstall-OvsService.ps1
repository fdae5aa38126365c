function Uninstall-OvsService {
    <#
    .SYNOPSIS
    Removes the engine's service registration.
    .DESCRIPTION
    Stops and deletes the Windows service (like `sc stop` + `sc delete`), or deletes the systemd
    unit file from -UnitPath on Linux.
    .PARAMETER Name
    Service names; default ovs-engine, ovs-vswitchd and ovsdb-server (those that exist).
    .PARAMETER UnitPath
    Linux: the directory holding the unit files.
    .EXAMPLE
    Uninstall-OvsService
    Removes whichever of the engine's services are registered.
    .EXAMPLE
    Uninstall-OvsService -Name ovs-vswitchd, ovsdb-server -UnitPath /etc/systemd/system -WhatIf
    Shows which unit files would be deleted.
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType([void])]
    param(
        [Parameter(ValueFromPipelineByPropertyName)]
        [string[]]$Name = @('ovs-engine', 'ovs-vswitchd', 'ovsdb-server'),
        [Parameter(ValueFromPipelineByPropertyName)]
        [string]$UnitPath
    )
    process {
        foreach ($n in $Name) {
            try {
                if ($IsWindows) {
                    $svc = Get-Service -Name $n -ErrorAction SilentlyContinue
                    if (-not $svc) { continue }
                    if (-not $PSCmdlet.ShouldProcess($n, 'Stop and delete Windows service')) { continue }
                    if ($svc.Status -ne 'Stopped') { Stop-Service -Name $n -Force -ErrorAction Stop }
                    Remove-Service -Name $n -ErrorAction Stop
                } else {
                    if (-not $UnitPath) { $PSCmdlet.WriteError((New-OvsArgumentError -Message 'On Linux give -UnitPath, the directory of the unit files.' -Target $n -ErrorId 'OVS_E_NO_UNIT_PATH')); return }
                    $file = Join-Path $UnitPath "$n.service"
                    if (-not (Test-Path -LiteralPath $file)) { continue }
                    if (-not $PSCmdlet.ShouldProcess($file, 'Delete systemd unit')) { continue }
                    if (Test-OvsSystemd) { & systemctl stop $n 2>$null; & systemctl disable $n 2>$null }
                    Remove-Item -LiteralPath $file -Force
                }
            } catch {
                Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $n
            }
        }
    }
}
