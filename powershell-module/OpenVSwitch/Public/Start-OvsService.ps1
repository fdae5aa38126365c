function Start-OvsService {
    <#
    .SYNOPSIS
    Starts the engine's service(s).
    .DESCRIPTION
    Starts the Windows service (like `sc start`), or the systemd unit with systemctl on Linux. When
    systemd is not running (containers, CI), says so and suggests Start-OvsEngine.
    .PARAMETER Name
    Service names; default ovs-engine.
    .EXAMPLE
    Start-OvsService
    Starts ovs-engine.
    .EXAMPLE
    Start-OvsService -Name ovsdb-server, ovs-vswitchd
    Starts the seed's service pair in order.
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Low')]
    [OutputType([void])]
    param([Parameter(Position = 0, ValueFromPipelineByPropertyName)][string[]]$Name = @('ovs-engine'))
    process {
        foreach ($n in $Name) {
            if (-not $PSCmdlet.ShouldProcess($n, 'Start service')) { continue }
            try {
                if ($IsWindows) { Start-Service -Name $n -ErrorAction Stop }
                elseif (Test-OvsSystemd) {
                    & systemctl start $n
                    if ($LASTEXITCODE -ne 0) { throw [OvsEngineException]::new('OVS_E_SERVICE_START', "systemctl start $n failed (exit $LASTEXITCODE).", $n) }
                } else {
                    throw [OvsEngineException]::new('OVS_E_NO_SERVICE_MANAGER', "systemd is not running on this machine, so service $n cannot be started; run the engine with Start-OvsEngine instead.", $n)
                }
            } catch { Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $n }
        }
    }
}
