# Helpers of the DSC resources. The resource classes themselves (OvsBridge, OvsPort,
# OvsVMAdapterPort, with OvsEnsure and OvsReason) are defined in OpenVSwitch.psm1, the root
# module, which is the only file Get-DscResource reads to discover class-based resources.

function New-OvsReason {
    [CmdletBinding()]
    [OutputType('OvsReason')]
    param([string]$Code, [string]$Phrase)
    $r = [OvsReason]::new(); $r.Code = $Code; $r.Phrase = $Phrase; return $r
}
