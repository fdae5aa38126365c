# Test-OvsPrerequisite's checks. Every look at the machine goes through one of the small probe
# functions below (platform, CIM, registry, node version, free space, Linux process facts, pipes,
# pidfiles), so tests replace them in the module's scope and run the Windows checks on Linux too.
# The checks only read: none of them changes Secure Boot, test-signing or anything else.

$script:OvsMinimumNodeMajor = 20
$script:OvsExtensionName = 'Open vSwitch Extension'

function Get-OvsPrereqPlatform {
    [CmdletBinding()]
    [OutputType([string])]
    param()
    if ($IsWindows) { 'Windows' } elseif ($IsLinux) { 'Linux' } else { 'Other' }
}

function Invoke-OvsPrereqCim {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Namespace, [Parameter(Mandatory)][string]$ClassName, [string]$Filter)
    $p = @{ Namespace = $Namespace; ClassName = $ClassName; ErrorAction = 'Stop' }
    if ($Filter) { $p.Filter = $Filter }
    Get-CimInstance @p
}

function Get-OvsPrereqRegistryValue {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Path, [Parameter(Mandatory)][string]$Name)
    $item = Get-ItemProperty -LiteralPath $Path -Name $Name -ErrorAction SilentlyContinue
    if ($item) { $item.$Name } else { $null }
}

function Get-OvsPrereqNodeVersion {
    [CmdletBinding()]
    [OutputType([string])]
    param()
    try { $node = Get-OvsNodePath } catch { return $null }
    $v = & $node --version 2>$null
    if ($LASTEXITCODE -ne 0) { return $null }
    return ([string]$v).Trim()
}

function Get-OvsPrereqFreeBytes {
    # Free bytes on the file system holding Path (its nearest existing ancestor), $null if unknown.
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Path)
    $p = $Path
    while ($p -and -not (Test-Path -LiteralPath $p)) { $parent = Split-Path -Path $p -Parent; if ($parent -eq $p) { break }; $p = $parent }
    if (-not $p) { return $null }
    if ($IsWindows) {
        $root = [System.IO.Path]::GetPathRoot((Resolve-Path -LiteralPath $p).Path)
        return [long]([System.IO.DriveInfo]::new($root).AvailableFreeSpace)
    }
    $line = @(& df -Pk -- $p 2>$null)[-1]
    if ($LASTEXITCODE -ne 0 -or -not $line) { return $null }
    $fields = -split $line
    return [long]$fields[3] * 1024
}

function Get-OvsPrereqLinuxFacts {
    [CmdletBinding()]
    param()
    $status = if (Test-Path -LiteralPath '/proc/self/status') { Get-Content -LiteralPath '/proc/self/status' } else { @() }
    $uid = ($status | Where-Object { $_ -match '^Uid:\s+\d+\s+(\d+)' } | ForEach-Object { [int]$Matches[1] } | Select-Object -First 1)
    $cap = ($status | Where-Object { $_ -match '^CapEff:\s+([0-9a-fA-F]+)' } | ForEach-Object { $Matches[1] } | Select-Object -First 1)
    [pscustomobject]@{
        Uid         = $uid
        CapEff      = $cap
        Tun         = Test-Path -LiteralPath '/dev/net/tun'
        NetNs       = Test-Path -LiteralPath '/proc/self/ns/net'
        IpCommand   = [bool](Get-Command -Name ip -CommandType Application -ErrorAction SilentlyContinue)
    }
}

