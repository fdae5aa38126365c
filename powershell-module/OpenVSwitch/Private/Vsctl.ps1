# Runs ovs-vsctl commands through the engine's command library (one transaction for all commands).
# Each command is an argument vector exactly as ovs-vsctl takes it, e.g. @('--may-exist','add-br','br0').

function Invoke-OvsVsctlCommand {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)][object[]]$Commands,
        [string]$Database,
        [switch]$DryRun,
        [int]$TimeoutSeconds = 0,
        # Rows to return with the reply: @{ kind = 'bridges'|'ports'|'interfaces'; name = ...; bridge = ... }.
        [hashtable]$View
    )
    $cmds = [System.Collections.Generic.List[object]]::new()
    foreach ($c in $Commands) { $cmds.Add([string[]]@($c)) }
    $request = @{ commands = $cmds.ToArray(); dryRun = [bool]$DryRun }
    if ($TimeoutSeconds -gt 0) { $request.timeout = $TimeoutSeconds }
    if ($View) { $request.view = $View }
    return Invoke-OvsRpc -Method 'ovsps/vsctl' -Params @($request) -Database $Database
}

# Formats an ovs-vsctl value from PowerShell data: hashtables -> {k=v,...}, arrays -> [a,b].
function ConvertTo-OvsVsctlValue {
    [CmdletBinding()]
    [OutputType([string])]
    param($Value)
    $quote = {
        param($s)
        $s = [string]$s
        if ($s -match '^[A-Za-z0-9_.\-:/]+$' -and $s -notmatch '^-?\d') { return $s }
        if ($s -match '^-?\d+$') { return $s }
        return '"' + ($s -replace '\\', '\\' -replace '"', '\"') + '"'
    }
    if ($Value -is [System.Collections.IDictionary]) {
        $parts = foreach ($k in $Value.Keys) { (& $quote $k) + '=' + (& $quote $Value[$k]) }
        return '{' + ($parts -join ',') + '}'
    }
    if ($Value -is [System.Collections.IEnumerable] -and $Value -isnot [string]) {
        return '[' + ((@($Value) | ForEach-Object { & $quote $_ }) -join ',') + ']'
    }
    if ($Value -is [bool]) { return $Value.ToString().ToLowerInvariant() }
    return & $quote $Value
}
