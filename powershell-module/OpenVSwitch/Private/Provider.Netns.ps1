# Linux VM binding: a "VM" is a network namespace with a veth vNIC (eth0 inside). The host end of the
# veth is the OVS port; binding a vNIC to an OVS port name renames the host end to that name, so
# `Add-OvsPort -Name <that name>` attaches the VM. Host ends are tagged with an interface alias
# "ovsps vm=<vm> nic=<nic> bound=<0|1>" so they can be found again.

$script:OvsVmProviderName = $null  # set to HyperV or Netns to override the platform default

function Invoke-OvsIp {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string[]]$Arguments, [switch]$Json)
    $argv = if ($Json) { @('-j') + $Arguments } else { $Arguments }
    $out = & ip @argv 2>&1
    if ($LASTEXITCODE -ne 0) {
        throw [OvsEngineException]::new('OVS_E_NETNS', "ip $($Arguments -join ' ') failed: $((@($out) | ForEach-Object { "$_" }) -join ' ')", $Arguments)
    }
    # Only standard output is JSON: a warning ip prints on standard error must not end up in the text.
    if ($Json) { $text = (@($out) | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] } | ForEach-Object { "$_" }) -join "`n"; if ($text) { return , @($text | ConvertFrom-Json) } else { return , @() } }
}

function Assert-OvsLinuxName {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Name, [string]$What = 'interface')
    if ($Name -notmatch '^[A-Za-z0-9][A-Za-z0-9_.\-]{0,14}$') {
        throw [OvsEngineException]::new('OVS_E_INVALID_INPUT', "'$Name' is not a valid Linux $What name (1-15 characters: letters, digits, '_', '.', '-').", $Name)
    }
}

function Get-OvsNetnsHostLinks {
    [CmdletBinding()]
    param()
    foreach ($l in (Invoke-OvsIp -Json -Arguments @('-d', 'link', 'show'))) {
        $prop = $l.PSObject.Properties['ifalias']
        $alias = if ($prop) { [string]$prop.Value } else { '' }
        if ($alias -match '^ovsps vm=(?<vm>\S+) nic=(?<nic>\S+) bound=(?<bound>[01])$') {
            [pscustomobject]@{ Name = [string]$l.ifname; VMName = $Matches.vm; AdapterName = $Matches.nic; Bound = $Matches.bound -eq '1'; Mac = [string]$l.PSObject.Properties['address'].Value; State = [string]$l.PSObject.Properties['operstate'].Value }
        }
    }
}

function Get-OvsNetnsAdapterView {
    [CmdletBinding()]
    param([Parameter(Mandatory)]$Link)
    $adapter = [pscustomobject]@{
        PSTypeName    = 'OpenVSwitch.TestVMNetworkAdapter'
        VMName        = $Link.VMName
        Name          = $Link.AdapterName
        Id            = "netns:$($Link.VMName)/$($Link.AdapterName)"
        HostInterface = $Link.Name
        OVSPortName   = if ($Link.Bound) { $Link.Name } else { $null }
    }
    [pscustomobject]@{
        PSTypeName     = 'OpenVSwitch.VMNetworkAdapterPort'
        VMName         = $Link.VMName
        AdapterName    = $Link.AdapterName
        OVSPortName    = if ($Link.Bound) { $Link.Name } else { $null }
        MacAddress     = $null
        InstanceId     = $adapter.Id
        Provider       = 'Netns'
        NetworkAdapter = $adapter
    }
}

