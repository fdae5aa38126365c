function Get-OvsFlow {
    <#
    .SYNOPSIS
    Gets the OpenFlow rules of a bridge (ovs-ofctl dump-flows).
    .DESCRIPTION
    Returns the bridge's OpenFlow rules as OpenVSwitch.Flow objects with table, priority, match,
    actions, cookie, timeouts and counters (packets, bytes, duration). -Match filters as
    ovs-ofctl dump-flows BRIDGE MATCH does.
    .PARAMETER Bridge
    The bridge; accepts pipeline input by property name (Bridge, or Name of a bridge object).
    .PARAMETER Match
    A flow match in ovs-ofctl syntax, e.g. 'table=0,in_port=1' or 'ip,nw_dst=10.0.0.0/24'.
    .PARAMETER Table
    Only rules of this table.
    .PARAMETER InputObject
    A bridge object from Get-OvsBridge.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Get-OvsFlow -Bridge br-int
    Lists br-int's rules; a new bridge has priority=0,actions=NORMAL.
    .EXAMPLE
    Get-OvsBridge | Get-OvsFlow | Sort-Object Packets -Descending | Select-Object -First 5
    The five busiest rules on any bridge.
    .OUTPUTS
    OpenVSwitch.Flow
    #>
    [CmdletBinding()]
    [OutputType('OpenVSwitch.Flow')]
    param(
        [Parameter(Position = 0, ValueFromPipelineByPropertyName)]
        [Alias('BridgeName')]
        [string]$Bridge,
        [Parameter(Position = 1)]
        [string]$Match,
        [ValidateRange(0, 254)]
        [Nullable[int]]$Table,
        [Parameter(ValueFromPipeline)]
        [PSTypeName('OpenVSwitch.Bridge')]
        [psobject]$InputObject,
        [string]$Database
    )
    process {
        if ($InputObject) { $Bridge = $InputObject.Name }
        if (-not $Bridge) { $PSCmdlet.WriteError((New-OvsArgumentError -Message 'Get-OvsFlow needs -Bridge.' -Target $null)); return }
        $m = $Match
        if ($null -ne $Table) { $m = if ($m) { "table=$Table,$m" } else { "table=$Table" } }
        try {
            $ofArgs = @()
            if ($m) { $ofArgs += $m }
            $result = Invoke-OvsRpc -Method 'ovsps/ofctl' -Params @(@{ command = 'dump-flows'; bridge = $Bridge; args = @($ofArgs) }) -Database $Database
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Bridge
            return
        }
        foreach ($f in @($result.flows)) {
            [pscustomobject]@{
                PSTypeName  = 'OpenVSwitch.Flow'
                Bridge      = $Bridge
                Table       = [int]$f.table
                Priority    = [int]$f.priority
                Match       = [string]$f.match
                Actions     = [string]$f.actions
                Cookie      = [string]$f.cookie
                Packets     = [long]$f.packets
                Bytes       = [long]$f.bytes
                Duration    = [double]$f.duration
                IdleTimeout = [int]$f.idleTimeout
                HardTimeout = [int]$f.hardTimeout
                Text        = [string]$f.text
            }
        }
    }
}
