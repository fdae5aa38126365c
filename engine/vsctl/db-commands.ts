// The generic database commands of ovs-vsctl (lib/db-ctl-base.c): get, list, find, set, add,
// remove, clear, create, destroy, wait-until, comment and show, with ovs-vsctl's table/column
// name matching, record identification and value syntax.
import type { CommandSyntax, Ctx } from './context.js';
import type { VRow } from './replica.js';
import type { ColumnSchema, ColumnType, TableSchema, VsctlSchema } from './schema.js';
import {
  atomToString, cloneDatum, compareDatum, DatumError, datumToString, datumToWire, emptyDatum, excludesAll, findKey,
  includesAll, isDefaultDatum, isUuid, parseAtomToken, parseDatum, parseToken, subtractDatum, unionDatum,
  uuidPartialLength, type Atom, type Datum, type SymbolTable,
} from './datum.js';
import { badValue, failed, notFound, VsctlError } from './errors.js';
import { OutTable, type Cell } from './out-table.js';
import { ROW_IDS, SHOW_TABLES } from './row-ids.js';

function canon(c: string): string {
  return c === '-' ? '_' : c.toLowerCase();
}

/** score_partial_match: higher is better; 0 = no match. */
function score(name: string, s: string): number {
  if (name === s) return Number.MAX_SAFE_INTEGER;
  let i = 0;
  for (; ; i++) {
    const a = name[i], b = s[i];
    if (a === undefined && b === undefined) return Number.MAX_SAFE_INTEGER - 1;
    if (a === undefined || b === undefined || canon(a) !== canon(b)) break;
  }
  return i === s.length ? i : 0;
}

function bestMatch<T>(items: Iterable<[string, T]>, s: string): { best?: T; names: string[] } {
  let bestScore = 0;
  let best: T | undefined;
  let names: string[] = [];
  for (const [name, v] of items) {
    const sc = score(name, s);
    if (sc && sc >= bestScore) {
      if (sc > bestScore) names = [];
      names.push(name);
      best = v;
      bestScore = sc;
    }
  }
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return best === undefined ? { names } : { best, names };
}

export function getTable(schema: VsctlSchema, name: string): TableSchema {
  const { best, names } = bestMatch(schema.tables.entries(), name);
  if (!best) throw badValue(`unknown table "${name}"`);
  if (names.length > 1) throw badValue(`"${name}" matches multiple table names: ${names.join(', ')}`);
  return best;
}

export function getColumn(table: TableSchema, name: string): ColumnSchema {
  const { best, names } = bestMatch(table.columns.entries(), name);
  if (!best) throw badValue(`${table.name} does not contain a column whose name matches "${name}"`);
  if (names.length > 1) throw badValue(`${table.name} contains more than one column whose name matches "${name}": ${names.join(', ')}`);
  return best;
}

function wrap<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DatumError) throw badValue(e.message);
    throw e;
  }
}

interface ColumnKeyValue {
  column: ColumnSchema;
  key?: string;
  op?: number;
  value?: string;
}

function missingOperator(arg: string, ops: string[]): string {
  let s = `${arg}: argument does not end in "${ops[0]}"`;
  if (ops.length === 2) s += ` or "${ops[1]}"`;
  else if (ops.length > 2) {
    for (let i = 1; i < ops.length - 1; i++) s += `, "${ops[i]}"`;
    s += `, or "${ops[ops.length - 1]}"`;
  }
  return s + ' followed by a value.';
}

/** parse_column_key_value. `ops` undefined: no value expected; [] means just "=". */
function parseColumnKeyValue(arg: string, table: TableSchema, ops?: string[]): ColumnKeyValue {
  return wrap(() => {
    let [name, p] = parseToken(arg, 0);
    if (name === '') throw badValue(`${arg}: missing column name`);
    const column = getColumn(table, name);
    const r: ColumnKeyValue = { column };
    if (arg[p] === ':') {
      let key: string;
      [key, p] = parseToken(arg, p + 1);
      r.key = key;
    }
    if (ops) {
      const allowed = ops.length ? ops : ['='];
      let best = -1, bestLen = 0;
      allowed.forEach((op, i) => {
        if (op.length > bestLen && arg.startsWith(op, p) && p + op.length < arg.length) { best = i; bestLen = op.length; }
      });
      if (best < 0) throw badValue(missingOperator(arg, allowed));
      r.op = best;
      r.value = arg.slice(p + bestLen);
    } else if (p < arg.length) {
      throw badValue(`${arg}: trailing garbage "${arg.slice(p)}" in argument`);
    }
    return r;
  });
}