function Set-OvsNetnsAdapterPortName {
    [CmdletBinding()]
    param([Parameter(Mandatory)]$Adapter, [Parameter(Mandatory)][string]$OVSPortName)
    Assert-OvsLinuxName -Name $OVSPortName -What 'OVS port'
    $vm = [string]$Adapter.VMName; $nic = [string]$Adapter.Name
    $links = @(Get-OvsNetnsHostLinks)
    $link = $links | Where-Object { $_.VMName -eq $vm -and $_.AdapterName -eq $nic } | Select-Object -First 1
    if (-not $link) { throw [OvsEngineException]::new('OVS_E_NO_ADAPTER', "VM '$vm' has no network adapter '$nic'.", $Adapter) }
    if ($link.Name -ne $OVSPortName) {
        $clash = Invoke-OvsIp -Json -Arguments @('link', 'show') | Where-Object { $_.ifname -eq $OVSPortName }
        if ($clash) { throw [OvsEngineException]::new('OVS_E_PORT_NAME_IN_USE', "OVS port name '$OVSPortName' is already used by another interface.", $OVSPortName) }
        Invoke-OvsIp -Arguments @('link', 'set', 'dev', $link.Name, 'down')
        Invoke-OvsIp -Arguments @('link', 'set', 'dev', $link.Name, 'name', $OVSPortName)
    }
    Invoke-OvsIp -Arguments @('link', 'set', 'dev', $OVSPortName, 'alias', "ovsps vm=$vm nic=$nic bound=1")
    Invoke-OvsIp -Arguments @('link', 'set', 'dev', $OVSPortName, 'up')
    $link.Name = $OVSPortName; $link.Bound = $true
    return Get-OvsNetnsAdapterView -Link $link
}

function Get-OvsNetnsAdaptersByPortName {
    [CmdletBinding()]
    param([string]$OVSPortName)
    foreach ($l in @(Get-OvsNetnsHostLinks)) {
        if (-not $l.Bound) { continue }
        if ($OVSPortName -and $l.Name -ne $OVSPortName) { continue }
        Get-OvsNetnsAdapterView -Link $l
    }
}

function Get-OvsVmProviderName {
    [CmdletBinding()]
    [OutputType([string])]
    param()
    if ($script:OvsVmProviderName) { return $script:OvsVmProviderName }
    if ($IsWindows) { return 'HyperV' }
    return 'Netns'
}

function Get-OvsNetnsVmDefinition {
    # The Interface external_ids that let `ovs-engine --reconcile` (Install-OvsService -Reconcile)
    # re-create the test VM behind a host interface after a reboot: ovsps-vm-provider=netns,
    # ovsps-vm-netns, ovsps-vm-nic, ovsps-vm-addresses (the vNIC's global addresses with prefix,
    # comma-separated) and attached-mac. Nothing (an empty hashtable) when the interface is not the
    # bound host end of a test VM; the alias is read from sysfs, so other ports cost no `ip` process.
    [CmdletBinding()]
    [OutputType([hashtable])]
    param([Parameter(Mandatory)][string]$HostInterface)
    $ids = @{}
    if ($IsWindows -or (Get-OvsVmProviderName) -ne 'Netns') { return $ids }
    if ($HostInterface -notmatch '^[A-Za-z0-9][A-Za-z0-9_.\-]{0,14}$') { return $ids }
    $aliasFile = "/sys/class/net/$HostInterface/ifalias"
    if (-not [System.IO.File]::Exists($aliasFile)) { return $ids }
    $alias = ([System.IO.File]::ReadAllText($aliasFile)).Trim()
    if ($alias -notmatch '^ovsps vm=(?<vm>\S+) nic=(?<nic>\S+) bound=1$') { return $ids }
    $vm = $Matches.vm; $nic = $Matches.nic
    $ids['ovsps-vm-provider'] = 'netns'
    $ids['ovsps-vm-netns'] = $vm
    $ids['ovsps-vm-nic'] = $nic
    $link = (Invoke-OvsIp -Json -Arguments @('-n', $vm, 'addr', 'show', 'dev', $nic)) | Select-Object -First 1
    if ($link) {
        $addrs = foreach ($a in @($link.addr_info)) {
            if ($a.scope -eq 'global' -and $a.local) { "$($a.local)/$($a.prefixlen)" }
        }
        if (@($addrs).Count -gt 0) { $ids['ovsps-vm-addresses'] = @($addrs) -join ',' }
        if ($link.address) { $ids['attached-mac'] = [string]$link.address }
    }
    return $ids
}
