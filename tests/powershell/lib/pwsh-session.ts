// One warm pwsh per test file, driven through node-powershell: each run() sends a script (base64, so
// quoting and newlines cannot break the single stdin line), runs it dot-sourced in the global scope
// (variables persist between runs), and gets back one JSON line: the output objects, the non-
// terminating errors (ErrorId, category, message, target), the warnings and a terminating error.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PowerShell } from 'node-powershell';
import { projectRoot } from '../../../engine/setup/paths.js';
import { pwshPath } from '../../lib/env.js';

export const modulePath = join(projectRoot, 'powershell-module', 'OpenVSwitch', 'OpenVSwitch.psd1');

export interface PsError {
  /** FullyQualifiedErrorId: the ErrorId, then ",<command>" for errors written by a cmdlet. */
  id: string;
  category: string;
  message: string;
  target: string | null;
  exceptionType: string;
}

export interface PsResult<T> {
  output: T[];
  errors: PsError[];
  warnings: string[];
  thrown: PsError | null;
  /** Everything else the script printed (Write-Host, native commands' stdout). */
  text: string;
}

export class PwshScriptError extends Error {
  constructor(readonly script: string, readonly result: PsResult<unknown>) {
    super(`pwsh script failed: ${JSON.stringify(result.thrown ?? result.errors)}\n--- script ---\n${script}`);
  }
}

const MARK = '@@OVSPS-JSON@@';

// Defined once per session; writes the result of one script as a marked JSON line.
const PRELUDE = `
$ProgressPreference = 'SilentlyContinue'
function global:ConvertTo-TestError($e) {
  [ordered]@{ id = [string]$e.FullyQualifiedErrorId; category = [string]$e.CategoryInfo.Category; message = [string]$e.Exception.Message
    target = if ($null -ne $e.TargetObject) { [string]$e.TargetObject } else { $null }; exceptionType = $e.Exception.GetType().FullName }
}
function global:Write-TestResult($items, $thrown, [int]$depth) {
  $out = [System.Collections.Generic.List[object]]::new(); $errs = [System.Collections.Generic.List[object]]::new(); $warns = [System.Collections.Generic.List[object]]::new()
  foreach ($i in @($items)) {
    if ($i -is [System.Management.Automation.ErrorRecord]) { $errs.Add((ConvertTo-TestError $i)) }
    elseif ($i -is [System.Management.Automation.WarningRecord]) { $warns.Add($i.Message) }
    elseif ($null -ne $i) { $out.Add($i) }
  }
  $t = if ($thrown) { ConvertTo-TestError $thrown } else { $null }
  $json = ConvertTo-Json -InputObject ([ordered]@{ output = $out.ToArray(); errors = $errs.ToArray(); warnings = $warns.ToArray(); thrown = $t }) -Depth $depth -Compress -WarningAction SilentlyContinue
  [Console]::Out.WriteLine('${MARK}' + $json)
}
`;

export interface SessionOptions {
  /** Import the module at start (default true). */
  importModule?: boolean;
  /** Run pwsh inside this network namespace (ip netns exec), so engines it starts live there. */
  netns?: string;
  env?: NodeJS.ProcessEnv;
  /** Per-run timeout in ms (default 120 s). */
  timeoutMs?: number;
}

export class PwshSession {
  private constructor(private readonly ps: PowerShell, private readonly wrapperDir?: string) {}

  static async open(opts: SessionOptions = {}): Promise<PwshSession> {
    const pwsh = pwshPath();
    if (!pwsh) throw new Error('pwsh is not installed');
    let executable = pwsh, wrapperDir: string | undefined;
    if (opts.netns) {
      // node-powershell puts its own options first, so a namespace needs a wrapper executable.
      wrapperDir = mkdtempSync(join(tmpdir(), 'ovsps-pwsh-'));
      executable = join(wrapperDir, 'pwsh-in-netns');
      writeFileSync(executable, `#!/bin/sh\nexec ip netns exec '${opts.netns}' '${pwsh}' "$@"\n`);
      chmodSync(executable, 0o755);
    }
    const ps = new PowerShell({
      executable,
      executableOptions: { '-NoProfile': true, '-NonInteractive': true },
      spawnOptions: { env: { ...process.env, ...opts.env, NO_COLOR: '1', TERM: 'dumb' }, cwd: projectRoot },
      throwOnInvocationError: false,
      invocationTimeout: opts.timeoutMs ?? 120_000,
    });
    const s = new PwshSession(ps, wrapperDir);
    await s.run('$PSStyle.OutputRendering = "PlainText"');
    await s.ok(PRELUDE);
    if (opts.importModule !== false) await s.ok(`Import-Module '${modulePath}' -Force -ErrorAction Stop`);
    return s;
  }

  /** Runs a script; never throws for PowerShell errors (they are in the result). */
  async run<T = unknown>(script: string, depth = 6): Promise<PsResult<T>> {
    const b64 = Buffer.from(script, 'utf8').toString('base64');
    const line = `$__t = $null; $__o = try { . ([scriptblock]::Create([Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('${b64}')))) 2>&1 3>&1 } catch { $__t = $_ }; ` +
      `if (Get-Command Write-TestResult -ErrorAction SilentlyContinue) { Write-TestResult $__o $__t ${depth} } else { [Console]::Out.WriteLine('${MARK}{"output":[],"errors":[],"warnings":[],"thrown":null}') }`;
    const r = await this.ps.invoke(line);
    const out = r.stdout?.toString('utf8') ?? '';
    const at = out.lastIndexOf(MARK);
    if (at < 0) throw new Error(`pwsh gave no result (stdout: ${out.slice(0, 2000)}; stderr: ${r.stderr?.toString('utf8').slice(0, 2000)})`);
    const nl = out.indexOf('\n', at);
    const json = out.slice(at + MARK.length, nl < 0 ? undefined : nl).trim();
    const parsed = JSON.parse(json) as Omit<PsResult<T>, 'text'>;
    return { ...parsed, output: parsed.output ?? [], errors: parsed.errors ?? [], warnings: parsed.warnings ?? [], text: out.slice(0, at) };
  }

  /** Runs a script and throws when it wrote an error or threw. */
  async ok<T = unknown>(script: string, depth = 6): Promise<T[]> {
    const r = await this.run<T>(script, depth);
    if (r.thrown || r.errors.length) throw new PwshScriptError(script, r);
    return r.output;
  }

  async close(): Promise<void> {
    await this.ps.dispose().catch(() => undefined);
    if (this.wrapperDir) rmSync(this.wrapperDir, { recursive: true, force: true });
  }
}

/** A PowerShell single-quoted string literal. */
export function psq(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
