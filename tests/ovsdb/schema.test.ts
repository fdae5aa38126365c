import t from 'tap';
import { existsSync, readdirSync } from 'node:fs';
import { isUuid, parseSchema, typeToEnglish } from '../../engine/ovsdb/schema.js';
import { readSchemaFile } from '../../engine/ovsdb/schema-file.js';
import { SchemaError } from '../../engine/ovsdb/errors.js';
import type { Json } from '../../engine/ovsdb/api.js';

const sys = '/usr/share/openvswitch';
const realSchemas = existsSync(sys) ? readdirSync(sys).filter((f) => f.endsWith('.ovsschema')) : [];

t.test('the Debian OVS 3.1 schemas parse', { skip: realSchemas.length ? false : 'no schemas in /usr/share/openvswitch' }, async (t) => {
  for (const f of realSchemas) {
    const s = readSchemaFile(`${sys}/${f}`);
    t.ok(s.tables.size > 0, `${f}: ${s.name} ${s.version} has tables`);
  }
  const vs = readSchemaFile(`${sys}/vswitch.ovsschema`);
  t.equal(vs.name, 'Open_vSwitch');
  const bridge = vs.tables.get('Bridge')!;
  t.equal(bridge.isRoot, false);
  t.same(bridge.indexes, [['name']]);
  t.equal(vs.tables.get('Open_vSwitch')!.maxRows, 1);
  t.equal(vs.tables.get('Open_vSwitch')!.isRoot, true);
  const ports = bridge.columns.get('ports')!;
  t.equal(ports.type.key.refTable, 'Port');
  t.equal(ports.type.key.refType, 'strong');
  t.equal(ports.type.max, Infinity);
  t.equal(bridge.columns.get('_uuid')!.mutable, false);
  t.ok(bridge.columns.has('_version'));
  const mirrorSel = vs.tables.get('Mirror')!.columns.get('select_src_port')!;
  t.equal(mirrorSel.type.key.refType, 'weak');
  t.equal(mirrorSel.mutable, true);
  t.ok(vs.cksum, 'cksum is copied');
});

const base = (columns: Json, extra: Record<string, Json> = {}): Json =>
  ({ name: 'S', tables: { T: { columns, ...extra } } });

