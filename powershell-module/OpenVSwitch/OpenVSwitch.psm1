# OpenVSwitch module: thin cmdlets over the ovs-powershell engine's JSON-RPC API.
Set-StrictMode -Version 3.0

# The module's classes live here, in the root module, and not in dot-sourced files: Get-DscResource
# (PSDesiredStateConfiguration) finds class-based resources only by parsing the RootModule file,
# and a class can use another class only when both are parsed together. Helpers the classes call
# are in Classes/OvsDscResources.ps1 and Private/.

# The one exception type the module raises for engine-side failures; Code is the engine's stable
# error code (OVS_E_...), which becomes the ErrorRecord's ErrorId.
class OvsEngineException : System.Exception {
    [string]$Code
    [object]$Target

    OvsEngineException([string]$code, [string]$message, [object]$target) : base($message) {
        $this.Code = $code
        $this.Target = $target
    }
}

# DSC resources: each compares the desired state with its current state and changes only what
# differs, through the module's own cmdlets (one code path with interactive use).

enum OvsEnsure {
    Present
    Absent
}

class OvsReason {
    [DscProperty()] [string]$Code
    [DscProperty()] [string]$Phrase
}

[DscResource()]
class OvsBridge {
    [DscProperty(Key)] [string]$Name
    [DscProperty()] [OvsEnsure]$Ensure = [OvsEnsure]::Present
    [DscProperty()] [string]$FailMode
    [DscProperty()] [string]$DatapathType
    [DscProperty()] [string]$Database
    [DscProperty(NotConfigurable)] [OvsReason[]]$Reasons

    hidden [object] Current() {
        return Get-OvsBridge -Name $this.Name -Database $this.Database -ErrorAction SilentlyContinue
    }

    [OvsBridge] Get() {
        $b = $this.Current()
        $s = [OvsBridge]::new()
        $s.Name = $this.Name
        $s.Database = $this.Database
        $s.Ensure = if ($b) { [OvsEnsure]::Present } else { [OvsEnsure]::Absent }
        if ($b) { $s.FailMode = $b.FailMode; $s.DatapathType = $b.DatapathType }
        $s.Reasons = $this.Compare($b)
        return $s
    }

    hidden [OvsReason[]] Compare([object]$b) {
        $r = @()
        if ($this.Ensure -eq [OvsEnsure]::Present) {
            if (-not $b) { return @(New-OvsReason 'OvsBridge:Ensure' "Bridge $($this.Name) does not exist.") }
            if ($this.FailMode -and $b.FailMode -ne $this.FailMode) { $r += New-OvsReason 'OvsBridge:FailMode' "FailMode is '$($b.FailMode)', should be '$($this.FailMode)'." }
            if ($this.DatapathType -and $b.DatapathType -ne $this.DatapathType) { $r += New-OvsReason 'OvsBridge:DatapathType' "DatapathType is '$($b.DatapathType)', should be '$($this.DatapathType)'." }
        } elseif ($b) {
            $r += New-OvsReason 'OvsBridge:Ensure' "Bridge $($this.Name) exists and should not."
        }
        return $r
    }

    [bool] Test() { return $this.Compare($this.Current()).Count -eq 0 }

    [void] Set() {
        $b = $this.Current()
        if ($this.Ensure -eq [OvsEnsure]::Absent) {
            if ($b) { Remove-OvsBridge -Name $this.Name -Database $this.Database -Force -ErrorAction Stop }
            return
        }
        if (-not $b) {
            $p = @{ Name = $this.Name; Database = $this.Database; ErrorAction = 'Stop'; MayExist = $true }
            if ($this.FailMode) { $p.FailMode = $this.FailMode }
            if ($this.DatapathType) { $p.DatapathType = $this.DatapathType }
            $null = New-OvsBridge @p
            return
        }
        $p = @{ Name = $this.Name; Database = $this.Database; ErrorAction = 'Stop' }
        if ($this.FailMode -and $b.FailMode -ne $this.FailMode) { $p.FailMode = $this.FailMode }
        if ($this.DatapathType -and $b.DatapathType -ne $this.DatapathType) { $p.DatapathType = $this.DatapathType }
        if ($p.Count -gt 3) { Set-OvsBridge @p }
    }
}

