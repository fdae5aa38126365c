function New-OvsMirror {
    <#
    .SYNOPSIS
    Creates a port mirror (SPAN or RSPAN) on an Open vSwitch bridge.
    .DESCRIPTION
    Creates a Mirror row and attaches it to the bridge in one transaction: packets received on the
    source ports, sent on the destination ports (or all packets with -SelectAll), optionally only in
    the given VLANs, are copied to the output port (SPAN) or flooded in the output VLAN (RSPAN). The
    output port then carries only mirrored traffic.
    .PARAMETER Bridge
    The bridge; accepts pipeline input by property name.
    .PARAMETER Name
    The mirror's name.
    .PARAMETER SourcePort
    Ports whose received packets are mirrored (select_src_port).
    .PARAMETER DestinationPort
    Ports whose sent packets are mirrored (select_dst_port).
    .PARAMETER SelectAll
    Mirror every packet on the bridge (select_all).
    .PARAMETER Vlan
    Only mirror packets in these VLANs (select_vlan).
    .PARAMETER OutputPort
    The port the copies go to (SPAN).
    .PARAMETER OutputVlan
    The VLAN the copies are flooded in (RSPAN), when there is no -OutputPort.
    .PARAMETER PassThru
    Return the new mirror.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    New-OvsMirror -Bridge br-int -Name span-vm1 -SourcePort vm1 -DestinationPort vm1 -OutputPort monitor
    Copies everything VM vm1 sends and receives to the port named monitor.
    .EXAMPLE
    New-OvsMirror -Bridge br-pif -Name rspan -SelectAll -Vlan 900 -OutputVlan 999 -PassThru
    Floods a copy of all VLAN 900 traffic in VLAN 999 and returns the mirror object.
    .OUTPUTS
    OpenVSwitch.Mirror
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Low', DefaultParameterSetName = 'Port')]
    [OutputType('OpenVSwitch.Mirror')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)]
        [Alias('BridgeName')]
        [string]$Bridge,
        [Parameter(Mandatory, Position = 1)]
        [ValidateNotNullOrEmpty()]
        [string]$Name,
        [string[]]$SourcePort,
        [string[]]$DestinationPort,
        [switch]$SelectAll,
        [ValidateRange(0, 4095)]
        [int[]]$Vlan,
        [Parameter(Mandatory, ParameterSetName = 'Port')]
        [string]$OutputPort,
        [Parameter(Mandatory, ParameterSetName = 'Vlan')]
        [ValidateRange(1, 4095)]
        [int]$OutputVlan,
        [switch]$PassThru,
        [string]$Database
    )
    process {
        $target = if ($OutputPort) { "port $OutputPort" } else { "VLAN $OutputVlan" }
        if (-not $PSCmdlet.ShouldProcess("$Bridge/$Name", "Create mirror to $target")) { return }
        $create = [System.Collections.Generic.List[string]]@('--id=@m', 'create', 'Mirror', "name=$(ConvertTo-OvsVsctlValue $Name)")
        $cmds = [System.Collections.Generic.List[object]]::new()
        $n = 0
        foreach ($set in @(@('select_src_port', $SourcePort), @('select_dst_port', $DestinationPort))) {
            $ids = foreach ($p in @($set[1] | Where-Object { $_ })) { $id = "@p$n"; $n++; $cmds.Add([string[]]@("--id=$id", 'get', 'Port', $p)); $id }
            if ($ids) { $create.Add("$($set[0])=$(@($ids) -join ',')") }
        }
        if ($SelectAll) { $create.Add('select_all=true') }
        if ($Vlan) { $create.Add("select_vlan=$(ConvertTo-OvsVsctlValue ([int[]]$Vlan))") }
        if ($OutputPort) { $cmds.Add([string[]]@('--id=@out', 'get', 'Port', $OutputPort)); $create.Add('output_port=@out') }
        else { $create.Add("output_vlan=$OutputVlan") }
        $cmds.Add([string[]]$create)
        $cmds.Add([string[]]@('add', 'Bridge', $Bridge, 'mirrors', '@m'))
        try {
            $null = Invoke-OvsVsctlCommand -Commands $cmds.ToArray() -Database $Database
            if ($PassThru) { Get-OvsMirror -Bridge $Bridge -Name $Name -Database $Database }
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Name
        }
    }
}
