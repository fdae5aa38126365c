function Get-VMNetworkAdapterByOVSPort {
    <#
    .SYNOPSIS
    Finds the VM network adapter bound to an OVS port name.
    .DESCRIPTION
    Returns the adapter whose OVS port name is -OVSPortName (the WQL filter is escaped, so any
    characters are safe), or an ObjectNotFound error.
    .PARAMETER OVSPortName
    The OVS port name; pipeline input by property name (Name of a port object works too).
    .EXAMPLE
    Get-VMNetworkAdapterByOVSPort -OVSPortName ovs-port-a
    The vNIC behind ovs-port-a.
    .EXAMPLE
    Get-OvsPort -Bridge br-int | Get-VMNetworkAdapterByOVSPort -ErrorAction SilentlyContinue
    vNICs of every VM on br-int.
    .OUTPUTS
    OpenVSwitch.VMNetworkAdapterPort
    #>
    [CmdletBinding()]
    [OutputType('OpenVSwitch.VMNetworkAdapterPort')]
    param([Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)][Alias('Name', 'PortName')][string]$OVSPortName)
    process {
        try {
            $found = @(switch (Get-OvsVmProviderName) {
                    'HyperV' { Get-OvsHvAdaptersByPortName -OVSPortName $OVSPortName }
                    default { Get-OvsNetnsAdaptersByPortName -OVSPortName $OVSPortName }
                })
            if ($found.Count -eq 0) { throw [OvsEngineException]::new('OVS_E_NOT_FOUND', "no VM network adapter is bound to OVS port '$OVSPortName'", $OVSPortName) }
            $found
        } catch { Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $OVSPortName }
    }
}
