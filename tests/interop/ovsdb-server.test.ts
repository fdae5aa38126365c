// Real OVS clients against our ovsdb-server: ovs-vsctl runs the Windows guide's command list,
// real ovsdb-client dump/transact/monitor and the Python IDL see the same content as with the real
// ovsdb-server 3.1 and receive monitor updates.
import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../engine/setup/paths.js';
import { needCommand, needPythonOvs, needRealOvs } from '../lib/env.js';

const SCHEMA = join(projectRoot, 'manifests', 'vswitch.ovsschema');
const OURS = join(projectRoot, 'engine', 'bin', 'ovsdb-server');

interface Srv { dir: string; sock: string; ctl: string; pid: number }

function startServer(kind: 'ours' | 'real', name: string, root: string): Srv {
  const dir = join(root, name);
  spawnSync('mkdir', ['-p', dir]);
  const db = join(dir, 'conf.db');
  const c = spawnSync('ovsdb-tool', ['create', db, SCHEMA], { encoding: 'utf8' });
  if (c.status !== 0) throw new Error(c.stderr);
  const sock = join(dir, 'db.sock');
  const ctl = join(dir, 'ctl');
  const args = ['--detach', '--no-chdir', `--pidfile=${dir}/pid`, `--log-file=${dir}/log`, `--remote=punix:${sock}`, `--unixctl=${ctl}`, db];
  const r = kind === 'ours'
    ? spawnSync(process.execPath, [OURS, ...args], { encoding: 'utf8', timeout: 30000 })
    : spawnSync('/usr/sbin/ovsdb-server', args, { encoding: 'utf8', timeout: 30000 });
  if (r.status !== 0) throw new Error(`${kind} ovsdb-server failed to start: ${r.stderr}`);
  return { dir, sock, ctl, pid: Number(readFileSync(`${dir}/pid`, 'utf8')) };
}

function stopServer(s: Srv): void {
  try { process.kill(s.pid, 'SIGTERM'); } catch { /* gone */ }
  for (let i = 0; i < 40; i++) {
    try { process.kill(s.pid, 0); } catch { return; }
    spawnSync('sleep', ['0.05']);
  }
  try { process.kill(s.pid, 'SIGKILL'); } catch { /* gone */ }
}

function vsctl(s: Srv, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync('ovs-vsctl', [`--db=unix:${s.sock}`, '--no-wait', '--timeout=20', ...args], { encoding: 'utf8' });
}

/** The Windows install guide's command list (ovs-on-windows.rst), run one ovs-vsctl per line. */
const SEED_COMMANDS: string[][] = [
  ['init'],
  ['add-br', 'br-int'],
  ['add-br', 'br-pif'],
  ['add-port', 'br-pif', 'Ethernet0'],
  ['add-port', 'br-int', 'patch-to-pif'],
  ['set', 'interface', 'patch-to-pif', 'type=patch', 'options:peer=patch-to-int'],
  ['add-port', 'br-pif', 'patch-to-int'],
  ['set', 'interface', 'patch-to-int', 'type=patch', 'options:peer=patch-to-pif'],
  ['add-port', 'br-int', 'ovs-port-a', 'tag=900'],
  ['add-port', 'br-int', 'ovs-port-b', 'tag=900'],
  ['del-port', 'br-int', 'patch-to-pif'],
  ['del-port', 'br-pif', 'patch-to-int'],
  ['add-port', 'br-int', 'tun-1'],
  ['set', 'Interface', 'tun-1', 'type=vxlan'],
  ['set', 'Interface', 'tun-1', 'options:local_ip=172.168.201.101'],
  ['set', 'Interface', 'tun-1', 'options:remote_ip=172.168.201.102'],
  ['set', 'Interface', 'tun-1', 'options:in_key=flow'],
  ['set', 'Interface', 'tun-1', 'options:out_key=flow'],
  ['add-port', 'br-int', 'vEthernet (external)'],
];

/** A uuid-free view of the switch config: one sorted line per row. */
function configView(s: Srv): string {
  const out: string[] = [];
  for (const [table, cols] of [['Bridge', 'name'], ['Port', 'name,tag'], ['Interface', 'name,type,options']] as const) {
    const r = vsctl(s, '--format=csv', '--no-headings', `--columns=${cols}`, 'list', table);
    out.push(...r.stdout.trim().split('\n').map((l) => `${table}: ${l}`).sort());
  }
  const ports = vsctl(s, 'list-ports', 'br-int');
  out.push('br-int ports: ' + ports.stdout.trim().split('\n').join(' '));
  return out.join('\n');
}

