function Add-OvsPatchPort {
    <#
    .SYNOPSIS
    Connects two Open vSwitch bridges with a pair of patch ports.
    .DESCRIPTION
    Creates both ends of a patch (a port of type patch on each bridge, each naming the other as
    peer) in ONE transaction, so there is never a half-made patch. Returns both ports.
    .PARAMETER Bridge
    The first bridge, e.g. br-int.
    .PARAMETER PeerBridge
    The second bridge, e.g. br-pif.
    .PARAMETER Name
    The port name on -Bridge; default patch-to-<PeerBridge suffix>, as in the seed (patch-to-pif).
    .PARAMETER PeerName
    The port name on -PeerBridge; default patch-to-<Bridge suffix> (patch-to-int).
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Add-OvsPatchPort -Bridge br-int -PeerBridge br-pif
    Creates patch-to-pif on br-int and patch-to-int on br-pif, peered.
    .EXAMPLE
    Add-OvsPatchPort -Bridge br-a -PeerBridge br-b -Name a-to-b -PeerName b-to-a
    Uses explicit port names.
    .OUTPUTS
    OpenVSwitch.Port
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Low')]
    [OutputType('OpenVSwitch.Port')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)]
        [Alias('BridgeName')]
        [string]$Bridge,
        [Parameter(Mandatory, Position = 1)]
        [string]$PeerBridge,
        [string]$Name,
        [string]$PeerName,
        [string]$Database
    )
    process {
        $suffix = { param($b) if ($b -match '^br-(.+)$') { $Matches[1] } else { $b } }
        if (-not $Name) { $Name = 'patch-to-' + (& $suffix $PeerBridge) }
        if (-not $PeerName) { $PeerName = 'patch-to-' + (& $suffix $Bridge) }
        if ($Name -eq $PeerName) {
            $PSCmdlet.WriteError((New-OvsArgumentError -Message "The two ends of a patch need different names; both are '$Name'." -Target $Name))
            return
        }
        if (-not $PSCmdlet.ShouldProcess("$Bridge/$Name <-> $PeerBridge/$PeerName", 'Create Open vSwitch patch port pair')) { return }
        try {
            # All four commands run in one transaction, like ovs-vsctl's "--" chaining.
            $cmds = @(
                , @('add-port', $Bridge, $Name)
                , @('set', 'Interface', $Name, 'type=patch', "options:peer=$PeerName")
                , @('add-port', $PeerBridge, $PeerName)
                , @('set', 'Interface', $PeerName, 'type=patch', "options:peer=$Name")
            )
            $null = Invoke-OvsVsctlCommand -Commands $cmds -Database $Database
            Get-OvsPort -Name $Name, $PeerName -Database $Database
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Name
        }
    }
}
