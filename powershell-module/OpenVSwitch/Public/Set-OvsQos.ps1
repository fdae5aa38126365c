function Set-OvsQos {
    <#
    .SYNOPSIS
    Sets egress QoS (linux-htb) on an Open vSwitch port.
    .DESCRIPTION
    Creates a QoS row with the port's maximum rate and its default queue (queue 0, with optional
    minimum and maximum rates), and points the port at it, in one transaction; any earlier QoS of
    the port is replaced. Traffic the switch sends out of the port is shaped to the rates.
    .PARAMETER Port
    The port; accepts pipeline input by property name (Name of port objects).
    .PARAMETER MaxRate
    Maximum rate of all traffic out of the port, in bit/s.
    .PARAMETER QueueMinRate
    Guaranteed rate of the default queue, in bit/s.
    .PARAMETER QueueMaxRate
    Maximum rate of the default queue, in bit/s (default: -MaxRate).
    .PARAMETER Type
    The QoS type (linux-htb; linux-noop removes shaping but keeps the row).
    .PARAMETER PassThru
    Return the port's QoS.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Set-OvsQos -Port vm1 -MaxRate 10000000
    Limits what vm1 receives from the switch to 10 Mbit/s.
    .EXAMPLE
    Get-OvsPort -Bridge br-int | Where-Object VlanTag -eq 900 | Set-OvsQos -MaxRate 100000000 -QueueMinRate 10000000
    Shapes every VLAN 900 port to 100 Mbit/s with 10 Mbit/s guaranteed.
    .OUTPUTS
    OpenVSwitch.Qos
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Low')]
    [OutputType('OpenVSwitch.Qos')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)]
        [Alias('Name')]
        [string]$Port,
        [Parameter(Mandatory, Position = 1)]
        [ValidateRange(1, [long]::MaxValue)]
        [long]$MaxRate,
        [ValidateRange(1, [long]::MaxValue)]
        [long]$QueueMinRate,
        [ValidateRange(1, [long]::MaxValue)]
        [long]$QueueMaxRate,
        [ValidateSet('linux-htb', 'linux-noop')]
        [string]$Type = 'linux-htb',
        [switch]$PassThru,
        [string]$Database
    )
    process {
        if (-not $PSCmdlet.ShouldProcess($Port, "Set QoS $Type max-rate $MaxRate bit/s")) { return }
        $queue = [System.Collections.Generic.List[string]]@('--id=@q0', 'create', 'Queue')
        $queue.Add("other_config:max-rate=$(if ($PSBoundParameters.ContainsKey('QueueMaxRate')) { $QueueMaxRate } else { $MaxRate })")
        if ($PSBoundParameters.ContainsKey('QueueMinRate')) { $queue.Add("other_config:min-rate=$QueueMinRate") }
        $cmds = @(
            [string[]]@('set', 'Port', $Port, 'qos=@q'),
            [string[]]@('--id=@q', 'create', 'QoS', "type=$Type", "other_config:max-rate=$MaxRate", 'queues:0=@q0'),
            [string[]]$queue
        )
        try {
            $null = Invoke-OvsVsctlCommand -Commands $cmds -Database $Database
            if ($PassThru) { Get-OvsQos -Port $Port -Database $Database }
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Port
        }
    }
}