function Test-OvsPrereqPipe {
    [CmdletBinding()]
    [OutputType([bool])]
    param([Parameter(Mandatory)][string]$PipeName)
    try { return [System.IO.Directory]::GetFiles('\\.\pipe\') -contains "\\.\pipe\$PipeName" } catch { return $false }
}

function Get-OvsPrereqRunningDaemon {
    # Daemons whose pidfile in RunDirectory names a live process: @{ Program; Pid }.
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$RunDirectory)
    foreach ($program in 'ovs-engine', 'ovsdb-server', 'ovs-vswitchd') {
        $file = Join-Path $RunDirectory "$program.pid"
        if (-not (Test-Path -LiteralPath $file)) { continue }
        $text = (Get-Content -LiteralPath $file -TotalCount 1 -ErrorAction SilentlyContinue)
        $procId = 0
        if (-not [int]::TryParse(([string]$text).Trim(), [ref]$procId) -or $procId -le 0) { continue }
        if (Get-Process -Id $procId -ErrorAction SilentlyContinue) { [pscustomobject]@{ Program = $program; Pid = $procId } }
    }
}

function New-OvsPrerequisiteCheck {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)][string]$Name,
        [Parameter(Mandatory)][ValidateSet('Pass', 'Warn', 'Fail')][string]$Status,
        [Parameter(Mandatory)][string]$Detail,
        [string]$Fix
    )
    [pscustomobject]@{ PSTypeName = 'OpenVSwitch.PrerequisiteCheck'; Name = $Name; Status = $Status; Detail = $Detail; Fix = if ($Fix) { $Fix } else { $null } }
}

function Test-OvsPrereqNode {
    [CmdletBinding()]
    param()
    $v = Get-OvsPrereqNodeVersion
    if (-not $v) {
        return New-OvsPrerequisiteCheck -Name 'NodeVersion' -Status Fail -Detail 'Node.js (node) was not found: the engine runs on it.' `
            -Fix "Install Node.js $($script:OvsMinimumNodeMajor) or later (on PATH, or set `$env:OVS_NODE)."
    }
    if ($v -notmatch '^v?(\d+)\.(\d+)') {
        return New-OvsPrerequisiteCheck -Name 'NodeVersion' -Status Warn -Detail "node --version printed '$v', which is not a version number." -Fix 'Check which node is on PATH (or $env:OVS_NODE).'
    }
    if ([int]$Matches[1] -lt $script:OvsMinimumNodeMajor) {
        return New-OvsPrerequisiteCheck -Name 'NodeVersion' -Status Fail -Detail "Node.js $v is too old: the engine needs $($script:OvsMinimumNodeMajor) or later." -Fix "Install Node.js $($script:OvsMinimumNodeMajor) or later."
    }
    New-OvsPrerequisiteCheck -Name 'NodeVersion' -Status Pass -Detail "Node.js $v."
}

function Test-OvsPrereqDisk {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$DataDirectory)
    $free = Get-OvsPrereqFreeBytes -Path $DataDirectory
    if ($null -eq $free) { return New-OvsPrerequisiteCheck -Name 'FreeDisk' -Status Warn -Detail "Could not tell the free space for $DataDirectory." -Fix 'Check that the data directory is on a local, writable file system.' }
    $mb = [math]::Floor($free / 1MB)
    if ($free -lt 100MB) { return New-OvsPrerequisiteCheck -Name 'FreeDisk' -Status Fail -Detail "$mb MiB free for ${DataDirectory}: the database log and the logs need room to grow." -Fix 'Free at least 1 GiB on that volume, or put the data directory elsewhere (-DatabasePath, -RunDirectory, -LogDirectory).' }
    if ($free -lt 1GB) { return New-OvsPrerequisiteCheck -Name 'FreeDisk' -Status Warn -Detail "$mb MiB free for $DataDirectory." -Fix 'Keep at least 1 GiB free there: conf.db grows until it is compacted.' }
    New-OvsPrerequisiteCheck -Name 'FreeDisk' -Status Pass -Detail "$mb MiB free for $DataDirectory."
}

