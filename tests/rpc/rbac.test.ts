// OVSDB role-based access control (engine/rpc/rbac.ts) through the ovsdb-server runner: remotes
// from db:R,Global,connections whose Connection rows carry a `role`, clients over pssl: with
// certificates made here by openssl (the CN is the client id). The same conversation runs against
// a private real ovsdb-server 3.1 with the same schema, rows and certificates, and the answers
// (error strings included) must be the same.
import t, { type Test } from 'tap';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json, JsonObject } from '../../engine/ovsdb/api.js';
import { createDatabaseFile } from '../../engine/ovsdb/file-db.js';
import { OvsdbServerRunner } from '../../engine/cli/ovsdb-server.js';
import { connectOvsdb, type RpcOvsdbClient } from '../../engine/rpc/client.js';
import { RpcError } from '../../engine/rpc/errors.js';
import { AUDIT_BATCH_MS } from '../../engine/rpc/audit.js';
import type { TlsFiles } from '../../engine/rpc/stream.js';
import { needCommand, needRealOvs } from '../lib/env.js';
import { MemoryLogger, sleep, waitListening } from './helpers.js';

const skipSsl = needCommand('openssl');
const skipReal = skipSsl || needRealOvs();

const SCHEMA: JsonObject = {
  name: 'R',
  version: '1.0.0',
  tables: {
    Global: {
      columns: { connections: { type: { key: { type: 'uuid', refTable: 'Connection' }, min: 0, max: 'unlimited' } } },
      isRoot: true,
    },
    Connection: {
      columns: {
        target: { type: 'string' },
        role: { type: 'string' },
        read_only: { type: 'boolean' },
      },
      indexes: [['target']],
    },
    RBAC_Role: {
      columns: {
        name: { type: 'string' },
        permissions: { type: { key: { type: 'string' }, value: { type: 'uuid', refTable: 'RBAC_Permission', refType: 'weak' }, min: 0, max: 'unlimited' } },
      },
      isRoot: true,
    },
    RBAC_Permission: {
      columns: {
        table: { type: 'string' },
        authorization: { type: { key: 'string', min: 0, max: 'unlimited' } },
        insert_delete: { type: 'boolean' },
        update: { type: { key: 'string', min: 0, max: 'unlimited' } },
      },
      isRoot: true,
    },
    Chassis: {
      columns: {
        name: { type: 'string' },
        hostname: { type: 'string' },
        external_ids: { type: { key: 'string', value: 'string', min: 0, max: 'unlimited' } },
      },
      isRoot: true,
      indexes: [['name']],
    },
    Encap: {
      columns: {
        chassis_name: { type: 'string' },
        options: { type: { key: 'string', value: 'string', min: 0, max: 'unlimited' } },
        ip: { type: 'string' },
      },
      isRoot: true,
    },
  },
};

function makePki(dir: string): { server: TlsFiles; ch1: TlsFiles; ch2: TlsFiles } {
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = (name: string) => ossl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', `${name}.key`);
  key('ca');
  ossl('req', '-x509', '-new', '-key', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=rbac-test-ca');
  const leaf = (name: string) => {
    key(name);
    ossl('req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/O=ovsps/CN=${name}`);
    ossl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2');
  };
  for (const n of ['server', 'ch1', 'ch2']) leaf(n);
  const files = (n: string): TlsFiles => ({ privateKey: join(dir, `${n}.key`), certificate: join(dir, `${n}.crt`), caCert: join(dir, 'ca.crt') });
  return { server: files('server'), ch1: files('ch1'), ch2: files('ch2') };
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const p = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(p));
    });
  });
}

interface Served { unix: string; ssl: string; tcp: string; ro: string; logger?: MemoryLogger; runner?: OvsdbServerRunner }

/** Rows every run starts from: two role remotes (pssl and ptcp), one without a role (pssl), the
 *  role, its permissions, and a chassis owned by someone else. */
