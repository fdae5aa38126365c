function Get-OvsFdb {
    <#
    .SYNOPSIS
    Gets the MAC learning table of a bridge (ovs-appctl fdb/show).
    .DESCRIPTION
    Returns OpenVSwitch.FdbEntry objects (Bridge, Port, Vlan, MacAddress, Age in seconds) for the
    MAC addresses the bridge's NORMAL switching has learnt.
    .PARAMETER Bridge
    The bridge; accepts pipeline input by property name (or bridge objects).
    .PARAMETER InputObject
    A bridge object from Get-OvsBridge.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Get-OvsFdb -Bridge br-int
    Shows where br-int has learnt each MAC address.
    .EXAMPLE
    Get-OvsBridge | Get-OvsFdb | Where-Object Vlan -eq 900
    MACs learnt on VLAN 900 on any bridge.
    .OUTPUTS
    OpenVSwitch.FdbEntry
    #>
    [CmdletBinding()]
    [OutputType('OpenVSwitch.FdbEntry')]
    param(
        [Parameter(Position = 0, ValueFromPipelineByPropertyName)]
        [Alias('BridgeName')]
        [string]$Bridge,
        [Parameter(ValueFromPipeline)]
        [PSTypeName('OpenVSwitch.Bridge')]
        [psobject]$InputObject,
        [string]$Database
    )
    process {
        if ($InputObject) { $Bridge = $InputObject.Name }
        if (-not $Bridge) { $PSCmdlet.WriteError((New-OvsArgumentError -Message 'Get-OvsFdb needs -Bridge.' -Target $null)); return }
        try {
            $entries = @(Invoke-OvsRpc -Method 'ovsps/fdb' -Params @(@{ bridge = $Bridge }) -Database $Database)
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Bridge
            return
        }
        foreach ($e in $entries) {
            [pscustomobject]@{
                PSTypeName = 'OpenVSwitch.FdbEntry'
                Bridge     = $Bridge
                Port       = [int]$e.port
                PortName   = [string]$e.portName
                Vlan       = [int]$e.vlan
                MacAddress = [string]$e.mac
                Age        = [int]$e.age
            }
        }
    }
}
