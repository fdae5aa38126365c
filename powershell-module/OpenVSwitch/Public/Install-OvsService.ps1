function Install-OvsService {
    <#
    .SYNOPSIS
    Registers the engine as a service (Windows service, or a systemd unit on Linux).
    .DESCRIPTION
    -Mode Engine (default) registers one service, ovs-engine, running database server and switch in
    one process. -Mode Split registers the seed's pair, ovsdb-server and ovs-vswitchd (the latter
    depending on the former), with the seed's arguments. On Windows this is New-Service (what
    `sc create` does) with ovs-service-host.exe as the binary (node.exe cannot answer the service
    control manager; the host starts node with the engine, stops it gracefully, and logs to
    <LogDirectory>\<name>-service-host.log), and recovery actions that restart the service when the
    engine fails (`sc failure` restart after 5 s, 10 s, 60 s; `sc failureflag 1`). On Linux it
    writes <name>.service unit files into -UnitPath and says so (enable them with systemctl).

    Test-OvsPrerequisite runs first; a check with Status Fail stops the install unless -Force.
    Returns the service definitions with their command lines.
    .PARAMETER DatabasePath
    The database the service serves. Default: the one default layout, C:\ProgramData\openvswitch\conf.db
    on Windows (what the MSI creates), <engine>/var/lib/openvswitch/conf.db elsewhere.
    .PARAMETER RunDirectory
    Directory for sockets and pidfiles. Default C:\ProgramData\openvswitch\run on Windows.
    .PARAMETER LogDirectory
    Directory for logs. Default C:\ProgramData\openvswitch\log on Windows; elsewhere the run
    directory when -RunDirectory is given, else <engine>/var/log/openvswitch.
    .PARAMETER Mode
    Engine (one service) or Split (ovsdb-server + ovs-vswitchd).
    .PARAMETER Name
    Service name in Engine mode; default ovs-engine.
    .PARAMETER UnitPath
    Linux: directory for the unit files (e.g. /etc/systemd/system). Required on Linux.
    .PARAMETER StartupType
    Windows start type: Automatic (default) or Manual.
    .PARAMETER Reconcile
    Engine mode: start the engine with --reconcile, so at every start (after a reboot) it re-applies
    the desired state of the database: re-creates the datapath ports of every configured interface,
    re-creates test VMs whose definition the database records, retries interfaces whose devices
    are still missing for a while (VMs that start later), and writes what it could not restore to
    <RunDirectory>/reconcile-report.json and its log.
    .PARAMETER Force
    Install even when Test-OvsPrerequisite reports a failed check.
    .EXAMPLE
    Install-OvsService -Reconcile
    Registers ovs-engine on Windows with the default paths under C:\ProgramData\openvswitch.
    .EXAMPLE
    Install-OvsService -Mode Split -DatabasePath /var/lib/openvswitch/conf.db -RunDirectory /run/openvswitch -UnitPath /etc/systemd/system
    Writes ovsdb-server.service and ovs-vswitchd.service.
    .OUTPUTS
    OpenVSwitch.ServiceDefinition
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('OpenVSwitch.ServiceDefinition')]
    param(
        [string]$DatabasePath,
        [string]$RunDirectory,
        [string]$LogDirectory,
        [ValidateSet('Engine', 'Split')][string]$Mode = 'Engine',
        [string]$Name,
        [string]$UnitPath,
        [ValidateSet('Automatic', 'Manual')][string]$StartupType = 'Automatic',
        [switch]$Reconcile,
        [switch]$Force
    )
    $defaults = Get-OvsDefaultDirectory
    $resolvePath = { param($p) $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($p) }
    $db = & $resolvePath $(if ($DatabasePath) { $DatabasePath } else { $defaults.DatabasePath })
    $run = & $resolvePath $(if ($RunDirectory) { $RunDirectory } else { $defaults.RunDirectory })
    $log = if ($LogDirectory) { & $resolvePath $LogDirectory } elseif ($RunDirectory -and -not $IsWindows) { $run } else { & $resolvePath $defaults.LogDirectory }
    if (-not $IsWindows -and -not $UnitPath) {
        $PSCmdlet.WriteError((New-OvsArgumentError -Message 'On Linux, Install-OvsService writes systemd unit files: give -UnitPath (e.g. /etc/systemd/system).' -Target $null -ErrorId 'OVS_E_NO_UNIT_PATH'))
        return
    }
    if ($Reconcile -and $Mode -ne 'Engine') {
        $PSCmdlet.WriteError((New-OvsArgumentError -Message '-Reconcile is an option of the one-process engine (-Mode Engine); the split ovs-vswitchd re-applies the database at start as OVS does.' -Target $Mode -ErrorId 'OVS_E_RECONCILE_MODE'))
        return
    }

    $checks = @(Test-OvsPrerequisite -DataDirectory (Split-Path -Path $db -Parent))
    $failed = @($checks | Where-Object Status -eq 'Fail')
    foreach ($c in @($checks | Where-Object Status -eq 'Warn')) { Write-Warning "prerequisite $($c.Name): $($c.Detail) $($c.Fix)" }
    if ($failed.Count) {
        $text = ($failed | ForEach-Object { "$($_.Name): $($_.Detail) Fix: $($_.Fix)" }) -join '; '
        if (-not $Force) {
            $PSCmdlet.WriteError((New-OvsArgumentError -Message "Prerequisite checks failed ($text). Fix them, or install anyway with -Force." -Target $failed -ErrorId 'OVS_E_PREREQUISITE'))
            return
        }
        Write-Warning "installing despite failed prerequisite checks (-Force): $text"
    }

    try {
        $defs = Get-OvsServiceDefinition -Mode $Mode -Name $Name -DatabasePath $db -RunDirectory $run -LogDirectory $log -Reconcile:$Reconcile -ServiceHost:$IsWindows
    } catch {
        Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Name
        return
    }
    foreach ($def in $defs) {
        $out = [pscustomobject]@{ PSTypeName = 'OpenVSwitch.ServiceDefinition'; Name = $def.Name; CommandLine = $def.CommandLine; DependsOn = $def.DependsOn; UnitFile = $null; Platform = if ($IsWindows) { 'Windows' } else { 'systemd' } }
        try {
            if ($IsWindows) {
                if (-not $PSCmdlet.ShouldProcess($def.Name, "Create Windows service: $($def.CommandLine)")) { continue }
                foreach ($d in $run, $log) { if (-not (Test-Path -LiteralPath $d)) { $null = New-Item -ItemType Directory -Path $d -Force } }
                $params = @{ Name = $def.Name; BinaryPathName = $def.CommandLine; DisplayName = $def.DisplayName; StartupType = $StartupType; Description = "$($def.DisplayName) (ovs-powershell)" }
                if ($def.DependsOn.Count) { $params.DependsOn = $def.DependsOn }
                $null = New-Service @params -ErrorAction Stop
                Set-OvsServiceRecovery -Name $def.Name
            } else {
                $unitDir = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($UnitPath)
                $file = Join-Path $unitDir "$($def.Name).service"
                $out.UnitFile = $file
                if (-not $PSCmdlet.ShouldProcess($file, "Write systemd unit: $($def.CommandLine)")) { continue }
                if (-not (Test-Path -LiteralPath $unitDir)) { $null = New-Item -ItemType Directory -Path $unitDir -Force }
                Set-Content -LiteralPath $file -Value (New-OvsSystemdUnit -Definition $def -RunDirectory $run -LogDirectory $log) -Encoding utf8NoBOM
                Write-Information "Wrote $file; enable it with: systemctl daemon-reload; systemctl enable --now $($def.Name)" -InformationAction Continue
            }
            $out
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $def.Name
        }
    }
}