async function seed(unix: string, sslPort: number, tcpPort: number, openPort: number, roPort: number): Promise<void> {
  const c = await connectOvsdb(unix);
  const r = await c.transact('R', [
    { op: 'insert', table: 'Connection', 'uuid-name': 'c1', row: { target: `pssl:${sslPort}:127.0.0.1`, role: 'ovn-controller' } },
    { op: 'insert', table: 'Connection', 'uuid-name': 'c2', row: { target: `ptcp:${tcpPort}:127.0.0.1`, role: 'ovn-controller' } },
    { op: 'insert', table: 'Connection', 'uuid-name': 'c3', row: { target: `pssl:${openPort}:127.0.0.1`, role: '' } },
    { op: 'insert', table: 'Connection', 'uuid-name': 'c4', row: { target: `ptcp:${roPort}:127.0.0.1`, read_only: true } },
    { op: 'insert', table: 'Global', row: { connections: ['set', [['named-uuid', 'c1'], ['named-uuid', 'c2'], ['named-uuid', 'c3'], ['named-uuid', 'c4']]] } },
    { op: 'insert', table: 'RBAC_Permission', 'uuid-name': 'pc', row: { table: 'Chassis', authorization: 'name', insert_delete: true, update: ['set', ['hostname', 'external_ids']] } },
    { op: 'insert', table: 'RBAC_Permission', 'uuid-name': 'pe', row: { table: 'Encap', authorization: 'chassis_name', insert_delete: false, update: 'options' } },
    { op: 'insert', table: 'RBAC_Role', row: { name: 'ovn-controller', permissions: ['map', [['Chassis', ['named-uuid', 'pc']], ['Encap', ['named-uuid', 'pe']]]] } },
    { op: 'insert', table: 'Chassis', row: { name: 'ch2', hostname: 'other' } },
    { op: 'insert', table: 'Encap', row: { chassis_name: 'ch1', ip: '10.0.0.1' } },
  ]);
  await c.close();
  if (JSON.stringify(r).includes('"error"')) throw new Error(`seeding failed: ${JSON.stringify(r)}`);
}

async function connectWhenUp(target: string, tls?: TlsFiles): Promise<RpcOvsdbClient> {
  // A deadline rather than a number of attempts: under load, TLS set-up of a db: remote (ours reads
  // the Connection rows, the real server on its next reconfigure) can take several seconds.
  let last: Error | undefined;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const c = await connectOvsdb(target, { tls, connectTimeoutMs: 2000 });
      await c.echo([]);
      return c;
    } catch (e) {
      last = e as Error;
      await sleep(25);
    }
  }
  throw new Error(`${target} never came up: ${last?.message}`);
}

async function startOurs(t: Test, dir: string, pki: ReturnType<typeof makePki>, ports: number[]): Promise<Served> {
  const file = join(dir, 'ours.db');
  await createDatabaseFile(file, SCHEMA);
  const logger = new MemoryLogger();
  const runner = new OvsdbServerRunner('ovsdb-server', dir, { logger, audit: { logger } });
  t.teardown(() => runner.close());
  await runner.addDatabaseFile(file);
  runner.setTls(pki.server);
  const sock = join(dir, 'ours.sock');
  runner.remotes.add(`punix:${sock}`);
  runner.remotes.add('db:R,Global,connections');
  const errs = await runner.reconfigure();
  if (errs.length) throw new Error(errs.join('; '));
  return { unix: `unix:${sock}`, ssl: `ssl:127.0.0.1:${ports[0]}`, tcp: `tcp:127.0.0.1:${ports[1]}`, ro: `tcp:127.0.0.1:${ports[3]}`, logger, runner };
}

