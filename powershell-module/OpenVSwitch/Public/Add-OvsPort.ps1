function Add-OvsPort {
    <#
    .SYNOPSIS
    Adds a port to an Open vSwitch bridge.
    .DESCRIPTION
    Adds a port with one interface of the same name (ovs-vsctl add-port), optionally as a VLAN
    access port (-VlanTag), a trunk (-Trunks) with a VLAN mode, and with an interface type and
    options, all in one transaction. For a Hyper-V VM, first name the vNIC's port with
    Set-VMNetworkAdapterOVSPort, then add a port of that name. Returns the new port.
    .PARAMETER Bridge
    The bridge; accepts pipeline input by property name (Bridge, BridgeName).
    .PARAMETER InputObject
    A bridge object from Get-OvsBridge to add the port to.
    .PARAMETER Name
    The port (and interface) name, e.g. ovs-port-a or Ethernet0.
    .PARAMETER VlanTag
    Access VLAN (0-4095), like ovs-vsctl add-port BR PORT tag=N.
    .PARAMETER Trunks
    VLANs the port trunks.
    .PARAMETER VlanMode
    access, trunk, native-tagged, native-untagged or dot1q-tunnel.
    .PARAMETER Type
    Interface type (internal, patch, vxlan, geneve, gre, stt, ...); default: a system interface.
    .PARAMETER Options
    Interface options, e.g. @{ peer = 'patch-to-int' }.
    .PARAMETER ExternalIds
    Keys for the port's external_ids.
    .PARAMETER MayExist
    Succeed without changes when the port already exists on this bridge.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Add-OvsPort -Bridge br-int -Name ovs-port-a -VlanTag 900
    Same as `ovs-vsctl add-port br-int ovs-port-a tag=900`.
    .EXAMPLE
    Get-OvsBridge br-pif | Add-OvsPort -Name Ethernet0
    Attaches the physical NIC Ethernet0 to br-pif.
    .OUTPUTS
    OpenVSwitch.Port
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Low')]
    [OutputType('OpenVSwitch.Port')]
    param(
        [Parameter(Position = 0, ValueFromPipelineByPropertyName)]
        [Alias('BridgeName')]
        [string]$Bridge,
        [Parameter(ValueFromPipeline)]
        [PSTypeName('OpenVSwitch.Bridge')]
        [psobject]$InputObject,
        [Parameter(Mandatory, Position = 1, ValueFromPipelineByPropertyName)]
        [Alias('PortName', 'OVSPortName')]
        [ValidateNotNullOrEmpty()]
        [string]$Name,
        [ValidateRange(0, 4095)]
        [Nullable[int]]$VlanTag,
        [ValidateRange(0, 4095)]
        [int[]]$Trunks,
        [ValidateSet('access', 'trunk', 'native-tagged', 'native-untagged', 'dot1q-tunnel')]
        [string]$VlanMode,
        [string]$Type,
        [hashtable]$Options,
        [hashtable]$ExternalIds,
        [switch]$MayExist,
        [string]$Database
    )
    process {
        if ($InputObject) { $Bridge = $InputObject.Name }
        if (-not $Bridge) {
            $PSCmdlet.WriteError((New-OvsArgumentError -Message "Add-OvsPort needs -Bridge (or a bridge object from Get-OvsBridge) for port '$Name'." -Target $Name))
            return
        }
        if (-not $PSCmdlet.ShouldProcess("$Bridge/$Name", 'Add Open vSwitch port')) { return }
        try {
            $add = @()
            if ($MayExist) { $add += '--may-exist' }
            $add += 'add-port', $Bridge, $Name
            if ($null -ne $VlanTag) { $add += "tag=$VlanTag" }
            if ($Trunks) { $add += 'trunks=' + (ConvertTo-OvsVsctlValue $Trunks) }
            if ($VlanMode) { $add += "vlan_mode=$VlanMode" }
            if ($ExternalIds) { foreach ($k in $ExternalIds.Keys) { $add += "external_ids:$k=" + (ConvertTo-OvsVsctlValue $ExternalIds[$k]) } }
            $cmds = @(, $add)
            $ifset = @()
            if ($Type) { $ifset += "type=$Type" }
            if ($Options) { foreach ($k in $Options.Keys) { $ifset += "options:$k=" + (ConvertTo-OvsVsctlValue $Options[$k]) } }
            # A Linux test VM's vNIC: record the VM in the Interface, so a boot reconcile can re-make it.
            $vmIds = Get-OvsNetnsVmDefinition -HostInterface $Name
            foreach ($k in $vmIds.Keys) { $ifset += "external_ids:$k=" + (ConvertTo-OvsVsctlValue $vmIds[$k]) }
            if ($ifset.Count -gt 0) { $cmds += , (@('set', 'Interface', $Name) + $ifset) }
            # One round trip: the commands, then the resulting rows in the same reply.
            $r = Invoke-OvsRpc -Method 'ovsps/vsctl' -Params @(@{ commands = $cmds; view = @{ kind = 'ports'; name = $Name } }) -Database $Database
            foreach ($v in $r['view']) { ConvertTo-OvsPortObject -View $v -Database $Database }
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Name
        }
    }
}