[DscResource()]
class OvsPort {
    [DscProperty(Key)] [string]$Name
    [DscProperty(Mandatory)] [string]$Bridge
    [DscProperty()] [OvsEnsure]$Ensure = [OvsEnsure]::Present
    [DscProperty()] [Nullable[int]]$VlanTag
    [DscProperty()] [int[]]$Trunks
    [DscProperty()] [string]$VlanMode
    [DscProperty()] [string]$Type
    [DscProperty()] [hashtable]$Options
    [DscProperty()] [string]$Database
    [DscProperty(NotConfigurable)] [OvsReason[]]$Reasons

    hidden [object] Current() { return Get-OvsPort -Name $this.Name -Database $this.Database -ErrorAction SilentlyContinue }
    hidden [object] CurrentInterface() { return Get-OvsInterface -Name $this.Name -Database $this.Database -ErrorAction SilentlyContinue }

    [OvsPort] Get() {
        $p = $this.Current()
        $i = $this.CurrentInterface()
        $s = [OvsPort]::new()
        $s.Name = $this.Name; $s.Database = $this.Database
        $s.Ensure = if ($p) { [OvsEnsure]::Present } else { [OvsEnsure]::Absent }
        $s.Bridge = if ($p) { $p.Bridge } else { $this.Bridge }
        if ($p) { $s.VlanTag = $p.VlanTag; $s.Trunks = $p.Trunks; $s.VlanMode = $p.VlanMode }
        if ($i) { $s.Type = $i.Type; $s.Options = [hashtable]$i.Options }
        $s.Reasons = $this.Compare($p, $i)
        return $s
    }

    hidden [OvsReason[]] Compare([object]$p, [object]$i) {
        $r = @()
        if ($this.Ensure -eq [OvsEnsure]::Absent) {
            if ($p) { $r += New-OvsReason 'OvsPort:Ensure' "Port $($this.Name) exists and should not." }
            return $r
        }
        if (-not $p) { return @(New-OvsReason 'OvsPort:Ensure' "Port $($this.Name) does not exist.") }
        if ($p.Bridge -ne $this.Bridge) { $r += New-OvsReason 'OvsPort:Bridge' "Port is on '$($p.Bridge)', should be on '$($this.Bridge)'." }
        if ($null -ne $this.VlanTag -and $p.VlanTag -ne $this.VlanTag) { $r += New-OvsReason 'OvsPort:VlanTag' "VlanTag is '$($p.VlanTag)', should be $($this.VlanTag)." }
        if ($null -ne $this.Trunks -and $this.Trunks.Count -gt 0 -and ((@($p.Trunks) | Sort-Object) -join ',') -ne ((@($this.Trunks) | Sort-Object) -join ',')) { $r += New-OvsReason 'OvsPort:Trunks' "Trunks are '$($p.Trunks -join ',')', should be '$($this.Trunks -join ',')'." }
        if ($this.VlanMode -and $p.VlanMode -ne $this.VlanMode) { $r += New-OvsReason 'OvsPort:VlanMode' "VlanMode is '$($p.VlanMode)', should be '$($this.VlanMode)'." }
        if ($this.Type -and $i.Type -ne $this.Type) { $r += New-OvsReason 'OvsPort:Type' "Type is '$($i.Type)', should be '$($this.Type)'." }
        if ($this.Options) {
            foreach ($k in $this.Options.Keys) {
                if ([string]$i.Options[$k] -ne [string]$this.Options[$k]) { $r += New-OvsReason 'OvsPort:Options' "Option $k is '$($i.Options[$k])', should be '$($this.Options[$k])'." }
            }
        }
        return $r
    }

