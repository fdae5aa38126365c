# The one exception type the module raises for engine-side failures; Code is the engine's stable
# error code (OVS_E_...), which becomes the ErrorRecord's ErrorId.
class OvsEngineException : System.Exception {
    [string]$Code
    [object]$Target

    OvsEngineException([string]$code, [string]$message, [object]$target) : base($message) {
        $this.Code = $code
        $this.Target = $target
    }
}
