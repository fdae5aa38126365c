# The engine client: JSON-RPC 1.0 over the engine's local socket (a unix socket on Linux/macOS, a
# named pipe or AF_UNIX socket on Windows). One connection per target, reused for the session.
# Messages are concatenated JSON values with no framing, so replies are split by a small scanner.

$script:OvsConnections = @{}
$script:OvsNextId = 0

function Get-OvsDefaultTarget {
    [CmdletBinding()]
    [OutputType([string])]
    param()
    if ($env:OVS_DB) { return $env:OVS_DB }
    # The one default layout (Private/Service.ps1): %ProgramData%\openvswitch\run on Windows.
    $runDir = (Get-OvsDefaultDirectory).RunDirectory
    return 'unix:' + (Join-Path $runDir 'db.sock')
}

function Get-OvsProjectRoot {
    [CmdletBinding()]
    [OutputType([string])]
    param()
    if ($env:OVS_ENGINE_ROOT) { return $env:OVS_ENGINE_ROOT }
    # A packaged module (npm run package) carries its engine in an 'engine' folder beside it.
    $bundled = Join-Path $PSScriptRoot '../engine'
    if (Test-Path -LiteralPath (Join-Path $bundled 'package.json')) { return (Resolve-Path -LiteralPath $bundled).Path }
    return (Resolve-Path (Join-Path $PSScriptRoot '../../..')).Path
}

function Resolve-OvsTarget {
    [CmdletBinding()]
    [OutputType([string])]
    param([string]$Database)
    if ([string]::IsNullOrWhiteSpace($Database)) { return Get-OvsDefaultTarget }
    if ($Database -notmatch '^(unix|npipe|tcp):') {
        # A bare path is a unix socket (or a pipe path on Windows), as ovs-vsctl --db accepts.
        if ($Database -like '\\.\pipe\*') { return "npipe:$Database" }
        return "unix:$Database"
    }
    return $Database
}

function Connect-OvsEngineSocket {
    [CmdletBinding()]
    param([Parameter(Mandatory)][string]$Target, [int]$TimeoutMs = 30000)
    $stream = $null
    $socket = $null
    if ($Target -like 'unix:*') {
        $path = $Target.Substring(5)
        if ($IsWindows -and $path -like '\\.\pipe\*') {
            $name = $path.Substring(9)
            $pipe = [System.IO.Pipes.NamedPipeClientStream]::new('.', $name, [System.IO.Pipes.PipeDirection]::InOut)
            $pipe.Connect([Math]::Min($TimeoutMs, 5000))
            $stream = $pipe
        } else {
            $socket = [System.Net.Sockets.Socket]::new([System.Net.Sockets.AddressFamily]::Unix, [System.Net.Sockets.SocketType]::Stream, [System.Net.Sockets.ProtocolType]::Unspecified)
            $socket.Connect([System.Net.Sockets.UnixDomainSocketEndPoint]::new($path))
            $stream = [System.Net.Sockets.NetworkStream]::new($socket, $true)
        }
    } elseif ($Target -like 'npipe:*') {
        $name = $Target.Substring(6) -replace '^\\\\\.\\pipe\\', ''
        $pipe = [System.IO.Pipes.NamedPipeClientStream]::new('.', $name, [System.IO.Pipes.PipeDirection]::InOut)
        $pipe.Connect([Math]::Min($TimeoutMs, 5000))
        $stream = $pipe
    } elseif ($Target -match '^tcp:(?<host>[^:]+|\[[^\]]+\]):(?<port>\d+)$') {
        $client = [System.Net.Sockets.TcpClient]::new()
        $client.Connect($Matches.host.Trim('[', ']'), [int]$Matches.port)
        $socket = $client.Client
        $stream = $client.GetStream()
    } else {
        throw [System.ArgumentException]::new("'$Target' is not an engine address; expected unix:PATH, npipe:NAME or tcp:HOST:PORT")
    }
    if ($stream.CanTimeout) { $stream.ReadTimeout = $TimeoutMs; $stream.WriteTimeout = $TimeoutMs }
    return [pscustomobject]@{
        Target  = $Target
        Stream  = $stream
        Socket  = $socket
        Decoder = [System.Text.Encoding]::UTF8.GetDecoder()
        Pending = ''
        Buffer  = [byte[]]::new(65536)
        Chars   = [char[]]::new(65537)
    }
}

