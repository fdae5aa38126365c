# ErrorRecords with the engine's error code as ErrorId, a category derived from it, and the target.

# Stable codes -> categories; other codes are classified by their words and the message.
$script:OvsErrorCategories = @{
    OVS_E_CONNECT               = [System.Management.Automation.ErrorCategory]::ConnectionError
    OVS_E_CONNECTION_LOST       = [System.Management.Automation.ErrorCategory]::ConnectionError
    OVS_E_CONNECTION_CLOSED     = [System.Management.Automation.ErrorCategory]::ConnectionError
    OVS_E_PROTOCOL              = [System.Management.Automation.ErrorCategory]::ProtocolError
    OVS_E_ALREADY_EXISTS        = [System.Management.Automation.ErrorCategory]::ResourceExists
    OVS_E_DB_EXISTS             = [System.Management.Automation.ErrorCategory]::ResourceExists
    OVS_E_ENGINE_RUNNING        = [System.Management.Automation.ErrorCategory]::ResourceExists
    OVS_E_PORT_NAME_IN_USE      = [System.Management.Automation.ErrorCategory]::ResourceExists
    OVS_E_NO_BRIDGE             = [System.Management.Automation.ErrorCategory]::ObjectNotFound
    OVS_E_NO_PORT               = [System.Management.Automation.ErrorCategory]::ObjectNotFound
    OVS_E_NO_INTERFACE          = [System.Management.Automation.ErrorCategory]::ObjectNotFound
    OVS_E_NOT_FOUND             = [System.Management.Automation.ErrorCategory]::ObjectNotFound
    OVS_E_NO_VM                 = [System.Management.Automation.ErrorCategory]::ObjectNotFound
    OVS_E_NO_ADAPTER            = [System.Management.Automation.ErrorCategory]::ObjectNotFound
    OVS_E_NOT_CONNECTED         = [System.Management.Automation.ErrorCategory]::ObjectNotFound
    OVS_E_INVALID_INPUT         = [System.Management.Automation.ErrorCategory]::InvalidArgument
    OVS_E_VSCTL_UNKNOWN_COMMAND = [System.Management.Automation.ErrorCategory]::InvalidArgument
    OVS_E_VSCTL_BAD_COLUMN      = [System.Management.Automation.ErrorCategory]::InvalidArgument
    OVS_E_VSCTL_TIMEOUT         = [System.Management.Automation.ErrorCategory]::OperationTimeout
    OVS_E_ENGINE_TIMEOUT        = [System.Management.Automation.ErrorCategory]::OperationTimeout
    OVS_E_HYPERV_TIMEOUT        = [System.Management.Automation.ErrorCategory]::OperationTimeout
    OVS_E_HYPERV_JOB            = [System.Management.Automation.ErrorCategory]::OperationStopped
    OVS_E_NO_SWITCH             = [System.Management.Automation.ErrorCategory]::ResourceUnavailable
}

function Get-OvsErrorCategory {
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorCategory])]
    param([string]$Code, [string]$Message)
    if ($script:OvsErrorCategories.ContainsKey($Code)) { return $script:OvsErrorCategories[$Code] }
    $text = "$Code $Message"
    if ($text -match 'CONNECT|CONNECTION|Cannot connect') { return [System.Management.Automation.ErrorCategory]::ConnectionError }
    if ($text -match 'already exists|ALREADY_EXISTS|EXISTS|duplicate') { return [System.Management.Automation.ErrorCategory]::ResourceExists }
    if ($text -match 'NOT_FOUND|NO_SUCH|no bridge|no port|no interface|no row|not found|unknown') { return [System.Management.Automation.ErrorCategory]::ObjectNotFound }
    if ($text -match 'INVALID|SYNTAX|syntax error|constraint violation|not a valid|expected') { return [System.Management.Automation.ErrorCategory]::InvalidArgument }
    if ($text -match 'TIMEOUT|timed out') { return [System.Management.Automation.ErrorCategory]::OperationTimeout }
    return [System.Management.Automation.ErrorCategory]::NotSpecified
}

function New-OvsErrorRecord {
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorRecord])]
    param(
        [Parameter(Mandatory)][System.Exception]$Exception,
        [object]$Target,
        [string]$ErrorId,
        [System.Management.Automation.ErrorCategory]$Category = [System.Management.Automation.ErrorCategory]::NotSpecified
    )
    if (-not $ErrorId) {
        $ErrorId = if ($Exception -is [OvsEngineException] -and $Exception.Code) { $Exception.Code } else { 'OVS_E_UNEXPECTED' }
    }
    if ($Category -eq [System.Management.Automation.ErrorCategory]::NotSpecified) {
        $Category = Get-OvsErrorCategory -Code $ErrorId -Message $Exception.Message
    }
    return [System.Management.Automation.ErrorRecord]::new($Exception, $ErrorId, $Category, $Target)
}

# Writes a non-terminating error through the calling cmdlet (so -ErrorAction applies).
function Write-OvsError {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)][System.Management.Automation.PSCmdlet]$Cmdlet,
        [Parameter(Mandatory)][object]$ErrorObject,
        [object]$Target
    )
    $ex = if ($ErrorObject -is [System.Management.Automation.ErrorRecord]) { $ErrorObject.Exception } else { [System.Exception]$ErrorObject }
    if ($ex -is [System.Management.Automation.MethodInvocationException] -and $ex.InnerException) { $ex = $ex.InnerException }
    if ($ex -isnot [OvsEngineException] -and $ErrorObject -is [System.Management.Automation.ErrorRecord]) {
        # Not ours (a PowerShell or .NET failure): keep its own id and category.
        $id = ($ErrorObject.FullyQualifiedErrorId -split ',')[0]
        $record = New-OvsErrorRecord -Exception $ex -Target $Target -ErrorId $id -Category $ErrorObject.CategoryInfo.Category
        $Cmdlet.WriteError($record)
        return
    }
    $record = New-OvsErrorRecord -Exception $ex -Target $Target
    $Cmdlet.WriteError($record)
}

function New-OvsArgumentError {
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorRecord])]
    param([string]$Message, [object]$Target, [string]$ErrorId = 'OVS_E_INVALID_INPUT')
    return New-OvsErrorRecord -Exception ([System.ArgumentException]::new($Message)) -Target $Target -ErrorId $ErrorId -Category InvalidArgument
}