/** pre_parse_column_key_value: only the column name is checked. */
function preParseColumn(arg: string, table: TableSchema): void {
  wrap(() => {
    const [name] = parseToken(arg, 0);
    if (name === '') throw badValue(`${arg}: missing column name`);
    getColumn(table, name);
  });
}

function checkMutable(row: VRow, column: ColumnSchema): void {
  if (!column.mutable && !row.inserted) throw failed(`cannot modify read-only column ${column.name} in table ${row.table.name}`);
}

// ---------------------------------------------------------------- record lookup

function rowIdLookup(ctx: Ctx, table: TableSchema, recordId: string): VRow | undefined {
  const id = ROW_IDS[table.name];
  if (!id) return undefined;
  const r = ctx.replica;
  const nameTable = r.schema.tables.get(id.nameTable);
  const nameCol = nameTable?.columns.get(id.nameColumn);
  if (!nameTable || !nameCol) return undefined;
  const isInt = nameCol.type.key.type === 'integer';
  if (isInt && !/^[0-9]+$/.test(recordId)) return undefined;
  let referrer: VRow | undefined;
  for (const row of r.rows(nameTable.name)) {
    const d = r.read(row, id.nameColumn);
    if (d.keys.length !== 1) continue;
    const name = d.keys[0] as Atom;
    let eq: boolean;
    if (isInt) eq = name === Number(recordId);
    else {
      const s = String(name);
      eq = s === recordId || (recordId.length >= 4 && isUuid(s) && s.startsWith(recordId));
    }
    if (eq) {
      if (referrer) throw badValue(`multiple rows in ${nameTable.name} match "${recordId}"`);
      referrer = row;
    }
  }
  if (!referrer) return undefined;
  if (!id.uuidColumn) return referrer;
  r.verify(referrer, id.uuidColumn);
  const u = r.read(referrer, id.uuidColumn);
  return u.keys.length === 1 ? r.get(table.name, u.keys[0] as string) : undefined;
}

/** ctl_get_row: by UUID, ".", name (ROW_IDS), or unique UUID prefix of at least 4 characters. */
export function getRow(ctx: Ctx, table: TableSchema, recordId: string, mustExist: boolean): VRow | undefined {
  const r = ctx.replica;
  let row: VRow | undefined;
  if (isUuid(recordId)) row = r.get(table.name, recordId.toLowerCase());
  if (!row && recordId === '.') {
    const rows = r.rows(table.name);
    if (rows.length === 1) row = rows[0];
  }
  if (!row) row = rowIdLookup(ctx, table, recordId);
  if (!row && uuidPartialLength(recordId) >= 4) {
    for (const x of r.rows(table.name)) {
      if (x.uuid.startsWith(recordId)) {
        if (row) throw badValue(`${table.name} contains 2 or more rows whose UUIDs begin with ${recordId}: at least ${row.uuid} and ${x.uuid}`);
        row = x;
      }
    }
  }
  if (mustExist && !row) throw notFound(`no row "${recordId}" in table ${table.name}`);
  return row;
}

// ---------------------------------------------------------------- conditions

const RELOPS = ['=', '!=', '<', '>', '<=', '>=', '{=}', '{!=}', '{<}', '{>}', '{<=}', '{>=}', '{in}', '{not-in}'];

function evaluateRelop(a: Datum, b: Datum, op: string): boolean {
  switch (op) {
    case '=': case '{=}': return compareDatum(a, b) === 0;
    case '!=': case '{!=}': return compareDatum(a, b) !== 0;
    case '<': return compareDatum(a, b) < 0;
    case '>': return compareDatum(a, b) > 0;
    case '<=': return compareDatum(a, b) <= 0;
    case '>=': return compareDatum(a, b) >= 0;
    case '{<}': return b.keys.length > a.keys.length && includesAll(a, b);
    case '{>}': return a.keys.length > b.keys.length && includesAll(b, a);
    case '{<=}': case '{in}': return includesAll(a, b);
    case '{>=}': return includesAll(b, a);
    case '{not-in}': return excludesAll(a, b);
  }
  return false;
}

