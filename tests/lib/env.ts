// What the machine offers the tests; each returns a reason string when something is missing,
// so a test can skip with it: `t.test('x', { skip: needRoot() }, ...)`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../engine/setup/paths.js';

export function needRoot(): string | false {
  if (process.platform !== 'linux') return 'needs Linux';
  return process.getuid?.() === 0 ? false : 'needs root (network namespaces, TAP devices)';
}

export function needRealOvs(): string | false {
  for (const p of ['/usr/sbin/ovsdb-server', '/usr/bin/ovsdb-tool', '/usr/bin/ovsdb-client', '/usr/bin/ovs-vsctl']) {
    if (!existsSync(p)) return `real Open vSwitch is not installed (${p} missing; npm test installs Debian's openvswitch-switch when run as root)`;
  }
  return false;
}

export function needPythonOvs(): string | false {
  const r = spawnSync('python3', ['-c', 'import ovs.db.idl'], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: '/usr/lib/python3/dist-packages' } });
  return r.status === 0 ? false : 'python3-openvswitch is not installed';
}

export function pwshPath(): string | undefined {
  const local = join(projectRoot, '.tools', process.platform === 'win32' ? 'pwsh.exe' : 'pwsh');
  if (existsSync(local)) return local;
  const r = spawnSync('sh', ['-c', 'command -v pwsh'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export function needPwsh(): string | false {
  if (pwshPath()) return false;
  const why = join(projectRoot, '.tools', 'pwsh-unavailable.txt');
  return existsSync(why) ? `PowerShell unavailable: ${readFileSync(why, 'utf8').trim()}` : 'PowerShell (pwsh) is not installed (npm ci installs it when the .NET SDK is present)';
}

export function needCommand(cmd: string): string | false {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0 ? false : `${cmd} is not installed`;
}
