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
        try {
            $params = @{}
            if ($Bridge) { $params.bridge = $Bridge }
            $views = @(Invoke-OvsRpc -Method 'ovsps/ports' -Params @($params) -Database $Database)
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Bridge
            return
        }
        if ($ExcludeInternal) { $views = @($views | Where-Object { $_.name -ne $_.bridge }) }
        if (-not $Name) { $views | ConvertTo-OvsPortObject -Database $Database; return }
        foreach ($n in $Name) {
            $found = @($views | Where-Object { $_.name -like $n })
            if ($found.Count -eq 0 -and -not [System.Management.Automation.WildcardPattern]::ContainsWildcardCharacters($n)) {
                $ex = [OvsEngineException]::new('OVS_E_NO_PORT', "no port named $n", $n)
                $PSCmdlet.WriteError((New-OvsErrorRecord -Exception $ex -Target $n -Category ObjectNotFound))
                continue
            }
            $found | ConvertTo-OvsPortObject -Database $Database
        }
    }
}