// Exact texts of Open vSwitch 3.1 (tests/ovsdb/schema-errors-diff.test.ts compares them with
// Debian's ovsdb-tool).
const bad: [string, Json, string][] = [
  ['not an object', [], 'syntax error: Parsing database schema failed: Object expected.'],
  ['missing name', { tables: {} }, 'syntax "{"tables":{}}": syntax error: Parsing database schema failed: Required \'name\' member is missing.'],
  ['bad version', { name: 'S', version: '1.2', tables: {} }, 'syntax "{"name":"S","tables":{},"version":"1.2"}": syntax error: schema version "1.2" not in format x.y.z'],
  ['reserved table name', { name: 'S', tables: { _T: { columns: { a: { type: 'string' } } } } }, 'syntax "{"name":"S","tables":{"_T":{"columns":{"a":{"type":"string"}}}}}": syntax error: names beginning with "_" are reserved'],
  ['reserved column name', base({ _a: { type: 'string' } }), 'syntax "{"columns":{"_a":{"type":"string"}}}": syntax error: names beginning with "_" are reserved'],
  ['column name not an id', base({ '1a': { type: 'string' } }), 'syntax "{"columns":{"1a":{"type":"string"}}}": syntax error: name must be a valid id'],
  ['no columns', base({}), 'syntax "{"columns":{}}": syntax error: table must have at least one column'],
  ['unknown atomic type', base({ a: { type: 'strin' } }), 'syntax ""strin"": syntax error: "strin" is not an atomic-type'],
  ['min above 1', base({ a: { type: { key: 'string', min: 2, max: 3 } } }), 'syntax "{"key":"string","max":3,"min":2}": syntax error: ovsdb type fails constraint checks'],
  ['max 0', base({ a: { type: { key: 'string', max: 0 } } }), 'syntax "{"key":"string","max":0}": syntax error: ovsdb type fails constraint checks'],
  ['min > max', base({ a: { type: { key: 'string', min: 1, max: 0 } } }), 'syntax "{"key":"string","max":0,"min":1}": syntax error: ovsdb type fails constraint checks'],
  ['minInteger > maxInteger', base({ a: { type: { key: { type: 'integer', minInteger: 5, maxInteger: 1 } } } }), 'syntax "{"maxInteger":1,"minInteger":5,"type":"integer"}": syntax error: minInteger exceeds maxInteger'],
  ['minReal > maxReal', base({ a: { type: { key: { type: 'real', minReal: 5, maxReal: 1 } } } }), 'syntax "{"maxReal":1,"minReal":5,"type":"real"}": syntax error: minReal exceeds maxReal'],
  ['minLength > maxLength', base({ a: { type: { key: { type: 'string', minLength: 5, maxLength: 1 } } } }), 'syntax "{"maxLength":1,"minLength":5,"type":"string"}": syntax error: minLength exceeds maxLength'],
  ['negative minLength', base({ a: { type: { key: { type: 'string', minLength: -1 } } } }), 'syntax "-1": syntax error: minLength out of valid range 0 to 4294967295'],
  ['minLength on integer', base({ a: { type: { key: { type: 'integer', minLength: 1 } } } }), 'syntax "{"minLength":1,"type":"integer"}": syntax error: Parsing ovsdb type failed: Member \'minLength\' is present but not allowed here.'],
  ['enum with range', base({ a: { type: { key: { type: 'integer', enum: ['set', [1, 2]], minInteger: 0 } } } }), 'syntax "{"enum":["set",[1,2]],"minInteger":0,"type":"integer"}": syntax error: Parsing ovsdb type failed: Member \'minInteger\' is present but not allowed here.'],
  ['enum of wrong type', base({ a: { type: { key: { type: 'integer', enum: ['set', ['x']] } } } }), 'syntax ""x"": syntax error: expected integer'],
  ['empty enum', base({ a: { type: { key: { type: 'string', enum: ['set', []] } } } }), 'syntax "["set",[]]": syntax error: set must have 1 to 4294967295 members but 0 are present'],
  ['enum with a duplicate', base({ a: { type: { key: { type: 'string', enum: ['set', ['a', 'a']] } } } }), 'ovsdb error: set contains duplicate'],
  ['bad refType', base({ a: { type: { key: { type: 'uuid', refTable: 'T', refType: 'soft' } } } }), 'syntax "{"refTable":"T","refType":"soft","type":"uuid"}": syntax error: refType must be "strong" or "weak" (not "soft")'],
  ['refTable on string', base({ a: { type: { key: { type: 'string', refTable: 'T' } } } }), 'syntax "{"refTable":"T","type":"string"}": syntax error: Parsing ovsdb type failed: Member \'refTable\' is present but not allowed here.'],
  ['undefined refTable', base({ a: { type: { key: { type: 'uuid', refTable: 'U' } } } }), 'syntax error: column a key refers to undefined table U'],
  ['maxRows 0', base({ a: { type: 'string' } }, { maxRows: 0 }), 'syntax "{"columns":{"a":{"type":"string"}},"maxRows":0}": syntax error: maxRows must be at least 1'],
  ['index on missing column', base({ a: { type: 'string' } }, { indexes: [['b']] }), 'syntax "["b"]": syntax error: b is not a valid column name'],
  ['empty index', base({ a: { type: 'string' } }, { indexes: [[]] }), 'syntax "{"columns":{"a":{"type":"string"}},"indexes":[[]]}": syntax error: index must have at least one column'],
  ['index on ephemeral column', base({ a: { type: 'string', ephemeral: true } }, { indexes: [['a']] }), 'syntax "{"columns":{"a":{"ephemeral":true,"type":"string"}},"indexes":[["a"]]}": syntax error: ephemeral columns (such as a) may not be indexed'],
  ['unknown column member', base({ a: { type: 'string', foo: 1 } }), 'syntax "{"foo":1,"type":"string"}": syntax error: Parsing schema for column a failed: Member \'foo\' is present but not allowed here.'],
  ['unknown table member', base({ a: { type: 'string' } }, { foo: 1 }), 'syntax "{"columns":{"a":{"type":"string"}},"foo":1}": syntax error: Parsing table schema for table T failed: Member \'foo\' is present but not allowed here.'],
];

