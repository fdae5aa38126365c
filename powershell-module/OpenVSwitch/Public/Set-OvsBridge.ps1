function Set-OvsBridge {
    <#
    .SYNOPSIS
    Changes the settings of an Open vSwitch bridge.
    .DESCRIPTION
    Sets the fail mode, OpenFlow controllers, datapath type, protocols, external ids and
    other_config of a bridge, all in one transaction. Use -Controller @() to remove controllers
    and -FailMode '' to clear the fail mode.
    .PARAMETER Name
    The bridge; accepts pipeline input by property name (Name, Bridge).
    .PARAMETER FailMode
    standalone or secure; an empty string clears it.
    .PARAMETER Controller
    OpenFlow controller targets such as tcp:192.0.2.10:6653; an empty array deletes them.
    .PARAMETER DatapathType
    system or netdev.
    .PARAMETER Protocols
    OpenFlow versions, e.g. OpenFlow13.
    .PARAMETER ExternalIds
    Keys to set in external_ids (other keys are kept).
    .PARAMETER OtherConfig
    Keys to set in other_config (other keys are kept).
    .PARAMETER PassThru
    Returns the changed bridge.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Set-OvsBridge -Name br-int -FailMode secure
    Makes br-int drop traffic no flow allows, instead of acting as a learning switch.
    .EXAMPLE
    Get-OvsBridge br-int | Set-OvsBridge -ExternalIds @{ 'owner' = 'hyperv' } -PassThru
    Tags br-int and returns it.
    .OUTPUTS
    OpenVSwitch.Bridge
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('OpenVSwitch.Bridge')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [Alias('BridgeName', 'Bridge')]
        [string]$Name,
        [ValidateSet('standalone', 'secure', '')]
        [string]$FailMode,
        [AllowEmptyCollection()]
        [string[]]$Controller,
        [ValidateSet('system', 'netdev')]
        [string]$DatapathType,
        [ValidateSet('OpenFlow10', 'OpenFlow11', 'OpenFlow12', 'OpenFlow13', 'OpenFlow14', 'OpenFlow15')]
        [string[]]$Protocols,
        [hashtable]$ExternalIds,
        [hashtable]$OtherConfig,
        [switch]$PassThru,
        [string]$Database
    )
    process {
        $cmds = @()
        if ($PSBoundParameters.ContainsKey('FailMode')) {
            if ($FailMode) { $cmds += , @('set-fail-mode', $Name, $FailMode) } else { $cmds += , @('del-fail-mode', $Name) }
        }
        if ($PSBoundParameters.ContainsKey('Controller')) {
            if ($Controller.Count -gt 0) { $cmds += , (@('set-controller', $Name) + $Controller) } else { $cmds += , @('del-controller', $Name) }
        }
        $sets = @()
        if ($DatapathType) { $sets += "datapath_type=$DatapathType" }
        if ($Protocols) { $sets += 'protocols=' + (ConvertTo-OvsVsctlValue $Protocols) }
        if ($ExternalIds) { foreach ($k in $ExternalIds.Keys) { $sets += "external_ids:$k=" + (ConvertTo-OvsVsctlValue $ExternalIds[$k]) } }
        if ($OtherConfig) { foreach ($k in $OtherConfig.Keys) { $sets += "other_config:$k=" + (ConvertTo-OvsVsctlValue $OtherConfig[$k]) } }
        if ($sets.Count -gt 0) { $cmds += , (@('set', 'Bridge', $Name) + $sets) }
        if ($cmds.Count -eq 0) {
            $PSCmdlet.WriteError((New-OvsArgumentError -Message 'Nothing to change: give at least one of -FailMode, -Controller, -DatapathType, -Protocols, -ExternalIds, -OtherConfig.' -Target $Name))
            return
        }
        if (-not $PSCmdlet.ShouldProcess($Name, 'Change Open vSwitch bridge settings')) { return }
        try {
            $null = Invoke-OvsVsctlCommand -Commands $cmds -Database $Database
            if ($PassThru) { Get-OvsBridge -Name $Name -Database $Database }
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Name
        }
    }
}
