function Set-VMNetworkAdapterOVSPort {
    <#
    .SYNOPSIS
    Names the OVS port of a VM network adapter (as OVS.psm1's Set-VMNetworkAdapterOVSPort).
    .DESCRIPTION
    Binds a VM's vNIC to an OVS port name; `Add-OvsPort -Name <that name>` then attaches the VM to a
    bridge. On Hyper-V the name is stored in the vNIC's port allocation settings (ElementName, via
    Msvm_VirtualSystemManagementService.ModifyResourceSettings, with the WMI job awaited and a
    timeout); on Linux the host end of the test VM's veth is renamed. A name already used by another
    vNIC is refused. Names are 1-48 characters (15 on Linux).
    .PARAMETER VMNetworkAdapter
    The adapter: from Get-VMNetworkAdapter (Hyper-V) or Get-OvsTestVM (Linux); pipeline input.
    .PARAMETER OVSPortName
    The OVS port name, e.g. ovs-port-a.
    .PARAMETER PassThru
    Returns the binding.
    .PARAMETER TimeoutSeconds
    How long to wait for the Hyper-V job (default 60).
    .EXAMPLE
    Get-VMNetworkAdapter -VMName vm1 | Set-VMNetworkAdapterOVSPort -OVSPortName ovs-port-a
    The seed's step on Hyper-V.
    .EXAMPLE
    (Get-OvsTestVM vma).NetworkAdapters | Set-VMNetworkAdapterOVSPort -OVSPortName ovs-port-a -PassThru
    The same on Linux with a namespace VM.
    .OUTPUTS
    OpenVSwitch.VMNetworkAdapterPort
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('OpenVSwitch.VMNetworkAdapterPort')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipeline)]
        [Alias('VMNetworkAdapters', 'NetworkAdapter')]
        [object[]]$VMNetworkAdapter,
        [Parameter(Mandatory, Position = 1)]
        [ValidateLength(1, 48)]
        [string]$OVSPortName,
        [switch]$PassThru,
        [ValidateRange(1, 3600)]
        [int]$TimeoutSeconds = 60
    )
    process {
        foreach ($a in $VMNetworkAdapter) {
            $label = "$($a.VMName)/$($a.Name)"
            if (-not $PSCmdlet.ShouldProcess($label, "Set OVS port name to '$OVSPortName'")) { continue }
            try {
                $r = switch (Get-OvsVmProviderName) {
                    'HyperV' { Set-OvsHvAdapterPortName -Adapter $a -OVSPortName $OVSPortName -TimeoutSeconds $TimeoutSeconds }
                    default { Set-OvsNetnsAdapterPortName -Adapter $a -OVSPortName $OVSPortName }
                }
                if ($PassThru) { $r }
            } catch {
                Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $a
            }
        }
    }
}
