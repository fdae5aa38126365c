import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectOvsdb } from '../../engine/rpc/client.js';
import { OvsdbServer } from '../../engine/rpc/server.js';
import {
  connectStream, listenRemote, parseActiveTarget, parsePassiveRemote, socketPath, windowsPipeName, type Listener, type TlsFiles,
} from '../../engine/rpc/stream.js';
import { needCommand } from '../lib/env.js';
import { createDatabase } from '../../engine/ovsdb/database.js';
import { readSchemaFile } from '../../engine/ovsdb/schema-file.js';
import { projectRoot } from '../../engine/setup/paths.js';
import { daemonFiles, runBin, waitListening } from './helpers.js';

t.test('parsing active targets', async (t) => {
  t.same(parseActiveTarget('unix:/run/db.sock'), { kind: 'unix', path: '/run/db.sock' });
  t.same(parseActiveTarget('tcp:10.0.0.1:6641'), { kind: 'tcp', host: '10.0.0.1', port: 6641 });
  t.same(parseActiveTarget('tcp:10.0.0.1'), { kind: 'tcp', host: '10.0.0.1', port: 6640 }, 'default port 6640');
  t.same(parseActiveTarget('ssl:[::1]:7000'), { kind: 'ssl', host: '::1', port: 7000 });
  t.same(parseActiveTarget('tcp:[fe80::1]'), { kind: 'tcp', host: 'fe80::1', port: 6640 });
  for (const bad of ['udp:1.2.3.4:5', 'tcp:1.2.3.4:99999', 'tcp:1.2.3.4:x', 'unix:', 'tcp::6640', '/run/db.sock', 'tcp:[::1']) {
    t.throws(() => parseActiveTarget(bad), { code: 'OVS_E_BAD_REMOTE' }, bad);
  }
});

t.test('parsing passive remotes', async (t) => {
  t.same(parsePassiveRemote('punix:/run/db.sock'), { kind: 'punix', path: '/run/db.sock' });
  t.same(parsePassiveRemote('ptcp:6641'), { kind: 'ptcp', host: '0.0.0.0', port: 6641 }, 'default IP 0.0.0.0');
  t.same(parsePassiveRemote('ptcp:'), { kind: 'ptcp', host: '0.0.0.0', port: 6640 });
  t.same(parsePassiveRemote('ptcp:0:127.0.0.1'), { kind: 'ptcp', host: '127.0.0.1', port: 0 });
  t.same(parsePassiveRemote('pssl:6642:[::1]'), { kind: 'pssl', host: '::1', port: 6642 });
  for (const bad of ['ptcp:65536', 'ptcp:abc', 'punix:', 'tcp:1.2.3.4:5', 'ptcp:1:']) {
    t.throws(() => parsePassiveRemote(bad), { code: 'OVS_E_BAD_REMOTE' }, bad);
  }
});

t.test('named pipe names as OVS forms them on Windows', async (t) => {
  t.equal(windowsPipeName('C:/openvswitch/var/run/openvswitch/db.sock'), '\\\\.\\pipe\\C:openvswitchvarrunopenvswitchdb.sock');
  t.equal(windowsPipeName('C:\\ovs\\db.sock'), '\\\\.\\pipe\\C:ovsdb.sock');
  t.equal(windowsPipeName('\\\\.\\pipe\\ovsdb'), '\\\\.\\pipe\\ovsdb');
});

t.test('punix: mode 0660, stale socket replaced, regular file refused, removed on close', { skip: (process.platform === 'win32' && 'unix socket files') || needCommand('python3') }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h4-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 's.sock');
  // Leave a stale socket file behind: a process binds it and exits without unlinking.
  execFileSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', path]);
  t.ok(statSync(path).isSocket(), 'a stale socket file exists');
  const l = await listenRemote(`punix:${path}`, (s) => s.end());
  t.equal((statSync(path).mode & 0o777).toString(8), '660');
  const s = await connectStream(`unix:${path}`);
  s.destroy();
  await l.close();
  t.throws(() => statSync(path), 'socket removed on close');
  const file = join(dir, 'plain');
  writeFileSync(file, 'keep me');
  await t.rejects(listenRemote(`punix:${file}`, () => {}), { code: 'OVS_E_BAD_REMOTE', message: /not a socket/ });
  t.equal(statSync(file).size, 7, 'the regular file is untouched');
  const missing = join(dir, 'no-such-dir', 's.sock');
  await t.rejects(listenRemote(`punix:${missing}`, () => {}), { code: 'OVS_E_BAD_REMOTE', message: `punix:${missing}: listen failed: No such file or directory` },
    'a missing directory is named as such (libuv says EACCES), as OVS logs it');
  await t.rejects(connectStream(`unix:${join(dir, 'nobody')}`), { code: 'OVS_E_BAD_REMOTE', message: /connection failed/ });
});

