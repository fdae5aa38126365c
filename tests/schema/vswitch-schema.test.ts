// manifests/vswitch.ovsschema must be interface-compatible with Debian's OVS 3.1 vswitch.ovsschema:
// same tables, columns, full types (enums, ranges, refs), isRoot, indexes, maxRows and version.
import t from 'tap';
import { existsSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { projectRoot } from '../../engine/setup/paths.js';
import { needRealOvs } from '../lib/env.js';
import { normalizeSchema, structuralDiff } from '../lib/normalize.js';
import { posixCksum, schemaCksumText } from '../lib/schema-cksum.js';
import { parseSchema } from '../../engine/ovsdb/schema.js';

const oursPath = join(projectRoot, 'manifests', 'vswitch.ovsschema');
const debianPath = '/usr/share/openvswitch/vswitch.ovsschema';
const oursText = readFileSync(oursPath, 'utf8');
const ours = JSON.parse(oursText) as Record<string, unknown>;

t.test('our vswitch schema has the documented shape', async (t) => {
  const n = normalizeSchema(ours);
  t.equal(n.name, 'Open_vSwitch');
  t.equal(Object.keys(n.tables).length, 19, '19 tables');
  const roots = Object.entries(n.tables).filter(([, v]) => v.isRoot).map(([k]) => k).sort();
  t.same(roots, ['Flow_Sample_Collector_Set', 'Open_vSwitch', 'QoS', 'Queue'], 'root tables');
  t.equal(n.tables.Open_vSwitch!.maxRows, 1, 'Open_vSwitch maxRows 1');
  for (const tbl of ['Bridge', 'Port', 'Interface']) {
    t.same(n.tables[tbl]!.indexes, [['name']], `${tbl} indexed by name`);
    t.equal(n.tables[tbl]!.columns.name!.mutable, false, `${tbl}.name immutable`);
  }
  // every refTable names a table of the schema
  for (const [tn, tbl] of Object.entries(n.tables)) {
    for (const [cn, col] of Object.entries(tbl.columns)) {
      for (const b of [col.type.key, col.type.value]) {
        if (b?.refTable) t.ok(n.tables[b.refTable], `${tn}.${cn} refTable ${b.refTable} exists`);
      }
    }
  }
});

t.test('our cksum field matches the file (OVS cksum rule: file without the cksum line)', async (t) => {
  t.equal(ours.cksum, schemaCksumText(oursText));
  t.equal(posixCksum(Buffer.from('123456789')), 930766865, 'POSIX cksum check value');
});

t.test('structurally identical to Debian OVS 3.1 vswitch.ovsschema', { skip: existsSync(debianPath) ? false : `${debianPath} not installed` }, async (t) => {
  const theirs = JSON.parse(readFileSync(debianPath, 'utf8')) as unknown;
  const diffs = structuralDiff(normalizeSchema(ours), normalizeSchema(theirs));
  for (const d of diffs) t.fail(d);
  t.equal(diffs.length, 0, `${diffs.length} structural differences`);
});

t.test('the structural comparison reports each kind of difference', async (t) => {
  const copy = JSON.parse(oursText) as { tables: Record<string, { columns: Record<string, { type: unknown }>; indexes?: unknown; isRoot?: boolean }> };
  copy.tables.Bridge!.columns.fail_mode!.type = { key: { type: 'string', enum: ['set', ['standalone']] }, min: 0, max: 1 };
  copy.tables.Mirror!.columns.output_port!.type = { key: { type: 'uuid', refTable: 'Port' }, min: 0, max: 1 };
  delete copy.tables.Port!.columns.cvlans;
  copy.tables.Queue!.isRoot = false;
  copy.tables.Manager!.indexes = [];
  const diffs = structuralDiff(normalizeSchema(copy), normalizeSchema(ours));
  t.same(diffs.map((d) => d.split(':')[0]), [
    'tables.Bridge.columns.fail_mode.type.key.enum',
    'tables.Manager.indexes',
    'tables.Mirror.columns.output_port.type.key.refType',
    'tables.Port.columns.cvlans',
    'tables.Queue.isRoot',
  ]);
  // shorthand and longhand spellings of one type are the same structure
  t.same(normalizeSchema({ name: 'x', tables: { T: { columns: { c: { type: 'integer' } } } } }),
    normalizeSchema({ name: 'x', tables: { T: { columns: { c: { type: { key: { type: 'integer' }, min: 1, max: 1 }, ephemeral: false } } } } }));
});

t.test('real ovsdb-tool accepts our schema and reads back name and version', { skip: needRealOvs() }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ovsps-h3-schema-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'conf.db');
  const r = spawnSync('ovsdb-tool', ['create', db, oursPath], { encoding: 'utf8' });
  t.equal(r.status, 0, `ovsdb-tool create: ${r.stderr}`);
  t.equal(spawnSync('ovsdb-tool', ['db-name', db], { encoding: 'utf8' }).stdout.trim(), 'Open_vSwitch');
  t.equal(spawnSync('ovsdb-tool', ['db-version', db], { encoding: 'utf8' }).stdout.trim(), ours.version);
  t.equal(spawnSync('ovsdb-tool', ['db-cksum', db], { encoding: 'utf8' }).stdout.trim(), ours.cksum);
});

t.test('our engine parses our schema', async (t) => {
  const parsed = parseSchema(ours);
  t.equal(parsed.name, 'Open_vSwitch');
  t.equal(parsed.version, ours.version);
  t.equal(parsed.tables.size, 19);
});
