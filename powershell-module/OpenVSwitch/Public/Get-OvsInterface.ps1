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
        try {
            $params = @{}
            if ($Bridge) { $params.bridge = $Bridge }
            if ($Port) { $params.port = $Port }
            $views = @(Invoke-OvsRpc -Method 'ovsps/interfaces' -Params @($params) -Database $Database)
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Name
            return
        }
        if (-not $Name) { $views | ConvertTo-OvsInterfaceObject -Database $Database; return }
        foreach ($n in $Name) {
            $found = @($views | Where-Object { $_.name -like $n })
            if ($found.Count -eq 0 -and -not [System.Management.Automation.WildcardPattern]::ContainsWildcardCharacters($n)) {
                $ex = [OvsEngineException]::new('OVS_E_NO_INTERFACE', "no interface named $n", $n)
                $PSCmdlet.WriteError((New-OvsErrorRecord -Exception $ex -Target $n -Category ObjectNotFound))
                continue
            }
            $found | ConvertTo-OvsInterfaceObject -Database $Database
        }
    }
}