function Get-OvsConnection {
    [CmdletBinding()]
    param([string]$Database)
    $target = Resolve-OvsTarget -Database $Database
    $conn = $script:OvsConnections[$target]
    if ($null -ne $conn) { return $conn }
    try {
        $conn = Connect-OvsEngineSocket -Target $target
    } catch {
        $inner = if ($_.Exception.InnerException) { $_.Exception.InnerException.Message } else { $_.Exception.Message }
        throw [OvsEngineException]::new('OVS_E_CONNECT', "Cannot connect to the Open vSwitch engine at '$target': $inner. Start it with Start-OvsEngine, or pass -Database.", $target)
    }
    $script:OvsConnections[$target] = $conn
    return $conn
}

function Disconnect-OvsEngineSocket {
    [CmdletBinding()]
    param([string]$Target)
    $targets = if ($Target) { @($Target) } else { @($script:OvsConnections.Keys) }
    foreach ($t in $targets) {
        $c = $script:OvsConnections[$t]
        if ($null -ne $c) {
            try { $c.Stream.Dispose() } catch { Write-Verbose "closing $t failed: $_" }
            $script:OvsConnections.Remove($t)
        }
    }
}

# The first complete JSON object at the start of the pending text. JSON-RPC messages are objects
# written back to back with no framing; a .NET balancing-group regex finds where the first one ends
# (strings skipped whole, brackets counted), in compiled code rather than a PowerShell loop per char.
$script:OvsJsonObject = [regex]::new(
    '\G\s*\{(?>"(?:[^"\\]|\\.)*"|[^"{}\[\]]+|(?<d>[{\[])|(?<-d>[}\]]))*(?(d)(?!))\}',
    [System.Text.RegularExpressions.RegexOptions]::Compiled -bor [System.Text.RegularExpressions.RegexOptions]::Singleline)
$script:OvsMaxMessageChars = 64MB

function Send-OvsMessage {
    [CmdletBinding()]
    param([Parameter(Mandatory)]$Connection, [Parameter(Mandatory)][hashtable]$Message)
    $json = ConvertTo-OvsJson -InputObject $Message
    $bytes = [System.Text.Encoding]::UTF8.GetBytes($json)
    $Connection.Stream.Write($bytes, 0, $bytes.Length)
    $Connection.Stream.Flush()
}

$script:OvsConnectionByKey = @{}
$script:OvsUtf8 = [System.Text.UTF8Encoding]::new($false)

# JSON through the engine behind ConvertTo-Json/ConvertFrom-Json, called directly: the same output
# and the same hashtables, without a cmdlet invocation per message (5-8x less CPU per conversion).
# PowerShell versions without these public methods use the cmdlets.
$script:OvsJsonContext = $null
if ([Microsoft.PowerShell.Commands.JsonObject].GetMethod('ConvertToJson') -and
    [Microsoft.PowerShell.Commands.JsonObject].GetMethod('ConvertFromJson', [type[]]@([string], [bool], [Nullable[int]], [System.Management.Automation.ErrorRecord].MakeByRefType()))) {
    $script:OvsJsonContext = [Microsoft.PowerShell.Commands.JsonObject+ConvertToJsonContext]::new(64, $false, $true)
}

# Serialises one JSON-RPC message compactly (depth up to 64).
function ConvertTo-OvsJson {
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)][AllowNull()][object]$InputObject)
    if ($null -ne $script:OvsJsonContext) { return [Microsoft.PowerShell.Commands.JsonObject]::ConvertToJson($InputObject, [ref]$script:OvsJsonContext) }
    return ConvertTo-Json -InputObject $InputObject -Depth 64 -Compress
}

