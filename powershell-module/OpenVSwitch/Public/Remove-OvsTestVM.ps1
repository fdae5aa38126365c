function Remove-OvsTestVM {
    <#
    .SYNOPSIS
    Deletes Linux test VMs (their namespaces and veth vNICs).
    .DESCRIPTION
    Deletes the namespace and the host end of each vNIC. An OVS port still named after the vNIC stays
    in the database (remove it with Remove-OvsPort); its interface then reports the device missing.
    .PARAMETER Name
    VM names; accepts pipeline input by property name.
    .EXAMPLE
    Remove-OvsTestVM -Name vma
    Deletes vma.
    .EXAMPLE
    Get-OvsTestVM | Remove-OvsTestVM -Confirm:$false
    Deletes every test VM.
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType([void])]
    param([Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)][Alias('VMName')][string[]]$Name)
    process {
        foreach ($n in $Name) {
            if (-not $PSCmdlet.ShouldProcess($n, 'Delete network namespace VM')) { continue }
            try {
                foreach ($l in @(Get-OvsNetnsHostLinks | Where-Object VMName -eq $n)) { & ip link delete $l.Name 2>&1 | Out-Null }
                $exists = @(Invoke-OvsIp -Json -Arguments @('netns', 'list')) | Where-Object { $_.name -eq $n }
                if (-not $exists) { throw [OvsEngineException]::new('OVS_E_NO_VM', "no test VM named $n", $n) }
                Invoke-OvsIp -Arguments @('netns', 'delete', $n)
            } catch {
                Write-OvsError -Cmdlet $PSCmdlet -ErrorObject $_ -Target $n
            }
        }
    }
}
