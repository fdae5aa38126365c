function Get-VMByOVSPort {
    <#
    .SYNOPSIS
    Finds the VM whose network adapter is bound to an OVS port name.
    .DESCRIPTION
    Returns the Hyper-V VM (Get-VM) or the Linux test VM owning the adapter bound to -OVSPortName.
    .PARAMETER OVSPortName
    The OVS port name; pipeline input by property name.
    .EXAMPLE
    Get-VMByOVSPort -OVSPortName ovs-port-a
    The VM on ovs-port-a.
    .EXAMPLE
    'ovs-port-a', 'ovs-port-b' | ForEach-Object { Get-VMByOVSPort $_ }
    VMs of two ports.
    .OUTPUTS
    System.Object
    #>
    [CmdletBinding()]
    [OutputType([object])]
    param([Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)][Alias('Name', 'PortName')][string]$OVSPortName)
    process {
        foreach ($b in @(Get-VMNetworkAdapterByOVSPort -OVSPortName $OVSPortName -ErrorAction Stop)) {
            if ($b.Provider -eq 'HyperV') {
                if ($b.VMName -and (Get-Command -Name Get-VM -ErrorAction SilentlyContinue)) { Get-VM -Name $b.VMName } else { $b.VMName }
            } else {
                Get-OvsTestVM -Name $b.VMName
            }
        }
    }
}
