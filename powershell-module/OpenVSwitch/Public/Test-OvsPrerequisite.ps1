function Test-OvsPrerequisite {
    <#
    .SYNOPSIS
    Checks that this machine can run the Open vSwitch engine, and says how to fix what is missing.
    .DESCRIPTION
    Returns one OpenVSwitch.PrerequisiteCheck object per check (Name, Status Pass/Warn/Fail, Detail,
    Fix). Install-OvsService runs it (and stops on a Fail unless -Force); the MSI writes its report
    to C:\ProgramData\openvswitch\log\install-prerequisites.txt and does not start the service when
    a check fails.

    On Windows: HyperV (the Hyper-V role, Win32_OptionalFeature), OvsExtension (the "Open vSwitch
    Extension" Hyper-V switch extension: installed, and on which switch it is enabled, from
    root\virtualization\v2), DriverSigning (Secure Boot and test-signing state, read from the
    registry: whether a test-signed OVS driver could load; the choice between a production-signed
    driver and test-signing with Secure Boot off is left to you and nothing is changed),
    DotNetFramework (4.8, which the service host ovs-service-host.exe runs on),
    NodeVersion, FreeDisk, PortConflict (a running engine or ovsdb-server for the run directory,
    its db.sock pipe, or the services of another Open vSwitch install).
    On Linux: NetAdmin (root or CAP_NET_ADMIN), TunDevice (/dev/net/tun), NetworkNamespaces (netns
    and iproute2, for test VMs), NodeVersion, FreeDisk, PortConflict.
    .PARAMETER DataDirectory
    Where the database lives (free space is checked there). Default: the default data directory
    (C:\ProgramData\openvswitch on Windows).
    .PARAMETER RunDirectory
    The run directory checked for a running engine. Default: the default run directory.
    .PARAMETER Quiet
    Return only $true (no check failed) or $false.
    .EXAMPLE
    Test-OvsPrerequisite
    Lists the checks as a table.
    .EXAMPLE
    Test-OvsPrerequisite | Where-Object Status -ne 'Pass' | Format-List Name, Detail, Fix
    Shows what needs attention and how to fix it.
    .EXAMPLE
    if (-not (Test-OvsPrerequisite -Quiet)) { throw 'this host cannot run Open vSwitch' }
    Gates a deployment script.
    .OUTPUTS
    OpenVSwitch.PrerequisiteCheck
    #>
    [CmdletBinding()]
    [OutputType('OpenVSwitch.PrerequisiteCheck', [bool])]
    param(
        [string]$DataDirectory,
        [string]$RunDirectory,
        [switch]$Quiet
    )
    $defaults = Get-OvsDefaultDirectory
    if (-not $DataDirectory) { $DataDirectory = Split-Path -Path $defaults.DatabasePath -Parent }
    if (-not $RunDirectory) { $RunDirectory = $defaults.RunDirectory }
    $platform = Get-OvsPrereqPlatform
    $checks = [System.Collections.Generic.List[object]]::new()
    if ($platform -eq 'Windows') {
        $checks.Add((Test-OvsPrereqHyperV))
        $ext = Test-OvsPrereqExtension
        $checks.Add($ext)
        $checks.Add((Test-OvsPrereqDriverSigning -ExtensionRunning ($ext.Status -eq 'Pass' -or $ext.Detail -match 'enabled on more than one')))
        $checks.Add((Test-OvsPrereqDotNet))
    } elseif ($platform -eq 'Linux') {
        foreach ($c in @(Test-OvsPrereqLinux)) { $checks.Add($c) }
    }
    $checks.Add((Test-OvsPrereqNode))
    $checks.Add((Test-OvsPrereqDisk -DataDirectory $DataDirectory))
    $checks.Add((Test-OvsPrereqConflict -RunDirectory $RunDirectory -Platform $platform))
    if ($Quiet) { return -not @($checks | Where-Object Status -eq 'Fail').Count }
    $checks
}
