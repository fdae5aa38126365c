function Install-OvsService {
    <#
    .SYNOPSIS
    Registers the engine as a service (Windows service, or a systemd unit on Linux).
    .DESCRIPTION
    -Mode Engine (default) registers one service, ovs-engine, running database server and switch in
    one process. -Mode Split registers the seed's pair, ovsdb-server and ovs-vswitchd (the latter
    depending on the former), with the seed's arguments. On Windows this is New-Service (what
    `sc create` does); on Linux it writes <name>.service unit files into -UnitPath and says so
    (enable them with systemctl). Returns the service definitions with their command lines.
    .PARAMETER DatabasePath
    The database the service serves.
    .PARAMETER RunDirectory
    Directory for sockets and pidfiles.
    .PARAMETER LogDirectory
    Directory for logs; default the run directory.
    .PARAMETER Mode
    Engine (one service) or Split (ovsdb-server + ovs-vswitchd).
    .PARAMETER Name
    Service name in Engine mode; default ovs-engine.
    .PARAMETER UnitPath
    Linux: directory for the unit files (e.g. /etc/systemd/system). Required on Linux.
    .PARAMETER StartupType
    Windows start type: Automatic (default) or Manual.
    .EXAMPLE
    Install-OvsService -DatabasePath C:\openvswitch\etc\openvswitch\conf.db -RunDirectory C:\openvswitch\var\run\openvswitch
    Registers ovs-engine on Windows.
    .EXAMPLE
    Install-OvsService -Mode Split -DatabasePath /var/lib/openvswitch/conf.db -RunDirectory /run/openvswitch -UnitPath /etc/systemd/system
    Writes ovsdb-server.service and ovs-vswitchd.service.
    .OUTPUTS
    OpenVSwitch.ServiceDefinition
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('OpenVSwitch.ServiceDefinition')]
    param(
        [Parameter(Mandatory)][string]$DatabasePath,
        [Parameter(Mandatory)][string]$RunDirectory,
        [string]$LogDirectory,
        [ValidateSet('Engine', 'Split')][string]$Mode = 'Engine',
        [string]$Name,
        [string]$UnitPath,
        [ValidateSet('Automatic', 'Manual')][string]$StartupType = 'Automatic'
    )
    $db = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($DatabasePath)
    $run = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($RunDirectory)
    $log = if ($LogDirectory) { $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($LogDirectory) } else { $run }
    if (-not $IsWindows -and -not $UnitPath) {
        $PSCmdlet.WriteError((New-OvsArgumentError -Message 'On Linux, Install-OvsService writes systemd unit files: give -UnitPath (e.g. /etc/systemd/system).' -Target $null -ErrorId 'OVS_E_NO_UNIT_PATH'))
        return
    }
    foreach ($def in (Get-OvsServiceDefinition -Mode $Mode -Name $Name -DatabasePath $db -RunDirectory $run -LogDirectory $log)) {
        $out = [pscustomobject]@{ PSTypeName = 'OpenVSwitch.ServiceDefinition'; Name = $def.Name; CommandLine = $def.CommandLine; DependsOn = $def.DependsOn; UnitFile = $null; Platform = if ($IsWindows) { 'Windows' } else { 'systemd' } }
        try {
            if ($IsWindows) {
                if (-not $PSCmdlet.ShouldProcess($def.Name, "Create Windows service: $($def.CommandLine)")) { continue }
                $params = @{ Name = $def.Name; BinaryPathName = $def.CommandLine; DisplayName = $def.DisplayName; StartupType = $StartupType; Description = "$($def.DisplayName) (ovs-powershell)" }
                if ($def.DependsOn.Count) { $params.DependsOn = $def.DependsOn }
                $null = New-Service @params -ErrorAction Stop
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
