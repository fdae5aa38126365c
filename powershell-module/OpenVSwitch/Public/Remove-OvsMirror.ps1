function Remove-OvsMirror {
    <#
    .SYNOPSIS
    Removes a port mirror from an Open vSwitch bridge.
    .DESCRIPTION
    Detaches the mirror from its bridge (the Mirror row is then garbage-collected), so its output
    port becomes an ordinary port again.
    .PARAMETER Bridge
    The bridge; accepts pipeline input by property name (mirror objects from Get-OvsMirror).
    .PARAMETER Name
    The mirror's name; accepts pipeline input by property name.
    .PARAMETER Database
    The engine to talk to; default $env:OVS_DB or the local engine.
    .EXAMPLE
    Remove-OvsMirror -Bridge br-int -Name span-vm1
    Stops mirroring vm1.
    .EXAMPLE
    Get-OvsMirror -Bridge br-int | Remove-OvsMirror -WhatIf
    Shows which mirrors would be removed.
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType([void])]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)]
        [Alias('BridgeName')]
        [string]$Bridge,
        [Parameter(Mandatory, Position = 1, ValueFromPipelineByPropertyName)]
        [string]$Name,
        [string]$Database
    )
    process {
        try {
            $m = @(Invoke-OvsRpc -Method 'ovsps/mirrors' -Params @(@{ bridge = $Bridge; name = $Name }) -Database $Database)
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Name
            return
        }
        if ($m.Count -eq 0) {
            $PSCmdlet.WriteError((New-OvsErrorRecord -Exception ([System.Management.Automation.ItemNotFoundException]::new("no mirror named $Name on bridge $Bridge")) -Target $Name -ErrorId 'OVS_E_NOT_FOUND' -Category ObjectNotFound))
            return
        }
        if (-not $PSCmdlet.ShouldProcess("$Bridge/$Name", 'Remove mirror')) { return }
        try {
            $null = Invoke-OvsVsctlCommand -Commands @(, [string[]]@('remove', 'Bridge', $Bridge, 'mirrors', [string]$m[0].uuid)) -Database $Database
        } catch {
            Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Name
        }
    }
}
