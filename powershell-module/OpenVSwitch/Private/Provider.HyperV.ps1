# Hyper-V VM binding through CIM (root\virtualization\v2), as OVS's OVS.psm1 does with WMI, but with
# escaped WQL, bounded job polling, and typed results. All CIM access goes through the two wrappers
# below, so tests can replace them with a fake that records classes, filters and method calls.

$script:HvNamespace = 'root\virtualization\v2'

function Invoke-OvsCimQuery {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$ClassName, [string]$Filter)
    $p = @{ Namespace = $script:HvNamespace; ClassName = $ClassName; ErrorAction = 'Stop' }
    if ($Filter) { $p.Filter = $Filter }
    Get-CimInstance @p
}

function Invoke-OvsCimMethod {
    [CmdletBinding()]
    param([Parameter(Mandatory)]$InputObject, [Parameter(Mandatory)][string]$MethodName, [hashtable]$Arguments = @{})
    Invoke-CimMethod -InputObject $InputObject -MethodName $MethodName -Arguments $Arguments -ErrorAction Stop
}

function ConvertTo-OvsCimEmbeddedInstance {
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)]$InputObject)
    if ($InputObject.PSObject.Properties['__EmbeddedText']) { return [string]$InputObject.__EmbeddedText } # fake CIM in tests
    $serializer = [Microsoft.Management.Infrastructure.Serialization.CimSerializer]::Create()
    $bytes = $serializer.Serialize($InputObject, [Microsoft.Management.Infrastructure.Serialization.InstanceSerializationOptions]::None)
    return [System.Text.Encoding]::Unicode.GetString($bytes)
}

# WQL string literal content: backslash and quote escaped.
function ConvertTo-OvsWqlString {
    [CmdletBinding()]
    [OutputType([string])]
    param([AllowEmptyString()][string]$Value)
    return ($Value -replace '\\', '\\' -replace "'", "\'")
}

# WQL LIKE pattern content for a literal prefix: also neutralise %, _ and [.
function ConvertTo-OvsWqlLikePrefix {
    [CmdletBinding()]
    [OutputType([string])]
    param([AllowEmptyString()][string]$Value)
    $v = $Value -replace '\[', '[[]' -replace '%', '[%]' -replace '_', '[_]'
    return (ConvertTo-OvsWqlString $v) + '%'
}

function Wait-OvsCimJob {
    [CmdletBinding()]
    param([Parameter(Mandatory)]$Result, [int]$TimeoutSeconds = 60, [string]$What)
    if ($Result.ReturnValue -eq 0) { return }
    if ($Result.ReturnValue -ne 4096) {
        throw [OvsEngineException]::new('OVS_E_HYPERV', "$What failed: Hyper-V returned $($Result.ReturnValue).", $What)
    }
    $jobPath = $Result.Job
    $id = if ($jobPath -is [string]) { if ($jobPath -match 'InstanceID="([^"]+)"') { $Matches[1] } else { $jobPath } } else { $jobPath.InstanceID }
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ($true) {
        $job = Invoke-OvsCimQuery -ClassName 'Msvm_ConcreteJob' -Filter ("InstanceID = '" + (ConvertTo-OvsWqlString $id) + "'")
        $state = [int]$job.JobState
        if ($state -eq 7) { return }                       # Completed
        if ($state -in 8, 9, 10, 11) {                     # Terminated, Killed, Exception, Service
            throw [OvsEngineException]::new('OVS_E_HYPERV_JOB', "$What failed: $($job.ErrorDescription) (job state $state).", $What)
        }
        if ([DateTime]::UtcNow -ge $deadline) {
            throw [OvsEngineException]::new('OVS_E_HYPERV_TIMEOUT', "$What did not finish within $TimeoutSeconds s (job $id, state $state).", $What)
        }
        Start-Sleep -Milliseconds 100
    }
}

