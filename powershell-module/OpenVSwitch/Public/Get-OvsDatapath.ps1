function Get-OvsDatapath {
    <#
    .SYNOPSIS
    Gets the datapath: lookups, flow count and ports, as `ovs-dpctl show` prints them.
    .DESCRIPTION
    Returns an OpenVSwitch.Datapath object (Name such as system@ovs-system, Hit, Missed, Lost,
    Flows, CacheHitRate, Ports). Each port is an OpenVSwitch.DatapathPort (PortNumber, Name, Type).
    Its default view looks like the seed's ovs-dpctl show output.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Get-OvsDatapath
    Shows system@ovs-system with its lookups and ports.
    .EXAMPLE
    (Get-OvsDatapath).Ports | Where-Object Type -eq internal
    Lists the bridges' internal ports in the datapath.
    .OUTPUTS
    OpenVSwitch.Datapath
    #>
    [CmdletBinding()]
    [OutputType('OpenVSwitch.Datapath')]
    param([string]$Database)
    try {
        $result = Invoke-OvsRpc -Method 'ovsps/dpctl' -Params @(@{ command = 'show' }) -Database $Database
    } catch {
        Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target 'ovs-system'
        return
    }
    foreach ($dp in @($result.datapaths)) {
        $ports = foreach ($p in @($dp.ports)) {
            [pscustomobject]@{ PSTypeName = 'OpenVSwitch.DatapathPort'; PortNumber = [int]$p.portNo; Name = [string]$p.name; Type = [string]$p.type }
        }
        $lookups = [double]$dp.hit + [double]$dp.missed
        [pscustomobject]@{
            PSTypeName   = 'OpenVSwitch.Datapath'
            Name         = [string]$dp.name
            Hit          = [long]$dp.hit
            Missed       = [long]$dp.missed
            Lost         = [long]$dp.lost
            Flows        = [long]$dp.flows
            CacheHitRate = if ($lookups -gt 0) { [Math]::Round(100 * [double]$dp.hit / $lookups, 2) } else { 0 }
            Ports        = @($ports)
            Text         = [string]$dp.text
        }
    }
}
