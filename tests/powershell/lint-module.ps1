# Static checks of the OpenVSwitch module through the PowerShell parser's AST: the PSScriptAnalyzer
# rules that matter most here (that analyzer cannot be installed on this machine: the PowerShell
# Gallery is unreachable and NuGet does not serve it), plus the module's own conventions: approved
# verbs; SupportsShouldProcess on every state-changing cmdlet (by verb, as the analyzer decides);
# comment-based help with a synopsis and an example using the cmdlet on every Public/ function;
# no Write-Host, no aliases, no plain `throw "text"` in Public/ (ErrorRecords or exception objects
# instead). Writes one object per finding: File, Line, Rule, Message. No output means clean.
param([Parameter(Mandatory)][string]$ModuleRoot)

$files = @(Get-ChildItem -Path $ModuleRoot -Recurse -Include '*.ps1', '*.psm1')
$approved = @(Get-Verb | ForEach-Object Verb)
$stateVerbs = 'New', 'Set', 'Remove', 'Add', 'Start', 'Stop', 'Install', 'Uninstall', 'Initialize', 'Clear', 'Reset', 'Update', 'Enable', 'Disable', 'Restart',
    'Register', 'Unregister', 'Rename', 'Move', 'Copy', 'Write', 'Suspend', 'Resume', 'Mount', 'Dismount', 'Publish', 'Unpublish', 'Push', 'Import', 'Export', 'Invoke'
$aliases = @{}
foreach ($a in Get-Alias) { $aliases[$a.Name] = $a.Definition }

function Out-Finding($File, $Ast, $Rule, $Message) {
    [pscustomobject]@{ File = [IO.Path]::GetFileName($File); Line = $Ast.Extent.StartLineNumber; Rule = $Rule; Message = $Message }
}

# AST searches with compiled .NET predicates (a type test each): a PowerShell scriptblock as the
# predicate would run once per node of every file, which made the lint take a minute.
$script:AstFilters = @{}
function Find-Ast($Ast, [type]$Type) {
    $f = $script:AstFilters[$Type]
    if (-not $f) {
        $p = [System.Linq.Expressions.Expression]::Parameter([System.Management.Automation.Language.Ast], 'n')
        $f = [System.Linq.Expressions.Expression]::Lambda[Func[System.Management.Automation.Language.Ast, bool]]([System.Linq.Expressions.Expression]::TypeIs($p, $Type), $p).Compile()
        $script:AstFilters[$Type] = $f
    }
    return $Ast.FindAll($f, $true)
}

# Classes the module defines: a file that uses another file's class cannot resolve it alone.
# Each file is parsed once.
$parsed = @{}
foreach ($f in $files) {
    $t = $null; $e = $null
    $a = [System.Management.Automation.Language.Parser]::ParseFile($f.FullName, [ref]$t, [ref]$e)
    $parsed[$f.FullName] = @{ Ast = $a; Errors = $e }
}
$moduleClasses = @(foreach ($f in $files) { Find-Ast $parsed[$f.FullName].Ast ([System.Management.Automation.Language.TypeDefinitionAst]) | ForEach-Object Name })

