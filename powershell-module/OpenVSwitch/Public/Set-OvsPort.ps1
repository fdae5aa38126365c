function Set-OvsPort {
    <#
    .SYNOPSIS
    Changes the VLAN and other settings of an Open vSwitch port.
    .DESCRIPTION
    Sets a port's access VLAN (tag), trunks, VLAN mode, bond settings, external ids and
    other_config in one transaction. -VlanTag $null (or -ClearVlanTag) removes the tag.
    .PARAMETER Name
    The port; accepts pipeline input by property name.
    .PARAMETER VlanTag
    Access VLAN 0-4095.
    .PARAMETER ClearVlanTag
    Removes the access VLAN.
    .PARAMETER Trunks
    VLANs to trunk; an empty array trunks all VLANs.
    .PARAMETER VlanMode
    access, trunk, native-tagged, native-untagged or dot1q-tunnel.
    .PARAMETER BondMode
    active-backup, balance-slb or balance-tcp (bonds only).
    .PARAMETER Lacp
    active, passive or off (bonds only).
    .PARAMETER ExternalIds
    Keys to set in external_ids.
    .PARAMETER OtherConfig
    Keys to set in other_config.
    .PARAMETER PassThru
    Returns the changed port.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Set-OvsPort -Name ovs-port-a -VlanTag 900
    Puts ovs-port-a on VLAN 900.
    .EXAMPLE
    Get-OvsBridge br-int | Get-OvsPort | Set-OvsPort -VlanTag 900
    Puts every port of br-int on VLAN 900.
    .OUTPUTS
    OpenVSwitch.Port
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('OpenVSwitch.Port')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)]
        [Alias('PortName')]
        [string]$Name,
        [ValidateRange(0, 4095)]
        [Nullable[int]]$VlanTag,
        [switch]$ClearVlanTag,
        [AllowEmptyCollection()]
        [ValidateRange(0, 4095)]
        [int[]]$Trunks,
        [ValidateSet('access', 'trunk', 'native-tagged', 'native-untagged', 'dot1q-tunnel')]
        [string]$VlanMode,
        [ValidateSet('active-backup', 'balance-slb', 'balance-tcp')]
        [string]$BondMode,
        [ValidateSet('active', 'passive', 'off')]
        [string]$Lacp,
        [hashtable]$ExternalIds,
        [hashtable]$OtherConfig,
        [switch]$PassThru,
        [string]$Database
    )
    process {
        $sets = @()
        $cmds = @()
        if ($PSBoundParameters.ContainsKey('VlanTag')) {
            if ($null -eq $VlanTag) { $cmds += , @('clear', 'Port', $Name, 'tag') } else { $sets += "tag=$VlanTag" }
        }
        if ($ClearVlanTag) { $cmds += , @('clear', 'Port', $Name, 'tag') }
        if ($PSBoundParameters.ContainsKey('Trunks')) {
            if ($Trunks.Count -eq 0) { $cmds += , @('clear', 'Port', $Name, 'trunks') } else { $sets += 'trunks=' + (ConvertTo-OvsVsctlValue $Trunks) }
        }
        if ($VlanMode) { $sets += "vlan_mode=$VlanMode" }
        if ($BondMode) { $sets += "bond_mode=$BondMode" }
        if ($Lacp) { $sets += "lacp=$Lacp" }
        if ($ExternalIds) { foreach ($k in $ExternalIds.Keys) { $sets += "external_ids:$k=" + (ConvertTo-OvsVsctlValue $ExternalIds[$k]) } }
        if ($OtherConfig) { foreach ($k in $OtherConfig.Keys) { $sets += "other_config:$k=" + (ConvertTo-OvsVsctlValue $OtherConfig[$k]) } }
        if ($sets.Count -gt 0) { $cmds += , (@('set', 'Port', $Name) + $sets) }
        if ($cmds.Count -eq 0) {
            $PSCmdlet.WriteError((New-OvsArgumentError -Message 'Nothing to change: give -VlanTag, -Trunks, -VlanMode, -BondMode, -Lacp, -ExternalIds or -OtherConfig.' -Target $Name))
            return
        }
        if (-not $PSCmdlet.ShouldProcess($Name, 'Change Open vSwitch port settings')) { return }
        try {
            $view = if ($PassThru) { @{ kind = 'ports'; name = $Name } } else { $null }
            $r = Invoke-OvsVsctlCommand -Commands $cmds -Database $Database -View $view
            if ($PassThru) { foreach ($v in $r['view']) { ConvertTo-OvsPortObject -View $v -Database $Database } }
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Name
        }
    }
}
