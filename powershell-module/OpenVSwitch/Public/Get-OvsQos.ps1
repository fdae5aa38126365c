function Get-OvsQos {
    <#
    .SYNOPSIS
    Gets the egress QoS of Open vSwitch ports.
    .DESCRIPTION
    Returns one OpenVSwitch.Qos object per port that has QoS: type, maximum rate and its queues
    (id, minimum and maximum rate, burst, priority).
    .PARAMETER Port
    Only this port; accepts pipeline input by property name.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Get-OvsQos
    Every shaped port.
    .EXAMPLE
    Get-OvsQos -Port vm1 | Select-Object -ExpandProperty Queues
    vm1's queues.
    .OUTPUTS
    OpenVSwitch.Qos
    #>
    [CmdletBinding()]
    [OutputType('OpenVSwitch.Qos')]
    param(
        [Parameter(Position = 0, ValueFromPipelineByPropertyName)]
        [Alias('Name')]
        [string]$Port,
        [string]$Database
    )
    process {
        $filter = @{}
        if ($Port) { $filter.port = $Port }
        try {
            $views = @(Invoke-OvsRpc -Method 'ovsps/qos' -Params @($filter) -Database $Database)
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Port
            return
        }
        foreach ($v in $views) {
            $queues = foreach ($q in @($v.queues)) {
                [pscustomobject]@{
                    PSTypeName = 'OpenVSwitch.QosQueue'
                    Id         = [int]$q.id
                    MinRate    = if ($null -ne $q.minRate) { [long]$q.minRate } else { $null }
                    MaxRate    = if ($null -ne $q.maxRate) { [long]$q.maxRate } else { $null }
                    Burst      = if ($null -ne $q.burst) { [long]$q.burst } else { $null }
                    Priority   = if ($null -ne $q.priority) { [int]$q.priority } else { $null }
                }
            }
            [pscustomobject]@{
                PSTypeName = 'OpenVSwitch.Qos'
                Port       = [string]$v.port
                Type       = [string]$v.type
                MaxRate    = if ($null -ne $v.maxRate) { [long]$v.maxRate } else { $null }
                Queues     = @($queues)
            }
        }
    }
}