async function startReal(t: Test, dir: string, pki: ReturnType<typeof makePki>, ports: number[]): Promise<Served> {
  const schemaFile = join(dir, 'r.ovsschema');
  writeFileSync(schemaFile, JSON.stringify(SCHEMA));
  const db = join(dir, 'real.db');
  execFileSync('ovsdb-tool', ['create', db, schemaFile]);
  const sock = join(dir, 'real.sock');
  const child: ChildProcess = spawn('/usr/sbin/ovsdb-server', ['--no-chdir', `--pidfile=${join(dir, 'real.pid')}`,
    `--log-file=${join(dir, 'real.log')}`, `--unixctl=${join(dir, 'real.ctl')}`, `--remote=punix:${sock}`,
    '--remote=db:R,Global,connections', `--private-key=${pki.server.privateKey}`, `--certificate=${pki.server.certificate}`,
    `--ca-cert=${pki.server.caCert}`, db], { stdio: 'ignore' });
  t.teardown(() => { child.kill('SIGKILL'); });
  await waitListening(sock, () => `real ovsdb-server: ${readFileSync(join(dir, 'real.log'), 'utf8')}`);
  return { unix: `unix:${sock}`, ssl: `ssl:127.0.0.1:${ports[0]}`, tcp: `tcp:127.0.0.1:${ports[1]}`, ro: `tcp:127.0.0.1:${ports[3]}` };
}

const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const norm = (v: unknown): unknown => JSON.parse(JSON.stringify(v).replace(UUID_RE, 'U'));

async function tx(c: RpcOvsdbClient, ops: Json[]): Promise<unknown> {
  try {
    return norm(await c.transact('R', ops));
  } catch (e) {
    return e instanceof RpcError ? { rpcError: norm(e.error) } : { thrown: (e as Error).message };
  }
}

const whereName = (n: string): Json => [['name', '==', n]];

/** The conversation: a restricted client ch1 (pssl, role ovn-controller), ch1 over ptcp (role, no
 *  id), and ch2 over the pssl remote without a role. Returns every answer, in order. */
async function conversation(s: Served, pki: ReturnType<typeof makePki>, openPort: number): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const ch1 = await connectWhenUp(s.ssl, pki.ch1);
  out.read = await tx(ch1, [{ op: 'select', table: 'Chassis', where: [], columns: ['name', 'hostname'] }]);
  out.insertOwn = await tx(ch1, [{ op: 'insert', table: 'Chassis', row: { name: 'ch1', hostname: 'h1' } }]);
  out.insertOther = await tx(ch1, [{ op: 'insert', table: 'Chassis', row: { name: 'ch3' } }]);
  out.insertNoName = await tx(ch1, [{ op: 'insert', table: 'Chassis', row: { hostname: 'x' } }]);
  out.updateOwn = await tx(ch1, [{ op: 'update', table: 'Chassis', where: whereName('ch1'), row: { hostname: 'h1b' } }]);
  out.updateOther = await tx(ch1, [{ op: 'update', table: 'Chassis', where: whereName('ch2'), row: { hostname: 'mine' } }]);
  out.updateColumn = await tx(ch1, [{ op: 'update', table: 'Chassis', where: whereName('ch1'), row: { name: 'renamed' } }]);
  out.updateNothing = await tx(ch1, [{ op: 'update', table: 'Chassis', where: whereName('nobody'), row: { name: 'x' } }]);
  out.mutateOwn = await tx(ch1, [{ op: 'mutate', table: 'Chassis', where: whereName('ch1'), mutations: [['external_ids', 'insert', ['map', [['k', 'v']]]]] }]);
  out.mutateAll = await tx(ch1, [{ op: 'mutate', table: 'Chassis', where: [], mutations: [['external_ids', 'insert', ['map', [['k2', 'v']]]]] }]);
  out.encapUpdate = await tx(ch1, [{ op: 'update', table: 'Encap', where: [], row: { options: ['map', [['csum', 'true']]] } }]);
  out.encapDelete = await tx(ch1, [{ op: 'delete', table: 'Encap', where: [] }]);
  out.noPermTable = await tx(ch1, [{ op: 'insert', table: 'Connection', row: { target: 'ptcp:1' } }]);
  out.roleTable = await tx(ch1, [{ op: 'update', table: 'RBAC_Permission', where: [], row: { insert_delete: true } }]);
  // Inside one transaction each op sees the ones before it: a rename of the own row after an
  // allowed change is still refused, and nothing of the transaction stays.
  out.inTxn = await tx(ch1, [
    { op: 'update', table: 'Chassis', where: whereName('ch1'), row: { hostname: 'step1' } },
    { op: 'update', table: 'Chassis', where: [['hostname', '==', 'step1']], row: { name: 'ch2' } },
  ]);
  out.inTxnInsert = await tx(ch1, [
    { op: 'insert', table: 'Chassis', 'uuid-name': 'n', row: { name: 'ch1' } },
    { op: 'update', table: 'Chassis', where: [['_uuid', '==', ['named-uuid', 'n']]], row: { hostname: 'ok' } },
    { op: 'delete', table: 'Chassis', where: [['_uuid', '==', ['named-uuid', 'n']]] },
  ]);
  out.parseErrorFirst = await tx(ch1, [{ op: 'update', table: 'Chassis', where: whereName('ch2'), row: { nope: 1 } }]);
  out.deleteOther = await tx(ch1, [{ op: 'delete', table: 'Chassis', where: whereName('ch2') }]);
  out.deleteOwn = await tx(ch1, [{ op: 'delete', table: 'Chassis', where: whereName('ch1') }]);
  out.readAfter = await tx(ch1, [{ op: 'select', table: 'Chassis', where: [], columns: ['name', 'hostname', 'external_ids'] }]);
  await ch1.close();
  const tcp = await connectWhenUp(s.tcp);
  out.tcpNoId = await tx(tcp, [{ op: 'insert', table: 'Chassis', row: { name: 'ch1' } }]);
  out.tcpRead = await tx(tcp, [{ op: 'select', table: 'Chassis', where: whereName('ch2'), columns: ['name'] }]);
  await tcp.close();
  const open = await connectWhenUp(`ssl:127.0.0.1:${openPort}`, pki.ch2);
  out.unrestricted = await tx(open, [{ op: 'update', table: 'Chassis', where: whereName('ch2'), row: { hostname: 'free' } }]);
  await open.close();
  const ro = await connectWhenUp(s.ro);
  out.roInsert = await tx(ro, [{ op: 'select', table: 'Chassis', where: whereName('ch2'), columns: ['hostname'] }, { op: 'insert', table: 'Chassis', row: { name: 'ro' } }, { op: 'comment', comment: 'x' }]);
  out.roBadOp = await tx(ro, [{ op: 'update', table: 'Chassis', where: whereName('ch2'), row: { nope: 1 } }]);
  out.roCommit = await tx(ro, [{ op: 'comment', comment: 'c' }, { op: 'commit', durable: false }]);
  out.roRead = await tx(ro, [{ op: 'select', table: 'Chassis', where: whereName('ro'), columns: ['name'] }, { op: 'assert', lock: 'nolock' }]);
  await ro.close();
  return out;
}

