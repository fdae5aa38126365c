// The .ovsschema format (RFC 7047 section 3.2 plus Open vSwitch's extensions: indexes, isRoot,
// maxRows, refType, ephemeral, mutable). parseSchema() checks every rule Open vSwitch 3.1 applies,
// in OVS's order and with OVS's messages (schema-ovs-check.ts), and returns the typed schema every
// other OVSDB module works from.
import type { Json, JsonObject } from './api.js';
import { checkSchemaOvs, type SchemaCheckOptions } from './schema-ovs-check.js';

export { OvsSchemaError } from './schema-ovs-check.js';

export type AtomicType = 'integer' | 'real' | 'boolean' | 'string' | 'uuid';
export const ATOMIC_TYPES: readonly AtomicType[] = ['integer', 'real', 'boolean', 'string', 'uuid'];

export interface BaseType {
  type: AtomicType;
  /** Allowed values, as wire atoms (uuids as ["uuid", "..."]). */
  enum?: Json[];
  minInteger?: number;
  maxInteger?: number;
  minReal?: number;
  maxReal?: number;
  minLength?: number;
  maxLength?: number;
  refTable?: string;
  refType: 'strong' | 'weak';
}

export interface ColumnType {
  key: BaseType;
  value?: BaseType;
  min: number;
  /** Infinity for "unlimited". */
  max: number;
}

export interface ColumnSchema {
  name: string;
  type: ColumnType;
  ephemeral: boolean;
  mutable: boolean;
}

export interface TableSchema {
  name: string;
  /** Includes the implicit `_uuid` and `_version` columns first. */
  columns: Map<string, ColumnSchema>;
  isRoot: boolean;
  maxRows?: number;
  indexes: string[][];
  /** OVS's table-level "mutable" (default true). */
  mutable: boolean;
}

export interface DatabaseSchema {
  name: string;
  version: string;
  cksum?: string;
  tables: Map<string, TableSchema>;
  /** The schema exactly as given. */
  json: JsonObject;
}

const ID_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
export function isId(s: string): boolean {
  return ID_RE.test(s);
}

/** 8-4-4-4-12 hex digits (either case). It runs for every uuid atom of every request: V8's
 *  compiled regular expression checks one in about half the time of a charCodeAt loop. */
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export function isUuid(s: string): boolean {
  return s.length === 36 && UUID_RE.test(s);
}

const LOWER_UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A uuid in lower case (as every uuid this project writes is): no toLowerCase needed. */
export function isLowerCaseUuid(s: string): boolean {
  return s.length === 36 && LOWER_UUID_RE.test(s);
}

/** An enum's atoms: ["set", [...]] or one atom (checkSchemaOvs has checked them). */
function enumAtoms(json: Json): Json[] {
  if (Array.isArray(json) && json.length === 2 && json[0] === 'set' && Array.isArray(json[1])) return json[1];
  return [json];
}

function parseBaseType(json: Json): BaseType {
  if (typeof json === 'string') return { type: json as AtomicType, refType: 'strong' };
  const o = json as JsonObject;
  const type = o.type as AtomicType;
  const base: BaseType = { type, refType: 'strong' };
  if (o.enum !== undefined) {
    base.enum = enumAtoms(o.enum);
    return base;
  }
  if (type === 'integer') {
    if (typeof o.minInteger === 'number') base.minInteger = o.minInteger;
    if (typeof o.maxInteger === 'number') base.maxInteger = o.maxInteger;
  } else if (type === 'real') {
    if (typeof o.minReal === 'number') base.minReal = o.minReal;
    if (typeof o.maxReal === 'number') base.maxReal = o.maxReal;
  } else if (type === 'string') {
    if (typeof o.minLength === 'number') base.minLength = o.minLength;
    if (typeof o.maxLength === 'number') base.maxLength = o.maxLength;
  } else if (type === 'uuid' && typeof o.refTable === 'string') {
    base.refTable = o.refTable;
    if (o.refType === 'weak') base.refType = 'weak';
  }
  return base;
}

