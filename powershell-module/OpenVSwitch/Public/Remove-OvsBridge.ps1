function Remove-OvsBridge {
    <#
    .SYNOPSIS
    Removes Open vSwitch bridges.
    .DESCRIPTION
    Deletes a bridge and all of its ports (ovs-vsctl del-br). High impact: asks for confirmation
    unless -Force or -Confirm:$false is given.
    .PARAMETER Name
    The bridge names; accepts pipeline input by value or by property name (Name, Bridge).
    .PARAMETER IfExists
    Succeed silently when the bridge does not exist (ovs-vsctl --if-exists).
    .PARAMETER Force
    Do not ask for confirmation.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Remove-OvsBridge -Name br-test -Force
    Deletes br-test without asking.
    .EXAMPLE
    Get-OvsBridge br-tmp* | Remove-OvsBridge -Confirm:$false
    Deletes every bridge whose name starts with br-tmp.
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType([void])]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [Alias('BridgeName')]
        [string[]]$Name,
        [switch]$IfExists,
        [switch]$Force,
        [string]$Database
    )
    begin {
        if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) { $ConfirmPreference = 'None' }
    }
    process {
        foreach ($n in $Name) {
            if (-not $PSCmdlet.ShouldProcess($n, 'Remove Open vSwitch bridge and all its ports')) { continue }
            try {
                $cmd = @()
                if ($IfExists) { $cmd += '--if-exists' }
                $cmd += 'del-br', $n
                $null = Invoke-OvsVsctlCommand -Commands @(, $cmd) -Database $Database
            } catch {
                Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $n
            }
        }
    }
}
