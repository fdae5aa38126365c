function Invoke-OvsDscResource {
    <#
    .SYNOPSIS
    Runs the Get, Test or Set method of one of the module's DSC resources.
    .DESCRIPTION
    Applies the module's class-based DSC resources (OvsBridge, OvsPort, OvsVMAdapterPort) without a
    DSC engine, the way Invoke-DscResource does: Get returns the current state (with Reasons when it
    differs), Test returns an object whose InDesiredState says whether anything would change, and
    Set converges (changing only what differs; a second Set changes nothing).
    .PARAMETER Name
    The resource: OvsBridge, OvsPort or OvsVMAdapterPort.
    .PARAMETER Method
    Get, Test or Set.
    .PARAMETER Property
    The resource's properties, e.g. @{ Name = 'ovs-port-a'; Bridge = 'br-int'; VlanTag = 900 }.
    .EXAMPLE
    Invoke-OvsDscResource -Name OvsBridge -Method Set -Property @{ Name = 'br-int' }
    Makes sure bridge br-int exists.
    .EXAMPLE
    Invoke-OvsDscResource OvsPort Test @{ Name = 'ovs-port-a'; Bridge = 'br-int'; VlanTag = 900 }
    Tells whether ovs-port-a is on br-int with VLAN 900 (InDesiredState).
    .OUTPUTS
    OpenVSwitch.DscResult
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Low')]
    [OutputType('OpenVSwitch.DscResult')]
    param(
        [Parameter(Mandatory, Position = 0)]
        [ValidateSet('OvsBridge', 'OvsPort', 'OvsVMAdapterPort', 'OvsService')]
        [string]$Name,
        [Parameter(Mandatory, Position = 1)]
        [ValidateSet('Get', 'Test', 'Set')]
        [string]$Method,
        [Parameter(Mandatory, Position = 2)]
        [hashtable]$Property
    )
    try {
        $resource = switch ($Name) {
            'OvsBridge' { [OvsBridge]::new() }
            'OvsPort' { [OvsPort]::new() }
            'OvsVMAdapterPort' { [OvsVMAdapterPort]::new() }
            'OvsService' { [OvsService]::new() }
        }
        foreach ($k in $Property.Keys) {
            if (-not $resource.PSObject.Properties[$k]) {
                throw [OvsEngineException]::new('OVS_E_INVALID_INPUT', "$Name has no property '$k' (it has $(($resource.PSObject.Properties.Name | Where-Object { $_ -ne 'Reasons' }) -join ', ')).", $k)
            }
            $resource.$k = $Property[$k]
        }
        $label = "$Name[$(@($Property['Name'], $Property['VMName']) | Where-Object { $_ } | Select-Object -First 1)]"
        switch ($Method) {
            'Get' {
                $state = $resource.Get()
                $state.PSObject.TypeNames.Insert(0, 'OpenVSwitch.DscResult')
                $state
            }
            'Test' {
                [pscustomobject]@{ PSTypeName = 'OpenVSwitch.DscResult'; Resource = $label; InDesiredState = $resource.Test() }
            }
            'Set' {
                $inState = $resource.Test()
                if (-not $inState -and $PSCmdlet.ShouldProcess($label, 'Converge DSC resource')) { $resource.Set() }
                [pscustomobject]@{ PSTypeName = 'OpenVSwitch.DscResult'; Resource = $label; InDesiredState = $inState; RebootRequired = $false }
            }
        }
    } catch {
        Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $Name
    }
}