foreach ($f in $files) {
    $ast = $parsed[$f.FullName].Ast
    $errors = $parsed[$f.FullName].Errors
    foreach ($e in $errors) {
        if ($e.ErrorId -eq 'TypeNotFound' -and $moduleClasses -contains ($e.Extent.Text.Trim('[', ']'))) { continue }
        [pscustomobject]@{ File = $f.Name; Line = $e.Extent.StartLineNumber; Rule = 'ParseError'; Message = $e.Message } }
    $isPublic = $f.Directory.Name -eq 'Public'

    $lineNo = 0
    foreach ($line in [IO.File]::ReadAllLines($f.FullName)) {
        $lineNo++
        if ($line -match '\s+$') { [pscustomobject]@{ File = $f.Name; Line = $lineNo; Rule = 'PSAvoidTrailingWhitespace'; Message = 'trailing whitespace' } }
        if ($line -match "`t") { [pscustomobject]@{ File = $f.Name; Line = $lineNo; Rule = 'PSUseConsistentWhitespace'; Message = 'tab character' } }
    }

    foreach ($cmd in (Find-Ast $ast ([System.Management.Automation.Language.CommandAst]))) {
        $name = $cmd.GetCommandName()
        if (-not $name) { continue }
        if ($aliases.ContainsKey($name)) { Out-Finding $f.FullName $cmd 'PSAvoidUsingCmdletAliases' "'$name' is an alias of $($aliases[$name])" }
        if ($name -eq 'Write-Host') { Out-Finding $f.FullName $cmd 'PSAvoidUsingWriteHost' 'Write-Host' }
        if ($name -in 'Invoke-Expression', 'iex') { Out-Finding $f.FullName $cmd 'PSAvoidUsingInvokeExpression' $name }
        if ($name -in 'Get-WmiObject', 'Invoke-WmiMethod', 'Set-WmiInstance') { Out-Finding $f.FullName $cmd 'PSAvoidUsingWMICmdlet' "$name is absent from PowerShell 7" }
    }

    # throw "text" gives an ErrorRecord with no ErrorId, category or target: cmdlets write ErrorRecords
    # (New-OvsErrorRecord / Write-OvsError) or throw exception objects.
    if ($isPublic) {
        foreach ($th in (Find-Ast $ast ([System.Management.Automation.Language.ThrowStatementAst]))) {
            $what = if ($th.Pipeline -is [System.Management.Automation.Language.PipelineAst] -and $th.Pipeline.PipelineElements.Count -eq 1 -and
                $th.Pipeline.PipelineElements[0] -is [System.Management.Automation.Language.CommandExpressionAst]) { $th.Pipeline.PipelineElements[0].Expression } else { $null }
            while ($what -is [System.Management.Automation.Language.ParenExpressionAst] -and $what.Pipeline.PipelineElements.Count -eq 1 -and
                $what.Pipeline.PipelineElements[0] -is [System.Management.Automation.Language.CommandExpressionAst]) { $what = $what.Pipeline.PipelineElements[0].Expression }
            if ($what -is [System.Management.Automation.Language.StringConstantExpressionAst] -or $what -is [System.Management.Automation.Language.ExpandableStringExpressionAst] -or
                ($what -is [System.Management.Automation.Language.BinaryExpressionAst] -and $what.Operator -eq 'Format')) {
                Out-Finding $f.FullName $th 'AvoidThrowString' "throw of a plain string ($($th.Pipeline.Extent.Text)): write an ErrorRecord or throw an exception object"
            }
        }
    }

    foreach ($c in (Find-Ast $ast ([System.Management.Automation.Language.CatchClauseAst]))) {
        if ($c.Body.Statements.Count -eq 0) { Out-Finding $f.FullName $c 'PSAvoidUsingEmptyCatchBlock' 'empty catch block' }
    }

    foreach ($v in (Find-Ast $ast ([System.Management.Automation.Language.VariableExpressionAst]) | Where-Object { $_.VariablePath.IsGlobal })) {
        Out-Finding $f.FullName $v 'PSAvoidGlobalVars' "global variable $($v.VariablePath.UserPath)"
    }

    foreach ($b in (Find-Ast $ast ([System.Management.Automation.Language.BinaryExpressionAst]))) {
        if ($b.Operator -in 'Ieq', 'Ine', 'Ceq', 'Cne' -and $b.Right -is [System.Management.Automation.Language.VariableExpressionAst] -and $b.Right.VariablePath.UserPath -eq 'null') {
            Out-Finding $f.FullName $b 'PSPossibleIncorrectComparisonWithNull' '$null belongs on the left of -eq/-ne'
        }
    }

    foreach ($fn in (Find-Ast $ast ([System.Management.Automation.Language.FunctionDefinitionAst]))) {
        $name = $fn.Name
        if ($name -notmatch '^(?<verb>[A-Za-z]+)-(?<noun>\w+)$') {
            if ($fn.Parent -isnot [System.Management.Automation.Language.FunctionMemberAst]) { Out-Finding $f.FullName $fn 'PSUseApprovedVerbs' "function '$name' is not Verb-Noun" }
            continue
        }
        $verb = $Matches.verb
        if ($approved -notcontains $verb) { Out-Finding $f.FullName $fn 'PSUseApprovedVerbs' "'$verb' in '$name' is not an approved verb" }
        $attrs = @()
        if ($fn.Body.ParamBlock) { $attrs = @($fn.Body.ParamBlock.Attributes) }
        $binding = $attrs | Where-Object { $_.TypeName.Name -eq 'CmdletBinding' } | Select-Object -First 1
        if (-not $binding) { Out-Finding $f.FullName $fn 'PSUseCmdletBinding' "function '$name' is not an advanced function ([CmdletBinding()])"; continue }
        $supports = @($binding.NamedArguments | Where-Object { $_.ArgumentName -eq 'SupportsShouldProcess' }).Count -gt 0
        $calls = $fn.Body.Extent.Text -match '\.ShouldProcess\(' -or $fn.Body.Extent.Text -match '\.ShouldContinue\('
        if ($isPublic -and $stateVerbs -contains $verb -and -not $supports) { Out-Finding $f.FullName $fn 'PSUseShouldProcessForStateChangingFunctions' "'$name' changes state but has no SupportsShouldProcess" }
        if ($supports -and -not $calls) { Out-Finding $f.FullName $fn 'PSShouldProcess' "'$name' declares SupportsShouldProcess but never calls ShouldProcess" }
        if (-not $supports -and $calls) { Out-Finding $f.FullName $fn 'PSShouldProcess' "'$name' calls ShouldProcess without declaring SupportsShouldProcess" }
        if ($isPublic -and -not ($attrs | Where-Object { $_.TypeName.Name -eq 'OutputType' })) { Out-Finding $f.FullName $fn 'PSUseOutputTypeCorrectly' "'$name' has no [OutputType()]" }
        if ($isPublic -and $name -ne $f.BaseName) { Out-Finding $f.FullName $fn 'OneCmdletPerFile' "'$name' is in $($f.Name)" }
        if ($isPublic) {
            # Comment-based help in the function itself, with a synopsis and at least one example.
            $help = $fn.GetHelpContent()
            if (-not $help) { Out-Finding $f.FullName $fn 'ProvideCommentHelp' "'$name' has no comment-based help" }
            else {
                if (-not $help.Synopsis -or -not $help.Synopsis.Trim()) { Out-Finding $f.FullName $fn 'ProvideCommentHelp' "'$name' help has no .SYNOPSIS" }
                if ($help.Examples.Count -eq 0 -or -not ($help.Examples | Where-Object { $_ -match [regex]::Escape($name) })) { Out-Finding $f.FullName $fn 'ProvideCommentHelp' "'$name' help has no .EXAMPLE using it" }
            }
        }
        # Parameters declared but never used in the body.
        if ($fn.Body.ParamBlock) {
            $useCount = @{}
            foreach ($v in (Find-Ast $fn.Body ([System.Management.Automation.Language.VariableExpressionAst]))) { $useCount[$v.VariablePath.UserPath] = 1 + [int]$useCount[$v.VariablePath.UserPath] }
            foreach ($p in $fn.Body.ParamBlock.Parameters) {
                $pn = $p.Name.VariablePath.UserPath
                $uses = [int]$useCount[$pn]
                $bound = $fn.Body.Extent.Text -match "PSBoundParameters|fakeBoundParameters"
                if ($uses -le 1 -and -not $bound) { Out-Finding $f.FullName $p 'PSReviewUnusedParameter' "parameter `$$pn of '$name' is never used" }
            }
        }
    }
}

# The manifest exports exactly the Public/ functions.
$manifest = Import-PowerShellDataFile -Path (Join-Path $ModuleRoot 'OpenVSwitch.psd1')
$public = @(Get-ChildItem -Path (Join-Path $ModuleRoot 'Public') -Filter '*.ps1' | ForEach-Object BaseName | Sort-Object)
$exported = @($manifest.FunctionsToExport | Sort-Object)
if (($public -join ',') -ne ($exported -join ',')) {
    [pscustomobject]@{ File = 'OpenVSwitch.psd1'; Line = 0; Rule = 'ExplicitExports'; Message = "FunctionsToExport differs from Public/: $((Compare-Object $public $exported | ForEach-Object { "$($_.SideIndicator)$($_.InputObject)" }) -join ' ')" }
}

# The real analyzer too, when it is installed.
if (Get-Module -ListAvailable -Name PSScriptAnalyzer) {
    Invoke-ScriptAnalyzer -Path $ModuleRoot -Recurse -Severity Warning, Error |
        ForEach-Object { [pscustomobject]@{ File = $_.ScriptName; Line = $_.Line; Rule = $_.RuleName; Message = $_.Message } }
}
