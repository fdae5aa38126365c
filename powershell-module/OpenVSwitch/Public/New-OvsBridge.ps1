function New-OvsBridge {
    <#
    .SYNOPSIS
    Creates an Open vSwitch bridge.
    .DESCRIPTION
    Creates a bridge (ovs-vsctl add-br) with its internal port and interface of the same name, and
    optionally sets its fail mode, datapath type, external ids and other_config in the same
    transaction. With -ParentBridge and -VlanTag it creates a fake bridge (a VLAN of the parent).
    Returns the new bridge.
    .PARAMETER Name
    The bridge name, e.g. br-int. Accepts several names and pipeline input.
    .PARAMETER ParentBridge
    Creates a fake bridge on this parent bridge (requires -VlanTag).
    .PARAMETER VlanTag
    The VLAN (0-4095) of a fake bridge.
    .PARAMETER FailMode
    standalone (default when unset: the bridge acts as a learning switch) or secure.
    .PARAMETER DatapathType
    system or netdev; both map to the engine's datapath.
    .PARAMETER ExternalIds
    Hashtable stored in the bridge's external_ids column.
    .PARAMETER OtherConfig
    Hashtable stored in the bridge's other_config column.
    .PARAMETER MayExist
    Succeed without changes when the bridge already exists (ovs-vsctl --may-exist).
    .PARAMETER Database
    The engine to talk to (unix:PATH, npipe:NAME, tcp:HOST:PORT); default $env:OVS_DB or the local engine.
    .EXAMPLE
    New-OvsBridge -Name br-int
    Creates br-int, as `ovs-vsctl add-br br-int` does.
    .EXAMPLE
    'br-int', 'br-pif' | New-OvsBridge -FailMode secure
    Creates two bridges in secure fail mode.
    .EXAMPLE
    New-OvsBridge -Name br-vlan900 -ParentBridge br-int -VlanTag 900
    Creates a fake bridge for VLAN 900 on br-int.
    .OUTPUTS
    OpenVSwitch.Bridge
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Low')]
    [OutputType('OpenVSwitch.Bridge')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [Alias('BridgeName')]
        [ValidateNotNullOrEmpty()]
        [string[]]$Name,
        [string]$ParentBridge,
        [ValidateRange(0, 4095)]
        [Nullable[int]]$VlanTag,
        [ValidateSet('standalone', 'secure')]
        [string]$FailMode,
        [ValidateSet('system', 'netdev')]
        [string]$DatapathType,
        [hashtable]$ExternalIds,
        [hashtable]$OtherConfig,
        [switch]$MayExist,
        [string]$Database
    )
    process {
        if ($ParentBridge -and $null -eq $VlanTag) {
            $PSCmdlet.WriteError((New-OvsArgumentError -Message "A fake bridge on '$ParentBridge' needs -VlanTag (0-4095)." -Target $ParentBridge))
            return
        }
        foreach ($n in $Name) {
            if (-not $PSCmdlet.ShouldProcess($n, 'Create Open vSwitch bridge')) { continue }
            try {
                $add = @()
                if ($MayExist) { $add += '--may-exist' }
                $add += 'add-br', $n
                if ($ParentBridge) { $add += $ParentBridge, [string]$VlanTag }
                $cmds = @(, $add)
                if ($FailMode) { $cmds += , @('set-fail-mode', $n, $FailMode) }
                $sets = @()
                if ($DatapathType) { $sets += "datapath_type=$DatapathType" }
                if ($ExternalIds) { foreach ($k in $ExternalIds.Keys) { $sets += "external_ids:$k=" + (ConvertTo-OvsVsctlValue $ExternalIds[$k]) } }
                if ($OtherConfig) { foreach ($k in $OtherConfig.Keys) { $sets += "other_config:$k=" + (ConvertTo-OvsVsctlValue $OtherConfig[$k]) } }
                if ($sets.Count -gt 0 -and -not $ParentBridge) { $cmds += , (@('set', 'Bridge', $n) + $sets) }
                # One round trip: the commands, then the resulting rows in the same reply.
                $r = Invoke-OvsRpc -Method 'ovsps/vsctl' -Params @(@{ commands = $cmds; view = @{ kind = 'bridges'; name = $n } }) -Database $Database
                foreach ($v in $r['view']) { ConvertTo-OvsBridgeObject -View $v -Database $Database }
            } catch {
                Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $n
            }
        }
    }
}
