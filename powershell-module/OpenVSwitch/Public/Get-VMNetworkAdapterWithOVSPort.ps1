function Get-VMNetworkAdapterWithOVSPort {
    <#
    .SYNOPSIS
    Lists every VM network adapter that has an OVS port name.
    .DESCRIPTION
    Returns the bindings of all vNICs with an OVS port name (Hyper-V port allocation settings with a
    non-empty ElementName, or bound Linux test VM vNICs).
    .EXAMPLE
    Get-VMNetworkAdapterWithOVSPort
    All bound vNICs.
    .EXAMPLE
    Get-VMNetworkAdapterWithOVSPort | Where-Object { -not (Get-OvsPort -Name $_.OVSPortName -ErrorAction SilentlyContinue) }
    Bound vNICs whose OVS port was never added to a bridge.
    .OUTPUTS
    OpenVSwitch.VMNetworkAdapterPort
    #>
    [CmdletBinding()]
    [OutputType('OpenVSwitch.VMNetworkAdapterPort')]
    param()
    try {
        switch (Get-OvsVmProviderName) {
            'HyperV' { Get-OvsHvAdaptersByPortName }
            default { Get-OvsNetnsAdaptersByPortName }
        }
    } catch { Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $null }
}
