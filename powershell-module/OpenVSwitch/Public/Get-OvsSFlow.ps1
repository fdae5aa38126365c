function Get-OvsSFlow {
    <#
    .SYNOPSIS
    Gets the sFlow configuration of Open vSwitch bridges.
    .DESCRIPTION
    Returns one OpenVSwitch.SFlow object per bridge that has sFlow turned on: targets, sampling
    rate, polling interval, header bytes and agent (empty values mean OVS's defaults).
    .PARAMETER Bridge
    Only this bridge; accepts pipeline input by property name.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Get-OvsSFlow
    Which bridges export sFlow, and where to.
    .EXAMPLE
    Get-OvsBridge br-int | Get-OvsSFlow
    br-int's sFlow settings.
    .OUTPUTS
    OpenVSwitch.SFlow
    #>
    [CmdletBinding()]
    [OutputType('OpenVSwitch.SFlow')]
    param(
        [Parameter(Position = 0, ValueFromPipelineByPropertyName)]
        [Alias('BridgeName')]
        [string]$Bridge,
        [string]$Database
    )
    process {
        $filter = @{}
        if ($Bridge) { $filter.bridge = $Bridge }
        try {
            $views = @(Invoke-OvsRpc -Method 'ovsps/sflow' -Params @($filter) -Database $Database)
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Bridge
            return
        }
        foreach ($v in $views) {
            [pscustomobject]@{
                PSTypeName = 'OpenVSwitch.SFlow'
                Bridge     = [string]$v.bridge
                Target     = [string[]]@($v.targets)
                Sampling   = if ($null -ne $v.sampling) { [int]$v.sampling } else { $null }
                Polling    = if ($null -ne $v.polling) { [int]$v.polling } else { $null }
                Header     = if ($null -ne $v.header) { [int]$v.header } else { $null }
                Agent      = if ($null -ne $v.agent) { [string]$v.agent } else { $null }
            }
        }
    }
}
