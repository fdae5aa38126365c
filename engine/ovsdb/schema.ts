// The .ovsschema format (RFC 7047 section 3.2 plus Open vSwitch's extensions: indexes, isRoot,
// maxRows, refType, ephemeral, mutable). parseSchema() checks the structure with the JSON schema in
// manifests/ovsschema.schema.json (ajv), then every semantic rule ovsdb-server applies, and returns
// the typed schema every other OVSDB module works from.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Json, JsonObject } from './api.js';
import { SchemaError } from './errors.js';
import { projectRoot } from '../setup/paths.js';

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

let validator: ValidateFunction | undefined;
function structureValidator(): ValidateFunction {
  if (!validator) {
    const schemaPath = join(projectRoot, 'manifests', 'ovsschema.schema.json');
    const ajv = new Ajv({ allErrors: false, strict: false });
    validator = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);
  }
  return validator as ValidateFunction;
}

/** "table T column C" for a JSON pointer into a schema, so messages name where the rule broke. */
function where(pointer: string): string {
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const out: string[] = [];
  let i = 0;
  if (parts[0] === 'tables' && parts.length > 1) {
    out.push(`table ${parts[1]}`);
    i = 2;
    if (parts[2] === 'columns' && parts.length > 3) {
      out.push(`column ${parts[3]}`);
      i = 4;
    }
  }
  const rest = parts.slice(i).join('.');
  if (rest) out.push(`member "${rest}"`);
  return out.length ? out.join(' ') : 'database schema';
}

function describeAjvError(errors: ErrorObject[]): string {
  // The deepest error is the most specific one ("oneOf" wrappers are less useful).
  const names = errors.find((e) => e.keyword === 'propertyNames');
  if (names) {
    const bad = (names.params as { propertyName?: string }).propertyName;
    return `${where(names.instancePath)} name "${bad}" must be a valid id (letters, digits, "_", not starting with a digit)`;
  }
  const best = [...errors].sort((a, b) => b.instancePath.length - a.instancePath.length)[0]!;
  let msg = best.message ?? 'is invalid';
  if (best.keyword === 'additionalProperties') {
    msg = `has unknown member "${(best.params as { additionalProperty: string }).additionalProperty}"`;
  } else if (best.keyword === 'enum') {
    msg = `must be one of ${JSON.stringify((best.params as { allowedValues: unknown[] }).allowedValues)}`;
  } else if (best.keyword === 'pattern' && best.instancePath.endsWith('/version')) {
    msg = 'must be in format x.y.z';
  } else if (best.keyword === 'propertyNames' || best.keyword === 'pattern') {
    msg = `name must be a valid id (letters, digits, "_", not starting with a digit)`;
  }
  return `${where(best.instancePath)} ${msg}`;
}

function fail(location: string, rule: string): never {
  throw new SchemaError(`invalid ovsdb schema: ${location}: ${rule}`);
}

function isObject(j: unknown): j is JsonObject {
  return typeof j === 'object' && j !== null && !Array.isArray(j);
}

function parseEnum(type: AtomicType, json: Json, loc: string): Json[] {
  let atoms: Json[];
  if (Array.isArray(json) && json.length === 2 && json[0] === 'set') {
    if (!Array.isArray(json[1])) fail(loc, 'enum: expected ["set", <array>]');
    atoms = json[1];
    if (atoms.length === 0) fail(loc, 'enum: set must have 1 to 4294967295 members but 0 are present');
  } else {
    atoms = [json];
  }
  const seen = new Set<string>();
  for (const a of atoms) {
    let ok: boolean;
    switch (type) {
      case 'integer': ok = typeof a === 'number' && Number.isInteger(a); break;
      case 'real': ok = typeof a === 'number'; break;
      case 'boolean': ok = typeof a === 'boolean'; break;
      case 'string': ok = typeof a === 'string'; break;
      case 'uuid': ok = Array.isArray(a) && a.length === 2 && a[0] === 'uuid' && typeof a[1] === 'string' && isUuid(a[1]); break;
    }
    if (!ok) fail(loc, `enum value ${JSON.stringify(a)} is not a valid ${type}`);
    const k = JSON.stringify(a);
    if (seen.has(k)) fail(loc, `enum contains duplicate value ${k}`);
    seen.add(k);
  }
  return atoms;
}

