function Test-OvsEngine {
    <#
    .SYNOPSIS
    Checks the engine's health and says what is wrong.
    .DESCRIPTION
    Returns $true when the engine answers, the switch has applied the latest configuration
    (cur_cfg = next_cfg) and every port of the database is in the datapath; otherwise writes a
    warning per failed check and returns $false. -Detailed returns the individual checks.
    .PARAMETER RunDirectory
    The engine's run directory (where db.sock is).
    .PARAMETER Database
    The engine's socket address instead of -RunDirectory.
    .PARAMETER Detailed
    Return OpenVSwitch.HealthCheck objects (Name, Healthy, Detail) instead of one boolean.
    .EXAMPLE
    Test-OvsEngine
    True when all is well.
    .EXAMPLE
    Test-OvsEngine -Detailed | Where-Object { -not $_.Healthy }
    Lists only the failing checks, with the reason.
    .OUTPUTS
    System.Boolean
    #>
    [CmdletBinding()]
    [OutputType([bool], [psobject])]
    param(
        [Parameter(Position = 0)]
        [string]$RunDirectory,
        [string]$Database,
        [switch]$Detailed
    )
    $run = if ($RunDirectory) { $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($RunDirectory) } else { $null }
    $target = Get-OvsRunDirectoryTarget -RunDirectory $run -Database $Database
    $checks = @()
    try {
        $h = Invoke-OvsRpc -Method 'ovsps/health' -Params @() -Database $target
        $checks += [pscustomobject]@{ PSTypeName = 'OpenVSwitch.HealthCheck'; Name = 'engine'; Healthy = $true; Detail = "answering on $target" }
        foreach ($c in @($h.checks)) {
            $checks += [pscustomobject]@{ PSTypeName = 'OpenVSwitch.HealthCheck'; Name = [string]$c.name; Healthy = [bool]$c.ok; Detail = [string]$c.detail }
        }
    } catch {
        Disconnect-OvsEngineSocket -Target $target
        $checks += [pscustomobject]@{ PSTypeName = 'OpenVSwitch.HealthCheck'; Name = 'engine'; Healthy = $false; Detail = $_.Exception.Message }
    }
    if ($Detailed) { return $checks }
    foreach ($c in $checks | Where-Object { -not $_.Healthy }) { Write-Warning "$($c.Name): $($c.Detail)" }
    return -not ($checks | Where-Object { -not $_.Healthy })
}