t.test('schema rules are enforced with OVS 3.1\'s first error and words', async (t) => {
  for (const [what, json, msg] of bad) {
    let err: unknown;
    try {
      parseSchema(json);
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof SchemaError && err.code === 'OVSDB_E_SCHEMA', `${what}: throws SchemaError`);
    t.equal((err as Error | undefined)?.message, msg, what);
  }
});

t.test('defaults, isRoot fallback, forced persistence and mutability', async (t) => {
  const s = parseSchema({
    name: 'S', version: '1.0.0', tables: {
      A: { columns: { w: { type: { key: { type: 'uuid', refTable: 'B', refType: 'weak' } }, mutable: false }, s: { type: { key: { type: 'uuid', refTable: 'B' } }, ephemeral: true } } },
      B: { columns: { e: { type: { key: { type: 'string', enum: 'only' } } } } },
    },
  });
  t.equal(s.tables.get('A')!.isRoot, true, 'no isRoot anywhere: every table is a root');
  t.equal(s.tables.get('B')!.isRoot, true);
  t.equal(s.tables.get('A')!.columns.get('w')!.mutable, true, 'weak references are always mutable');
  t.same(s.tables.get('B')!.columns.get('e')!.type.key.enum, ['only']);
  const s2 = parseSchema({ name: 'S', tables: { A: { isRoot: true, columns: { s: { type: { key: { type: 'uuid', refTable: 'B' } }, ephemeral: true } } }, B: { columns: { x: { type: 'integer' } } } } });
  t.equal(s2.tables.get('A')!.columns.get('s')!.ephemeral, false, 'strong refs to non-root tables are persistent');
  t.equal(s2.tables.get('B')!.isRoot, false);
});

t.test('types in English as OVS words them', async (t) => {
  const k = { type: 'string' as const, refType: 'strong' as const };
  const i = { type: 'integer' as const, refType: 'strong' as const };
  t.equal(typeToEnglish({ key: k, min: 1, max: 1 }), 'string');
  t.equal(typeToEnglish({ key: k, min: 0, max: Infinity }), 'set of strings');
  t.equal(typeToEnglish({ key: k, min: 1, max: Infinity }), 'set of 1 or more strings');
  t.equal(typeToEnglish({ key: i, min: 0, max: 4 }), 'set of up to 4 integers');
  t.equal(typeToEnglish({ key: i, min: 1, max: 4 }), 'set of 1 to 4 integers');
  t.equal(typeToEnglish({ key: k, value: i, min: 0, max: Infinity }), 'map of (string, integer) pairs');
});

t.test('readSchemaFile reports unreadable and non-JSON files as ovsdb-tool does', async (t) => {
  t.throws(() => readSchemaFile('/nonexistent/x.ovsschema'), { message: 'failed to read schema: "/nonexistent/x.ovsschema" could not be read as JSON (error opening "/nonexistent/x.ovsschema": No such file or directory)' });
  t.throws(() => readSchemaFile('/etc/hostname'), /^failed to read schema: "\/etc\/hostname" could not be read as JSON \(line 0, /);
});

t.test('isUuid accepts exactly 8-4-4-4-12 hex digits, either case', async (t) => {
  const re = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
  const good = '0123abcd-ef01-4a5B-8C9D-0123456789ef';
  const cases = [good, good.toLowerCase(), good.toUpperCase(), '', good.slice(1), `${good}0`, ` ${good.slice(1)}`, good.replace('-', 'x'),
    good.replace(/-/g, ''), '00000000-0000-0000-0000-000000000000', 'g0000000-0000-0000-0000-000000000000', '0000000-00000-0000-0000-000000000000'];
  // Every one-character change of a valid uuid, to every character class around the hex ranges.
  for (let i = 0; i < good.length; i++) for (const ch of ['/', '0', '9', ':', '@', 'A', 'F', 'G', '`', 'a', 'f', 'g', '-', '\u00e9']) cases.push(good.slice(0, i) + ch + good.slice(i + 1));
  for (const s of cases) if (isUuid(s) !== re.test(s)) t.fail(`isUuid(${JSON.stringify(s)}) = ${isUuid(s)}`);
  t.ok(isUuid(good) && !isUuid(good.slice(1)), `${cases.length} strings agree with the 8-4-4-4-12 pattern`);
});
