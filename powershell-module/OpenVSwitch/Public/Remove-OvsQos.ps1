function Remove-OvsQos {
    <#
    .SYNOPSIS
    Removes the egress QoS of an Open vSwitch port.
    .DESCRIPTION
    Clears the port's qos column; the QoS and Queue rows are garbage-collected and the shaping is
    removed from the device at once.
    .PARAMETER Port
    The port; accepts pipeline input by property name.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Remove-OvsQos -Port vm1
    vm1 is no longer shaped.
    .EXAMPLE
    Get-OvsQos | Remove-OvsQos -WhatIf
    Shows every port whose QoS would be removed.
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType([void])]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)]
        [Alias('Name')]
        [string]$Port,
        [string]$Database
    )
    process {
        if (-not $PSCmdlet.ShouldProcess($Port, 'Remove QoS')) { return }
        try {
            $null = Invoke-OvsVsctlCommand -Commands @(, [string[]]@('clear', 'Port', $Port, 'qos')) -Database $Database
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Port
        }
    }
}