function Test-OvsPrereqConflict {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$RunDirectory, [Parameter(Mandatory)][string]$Platform)
    $running = @(Get-OvsPrereqRunningDaemon -RunDirectory $RunDirectory)
    $found = @($running | ForEach-Object { "$($_.Program) (pid $($_.Pid))" })
    if ($Platform -eq 'Windows') {
        $sock = ($RunDirectory.TrimEnd('\', '/') + '/db.sock') -replace '[\\/]', ''
        if (-not $running.Count -and (Test-OvsPrereqPipe -PipeName $sock)) { $found += "a process serving \\.\pipe\$sock" }
        try {
            foreach ($svc in @(Invoke-OvsPrereqCim -Namespace 'root\cimv2' -ClassName 'Win32_Service' -Filter "Name = 'ovsdb-server' OR Name = 'ovs-vswitchd'")) {
                if ([string]$svc.PathName -notmatch 'ovs-service-host') { $found += "the service $($svc.Name) of another Open vSwitch install ($($svc.State): $($svc.PathName))" }
            }
        } catch { Write-Verbose "Win32_Service query: $($_.Exception.Message)" }
    }
    if ($found.Count) {
        return New-OvsPrerequisiteCheck -Name 'PortConflict' -Status Warn -Detail "Already using $RunDirectory or the OVS service names: $($found -join '; ')." `
            -Fix 'Stop it first (Stop-OvsService, Stop-OvsEngine, or Stop-Service/Uninstall-OvsService for an older Open vSwitch install); two engines cannot serve one run directory.'
    }
    New-OvsPrerequisiteCheck -Name 'PortConflict' -Status Pass -Detail "No engine, ovsdb-server or ovs-vswitchd is running for $RunDirectory."
}

function Test-OvsPrereqHyperV {
    [CmdletBinding()]
    param()
    try {
        $feature = @(Invoke-OvsPrereqCim -Namespace 'root\cimv2' -ClassName 'Win32_OptionalFeature' -Filter "Name = 'Microsoft-Hyper-V'")
    } catch {
        return New-OvsPrerequisiteCheck -Name 'HyperV' -Status Warn -Detail "Could not query Win32_OptionalFeature: $($_.Exception.Message)" -Fix 'Run as Administrator, or check the Hyper-V role in Server Manager.'
    }
    if (-not $feature.Count -or [int]$feature[0].InstallState -ne 1) {
        return New-OvsPrerequisiteCheck -Name 'HyperV' -Status Fail -Detail 'The Hyper-V role is not installed: the Open vSwitch extension lives in the Hyper-V virtual switch.' `
            -Fix 'Install-WindowsFeature -Name Hyper-V -IncludeManagementTools -Restart (Windows Server), or Enable-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V -All (client).'
    }
    New-OvsPrerequisiteCheck -Name 'HyperV' -Status Pass -Detail 'The Hyper-V role is installed.'
}

function Test-OvsPrereqExtension {
    # The OVS extension: installed (Msvm_InstalledEthernetSwitchExtension), and on which virtual
    # switches it is bound and enabled (Msvm_EthernetSwitchExtension per switch, EnabledState 2).
    [CmdletBinding()]
    param()
    $ns = 'root\virtualization\v2'
    $name = ConvertTo-OvsWqlString $script:OvsExtensionName
    try {
        $installed = @(Invoke-OvsPrereqCim -Namespace $ns -ClassName 'Msvm_InstalledEthernetSwitchExtension' -Filter "ElementName = '$name'")
        $perSwitch = @(Invoke-OvsPrereqCim -Namespace $ns -ClassName 'Msvm_EthernetSwitchExtension' -Filter "ElementName = '$name'")
    } catch {
        return New-OvsPrerequisiteCheck -Name 'OvsExtension' -Status Warn -Detail "Could not query $ns (is Hyper-V installed, and is this an elevated session?): $($_.Exception.Message)" -Fix 'Run Test-OvsPrerequisite as Administrator.'
    }
    if (-not $installed.Count -and -not $perSwitch.Count) {
        return New-OvsPrerequisiteCheck -Name 'OvsExtension' -Status Fail -Detail "The '$($script:OvsExtensionName)' Hyper-V switch extension is not installed." `
            -Fix 'Install the OVS kernel extension driver (netcfg -l <path>\ovsext.inf -c s -i OVSExt), then enable it on a switch: Enable-VMSwitchExtension -VMSwitchName <switch> -Name "Open vSwitch Extension".'
    }
    $enabled = @(); $disabled = @()
    foreach ($e in $perSwitch) {
        $switchName = [string]$e.SystemName
        try {
            $sw = @(Invoke-OvsPrereqCim -Namespace $ns -ClassName 'Msvm_VirtualEthernetSwitch' -Filter "Name = '$(ConvertTo-OvsWqlString ([string]$e.SystemName))'")
            if ($sw.Count) { $switchName = [string]$sw[0].ElementName }
        } catch { Write-Verbose "Msvm_VirtualEthernetSwitch: $($_.Exception.Message)" }
        if ([int]$e.EnabledState -eq 2) { $enabled += $switchName } else { $disabled += $switchName }
    }
    if ($enabled.Count -gt 1) {
        return New-OvsPrerequisiteCheck -Name 'OvsExtension' -Status Warn -Detail "The extension is enabled on more than one switch ($($enabled -join ', ')); the datapath serves one." -Fix 'Disable it on all but one: Disable-VMSwitchExtension -VMSwitchName <switch> -Name "Open vSwitch Extension".'
    }
    if ($enabled.Count -eq 1) {
        return New-OvsPrerequisiteCheck -Name 'OvsExtension' -Status Pass -Detail "The extension is installed and enabled on switch '$($enabled[0])'."
    }
    $where = if ($disabled.Count) { " It is bound but disabled on: $($disabled -join ', ')." } else { ' It is on no virtual switch.' }
    New-OvsPrerequisiteCheck -Name 'OvsExtension' -Status Fail -Detail "The extension is installed but enabled on no switch.$where" `
        -Fix 'Enable-VMSwitchExtension -VMSwitchName <switch> -Name "Open vSwitch Extension" (create a switch first with New-VMSwitch if there is none).'
}

function Test-OvsPrereqDriverSigning {
    # Secure Boot and test-signing decide whether a test-signed OVS driver can load. A driver that
    # is already loaded (extension enabled) proves its signature was accepted. Nothing is changed:
    # the choice (production-signed driver, or Secure Boot off + test-signing on) is the user's.
    [CmdletBinding()]
    param([bool]$ExtensionRunning)
    $secureBoot = Get-OvsPrereqRegistryValue -Path 'HKLM:\SYSTEM\CurrentControlSet\Control\SecureBoot\State' -Name 'UEFISecureBootEnabled'
    $startOptions = [string](Get-OvsPrereqRegistryValue -Path 'HKLM:\SYSTEM\CurrentControlSet\Control' -Name 'SystemStartOptions')
    $testSigning = $startOptions -match '(^|\s)TESTSIGNING(\s|$)'
    $sb = if ($null -eq $secureBoot) { 'not available (legacy BIOS boot)' } elseif ([int]$secureBoot -eq 1) { 'on' } else { 'off' }
    $detail = "Secure Boot $sb; test-signing $(if ($testSigning) { 'on' } else { 'off' })."
    if ($ExtensionRunning) {
        return New-OvsPrerequisiteCheck -Name 'DriverSigning' -Status Pass -Detail "$detail The OVS extension is enabled, so its driver signature was accepted."
    }
    if ($testSigning) {
        return New-OvsPrerequisiteCheck -Name 'DriverSigning' -Status Pass -Detail "$detail A test-signed OVS driver can load (and so can a production-signed one)."
    }
    if ($sb -eq 'on') {
        return New-OvsPrerequisiteCheck -Name 'DriverSigning' -Status Warn -Detail "$detail Only a production-signed (WHQL or attestation-signed) OVS driver can load; a test-signed build will not." `
            -Fix 'Either install a production-signed OVS driver (keeps Secure Boot on: recommended), or, for a test-signed build, turn Secure Boot off in the firmware, run "bcdedit /set testsigning on" and reboot. Test-OvsPrerequisite never changes either setting.'
    }
    New-OvsPrerequisiteCheck -Name 'DriverSigning' -Status Warn -Detail "$detail Only a production-signed OVS driver can load until test-signing is turned on." `
        -Fix 'Install a production-signed OVS driver, or for a test-signed build run "bcdedit /set testsigning on" and reboot (not done for you).'
}

function Test-OvsPrereqDotNet {
    # The service binary, ovs-service-host.exe, targets .NET Framework 4.8 (Release >= 528040).
    [CmdletBinding()]
    param()
    $release = Get-OvsPrereqRegistryValue -Path 'HKLM:\SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full' -Name 'Release'
    if ($null -eq $release) {
        return New-OvsPrerequisiteCheck -Name 'DotNetFramework' -Status Fail -Detail '.NET Framework 4 is not installed: the service host (ovs-service-host.exe) needs 4.8.' -Fix 'Install .NET Framework 4.8 (Windows Server 2019 and later have it; earlier: the offline installer from Microsoft).'
    }
    if ([int]$release -lt 528040) {
        return New-OvsPrerequisiteCheck -Name 'DotNetFramework' -Status Fail -Detail ".NET Framework release $release is older than 4.8 (528040): the service host needs 4.8." -Fix 'Install .NET Framework 4.8.'
    }
    New-OvsPrerequisiteCheck -Name 'DotNetFramework' -Status Pass -Detail ".NET Framework 4.8 or later (release $release) for the service host."
}

function Test-OvsPrereqLinux {
    [CmdletBinding()]
    param()
    $f = Get-OvsPrereqLinuxFacts
    $netAdmin = $false
    if ($f.CapEff) { $netAdmin = (([Convert]::ToUInt64([string]$f.CapEff, 16) -shr 12) -band 1) -eq 1 }
    if ($f.Uid -eq 0 -or $netAdmin) {
        $how = if ($f.Uid -eq 0) { 'running as root' } else { 'CAP_NET_ADMIN in the effective set' }
        New-OvsPrerequisiteCheck -Name 'NetAdmin' -Status Pass -Detail "This process may configure networking ($how)."
    } else {
        New-OvsPrerequisiteCheck -Name 'NetAdmin' -Status Fail -Detail "Neither root (uid $($f.Uid)) nor CAP_NET_ADMIN: the engine cannot create TAP devices or open AF_PACKET sockets." `
            -Fix 'Run the engine as root (the systemd units of Install-OvsService do), or grant it: setcap cap_net_admin,cap_net_raw+ep $(command -v node).'
    }
    if ($f.Tun) { New-OvsPrerequisiteCheck -Name 'TunDevice' -Status Pass -Detail '/dev/net/tun exists (TAP devices for bridges and internal ports).' }
    else { New-OvsPrerequisiteCheck -Name 'TunDevice' -Status Fail -Detail '/dev/net/tun is missing: bridges and internal ports need TAP devices.' -Fix 'modprobe tun (in a container: run it with --device /dev/net/tun).' }
    if (-not $f.NetNs) {
        New-OvsPrerequisiteCheck -Name 'NetworkNamespaces' -Status Warn -Detail 'This kernel has no network namespaces (/proc/self/ns/net): test VMs (New-OvsTestVM) cannot be made.' -Fix 'Use a kernel built with CONFIG_NET_NS (every distribution kernel is).'
    } elseif (-not $f.IpCommand) {
        New-OvsPrerequisiteCheck -Name 'NetworkNamespaces' -Status Warn -Detail 'Network namespaces are supported but the ip command (iproute2) is missing: test VMs need it.' -Fix 'Install iproute2 (apt-get install iproute2).'
    } else {
        New-OvsPrerequisiteCheck -Name 'NetworkNamespaces' -Status Pass -Detail 'Network namespaces and iproute2 are available (test VMs).'
    }
}
