function Remove-OvsFlow {
    <#
    .SYNOPSIS
    Removes OpenFlow rules from a bridge (ovs-ofctl del-flows).
    .DESCRIPTION
    Deletes the rules that match -Match (all rules when omitted; -Strict matches priority and the
    exact match as ovs-ofctl --strict does). Datapath flows that depended on them are removed at once.
    .PARAMETER Bridge
    The bridge; accepts pipeline input by property name (Bridge of a flow object).
    .PARAMETER Match
    A match in ovs-ofctl syntax; accepts the Match of flow objects from Get-OvsFlow.
    .PARAMETER Priority
    The rule's priority (bound from Get-OvsFlow objects); used with -Strict.
    .PARAMETER Table
    Only rules of this table (bound from Get-OvsFlow objects).
    .PARAMETER Strict
    Match priority and wildcards exactly (needs the rule's priority in -Match).
    .PARAMETER Force
    Do not ask for confirmation when deleting every rule.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Remove-OvsFlow -Bridge br-int -Match 'ip,nw_dst=10.0.0.3'
    Removes the drop rule added in Add-OvsFlow's example.
    .EXAMPLE
    Get-OvsFlow br-int | Where-Object Priority -eq 100 | Remove-OvsFlow -Strict
    Removes exactly the priority-100 rules.
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType([void])]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)]
        [Alias('BridgeName')]
        [string]$Bridge,
        [Parameter(Position = 1, ValueFromPipelineByPropertyName)]
        [string]$Match,
        [Parameter(ValueFromPipelineByPropertyName)]
        [Nullable[int]]$Priority,
        [Parameter(ValueFromPipelineByPropertyName)]
        [Nullable[int]]$Table,
        [switch]$Strict,
        [switch]$Force,
        [string]$Database
    )
    begin {
        if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) { $ConfirmPreference = 'None' }
    }
    process {
        $m = $Match
        if ($Strict -and $null -ne $Priority -and $m -notmatch 'priority=') { $m = if ($m) { "priority=$Priority,$m" } else { "priority=$Priority" } }
        if ($null -ne $Table -and $m -notmatch 'table=') { $m = if ($m) { "table=$Table,$m" } else { "table=$Table" } }
        $what = if ($m) { "Remove OpenFlow rules matching '$m'" } else { 'Remove ALL OpenFlow rules' }
        if (-not $m -and -not $Force -and -not $PSCmdlet.ShouldContinue("Remove every OpenFlow rule of $Bridge? Traffic stops until rules are added back.", 'Remove-OvsFlow')) { return }
        if (-not $PSCmdlet.ShouldProcess($Bridge, $what)) { return }
        try {
            $ofArgs = @()
            if ($m) { $ofArgs += $m }
            $null = Invoke-OvsRpc -Method 'ovsps/ofctl' -Params @(@{ command = 'del-flows'; bridge = $Bridge; args = @($ofArgs); strict = [bool]$Strict }) -Database $Database
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Bridge
        }
    }
}
