// Runs after `npm ci`: installs PowerShell 7 as a local .NET tool under .tools/ when the .NET SDK
// is present. Failure is not fatal: the reason is kept in .tools/pwsh-unavailable.txt so the
// PowerShell tests skip with it instead of silently.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './paths.js';

const toolDir = join(projectRoot, '.tools');
const pwsh = join(toolDir, process.platform === 'win32' ? 'pwsh.exe' : 'pwsh');
const reasonFile = join(toolDir, 'pwsh-unavailable.txt');

function installPowerShell(): void {
  if (existsSync(pwsh)) return;
  mkdirSync(toolDir, { recursive: true });
  const dotnet = spawnSync('dotnet', ['--version'], { encoding: 'utf8' });
  if (dotnet.status !== 0) {
    writeFileSync(reasonFile, 'the .NET SDK (dotnet) is not on PATH, so PowerShell 7 could not be installed as a .NET tool\n');
    console.log('ovs-powershell: dotnet not found; PowerShell tests will be skipped');
    return;
  }
  console.log('ovs-powershell: installing PowerShell 7 as a .NET tool into .tools/ ...');
  const r = spawnSync('dotnet', ['tool', 'install', 'PowerShell', '--tool-path', toolDir], {
    encoding: 'utf8',
    env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_NOLOGO: '1' },
  });
  if (r.status !== 0 || !existsSync(pwsh)) {
    const why = `dotnet tool install PowerShell failed (exit ${r.status}): ${(r.stderr || r.stdout || '').trim()}`;
    writeFileSync(reasonFile, why + '\n');
    console.log('ovs-powershell: ' + why);
    return;
  }
  rmSync(reasonFile, { force: true });
  const v = execFileSync(pwsh, ['-NoProfile', '-NonInteractive', '-Command', '$PSVersionTable.PSVersion.ToString()'], { encoding: 'utf8' });
  console.log(`ovs-powershell: PowerShell ${v.trim()} installed at .tools/pwsh`);
}

installPowerShell();
