function Get-OvsMirror {
    <#
    .SYNOPSIS
    Gets the port mirrors of Open vSwitch bridges.
    .DESCRIPTION
    Returns OpenVSwitch.Mirror objects: name, bridge, what they select (source and destination
    ports, all, VLANs), where copies go (output port or VLAN) and how many packets and bytes were
    copied (the Mirror statistics the switch updates every few seconds).
    .PARAMETER Bridge
    Only this bridge's mirrors; accepts pipeline input by property name.
    .PARAMETER Name
    Only the mirror with this name.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Get-OvsMirror
    Lists every mirror of every bridge.
    .EXAMPLE
    Get-OvsBridge br-int | Get-OvsMirror | Select-Object Name, TxPackets
    How many packets each mirror of br-int has copied.
    .OUTPUTS
    OpenVSwitch.Mirror
    #>
    [CmdletBinding()]
    [OutputType('OpenVSwitch.Mirror')]
    param(
        [Parameter(Position = 0, ValueFromPipelineByPropertyName)]
        [Alias('BridgeName')]
        [string]$Bridge,
        [Parameter(Position = 1)]
        [string]$Name,
        [string]$Database
    )
    process {
        $filter = @{}
        if ($Bridge) { $filter.bridge = $Bridge }
        if ($Name) { $filter.name = $Name }
        try {
            $views = @(Invoke-OvsRpc -Method 'ovsps/mirrors' -Params @($filter) -Database $Database)
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Bridge
            return
        }
        if ($Name -and $views.Count -eq 0) {
            $PSCmdlet.WriteError((New-OvsErrorRecord -Exception ([System.Management.Automation.ItemNotFoundException]::new("no mirror named $Name$(if ($Bridge) { " on bridge $Bridge" })")) -Target $Name -ErrorId 'OVS_E_NOT_FOUND' -Category ObjectNotFound))
            return
        }
        foreach ($v in $views) {
            [pscustomobject]@{
                PSTypeName      = 'OpenVSwitch.Mirror'
                Name            = [string]$v.name
                Bridge          = [string]$v.bridge
                SelectAll       = [bool]$v.selectAll
                SourcePort      = [string[]]@($v.selectSrcPort)
                DestinationPort = [string[]]@($v.selectDstPort)
                Vlan            = [int[]]@($v.selectVlan)
                OutputPort      = if ($null -ne $v.outputPort) { [string]$v.outputPort } else { $null }
                OutputVlan      = if ($null -ne $v.outputVlan) { [int]$v.outputVlan } else { $null }
                TxPackets       = [long]$v.txPackets
                TxBytes         = [long]$v.txBytes
                Uuid            = [string]$v.uuid
            }
        }
    }
}
