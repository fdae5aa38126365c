# Locating and launching the engine (node + the compiled engine under the project root).

function Get-OvsNodePath {
    [CmdletBinding()]
    [OutputType([string])]
    param()
    if ($env:OVS_NODE) { return $env:OVS_NODE }
    $cmd = Get-Command -Name node -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $cmd) { throw [OvsEngineException]::new('OVS_E_NO_NODE', 'Node.js (node) was not found on PATH; install Node 20 or set $env:OVS_NODE.', 'node') }
    return $cmd.Source
}

function Get-OvsEngineScript {
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)][string]$Relative)
    $path = Join-Path (Get-OvsProjectRoot) $Relative
    if (-not (Test-Path -LiteralPath $path)) {
        throw [OvsEngineException]::new('OVS_E_ENGINE_NOT_BUILT', "The engine is not built ($path is missing); run 'npm ci' in $(Get-OvsProjectRoot).", $path)
    }
    return $path
}

function Get-OvsRunDirectoryTarget {
    [CmdletBinding()]
    [OutputType([string])]
    param([string]$RunDirectory, [string]$Database)
    if ($Database) { return Resolve-OvsTarget -Database $Database }
    if ($RunDirectory) {
        if ($IsWindows) { return 'unix:' + (Join-Path $RunDirectory 'db.sock') }
        return 'unix:' + (Join-Path $RunDirectory 'db.sock')
    }
    return Get-OvsDefaultTarget
}

function Invoke-OvsNodeTool {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Script, [string[]]$Arguments)
    $node = Get-OvsNodePath
    $out = & $node $Script @Arguments 2>&1
    [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = (@($out) | ForEach-Object { "$_" }) -join "`n" }
}
