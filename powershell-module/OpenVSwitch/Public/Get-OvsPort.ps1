function Get-OvsPort {
    <#
    .SYNOPSIS
    Gets Open vSwitch ports.
    .DESCRIPTION
    Returns ports as OpenVSwitch.Port objects (Name, Bridge, VlanTag, Trunks, VlanMode, Interfaces,
    bond settings). Filter by bridge (pipeline from Get-OvsBridge) and by name (wildcards).
    Bridges' own internal ports are included, as ovs-vsctl list-ports does not, unless -ExcludeInternal.
    .PARAMETER Bridge
    Only ports of this bridge; accepts pipeline input by property name (Bridge, or Name of a bridge object).
    .PARAMETER InputObject
    A bridge object from Get-OvsBridge: lists that bridge's ports.
    .PARAMETER Name
    Port names or wildcard patterns.
    .PARAMETER ExcludeInternal
    Leave out each bridge's own port (the one named after the bridge).
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Get-OvsPort -Bridge br-int
    Lists the ports of br-int.
    .EXAMPLE
    Get-OvsBridge br-int | Get-OvsPort | Where-Object VlanTag -eq 900
    Lists br-int's ports on VLAN 900.
    .OUTPUTS
    OpenVSwitch.Port
    #>
    [CmdletBinding()]
    [OutputType('OpenVSwitch.Port')]
    param(
        [Parameter(ValueFromPipelineByPropertyName)]
        [Alias('BridgeName')]
        [string]$Bridge,
        [Parameter(ValueFromPipeline)]
        [PSTypeName('OpenVSwitch.Bridge')]
        [psobject]$InputObject,
        [Parameter(Position = 0)]
        [SupportsWildcards()]
        [string[]]$Name,
        [switch]$ExcludeInternal,
        [string]$Database
    )
    process {
        if ($InputObject) { $Bridge = $InputObject.Name }
        foreach ($n in $(if ($Name) { $Name } else { @('') })) {
            $wild = [System.Management.Automation.WildcardPattern]::ContainsWildcardCharacters($n)
            $filter = @{}
            if ($Bridge) { $filter.bridge = $Bridge }
            if ($n -and -not $wild) { $filter.name = $n }
            try {
                $views = @(Invoke-OvsRpc -Method 'ovsps/ports' -Params @($filter) -Database $Database)
            } catch {
                Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $n
                continue
            }
            if ($wild) { $views = @($views | Where-Object { $_['name'] -like $n }) }
            if ($ExcludeInternal) { $views = @($views | Where-Object { $_['name'] -ne $_['bridge'] }) }
            if ($n -and -not $wild -and $views.Count -eq 0) {
                $where = if ($Bridge) { " on bridge $Bridge" } else { '' }
                $ex = [OvsEngineException]::new('OVS_E_NO_PORT', "no port named $n$where", $n)
                $PSCmdlet.WriteError((New-OvsErrorRecord -Exception $ex -Target $n -Category ObjectNotFound))
                continue
            }
            foreach ($v in $views) { ConvertTo-OvsPortObject -View $v -Database $Database }
        }
    }
}