function parseColumnType(json: Json): ColumnType {
  if (typeof json === 'string') return { key: parseBaseType(json), min: 1, max: 1 };
  const o = json as JsonObject;
  const t: ColumnType = { key: parseBaseType(o.key!), min: 1, max: 1 };
  if (o.value !== undefined) t.value = parseBaseType(o.value);
  if (o.min !== undefined) t.min = Number(o.min);
  if (o.max === 'unlimited') t.max = Infinity;
  else if (o.max !== undefined) t.max = Number(o.max);
  return t;
}

function implicitColumn(name: string): ColumnSchema {
  return { name, type: { key: { type: 'uuid', refType: 'strong' }, min: 1, max: 1 }, ephemeral: false, mutable: false };
}

/** OVS keeps a table's maxRows within an unsigned int. */
const UINT_MAX = 4294967295;

/** Parses and validates an .ovsschema document. A schema that Open vSwitch 3.1 refuses throws
 *  OvsSchemaError (a SchemaError) with OVS's first error in OVS's words (schema-ovs-check.ts). */
export function parseSchema(json: unknown, options: SchemaCheckOptions = {}): DatabaseSchema {
  checkSchemaOvs(json as Json, options);
  const db = json as JsonObject;
  const tables = new Map<string, TableSchema>();
  for (const [tname, tjsonRaw] of Object.entries(db.tables as JsonObject)) {
    const tjson = tjsonRaw as JsonObject;
    const columns = new Map<string, ColumnSchema>();
    columns.set('_uuid', implicitColumn('_uuid'));
    columns.set('_version', implicitColumn('_version'));
    for (const [cname, cjsonRaw] of Object.entries(tjson.columns as JsonObject)) {
      const cjson = cjsonRaw as JsonObject;
      const type = parseColumnType(cjson.type!);
      let mutable = cjson.mutable !== false;
      // A weak reference cannot be immutable: deleting the referenced row must change it.
      if (type.key.refType === 'weak' && type.key.refTable || type.value?.refType === 'weak' && type.value.refTable) mutable = true;
      columns.set(cname, { name: cname, type, ephemeral: cjson.ephemeral === true, mutable });
    }
    const indexes = ((tjson.indexes ?? []) as string[][]).map((idx) => [...idx]);
    const t: TableSchema = { name: tname, columns, isRoot: tjson.isRoot === true, indexes, mutable: tjson.mutable !== false };
    if (tjson.maxRows !== undefined) t.maxRows = Math.min(Number(tjson.maxRows), UINT_MAX);
    tables.set(tname, t);
  }
  // Before "isRoot" existed every table was a root; OVS keeps that when no table is marked.
  if (![...tables.values()].some((t) => t.isRoot)) for (const t of tables.values()) t.isRoot = true;
  for (const t of tables.values()) {
    for (const c of t.columns.values()) {
      for (const base of [c.type.key, c.type.value]) {
        // A strong reference to a non-root table must be stored, or replaying the log would
        // garbage-collect the referenced row.
        if (base?.refTable && base.refType === 'strong' && !tables.get(base.refTable)!.isRoot) c.ephemeral = false;
      }
    }
  }
  const schema: DatabaseSchema = {
    name: db.name as string,
    version: typeof db.version === 'string' ? db.version : '',
    tables,
    json: db,
  };
  if (typeof db.cksum === 'string') schema.cksum = db.cksum;
  return schema;
}

/** A column's type in OVS's English ("set of 1 or more strings", "map of (string, integer) pairs"). */
export function typeToEnglish(t: ColumnType): string {
  if (!t.value && t.min === 1 && t.max === 1) return t.key.type;
  let s = t.value ? 'map' : 'set';
  if (t.max === Infinity) s += t.min ? ` of ${t.min} or more` : ' of';
  else if (t.min) s += ` of ${t.min} to ${t.max}`;
  else s += ` of up to ${t.max}`;
  return t.value ? `${s} (${t.key.type}, ${t.value.type}) pairs` : `${s} ${t.key.type}s`;
}
