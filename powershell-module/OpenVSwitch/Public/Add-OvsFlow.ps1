function Add-OvsFlow {
    <#
    .SYNOPSIS
    Adds OpenFlow rules to a bridge (ovs-ofctl add-flow / add-flows).
    .DESCRIPTION
    Adds one or more rules written in ovs-ofctl flow syntax. Rules take effect at once: existing
    datapath flows they change are revalidated. Several rules (pipeline or array) are added
    together; a syntax error in any rejects them all and names the bad token.
    .PARAMETER Bridge
    The bridge.
    .PARAMETER Flow
    Rules in ovs-ofctl syntax, e.g. 'priority=100,in_port=1,actions=drop'.
    .PARAMETER Path
    A file with one rule per line (as ovs-ofctl add-flows BRIDGE FILE); # starts a comment.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Add-OvsFlow -Bridge br-int -Flow 'priority=100,ip,nw_dst=10.0.0.3,actions=drop'
    Drops IPv4 traffic to 10.0.0.3.
    .EXAMPLE
    Get-Content rules.txt | Add-OvsFlow -Bridge br-int
    Adds every rule of rules.txt.
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium', DefaultParameterSetName = 'Flow')]
    [OutputType([void])]
    param(
        [Parameter(Mandatory, Position = 0)]
        [Alias('BridgeName')]
        [string]$Bridge,
        [Parameter(Mandatory, Position = 1, ValueFromPipeline, ParameterSetName = 'Flow')]
        [string[]]$Flow,
        [Parameter(Mandatory, ParameterSetName = 'Path')]
        [string]$Path,
        [string]$Database
    )
    begin { $all = [System.Collections.Generic.List[string]]::new() }
    process {
        if ($PSCmdlet.ParameterSetName -eq 'Path') {
            if (-not (Test-Path -LiteralPath $Path)) {
                $PSCmdlet.WriteError((New-OvsArgumentError -Message "Flow file '$Path' does not exist." -Target $Path -ErrorId 'OVS_E_NO_FILE'))
                return
            }
            foreach ($line in Get-Content -LiteralPath $Path) { $all.Add($line) }
        } else {
            foreach ($f in $Flow) { $all.Add($f) }
        }
    }
    end {
        $rules = @($all | ForEach-Object { $_.Trim() } | Where-Object { $_ -and -not $_.StartsWith('#') })
        if ($rules.Count -eq 0) { return }
        if (-not $PSCmdlet.ShouldProcess($Bridge, "Add $($rules.Count) OpenFlow rule(s)")) { return }
        try {
            $null = Invoke-OvsRpc -Method 'ovsps/ofctl' -Params @(@{ command = 'add-flows'; bridge = $Bridge; flows = $rules }) -Database $Database
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Bridge
        }
    }
}
