function Get-OvsInterface {
    <#
    .SYNOPSIS
    Gets Open vSwitch interfaces.
    .DESCRIPTION
    Returns interfaces as OpenVSwitch.Interface objects: type, options, the OpenFlow port number,
    MAC in use, link and admin state, MTU, statistics, and the error text the switch wrote when it
    could not set the interface up (for example a missing device).
    .PARAMETER Name
    Interface names or wildcard patterns.
    .PARAMETER Port
    Only interfaces of this port; accepts pipeline input from Get-OvsPort (by property name Name via -InputObject).
    .PARAMETER Bridge
    Only interfaces on this bridge.
    .PARAMETER InputObject
    A port object from Get-OvsPort.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Get-OvsInterface -Name patch-to-pif | Select-Object Name, Type, Options
    Shows the patch interface's peer.
    .EXAMPLE
    Get-OvsPort -Bridge br-int | Get-OvsInterface | Where-Object Error
    Lists br-int's interfaces that failed to come up, with the reason.
    .OUTPUTS
    OpenVSwitch.Interface
    #>
    [CmdletBinding()]
    [OutputType('OpenVSwitch.Interface')]
    param(
        [Parameter(Position = 0)]
        [SupportsWildcards()]
        [string[]]$Name,
        [string]$Port,
        [Parameter(ValueFromPipelineByPropertyName)]
        [Alias('BridgeName')]
        [string]$Bridge,
        [Parameter(ValueFromPipeline)]
        [PSTypeName('OpenVSwitch.Port')]
        [psobject]$InputObject,
        [string]$Database
    )
    process {
        if ($InputObject) { $Port = $InputObject.Name; $Bridge = $InputObject.Bridge }
        foreach ($n in $(if ($Name) { $Name } else { @('') })) {
            $wild = [System.Management.Automation.WildcardPattern]::ContainsWildcardCharacters($n)
            $filter = @{}
            if ($Bridge) { $filter.bridge = $Bridge }
            if ($Port) { $filter.port = $Port }
            if ($n -and -not $wild) { $filter.name = $n }
            try {
                $views = @(Invoke-OvsRpc -Method 'ovsps/interfaces' -Params @($filter) -Database $Database)
            } catch {
                Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $n
                continue
            }
            if ($wild) { $views = @($views | Where-Object { $_['name'] -like $n }) }
            if ($n -and -not $wild -and $views.Count -eq 0) {
                $ex = [OvsEngineException]::new('OVS_E_NO_INTERFACE', "no interface named $n", $n)
                $PSCmdlet.WriteError((New-OvsErrorRecord -Exception $ex -Target $n -Category ObjectNotFound))
                continue
            }
            foreach ($v in $views) { ConvertTo-OvsInterfaceObject -View $v -Database $Database }
        }
    }
}