function checkCondition(ctx: Ctx, table: TableSchema, row: VRow, arg: string): boolean {
  const ckv = parseColumnKeyValue(arg, table, RELOPS);
  const col = ckv.column;
  const op = RELOPS[ckv.op as number] as string;
  const type: ColumnType = { ...col.type, max: Infinity };
  const have = ctx.replica.read(row, col.name);
  return wrap(() => {
    if (ckv.key !== undefined) {
      if (!col.type.value) throw failed(`cannot specify key to check for non-map column ${col.name}`);
      const wantKey = parseAtomToken(ckv.key, col.type.key, ctx.s.symtab);
      const vtype: ColumnType = { key: col.type.value, min: type.min, max: Infinity };
      const b = parseDatum(ckv.value as string, vtype, ctx.s.symtab);
      const idx = findKey(have, wantKey);
      if (idx < 0 && !op.startsWith('{')) return false;
      const a: Datum = idx >= 0 ? { keys: [(have.values as Atom[])[idx] as Atom] } : { keys: [] };
      return evaluateRelop(a, b, op);
    }
    const want = parseDatum(ckv.value as string, col.type, ctx.s.symtab);
    return evaluateRelop(have, want, op);
  });
}

// ---------------------------------------------------------------- set_column

export function setColumn(ctx: Ctx, table: TableSchema, row: VRow, arg: string, partial: boolean): void {
  const ckv = parseColumnKeyValue(arg, table, []);
  const col = ckv.column;
  if (ckv.value === undefined) throw badValue(`${arg}: missing value`);
  checkMutable(row, col);
  const r = ctx.replica;
  wrap(() => {
    if (ckv.key !== undefined) {
      if (!col.type.value) throw failed(`cannot specify key to set for non-map column ${col.name}`);
      const key = parseAtomToken(ckv.key, col.type.key, ctx.s.symtab);
      const value = parseAtomToken(ckv.value as string, col.type.value, ctx.s.symtab);
      const d: Datum = { keys: [key], values: [value] };
      if (partial) {
        if (findKey(r.read(row, col.name), key) >= 0) r.mutate(row, col.name, 'delete', { keys: [key] });
        r.mutate(row, col.name, 'insert', d);
      } else {
        const cur = r.read(row, col.name);
        const merged = unionDatum(d, cur);
        r.verify(row, col.name);
        r.write(row, col.name, merged);
      }
    } else {
      r.write(row, col.name, parseDatum(ckv.value as string, col.type, ctx.s.symtab));
    }
  });
}

// ---------------------------------------------------------------- commands

function preTable(ctx: Ctx): TableSchema {
  return getTable(ctx.s.schema, ctx.argv[1] as string);
}

function parseColumnNames(names: string | undefined, table: TableSchema): Array<ColumnSchema | null> {
  if (names === undefined) return [null, ...table.columns.values()];
  const out: Array<ColumnSchema | null> = [];
  for (const n of names.split(/[, ]+/).filter((x) => x !== '')) {
    out.push(n.toLowerCase() === '_uuid' ? null : getColumn(table, n));
  }
  if (!out.length) throw badValue('must specify at least one column name');
  return out;
}

const UUID_TYPE: ColumnType = { key: { type: 'uuid', refType: 'strong' }, min: 1, max: 1 };

function makeTable(ctx: Ctx, cols: Array<ColumnSchema | null>): OutTable {
  const t = new OutTable(cols.map((c) => (c ? c.name : '_uuid')));
  ctx.table = t;
  ctx.data = [];
  return t;
}

function listRecord(ctx: Ctx, row: VRow, cols: Array<ColumnSchema | null>, t: OutTable): void {
  const cells: Cell[] = [];
  const rec: Record<string, unknown> = {};
  for (const c of cols) {
    if (!c) {
      cells.push({ datum: { keys: [row.uuid] }, type: UUID_TYPE });
      rec._uuid = ['uuid', row.uuid];
    } else {
      const d = ctx.replica.read(row, c.name);
      cells.push({ datum: d, type: c.type });
      rec[c.name] = datumToWire(d, c.type);
    }
  }
  t.rows.push(cells);
  (ctx.data as unknown[]).push(rec);
}

function preGet(ctx: Ctx): void {
  const table = preTable(ctx);
  for (const a of ctx.argv.slice(3)) {
    if (a.toLowerCase() === '_uuid' || a.toLowerCase() === '-uuid') continue;
    preParseColumn(a, table);
  }
}

