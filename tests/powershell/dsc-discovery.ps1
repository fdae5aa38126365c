# What Get-DscResource (PSDesiredStateConfiguration 2.x) needs to discover a module's class-based
# resources, checked through the PowerShell parser (that module is not installable here): the
# manifest's RootModule is a .psm1 and lists the resources in DscResourcesToExport; the classes
# marked [DscResource()] are in that file (dot-sourced and nested files are not read); each has a
# Key property, Get() returning its own type, Test() returning bool and Set() returning void, none
# taking arguments, and a constructor without arguments; every type its properties use is built in
# or defined in the same file; the manifest does not carry all of CmdletsToExport, FunctionsToExport
# and AliasesToExport (with all three present, discovery misses class resources: PSDSC issue 117).
# Writes one object per finding (Rule, Message); no output means discoverable. With -List, writes
# the resource names found in the root module instead.
param([Parameter(Mandatory)][string]$ModuleRoot, [switch]$List)

$manifestPath = @(Get-ChildItem -Path $ModuleRoot -Filter '*.psd1')[0].FullName
$manifest = Import-PowerShellDataFile -Path $manifestPath
$ast = [System.Management.Automation.Language.Ast]

function Out-Finding([string]$Rule, [string]$Message) { [pscustomobject]@{ Rule = $Rule; Message = $Message } }

function Get-DscClass([string]$Path) {
    $tokens = $null; $errors = $null
    $tree = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$tokens, [ref]$errors)
    $types = @($tree.FindAll({ param($n) $n -is [System.Management.Automation.Language.TypeDefinitionAst] }, $true))
    [pscustomobject]@{
        Errors    = @($errors)
        Types     = $types
        Resources = @($types | Where-Object { $_.Attributes | Where-Object { $_.TypeName.Name -eq 'DscResource' } })
    }
}

$root = [string]$manifest.RootModule
if ($root -notlike '*.psm1') {
    Out-Finding 'RootModule' "RootModule is '$root'; class-based resources must be in a .psm1 root module"
    return
}
$rootPath = Join-Path $ModuleRoot $root
$parsed = Get-DscClass $rootPath
if ($List) { return $parsed.Resources | ForEach-Object Name }
foreach ($e in $parsed.Errors) { Out-Finding 'ParseError' "${root}:$($e.Extent.StartLineNumber): $($e.Message)" }

$exported = @($manifest.DscResourcesToExport)
$found = @($parsed.Resources | ForEach-Object Name)
foreach ($n in $exported) { if ($found -notcontains $n) { Out-Finding 'NotInRootModule' "DscResourcesToExport lists '$n' but $root defines no [DscResource()] class of that name" } }
foreach ($n in $found) { if ($exported -notcontains $n) { Out-Finding 'NotExported' "[DscResource()] class '$n' is missing from DscResourcesToExport" } }
if ($manifest.ContainsKey('CmdletsToExport') -and $manifest.ContainsKey('FunctionsToExport') -and $manifest.ContainsKey('AliasesToExport')) {
    Out-Finding 'ExportLists' 'the manifest has CmdletsToExport, FunctionsToExport and AliasesToExport together; Get-DscResource then misses class resources'
}

# Resource classes anywhere else are never discovered.
foreach ($f in Get-ChildItem -Path $ModuleRoot -Recurse -Include '*.ps1', '*.psm1') {
    if ($f.FullName -eq (Resolve-Path $rootPath).Path) { continue }
    foreach ($r in (Get-DscClass $f.FullName).Resources) { Out-Finding 'OutsideRootModule' "[DscResource()] class '$($r.Name)' is in $($f.Name), which Get-DscResource does not read" }
}

$defined = @($parsed.Types | ForEach-Object Name)
$builtin = 'string', 'int', 'int32', 'int64', 'long', 'uint32', 'uint64', 'bool', 'boolean', 'double', 'single', 'datetime', 'char', 'byte', 'sint8', 'sint16', 'uint8', 'uint16', 'int16', 'hashtable', 'pscredential', 'securestring', 'Nullable'
foreach ($r in $parsed.Resources) {
    $props = @($r.Members | Where-Object { $_ -is [System.Management.Automation.Language.PropertyMemberAst] -and ($_.Attributes | Where-Object { $_.TypeName.Name -eq 'DscProperty' }) })
    $keys = @($props | Where-Object { $_.Attributes | Where-Object { $_.TypeName.Name -eq 'DscProperty' -and ($_.NamedArguments | Where-Object { $_.ArgumentName -eq 'Key' }) } })
    if ($keys.Count -eq 0) { Out-Finding 'NoKey' "$($r.Name) has no [DscProperty(Key)] property" }
    foreach ($p in $props) {
        if (-not $p.PropertyType) { Out-Finding 'UntypedProperty' "$($r.Name).$($p.Name) has no type"; continue }
        $tn = $p.PropertyType.TypeName
        $name = if ($tn -is [System.Management.Automation.Language.ArrayTypeName]) { $tn.ElementType.Name } elseif ($tn -is [System.Management.Automation.Language.GenericTypeName]) { $tn.TypeName.Name } else { $tn.Name }
        if ($builtin -notcontains $name -and $defined -notcontains $name) { Out-Finding 'PropertyType' "$($r.Name).$($p.Name) is of type [$name], neither built in nor defined in $root" }
    }
    $methods = @($r.Members | Where-Object { $_ -is [System.Management.Automation.Language.FunctionMemberAst] })
    foreach ($want in @(@{ Name = 'Get'; Returns = $r.Name }, @{ Name = 'Test'; Returns = 'bool' }, @{ Name = 'Set'; Returns = 'void' })) {
        $m = @($methods | Where-Object { $_.Name -eq $want.Name -and -not $_.IsStatic -and -not $_.IsConstructor })
        if ($m.Count -ne 1) { Out-Finding 'Method' "$($r.Name) needs one $($want.Name)() method, has $($m.Count)"; continue }
        $ret = if ($m[0].ReturnType) { $m[0].ReturnType.TypeName.Name } else { 'void' }
        if ($ret -ne $want.Returns) { Out-Finding 'Method' "$($r.Name).$($want.Name)() returns [$ret], expected [$($want.Returns)]" }
        if ($m[0].Parameters.Count -ne 0) { Out-Finding 'Method' "$($r.Name).$($want.Name)() takes parameters" }
    }
    $ctors = @($methods | Where-Object { $_.IsConstructor })
    if ($ctors.Count -gt 0 -and -not ($ctors | Where-Object { $_.Parameters.Count -eq 0 })) { Out-Finding 'Constructor' "$($r.Name) has no constructor without arguments" }
}
