// The view of an OVSDB schema that the ovs-vsctl library needs: tables sorted by name and, per
// table, the schema's own columns sorted by name (ovsdb-idlc's order), without _uuid/_version.
// Types are the core's (engine/ovsdb/schema.ts). The schema comes from get_schema, i.e. the
// server already validated it, so this reads it directly instead of calling the core's
// parseSchema, whose full rule check (in OVS's order) costs ~10 ms of a fresh ovs-vsctl process.
import type { Json, JsonObject } from '../ovsdb/api.js';
import { badValue } from './errors.js';

import type { AtomicType, BaseType, ColumnSchema, ColumnType } from '../ovsdb/schema.js';
export type { AtomicType, BaseType, ColumnSchema, ColumnType };

export interface TableSchema {
  name: string;
  /** Schema columns sorted by name (as ovsdb-idlc orders them); no _uuid/_version. */
  columns: Map<string, ColumnSchema>;
  isRoot: boolean;
  maxRows?: number;
  indexes: string[][];
}

export interface VsctlSchema {
  name: string;
  version: string;
  /** Tables sorted by name. */
  tables: Map<string, TableSchema>;
}

function parseBase(j: Json, where: string): BaseType {
  if (typeof j === 'string') return { type: j as AtomicType, refType: 'strong' };
  if (j === null || typeof j !== 'object' || Array.isArray(j)) throw badValue(`${where}: bad base type`);
  const b: BaseType = { type: j.type as AtomicType, refType: j.refType === 'weak' ? 'weak' : 'strong' };
  if (j.enum !== undefined) {
    const e = j.enum;
    b.enum = Array.isArray(e) && e[0] === 'set' && Array.isArray(e[1]) ? (e[1] as Json[]) : [e];
  }
  if (typeof j.minInteger === 'number') b.minInteger = j.minInteger;
  if (typeof j.maxInteger === 'number') b.maxInteger = j.maxInteger;
  if (typeof j.minReal === 'number') b.minReal = j.minReal;
  if (typeof j.maxReal === 'number') b.maxReal = j.maxReal;
  if (typeof j.minLength === 'number') b.minLength = j.minLength;
  if (typeof j.maxLength === 'number') b.maxLength = j.maxLength;
  if (typeof j.refTable === 'string') b.refTable = j.refTable;
  return b;
}

export function parseColumnType(j: Json, where: string): ColumnType {
  if (typeof j === 'string') return { key: parseBase(j, where), min: 1, max: 1 };
  if (j === null || typeof j !== 'object' || Array.isArray(j)) throw badValue(`${where}: bad column type`);
  if (j.key === undefined) return { key: parseBase(j, where), min: 1, max: 1 };
  const t: ColumnType = {
    key: parseBase(j.key, where),
    min: typeof j.min === 'number' ? j.min : 1,
    max: j.max === 'unlimited' ? Infinity : typeof j.max === 'number' ? j.max : 1,
  };
  if (j.value !== undefined) t.value = parseBase(j.value, where);
  return t;
}

/** Parses the schema JSON that get_schema returns. */
export function parseVsctlSchema(json: JsonObject): VsctlSchema {
  const tablesJson = json.tables as JsonObject;
  const tables = new Map<string, TableSchema>();
  for (const tname of Object.keys(tablesJson).sort(byteCompare)) {
    const tj = tablesJson[tname] as JsonObject;
    const colsJson = tj.columns as JsonObject;
    const columns = new Map<string, ColumnSchema>();
    for (const cname of Object.keys(colsJson).sort(byteCompare)) {
      const cj = colsJson[cname] as JsonObject;
      columns.set(cname, {
        name: cname,
        type: parseColumnType(cj.type, `${tname}.${cname}`),
        ephemeral: cj.ephemeral === true,
        mutable: cj.mutable !== false,
      });
    }
    const t: TableSchema = {
      name: tname,
      columns,
      isRoot: tj.isRoot === true,
      indexes: Array.isArray(tj.indexes) ? (tj.indexes as string[][]) : [],
    };
    if (typeof tj.maxRows === 'number') t.maxRows = tj.maxRows;
    tables.set(tname, t);
  }
  return { name: String(json.name), version: String(json.version ?? ''), tables };
}

/** Code units from here up (surrogates, U+E000..U+FFFF) are where UTF-16 order and UTF-8 byte
 *  order part. */
const ORDER_DIFFERS = /[\uD800-\uFFFF]/;

/** Orders strings by their UTF-8 bytes, as OVS (C, strcmp) does. Below U+D800 that is JavaScript's
 *  own order; only other strings are encoded and compared as bytes. */
export function byteCompare(a: string, b: string): number {
  if (a === b) return 0;
  if (!ORDER_DIFFERS.test(a) && !ORDER_DIFFERS.test(b)) return a < b ? -1 : 1;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function isMap(t: ColumnType): t is ColumnType & { value: BaseType } {
  return t.value !== undefined;
}
