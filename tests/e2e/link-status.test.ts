// Interface status follows the devices with no database change: a VM's vNIC going down takes the
// port's link_state down, an MTU or MAC change on the host side shows in `mtu`/`mac_in_use`, and a
// device deleted under the switch reports link_state down. The switch re-reads the devices every
// 2 s and writes status only when a device, the configuration or a reconfiguration changed since
// its last write; these checks prove the periodic pass still sees every kind of change, round after
// round (the second round after an idle stretch in which nothing changed).
import t from 'tap';
import { needCommand, needRoot } from '../lib/env.js';
import { EngineHarness } from '../lib/engine-harness.js';
import { sleep, waitFor } from '../lib/wait.js';
import { spawnSync } from 'node:child_process';

const skip = needRoot() || needCommand('ip');

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

t.test('link state, MTU and MAC are refreshed without a configuration change', { skip, timeout: 120_000 }, async (t) => {
  const h = new EngineHarness('ls');
  t.teardown(() => h.stop());
  await h.start();
  h.ok('ovs-vsctl', 'add-br', 'br0');
  const a = h.addVm('a', '10.44.0.1/24');
  h.ok('ovs-vsctl', 'add-port', 'br0', a.hostIf);
  const get = (col: string) => h.ok('ovs-vsctl', 'get', 'Interface', a.hostIf, col).trim();
  const until = async (col: string, want: string, why: string) => {
    await waitFor(() => get(col) === want, `${col} ${want}`, 15_000).catch(() => undefined);
    t.equal(get(col), want, why);
  };

  await until('link_state', 'up', 'the vNIC is up: link_state up');
  for (const round of [1, 2]) {
    ip('-n', a.ns, 'link', 'set', 'eth0', 'down');
    await until('link_state', 'down', `round ${round}: the VM takes its vNIC down: link_state down with no database change`);
    t.equal(get('admin_state'), 'up', `round ${round}: the host side is still administratively up`);
    ip('-n', a.ns, 'link', 'set', 'eth0', 'up');
    await until('link_state', 'up', `round ${round}: and up again`);
    const mtu = round === 1 ? '1400' : '1500';
    ip('-n', h.ns, 'link', 'set', a.hostIf, 'mtu', mtu);
    await until('mtu', mtu, `round ${round}: an MTU set on the device shows in the mtu column`);
    if (round === 1) await sleep(5000); // an idle stretch: status passes with nothing to write
  }
  ip('-n', h.ns, 'link', 'set', a.hostIf, 'address', '02:44:00:00:00:0a');
  await until('mac_in_use', '"02:44:00:00:00:0a"', 'a MAC set on the device shows in mac_in_use');
  ip('-n', h.ns, 'link', 'set', a.hostIf, 'down');
  await until('admin_state', 'down', 'the host side set down: admin_state down');
  await until('link_state', 'down', 'and link_state down');
  ip('-n', h.ns, 'link', 'set', a.hostIf, 'up');
  await until('admin_state', 'up', 'set up again: admin_state up');
});