function parseBaseType(json: Json, loc: string): BaseType {
  if (typeof json === 'string') return { type: json as AtomicType, refType: 'strong' };
  const o = json as JsonObject;
  const type = o.type as AtomicType;
  const base: BaseType = { type, refType: 'strong' };
  const allowed: Record<AtomicType, string[]> = {
    integer: ['minInteger', 'maxInteger'],
    real: ['minReal', 'maxReal'],
    boolean: [],
    string: ['minLength', 'maxLength'],
    uuid: ['refTable', 'refType'],
  };
  const permitted = new Set(['type', ...(o.enum !== undefined ? ['enum'] : allowed[type])]);
  for (const m of Object.keys(o)) {
    if (!permitted.has(m)) {
      fail(loc, o.enum !== undefined && allowed[type].includes(m)
        ? `member "${m}" is not allowed together with "enum"`
        : `member "${m}" is not allowed for a base type of type "${type}"`);
    }
  }
  if (o.enum !== undefined) base.enum = parseEnum(type, o.enum, loc);
  if (type === 'integer') {
    if (typeof o.minInteger === 'number') base.minInteger = o.minInteger;
    if (typeof o.maxInteger === 'number') base.maxInteger = o.maxInteger;
    if (base.minInteger !== undefined && base.maxInteger !== undefined && base.minInteger > base.maxInteger) {
      fail(loc, 'minInteger exceeds maxInteger');
    }
  } else if (type === 'real') {
    if (typeof o.minReal === 'number') base.minReal = o.minReal;
    if (typeof o.maxReal === 'number') base.maxReal = o.maxReal;
    if (base.minReal !== undefined && base.maxReal !== undefined && base.minReal > base.maxReal) {
      fail(loc, 'minReal exceeds maxReal');
    }
  } else if (type === 'string') {
    if (typeof o.minLength === 'number') base.minLength = o.minLength;
    if (typeof o.maxLength === 'number') base.maxLength = o.maxLength;
    if (base.minLength !== undefined && base.maxLength !== undefined && base.minLength > base.maxLength) {
      fail(loc, 'minLength exceeds maxLength');
    }
  } else if (type === 'uuid') {
    if (typeof o.refTable === 'string') {
      base.refTable = o.refTable;
      if (o.refType === 'weak') base.refType = 'weak';
    } else if (o.refType !== undefined) {
      fail(loc, '"refType" is only allowed together with "refTable"');
    }
  }
  return base;
}

function parseColumnType(json: Json, loc: string): ColumnType {
  if (typeof json === 'string') return { key: parseBaseType(json, loc), min: 1, max: 1 };
  const o = json as JsonObject;
  const key = parseBaseType(o.key!, `${loc} key`);
  const t: ColumnType = { key, min: 1, max: 1 };
  if (o.value !== undefined) t.value = parseBaseType(o.value, `${loc} value`);
  if (typeof o.min === 'number') t.min = o.min;
  if (o.max === 'unlimited') t.max = Infinity;
  else if (typeof o.max === 'number') t.max = o.max;
  if (t.min > t.max) fail(loc, `ovsdb type fails constraint checks (min ${t.min} exceeds max ${t.max})`);
  return t;
}

function implicitColumn(name: string): ColumnSchema {
  return { name, type: { key: { type: 'uuid', refType: 'strong' }, min: 1, max: 1 }, ephemeral: false, mutable: false };
}