t.test('RBAC: our server answers a restricted client exactly as real ovsdb-server 3.1', { skip: skipSsl }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h21-rbac-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pki = makePki(dir);
  const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
  const ours = await startOurs(t, dir, pki, ports);
  await seed(ours.unix, ports[0]!, ports[1]!, ports[2]!, ports[3]!);
  const got = await conversation(ours, pki, ports[2]!);
  const perm = (what: string, table: string, id = 'ch1') =>
    [{ error: 'permission error', details: `RBAC rules for client "${id}" role "ovn-controller" prohibit ${what} table "${table}".` }];
  t.same(got.insertOwn, [{ uuid: ['uuid', 'U'] }], 'insert of a row whose authorization column is the client id');
  t.same(got.insertOther, perm('row insertion into', 'Chassis'));
  t.same(got.updateOwn, [{ count: 1 }]);
  t.same(got.updateOther, perm('modification of', 'Chassis'));
  t.same(got.updateColumn, perm('modification of', 'Chassis'), 'a column not in "update"');
  t.same(got.updateNothing, [{ count: 0 }], 'no row matched: nothing to refuse');
  t.same(got.mutateAll, perm('mutate operation on', 'Chassis'));
  t.same(got.encapDelete, perm('row deletion from', 'Encap'), 'insert_delete false');
  t.same(got.noPermTable, perm('row insertion into', 'Connection'));
  t.same(got.inTxn, [{ count: 1 }, ...perm('modification of', 'Chassis')]);
  t.same(got.deleteOwn, [{ count: 1 }]);
  t.same(got.tcpNoId, [{ error: 'permission error', details: 'RBAC rules for client "(null)" role "ovn-controller" prohibit row insertion into table "Chassis".' }], 'tcp: no client id');
  t.same(got.tcpRead, [{ rows: [{ name: 'ch2' }] }], 'reads stay allowed');
  t.same(got.unrestricted, [{ count: 1 }], 'a remote without a role is not restricted');
  t.same(got.roInsert, [{ rows: [{ hostname: 'free' }] }, { error: 'not allowed', details: 'insert operation not allowed when database server is in read only mode' }, null], 'read_only connection');
  t.same(got.roCommit, [{}, { error: 'not allowed', details: 'commit operation not allowed when database server is in read only mode' }]);
  await sleep(AUDIT_BATCH_MS * 3); // audit lines are written in batches
  t.match(ours.logger!.lines.find((l) => /prohibit row insertion into table "Chassis"/.test(l)) ?? '', /^INFO ssl:127\.0\.0\.1:\d+ \[ssl subject="O=ovsps,CN=ch1" 127\.0\.0\.1:\d+ role=ovn-controller\] transact R: insert Chassis: denied/, 'denials are audited');
  // Management methods would bypass the role: refused.
  ours.runner!.server.registerMethod('ovsps/test-write', async () => 'done');
  const ch1 = await connectWhenUp(ours.ssl, pki.ch1);
  t.teardown(() => ch1.close());
  const e = await ch1.request('ovsps/test-write', []).then(() => undefined, (x: RpcError) => x.error);
  t.same(e, { error: 'permission error', details: 'RBAC rules for client "ch1" role "ovn-controller" prohibit management method "ovsps/test-write".' });
  const ro = await connectWhenUp(ours.ro);
  t.teardown(() => ro.close());
  const e2 = await ro.request('ovsps/test-write', []).then(() => undefined, (x: RpcError) => x.error);
  t.same(e2, { error: 'not allowed', details: 'management method "ovsps/test-write" not allowed on a read-only connection' });

  if (skipReal) {
    t.comment(`not compared with real ovsdb-server: ${skipReal}`);
    return;
  }
  const rdir = join(dir, 'real');
  execFileSync('mkdir', ['-p', rdir]);
  const rports = [await freePort(), await freePort(), await freePort(), await freePort()];
  const real = await startReal(t, rdir, pki, rports);
  await seed(real.unix, rports[0]!, rports[1]!, rports[2]!, rports[3]!);
  const want = await conversation(real, pki, rports[2]!);
  for (const k of Object.keys(want)) t.same(got[k], want[k], `same answer as real ovsdb-server: ${k}`);
});

