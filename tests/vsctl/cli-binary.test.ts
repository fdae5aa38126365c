// The installed launcher (engine/bin/ovs-vsctl) end to end: a separate process, the JSON-RPC
// client of engine/rpc, a private real ovsdb-server, OVS_RUNDIR for the default --db.
import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../engine/setup/paths.js';
import { needRealOvs } from '../lib/env.js';
import { runRealVsctl, startRealServer } from './lib-diff.js';

const bin = join(projectRoot, 'engine', 'bin', 'ovs-vsctl');

function run(args: string[], env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; status: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('close', (code) => resolve({ stdout, stderr, status: code ?? -1 }));
  });
}

t.test('engine/bin/ovs-vsctl against a private ovsdb-server', { skip: needRealOvs() }, async (t) => {
  const server = await startRealServer();
  t.teardown(() => server.stop());
  const env = { OVS_RUNDIR: server.dir };
  t.same(await run(['--no-wait', 'add-br', 'br0', '--', 'add-port', 'br0', 'p1', 'tag=5'], env), { stdout: '', stderr: '', status: 0 });
  t.same(await run(['list-ports', 'br0'], env), { stdout: 'p1\n', stderr: '', status: 0 }, 'default --db from OVS_RUNDIR');
  t.same(await run(['br-exists', 'nope'], env), { stdout: '', stderr: '', status: 2 });
  const real = await runRealVsctl([`--db=${server.target}`, 'show']);
  const ours = await run([`--db=${server.target}`, 'show']);
  t.same(ours, real, 'show is byte-identical with the real tool');
  const missing = await run(['--db=unix:/nonexistent/db.sock', 'list-br']);
  t.same(missing, await runRealVsctl(['--db=unix:/nonexistent/db.sock', 'list-br']), 'same connection failure as the real tool');
  t.equal(missing.stderr, 'ovs-vsctl: unix:/nonexistent/db.sock: database connection failed (No such file or directory)\n');
  // Without --no-wait and without ovs-vswitchd, we give up instead of hanging forever.
  const started = Date.now();
  const w = await run(['add-br', 'br1'], { ...env, OVS_VSCTL_WAIT_TIMEOUT: '1' });
  t.equal(w.status, 1);
  t.equal(w.stderr, 'ovs-vsctl: timed out waiting for ovs-vswitchd to apply the change (cur_cfg 0 < next_cfg 1); is ovs-vswitchd running? Use --no-wait to skip waiting.\n');
  t.ok(Date.now() - started < 20000, 'bounded wait');
  t.same(await run(['list-br'], env), { stdout: 'br0\nbr1\n', stderr: '', status: 0 }, 'the change was committed');
});

t.test('with no server, a bad table or column name is reported before the connection failure, as real ovs-vsctl does', { skip: needRealOvs() }, async (t) => {
  const db = '--db=unix:/nonexistent/db.sock';
  for (const line of [
    ['list', 'Nosuch'], ['--columns=', 'list', 'Bridge'], ['--columns=nosuch', 'list', 'Bridge'], ['get', 'Bridge', 'br0', 'nosuchcol'],
    ['set', 'Bridge', 'br0', 'nosuch=1'], ['find', 'Bridge', 'nosuch=1'], ['create', 'Nosuch', 'a=b'], ['clear', 'Bridge', 'br0', 'nosuch'],
    ['--retry', '--timeout=5', 'list', 'Nosuch'],
    // Not a name error: the connection failure stands.
    ['get', 'Bridge', 'br0', 'name'], ['add-port', 'br0', 'p1', 'nosuch=1'],
  ]) {
    const real = await runRealVsctl([db, ...line]);
    t.same(await run([db, ...line]), real, line.join(' '));
  }
  t.same(await run([db, 'list', 'Nosuch']), { stdout: '', stderr: 'ovs-vsctl: unknown table "Nosuch"\n', status: 1 });
  // The names are checked against the schema this package serves (OVS_PKGDATADIR); without it,
  // only the connection failure is left to report.
  t.same(await run([db, 'list', 'Nosuch'], { OVS_PKGDATADIR: '/nonexistent' }),
    { stdout: '', stderr: 'ovs-vsctl: unix:/nonexistent/db.sock: database connection failed (No such file or directory)\n', status: 1 });
});

t.test('--help: the command list and the row-reference list are real ovs-vsctl\'s', { skip: needRealOvs() }, async (t) => {
  const real = (await runRealVsctl(['--help'])).stdout;
  const ours = await run(['--help']);
  t.equal(ours.status, 0);
  const section = (text: string, from: string, to: string): string => text.slice(text.indexOf(from), text.indexOf(to, text.indexOf(from)));
  t.equal(section(ours.stdout, 'Open vSwitch commands:', '\nDatabase commands may'), section(real, 'Open vSwitch commands:', '\nDatabase commands may')
    .replace('  add-bond BRIDGE PORT IFACE...  add bonded port PORT in BRIDGE from IFACES\n',
      '  add-bond BRIDGE PORT IFACE...  add bonded port PORT in BRIDGE from IFACES\n  add-bond-iface BOND IFACE   add IFACE to bonded port BOND\n  del-bond-iface [BOND] IFACE  delete IFACE from bonded port BOND\n')
    .replace('\nSwitch commands:', section(ours.stdout, '\nConntrack zone commands:', '\nSwitch commands:') + '\nSwitch commands:'),
  'the same commands and descriptions, plus the ones real\'s text leaves out');
  t.equal(section(ours.stdout, 'Database commands may', '\nOptions:'), section(real, 'Database commands may', '\nOptions:'), 'row references by table');
  t.match(ours.stdout, /--no-wait {19}do not wait for ovs-vswitchd to reconfigure\n/);
});
