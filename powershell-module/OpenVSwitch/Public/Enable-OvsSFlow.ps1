function Enable-OvsSFlow {
    <#
    .SYNOPSIS
    Turns on sFlow monitoring for a bridge.
    .DESCRIPTION
    Creates an sFlow row (collector targets, sampling rate, counter polling interval, header size,
    agent address or interface) and points the bridge at it in one transaction, replacing any sFlow
    configuration the bridge had. The switch then samples 1 in -Sampling packets and polls interface
    counters, sending sFlow v5 datagrams to every target.
    .PARAMETER Bridge
    The bridge; accepts pipeline input by property name.
    .PARAMETER Target
    Collectors as IP or IP:PORT (port 6343 by default).
    .PARAMETER Sampling
    Sample 1 in this many packets (OVS default 400).
    .PARAMETER Polling
    Seconds between interface counter samples (OVS default 30).
    .PARAMETER Header
    Bytes of each sampled packet to export (OVS default 128).
    .PARAMETER Agent
    The agent's IP address, or an interface whose address to use.
    .PARAMETER PassThru
    Return the bridge's sFlow configuration.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Enable-OvsSFlow -Bridge br-int -Target 10.0.0.5:6343 -Sampling 64 -Polling 10
    Samples 1 in 64 packets on br-int and sends counters every 10 seconds to 10.0.0.5.
    .EXAMPLE
    Get-OvsBridge | Enable-OvsSFlow -Target 10.0.0.5 -Agent Ethernet0 -WhatIf
    Shows what would be enabled on every bridge.
    .OUTPUTS
    OpenVSwitch.SFlow
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Low')]
    [OutputType('OpenVSwitch.SFlow')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)]
        [Alias('BridgeName')]
        [string]$Bridge,
        [Parameter(Mandatory, Position = 1)]
        [ValidatePattern('^\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?$')]
        [string[]]$Target,
        [ValidateRange(1, [int]::MaxValue)]
        [int]$Sampling,
        [ValidateRange(0, [int]::MaxValue)]
        [int]$Polling,
        [ValidateRange(1, 65535)]
        [int]$Header,
        [string]$Agent,
        [switch]$PassThru,
        [string]$Database
    )
    process {
        if (-not $PSCmdlet.ShouldProcess($Bridge, "Enable sFlow to $($Target -join ', ')")) { return }
        $targets = '[' + ((@($Target) | ForEach-Object { '"' + $_ + '"' }) -join ',') + ']'
        $create = [System.Collections.Generic.List[string]]@('--id=@s', 'create', 'sFlow', "targets=$targets")
        if ($PSBoundParameters.ContainsKey('Sampling')) { $create.Add("sampling=$Sampling") }
        if ($PSBoundParameters.ContainsKey('Polling')) { $create.Add("polling=$Polling") }
        if ($PSBoundParameters.ContainsKey('Header')) { $create.Add("header=$Header") }
        if ($Agent) { $create.Add("agent=$(ConvertTo-OvsVsctlValue $Agent)") }
        try {
            $null = Invoke-OvsVsctlCommand -Commands @([string[]]$create, [string[]]@('set', 'Bridge', $Bridge, 'sflow=@s')) -Database $Database
            if ($PassThru) { Get-OvsSFlow -Bridge $Bridge -Database $Database }
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Bridge
        }
    }
}