/** Parses and validates an .ovsschema document. Throws SchemaError naming table/column and rule. */
export function parseSchema(json: unknown): DatabaseSchema {
  if (!isObject(json)) throw new SchemaError('invalid ovsdb schema: database schema must be a JSON object');
  // Rules with OVS's own wording first (reserved names), then the structure, then the semantics.
  const tablesJson = json.tables;
  if (isObject(tablesJson)) {
    for (const [tname, tjson] of Object.entries(tablesJson)) {
      if (tname.startsWith('_')) fail(`table ${tname}`, 'names beginning with "_" are reserved');
      if (isObject(tjson) && isObject(tjson.columns)) {
        for (const cname of Object.keys(tjson.columns)) {
          if (cname.startsWith('_')) fail(`table ${tname} column ${cname}`, 'names beginning with "_" are reserved');
        }
      }
    }
  }
  const validate = structureValidator();
  if (!validate(json)) throw new SchemaError(`invalid ovsdb schema: ${describeAjvError(validate.errors ?? [])}`);

  const tables = new Map<string, TableSchema>();
  for (const [tname, tjsonRaw] of Object.entries(json.tables as JsonObject)) {
    const tjson = tjsonRaw as JsonObject;
    const columns = new Map<string, ColumnSchema>();
    columns.set('_uuid', implicitColumn('_uuid'));
    columns.set('_version', implicitColumn('_version'));
    for (const [cname, cjsonRaw] of Object.entries(tjson.columns as JsonObject)) {
      const cjson = cjsonRaw as JsonObject;
      const loc = `table ${tname} column ${cname}`;
      const type = parseColumnType(cjson.type!, loc);
      let mutable = cjson.mutable !== false;
      // A weak reference cannot be immutable: deleting the referenced row must change it.
      if (type.key.refType === 'weak' && type.key.refTable || type.value?.refType === 'weak' && type.value.refTable) mutable = true;
      columns.set(cname, { name: cname, type, ephemeral: cjson.ephemeral === true, mutable });
    }
    const indexes: string[][] = [];
    for (const idx of (tjson.indexes ?? []) as string[][]) {
      const seen = new Set<string>();
      for (const c of idx) {
        const col = columns.get(c);
        if (!col) fail(`table ${tname} index ${JSON.stringify(idx)}`, `table ${tname} has no column named ${c}`);
        if (col.ephemeral) fail(`table ${tname} index ${JSON.stringify(idx)}`, `ephemeral columns (such as ${c}) may not be indexed`);
        if (seen.has(c)) fail(`table ${tname} index ${JSON.stringify(idx)}`, `column ${c} appears more than once`);
        seen.add(c);
      }
      indexes.push([...idx]);
    }
    const t: TableSchema = { name: tname, columns, isRoot: tjson.isRoot === true, indexes, mutable: tjson.mutable !== false };
    if (typeof tjson.maxRows === 'number') t.maxRows = tjson.maxRows;
    tables.set(tname, t);
  }
  // Before "isRoot" existed every table was a root; OVS keeps that when no table is marked.
  if (![...tables.values()].some((t) => t.isRoot)) for (const t of tables.values()) t.isRoot = true;
  for (const t of tables.values()) {
    for (const c of t.columns.values()) {
      for (const [which, base] of [['key', c.type.key], ['value', c.type.value]] as const) {
        if (!base?.refTable) continue;
        const target = tables.get(base.refTable);
        if (!target) fail(`table ${t.name} column ${c.name}`, `column ${c.name} ${which} refers to undefined table ${base.refTable}`);
        // A strong reference to a non-root table must be stored, or replaying the log would
        // garbage-collect the referenced row.
        if (base.refType === 'strong' && !target.isRoot) c.ephemeral = false;
      }
    }
  }
  const schema: DatabaseSchema = {
    name: json.name as string,
    version: typeof json.version === 'string' ? json.version : '',
    tables,
    json: json as JsonObject,
  };
  if (typeof json.cksum === 'string') schema.cksum = json.cksum;
  return schema;
}

/** Reads and parses an .ovsschema file. */
export function loadSchemaFile(path: string): DatabaseSchema {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SchemaError(`cannot read schema file "${path}": ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SchemaError(`"${path}" could not be read as JSON (${(e as Error).message})`);
  }
  try {
    return parseSchema(json);
  } catch (e) {
    if (e instanceof SchemaError) throw new SchemaError(`failed to parse "${path}" as ovsdb schema: ${e.message}`);
    throw e;
  }
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
