function Show-OvsConfig {
    <#
    .SYNOPSIS
    Shows the switch configuration as `ovs-vsctl show` prints it.
    .DESCRIPTION
    Returns the text of ovs-vsctl show (the Open_vSwitch uuid, then each bridge with its ports,
    interfaces, types, tags and options), for reading or for comparing with OVS documentation.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Show-OvsConfig
    Prints the whole configuration tree.
    .EXAMPLE
    Show-OvsConfig | Select-String 'tag: 900' -Context 2
    Finds the ports on VLAN 900.
    .OUTPUTS
    System.String
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([string]$Database)
    try {
        $r = Invoke-OvsVsctlCommand -Commands @(, @('show')) -Database $Database
        ($r.outputs[0]).TrimEnd("`n")
    } catch {
        Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target 'show'
    }
}
