// The canonical form in which OVS stores a schema as record 0 of a database file (what
// `ovsdb-tool create` writes after parsing and re-serialising the .ovsschema): defaults dropped
// ("min"/"max" of 1, "mutable": true, "ephemeral": false, unconstrained base types written as a
// bare type name), enums as sorted ["set", [...]], implicit columns omitted. Two schemas are "equal"
// for `needs-conversion` when their canonical forms are.
import type { Json, JsonObject } from './api.js';
import type { BaseType, ColumnType, DatabaseSchema } from './schema.js';
import { compareAtoms, atomFromJsonUnchecked } from './datum.js';
import { ovsShashOrder } from '../util/ovs-shash.js';

const INT64_MIN = -9223372036854775808;
const INT64_MAX = 9223372036854775807;
const UINT_MAX = 4294967295;

function baseJson(b: BaseType): Json {
  const out: JsonObject = { type: b.type };
  if (b.enum !== undefined) {
    const atoms = b.enum.map((j) => ({ j, a: atomFromJsonUnchecked({ type: b.type, refType: 'strong' }, j) }));
    atoms.sort((x, y) => compareAtoms(b.type, x.a, y.a));
    out['enum'] = ['set', atoms.filter((x, i) => i === 0 || compareAtoms(b.type, atoms[i - 1]!.a, x.a) !== 0).map((x) => x.j)];
  }
  if (b.type === 'integer') {
    if (b.minInteger !== undefined && b.minInteger !== INT64_MIN) out['minInteger'] = b.minInteger;
    if (b.maxInteger !== undefined && b.maxInteger !== INT64_MAX) out['maxInteger'] = b.maxInteger;
  }
  if (b.type === 'real') {
    if (b.minReal !== undefined && b.minReal !== -Number.MAX_VALUE) out['minReal'] = b.minReal;
    if (b.maxReal !== undefined && b.maxReal !== Number.MAX_VALUE) out['maxReal'] = b.maxReal;
  }
  if (b.type === 'string') {
    if (b.minLength !== undefined && b.minLength !== 0) out['minLength'] = b.minLength;
    if (b.maxLength !== undefined && b.maxLength !== UINT_MAX) out['maxLength'] = b.maxLength;
  }
  if (b.type === 'uuid' && b.refTable !== undefined) {
    out['refTable'] = b.refTable;
    if (b.refType === 'weak') out['refType'] = 'weak';
  }
  return Object.keys(out).length === 1 ? b.type : out;
}

export function columnTypeJson(t: ColumnType): Json {
  const key = baseJson(t.key);
  if (t.min === 1 && t.max === 1 && !t.value && typeof key === 'string') return key;
  const out: JsonObject = { key };
  if (t.value) out['value'] = baseJson(t.value);
  if (t.min !== 1) out['min'] = t.min;
  if (t.max !== 1) out['max'] = t.max === Infinity ? 'unlimited' : t.max;
  return out;
}

/** The schema as OVS re-serialises it into a database file. */
export function canonicalSchemaJson(schema: DatabaseSchema): JsonObject {
  const out: JsonObject = { name: schema.name };
  if (schema.version !== '') out['version'] = schema.version;
  if (schema.cksum !== undefined) out['cksum'] = schema.cksum;
  const tables: JsonObject = {};
  // A schema whose tables are all roots reads the same without any "isRoot" (the pre-isRoot meaning).
  const allRoot = [...schema.tables.values()].every((t) => t.isRoot);
  for (const t of schema.tables.values()) {
    const columns: JsonObject = {};
    for (const c of t.columns.values()) {
      if (c.name.startsWith('_')) continue;
      const cj: JsonObject = { type: columnTypeJson(c.type) };
      if (c.ephemeral) cj['ephemeral'] = true;
      if (!c.mutable) cj['mutable'] = false;
      columns[c.name] = cj;
    }
    const tj: JsonObject = { columns };
    if (t.isRoot && !allRoot) tj['isRoot'] = true;
    if (t.maxRows !== undefined && t.maxRows !== UINT_MAX) tj['maxRows'] = t.maxRows;
    if (t.indexes.length > 0) tj['indexes'] = t.indexes.map((i) => [...i]);
    if (!t.mutable) tj['mutable'] = false;
    tables[t.name] = tj;
  }
  out['tables'] = tables;
  return out;
}

/** ovsdb_schema_to_json with OVS's member insertion order: tables and columns in the order OVS's
 *  parser walks them (from the schema JSON's own text order), and each object's members in the
 *  order OVS adds them. Serialised with OVS's shash order (ovs-shash.ts inShashOrder, or
 *  json-text.ts ovsJsonToTextUnsorted), it is the text OVS's tools send and write. */
export function ovsSchemaToJson(schema: DatabaseSchema): JsonObject {
  const canon = canonicalSchemaJson(schema);
  const canonTables = canon.tables as JsonObject;
  const textTables = schema.json.tables as JsonObject;
  const out: JsonObject = { name: canon.name! };
  if (canon.version !== undefined) out.version = canon.version;
  if (canon.cksum !== undefined) out.cksum = canon.cksum;
  const tables: JsonObject = {};
  for (const tname of ovsShashOrder(ovsShashOrder(Object.keys(textTables)))) {
    const ct = canonTables[tname] as JsonObject;
    const textColumns = Object.keys((textTables[tname] as JsonObject).columns as JsonObject);
    const tj: JsonObject = {};
    if (ct.mutable !== undefined) tj.mutable = ct.mutable;
    if (ct.isRoot !== undefined) tj.isRoot = ct.isRoot;
    const columns: JsonObject = {};
    const canonColumns = ct.columns as JsonObject;
    for (const cname of ovsShashOrder(['_uuid', '_version', ...ovsShashOrder(textColumns)])) {
      if (cname.startsWith('_')) continue;
      const cc = canonColumns[cname] as JsonObject;
      const cj: JsonObject = {};
      if (cc.mutable !== undefined) cj.mutable = cc.mutable;
      if (cc.ephemeral !== undefined) cj.ephemeral = cc.ephemeral;
      cj.type = cc.type!;
      columns[cname] = cj;
    }
    tj.columns = columns;
    if (ct.maxRows !== undefined) tj.maxRows = ct.maxRows;
    if (ct.indexes !== undefined) tj.indexes = ct.indexes;
    tables[tname] = tj;
  }
  out.tables = tables;
  return out;
}

/** Structural equality of JSON values, ignoring object key order. */
export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]!));
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => k in b && jsonEqual(a[k]!, b[k]!));
}

/** ovsdb_schema_equal: same canonical form. */
export function schemasEqual(a: DatabaseSchema, b: DatabaseSchema): boolean {
  return jsonEqual(canonicalSchemaJson(a), canonicalSchemaJson(b));
}
