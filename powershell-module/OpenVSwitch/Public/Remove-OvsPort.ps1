function Remove-OvsPort {
    <#
    .SYNOPSIS
    Removes ports from Open vSwitch bridges.
    .DESCRIPTION
    Deletes a port and its interfaces (ovs-vsctl del-port). Traffic through the port stops at once.
    .PARAMETER Name
    The port names; accepts pipeline input by property name (Name of a port object).
    .PARAMETER Bridge
    Only delete the port if it is on this bridge.
    .PARAMETER IfExists
    Succeed silently when the port does not exist.
    .PARAMETER Force
    Do not ask for confirmation.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Remove-OvsPort -Name ovs-port-a
    Deletes ovs-port-a from whatever bridge has it.
    .EXAMPLE
    Get-OvsPort -Bridge br-int -Name tun-* | Remove-OvsPort -Force
    Deletes br-int's tunnel ports without asking.
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType([void])]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)]
        [Alias('PortName')]
        [string[]]$Name,
        [Parameter(ValueFromPipelineByPropertyName)]
        [Alias('BridgeName')]
        [string]$Bridge,
        [switch]$IfExists,
        [switch]$Force,
        [string]$Database
    )
    begin {
        if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) { $ConfirmPreference = 'None' }
    }
    process {
        foreach ($n in $Name) {
            if (-not $PSCmdlet.ShouldProcess($n, 'Remove Open vSwitch port')) { continue }
            try {
                $cmd = @()
                if ($IfExists) { $cmd += '--if-exists' }
                $cmd += 'del-port'
                if ($Bridge) { $cmd += $Bridge }
                $cmd += $n
                $null = Invoke-OvsVsctlCommand -Commands @(, $cmd) -Database $Database
            } catch {
                Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $n
            }
        }
    }
}