function cmdGet(ctx: Ctx): void {
  const id = ctx.opt('--id');
  const mustExist = !ctx.has('--if-exists');
  if (id !== undefined && !mustExist) throw failed('--if-exists and --id may not be specified together');
  const table = preTable(ctx);
  const recordId = ctx.argv[2] as string;
  const row = getRow(ctx, table, recordId, mustExist);
  const values: unknown[] = [];
  ctx.data = values;
  if (!row) return;
  if (id !== undefined) {
    const { sym, isNew } = createSymbol(ctx.s.symtab, id);
    if (!isNew) throw failed(`row id "${id}" specified on "get" command was used before it was defined`);
    sym.uuid = row.uuid;
    sym.strongRef = true;
  }
  for (const a of ctx.argv.slice(3)) {
    if (a.toLowerCase() === '_uuid' || a.toLowerCase() === '-uuid') {
      ctx.output += row.uuid + '\n';
      values.push(['uuid', row.uuid]);
      continue;
    }
    const ckv = parseColumnKeyValue(a, table);
    const col = ckv.column;
    ctx.replica.verify(row, col.name);
    const d = ctx.replica.read(row, col.name);
    if (ckv.key !== undefined) {
      if (!col.type.value) throw failed(`cannot specify key to get for non-map column ${col.name}`);
      const key = wrap(() => parseAtomToken(ckv.key as string, col.type.key, ctx.s.symtab));
      const idx = findKey(d, key);
      if (idx < 0) {
        if (mustExist) throw notFound(`no key "${ckv.key}" in ${table.name} record "${recordId}" column ${col.name}`);
        values.push(null);
      } else {
        const v = (d.values as Atom[])[idx] as Atom;
        ctx.output += atomToString(v, col.type.value.type);
        values.push(col.type.value.type === 'uuid' ? ['uuid', v] : v);
      }
    } else {
      ctx.output += datumToString(d, col.type);
      values.push(datumToWire(d, col.type));
    }
    ctx.output += '\n';
  }
}

function createSymbol(symtab: SymbolTable, id: string): { sym: ReturnType<SymbolTable['insert']>; isNew: boolean } {
  if (!id.startsWith('@')) throw badValue(`row id "${id}" does not begin with "@"`);
  const isNew = symtab.get(id) === undefined;
  const sym = symtab.insert(id);
  if (sym.created) throw badValue(`row id "${id}" may only be specified on one --id option`);
  sym.created = true;
  return { sym, isNew };
}

function preList(ctx: Ctx): void {
  parseColumnNames(ctx.opt('--columns'), preTable(ctx));
}

function cmdList(ctx: Ctx): void {
  const table = preTable(ctx);
  const cols = parseColumnNames(ctx.opt('--columns'), table);
  const mustExist = !ctx.has('--if-exists');
  const t = makeTable(ctx, cols);
  if (ctx.argv.length > 2) {
    for (const id of ctx.argv.slice(2)) {
      const row = getRow(ctx, table, id, mustExist);
      if (row) listRecord(ctx, row, cols, t);
    }
  } else {
    for (const row of ctx.replica.rows(table.name)) listRecord(ctx, row, cols, t);
  }
}

function preFind(ctx: Ctx): void {
  const table = preTable(ctx);
  parseColumnNames(ctx.opt('--columns'), table);
  for (const a of ctx.argv.slice(2)) preParseColumn(a, table);
}

function cmdFind(ctx: Ctx): void {
  const table = preTable(ctx);
  const cols = parseColumnNames(ctx.opt('--columns'), table);
  const t = makeTable(ctx, cols);
  for (const row of ctx.replica.rows(table.name)) {
    let ok = true;
    for (const a of ctx.argv.slice(2)) {
      if (!checkCondition(ctx, table, row, a)) { ok = false; break; }
    }
    if (ok) listRecord(ctx, row, cols, t);
  }
}

function preSet(ctx: Ctx): void {
  const table = preTable(ctx);
  for (const a of ctx.argv.slice(3)) preParseColumn(a, table);
}

/** The columns the bridge/port/interface cache (vswitch-cache.ts) is built from: a change to any
 *  other column cannot change it, so bulk `set`s (one per added port) do not rebuild it each time. */
const CACHE_COLUMNS = new Map<string, ReadonlySet<string>>([
  ['Open_vSwitch', new Set(['bridges'])], ['Bridge', new Set(['name', 'ports'])],
  ['Port', new Set(['name', 'interfaces', 'fake_bridge', 'tag'])], ['Interface', new Set(['name'])],
]);

