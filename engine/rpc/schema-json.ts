// A schema in the normalized form ovsdb-server answers get_schema with and stores in _Server's
// Database.schema column: keys sorted; a base type without constraints as its bare type name;
// a scalar column of such a type as that name, otherwise {"key", "value"?, "min"?, "max"?} with
// "min"/"max" only when not 1; a 1-element enum as a bare atom; "refType" only when weak;
// "mutable" only when false, "ephemeral" only when true; "isRoot" only when some table is not
// a root table (then written on the root tables); "indexes"/"maxRows" only when present.
import type { Json, JsonObject } from '../ovsdb/api.js';
import { compareStrings } from '../ovsdb/datum.js';
import type { BaseType, ColumnType, DatabaseSchema } from '../ovsdb/schema.js';

function sortKeys(o: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k]!;
  return out;
}

function atomKey(a: Json): string {
  return Array.isArray(a) ? String(a[1]) : String(a);
}

function enumJson(values: Json[]): Json {
  const sorted = [...values].sort((a, b) => {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
    return compareStrings(atomKey(a), atomKey(b));
  });
  return sorted.length === 1 ? sorted[0]! : ['set', sorted];
}

function baseJson(b: BaseType): Json {
  const o: JsonObject = { type: b.type };
  if (b.enum) o.enum = enumJson(b.enum);
  if (b.minInteger !== undefined) o.minInteger = b.minInteger;
  if (b.maxInteger !== undefined) o.maxInteger = b.maxInteger;
  if (b.minReal !== undefined) o.minReal = b.minReal;
  if (b.maxReal !== undefined) o.maxReal = b.maxReal;
  if (b.minLength !== undefined) o.minLength = b.minLength;
  if (b.maxLength !== undefined) o.maxLength = b.maxLength;
  if (b.refTable !== undefined) {
    o.refTable = b.refTable;
    if (b.refType === 'weak') o.refType = 'weak';
  }
  return Object.keys(o).length === 1 ? b.type : sortKeys(o);
}

function typeJson(t: ColumnType): Json {
  const key = baseJson(t.key);
  if (!t.value && t.min === 1 && t.max === 1 && typeof key === 'string') return key;
  const o: JsonObject = { key };
  if (t.value) o.value = baseJson(t.value);
  if (t.min !== 1) o.min = t.min;
  if (t.max !== 1) o.max = t.max === Infinity ? 'unlimited' : t.max;
  return sortKeys(o);
}

export function normalizedSchemaJson(schema: DatabaseSchema): JsonObject {
  const allRoot = [...schema.tables.values()].every((t) => t.isRoot);
  const tables: JsonObject = {};
  for (const name of [...schema.tables.keys()].sort()) {
    const ts = schema.tables.get(name)!;
    const columns: JsonObject = {};
    for (const c of [...ts.columns.values()].sort((a, b) => compareStrings(a.name, b.name))) {
      if (c.name === '_uuid' || c.name === '_version') continue;
      const o: JsonObject = { type: typeJson(c.type) };
      if (c.ephemeral) o.ephemeral = true;
      if (!c.mutable) o.mutable = false;
      columns[c.name] = sortKeys(o);
    }
    const t: JsonObject = { columns };
    if (ts.indexes.length) t.indexes = ts.indexes;
    if (!allRoot && ts.isRoot) t.isRoot = true;
    if (ts.maxRows !== undefined) t.maxRows = ts.maxRows;
    if (!ts.mutable) t.mutable = false;
    tables[name] = sortKeys(t);
  }
  const out: JsonObject = { name: schema.name, tables, version: schema.version };
  if (schema.cksum !== undefined) out.cksum = schema.cksum;
  return sortKeys(out);
}
