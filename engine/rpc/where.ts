// Stand-in for engine/ovsdb/condition.ts (owner h1) until it lands: compiles an RFC 7047 "where"
// clause list into a row predicate. Replace the body with a re-export of h1's compileWhere.
import type { Json, RowJson } from '../ovsdb/api.js';
import { compareAtoms, datumEquals, datumFromJson, findKey, type Datum } from '../ovsdb/datum.js';
import { syntaxError } from '../ovsdb/errors.js';
import type { ColumnType, TableSchema } from '../ovsdb/schema.js';

type Pred = (row: RowJson) => boolean;

function contains(type: ColumnType, row: Datum, arg: Datum): boolean {
  for (let i = 0; i < arg.keys.length; i++) {
    const at = findKey(type.key.type, row.keys, arg.keys[i]!);
    if (at < 0) return false;
    if (arg.values && row.values![at] !== arg.values[i]) return false;
  }
  return true;
}

function excludes(type: ColumnType, row: Datum, arg: Datum): boolean {
  for (let i = 0; i < arg.keys.length; i++) {
    const at = findKey(type.key.type, row.keys, arg.keys[i]!);
    if (at >= 0 && (!arg.values || row.values![at] === arg.values[i])) return false;
  }
  return true;
}

export function compileWhere(table: TableSchema, where: Json): Pred {
  if (!Array.isArray(where)) throw syntaxError(where, 'Parsing where clause failed: expected array');
  const preds: Pred[] = [];
  for (const clause of where) {
    if (clause === true) continue;
    if (clause === false) { preds.push(() => false); continue; }
    if (!Array.isArray(clause) || clause.length !== 3 || typeof clause[0] !== 'string' || typeof clause[1] !== 'string') {
      throw syntaxError(clause, 'Parse error in condition.');
    }
    const [colName, fn, argJson] = clause as [string, string, Json];
    const col = table.columns.get(colName);
    if (!col) throw syntaxError(clause, `No column ${colName} in table ${table.name}.`, 'syntax error');
    const relaxed: ColumnType = { ...col.type, min: 0, max: Infinity };
    const arg = datumFromJson(fn === 'includes' || fn === 'excludes' ? relaxed : col.type, argJson);
    const get = (row: RowJson): Datum => datumFromJson(relaxed, row[colName] ?? ['set', []], undefined, true);
    const kt = col.type.key.type;
    const cmp = (row: RowJson): number | undefined => {
      const d = get(row);
      return d.keys.length === 1 && arg.keys.length === 1 ? compareAtoms(kt, d.keys[0]!, arg.keys[0]!) : undefined;
    };
    switch (fn) {
      case '==': preds.push((r) => datumEquals(get(r), arg)); break;
      case '!=': preds.push((r) => !datumEquals(get(r), arg)); break;
      case 'includes': preds.push((r) => contains(col.type, get(r), arg)); break;
      case 'excludes': preds.push((r) => excludes(col.type, get(r), arg)); break;
      case '<': preds.push((r) => { const c = cmp(r); return c !== undefined && c < 0; }); break;
      case '<=': preds.push((r) => { const c = cmp(r); return c !== undefined && c <= 0; }); break;
      case '>': preds.push((r) => { const c = cmp(r); return c !== undefined && c > 0; }); break;
      case '>=': preds.push((r) => { const c = cmp(r); return c !== undefined && c >= 0; }); break;
      default: throw syntaxError(clause, `Unknown function ${fn}`);
    }
  }
  return (row) => preds.every((p) => p(row));
}
