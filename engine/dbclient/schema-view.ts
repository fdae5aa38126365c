// A schema as ovsdb-client sees it: tables and columns in the order OVS's ovsdb-client walks them.
// OVS parses get_schema's reply into shashes: the "tables" (and each "columns") JSON object is a
// shash filled in the reply's text order, and ovsdb_schema_from_json walks it to fill
// schema->tables (each table first gets _uuid and _version, then its columns from the walk), so
// list-tables, list-columns and backup print in the order of those second shashes. Commands that
// sort (dump, monitor ALL) sort by name.
import type { Json, JsonObject } from '../ovsdb/api.js';
import { byteCompare, parseColumnType, type ColumnType } from '../vsctl/schema.js';
import { ovsShashOrder } from '../util/ovs-shash.js';
import { InvalidInputError } from '../util/errors.js';

export interface ColumnView {
  name: string;
  type: ColumnType;
  /** The type as the schema gives it (for list-columns' "Type"). */
  typeJson: Json;
  /** Stored in the database file: not _version and not ephemeral (OVS's column->persistent). */
  persistent: boolean;
}

export interface TableView {
  name: string;
  /** Columns in OVS's walk order, _uuid and _version included. */
  columns: ColumnView[];
  columnByName: Map<string, ColumnView>;
}

export interface SchemaView {
  name: string;
  version: string;
  cksum?: string;
  /** get_schema's reply, as the server sent it. */
  json: JsonObject;
  /** Tables in OVS's walk order. */
  tables: TableView[];
  tableByName: Map<string, TableView>;
}

const UUID_TYPE: ColumnType = { key: { type: 'uuid', refType: 'strong' }, min: 1, max: 1 };

/** The same walk order twice: OVS fills one shash while walking another over the same keys. */
function walkOrder(keys: string[]): string[] {
  return ovsShashOrder(ovsShashOrder(keys));
}

function objectOf(j: Json | undefined, what: string): JsonObject {
  if (j === null || typeof j !== 'object' || Array.isArray(j)) throw new InvalidInputError(`${what} is not a JSON object`);
  return j;
}

export function schemaView(json: Json): SchemaView {
  const s = objectOf(json, 'schema');
  const tablesJson = objectOf(s.tables, 'schema "tables"');
  const tables: TableView[] = [];
  for (const tname of walkOrder(Object.keys(tablesJson))) {
    const colsJson = objectOf(objectOf(tablesJson[tname], `table ${tname}`).columns, `table ${tname} "columns"`);
    const names = ['_uuid', '_version', ...ovsShashOrder(Object.keys(colsJson))];
    const columns: ColumnView[] = ovsShashOrder(names).map((cname) => {
      if (cname === '_uuid' || cname === '_version') return { name: cname, type: UUID_TYPE, typeJson: 'uuid', persistent: cname === '_uuid' };
      const cj = objectOf(colsJson[cname], `column ${tname}.${cname}`);
      return { name: cname, type: parseColumnType(cj.type as Json, `${tname}.${cname}`), typeJson: cj.type as Json, persistent: cj.ephemeral !== true };
    });
    tables.push({ name: tname, columns, columnByName: new Map(columns.map((c) => [c.name, c])) });
  }
  const view: SchemaView = {
    name: String(s.name), version: typeof s.version === 'string' ? s.version : '', json: s,
    tables, tableByName: new Map(tables.map((t) => [t.name, t])),
  };
  if (typeof s.cksum === 'string') view.cksum = s.cksum;
  return view;
}

/** Tables sorted by name (shash_sort), as dump and "monitor ALL" take them. */
export function tablesByName(schema: SchemaView): TableView[] {
  return [...schema.tables].sort((a, b) => byteCompare(a.name, b.name));
}