const skipAll = needRealOvs();
t.test('real clients against our ovsdb-server', { skip: skipAll }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'h6iop-'));
  const ours = startServer('ours', 'ours', root);
  const real = startServer('real', 'real', root);
  const children: ChildProcess[] = [];
  t.teardown(() => {
    for (const c of children) c.kill('SIGKILL');
    stopServer(ours);
    stopServer(real);
    rmSync(root, { recursive: true, force: true });
  });

  await t.test('ovs-vsctl runs the seed command list; same results as with real ovsdb-server', async (t) => {
    for (const cmd of SEED_COMMANDS) {
      const a = vsctl(ours, ...cmd);
      const b = vsctl(real, ...cmd);
      t.equal(a.status, b.status, `exit status of ovs-vsctl ${cmd.join(' ')}`);
      t.equal(a.stderr, b.stderr, `stderr of ovs-vsctl ${cmd.join(' ')}`);
    }
    const again = vsctl(ours, 'add-br', 'br-int');
    t.equal(again.status, 1);
    t.equal(again.stderr, 'ovs-vsctl: cannot create a bridge named br-int because a bridge named br-int already exists\n');
    t.equal(configView(ours), configView(real), 'Bridge/Port/Interface contents identical');
    const show = vsctl(ours, 'show').stdout;
    t.match(show, /^[0-9a-f-]{36}\n    Bridge br-int\n|^[0-9a-f-]{36}\n    Bridge br-pif\n/, 'show starts with the Open_vSwitch uuid and a bridge');
    t.match(show, /Port ovs-port-a\n\s+tag: 900\n\s+Interface ovs-port-a/);
    t.match(show, /Interface tun-1\n\s+type: vxlan\n\s+options: \{in_key=flow, local_ip="172\.168\.201\.101", out_key=flow, remote_ip="172\.168\.201\.102"\}/);
    t.match(show, /Port "vEthernet \(external\)"/);
  });

  await t.test('real ovsdb-client dump, transact and query give the same text', async (t) => {
    const cl = (s: Srv, ...args: string[]) => spawnSync('ovsdb-client', [...args.slice(0, 1), `unix:${s.sock}`, ...args.slice(1)], { encoding: 'utf8' });
    for (const args of [['dump', 'Open_vSwitch', 'Interface', 'name', 'type', 'options'], ['dump', 'Open_vSwitch', 'Port', 'name', 'tag', 'trunks'],
      ['list-dbs'], ['get-schema-version'], ['get-schema-cksum']]) {
      t.equal(cl(ours, ...args).stdout, cl(real, ...args).stdout, `ovsdb-client ${args.join(' ')}`);
    }
    const txn = JSON.stringify(['Open_vSwitch', { op: 'select', table: 'Bridge', where: [['name', '==', 'br-int']], columns: ['name', 'fail_mode', 'stp_enable'] },
      { op: 'update', table: 'Bridge', where: [['name', '==', 'nosuch']], row: { stp_enable: true } },
      { op: 'insert', table: 'Port', row: { name: 'x' } }]);
    const uuidless = (x: string) => x.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (u) => (/^0+-/.test(u) ? u : '<uuid>'));
    t.equal(uuidless(cl(ours, 'transact', txn).stdout), uuidless(cl(real, 'transact', txn).stdout), 'transact result incl. commit-time error');
    const bad = JSON.stringify(['Open_vSwitch', { op: 'frobnicate' }]);
    t.equal(cl(ours, 'transact', bad).stdout, cl(real, 'transact', bad).stdout, 'syntax error result');
  });

  await t.test('real ovsdb-client monitor receives initial rows and updates', async (t) => {
    const mon = spawn('ovsdb-client', ['monitor', `unix:${ours.sock}`, 'Open_vSwitch', 'Bridge', 'name,stp_enable'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(mon);
    let out = '';
    mon.stdout.on('data', (d) => { out += d.toString(); });
    const waitOut = async (re: RegExp, what: string) => {
      for (let i = 0; i < 200 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 50));
      t.match(out, re, what);
    };
    await waitOut(/initial br-int\s+false/, 'initial row for br-int');
    t.equal(vsctl(ours, 'add-br', 'br-mon').status, 0);
    await waitOut(/insert br-mon\s+false/, 'insert row for br-mon');
    t.equal(vsctl(ours, 'set', 'bridge', 'br-mon', 'stp_enable=true').status, 0);
    await waitOut(/old\s+false\n\s+new\s+br-mon\s+true/, 'old/new rows for the modification');
    t.equal(vsctl(ours, 'del-br', 'br-mon').status, 0);
    await waitOut(/delete br-mon\s+true/, 'delete row');
    mon.kill();
  });

  await t.test('Python IDL (python3-openvswitch) reads the tables and gets updates', { skip: needPythonOvs() }, async (t) => {
    const script = `
import sys, time
import ovs.db.idl, ovs.poller, ovs.jsonrpc, ovs.stream
helper = ovs.db.idl.SchemaHelper(location=sys.argv[2])
helper.register_all()
idl = ovs.db.idl.Idl("unix:" + sys.argv[1], helper)
seen = set()
deadline = time.time() + 30
printed_initial = False
while time.time() < deadline:
    idl.run()
    if idl.has_ever_connected():
        names = sorted(b.name for b in idl.tables["Bridge"].rows.values())
        if not printed_initial:
            print("initial " + ",".join(names), flush=True)
            printed_initial = True
        if "br-py" in names:
            ports = sorted(p.name for p in idl.tables["Port"].rows.values())
            limits = sorted(str(v) for f in idl.tables["Flow_Table"].rows.values() for v in f.flow_limit)
            print("update " + ",".join(names) + " ports=" + ",".join(ports) + " limits=" + ",".join(limits), flush=True)
            break
    poller = ovs.poller.Poller()
    idl.wait(poller)
    poller.timer_wait(200)
    poller.block()
idl.close()
`;
    const py = spawn('python3', ['-c', script, ours.sock, SCHEMA], {
      env: { ...process.env, PYTHONPATH: '/usr/lib/python3/dist-packages' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(py);
    let out = '';
    let err = '';
    py.stdout.on('data', (d) => { out += d.toString(); });
    py.stderr.on('data', (d) => { err += d.toString(); });
    // Wait for the whole line: the first chunk may end inside it.
    for (let i = 0; i < 400 && !/^initial [^\n]*\n/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    t.match(out, /^initial br-int,br-pif\n/, `IDL initial contents (stderr: ${err})`);
    // With a 64-bit integer beyond 2^53 in the same transaction: the IDL must get every digit.
    t.equal(vsctl(ours, 'add-br', 'br-py', '--', '--id=@f', 'create', 'Flow_Table', 'flow_limit=9223372036854775807', '--', 'set', 'Bridge', 'br-py', 'flow_tables:0=@f').status, 0);
    const code = await new Promise<number | null>((r) => py.on('exit', r));
    t.equal(code, 0, err);
    t.match(out, /update br-int,br-pif,br-py ports=[^\n]*br-py[^\n]* limits=9223372036854775807\n/, 'IDL saw the new bridge, its port and the exact flow limit');
  });

  await t.test('control commands: list-remotes, add/remove-remote, compact keeps data, exit', async (t) => {
    const appctl = (...a: string[]) => spawnSync('ovs-appctl', ['-t', ours.ctl, ...a], { encoding: 'utf8' });
    t.equal(appctl('ovsdb-server/list-remotes').stdout, `punix:${ours.sock}\n`);
    const extra = join(ours.dir, 'extra.sock');
    t.equal(appctl('ovsdb-server/add-remote', `punix:${extra}`).status, 0);
    t.ok(existsSync(extra), 'new remote listening');
    t.equal(spawnSync('ovs-vsctl', [`--db=unix:${extra}`, 'br-exists', 'br-int'], { encoding: 'utf8' }).status, 0, 'usable');
    t.equal(appctl('ovsdb-server/remove-remote', `punix:${extra}`).status, 0);
    t.notOk(existsSync(extra), 'removed remote stops listening');
    const bad = appctl('ovsdb-server/remove-remote', 'punix:/nope');
    t.equal(bad.status, 2);
    t.equal(bad.stderr.split('\n')[0], 'no such remote');
    t.equal(appctl('ovsdb-server/add-remote', 'db:Open_vSwitch,Nope,x').stderr.split('\n')[0], '"db:Open_vSwitch,Nope,x": no table named Nope');
    const before = vsctl(ours, 'list-br').stdout;
    t.equal(appctl('ovsdb-server/compact').status, 0);
    t.equal(vsctl(ours, 'list-br').stdout, before);
    const check = spawnSync('ovsdb-tool', ['show-log', join(ours.dir, 'conf.db')], { encoding: 'utf8' });
    t.equal(check.status, 0, 'real ovsdb-tool reads the compacted file');
    t.match(check.stdout, /record 1:.*compacting database online/);
    const mgr = join(ours.dir, 'mgr.sock');
    t.equal(appctl('ovsdb-server/add-remote', 'db:Open_vSwitch,Open_vSwitch,manager_options').status, 0);
    t.equal(vsctl(ours, 'set-manager', `punix:${mgr}`).status, 0);
    for (let i = 0; i < 100 && !existsSync(mgr); i++) await new Promise((r) => setTimeout(r, 50));
    t.ok(existsSync(mgr), 'Manager target from the database is served (db:Open_vSwitch,Open_vSwitch,manager_options)');
    t.equal(vsctl(ours, 'del-manager').status, 0);
    for (let i = 0; i < 100 && existsSync(mgr); i++) await new Promise((r) => setTimeout(r, 50));
    t.notOk(existsSync(mgr), 'and dropped when the Manager row goes');
  });

  await t.test('status commands answer as real ovsdb-server 3.1 does for a standalone, active server', async (t) => {
    const appctl = (...a: string[]) => spawnSync('ovs-appctl', ['-t', ours.ctl, ...a], { encoding: 'utf8' });
    for (const db of ['Open_vSwitch', '_Server']) t.equal(appctl('ovsdb-server/get-db-storage-status', db).stdout, 'status: ok\n', db);
    const missing = appctl('ovsdb-server/get-db-storage-status', 'Nope');
    t.same([missing.status, missing.stderr.split('\n')[0]], [2, 'Failed to find the database.']);
    t.equal(appctl('ovsdb-server/get-db-storage-status').status, 2, 'DB is required');
    t.equal(appctl('ovsdb-server/sync-status').stdout, 'state: active\n');
    t.equal(appctl('ovsdb-server/perf-counters-show').stdout, 'performance counter is not supported on this platform\n');
    t.equal(appctl('ovsdb-server/perf-counters-clear').status, 0);
    const trim = appctl('ovsdb-server/memory-trim-on-compaction', 'on');
    t.same([trim.status, trim.stderr.split('\n')[0]], [2, 'memory trimming is not supported']);
  });
});

t.test('ovs-ctl style start: remotes and SSL from the database (pssl manager), real ovs-vsctl over SSL', { skip: skipAll || needCommand('openssl') }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'h6ssl-'));
  const openssl = (...a: string[]) => spawnSync('openssl', a, { cwd: root, encoding: 'utf8' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=h6-test-ca');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'req.csr', '-subj', '/CN=h6-peer');
  openssl('x509', '-req', '-in', 'req.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'cert.pem', '-days', '2');
  const db = join(root, 'conf.db');
  spawnSync('ovsdb-tool', ['create', db, SCHEMA]);
  const sock = join(root, 'db.sock');
  const r = spawnSync(process.execPath, [OURS, '--detach', '--no-chdir', `--pidfile=${root}/pid`, `--log-file=${root}/log`, `--unixctl=${root}/ctl`,
    `--remote=punix:${sock}`, '--remote=db:Open_vSwitch,Open_vSwitch,manager_options',
    '--private-key=db:Open_vSwitch,SSL,private_key', '--certificate=db:Open_vSwitch,SSL,certificate',
    '--bootstrap-ca-cert=db:Open_vSwitch,SSL,ca_cert', db], { encoding: 'utf8', timeout: 30000 });
  t.equal(r.status, 0, r.stderr);
  const srv: Srv = { dir: root, sock, ctl: join(root, 'ctl'), pid: Number(readFileSync(join(root, 'pid'), 'utf8')) };
  t.teardown(() => { stopServer(srv); rmSync(root, { recursive: true, force: true }); });
  t.equal(vsctl(srv, 'init').status, 0);
  t.equal(vsctl(srv, 'set-ssl', join(root, 'key.pem'), join(root, 'cert.pem'), join(root, 'ca.pem')).status, 0);
  const port = 20000 + Math.floor(Math.random() * 20000);
  t.equal(vsctl(srv, 'set-manager', `pssl:${port}:127.0.0.1`).status, 0);
  let ok = false;
  for (let i = 0; i < 40 && !ok; i++) {
    const v = spawnSync('ovs-vsctl', [`--db=ssl:127.0.0.1:${port}`, '-p', join(root, 'key.pem'), '-c', join(root, 'cert.pem'), '-C', join(root, 'ca.pem'),
      '--timeout=5', '--no-wait', 'add-br', 'br-ssl'], { encoding: 'utf8' });
    ok = v.status === 0;
    if (!ok) await new Promise((res) => setTimeout(res, 100));
  }
  t.ok(ok, 'ovs-vsctl over SSL to the Manager remote taken from the database');
  t.equal(vsctl(srv, 'list-br').stdout, 'br-ssl\n');
});
