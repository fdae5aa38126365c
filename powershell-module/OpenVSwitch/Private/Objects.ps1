# Engine views (hashtables with camelCase keys) -> typed PowerShell objects with a PSTypeName, so
# format views, pipelines by property name and DSC all see the same shapes.

function ConvertTo-OvsMap {
    [CmdletBinding()]
    [OutputType([hashtable])]
    param($Value)
    $h = [ordered]@{}
    if ($Value -is [System.Collections.IDictionary]) { foreach ($k in ($Value.Keys | Sort-Object)) { $h[$k] = $Value[$k] } }
    return $h
}

function ConvertTo-OvsBridgeObject {
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipeline)][System.Collections.IDictionary]$View, [string]$Database)
    process {
        [pscustomobject]@{
            PSTypeName   = 'OpenVSwitch.Bridge'
            Name         = [string]$View.name
            Ports        = [string[]]@($View.ports)
            FailMode     = [string]$View.failMode
            Controller   = [string[]]@($View.controllers)
            DatapathType = [string]$View.datapathType
            DatapathId   = [string]$View.datapathId
            Protocols    = [string[]]@($View.protocols)
            ExternalIds  = ConvertTo-OvsMap $View.externalIds
            OtherConfig  = ConvertTo-OvsMap $View.otherConfig
            Uuid         = [string]$View.uuid
            Database     = $Database
        }
    }
}

function ConvertTo-OvsPortObject {
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipeline)][System.Collections.IDictionary]$View, [string]$Database)
    process {
        [pscustomobject]@{
            PSTypeName  = 'OpenVSwitch.Port'
            Name        = [string]$View.name
            Bridge      = [string]$View.bridge
            VlanTag     = if ($null -ne $View.tag) { [int]$View.tag } else { $null }
            Trunks      = [int[]]@($View.trunks)
            VlanMode    = [string]$View.vlanMode
            Interfaces  = [string[]]@($View.interfaces)
            BondMode    = [string]$View.bondMode
            Lacp        = [string]$View.lacp
            ExternalIds = ConvertTo-OvsMap $View.externalIds
            OtherConfig = ConvertTo-OvsMap $View.otherConfig
            Uuid        = [string]$View.uuid
            Database    = $Database
        }
    }
}

function ConvertTo-OvsInterfaceObject {
    [CmdletBinding()]
    param([Parameter(Mandatory, ValueFromPipeline)][System.Collections.IDictionary]$View, [string]$Database)
    process {
        [pscustomobject]@{
            PSTypeName    = 'OpenVSwitch.Interface'
            Name          = [string]$View.name
            Port          = [string]$View.port
            Bridge        = [string]$View.bridge
            Type          = [string]$View.type
            Options       = ConvertTo-OvsMap $View.options
            OfPort        = if ($null -ne $View.ofport) { [int]$View.ofport } else { $null }
            OfPortRequest = if ($null -ne $View.ofportRequest) { [int]$View.ofportRequest } else { $null }
            MacInUse      = [string]$View.macInUse
            Mac           = [string]$View.mac
            LinkState     = [string]$View.linkState
            AdminState    = [string]$View.adminState
            Mtu           = if ($null -ne $View.mtu) { [int]$View.mtu } else { $null }
            IfIndex       = if ($null -ne $View.ifindex) { [int]$View.ifindex } else { $null }
            Error         = [string]$View.error
            ExternalIds   = ConvertTo-OvsMap $View.externalIds
            Statistics    = ConvertTo-OvsMap $View.statistics
            Uuid          = [string]$View.uuid
            Database      = $Database
        }
    }
}