<#
.SYNOPSIS
Calls one engine method and writes its result (an array result is written element by element, as a
pipeline does); engine errors become OvsEngineException with the engine's code.
.DESCRIPTION
This is every cmdlet's hot path, so it calls no other function once the connection is open: the
request is serialised, written, and the reply read and split in place.
#>
function Invoke-OvsRpc {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)][string]$Method,
        [object[]]$Params = @(),
        [string]$Database
    )
    # The open connection for this -Database (and environment), without resolving the target again.
    $key = "$Database|$env:OVS_DB|$env:OVS_RUNDIR"
    $conn = $script:OvsConnectionByKey[$key]
    if ($null -eq $conn -or -not [object]::ReferenceEquals($script:OvsConnections[$conn.Target], $conn)) {
        $conn = Get-OvsConnection -Database $Database
        $script:OvsConnectionByKey[$key] = $conn
    }
    $id = ++$script:OvsNextId
    try {
        $request = @{ method = $Method; params = $Params; id = $id }
        $json = if ($null -ne $script:OvsJsonContext) { [Microsoft.PowerShell.Commands.JsonObject]::ConvertToJson($request, [ref]$script:OvsJsonContext) }
                else { ConvertTo-Json -InputObject $request -Depth 64 -Compress }
        $bytes = $script:OvsUtf8.GetBytes($json)
        $conn.Stream.Write($bytes, 0, $bytes.Length)
        while ($true) {
            $text = $conn.Pending
            $m = $script:OvsJsonObject.Match($text)
            if (-not $m.Success) {
                $first = $text.TrimStart()
                if ($first.Length -gt 0 -and $first[0] -ne '{') {
                    throw [OvsEngineException]::new('OVS_E_PROTOCOL', "The engine at '$($conn.Target)' sent something that is not a JSON-RPC message: '$($first.Substring(0, [Math]::Min(40, $first.Length)))'.", $conn.Target)
                }
                if ($text.Length -gt $script:OvsMaxMessageChars) {
                    throw [OvsEngineException]::new('OVS_E_PROTOCOL', "A message from the engine at '$($conn.Target)' is larger than $($script:OvsMaxMessageChars) characters.", $conn.Target)
                }
                $n = $conn.Stream.Read($conn.Buffer, 0, $conn.Buffer.Length)
                if ($n -le 0) { throw [OvsEngineException]::new('OVS_E_CONNECTION_CLOSED', "The engine at '$($conn.Target)' closed the connection.", $conn.Target) }
                $count = $conn.Decoder.GetChars($conn.Buffer, 0, $n, $conn.Chars, 0)
                $conn.Pending = $text + [string]::new($conn.Chars, 0, $count)
                continue
            }
            $conn.Pending = $text.Substring($m.Length)
            try {
                if ($null -ne $script:OvsJsonContext) {
                    $parseError = $null
                    $msg = [Microsoft.PowerShell.Commands.JsonObject]::ConvertFromJson($m.Value, $true, 64, [ref]$parseError)
                    if ($null -ne $parseError) { throw $parseError.Exception }
                } else {
                    $msg = ConvertFrom-Json -InputObject $m.Value -AsHashtable -Depth 64 -ErrorAction Stop
                }
            } catch {
                $reason = if ($_.Exception.InnerException) { $_.Exception.InnerException.Message } else { $_.Exception.Message }
                throw [OvsEngineException]::new('OVS_E_PROTOCOL', "The engine at '$($conn.Target)' sent invalid JSON: $reason", $conn.Target)
            }
            if ($msg -isnot [System.Collections.IDictionary]) {
                throw [OvsEngineException]::new('OVS_E_PROTOCOL', "The engine at '$($conn.Target)' sent a message that is not a JSON object.", $conn.Target)
            }
            if ($msg.ContainsKey('method')) {
                # The engine's inactivity probe: answer echo; ignore other notifications.
                if ($msg['method'] -eq 'echo' -and $null -ne $msg['id']) {
                    Send-OvsMessage -Connection $conn -Message @{ result = $msg['params']; error = $null; id = $msg['id'] }
                }
                continue
            }
            if ($msg['id'] -ne $id) { continue }
            $err = $msg['error']
            if ($null -ne $err) {
                if ($err -is [System.Collections.IDictionary]) {
                    $code = if ($err['code']) { [string]$err['code'] } else { [string]$err['error'] }
                    $details = if ($err['details']) { [string]$err['details'] } else { [string]$err['error'] }
                    throw [OvsEngineException]::new($code, $details, $Method)
                }
                throw [OvsEngineException]::new('OVS_E_ENGINE', [string]$err, $Method)
            }
            return $msg['result']
        }
    } catch [System.IO.IOException], [System.Net.Sockets.SocketException], [System.ObjectDisposedException], [System.TimeoutException] {
        Disconnect-OvsEngineSocket -Target $conn.Target
        throw [OvsEngineException]::new('OVS_E_CONNECTION_LOST', "Lost the connection to the engine at '$($conn.Target)': $($_.Exception.Message)", $conn.Target)
    } catch [OvsEngineException] {
        if ($_.Exception.Code -in 'OVS_E_CONNECTION_CLOSED', 'OVS_E_PROTOCOL') { Disconnect-OvsEngineSocket -Target $conn.Target }
        throw
    }
}
