function Initialize-OvsDatabase {
    <#
    .SYNOPSIS
    Creates an Open vSwitch configuration database file.
    .DESCRIPTION
    Creates a database file from the Open_vSwitch schema (as `ovsdb-tool create DB SCHEMA`), in the
    OVSDB log format that real ovsdb-tool and ovsdb-server read. Refuses to overwrite an existing
    file unless -Force. Returns the file.
    .PARAMETER Path
    The database file to create, e.g. C:\ProgramData\openvswitch\conf.db.
    .PARAMETER SchemaPath
    The schema; default the project's manifests/vswitch.ovsschema.
    .PARAMETER Force
    Replace an existing database file (its contents are lost).
    .EXAMPLE
    Initialize-OvsDatabase -Path ./var/lib/openvswitch/conf.db
    Creates an empty configuration database.
    .EXAMPLE
    Initialize-OvsDatabase -Path $db -Force -WhatIf
    Shows that the existing database would be replaced, without doing it.
    .OUTPUTS
    System.IO.FileInfo
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType([System.IO.FileInfo])]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)]
        [Alias('DatabasePath', 'FullName')]
        [string]$Path,
        [string]$SchemaPath,
        [switch]$Force
    )
    process {
        $full = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
        if (-not $SchemaPath) { $SchemaPath = Join-Path (Get-OvsProjectRoot) 'manifests/vswitch.ovsschema' }
        if (-not (Test-Path -LiteralPath $SchemaPath)) {
            $PSCmdlet.WriteError((New-OvsArgumentError -Message "Schema file '$SchemaPath' does not exist." -Target $SchemaPath -ErrorId 'OVS_E_NO_SCHEMA'))
            return
        }
        $exists = Test-Path -LiteralPath $full
        if ($exists -and -not $Force) {
            $ex = [OvsEngineException]::new('OVS_E_DB_EXISTS', "Database '$full' already exists; use -Force to replace it.", $full)
            $PSCmdlet.WriteError((New-OvsErrorRecord -Exception $ex -Target $full -Category ResourceExists))
            return
        }
        $action = if ($exists) { 'Replace Open vSwitch database' } else { 'Create Open vSwitch database' }
        if (-not $PSCmdlet.ShouldProcess($full, $action)) { return }
        try {
            $dir = Split-Path -Parent $full
            if ($dir -and -not (Test-Path -LiteralPath $dir)) { $null = New-Item -ItemType Directory -Path $dir -Force }
            if ($exists) { Remove-Item -LiteralPath $full -Force }
            $tool = Get-OvsEngineScript -Relative '.build/engine/cli/ovsdb-tool.js'
            $r = Invoke-OvsNodeTool -Script (Join-Path (Get-OvsProjectRoot) 'engine/bin/ovsdb-tool') -Arguments @('create', $full, $SchemaPath)
            if ($r.ExitCode -ne 0) { throw [OvsEngineException]::new('OVS_E_DB_CREATE', "ovsdb-tool create failed: $($r.Output)", $full) }
            $null = $tool
            Get-Item -LiteralPath $full
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $full
        }
    }
}