function invalidateCacheFor(ctx: Ctx, table: string, columns?: readonly string[]): void {
  const cols = CACHE_COLUMNS.get(table);
  if (cols && (!columns || columns.some((c) => cols.has(c)))) ctx.invalidateCache();
}

function cmdSet(ctx: Ctx): void {
  const table = preTable(ctx);
  const row = getRow(ctx, table, ctx.argv[2] as string, !ctx.has('--if-exists'));
  if (!row) return;
  const cols: string[] = [];
  for (const a of ctx.argv.slice(3)) {
    setColumn(ctx, table, row, a, ctx.lastCommand);
    // setColumn accepted it, so the column part (before ':' or '=') names a column.
    try { cols.push(getColumn(table, a.split(/[:=]/, 1)[0]!).name); } catch { cols.push('name'); }
  }
  invalidateCacheFor(ctx, table.name, cols);
}

function preAddRemove(ctx: Ctx): void {
  getColumn(preTable(ctx), ctx.argv[3] as string);
}

function cmdAdd(ctx: Ctx): void {
  const table = preTable(ctx);
  const col = getColumn(table, ctx.argv[3] as string);
  const row = getRow(ctx, table, ctx.argv[2] as string, !ctx.has('--if-exists'));
  if (!row) return;
  checkMutable(row, col);
  const type = col.type;
  const r = ctx.replica;
  let nd = ctx.lastCommand ? emptyDatum(type) : cloneDatum(r.read(row, col.name));
  const addType: ColumnType = { ...type, min: 1, max: Infinity };
  for (const a of ctx.argv.slice(4)) {
    const add = wrap(() => parseDatum(a, addType, ctx.s.symtab));
    nd = unionDatum(nd, add);
  }
  if (!ctx.lastCommand && nd.keys.length > type.max) {
    throw failed(`"add" operation would put ${nd.keys.length} ${type.value ? 'pairs' : 'values'} in column ${col.name} of table ${table.name} but the maximum number is ${type.max}`);
  }
  if (ctx.lastCommand) {
    // Partial updates, one element at a time (IDL write_partial_map/set): for a map, a key
    // that already exists is replaced (delete + insert).
    const cur = r.read(row, col.name);
    nd.keys.forEach((k, i) => {
      if (type.value && findKey(cur, k) >= 0) r.mutate(row, col.name, 'delete', { keys: [k] });
      r.mutate(row, col.name, 'insert', type.value ? { keys: [k], values: [(nd.values as Atom[])[i] as Atom] } : { keys: [k] });
    });
  } else {
    r.verify(row, col.name);
    r.write(row, col.name, nd);
  }
  invalidateCacheFor(ctx, table.name, [col.name]);
}

function cmdRemove(ctx: Ctx): void {
  const table = preTable(ctx);
  const col = getColumn(table, ctx.argv[3] as string);
  const row = getRow(ctx, table, ctx.argv[2] as string, !ctx.has('--if-exists'));
  if (!row) return;
  checkMutable(row, col);
  const type = col.type;
  const r = ctx.replica;
  let old = cloneDatum(r.read(row, col.name));
  for (const a of ctx.argv.slice(4)) {
    const rmType: ColumnType = { ...type, min: 1, max: Infinity };
    let rm: Datum;
    try {
      rm = parseDatum(a, rmType, ctx.s.symtab);
    } catch (e) {
      if (!(e instanceof DatumError)) throw e;
      if (!type.value) throw badValue(e.message);
      const keyType: ColumnType = { key: type.key, min: 1, max: Infinity };
      rm = wrap(() => parseDatum(a, keyType, ctx.s.symtab));
    }
    old = subtractDatum(old, rm);
  }
  if (old.keys.length < type.min) {
    throw failed(`"remove" operation would put ${old.keys.length} ${type.value ? 'pairs' : 'values'} in column ${col.name} of table ${table.name} but the minimum number is ${type.min}`);
  }
  r.verify(row, col.name);
  r.write(row, col.name, old);
  invalidateCacheFor(ctx, table.name, [col.name]);
}

function preClear(ctx: Ctx): void {
  const table = preTable(ctx);
  for (const a of ctx.argv.slice(3)) getColumn(table, a);
}

