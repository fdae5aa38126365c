// Database integrity checker used by the crash soak, the disk-full test and the fuzzers. It reads
// the rows through the public Database API and judges them against the parsed schema, independently
// of the core's own bookkeeping:
//   - every column value has the schema's type: atom types, enums, ranges, lengths (checkDatumJson)
//     and the min/max number of elements (counted here);
//   - every strong reference names an existing row of its refTable (a weak reference may dangle:
//     ovsdb-server 3.1 leaves weak references to rows garbage-collected in the same commit, and the
//     core matches it, see engine/ovsdb/README.md);
//   - every row of a non-root table is strongly referenced by some row (OVS garbage-collects the rest);
//   - every index (set of columns) is unique over the table; maxRows holds.
import type { Database, Json, RowJson } from '../../engine/ovsdb/api.js';
import { checkDatumJson } from '../../engine/ovsdb/datum.js';
import type { BaseType, ColumnType, DatabaseSchema } from '../../engine/ovsdb/schema.js';

/** Keys and values of a wire datum, split without trusting the core's parser. */
export function wireAtoms(type: ColumnType, json: Json): { keys: Json[]; values: Json[] } {
  if (type.value) {
    if (!Array.isArray(json) || json[0] !== 'map' || !Array.isArray(json[1])) return { keys: [], values: [] };
    const keys: Json[] = [];
    const values: Json[] = [];
    for (const pair of json[1]) {
      if (Array.isArray(pair) && pair.length === 2) { keys.push(pair[0]!); values.push(pair[1]!); }
    }
    return { keys, values };
  }
  if (Array.isArray(json) && json[0] === 'set' && Array.isArray(json[1])) return { keys: json[1], values: [] };
  return { keys: [json], values: [] };
}

function uuidOf(atom: Json): string | undefined {
  return Array.isArray(atom) && atom[0] === 'uuid' && typeof atom[1] === 'string' ? atom[1].toLowerCase() : undefined;
}

function rowUuid(row: RowJson): string {
  return uuidOf(row['_uuid'] ?? null) ?? String(row['_uuid']);
}

/** Returns every integrity problem found (empty = the database is consistent). */
export function checkIntegrity(db: Database, schema: DatabaseSchema, maxProblems = 50): string[] {
  const problems: string[] = [];
  const add = (p: string): void => { if (problems.length < maxProblems) problems.push(p); };
  const rowsByTable = new Map<string, Map<string, RowJson>>();
  for (const t of schema.tables.values()) {
    const m = new Map<string, RowJson>();
    for (const r of db.rows(t.name)) {
      const u = rowUuid(r);
      if (m.has(u)) add(`${t.name}: row ${u} appears twice`);
      m.set(u, r);
    }
    rowsByTable.set(t.name, m);
  }
  const strongRefCount = new Map<string, number>(); // "<table>/<uuid>" -> strong references
  const refCheck = (from: string, col: string, base: BaseType | undefined, atoms: Json[]): void => {
    if (!base?.refTable) return;
    const target = rowsByTable.get(base.refTable);
    for (const a of atoms) {
      const u = uuidOf(a);
      if (u === undefined) { add(`${from} column ${col}: reference ${JSON.stringify(a)} is not a uuid`); continue; }
      if (!target?.has(u)) {
        if (base.refType === 'strong') add(`${from} column ${col}: strong reference to ${base.refTable} row ${u} does not resolve`);
        continue;
      }
      if (base.refType === 'strong') {
        const k = `${base.refTable}/${u}`;
        strongRefCount.set(k, (strongRefCount.get(k) ?? 0) + 1);
      }
    }
  };
  for (const t of schema.tables.values()) {
    const rows = rowsByTable.get(t.name)!;
    if (t.maxRows !== undefined && rows.size > t.maxRows) add(`${t.name}: ${rows.size} rows, maxRows is ${t.maxRows}`);
    const indexSeen = t.indexes.map(() => new Map<string, string>());
    for (const [u, row] of rows) {
      const where = `${t.name} row ${u}`;
      for (const c of t.columns.values()) {
        if (c.name === '_uuid' || c.name === '_version') continue;
        const v = row[c.name];
        if (v === undefined) { add(`${where}: column ${c.name} missing`); continue; }
        try {
          checkDatumJson(c.type, v);
        } catch (e) {
          add(`${where} column ${c.name}: ${(e as Error).message}`);
        }
        const { keys, values } = wireAtoms(c.type, v);
        if (keys.length < c.type.min || keys.length > c.type.max) {
          add(`${where} column ${c.name}: ${keys.length} elements, allowed ${c.type.min}..${c.type.max}`);
        }
        refCheck(where, c.name, c.type.key, keys);
        refCheck(where, c.name, c.type.value, values);
      }
      t.indexes.forEach((idx, i) => {
        const key = JSON.stringify(idx.map((c) => row[c] ?? null));
        const other = indexSeen[i]!.get(key);
        if (other !== undefined) add(`${t.name}: rows ${other} and ${u} have the same value ${key} for index (${idx.join(', ')})`);
        else indexSeen[i]!.set(key, u);
      });
    }
  }
  for (const t of schema.tables.values()) {
    if (t.isRoot) continue;
    for (const u of rowsByTable.get(t.name)!.keys()) {
      if (!strongRefCount.get(`${t.name}/${u}`)) add(`${t.name} row ${u}: non-root row with no strong reference (should have been garbage-collected)`);
    }
  }
  return problems;
}
