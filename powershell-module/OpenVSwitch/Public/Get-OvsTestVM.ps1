function Get-OvsTestVM {
    <#
    .SYNOPSIS
    Gets the Linux test VMs (network namespaces made by New-OvsTestVM).
    .DESCRIPTION
    Returns OpenVSwitch.TestVM objects with their network adapters (and the OVS port names those
    are bound to) and eth0 addresses.
    .PARAMETER Name
    VM names or wildcard patterns.
    .EXAMPLE
    Get-OvsTestVM
    Lists every test VM.
    .EXAMPLE
    (Get-OvsTestVM vma).NetworkAdapters
    Shows vma's vNIC and its OVS port name.
    .OUTPUTS
    OpenVSwitch.TestVM
    #>
    [CmdletBinding()]
    [OutputType('OpenVSwitch.TestVM')]
    param([Parameter(Position = 0)][SupportsWildcards()][string[]]$Name = @('*'))
    if ($IsWindows) { return }
    $links = @(Get-OvsNetnsHostLinks)
    $vms = $links | Group-Object -Property VMName
    foreach ($g in $vms) {
        if (-not ($Name | Where-Object { $g.Name -like $_ })) { continue }
        $addrs = @()
        try {
            foreach ($i in (Invoke-OvsIp -Json -Arguments @('-n', $g.Name, 'addr', 'show', 'dev', 'eth0'))) {
                foreach ($a in @($i.addr_info)) { $addrs += "$($a.local)/$($a.prefixlen)" }
            }
        } catch { Write-Verbose "reading addresses of $($g.Name): $_" }
        [pscustomobject]@{
            PSTypeName      = 'OpenVSwitch.TestVM'
            Name            = $g.Name
            IPAddress       = $addrs
            NetworkAdapters = @($g.Group | ForEach-Object { (Get-OvsNetnsAdapterView -Link $_).NetworkAdapter })
        }
    }
}
