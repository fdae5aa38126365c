// Runs before `npm test`: when running as root, installs the Debian packages the tests use
// (real Open vSwitch as the differential oracle, ping/ethtool/iperf3 for the data plane, valgrind
// for the benchmarks' instruction counts).
// As non-root it installs nothing; the tests that need these skip with a reason.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

interface Need { pkg: string; probe: string }

const needs: Need[] = [
  { pkg: 'openvswitch-common', probe: '/usr/bin/ovsdb-tool' },
  { pkg: 'openvswitch-switch', probe: '/usr/sbin/ovsdb-server' },
  { pkg: 'python3-openvswitch', probe: '/usr/lib/python3/dist-packages/ovs/db/idl.py' },
  { pkg: 'iputils-ping', probe: '/usr/bin/ping' },
  { pkg: 'ethtool', probe: '/usr/sbin/ethtool' },
  { pkg: 'iperf3', probe: '/usr/bin/iperf3' },
  // tests/bench/ovsdb-server's insns phase counts each server's instructions with callgrind.
  { pkg: 'valgrind', probe: '/usr/bin/valgrind' },
  { pkg: 'wixl', probe: '/usr/bin/wixl' },
  { pkg: 'msitools', probe: '/usr/bin/msiinfo' },
  // The Windows service host's logic is exercised under Mono (tests/packaging/service-host).
  { pkg: 'mono-runtime', probe: '/usr/bin/mono' },
  { pkg: 'libmono-system-serviceprocess4.0-cil', probe: '/usr/lib/mono/4.5/System.ServiceProcess.dll' },
];

function main(): void {
  if (process.platform !== 'linux') return;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    console.log('ovs-powershell: not root; Debian test packages not installed (those tests will skip)');
    return;
  }
  if (spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status !== 0) {
    console.log('ovs-powershell: no apt-get; Debian test packages not installed (those tests will skip)');
    return;
  }
  const missing = needs.filter((n) => !existsSync(n.probe)).map((n) => n.pkg);
  if (missing.length === 0) return;
  console.log(`ovs-powershell: installing Debian packages for the tests: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const upd = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  if (upd.status !== 0) console.log('ovs-powershell: apt-get update failed; trying the install anyway');
  const inst = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  if (inst.status !== 0) console.log(`ovs-powershell: apt-get install failed (exit ${inst.status}); tests needing ${missing.join(', ')} will skip`);
}

main();
