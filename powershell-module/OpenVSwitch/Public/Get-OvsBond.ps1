function Get-OvsBond {
    <#
    .SYNOPSIS
    Gets the bonds of the switch with their live member and LACP state (ovs-appctl bond/show).
    .DESCRIPTION
    Returns OpenVSwitch.Bond objects: the bond (Port) name, bridge, bond mode, LACP status
    (off, configured, negotiated), the active member, and one object per member interface with
    whether it is enabled, may be enabled, has carrier, and (with LACP) whether its partner is current.
    .PARAMETER Name
    Only the bond with this name; accepts pipeline input by property name (port objects).
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Get-OvsBond
    Lists every bond and its members.
    .EXAMPLE
    Get-OvsBond -Name bond0 | Select-Object -ExpandProperty Members
    The state of each member of bond0 (after pulling a cable, the member shows Enabled = False).
    .OUTPUTS
    OpenVSwitch.Bond
    #>
    [CmdletBinding()]
    [OutputType('OpenVSwitch.Bond')]
    param(
        [Parameter(Position = 0, ValueFromPipelineByPropertyName)]
        [string]$Name,
        [string]$Database
    )
    process {
        $filter = @{}
        if ($Name) { $filter.name = $Name }
        try {
            $views = @(Invoke-OvsRpc -Method 'ovsps/bonds' -Params @($filter) -Database $Database)
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Name
            return
        }
        foreach ($v in $views) {
            $members = foreach ($m in @($v.members)) {
                [pscustomobject]@{
                    PSTypeName  = 'OpenVSwitch.BondMember'
                    Name        = [string]$m.name
                    Enabled     = [bool]$m.enabled
                    MayEnable   = [bool]$m.mayEnable
                    Carrier     = [bool]$m.carrier
                    LacpCurrent = if ($null -ne $m.lacpCurrent) { [bool]$m.lacpCurrent } else { $null }
                }
            }
            [pscustomobject]@{
                PSTypeName   = 'OpenVSwitch.Bond'
                Name         = [string]$v.name
                Bridge       = [string]$v.bridge
                BondMode     = [string]$v.mode
                LacpStatus   = [string]$v.lacpStatus
                ActiveMember = if ($null -ne $v.activeMember) { [string]$v.activeMember } else { $null }
                Members      = @($members)
            }
        }
    }
}
