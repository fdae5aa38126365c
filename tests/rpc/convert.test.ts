// Online schema conversion ("convert") in our ovsdb-server: the converted database is served and
// stored, monitors are canceled or their clients disconnected as in OVS, and a conversion that
// cannot be done leaves database and file as they were.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../engine/setup/paths.js';
import { connectOvsdb } from '../../engine/rpc/client.js';
import type { Json, JsonObject } from '../../engine/ovsdb/api.js';
import { daemonFiles, errorOf, nextNotification, runBin, sleep } from './helpers.js';

const SCHEMA = join(projectRoot, 'manifests', 'vswitch.ovsschema');

/** The vswitch schema with a new version and one more Bridge column. */
function newerSchema(dir: string, mutate?: (s: JsonObject) => void): string {
  const s = JSON.parse(readFileSync(SCHEMA, 'utf8')) as JsonObject;
  s.version = '99.0.0';
  delete s.cksum;
  const bridge = ((s.tables as JsonObject).Bridge as JsonObject).columns as JsonObject;
  bridge.note = { type: { key: 'string', min: 0, max: 1 } };
  mutate?.(s);
  const path = join(dir, `new-${Math.random().toString(36).slice(2)}.ovsschema`);
  writeFileSync(path, JSON.stringify(s));
  return path;
}

t.test('convert: served and stored, monitors canceled, clients told', async (t) => {
  const f = await daemonFiles(t, 'ovsps-convert-');
  const r = await runBin('ovsdb-server', ['--detach', '--no-chdir', `--pidfile=${f.pidfile}`, `--log-file=${f.log}`, `--unixctl=${f.ctl}`, `--remote=punix:${f.sock}`, f.db]);
  t.equal(r.status, 0, r.stderr);
  const target = `unix:${f.sock}`;
  const setup = await connectOvsdb(target);
  const ins = await setup.transact('Open_vSwitch', [
    { op: 'insert', table: 'Bridge', row: { name: 'br0', external_ids: ['map', [['k', 'v']]] }, 'uuid-name': 'b' },
    { op: 'insert', table: 'Open_vSwitch', row: { bridges: ['named-uuid', 'b'] } },
  ]);
  const brUuid = ((ins[0] as JsonObject).uuid as Json[])[1];
  await setup.close();

  // One db-change-aware client with a monitor, one plain client with a monitor.
  const aware = await connectOvsdb(target);
  await aware.request('set_db_change_aware', [true]);
  await aware.monitor('Open_vSwitch', 'm1', { Bridge: [{ columns: ['name'] }] }, () => {});
  const plain = await connectOvsdb(target);
  await plain.monitor('Open_vSwitch', 'm2', { Bridge: [{ columns: ['name'] }] }, () => {});
  const plainClosed = new Promise<void>((res) => plain.onClose(() => res()));
  const canceled = nextNotification(aware, 'monitor_canceled');

  const schemaFile = newerSchema(f.dir);
  const conv = await runBin('ovsdb-client', ['convert', target, schemaFile]);
  t.same([conv.status, conv.stderr, conv.stdout], [0, '', ''], 'ovsdb-client convert succeeds');
  t.same(await canceled, ['m1'], 'the db-change-aware client is told its monitor is canceled');
  await Promise.race([plainClosed, sleep(3000).then(() => { throw new Error('plain client not disconnected'); })]);
  t.pass('a client that is not db-change-aware is disconnected (the schema version changed)');
  t.notOk(aware.closed, 'the db-change-aware client stays connected');

  // Served: new version, new column usable, old rows kept with their UUIDs.
  const v = await runBin('ovsdb-client', ['get-schema-version', target]);
  t.equal(v.stdout, '99.0.0\n');
  const c = await connectOvsdb(target);
  const set = await c.transact('Open_vSwitch', [{ op: 'update', table: 'Bridge', where: [['name', '==', 'br0']], row: { note: 'hello' } }]);
  t.same(set, [{ count: 1 }]);
  const rows = await c.transact('Open_vSwitch', [{ op: 'select', table: 'Bridge', where: [], columns: ['_uuid', 'name', 'external_ids', 'note'] }]);
  t.same((rows[0] as JsonObject).rows, [{ _uuid: ['uuid', brUuid], name: 'br0', external_ids: ['map', [['k', 'v']]], note: 'hello' }]);
  const srv = await c.transact('_Server', [{ op: 'select', table: 'Database', where: [['name', '==', 'Open_vSwitch']], columns: ['schema'] }]);
  t.match(String(((srv[0] as JsonObject).rows as JsonObject[])[0]!.schema), /"version":"99\.0\.0"/, '_Server shows the new schema');
  await c.close();
  await aware.close();

  // Compaction and a restart keep the converted database.
  const compact = await runBin('ovs-appctl', ['-t', f.ctl, 'ovsdb-server/compact']);
  t.equal(compact.status, 0, compact.stderr);
  const exit = await runBin('ovs-appctl', ['-t', f.ctl, 'exit']);
  t.equal(exit.status, 0, exit.stderr);
  await sleep(300);
  const ver = await runBin('ovsdb-tool', ['db-version', f.db]);
  t.equal(ver.stdout, '99.0.0\n', 'the file holds the new schema');
  const q = await runBin('ovsdb-tool', ['query', f.db, '["Open_vSwitch",{"op":"select","table":"Bridge","where":[],"columns":["name","note"]}]']);
  t.equal(q.stdout, '[{"rows":[{"name":"br0","note":"hello"}]}]\n', 'the file holds the converted rows and later commits');
});

