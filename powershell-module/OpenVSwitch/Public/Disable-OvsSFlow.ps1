function Disable-OvsSFlow {
    <#
    .SYNOPSIS
    Turns off sFlow monitoring for a bridge.
    .DESCRIPTION
    Clears the bridge's sflow column (the sFlow row is then garbage-collected); sampling and export
    stop at once.
    .PARAMETER Bridge
    The bridge; accepts pipeline input by property name.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Disable-OvsSFlow -Bridge br-int
    Stops sFlow on br-int.
    .EXAMPLE
    Get-OvsSFlow | Disable-OvsSFlow -WhatIf
    Shows every bridge whose sFlow would be turned off.
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType([void])]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)]
        [Alias('BridgeName')]
        [string]$Bridge,
        [string]$Database
    )
    process {
        if (-not $PSCmdlet.ShouldProcess($Bridge, 'Disable sFlow')) { return }
        try {
            $null = Invoke-OvsVsctlCommand -Commands @(, [string[]]@('clear', 'Bridge', $Bridge, 'sflow')) -Database $Database
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Bridge
        }
    }
}
