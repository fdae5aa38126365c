function Add-OvsTunnelPort {
    <#
    .SYNOPSIS
    Adds a tunnel port (VXLAN, Geneve, STT or GRE) to an Open vSwitch bridge.
    .DESCRIPTION
    Creates a port whose interface is a tunnel to -RemoteIp, with the local endpoint, key and
    destination port options, in one transaction. -Key flow (the default) lets flows choose the
    tunnel key, like the seed's in_key=flow/out_key=flow.
    .PARAMETER Bridge
    The bridge, e.g. br-int.
    .PARAMETER Name
    The port name, e.g. tun-1.
    .PARAMETER Type
    Vxlan, Geneve, Stt or Gre.
    .PARAMETER RemoteIp
    The remote tunnel endpoint (IPv4 or IPv6), or 'flow'.
    .PARAMETER LocalIp
    The local tunnel endpoint.
    .PARAMETER Key
    The tunnel key (VNI): a number, or 'flow' (default) to set in_key=flow and out_key=flow.
    .PARAMETER DestinationPort
    UDP destination port (VXLAN default 4789, Geneve 6081).
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Add-OvsTunnelPort -Bridge br-int -Name tun-1 -Type Vxlan -LocalIp 172.168.201.101 -RemoteIp 172.168.201.102
    The seed's tun-1, in one command.
    .EXAMPLE
    Add-OvsTunnelPort -Bridge br-int -Name gnv0 -Type Geneve -RemoteIp 192.0.2.7 -Key 5001
    A Geneve tunnel with VNI 5001.
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
        [Parameter(Mandatory)]
        [ValidateSet('Vxlan', 'Geneve', 'Stt', 'Gre')]
        [string]$Type,
        [Parameter(Mandatory)]
        [string]$RemoteIp,
        [string]$LocalIp,
        [ValidatePattern('^(flow|\d+)$')]
        [string]$Key = 'flow',
        [ValidateRange(1, 65535)]
        [int]$DestinationPort,
        [string]$Database
    )
    process {
        foreach ($ip in @($RemoteIp, $LocalIp)) {
            if (-not $ip -or $ip -eq 'flow') { continue }
            $parsed = $null
            if (-not [System.Net.IPAddress]::TryParse($ip, [ref]$parsed)) {
                $PSCmdlet.WriteError((New-OvsArgumentError -Message "'$ip' is not an IP address (expected IPv4 or IPv6, or 'flow')." -Target $ip))
                return
            }
        }
        if (-not $PSCmdlet.ShouldProcess("$Bridge/$Name", "Add $Type tunnel port to $RemoteIp")) { return }
        $sets = @("type=$($Type.ToLowerInvariant())", "options:remote_ip=$RemoteIp")
        if ($LocalIp) { $sets += "options:local_ip=$LocalIp" }
        if ($Key -eq 'flow') { $sets += 'options:in_key=flow', 'options:out_key=flow' } else { $sets += "options:key=$Key" }
        if ($DestinationPort) { $sets += "options:dst_port=$DestinationPort" }
        try {
            $cmds = @(
                , @('add-port', $Bridge, $Name)
                , (@('set', 'Interface', $Name) + $sets)
            )
            $r = Invoke-OvsVsctlCommand -Commands $cmds -Database $Database -View @{ kind = 'ports'; name = $Name }
            foreach ($v in $r['view']) { ConvertTo-OvsPortObject -View $v -Database $Database }
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Name
        }
    }
}