function Get-OvsHvPortSetting {
    [CmdletBinding()]
    param([Parameter(Mandatory)]$Adapter)
    $id = [string]$Adapter.Id
    if (-not $id) { throw [OvsEngineException]::new('OVS_E_INVALID_INPUT', 'The VM network adapter has no Id; pass an object from Get-VMNetworkAdapter.', $Adapter) }
    $filter = "InstanceID LIKE '" + (ConvertTo-OvsWqlLikePrefix $id) + "'"
    $s = @(Invoke-OvsCimQuery -ClassName 'Msvm_EthernetPortAllocationSettingData' -Filter $filter)
    if ($s.Count -eq 0) { throw [OvsEngineException]::new('OVS_E_NOT_CONNECTED', "VM network adapter '$($Adapter.Name)' of VM '$($Adapter.VMName)' is not connected to a switch.", $Adapter) }
    return $s[0]
}

function Get-OvsHvAdapterView {
    [CmdletBinding()]
    param([Parameter(Mandatory)]$PortSetting, $Adapter)
    $vmName = if ($Adapter) { $Adapter.VMName } else { $null }
    $name = if ($Adapter) { $Adapter.Name } else { $null }
    [pscustomobject]@{
        PSTypeName       = 'OpenVSwitch.VMNetworkAdapterPort'
        VMName           = $vmName
        AdapterName      = $name
        OVSPortName      = [string]$PortSetting.ElementName
        MacAddress       = if ($Adapter) { $Adapter.MacAddress } else { $null }
        InstanceId       = [string]$PortSetting.InstanceID
        Provider         = 'HyperV'
        NetworkAdapter   = $Adapter
    }
}

function Set-OvsHvAdapterPortName {
    [CmdletBinding()]
    param([Parameter(Mandatory)]$Adapter, [Parameter(Mandatory)][string]$OVSPortName, [int]$TimeoutSeconds = 60)
    $existing = @(Invoke-OvsCimQuery -ClassName 'Msvm_EthernetPortAllocationSettingData' -Filter ("ElementName = '" + (ConvertTo-OvsWqlString $OVSPortName) + "'"))
    $setting = Get-OvsHvPortSetting -Adapter $Adapter
    foreach ($e in $existing) {
        if ($e.InstanceID -ne $setting.InstanceID) {
            throw [OvsEngineException]::new('OVS_E_PORT_NAME_IN_USE', "OVS port name '$OVSPortName' is already used by another VM network adapter ($($e.InstanceID)).", $OVSPortName)
        }
    }
    $setting.ElementName = $OVSPortName
    $vsms = @(Invoke-OvsCimQuery -ClassName 'Msvm_VirtualSystemManagementService')[0]
    $embedded = ConvertTo-OvsCimEmbeddedInstance -InputObject $setting
    $result = Invoke-OvsCimMethod -InputObject $vsms -MethodName 'ModifyResourceSettings' -Arguments @{ ResourceSettings = [string[]]@($embedded) }
    Wait-OvsCimJob -Result $result -TimeoutSeconds $TimeoutSeconds -What "Setting OVS port name '$OVSPortName'"
    return Get-OvsHvAdapterView -PortSetting $setting -Adapter $Adapter
}

function Get-OvsHvAdaptersByPortName {
    [CmdletBinding()]
    param([string]$OVSPortName)
    $filter = if ($OVSPortName) { "ElementName = '" + (ConvertTo-OvsWqlString $OVSPortName) + "'" } else { "ElementName <> ''" }
    foreach ($s in @(Invoke-OvsCimQuery -ClassName 'Msvm_EthernetPortAllocationSettingData' -Filter $filter)) {
        if (-not $s.ElementName) { continue }
        $adapter = $null
        if (Get-Command -Name Get-VMNetworkAdapter -ErrorAction SilentlyContinue) {
            $adapter = Get-VMNetworkAdapter -All | Where-Object { ([string]$s.InstanceID).StartsWith([string]$_.Id) } | Select-Object -First 1
        }
        Get-OvsHvAdapterView -PortSetting $s -Adapter $adapter
    }
}
