@{
    RootModule           = 'OpenVSwitch.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = '6c0f3a52-8f0e-4c55-9b61-3d2a4e7c9a10'
    Author               = 'ovs-powershell developers'
    CompanyName          = 'ovs-powershell'
    Copyright            = '(c) ovs-powershell developers. Apache License 2.0.'
    Description          = 'Open vSwitch for Windows/Hyper-V and Linux, managed from PowerShell: cmdlets that return objects, honour -WhatIf, pipe, and converge through DSC, over the ovs-powershell engine.'
    PowerShellVersion    = '7.2'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('OpenVSwitch.Format.ps1xml', 'OpenVSwitch.Prerequisite.Format.ps1xml', 'OpenVSwitch.Features.Format.ps1xml')
    TypesToProcess       = @('OpenVSwitch.Types.ps1xml')
    FunctionsToExport    = @(
        'New-OvsMirror',
        'Get-OvsMirror',
        'Remove-OvsMirror',
        'Get-OvsBond',
        'Enable-OvsSFlow',
        'Disable-OvsSFlow',
        'Get-OvsSFlow',
        'Set-OvsQos',
        'Get-OvsQos',
        'Remove-OvsQos',
        'Add-OvsBond',
        'Add-OvsFlow',
        'Add-OvsPatchPort',
        'Add-OvsPort',
        'Add-OvsTunnelPort',
        'Get-OvsBridge',
        'Get-OvsDatapath',
        'Get-OvsEngine',
        'Get-OvsFdb',
        'Get-OvsFlow',
        'Get-OvsInterface',
        'Get-OvsPort',
        'Get-OvsService',
        'Get-OvsTestVM',
        'Get-VMByOVSPort',
        'Get-VMNetworkAdapterByOVSPort',
        'Get-VMNetworkAdapterOVSPort',
        'Get-VMNetworkAdapterWithOVSPort',
        'Initialize-OvsDatabase',
        'Install-OvsService',
        'Invoke-OvsDscResource',
        'Invoke-OvsVsctl',
        'New-OvsBridge',
        'New-OvsTestVM',
        'Remove-OvsBridge',
        'Remove-OvsFlow',
        'Remove-OvsPort',
        'Remove-OvsTestVM',
        'Set-OvsBridge',
        'Set-OvsInterface',
        'Set-OvsPort',
        'Set-VMNetworkAdapterOVSPort',
        'Show-OvsConfig',
        'Start-OvsEngine',
        'Start-OvsService',
        'Stop-OvsEngine',
        'Stop-OvsService',
        'Test-OvsEngine',
        'Test-OvsPrerequisite',
        'Uninstall-OvsService'
    )
    # No CmdletsToExport: a script module has no compiled cmdlets, and with all three of
    # CmdletsToExport, FunctionsToExport and AliasesToExport present Get-DscResource misses
    # class-based resources (PowerShell/PSDesiredStateConfiguration#117).
    VariablesToExport    = @()
    AliasesToExport      = @()
    DscResourcesToExport = @('OvsBridge', 'OvsPort', 'OvsVMAdapterPort', 'OvsService')
    PrivateData          = @{
        PSData = @{
            Tags       = @('OpenVSwitch', 'OVS', 'HyperV', 'SDN', 'Networking', 'DSC')
            LicenseUri = 'https://www.apache.org/licenses/LICENSE-2.0'
        }
    }
}