t.test('ptcp: ephemeral port, tcp client', async (t) => {
  const server = new OvsdbServer();
  t.teardown(() => server.close());
  const l = await server.listen('ptcp:0:127.0.0.1');
  t.match(l.remote, /^ptcp:\d+:127\.0\.0\.1$/);
  t.match(l.target, /^tcp:127\.0\.0\.1:\d+$/);
  const c = await connectOvsdb(l.target);
  t.same(await c.listDbs(), ['_Server']);
  await c.close();
});

function makePki(dir: string): { good: TlsFiles; client: TlsFiles; rogue: TlsFiles } {
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = (name: string) => ossl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', `${name}.key`);
  const ca = (name: string) => {
    key(name);
    ossl('req', '-x509', '-new', '-key', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`);
  };
  const leaf = (name: string, caName: string) => {
    key(name);
    ossl('req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    ossl('x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.crt`, '-CAkey', `${caName}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2');
  };
  ca('ca');
  ca('rogueca');
  leaf('server', 'ca');
  leaf('client', 'ca');
  leaf('rogue', 'rogueca');
  const files = (n: string, c: string): TlsFiles => ({ privateKey: join(dir, `${n}.key`), certificate: join(dir, `${n}.crt`), caCert: join(dir, `${c}.crt`) });
  return { good: files('server', 'ca'), client: files('client', 'ca'), rogue: files('rogue', 'ca') };
}

t.test('pssl: TLS with required, verified client certificates', { skip: needCommand('openssl') }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h4-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pki = makePki(dir);
  const server = new OvsdbServer({ tls: pki.good });
  t.teardown(() => server.close());
  const l = await server.listen('pssl:0:127.0.0.1');
  t.match(l.target, /^ssl:127\.0\.0\.1:\d+$/);
  const c = await connectOvsdb(l.target, { tls: pki.client });
  t.same(await c.listDbs(), ['_Server'], 'a client with a certificate from our CA is served');
  await c.close();

  // No client certificate at all: the handshake (or the first read) fails.
  const tls = await import('node:tls');
  const port = Number(l.target.split(':').pop());
  const noCert = await new Promise<string>((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca: [readFileSync(pki.good.caCert)], checkServerIdentity: () => undefined });
    s.on('error', (e) => resolve(`error: ${e.message}`));
    s.on('secureConnect', () => {
      s.write('{"id":1,"method":"list_dbs","params":[]}');
      s.on('data', () => resolve('served'));
      s.on('close', () => resolve('closed'));
    });
  });
  t.not(noCert, 'served', `client without certificate refused (${noCert})`);
  // A certificate signed by another CA.
  let rogue = 'served';
  try {
    const r = await connectOvsdb(l.target, { tls: pki.rogue, connectTimeoutMs: 5000 });
    rogue = await r.listDbs().then(() => 'served', (e: Error) => `refused: ${e.message}`);
    await r.close();
  } catch (e) {
    rogue = `refused: ${(e as Error).message}`;
  }
  t.not(rogue, 'served', `client with a certificate from another CA refused (${rogue})`);
  // The client verifies the server too: with the rogue CA as its CA it refuses our server.
  await t.rejects(connectOvsdb(l.target, { tls: { ...pki.client, caCert: join(dir, 'rogueca.crt') }, connectTimeoutMs: 5000 }), { code: 'OVS_E_BAD_REMOTE' });
});

t.test('relative unix paths are relative to OVS_RUNDIR', { skip: process.platform === 'win32' && 'unix socket files' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h4-'));
  const saved = process.env.OVS_RUNDIR;
  process.env.OVS_RUNDIR = dir;
  t.teardown(() => {
    if (saved === undefined) delete process.env.OVS_RUNDIR; else process.env.OVS_RUNDIR = saved;
    rmSync(dir, { recursive: true, force: true });
  });
  t.equal(socketPath('db.sock'), join(dir, 'db.sock'));
  t.equal(socketPath('/abs/db.sock'), '/abs/db.sock');
  const l = await listenRemote('punix:db.sock', (s) => s.end());
  t.ok(statSync(join(dir, 'db.sock')).isSocket(), 'punix:db.sock created in the run directory');
  const s = await connectStream('unix:db.sock');
  s.destroy();
  await l.close();
});

/** Our server with an empty vswitch database on pssl:0:127.0.0.1, its PKI made in a private
 *  directory; both go at teardown. */
async function sslVswitchServer(t: Test, tag: string): Promise<{ pki: ReturnType<typeof makePki>; l: Listener }> {
  const dir = mkdtempSync(join(tmpdir(), tag));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const pki = makePki(dir);
  const server = new OvsdbServer({ tls: pki.good });
  t.teardown(() => server.close());
  server.addDatabase(createDatabase(readSchemaFile(join(projectRoot, 'manifests', 'vswitch.ovsschema'))));
  return { pki, l: await server.listen('pssl:0:127.0.0.1') };
}

t.test('ovs-vsctl --db=ssl: with -p/-c/-C, and clear errors without them', { skip: needCommand('openssl') }, async (t) => {
  const { pki, l } = await sslVswitchServer(t, 'ovsps-vsctl-ssl-');
  const sslArgs = ['-p', pki.client.privateKey, `--certificate=${pki.client.certificate}`, '-C', pki.client.caCert];
  const init = await runBin('ovs-vsctl', [`--db=${l.target}`, ...sslArgs, '--no-wait', 'init']);
  t.equal(init.status, 0, `init over SSL (${init.stderr.trim()})`);
  const add = await runBin('ovs-vsctl', [`--db=${l.target}`, ...sslArgs, '--no-wait', 'add-br', 'brssl']);
  t.equal(add.status, 0, `add-br over SSL (${add.stderr.trim()})`);
  const list = await runBin('ovs-vsctl', [`--db=${l.target}`, ...sslArgs, 'list-br']);
  t.equal(list.stdout, 'brssl\n', 'the bridge is there');
  const noKey = await runBin('ovs-vsctl', [`--db=${l.target}`, '--no-wait', 'list-br']);
  t.equal(noKey.status, 1);
  t.match(noKey.stderr, /Private key must be configured to use SSL/, 'without -p: says what is missing');
  const noCa = await runBin('ovs-vsctl', [`--db=${l.target}`, '-p', pki.client.privateKey, '-c', pki.client.certificate, '--no-wait', 'list-br']);
  t.match(noCa.stderr, /CA certificate must be configured to use SSL/, 'without -C: says what is missing');
  const rogue = await runBin('ovs-vsctl', [`--db=${l.target}`, '-p', pki.rogue.privateKey, '-c', pki.rogue.certificate, '-C', pki.rogue.caCert, '--no-wait', 'list-br']);
  t.equal(rogue.status, 1, 'a certificate from another CA is refused');
  t.match(rogue.stderr, /ssl:127\.0\.0\.1:\d+: (database connection failed|connection closed by peer)/, 'and the error names the database');
});

t.test('ovsdb-client with an ssl: SERVER and -p/-c/-C', { skip: needCommand('openssl') }, async (t) => {
  const { pki, l } = await sslVswitchServer(t, 'ovsps-client-ssl-');
  const r = await runBin('ovsdb-client', [`--private-key=${pki.client.privateKey}`, '-c', pki.client.certificate, `-C${pki.client.caCert}`, 'list-dbs', l.target]);
  t.equal(r.status, 0, `list-dbs over SSL (${r.stderr.trim()})`);
  t.equal(r.stdout, 'Open_vSwitch\n_Server\n');
  const boot = await runBin('ovsdb-client', ['-p', pki.client.privateKey, '-c', pki.client.certificate, `--bootstrap-ca-cert=${pki.client.caCert}`, '-t', '10', 'list-dbs', l.target]);
  t.equal(boot.status, 0, `--bootstrap-ca-cert as the CA file, -t still a timeout (${boot.stderr.trim()})`);
  const none = await runBin('ovsdb-client', ['list-dbs', l.target]);
  t.not(none.status, 0);
  t.match(none.stderr, /Private key must be configured to use SSL/, 'without -p: says what is missing');
});

t.test('ovsdb-server tries a failed listen again, as OVS does: a punix: remote whose directory appears later', { skip: process.platform === 'win32' && 'unix socket files' }, async (t) => {
  const f = await daemonFiles(t, 'ovsps-relisten-');
  const sub = join(f.dir, 'later');
  const sock = join(sub, 'db.sock');
  const r = await runBin('ovsdb-server', ['--detach', '--no-chdir', `--pidfile=${f.pidfile}`, `--log-file=${f.log}`, `--unixctl=${f.ctl}`, `--remote=punix:${sock}`, f.db]);
  t.equal(r.status, 0, r.stderr);
  t.match(readFileSync(f.log, 'utf8'), `punix:${sock}: listen failed: No such file or directory (trying again)`);
  mkdirSync(sub);
  await waitListening(sock, () => readFileSync(f.log, 'utf8'), 15000);
  const c = await connectOvsdb(`unix:${sock}`);
  t.same(await c.request('list_dbs', []), ['Open_vSwitch', '_Server']);
  await c.close();
  t.match(readFileSync(f.log, 'utf8'), /punix:\S+: listening \(after \d+ failed attempts?\)/);
});

t.test('ovsdb-server: the same database file twice is "already open", another file of a served name a duplicate name, as in OVS', async (t) => {
  const f = await daemonFiles(t, 'ovsps-dupdb-');
  const copy = join(f.dir, 'copy.db');
  writeFileSync(copy, readFileSync(f.db));
  const dup = await runBin('ovsdb-server', [`--unixctl=${f.ctl}`, `--remote=punix:${f.sock}`, f.db, copy]);
  t.same([dup.status, dup.stderr], [1, 'ovsdb-server: ovsdb error: Open_vSwitch: duplicate database name\n']);
  const r = await runBin('ovsdb-server', ['--detach', '--no-chdir', `--pidfile=${f.pidfile}`, `--log-file=${f.log}`, `--unixctl=${f.ctl}`, `--remote=punix:${f.sock}`, f.db]);
  t.equal(r.status, 0, r.stderr);
  const again = await runBin('ovs-appctl', ['-t', f.ctl, 'ovsdb-server/add-db', f.db]);
  t.same([again.status, again.stderr.split('\n')[0]], [2, `${f.db}: already open`]);
  const other = await runBin('ovs-appctl', ['-t', f.ctl, 'ovsdb-server/add-db', copy]);
  t.same([other.status, other.stderr.split('\n')[0]], [2, 'ovsdb error: Open_vSwitch: duplicate database name']);
  const asDir = await runBin('ovsdb-server', [`--unixctl=${f.dir}`, copy]);
  t.same([asDir.status, asDir.stderr], [1, `ovsdb-server: ${f.dir}: could not initialize control socket (Is a directory)\n`], 'a control socket path that is a directory');
});

t.test('ovsdb-client: connection failures give the system error, as OVS does; needs-conversion compares SERVER\'s schema with a file', async (t) => {
  const none = await runBin('ovsdb-client', ['list-dbs', 'unix:/nonexistent/db.sock']);
  t.same([none.status, none.stderr], [1, 'ovsdb-client: failed to connect to "unix:/nonexistent/db.sock" (No such file or directory)\n']);
  const refused = await runBin('ovsdb-client', ['list-dbs', 'tcp:127.0.0.1:1']);
  t.same([refused.status, refused.stderr], [1, 'ovsdb-client: failed to connect to "tcp:127.0.0.1:1" (Connection refused)\n']);
  const f = await daemonFiles(t, 'ovsps-needsconv-');
  const r = await runBin('ovsdb-server', ['--detach', '--no-chdir', `--pidfile=${f.pidfile}`, `--log-file=${f.log}`, `--unixctl=${f.ctl}`, `--remote=punix:${f.sock}`, f.db]);
  t.equal(r.status, 0, r.stderr);
  const schemaFile = join(projectRoot, 'manifests', 'vswitch.ovsschema');
  t.same(await runBin('ovsdb-client', ['needs-conversion', `unix:${f.sock}`, schemaFile]), { status: 0, stdout: 'no\n', stderr: '' });
  const changed = JSON.parse(readFileSync(schemaFile, 'utf8')) as { tables: { Bridge: { columns: Record<string, unknown> } } };
  changed.tables.Bridge.columns.added = { type: 'string' };
  const changedFile = join(f.dir, 'changed.ovsschema');
  writeFileSync(changedFile, JSON.stringify(changed));
  t.same(await runBin('ovsdb-client', ['needs-conversion', `unix:${f.sock}`, changedFile]), { status: 0, stdout: 'yes\n', stderr: '' });
  const missing = await runBin('ovsdb-client', ['needs-conversion', `unix:${f.sock}`, join(f.dir, 'nope.ovsschema')]);
  t.equal(missing.status, 1);
  t.match(missing.stderr, /nope\.ovsschema/, 'a missing schema file is named');
});

t.test('ovsdb-server --run: the command runs against the started server, and the server exits with it', { skip: process.platform === 'win32' && '/bin/sh' }, async (t) => {
  const f = await daemonFiles(t, 'ovsps-run-');
  const client = join(projectRoot, 'engine', 'bin', 'ovsdb-client');
  const base = [`--unixctl=${f.ctl}`, `--remote=punix:${f.sock}`, f.db];
  const ok = await runBin('ovsdb-server', [`--run=${process.execPath} ${client} list-dbs unix:${f.sock}`, ...base]);
  t.same([ok.status, ok.stdout, ok.stderr], [0, 'Open_vSwitch\n_Server\n', ''], 'the command saw the server; status 0, no version log line');
  const failed = await runBin('ovsdb-server', ['--run=exit 3', ...base]);
  t.same([failed.status, failed.stderr], [1, 'ovsdb-server: exit 3: child exited, exit status 3\n'], 'a failing command: OVS\'s message, status 1');
  const killed = await runBin('ovsdb-server', ['--run', 'kill -TERM $$', ...base]);
  t.same([killed.status, killed.stderr], [1, 'ovsdb-server: kill -TERM $$: child exited, killed (Terminated)\n'], 'a command killed by a signal');
  t.throws(() => statSync(f.ctl), 'the control socket is gone');
});
