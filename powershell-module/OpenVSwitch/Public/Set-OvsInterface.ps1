function Set-OvsInterface {
    <#
    .SYNOPSIS
    Changes an Open vSwitch interface's type, options and other settings.
    .DESCRIPTION
    Sets an interface's type (patch, vxlan, geneve, gre, stt, internal, ...), options (merged into
    the existing ones; -ReplaceOptions replaces them all), MTU request, OpenFlow port request and
    external ids, in one transaction.
    .PARAMETER Name
    The interface; accepts pipeline input by property name.
    .PARAMETER Type
    Interface type; an empty string makes it a system interface again.
    .PARAMETER Options
    Options to set, e.g. @{ remote_ip = '172.168.201.102'; in_key = 'flow'; out_key = 'flow' }.
    .PARAMETER ReplaceOptions
    Replace all options with -Options instead of merging.
    .PARAMETER MtuRequest
    Requested MTU.
    .PARAMETER OfPortRequest
    Requested OpenFlow port number (1-65279).
    .PARAMETER ExternalIds
    Keys to set in external_ids.
    .PARAMETER IngressPolicingRate
    Drop what the interface receives above this rate, in kbit/s (0 turns policing off).
    .PARAMETER IngressPolicingBurst
    The policer's burst size in kbit (0 = OVS's default of 8000).
    .PARAMETER PassThru
    Returns the changed interface.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Set-OvsInterface -Name patch-to-pif -Type patch -Options @{ peer = 'patch-to-int' }
    Same as `ovs-vsctl set interface patch-to-pif type=patch options:peer=patch-to-int`.
    .EXAMPLE
    Set-OvsInterface -Name tun-1 -Type vxlan -Options @{ local_ip = '172.168.201.101'; remote_ip = '172.168.201.102' }
    Makes tun-1 a VXLAN tunnel.
    .OUTPUTS
    OpenVSwitch.Interface
    .EXAMPLE
    Set-OvsInterface -Name vm1 -IngressPolicingRate 10000 -IngressPolicingBurst 1000
    Polices what VM vm1 sends into the switch to 10 Mbit/s.
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('OpenVSwitch.Interface')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)]
        [Alias('InterfaceName')]
        [string]$Name,
        [AllowEmptyString()]
        [string]$Type,
        [hashtable]$Options,
        [switch]$ReplaceOptions,
        [ValidateRange(68, 65535)]
        [int]$MtuRequest,
        [ValidateRange(1, 65279)]
        [int]$OfPortRequest,
        [hashtable]$ExternalIds,
        [ValidateRange(0, [int]::MaxValue)]
        [int]$IngressPolicingRate,
        [ValidateRange(0, [int]::MaxValue)]
        [int]$IngressPolicingBurst,
        [switch]$PassThru,
        [string]$Database
    )
    process {
        $sets = @()
        $cmds = @()
        if ($PSBoundParameters.ContainsKey('Type')) { $sets += 'type=' + (ConvertTo-OvsVsctlValue $Type) }
        if ($Options) {
            if ($ReplaceOptions) { $sets += 'options=' + (ConvertTo-OvsVsctlValue $Options) }
            else { foreach ($k in $Options.Keys) { $sets += "options:$k=" + (ConvertTo-OvsVsctlValue $Options[$k]) } }
        } elseif ($ReplaceOptions) { $cmds += , @('clear', 'Interface', $Name, 'options') }
        if ($MtuRequest) { $sets += "mtu_request=$MtuRequest" }
        if ($OfPortRequest) { $sets += "ofport_request=$OfPortRequest" }
        if ($ExternalIds) { foreach ($k in $ExternalIds.Keys) { $sets += "external_ids:$k=" + (ConvertTo-OvsVsctlValue $ExternalIds[$k]) } }
        if ($PSBoundParameters.ContainsKey('IngressPolicingRate')) { $sets += "ingress_policing_rate=$IngressPolicingRate" }
        if ($PSBoundParameters.ContainsKey('IngressPolicingBurst')) { $sets += "ingress_policing_burst=$IngressPolicingBurst" }
        if ($sets.Count -gt 0) { $cmds += , (@('set', 'Interface', $Name) + $sets) }
        if ($cmds.Count -eq 0) {
            $PSCmdlet.WriteError((New-OvsArgumentError -Message 'Nothing to change: give -Type, -Options, -MtuRequest, -OfPortRequest, -ExternalIds, -IngressPolicingRate or -IngressPolicingBurst.' -Target $Name))
            return
        }
        if (-not $PSCmdlet.ShouldProcess($Name, 'Change Open vSwitch interface settings')) { return }
        try {
            $null = Invoke-OvsVsctlCommand -Commands $cmds -Database $Database
            if ($PassThru) { Get-OvsInterface -Name $Name -Database $Database }
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Name
        }
    }
}
