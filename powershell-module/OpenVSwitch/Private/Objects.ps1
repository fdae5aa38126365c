# Engine views (hashtables with camelCase keys) -> typed PowerShell objects with a PSTypeName, so
# format views, pipelines by property name and DSC all see the same shapes.

# Map columns (ExternalIds, Options, ...) are the dictionaries ConvertFrom-Json -AsHashtable made:
# the engine sends their keys sorted, and that order is kept.

function ConvertTo-OvsBridgeObject {
    [CmdletBinding()]
    param([Parameter(Mandatory)][System.Collections.IDictionary]$View, [string]$Database)
    [pscustomobject]@{
        PSTypeName   = 'OpenVSwitch.Bridge'
        Name         = [string]$View.name
        Ports        = [string[]]@($View.ports)
        FailMode     = [string]$View.failMode
        Controller   = [string[]]@($View.controllers)
        DatapathType = [string]$View.datapathType
        DatapathId   = [string]$View.datapathId
        Protocols    = [string[]]@($View.protocols)
        ExternalIds  = $(if ($View['externalIds'] -is [System.Collections.IDictionary]) { $View['externalIds'] } else { [ordered]@{} })
        OtherConfig  = $(if ($View['otherConfig'] -is [System.Collections.IDictionary]) { $View['otherConfig'] } else { [ordered]@{} })
        Uuid         = [string]$View.uuid
        Database     = $Database
    }
}

function ConvertTo-OvsPortObject {
    [CmdletBinding()]
    param([Parameter(Mandatory)][System.Collections.IDictionary]$View, [string]$Database)
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
        ExternalIds = $(if ($View['externalIds'] -is [System.Collections.IDictionary]) { $View['externalIds'] } else { [ordered]@{} })
        OtherConfig = $(if ($View['otherConfig'] -is [System.Collections.IDictionary]) { $View['otherConfig'] } else { [ordered]@{} })
        Uuid        = [string]$View.uuid
        Database    = $Database
    }
}

function ConvertTo-OvsInterfaceObject {
    [CmdletBinding()]
    param([Parameter(Mandatory)][System.Collections.IDictionary]$View, [string]$Database)
    [pscustomobject]@{
        PSTypeName    = 'OpenVSwitch.Interface'
        Name          = [string]$View.name
        Port          = [string]$View.port
        Bridge        = [string]$View.bridge
        Type          = [string]$View.type
        Options       = $(if ($View['options'] -is [System.Collections.IDictionary]) { $View['options'] } else { [ordered]@{} })
        OfPort        = if ($null -ne $View.ofport) { [int]$View.ofport } else { $null }
        OfPortRequest = if ($null -ne $View.ofportRequest) { [int]$View.ofportRequest } else { $null }
        MacInUse      = [string]$View.macInUse
        Mac           = [string]$View.mac
        LinkState     = [string]$View.linkState
        AdminState    = [string]$View.adminState
        Mtu           = if ($null -ne $View.mtu) { [int]$View.mtu } else { $null }
        IfIndex       = if ($null -ne $View.ifindex) { [int]$View.ifindex } else { $null }
        Error         = [string]$View.error
        ExternalIds   = $(if ($View['externalIds'] -is [System.Collections.IDictionary]) { $View['externalIds'] } else { [ordered]@{} })
        Statistics    = $(if ($View['statistics'] -is [System.Collections.IDictionary]) { $View['statistics'] } else { [ordered]@{} })
        Uuid          = [string]$View.uuid
        Database      = $Database
    }
}
