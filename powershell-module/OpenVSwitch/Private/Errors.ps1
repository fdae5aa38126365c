# ErrorRecords with the engine's error code as ErrorId, a category derived from it, and the target.

function Get-OvsErrorCategory {
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorCategory])]
    param([string]$Code, [string]$Message)
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
    $record = New-OvsErrorRecord -Exception $ex -Target $Target
    $Cmdlet.WriteError($record)
}

function New-OvsArgumentError {
    [CmdletBinding()]
    [OutputType([System.Management.Automation.ErrorRecord])]
    param([string]$Message, [object]$Target, [string]$ErrorId = 'OVS_E_INVALID_INPUT')
    return New-OvsErrorRecord -Exception ([System.ArgumentException]::new($Message)) -Target $Target -ErrorId $ErrorId -Category InvalidArgument
}
