function New-OvsTestVM {
    <#
    .SYNOPSIS
    Creates a test "VM" on Linux: a network namespace with a veth vNIC.
    .DESCRIPTION
    Creates namespace -Name with one veth pair: eth0 inside (with -IPAddress and -MacAddress, up)
    and the host end outside (named -HostInterface, default 'v-<Name>'). The host end is what an OVS
    port attaches to: bind it with Set-VMNetworkAdapterOVSPort, then Add-OvsPort. Needs root.
    .PARAMETER Name
    The VM (namespace) name, 1-15 characters.
    .PARAMETER IPAddress
    Address with prefix for eth0, e.g. 10.0.0.1/24.
    .PARAMETER MacAddress
    MAC for eth0.
    .PARAMETER HostInterface
    Name of the host end of the veth.
    .PARAMETER Mtu
    MTU of both ends.
    .EXAMPLE
    New-OvsTestVM -Name vma -IPAddress 10.0.0.1/24
    A VM with one vNIC at 10.0.0.1.
    .EXAMPLE
    $vm = New-OvsTestVM vmb -IPAddress 10.0.0.2/24; $vm.NetworkAdapters | Set-VMNetworkAdapterOVSPort -OVSPortName ovs-port-b
    Creates a VM and names its vNIC's OVS port, as the seed does for Hyper-V VMs.
    .OUTPUTS
    OpenVSwitch.TestVM
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Low')]
    [OutputType('OpenVSwitch.TestVM')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)]
        [Alias('VMName')]
        [string]$Name,
        [string]$IPAddress,
        [ValidatePattern('^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$')]
        [string]$MacAddress,
        [string]$HostInterface,
        [ValidateRange(68, 65535)]
        [int]$Mtu
    )
    process {
        if ($IsWindows) { $PSCmdlet.WriteError((New-OvsArgumentError -Message 'New-OvsTestVM creates Linux network namespaces; on Windows use Hyper-V VMs.' -Target $Name -ErrorId 'OVS_E_NOT_SUPPORTED')); return }
        try {
            Assert-OvsLinuxName -Name $Name -What 'VM'
            if (-not $HostInterface) { $HostInterface = ('v-' + $Name).Substring(0, [Math]::Min(15, 2 + $Name.Length)) }
            Assert-OvsLinuxName -Name $HostInterface
            if ($IPAddress -and $IPAddress -notmatch '^[0-9a-fA-F:.]+/\d{1,3}$') { throw [OvsEngineException]::new('OVS_E_INVALID_INPUT', "'$IPAddress' is not an address with a prefix length, e.g. 10.0.0.1/24.", $IPAddress) }
            if (-not $PSCmdlet.ShouldProcess($Name, 'Create network namespace VM')) { return }
            Invoke-OvsIp -Arguments @('netns', 'add', $Name)
            try {
                Invoke-OvsIp -Arguments @('link', 'add', $HostInterface, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', $Name)
                Invoke-OvsIp -Arguments @('link', 'set', 'dev', $HostInterface, 'alias', "ovsps vm=$Name nic=eth0 bound=0")
                if ($Mtu) { Invoke-OvsIp -Arguments @('link', 'set', 'dev', $HostInterface, 'mtu', "$Mtu"); Invoke-OvsIp -Arguments @('-n', $Name, 'link', 'set', 'dev', 'eth0', 'mtu', "$Mtu") }
                if ($MacAddress) { Invoke-OvsIp -Arguments @('-n', $Name, 'link', 'set', 'dev', 'eth0', 'address', $MacAddress) }
                if ($IPAddress) { Invoke-OvsIp -Arguments @('-n', $Name, 'addr', 'add', $IPAddress, 'dev', 'eth0') }
                Invoke-OvsIp -Arguments @('-n', $Name, 'link', 'set', 'dev', 'lo', 'up')
                Invoke-OvsIp -Arguments @('-n', $Name, 'link', 'set', 'dev', 'eth0', 'up')
                Invoke-OvsIp -Arguments @('link', 'set', 'dev', $HostInterface, 'up')
                if (Get-Command -Name ethtool -CommandType Application -ErrorAction SilentlyContinue) {
                    # A userspace datapath needs software checksums/segmentation on both ends.
                    & ethtool -K $HostInterface tx off tso off gso off 2>&1 | Out-Null
                    & ip netns exec $Name ethtool -K eth0 tx off tso off gso off 2>&1 | Out-Null
                }
            } catch {
                & ip netns delete $Name 2>&1 | Out-Null
                & ip link delete $HostInterface 2>&1 | Out-Null
                throw
            }
            Get-OvsTestVM -Name $Name
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Name
        }
    }
}
