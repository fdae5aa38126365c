function Get-OvsBridge {
    <#
    .SYNOPSIS
    Gets Open vSwitch bridges.
    .DESCRIPTION
    Returns the bridges of the database as OpenVSwitch.Bridge objects (name, ports, fail mode,
    controllers, datapath type and id, external ids). -Name accepts wildcards; a name without
    wildcards that matches nothing is an ObjectNotFound error.
    .PARAMETER Name
    Bridge names or wildcard patterns; all bridges when omitted.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Get-OvsBridge
    Lists every bridge.
    .EXAMPLE
    Get-OvsBridge -Name br-int | Get-OvsPort
    Lists the ports of br-int.
    .OUTPUTS
    OpenVSwitch.Bridge
    #>
    [CmdletBinding()]
    [OutputType('OpenVSwitch.Bridge')]
    param(
        [Parameter(Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [Alias('BridgeName', 'Bridge')]
        [SupportsWildcards()]
        [string[]]$Name,
        [string]$Database
    )
    process {
        foreach ($n in $(if ($Name) { $Name } else { @('') })) {
            $wild = [System.Management.Automation.WildcardPattern]::ContainsWildcardCharacters($n)
            $filter = @{}
            if ($n -and -not $wild) { $filter.name = $n }
            try {
                $views = @(Invoke-OvsRpc -Method 'ovsps/bridges' -Params @($filter) -Database $Database)
            } catch {
                Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $n
                continue
            }
            if ($wild) { $views = @($views | Where-Object { $_['name'] -like $n }) }
            if ($n -and -not $wild -and $views.Count -eq 0) {
                $ex = [OvsEngineException]::new('OVS_E_NO_BRIDGE', "no bridge named $n", $n)
                $PSCmdlet.WriteError((New-OvsErrorRecord -Exception $ex -Target $n -Category ObjectNotFound))
                continue
            }
            foreach ($v in $views) { ConvertTo-OvsBridgeObject -View $v -Database $Database }
        }
    }
}