    [bool] Test() { return $this.Compare($this.Current(), $this.CurrentInterface()).Count -eq 0 }

    [void] Set() {
        $p = $this.Current()
        if ($this.Ensure -eq [OvsEnsure]::Absent) {
            if ($p) { Remove-OvsPort -Name $this.Name -Database $this.Database -Force -ErrorAction Stop }
            return
        }
        if ($p -and $p.Bridge -ne $this.Bridge) {
            Remove-OvsPort -Name $this.Name -Database $this.Database -Force -ErrorAction Stop
            $p = $null
        }
        if (-not $p) {
            $a = @{ Bridge = $this.Bridge; Name = $this.Name; Database = $this.Database; ErrorAction = 'Stop' }
            if ($null -ne $this.VlanTag) { $a.VlanTag = $this.VlanTag }
            if ($this.Trunks) { $a.Trunks = $this.Trunks }
            if ($this.VlanMode) { $a.VlanMode = $this.VlanMode }
            if ($this.Type) { $a.Type = $this.Type }
            if ($this.Options) { $a.Options = $this.Options }
            $null = Add-OvsPort @a
            return
        }
        $s = @{ Name = $this.Name; Database = $this.Database; ErrorAction = 'Stop' }
        if ($null -ne $this.VlanTag -and $p.VlanTag -ne $this.VlanTag) { $s.VlanTag = $this.VlanTag }
        if ($this.Trunks -and ((@($p.Trunks) | Sort-Object) -join ',') -ne ((@($this.Trunks) | Sort-Object) -join ',')) { $s.Trunks = $this.Trunks }
        if ($this.VlanMode -and $p.VlanMode -ne $this.VlanMode) { $s.VlanMode = $this.VlanMode }
        if ($s.Count -gt 3) { Set-OvsPort @s }
        $i = $this.CurrentInterface()
        $ia = @{ Name = $this.Name; Database = $this.Database; ErrorAction = 'Stop' }
        if ($this.Type -and $i.Type -ne $this.Type) { $ia.Type = $this.Type }
        if ($this.Options) {
            $diff = @{}
            foreach ($k in $this.Options.Keys) { if ([string]$i.Options[$k] -ne [string]$this.Options[$k]) { $diff[$k] = $this.Options[$k] } }
            if ($diff.Count) { $ia.Options = $diff }
        }
        if ($ia.Count -gt 3) { Set-OvsInterface @ia }
    }
}

[DscResource()]
class OvsVMAdapterPort {
    [DscProperty(Key)] [string]$VMName
    [DscProperty(Key)] [string]$AdapterName
    [DscProperty(Mandatory)] [string]$OVSPortName
    [DscProperty(NotConfigurable)] [OvsReason[]]$Reasons

    hidden [object] Adapter() {
        if ((Get-OvsVmProviderName) -eq 'HyperV') {
            return Get-VMNetworkAdapter -VMName $this.VMName -Name $this.AdapterName -ErrorAction Stop
        }
        $vm = Get-OvsTestVM -Name $this.VMName
        if (-not $vm) { throw [OvsEngineException]::new('OVS_E_NO_VM', "no VM named $($this.VMName)", $this.VMName) }
        $a = $vm.NetworkAdapters | Where-Object Name -eq $this.AdapterName | Select-Object -First 1
        if (-not $a) { throw [OvsEngineException]::new('OVS_E_NO_ADAPTER', "VM '$($this.VMName)' has no network adapter '$($this.AdapterName)'", $this.AdapterName) }
        return $a
    }

    hidden [string] CurrentName() { return [string](Get-VMNetworkAdapterOVSPort -VMNetworkAdapter $this.Adapter() -ErrorAction Stop).OVSPortName }