t.test('RBAC: a role changed in the database applies to connected clients at once', { skip: skipSsl }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h21-rbac-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pki = makePki(dir);
  const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
  const ours = await startOurs(t, dir, pki, ports);
  await seed(ours.unix, ports[0]!, ports[1]!, ports[2]!, ports[3]!);
  const open = await connectWhenUp(`ssl:127.0.0.1:${ports[2]}`, pki.ch2);
  t.teardown(() => open.close());
  t.same(norm(await open.transact('R', [{ op: 'update', table: 'Chassis', where: whereName('ch2'), row: { hostname: 'a' } }])), [{ count: 1 }]);
  const admin = await connectOvsdb(ours.unix);
  t.teardown(() => admin.close());
  await admin.transact('R', [{ op: 'update', table: 'Connection', where: [['target', '==', `pssl:${ports[2]}:127.0.0.1`]], row: { role: 'ovn-controller' } }]);
  await ours.runner!.reconfigure();
  const r = norm(await open.transact('R', [{ op: 'update', table: 'Chassis', where: whereName('ch2'), row: { hostname: 'b' } }]));
  t.same(r, [{ count: 1 }], 'ch2 owns row ch2 by name: still allowed');
  const r2 = norm(await open.transact('R', [{ op: 'update', table: 'Chassis', where: whereName('ch2'), row: { name: 'x' } }]));
  t.same(r2, [{ error: 'permission error', details: 'RBAC rules for client "ch2" role "ovn-controller" prohibit modification of table "Chassis".' }], 'the new role restricts the open session');
});
