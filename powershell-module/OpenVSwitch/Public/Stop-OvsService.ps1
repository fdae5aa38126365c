function Stop-OvsService {
    <#
    .SYNOPSIS
    Stops the engine's service(s).
    .DESCRIPTION
    Stops the Windows service (like `sc stop`), or the systemd unit with systemctl on Linux.
    .PARAMETER Name
    Service names; default ovs-engine.
    .EXAMPLE
    Stop-OvsService
    Stops ovs-engine.
    .EXAMPLE
    Stop-OvsService -Name ovs-vswitchd, ovsdb-server
    Stops the seed's pair, switch first.
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType([void])]
    param([Parameter(Position = 0, ValueFromPipelineByPropertyName)][string[]]$Name = @('ovs-engine'))
    process {
        foreach ($n in $Name) {
            if (-not $PSCmdlet.ShouldProcess($n, 'Stop service')) { continue }
            try {
                if ($IsWindows) { Stop-Service -Name $n -ErrorAction Stop }
                elseif (Test-OvsSystemd) {
                    & systemctl stop $n
                    if ($LASTEXITCODE -ne 0) { throw [OvsEngineException]::new('OVS_E_SERVICE_STOP', "systemctl stop $n failed (exit $LASTEXITCODE).", $n) }
                } else {
                    throw [OvsEngineException]::new('OVS_E_NO_SERVICE_MANAGER', "systemd is not running on this machine, so service $n cannot be stopped; use Stop-OvsEngine.", $n)
                }
            } catch { Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $n }
        }
    }
}