function cmdClear(ctx: Ctx): void {
  const table = preTable(ctx);
  const row = getRow(ctx, table, ctx.argv[2] as string, !ctx.has('--if-exists'));
  if (!row) return;
  for (const a of ctx.argv.slice(3)) {
    const col = getColumn(table, a);
    checkMutable(row, col);
    if (col.type.min > 0) throw failed(`"clear" operation cannot be applied to column ${col.name} of table ${table.name}, which is not allowed to be empty`);
    ctx.replica.write(row, col.name, emptyDatum(col.type));
  }
  invalidateCacheFor(ctx, table.name, ctx.argv.slice(3).map((a) => getColumn(table, a).name));
}

function preCreate(ctx: Ctx): void {
  const table = preTable(ctx);
  if (ctx.opt('--id') === undefined && !table.isRoot) {
    ctx.s.warn('db_ctl_base', `applying "create" command to table ${table.name} without --id option will have no effect`);
  }
}

function cmdCreate(ctx: Ctx): void {
  const table = preTable(ctx);
  const id = ctx.opt('--id');
  let row: VRow;
  if (id !== undefined && isUuid(id)) {
    row = ctx.replica.insert(table.name, id.toLowerCase(), true);
  } else {
    let uuid: string | undefined;
    if (id !== undefined) {
      const { sym } = createSymbol(ctx.s.symtab, id);
      if (table.isRoot) sym.strongRef = true;
      uuid = sym.uuid;
    }
    row = ctx.replica.insert(table.name, uuid);
  }
  for (const a of ctx.argv.slice(2)) setColumn(ctx, table, row, a, false);
  ctx.output = row.uuid;
}

function postCreate(ctx: Ctx, realUuid: (local: string) => string | undefined): void {
  const real = realUuid(ctx.output);
  if (real) ctx.output = real;
  ctx.data = ctx.output;
  ctx.output += '\n';
}

function cmdDestroy(ctx: Ctx): void {
  const mustExist = !ctx.has('--if-exists');
  const all = ctx.has('--all');
  const table = preTable(ctx);
  if (all && ctx.argv.length > 2) throw failed('--all and records argument should not be specified together');
  if (all && !mustExist) throw failed('--all and --if-exists should not be specified together');
  if (!all && ctx.argv.length === 2) {
    ctx.s.warn('db_ctl_base', 'either --all or records argument should be specified');
    return;
  }
  if (all) {
    for (const row of ctx.replica.rows(table.name)) ctx.replica.delete(row);
  } else {
    for (const id of ctx.argv.slice(2)) {
      const row = getRow(ctx, table, id, mustExist);
      if (row) ctx.replica.delete(row);
    }
  }
  invalidateCacheFor(ctx, table.name);
}

function cmdWaitUntil(ctx: Ctx): void {
  const table = preTable(ctx);
  const row = getRow(ctx, table, ctx.argv[2] as string, false);
  if (!row) { ctx.tryAgain = true; return; }
  for (const a of ctx.argv.slice(3)) {
    if (!checkCondition(ctx, table, row, a)) { ctx.tryAgain = true; return; }
  }
}

// ---------------------------------------------------------------- show

function showRow(ctx: Ctx, row: VRow, level: number, shown: Set<string>): void {
  const r = ctx.replica;
  const show = SHOW_TABLES.find((s) => s.table === row.table.name);
  let line = ' '.repeat(level * 4);
  if (show && show.nameColumn) {
    const col = row.table.columns.get(show.nameColumn) as ColumnSchema;
    line += `${show.table} ${datumToString(r.read(row, col.name), col.type)}`;
  } else {
    line += row.uuid;
  }
  ctx.output += line + '\n';
  if (!show || shown.has(show.table)) return;
  shown.add(show.table);
  for (const cname of show.columns) {
    const col = row.table.columns.get(cname);
    if (!col) continue;
    const d = r.read(row, cname);
    const kref = col.type.key.type === 'uuid' ? col.type.key.refTable : undefined;
    const vref = col.type.value?.type === 'uuid' ? col.type.value.refTable : undefined;
    if (kref) {
      const refShow = SHOW_TABLES.find((s) => s.table === kref);
      if (refShow) {
        for (const u of d.keys) {
          const ref = r.get(kref, u as string);
          if (ref) showRow(ctx, ref, level + 1, shown);
        }
        continue;
      }
    } else if (col.type.value && vref) {
      const refShow = SHOW_TABLES.find((s) => s.table === vref);
      if (refShow && refShow.nameColumn) {
        ctx.output += ' '.repeat((level + 1) * 4) + `${cname}:\n`;
        d.keys.forEach((k, i) => {
          const ref = r.get(vref, (d.values as Atom[])[i] as string);
          let s = ' '.repeat((level + 2) * 4) + atomToString(k, col.type.key.type) + '=';
          if (ref) {
            const nc = ref.table.columns.get(refShow.nameColumn as string) as ColumnSchema;
            s += datumToString(r.read(ref, nc.name), nc.type);
          } else s += '"<null>"';
          ctx.output += s + '\n';
        });
        continue;
      }
    }
    if (!isDefaultDatum(d, col.type)) {
      ctx.output += ' '.repeat((level + 1) * 4) + `${cname}: ${datumToString(d, col.type)}\n`;
    }
  }
  shown.delete(show.table);
}

