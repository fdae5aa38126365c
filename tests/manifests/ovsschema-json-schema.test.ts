// manifests/ovsschema.schema.json describes the .ovsschema format (RFC 7047 section 3.2, with OVS's
// additions) for editors and other tools. Our checker (engine/ovsdb/schema-ovs-check.ts) follows
// OVS's own parse order and words instead, so this test keeps the two in step: every schema file
// of the project passes both, and bad schemas that break a rule the JSON schema can express fail
// both.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { projectRoot } from '../../engine/setup/paths.js';
import { parseSchema } from '../../engine/ovsdb/schema.js';
import { SchemaError } from '../../engine/ovsdb/errors.js';

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(JSON.parse(readFileSync(join(projectRoot, 'manifests', 'ovsschema.schema.json'), 'utf8')) as object);

const files = [
  'manifests/vswitch.ovsschema', 'manifests/_server.ovsschema', 'tests/ovsdb/fixtures/diff.ovsschema',
  'tests/corpus/ovsdb/schemas/constraints.ovsschema', 'tests/corpus/ovsdb/schemas/refs.ovsschema', 'tests/corpus/ovsdb/schemas/types.ovsschema',
];

t.test('every schema file of the project passes the JSON schema and our checker', async (t) => {
  for (const f of files) {
    const json = JSON.parse(readFileSync(join(projectRoot, f), 'utf8')) as unknown;
    t.ok(validate(json), `${f}: JSON schema${validate.errors ? ` (${ajv.errorsText(validate.errors)})` : ''}`);
    t.doesNotThrow(() => parseSchema(json), `${f}: our checker`);
  }
});

const col = (type: unknown, extra: Record<string, unknown> = {}): unknown => ({ name: 'x', tables: { T: { columns: { a: { type, ...extra } } } } });

t.test('structural mistakes fail both', async (t) => {
  const bad: [string, unknown][] = [
    ['no tables', { name: 'x' }],
    ['name not a string', { name: 5, tables: {} }],
    ['version not x.y.z', { name: 'x', version: '1.0', tables: {} }],
    ['unknown database member', { name: 'x', tables: {}, extra: 1 }],
    ['table without columns', { name: 'x', tables: { T: {} } }],
    ['isRoot not boolean', { name: 'x', tables: { T: { columns: {}, isRoot: 3 } } }],
    ['maxRows zero', { name: 'x', tables: { T: { columns: {}, maxRows: 0 } } }],
    ['unknown atomic type', col('nope')],
    ['min not an integer', col({ key: 'integer', min: 'one' })],
    ['max a bad word', col({ key: 'integer', max: 'lots' })],
    ['unknown column member', col('integer', { extra: 1 })],
    ['ephemeral not boolean', col('integer', { ephemeral: 'yes' })],
    ['refType bad value', col({ key: { type: 'uuid', refTable: 'T', refType: 'soft' } })],
    ['key missing', col({ min: 0 })],
  ];
  for (const [what, json] of bad) {
    t.notOk(validate(json), `${what}: JSON schema refuses`);
    t.throws(() => parseSchema(json), SchemaError, `${what}: our checker refuses`);
  }
});