    [OvsVMAdapterPort] Get() {
        $s = [OvsVMAdapterPort]::new()
        $s.VMName = $this.VMName; $s.AdapterName = $this.AdapterName
        $s.OVSPortName = $this.CurrentName()
        $s.Reasons = @()
        if ($s.OVSPortName -ne $this.OVSPortName) { $s.Reasons = @(New-OvsReason 'OvsVMAdapterPort:OVSPortName' "OVS port name is '$($s.OVSPortName)', should be '$($this.OVSPortName)'.") }
        return $s
    }

    [bool] Test() { return $this.CurrentName() -eq $this.OVSPortName }

    [void] Set() {
        if ($this.CurrentName() -ne $this.OVSPortName) {
            Set-VMNetworkAdapterOVSPort -VMNetworkAdapter $this.Adapter() -OVSPortName $this.OVSPortName -ErrorAction Stop -Confirm:$false
        }
    }
}

foreach ($file in Get-ChildItem -Path (Join-Path $PSScriptRoot 'Private') -Filter '*.ps1' | Sort-Object Name) { . $file.FullName }
. (Join-Path $PSScriptRoot 'Classes/OvsDscResources.ps1')
foreach ($file in Get-ChildItem -Path (Join-Path $PSScriptRoot 'Public') -Filter '*.ps1' | Sort-Object Name) { . $file.FullName }

# DSC: the engine's service, so a configuration can make the switch come back after a reboot with
# its ports re-created (Reconcile = Install-OvsService -Reconcile).
[DscResource()]
class OvsService {
    [DscProperty(Key)] [string]$Name = 'ovs-engine'
    [DscProperty()] [OvsEnsure]$Ensure = [OvsEnsure]::Present
    [DscProperty()] [bool]$Reconcile
    [DscProperty()] [string]$DatabasePath
    [DscProperty()] [string]$RunDirectory
    [DscProperty()] [string]$UnitPath
    [DscProperty(NotConfigurable)] [string]$Status
    [DscProperty(NotConfigurable)] [OvsReason[]]$Reasons

    hidden [object] Current() {
        $p = @{ Name = $this.Name; ErrorAction = 'SilentlyContinue' }
        if ($this.UnitPath) { $p.UnitPath = $this.UnitPath }
        return Get-OvsService @p | Select-Object -First 1
    }

    hidden [bool] HasReconcile([object]$svc) {
        return [bool]($svc -and $svc.CommandLine -match '(^|\s)--reconcile(\s|=|$)')
    }

    [OvsService] Get() {
        $svc = $this.Current()
        $s = [OvsService]::new()
        $s.Name = $this.Name; $s.UnitPath = $this.UnitPath; $s.DatabasePath = $this.DatabasePath; $s.RunDirectory = $this.RunDirectory
        $s.Ensure = if ($svc) { [OvsEnsure]::Present } else { [OvsEnsure]::Absent }
        $s.Reconcile = $this.HasReconcile($svc)
        $s.Status = if ($svc) { [string]$svc.Status } else { $null }
        $s.Reasons = $this.Compare($svc)
        return $s
    }

    hidden [OvsReason[]] Compare([object]$svc) {
        $r = @()
        if ($this.Ensure -eq [OvsEnsure]::Present) {
            if (-not $svc) { return @(New-OvsReason 'OvsService:Ensure' "Service $($this.Name) is not installed.") }
            if ($this.HasReconcile($svc) -ne $this.Reconcile) { $r += New-OvsReason 'OvsService:Reconcile' "Reconcile is $($this.HasReconcile($svc)), should be $($this.Reconcile)." }
        } elseif ($svc) {
            $r += New-OvsReason 'OvsService:Ensure' "Service $($this.Name) is installed and should not be."
        }
        return $r
    }

    [bool] Test() { return $this.Compare($this.Current()).Count -eq 0 }