function cmdShow(ctx: Ctx): void {
  const shown = new Set<string>();
  for (const row of ctx.replica.rows('Open_vSwitch')) showRow(ctx, row, 0, shown);
}

// ---------------------------------------------------------------- table

function withRefTables(name: string, schema: VsctlSchema): string[] {
  let t: TableSchema;
  try {
    t = getTable(schema, name);
  } catch {
    return [];
  }
  const id = ROW_IDS[t.name];
  return id && id.nameTable !== t.name ? [t.name, id.nameTable] : [t.name];
}
const argTable = (argv: string[], schema: VsctlSchema) => withRefTables(argv[1] as string, schema);

export const DB_COMMANDS: CommandSyntax[] = ([
  { name: 'comment', minArgs: 0, maxArgs: Infinity, arguments: '[ARG]...', options: '', mode: 'RO', tables: () => [] },
  { name: 'get', minArgs: 2, maxArgs: Infinity, arguments: 'TABLE RECORD [COLUMN[:KEY]]...', options: '--if-exists,--id=', mode: 'RO', tables: argTable, pre: preGet, run: cmdGet },
  { name: 'list', minArgs: 1, maxArgs: Infinity, arguments: 'TABLE [RECORD]...', options: '--if-exists,--columns=', mode: 'RO', tables: argTable, pre: preList, run: cmdList },
  { name: 'find', minArgs: 1, maxArgs: Infinity, arguments: 'TABLE [COLUMN[:KEY]=VALUE]...', options: '--columns=', mode: 'RO', tables: argTable, pre: preFind, run: cmdFind },
  { name: 'set', minArgs: 3, maxArgs: Infinity, arguments: 'TABLE RECORD COLUMN[:KEY]=VALUE...', options: '--if-exists', mode: 'RW', tables: argTable, pre: preSet, run: cmdSet },
  { name: 'add', minArgs: 4, maxArgs: Infinity, arguments: 'TABLE RECORD COLUMN [KEY=]VALUE...', options: '--if-exists', mode: 'RW', tables: argTable, pre: preAddRemove, run: cmdAdd },
  { name: 'remove', minArgs: 4, maxArgs: Infinity, arguments: 'TABLE RECORD COLUMN KEY|VALUE|KEY=VALUE...', options: '--if-exists', mode: 'RW', tables: argTable, pre: preAddRemove, run: cmdRemove },
  { name: 'clear', minArgs: 3, maxArgs: Infinity, arguments: 'TABLE RECORD COLUMN...', options: '--if-exists', mode: 'RW', tables: argTable, pre: preClear, run: cmdClear },
  { name: 'create', minArgs: 2, maxArgs: Infinity, arguments: 'TABLE COLUMN[:KEY]=VALUE...', options: '--id=', mode: 'RW', tables: argTable, pre: preCreate, run: cmdCreate, post: postCreate },
  { name: 'destroy', minArgs: 1, maxArgs: Infinity, arguments: 'TABLE [RECORD]...', options: '--if-exists,--all', mode: 'RW', tables: argTable, pre: (ctx: Ctx) => { preTable(ctx); }, run: cmdDestroy },
  { name: 'wait-until', minArgs: 2, maxArgs: Infinity, arguments: 'TABLE RECORD [COLUMN[:KEY]=VALUE]...', options: '', mode: 'RO', tables: argTable, pre: preSet, run: cmdWaitUntil },
  { name: 'show', minArgs: 0, maxArgs: 0, arguments: '', options: '', mode: 'RO', tables: () => SHOW_TABLES.map((s) => s.table), run: cmdShow },
] satisfies CommandSyntax[]);

export { VsctlError };
