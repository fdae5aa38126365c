# OpenVSwitch module: thin cmdlets over the ovs-powershell engine's JSON-RPC API.
Set-StrictMode -Version 3.0

. (Join-Path $PSScriptRoot 'Classes/OvsEngineException.ps1')
foreach ($file in Get-ChildItem -Path (Join-Path $PSScriptRoot 'Private') -Filter '*.ps1' | Sort-Object Name) { . $file.FullName }
. (Join-Path $PSScriptRoot 'Classes/OvsDscResources.ps1')
foreach ($file in Get-ChildItem -Path (Join-Path $PSScriptRoot 'Public') -Filter '*.ps1' | Sort-Object Name) { . $file.FullName }

# Tab completion of bridge, port and interface names from the engine (silent when it is not running).
$bridgeCompleter = {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    try {
        $db = $fakeBoundParameters['Database']
        @(Invoke-OvsRpc -Method 'ovsps/bridges' -Params @(@{}) -Database $db) | ForEach-Object { $_.name } |
            Where-Object { $_ -like "$wordToComplete*" } | Sort-Object |
            ForEach-Object { [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_) }
    } catch { Write-Verbose "completion: $_" }
}
$portCompleter = {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    try {
        $db = $fakeBoundParameters['Database']
        $p = @{}; if ($fakeBoundParameters['Bridge']) { $p.bridge = $fakeBoundParameters['Bridge'] }
        @(Invoke-OvsRpc -Method 'ovsps/ports' -Params @($p) -Database $db) | ForEach-Object { $_.name } |
            Where-Object { $_ -like "$wordToComplete*" } | Sort-Object |
            ForEach-Object { [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_) }
    } catch { Write-Verbose "completion: $_" }
}
$interfaceCompleter = {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    try {
        $db = $fakeBoundParameters['Database']
        @(Invoke-OvsRpc -Method 'ovsps/interfaces' -Params @(@{}) -Database $db) | ForEach-Object { $_.name } |
            Where-Object { $_ -like "$wordToComplete*" } | Sort-Object |
            ForEach-Object { [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_) }
    } catch { Write-Verbose "completion: $_" }
}
Register-ArgumentCompleter -CommandName Get-OvsBridge, Remove-OvsBridge, Set-OvsBridge -ParameterName Name -ScriptBlock $bridgeCompleter
Register-ArgumentCompleter -CommandName Add-OvsPort, Get-OvsPort, Remove-OvsPort, Get-OvsInterface, Add-OvsPatchPort, Add-OvsTunnelPort, Add-OvsBond, Get-OvsFlow, Add-OvsFlow, Remove-OvsFlow, Get-OvsFdb -ParameterName Bridge -ScriptBlock $bridgeCompleter
Register-ArgumentCompleter -CommandName Add-OvsPatchPort -ParameterName PeerBridge -ScriptBlock $bridgeCompleter
Register-ArgumentCompleter -CommandName Get-OvsPort, Remove-OvsPort, Set-OvsPort -ParameterName Name -ScriptBlock $portCompleter
Register-ArgumentCompleter -CommandName Get-OvsInterface, Set-OvsInterface -ParameterName Name -ScriptBlock $interfaceCompleter

$ExecutionContext.SessionState.Module.OnRemove = { Disconnect-OvsEngineSocket }

Export-ModuleMember -Function (Get-ChildItem -Path (Join-Path $PSScriptRoot 'Public') -Filter '*.ps1' | ForEach-Object BaseName)
