// Our server against Debian's Open vSwitch 3.1: real ovsdb-client and ovs-vsctl as clients of our
// server, and the same JSON-RPC conversation replayed against a private real ovsdb-server and ours
// (replies and notifications compared after normalising UUIDs and key order).
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json } from '../../engine/ovsdb/api.js';
import { connectOvsdb, type RpcOvsdbClient } from '../../engine/rpc/client.js';
import { RpcError } from '../../engine/rpc/errors.js';
import { needPythonOvs, needRealOvs } from '../lib/env.js';
import { TEST_SCHEMA, startServer, waitFor, waitListening } from './helpers.js';

const VSWITCH_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';
const skipReal = needRealOvs();

/** Runs a command without blocking the event loop (our server is in this process). */
function run(cmd: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** A private real ovsdb-server for database `schemaJson`; returns its socket target. */
async function startRealServer(t: { teardown(fn: () => void): void }, schemaJson: Json): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h4-real-'));
  const schemaFile = join(dir, 'schema.ovsschema');
  writeFileSync(schemaFile, JSON.stringify(schemaJson));
  const db = join(dir, 'db');
  const r = await run('ovsdb-tool', ['create', db, schemaFile]);
  if (r.status !== 0) throw new Error(`ovsdb-tool create failed: ${r.stderr}`);
  const sock = join(dir, 'db.sock');
  const child: ChildProcess = spawn('/usr/sbin/ovsdb-server', ['--no-chdir', `--pidfile=${join(dir, 'pid')}`,
    `--log-file=${join(dir, 'log')}`, `--unixctl=${join(dir, 'ctl')}`, `--remote=punix:${sock}`, db], { stdio: 'ignore' });
  t.teardown(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  await waitListening(sock, () => `real ovsdb-server: ${readFileSync(join(dir, 'log'), 'utf8')}`);
  return `unix:${sock}`;
}

const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** Canonical text of a JSON value: UUIDs replaced by U (also in keys), object members and
 *  "rows" arrays sorted, so hash order in ovsdb-server does not matter. */
function canon(v: Json, key = ''): string {
  if (Array.isArray(v)) {
    const items = v.map((x) => canon(x));
    if (key === 'rows') items.sort();
    return '[' + items.join(',') + ']';
  }
  if (v !== null && typeof v === 'object') {
    const members = Object.entries(v).map(([k, x]) => JSON.stringify(k.replace(UUID_RE, 'U')) + ':' + canon(x, k));
    return '{' + members.sort().join(',') + '}';
  }
  return JSON.stringify(v).replace(UUID_RE, 'U');
}

type Step = [client: number, method: string, params: Json[]];

/** Runs the steps (sequentially) and returns one line per reply, each preceded by the
 *  notifications all clients received since the previous reply (sorted, as order between
 *  different monitors is hash order in ovsdb-server). */
async function converse(target: string, steps: Step[]): Promise<string[]> {
  const clients: RpcOvsdbClient[] = [await connectOvsdb(target), await connectOvsdb(target)];
  let notes: string[] = [];
  clients.forEach((c, i) => c.onNotification((m, p) => notes.push(`  ${i} notify ${m} ${canon(p)}`)));
  const out: string[] = [];
  for (const [i, method, params] of steps) {
    let line: string;
    try {
      line = `${i} ${method} ${canon(params)} -> ${canon(await clients[i]!.request(method, params))}`;
    } catch (e) {
      if (!(e instanceof RpcError)) throw e;
      line = `${i} ${method} ${canon(params)} ERR ${canon(e.error)}`;
    }
    // Let notifications to the other client arrive (an echo round trip on each connection).
    for (const c of clients) await c.echo();
    out.push(...notes.sort(), line);
    notes = [];
  }
  for (const c of clients) await c.close();
  return out;
}

const STEPS: Step[] = [
  [0, 'list_dbs', []],
  [0, 'get_schema', ['nope']],
  [0, 'get_schema', []],
  [0, 'get_schema', ['T']],
  [0, 'get_schema', ['_Server']],
  [0, 'monitor_cond', ['_Server', 'srv', { Database: [{ columns: ['name', 'model', 'connected', 'leader', 'schema', 'cid', 'sid', 'index'] }] }]],
  [0, 'echo', [1, 'a', { b: [] }]],
  [0, 'bogus', []],
  [0, 'transact', ['nope', { op: 'comment', comment: 'x' }]],
  [0, 'transact', []],
  [0, 'transact', ['_Server', { op: 'select', table: 'Database', where: [], columns: ['name', 'model', 'connected', 'leader', 'cid', 'sid', 'index'] }]],
  [0, 'transact', ['_Server', { op: 'insert', table: 'Database', row: { name: 'x', model: 'standalone' } }]],
  [0, 'monitor', ['T', 'm1', { A: { columns: ['name', 'n', 's', 'm'] } }]],
  [0, 'monitor', ['T', 'm1', { A: { columns: ['name'] } }]],
  [0, 'monitor', ['T', 'w', { A: [{ columns: ['name'] }, { columns: ['name'] }] }]],
  [0, 'monitor', ['T', null, { A: {} }]],
  [0, 'monitor', ['T', 'v', { A: { columns: ['_uuid', '_version'] } }]],
  [0, 'monitor_cond', ['T', 'm2', { A: [{ columns: ['name', 'n', 's', 'm'], where: [['n', '>', 1]] }] }]],
  [0, 'monitor_cond', ['T', 'all', { A: {} }]],
  [0, 'monitor_cond', ['T', 'noins', { A: [{ where: [true], select: { initial: true, insert: false } }] }]],
  [0, 'monitor_cond_since', ['T', 'm3', { A: [{ columns: ['name', 'n', 's', 'm'] }] }, '00000000-0000-0000-0000-000000000000']],
  [0, 'monitor_cond_since', ['T', 'r', { A: [{}] }, 'zz']],
  [0, 'monitor_cond', ['_Server', 'ms', { Database: [{ columns: ['name', 'model', 'connected', 'leader', 'cid', 'sid', 'index'], where: [['name', '==', 'T']] }] }]],
  [0, 'monitor_cond', ['T', 'm4', { A: [{ columns: ['nosuch'] }] }]],
  [0, 'monitor_cond', ['T', 'm5', { B: [{}] }]],
  [0, 'monitor_cond', ['T', 'u', { A: [{ where: [['name', '==', 5]] }] }]],
  [0, 'monitor', ['nope', 'm6', {}]],
  [1, 'transact', ['T', { op: 'insert', table: 'A', row: { name: 'a', n: 5, s: ['set', ['x', 'y']], m: ['map', [['k', 'v']]] } }]],
  [0, 'transact', ['T', { op: 'insert', table: 'A', row: { name: 'b', n: 0 } }]],
  [1, 'transact', ['T', { op: 'update', table: 'A', where: [['name', '==', 'a']], row: { s: ['set', ['y', 'z']], m: ['map', [['k', 'w'], ['j', '1']]] } }]],
  [1, 'transact', ['T', { op: 'update', table: 'A', where: [['name', '==', 'b']], row: { n: 3 } }]],
  [1, 'transact', ['T', { op: 'mutate', table: 'A', where: [], mutations: [['n', '-=', 2]] }]],
  [0, 'monitor_cond_change', ['nope', 'n2', { A: [{ where: [] }] }]],
  [0, 'monitor_cond_change', ['m2', 'all', { A: [{ where: [] }] }]],
  [0, 'monitor_cond_change', ['m2', 'y2', { A: [{ where: [], columns: ['name'] }] }]],
  [0, 'monitor_cond_change', ['m2', 'y3', { B: [{ where: [] }] }]],
  [0, 'monitor_cond_change', ['m2', 'm2', { A: [{ where: [['n', '==', 7]] }] }]],
  [0, 'monitor_cond_change', ['m2', 'm2b', { A: [{ where: [['n', '==', 1]] }] }]],
  [1, 'transact', ['T', { op: 'delete', table: 'A', where: [['name', '==', 'a']] }]],
  [0, 'monitor_cancel', ['m1']],
  [0, 'monitor_cancel', ['zz']],
  [0, 'lock', ['L']],
  [1, 'lock', ['L']],
  [1, 'transact', ['T', { op: 'assert', lock: 'L' }]],
  [0, 'transact', ['T', { op: 'assert', lock: 'L' }]],
  [0, 'lock', ['L']],
  [0, 'unlock', ['L']],
  [0, 'steal', ['L']],
  [0, 'steal', ['L']],
  [1, 'unlock', ['L']],
  [1, 'unlock', ['Q']],
  [1, 'lock', [5]],
  [1, 'lock', []],
  [0, 'set_db_change_aware', [true]],
  [0, 'set_db_change_aware', []],
  [0, 'cancel', [1]],
  [0, 'transact', ['T', { op: 'select', table: 'A', where: [], columns: ['name', 'n', 's', 'm'] }]],
];

t.test('same conversation, same answers: real ovsdb-server 3.1 vs ours', { skip: skipReal }, async (t) => {
  const realTarget = await startRealServer(t, TEST_SCHEMA);
  const h = await startServer();
  t.teardown(() => h.close());
  const real = await converse(realTarget, STEPS);
  const ours = await converse(h.target, STEPS);
  t.ok(real.length > STEPS.length, 'the real server sent notifications too');
  // One assertion per line, so a difference names the step. The _Server schema comes from
  // manifests/_server.ovsschema, whose cksum differs from OVS 3.1's ("3009684573 744"): compared
  // without the cksum, and the cksum itself as a todo until the manifest is fixed.
  const noCksum = (s: string | undefined) => s?.replace(/(\\?"cksum\\?":\\?")\d+ \d+/g, '$1CKSUM');
  const n = Math.max(real.length, ours.length);
  for (let i = 0; i < n; i++) {
    if (real[i]?.includes('3009684573 744')) {
      t.equal(noCksum(ours[i]), noCksum(real[i]), `line ${i} (without the _Server cksum)`);
      t.equal(ours[i], real[i], `line ${i} (with the _Server cksum)`, { todo: 'manifests/_server.ovsschema cksum differs from OVS 3.1' });
    } else {
      t.equal(ours[i], real[i], `line ${i}`);
    }
  }
});

t.test('real ovsdb-client against our server', { skip: skipReal }, async (t) => {
  const h = await startServer();
  t.teardown(() => h.close());
  const S = h.target;
  t.same((await run('ovsdb-client', ['list-dbs', S])).stdout.split('\n').filter(Boolean), ['T', '_Server']);
  const schema = JSON.parse((await run('ovsdb-client', ['get-schema', S, 'T'])).stdout);
  t.equal(schema.name, 'T');
  t.equal((await run('ovsdb-client', ['get-schema-version', S, 'T'])).stdout.trim(), '1.0.0');
  t.same((await run('ovsdb-client', ['list-tables', S, 'T'])).stdout.split('\n').slice(2).filter(Boolean), ['A']);
  const tr = await run('ovsdb-client', ['transact', S, JSON.stringify(['T', { op: 'insert', table: 'A', row: { name: 'z', n: 3 } }])]);
  t.equal(tr.status, 0, tr.stderr);
  t.match(JSON.parse(tr.stdout), [{ uuid: ['uuid', String] }]);
  const dump = await run('ovsdb-client', ['-f', 'csv', 'dump', S, 'T']);
  t.equal(dump.status, 0, dump.stderr);
  t.match(dump.stdout, /_uuid,m,n,name,s\n[0-9a-f-]{36},\{\},3,z,\[\]/);
  const sdump = await run('ovsdb-client', ['-f', 'csv', 'dump', S, '_Server', 'Database', 'name', 'model', 'connected', 'leader']);
  t.equal(sdump.status, 0, sdump.stderr);
  t.match(sdump.stdout, /standalone/);

  // monitor: initial row, then a row inserted by another client.
  const mon = spawn('ovsdb-client', ['-f', 'csv', 'monitor', S, 'T', 'A', 'name,n']);
  t.teardown(() => mon.kill('SIGKILL'));
  let out = '';
  mon.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  await waitFor(() => out.includes('initial'), 'ovsdb-client monitor initial output');
  t.match(out, /initial,z,3/);
  const c = await h.connect();
  await c.transact('T', [{ op: 'insert', table: 'A', row: { name: 'from-node', n: 9 } }]);
  await waitFor(() => out.includes('from-node'), 'ovsdb-client monitor insert');
  t.match(out, /insert,from-node,9/);
  await c.transact('T', [{ op: 'update', table: 'A', where: [['name', '==', 'from-node']], row: { n: 10 } }]);
  await waitFor(() => out.includes(',new,'), 'ovsdb-client monitor modify');
  t.match(out, /old,,9\n.*new,from-node,10/);
});

t.test('real ovs-vsctl against our server (vswitch schema)', { skip: skipReal || (!existsSync(VSWITCH_SCHEMA) && `${VSWITCH_SCHEMA} missing`) }, async (t) => {
  const vswitch = JSON.parse(readFileSync(VSWITCH_SCHEMA, 'utf8')) as Json;
  const h = await startServer({}, vswitch);
  t.teardown(() => h.close());
  const realTarget = await startRealServer(t, vswitch);
  const [realClient, ourClient] = [await connectOvsdb(realTarget), await connectOvsdb(h.target)];
  t.same(await ourClient.getSchema('Open_vSwitch'), await realClient.getSchema('Open_vSwitch'), 'get_schema answers the same normalized schema');
  await realClient.close();
  await ourClient.close();
  const vsctl = (...args: string[]) => run('ovs-vsctl', [`--db=${h.target}`, '--no-wait', '--timeout=20', ...args]);
  const ok = async (...args: string[]) => {
    const r = await vsctl(...args);
    t.equal(r.status, 0, `ovs-vsctl ${args.join(' ')} ${r.stderr}`);
    return r.stdout;
  };
  await ok('init');
  await ok('add-br', 'br0');
  await ok('add-port', 'br0', 'p1', '--', 'set', 'Interface', 'p1', 'type=internal');
  await ok('set', 'Bridge', 'br0', 'other_config:a=b');
  t.equal((await ok('get', 'Bridge', 'br0', 'other_config')).trim(), '{a=b}');
  t.same((await ok('list-br')).split('\n').filter(Boolean), ['br0']);
  t.same((await ok('list-ports', 'br0')).split('\n').filter(Boolean), ['p1']);
  t.match(await ok('show'), /Bridge br0\n(.|\n)*Port p1\n\s+Interface p1\n\s+type: internal/);
  const dup = await vsctl('add-br', 'br0');
  t.equal(dup.status, 1);
  t.match(dup.stderr, /cannot create a bridge named br0 because a bridge named br0 already exists/);
  await ok('del-br', 'br0');
  t.same((await ok('list-br')).split('\n').filter(Boolean), []);
  t.equal((await vsctl('br-exists', 'br0')).status, 2);
});

const PY_IDL_CLIENT = String.raw`
import sys, ovs.db.idl, ovs.poller
remote, schema_path = sys.argv[1], sys.argv[2]
helper = ovs.db.idl.SchemaHelper(schema_path)
helper.register_all()
idl = ovs.db.idl.Idl(remote, helper)
idl.set_lock("pylock")

def run_until(cond, what):
    for _ in range(2000):
        idl.run()
        if cond():
            return
        p = ovs.poller.Poller()
        idl.wait(p)
        p.timer_wait(50)
        p.block()
    print("TIMEOUT " + what)
    sys.exit(2)

run_until(lambda: len(idl.tables["Open_vSwitch"].rows) == 1, "initial contents")
print("initial bridges " + ",".join(sorted(b.name for b in idl.tables["Bridge"].rows.values())))
run_until(lambda: idl.has_lock, "lock")
print("has_lock " + str(idl.has_lock))
txn = ovs.db.idl.Transaction(idl)
ov = next(iter(idl.tables["Open_vSwitch"].rows.values()))
iface = txn.insert(idl.tables["Interface"])
iface.name = "brpy"
iface.type = "internal"
port = txn.insert(idl.tables["Port"])
port.name = "brpy"
port.interfaces = [iface]
br = txn.insert(idl.tables["Bridge"])
br.name = "brpy"
br.ports = [port]
ov.verify("bridges")
ov.bridges = list(ov.bridges) + [br]
status = txn.commit_block()
print("commit " + ovs.db.idl.Transaction.status_to_string(status))
run_until(lambda: any(b.name == "brpy" for b in idl.tables["Bridge"].rows.values()), "own bridge visible")
print("bridges " + ",".join(sorted(b.name for b in idl.tables["Bridge"].rows.values())))
sys.stdout.flush()
run_until(lambda: any(b.name == "fromnode" for b in idl.tables["Bridge"].rows.values()), "bridge made by another client")
print("saw fromnode")
idl.close()
`;

t.test('the Python IDL (python3-openvswitch) against our server', { skip: needPythonOvs() || skipReal || (!existsSync(VSWITCH_SCHEMA) && `${VSWITCH_SCHEMA} missing`) }, async (t) => {
  const h = await startServer({}, JSON.parse(readFileSync(VSWITCH_SCHEMA, 'utf8')) as Json);
  t.teardown(() => h.close());
  const c = await h.connect();
  await c.transact('Open_vSwitch', [
    { op: 'insert', table: 'Open_vSwitch', row: { bridges: ['named-uuid', 'b'] } },
    { op: 'insert', table: 'Bridge', 'uuid-name': 'b', row: { name: 'br0' } },
  ]);
  const py = spawn('python3', ['-c', PY_IDL_CLIENT, h.target, VSWITCH_SCHEMA],
    { env: { ...process.env, PYTHONPATH: '/usr/lib/python3/dist-packages' }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => py.kill('SIGKILL'));
  let out = '';
  let err = '';
  py.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  py.stderr.on('data', (b: Buffer) => { err += b.toString(); });
  const exited = new Promise<number | null>((r) => py.on('close', (code) => r(code)));
  let pyExited = false;
  void exited.then(() => { pyExited = true; });
  await waitFor(() => /(^|\n)(bridges |TIMEOUT)/.test(out) || pyExited, 'the Python IDL to commit', 120_000);
  t.match(out, /initial bridges br0\n/, 'initial contents through monitor_cond_since/_Server');
  t.match(out, /has_lock True\n/, 'lock granted');
  t.match(out, /commit success\n/, 'verify() -> wait op and insert committed');
  t.match(out, /bridges br0,brpy\n/);
  const rows = await c.transact('Open_vSwitch', [{ op: 'select', table: 'Bridge', where: [], columns: ['name'] }]);
  t.same(((rows[0] as { rows: { name: string }[] }).rows.map((r) => r.name)).sort(), ['br0', 'brpy'], 'the bridge is in our database');
  // Another client adds a bridge; the IDL sees it through its monitor.
  await c.transact('Open_vSwitch', [
    { op: 'mutate', table: 'Open_vSwitch', where: [], mutations: [['bridges', 'insert', ['set', [['named-uuid', 'n']]]]] },
    { op: 'insert', table: 'Bridge', 'uuid-name': 'n', row: { name: 'fromnode' } },
  ]);
  const code = await exited;
  t.equal(code, 0, `python exited cleanly (stderr: ${err.slice(0, 500)})`);
  t.match(out, /saw fromnode\n/);
});
