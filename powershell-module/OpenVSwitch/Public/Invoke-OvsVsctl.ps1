function Invoke-OvsVsctl {
    <#
    .SYNOPSIS
    Runs raw ovs-vsctl arguments through the engine (escape hatch); returns ovs-vsctl's text output.
    .DESCRIPTION
    Takes the arguments exactly as ovs-vsctl does, including global options and "--" separated
    commands, which all run in one transaction, and returns the output text. Use it for anything the
    typed cmdlets do not cover.
    .PARAMETER Arguments
    The ovs-vsctl arguments, e.g. 'set', 'Bridge', 'br-int', 'stp_enable=true'.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Invoke-OvsVsctl list-br
    Prints each bridge name on its own line.
    .EXAMPLE
    Invoke-OvsVsctl -- --may-exist add-br br0 -- set Bridge br0 stp_enable=true
    Two commands in one transaction.
    .OUTPUTS
    System.String
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType([string])]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromRemainingArguments)]
        [string[]]$Arguments,
        [string]$Database
    )
    $readOnly = @('show', 'list-br', 'br-exists', 'br-to-vlan', 'br-to-parent', 'br-get-external-id', 'list-ports', 'port-to-br',
        'list-ifaces', 'iface-to-br', 'get-controller', 'get-fail-mode', 'get-manager', 'list', 'find', 'get', 'wait-until')
    $verbs = @($Arguments | Where-Object { $_ -notlike '-*' } | Select-Object -First 1)
    $isRead = $verbs.Count -gt 0 -and $readOnly -contains $verbs[0] -and -not ($Arguments -contains '--')
    if (-not $isRead -and -not $PSCmdlet.ShouldProcess(($Arguments -join ' '), 'ovs-vsctl')) { return }
    try {
        $r = Invoke-OvsRpc -Method 'ovsps/vsctl' -Params @(@{ argv = @($Arguments) }) -Database $Database
        $text = ($r.outputs -join '')
        if ($text) { $text.TrimEnd("`n") -split "`n" }
    } catch {
        Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target ($Arguments -join ' ')
    }
}
