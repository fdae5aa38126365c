function Get-OvsEngine {
    <#
    .SYNOPSIS
    Gets the state of the Open vSwitch engine: running, pid, version, database and sockets.
    .DESCRIPTION
    Asks the engine on -RunDirectory / -Database (default: the local engine) who it is. When no
    engine answers, returns an object with Running = $false rather than an error.
    .PARAMETER RunDirectory
    The engine's run directory (where db.sock is).
    .PARAMETER Database
    The engine's socket address instead of -RunDirectory.
    .EXAMPLE
    Get-OvsEngine
    Shows whether the local engine runs, its pid, version and database.
    .EXAMPLE
    (Get-OvsEngine -RunDirectory $dir).Running
    True when an engine serves $dir.
    .OUTPUTS
    OpenVSwitch.Engine
    #>
    [CmdletBinding()]
    [OutputType('OpenVSwitch.Engine')]
    param(
        [Parameter(Position = 0)]
        [string]$RunDirectory,
        [string]$Database
    )
    $run = if ($RunDirectory) { $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($RunDirectory) } else { $null }
    $target = Get-OvsRunDirectoryTarget -RunDirectory $run -Database $Database
    $info = $null
    try { $info = Invoke-OvsRpc -Method 'ovsps/info' -Params @() -Database $target } catch {
        Write-Verbose "no answer from $target`: $($_.Exception.Message)"
        Disconnect-OvsEngineSocket -Target $target
    }
    [pscustomobject]@{
        PSTypeName    = 'OpenVSwitch.Engine'
        Running       = $null -ne $info
        Pid           = if ($info) { [int]$info.pid } else { $null }
        Version       = if ($info) { [string]$info.version } else { $null }
        DatabasePath  = if ($info) { [string]$info.databasePath } else { $null }
        RunDirectory  = if ($info) { [string]$info.runDirectory } else { $run }
        Socket        = $target
        SwitchRunning = if ($info) { [bool]$info.switchRunning } else { $false }
        StartTime     = if ($info -and $info.startTime) { [DateTime]::Parse([string]$info.startTime).ToUniversalTime() } else { $null }
    }
}