    [void] Set() {
        $svc = $this.Current()
        $common = @{ Name = $this.Name; ErrorAction = 'Stop' }
        if ($this.UnitPath) { $common.UnitPath = $this.UnitPath }
        if ($svc -and ($this.Ensure -eq [OvsEnsure]::Absent -or $this.HasReconcile($svc) -ne $this.Reconcile)) {
            Uninstall-OvsService @common -Confirm:$false
        }
        if ($this.Ensure -eq [OvsEnsure]::Absent) { return }
        if ($svc -and $this.HasReconcile($svc) -eq $this.Reconcile) { return }
        $p = $common.Clone()
        if ($this.DatabasePath) { $p.DatabasePath = $this.DatabasePath }
        if ($this.RunDirectory) { $p.RunDirectory = $this.RunDirectory }
        $null = Install-OvsService @p -Reconcile:$this.Reconcile -Confirm:$false
    }
}

# Tab completion of bridge, port and interface names from the engine (silent when it is not running).
$bridgeCompleter = {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    try {
        $db = $fakeBoundParameters['Database']
        @(Invoke-OvsRpc -Method 'ovsps/bridges' -Params @(@{}) -Database $db) | ForEach-Object { $_.name } |
            Where-Object { $_ -like "$wordToComplete*" } | Sort-Object |
            ForEach-Object { [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_) }
    } catch { Write-Verbose "completion: $_" }
}
$portCompleter = {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    try {
        $db = $fakeBoundParameters['Database']
        $p = @{}; if ($fakeBoundParameters['Bridge']) { $p.bridge = $fakeBoundParameters['Bridge'] }
        @(Invoke-OvsRpc -Method 'ovsps/ports' -Params @($p) -Database $db) | ForEach-Object { $_.name } |
            Where-Object { $_ -like "$wordToComplete*" } | Sort-Object |
            ForEach-Object { [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_) }
    } catch { Write-Verbose "completion: $_" }
}
$interfaceCompleter = {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    try {
        $db = $fakeBoundParameters['Database']
        @(Invoke-OvsRpc -Method 'ovsps/interfaces' -Params @(@{}) -Database $db) | ForEach-Object { $_.name } |
            Where-Object { $_ -like "$wordToComplete*" } | Sort-Object |
            ForEach-Object { [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_) }
    } catch { Write-Verbose "completion: $_" }
}
Register-ArgumentCompleter -CommandName Get-OvsBridge, Remove-OvsBridge, Set-OvsBridge -ParameterName Name -ScriptBlock $bridgeCompleter
Register-ArgumentCompleter -CommandName Add-OvsPort, Get-OvsPort, Remove-OvsPort, Get-OvsInterface, Add-OvsPatchPort, Add-OvsTunnelPort, Add-OvsBond, Get-OvsFlow, Add-OvsFlow, Remove-OvsFlow, Get-OvsFdb, New-OvsMirror, Get-OvsMirror, Remove-OvsMirror, Enable-OvsSFlow, Disable-OvsSFlow, Get-OvsSFlow -ParameterName Bridge -ScriptBlock $bridgeCompleter
Register-ArgumentCompleter -CommandName Add-OvsPatchPort -ParameterName PeerBridge -ScriptBlock $bridgeCompleter
Register-ArgumentCompleter -CommandName Get-OvsPort, Remove-OvsPort, Set-OvsPort -ParameterName Name -ScriptBlock $portCompleter
Register-ArgumentCompleter -CommandName Set-OvsQos, Get-OvsQos, Remove-OvsQos -ParameterName Port -ScriptBlock $portCompleter
Register-ArgumentCompleter -CommandName Get-OvsInterface, Set-OvsInterface -ParameterName Name -ScriptBlock $interfaceCompleter

$ExecutionContext.SessionState.Module.OnRemove = { Disconnect-OvsEngineSocket }

Export-ModuleMember -Function (Get-ChildItem -Path (Join-Path $PSScriptRoot 'Public') -Filter '*.ps1' | ForEach-Object BaseName)
