<#
.SYNOPSIS
The seed walkthrough's topology as desired state: br-int with two VM ports on VLAN 900, br-pif with
the physical NIC, and the patch pair between them.
.DESCRIPTION
Applies the OpenVSwitch module's DSC resources (OvsBridge, OvsPort and, with -BindVMs on a
Hyper-V host or with test VMs on Linux, OvsVMAdapterPort) through Invoke-OvsDscResource: each is
tested, and set only when it is not in the desired state. Run it again and nothing changes. Writes
one result per resource: Resource and InDesiredState (as found before this run).

The same resources work from a DSC configuration when a DSC engine is present, e.g.
    OvsBridge brInt { Name = 'br-int' }
    OvsPort portA { Name = 'ovs-port-a'; Bridge = 'br-int'; VlanTag = 900; DependsOn = '[OvsBridge]brInt' }
.PARAMETER Database
The engine to configure (unix:PATH, npipe:NAME or tcp:HOST:PORT); default $env:OVS_DB or the local engine.
.PARAMETER PhysicalNic
The host's NIC to attach to br-pif (the seed's Ethernet0).
.PARAMETER BindVMs
Also bind VM vNICs to the VM ports: a hashtable of OVS port name -> @{ VMName = ...; AdapterName = ... }.
.EXAMPLE
./examples/seed-topology.ps1
Builds the topology on the local engine.
.EXAMPLE
./examples/seed-topology.ps1 -BindVMs @{ 'ovs-port-a' = @{ VMName = 'VM1'; AdapterName = 'Network Adapter' } }
Also names VM1's vNIC's OVS port ovs-port-a, as Set-VMNetworkAdapterOVSPort does.
#>
[CmdletBinding()]
param(
    [string]$Database,
    [string]$PhysicalNic = 'Ethernet0',
    [hashtable]$BindVMs = @{}
)

if (-not (Get-Module -Name OpenVSwitch)) {
    Import-Module (Join-Path $PSScriptRoot '../powershell-module/OpenVSwitch/OpenVSwitch.psd1') -ErrorAction Stop
}

$resources = @(
    @{ Name = 'OvsBridge'; Property = @{ Name = 'br-int' } }
    @{ Name = 'OvsBridge'; Property = @{ Name = 'br-pif' } }
    @{ Name = 'OvsPort'; Property = @{ Name = 'ovs-port-a'; Bridge = 'br-int'; VlanTag = 900 } }
    @{ Name = 'OvsPort'; Property = @{ Name = 'ovs-port-b'; Bridge = 'br-int'; VlanTag = 900 } }
    @{ Name = 'OvsPort'; Property = @{ Name = $PhysicalNic; Bridge = 'br-pif' } }
    @{ Name = 'OvsPort'; Property = @{ Name = 'patch-to-pif'; Bridge = 'br-int'; Type = 'patch'; Options = @{ peer = 'patch-to-int' } } }
    @{ Name = 'OvsPort'; Property = @{ Name = 'patch-to-int'; Bridge = 'br-pif'; Type = 'patch'; Options = @{ peer = 'patch-to-pif' } } }
)
foreach ($port in $BindVMs.Keys) {
    $vm = $BindVMs[$port]
    $resources += @{ Name = 'OvsVMAdapterPort'; Property = @{ VMName = $vm.VMName; AdapterName = $vm.AdapterName; OVSPortName = $port } }
}

foreach ($r in $resources) {
    $p = $r.Property.Clone()
    if ($Database -and $r.Name -ne 'OvsVMAdapterPort') { $p.Database = $Database }
    Invoke-OvsDscResource -Name $r.Name -Method Set -Property $p -ErrorAction Stop
}
