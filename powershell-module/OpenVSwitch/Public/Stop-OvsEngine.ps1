function Stop-OvsEngine {
    <#
    .SYNOPSIS
    Stops the Open vSwitch engine.
    .DESCRIPTION
    Asks the engine serving -RunDirectory (or -Database) to exit cleanly (committing and closing
    the database, as `ovs-appctl exit` does) and waits until it has. Stopping an engine that is not
    running is not an error.
    .PARAMETER RunDirectory
    The engine's run directory (where db.sock is).
    .PARAMETER Database
    The engine's socket address instead of -RunDirectory.
    .PARAMETER TimeoutSeconds
    How long to wait for the process to end before killing it (default 15).
    .EXAMPLE
    Stop-OvsEngine -RunDirectory ./var/run/openvswitch
    Stops the engine started with that run directory.
    .EXAMPLE
    Get-OvsEngine | Stop-OvsEngine
    Stops the default engine.
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType([void])]
    param(
        [Parameter(Position = 0, ValueFromPipelineByPropertyName)]
        [string]$RunDirectory,
        [Parameter(ValueFromPipelineByPropertyName)]
        [Alias('Socket')]
        [string]$Database,
        [ValidateRange(1, 600)]
        [int]$TimeoutSeconds = 15
    )
    process {
        $run = if ($RunDirectory) { $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($RunDirectory) } else { $null }
        $target = Get-OvsRunDirectoryTarget -RunDirectory $run -Database $Database
        $engine = Get-OvsEngine -Database $target
        if (-not $engine.Running) { Write-Verbose "no engine is answering on $target"; return }
        if (-not $PSCmdlet.ShouldProcess("pid $($engine.Pid) on $target", 'Stop Open vSwitch engine')) { return }
        try {
            try { $null = Invoke-OvsRpc -Method 'ovsps/exit' -Params @() -Database $target } catch { Write-Verbose "exit request: $_" }
            Disconnect-OvsEngineSocket -Target $target
            $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
            while ([DateTime]::UtcNow -lt $deadline) {
                if (-not (Get-Process -Id $engine.Pid -ErrorAction SilentlyContinue)) { return }
                Start-Sleep -Milliseconds 50
            }
            Write-Warning "The engine (pid $($engine.Pid)) did not exit within $TimeoutSeconds s; killing it."
            Stop-Process -Id $engine.Pid -Force -ErrorAction Stop
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $target
        }
    }
}
