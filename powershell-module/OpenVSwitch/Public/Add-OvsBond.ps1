function Add-OvsBond {
    <#
    .SYNOPSIS
    Adds a bonded port (several interfaces as one port) to an Open vSwitch bridge.
    .DESCRIPTION
    Creates a bond (ovs-vsctl add-bond) over two or more interfaces, with its bond mode and LACP
    setting, in one transaction.
    .PARAMETER Bridge
    The bridge.
    .PARAMETER Name
    The bond port name, e.g. bond0.
    .PARAMETER Interface
    The member interfaces (at least two), e.g. Ethernet0, Ethernet1.
    .PARAMETER BondMode
    active-backup (default in OVS), balance-slb or balance-tcp.
    .PARAMETER Lacp
    active, passive or off.
    .PARAMETER VlanTag
    Access VLAN of the bond.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Add-OvsBond -Bridge br-pif -Name bond0 -Interface Ethernet0, Ethernet1 -BondMode balance-slb
    Bonds two NICs on br-pif.
    .EXAMPLE
    Add-OvsBond -Bridge br-pif -Name bond1 -Interface eth2, eth3 -Lacp active -BondMode balance-tcp
    An LACP bond.
    .OUTPUTS
    OpenVSwitch.Port
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Low')]
    [OutputType('OpenVSwitch.Port')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)]
        [Alias('BridgeName')]
        [string]$Bridge,
        [Parameter(Mandatory, Position = 1)]
        [string]$Name,
        [Parameter(Mandatory, Position = 2)]
        [ValidateCount(2, 32)]
        [string[]]$Interface,
        [ValidateSet('active-backup', 'balance-slb', 'balance-tcp')]
        [string]$BondMode,
        [ValidateSet('active', 'passive', 'off')]
        [string]$Lacp,
        [ValidateRange(0, 4095)]
        [Nullable[int]]$VlanTag,
        [string]$Database
    )
    process {
        if (-not $PSCmdlet.ShouldProcess("$Bridge/$Name", "Add bond of $($Interface -join ', ')")) { return }
        $cmd = @('add-bond', $Bridge, $Name) + $Interface
        if ($BondMode) { $cmd += "bond_mode=$BondMode" }
        if ($Lacp) { $cmd += "lacp=$Lacp" }
        if ($null -ne $VlanTag) { $cmd += "tag=$VlanTag" }
        try {
            $r = Invoke-OvsVsctlCommand -Commands @(, $cmd) -Database $Database -View @{ kind = 'ports'; name = $Name }
            foreach ($v in $r['view']) { ConvertTo-OvsPortObject -View $v -Database $Database }
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Name
        }
    }
}
