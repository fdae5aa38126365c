function Start-OvsEngine {
    <#
    .SYNOPSIS
    Starts the Open vSwitch engine (database server and switch in one process).
    .DESCRIPTION
    Starts the engine detached, serving -DatabasePath on a socket in -RunDirectory (db.sock, with
    its pidfile and control socket there too, and its log in -LogDirectory), and returns once the
    engine answers, as an OpenVSwitch.Engine object. Creates the database first if it is missing.
    .PARAMETER DatabasePath
    The database file; created from the schema when missing.
    .PARAMETER RunDirectory
    Directory for db.sock, the pidfile and the control socket.
    .PARAMETER LogDirectory
    Directory for the engine's log; default the run directory.
    .PARAMETER NoSwitch
    Run only the database server (like ovsdb-server without ovs-vswitchd).
    .PARAMETER DatapathTransport
    How the switch reaches its datapath: userspace (TAP devices, Linux), windows (the Hyper-V
    extension's device) or windows-sim; default: the engine's choice for the platform.
    .PARAMETER TimeoutSeconds
    How long to wait for the engine to answer (default 30).
    .EXAMPLE
    Start-OvsEngine -DatabasePath ./var/lib/openvswitch/conf.db -RunDirectory ./var/run/openvswitch
    Starts the engine with the project's default layout.
    .EXAMPLE
    $e = Start-OvsEngine -DatabasePath $db -RunDirectory $dir; New-OvsBridge br0 -Database $e.Socket
    Starts a private engine and talks to it.
    .OUTPUTS
    OpenVSwitch.Engine
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Low')]
    [OutputType('OpenVSwitch.Engine')]
    param(
        [Parameter(Mandatory, Position = 0)]
        [string]$DatabasePath,
        [Parameter(Mandatory, Position = 1)]
        [string]$RunDirectory,
        [string]$LogDirectory,
        [switch]$NoSwitch,
        [ValidateSet('userspace', 'windows', 'windows-sim')]
        [string]$DatapathTransport,
        [ValidateRange(1, 600)]
        [int]$TimeoutSeconds = 30
    )
    $db = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($DatabasePath)
    $run = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($RunDirectory)
    $log = if ($LogDirectory) { $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($LogDirectory) } else { $run }
    $target = Get-OvsRunDirectoryTarget -RunDirectory $run
    if (-not $PSCmdlet.ShouldProcess("$db (sockets in $run)", 'Start Open vSwitch engine')) { return }
    try {
        $existing = Get-OvsEngine -RunDirectory $run
        if ($existing.Running) {
            $ex = [OvsEngineException]::new('OVS_E_ENGINE_RUNNING', "An engine (pid $($existing.Pid)) is already serving $target.", $target)
            $PSCmdlet.WriteError((New-OvsErrorRecord -Exception $ex -Target $run -Category ResourceExists))
            return
        }
        foreach ($d in @($run, $log)) { if (-not (Test-Path -LiteralPath $d)) { $null = New-Item -ItemType Directory -Path $d -Force } }
        if (-not (Test-Path -LiteralPath $db)) { $null = Initialize-OvsDatabase -Path $db -ErrorAction Stop -Confirm:$false }
        $main = Get-OvsEngineScript -Relative '.build/engine/ovs-engine.js'
        $argv = @($db, "--rundir=$run", "--logdir=$log", '--detach')
        if ($NoSwitch) { $argv += '--no-switch' }
        if ($DatapathTransport) { $argv += "--datapath-transport=$DatapathTransport" }
        Write-Verbose "starting: node $main $($argv -join ' ')"
        Disconnect-OvsEngineSocket -Target $target
        $r = Invoke-OvsNodeTool -Script $main -Arguments $argv
        if ($r.ExitCode -ne 0) { throw [OvsEngineException]::new('OVS_E_ENGINE_START', "The engine failed to start (exit $($r.ExitCode)): $($r.Output)", $db) }
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        do {
            $engine = Get-OvsEngine -RunDirectory $run
            if ($engine.Running) { return $engine }
            Start-Sleep -Milliseconds 100
        } while ([DateTime]::UtcNow -lt $deadline)
        throw [OvsEngineException]::new('OVS_E_ENGINE_TIMEOUT', "The engine did not answer on $target within $TimeoutSeconds s; see the log in $log.", $target)
    } catch {
        Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $db
    }
}
