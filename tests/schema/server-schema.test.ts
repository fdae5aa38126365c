// manifests/_server.ovsschema (the `_Server` database every ovsdb-server serves) must match OVS 3.1:
// compared with /usr/share/openvswitch/_server.ovsschema when a package ships it, else with what
// the real ovsdb-server answers to get_schema ["_Server"], and always with the documented facts.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../engine/setup/paths.js';
import { needRealOvs } from '../lib/env.js';
import { normalizeSchema, structuralDiff } from '../lib/normalize.js';
import { schemaCksumText } from '../lib/schema-cksum.js';
import { RealOvsdb } from '../lib/real-ovsdb.js';
import { parseSchema } from '../../engine/ovsdb/schema.js';

const oursPath = join(projectRoot, 'manifests', '_server.ovsschema');
const installed = '/usr/share/openvswitch/_server.ovsschema';
const oursText = readFileSync(oursPath, 'utf8');
const ours = JSON.parse(oursText) as Record<string, unknown>;

function report(t: { fail(m: string): unknown; equal(a: unknown, b: unknown, m: string): unknown }, diffs: string[]): void {
  for (const d of diffs) t.fail(d);
  t.equal(diffs.length, 0, `${diffs.length} structural differences`);
}

t.test('documented shape: _Server 1.2.0, table Database (ovs-facts §3)', async (t) => {
  const n = normalizeSchema(ours);
  t.equal(n.name, '_Server');
  t.equal(n.version, '1.2.0');
  t.same(Object.keys(n.tables), ['Database']);
  const db = n.tables.Database!;
  t.same(Object.keys(db.columns).sort(), ['cid', 'connected', 'index', 'leader', 'model', 'name', 'schema', 'sid']);
  t.same(db.columns.model!.type.key.enum, ['clustered', 'relay', 'standalone']);
  t.equal(db.columns.model!.type.min, 1);
  t.equal(db.columns.cid!.type.key.type, 'uuid');
  t.equal(db.columns.index!.type.max, 1);
  t.equal(db.columns.index!.type.min, 0);
  t.equal(ours.cksum, schemaCksumText(oursText), 'cksum field matches the file');
});

t.test('structurally identical to the installed _server.ovsschema', { skip: existsSync(installed) ? false : `${installed} not installed (Debian compiles it into ovsdb-server)` }, async (t) => {
  report(t, structuralDiff(normalizeSchema(ours), normalizeSchema(JSON.parse(readFileSync(installed, 'utf8')))));
});

t.test('structurally identical to what real ovsdb-server serves as _Server', { skip: needRealOvs() }, async (t) => {
  const real = await RealOvsdb.start({ schemaPath: join(projectRoot, 'manifests', 'vswitch.ovsschema') });
  t.teardown(() => real.stop());
  const reply = await real.request('get_schema', ['_Server']);
  t.equal(reply.error, null);
  report(t, structuralDiff(normalizeSchema(ours), normalizeSchema(reply.result)));
});

t.test('our engine parses it', async (t) => {
  const parsed = parseSchema(ours);
  t.equal(parsed.name, '_Server');
  t.equal(parsed.tables.size, 1);
});
