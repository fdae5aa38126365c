// Our ovsdb-client against a real ovsdb-server 3.1: the same text as real ovsdb-client for dump,
// transact, query, list-*, get-schema-*; monitor prints the same rows (OVS prints one update's rows
// in hash order, so lines are compared as sets).
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../engine/setup/paths.js';
import { needRealOvs } from '../lib/env.js';

const OURS = join(projectRoot, 'engine', 'bin', 'ovsdb-client');
const SCHEMA = join(projectRoot, 'manifests', 'vswitch.ovsschema');

t.test('our ovsdb-client vs real ovsdb-client', { skip: needRealOvs() }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'h6cli-'));
  spawnSync('ovsdb-tool', ['create', join(dir, 'conf.db'), SCHEMA]);
  const sock = `unix:${dir}/db.sock`;
  const st = spawnSync('/usr/sbin/ovsdb-server', ['--detach', '--no-chdir', `--pidfile=${dir}/pid`, `--log-file=${dir}/log`,
    `--remote=punix:${dir}/db.sock`, `--unixctl=${dir}/ctl`, join(dir, 'conf.db')], { encoding: 'utf8' });
  t.equal(st.status, 0, st.stderr);
  t.teardown(() => {
    try { process.kill(Number(readFileSync(join(dir, 'pid'), 'utf8')), 'SIGTERM'); } catch { /* gone */ }
    rmSync(dir, { recursive: true, force: true });
  });
  const vsctl = (...a: string[]) => spawnSync('ovs-vsctl', [`--db=${sock}`, '--no-wait', ...a], { encoding: 'utf8' });
  vsctl('init', '--', 'add-br', 'br0', '--', 'add-br', 'br1', '--', 'add-port', 'br0', 'p1', 'tag=10', '--', 'set', 'bridge', 'br0', 'other_config:x="a b"',
    '--', 'set', 'interface', 'p1', 'type=vxlan', 'options:remote_ip=10.0.0.1');
  const ours = (...a: string[]) => spawnSync(process.execPath, [OURS, ...a], { encoding: 'utf8', env: { ...process.env, OVS_RUNDIR: dir } });
  const real = (...a: string[]) => spawnSync('ovsdb-client', a, { encoding: 'utf8', env: { ...process.env, OVS_RUNDIR: dir } });
  const same = [
    ['dump', sock], ['dump', sock, 'Open_vSwitch', 'Port'], ['dump', sock, 'Open_vSwitch', 'Interface', 'name', 'options', 'type'],
    ['list-dbs', sock], ['get-schema-version', sock], ['get-schema-cksum', sock, 'Open_vSwitch'], ['list-dbs'],
    ['transact', sock, '["Open_vSwitch",{"op":"select","table":"Port","where":[],"columns":["name","tag"]}]'],
    ['query', sock, '["Open_vSwitch",{"op":"select","table":"Bridge","where":[["name","==","br1"]],"columns":["name"]}]'],
    ['transact', sock, '["Open_vSwitch",{"op":"nope"}]'],
  ];
  for (const a of same) {
    const o = ours(...a);
    const r = real(...a);
    t.equal(o.stdout, r.stdout, `stdout of ovsdb-client ${a.join(' ')}`);
    t.equal(o.status, r.status, `status of ovsdb-client ${a.join(' ')}`);
  }
  for (const a of [['list-tables', sock], ['list-columns', sock, 'Open_vSwitch', 'Bridge']]) {
    const lines = (s: string) => s.split('\n').sort().join('\n');
    t.equal(lines(ours(...a).stdout), lines(real(...a).stdout), `ovsdb-client ${a.join(' ')} (same lines; OVS prints in hash order)`);
  }
  const bad = ours('dump', sock, 'Open_vSwitch', 'Nope');
  t.equal(bad.status, 1);
  t.equal(bad.stderr, 'ovsdb-client: No table "Nope" found.\n');

  // monitor: run both, make the same changes, compare the sets of printed lines (with --timestamp:
  // each update's table starts with its time).
  const outs = { ours: '', real: '' };
  const mons = {
    ours: spawn(process.execPath, [OURS, '--timestamp', 'monitor', sock, 'Open_vSwitch', 'Bridge', 'name,other_config'], { stdio: ['ignore', 'pipe', 'ignore'] }),
    real: spawn('ovsdb-client', ['--timestamp', 'monitor', sock, 'Open_vSwitch', 'Bridge', 'name,other_config'], { stdio: ['ignore', 'pipe', 'ignore'] }),
  };
  t.teardown(() => { mons.ours.kill('SIGKILL'); mons.real.kill('SIGKILL'); });
  mons.ours.stdout.on('data', (d) => { outs.ours += d.toString(); });
  mons.real.stdout.on('data', (d) => { outs.real += d.toString(); });
  const waitBoth = async (re: RegExp) => {
    for (let i = 0; i < 200 && !(re.test(outs.ours) && re.test(outs.real)); i++) await new Promise((r) => setTimeout(r, 50));
  };
  await waitBoth(/initial/);
  vsctl('add-br', 'br2', '--', 'set', 'bridge', 'br0', 'other_config:y=1');
  await waitBoth(/insert/);
  vsctl('del-br', 'br1');
  await waitBoth(/delete/);
  const TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/;
  const set = (s: string) => s.split('\n').filter((l) => l !== '').map((l) => (TIME.test(l) ? 'TIME' : l)).sort();
  t.same(set(outs.ours), set(outs.real), 'monitor prints the same lines');
  t.equal(set(outs.ours).filter((l) => l === 'TIME').length, 3, 'a time line before each of the three updates');
  t.match(outs.ours, /old\s+\{x="a b"\}\n\s+new\s+br0\s+\{x="a b", y="1"\}/, 'modification as old/new rows');
});
