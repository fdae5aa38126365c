function Get-VMNetworkAdapterOVSPort {
    <#
    .SYNOPSIS
    Gets the OVS port name bound to VM network adapters.
    .DESCRIPTION
    For each adapter given, returns its binding (OVSPortName empty when unbound).
    .PARAMETER VMNetworkAdapter
    Adapters from Get-VMNetworkAdapter (Hyper-V) or Get-OvsTestVM (Linux); pipeline input.
    .EXAMPLE
    Get-VMNetworkAdapter -VMName vm1 | Get-VMNetworkAdapterOVSPort
    Shows vm1's vNICs and their OVS port names.
    .EXAMPLE
    (Get-OvsTestVM).NetworkAdapters | Get-VMNetworkAdapterOVSPort | Where-Object OVSPortName
    Bound vNICs of the Linux test VMs.
    .OUTPUTS
    OpenVSwitch.VMNetworkAdapterPort
    #>
    [CmdletBinding()]
    [OutputType('OpenVSwitch.VMNetworkAdapterPort')]
    param([Parameter(Mandatory, Position = 0, ValueFromPipeline)][Alias('NetworkAdapter')][object[]]$VMNetworkAdapter)
    process {
        foreach ($a in $VMNetworkAdapter) {
            try {
                switch (Get-OvsVmProviderName) {
                    'HyperV' { Get-OvsHvAdapterView -PortSetting (Get-OvsHvPortSetting -Adapter $a) -Adapter $a }
                    default {
                        $link = Get-OvsNetnsHostLinks | Where-Object { $_.VMName -eq $a.VMName -and $_.AdapterName -eq $a.Name } | Select-Object -First 1
                        if (-not $link) { throw [OvsEngineException]::new('OVS_E_NO_ADAPTER', "VM '$($a.VMName)' has no network adapter '$($a.Name)'.", $a) }
                        Get-OvsNetnsAdapterView -Link $link
                    }
                }
            } catch { Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $a }
        }
    }
}