t.test('convert: refused conversions change nothing', async (t) => {
  const f = await daemonFiles(t, 'ovsps-convert-bad-');
  const r = await runBin('ovsdb-server', ['--detach', '--no-chdir', `--pidfile=${f.pidfile}`, `--log-file=${f.log}`, `--unixctl=${f.ctl}`, `--remote=punix:${f.sock}`, f.db]);
  t.equal(r.status, 0, r.stderr);
  const target = `unix:${f.sock}`;
  const c = await connectOvsdb(target);
  await c.transact('Open_vSwitch', [
    { op: 'insert', table: 'Bridge', row: { name: 'br0' }, 'uuid-name': 'b' },
    { op: 'insert', table: 'Open_vSwitch', row: { bridges: ['named-uuid', 'b'] } },
  ]);
  const before = readFileSync(f.db);

  // A value that does not fit the new type: OVS's error, nothing converted.
  const bad = newerSchema(f.dir, (s) => {
    (((s.tables as JsonObject).Bridge as JsonObject).columns as JsonObject).name = { type: 'integer' };
  });
  const conv = await runBin('ovsdb-client', ['convert', target, bad]);
  t.same([conv.status, conv.stderr], [1, 'ovsdb-client: transaction returned error: {"details":"expected integer","error":"syntax error","syntax":"\\"br0\\""}\n']);
  t.same(readFileSync(f.db), before, 'the file is unchanged');
  const v = await runBin('ovsdb-client', ['get-schema-version', target]);
  t.not(v.stdout, '99.0.0\n', 'the old schema is still served');

  // A schema for another database name.
  const other = newerSchema(f.dir, (s) => { s.name = 'Other'; });
  const otherJson = JSON.parse(readFileSync(other, 'utf8')) as Json;
  t.same(await errorOf(c.request('convert', ['Open_vSwitch', otherJson])),
    { error: 'invalid parameters', details: 'new schema name (Other) does not match database name (Open_vSwitch)' });
  t.same(await errorOf(c.request('convert', ['Open_vSwitch'])), { error: 'syntax error', details: 'array expected', syntax: '["Open_vSwitch"]' });
  t.match(await errorOf(c.request('convert', ['Nope', otherJson])), { error: 'unknown database' });
  t.match(await errorOf(c.request('convert', ['_Server', otherJson])), { error: 'not allowed' });
  // A schema OVS refuses: ovsdb-server 3.1's error, details and offending JSON (not the whole schema).
  const badType = { name: 'Open_vSwitch', version: '9.0.0', tables: { T: { columns: { a: { type: 'nope' } } } } };
  t.same(await errorOf(c.request('convert', ['Open_vSwitch', badType])), { error: 'syntax error', details: '"nope" is not an atomic-type', syntax: '"nope"' });
  const badRoot = { name: 'Open_vSwitch', version: '9.0.0', tables: { T: { columns: { a: { type: 'integer' } }, isRoot: 3 } } };
  t.same(await errorOf(c.request('convert', ['Open_vSwitch', badRoot])), {
    error: 'syntax error', details: "Parsing table schema for table T failed: Type mismatch for member 'isRoot'.", syntax: '{"columns":{"a":{"type":"integer"}},"isRoot":3}',
  });
  t.same(readFileSync(f.db), before, 'still unchanged');
  const still = await c.transact('Open_vSwitch', [{ op: 'select', table: 'Bridge', where: [], columns: ['name'] }]);
  t.same(still, [{ rows: [{ name: 'br0' }] }], 'the database still serves its rows');
  await c.close();
});
