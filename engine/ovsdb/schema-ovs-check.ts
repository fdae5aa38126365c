// The rules an .ovsschema must follow, checked in the order Open vSwitch 3.1 checks them
// (ovsdb_schema_from_json and the table, column, type and datum parsers it calls), so that a
// schema OVS refuses fails here with OVS's first error and OVS's words:
//
//   syntax "<offending JSON, members sorted>": syntax error: <details>
//
// What OVS does, and so what this module does:
// - Each JSON object (database, table, column, type, base type) is read member by member; the
//   first problem is kept: a required member missing ("Required 'tables' member is missing."), a
//   member of the wrong JSON type ("Type mismatch for member 'name'.", where an <id> member must
//   be a string that is an id), then members nobody asked for ("Member 'x' is present but not
//   allowed here.", or "Member 'x' and N other member(s) are present but not allowed here.", x
//   being the first unused member in OVS's shash order). These read "Parsing <what> failed: ...",
//   with the object itself as the syntax.
// - Tables and columns are visited in shash order of their names (engine/util/ovs-shash.ts), so
//   with several bad ones the same one is reported first.
// - An integer is a JSON number that OVS's parser reads as an integer: an exact int64 (a bigint or
//   a safe integer here); any other number is a real (1.5, 1e30).
// - Reference targets are checked last, over the parsed tables (shash order of the shash built in
//   table order) and their columns (_uuid and _version first), and that error has no syntax part.
// - A duplicate enum value is an "ovsdb error" ("set contains duplicate"), no syntax part; an enum
//   string that is not UTF-8 is a "constraint violation" ("not a valid UTF-8 string: invalid
//   UTF-8 sequence 0xc3 0x00", utf8_validate's words).
import type { Json, JsonObject } from './api.js';
import { SchemaError, sortedJsonString } from './errors.js';
import { ovsShashOrder } from '../util/ovs-shash.js';

/** A schema OVS refuses: `tag` is OVS's error tag ("syntax error", "ovsdb error"), `details` its
 *  details, `syntax` the offending JSON as OVS prints it (absent when OVS gives none). `message`
 *  is ovsdb_error_to_string's text. */
export class OvsSchemaError extends SchemaError {
  readonly tag: string;
  readonly details: string;
  readonly syntax?: string;
  /** The offending JSON itself (what `syntax` prints), e.g. for an OvsdbError in a JSON-RPC reply. */
  readonly syntaxJson?: Json;
  constructor(tag: string, details: string, syntaxJson?: Json) {
    const syntax = syntaxJson === undefined ? undefined : sortedJsonString(syntaxJson);
    super(`${syntax !== undefined ? `syntax "${syntax}": ` : ''}${tag}: ${details}`);
    this.tag = tag;
    this.details = details;
    if (syntaxJson !== undefined) {
      this.syntaxJson = syntaxJson;
      this.syntax = syntax!;
    }
  }

  /** ovsdb_wrap_error: the same error with `prefix: ` before the details. */
  wrap(prefix: string): OvsSchemaError {
    return new OvsSchemaError(this.tag, `${prefix}: ${this.details}`, this.syntaxJson);
  }

  /** The error as OVS puts it in a JSON-RPC error reply ({"error", "details", "syntax"}). */
  toJson(): { error: string; details: string; syntax?: string } {
    const j: { error: string; details: string; syntax?: string } = { error: this.tag, details: this.details };
    if (this.syntax !== undefined) j.syntax = this.syntax;
    return j;
  }
}

function syntaxError(json: Json | undefined, details: string): OvsSchemaError {
  return new OvsSchemaError('syntax error', details, json);
}

const UINT_MAX = 4294967295n;

function isObject(j: Json | undefined): j is JsonObject {
  return typeof j === 'object' && j !== null && !Array.isArray(j);
}

function isInteger(j: Json | undefined): j is number | bigint {
  return typeof j === 'bigint' || (typeof j === 'number' && Number.isSafeInteger(j));
}

function isReal(j: Json | undefined): j is number {
  return typeof j === 'number' && !Number.isSafeInteger(j);
}

/** ovsdb_parser_is_id: an ASCII letter or "_", then ASCII letters, digits and "_". */
export function isOvsId(s: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(s);
}

// JSON types a member may have (ovsdb_parser_types).
const OP_NULL = 1;
const OP_FALSE = 2;
const OP_TRUE = 4;
const OP_OBJECT = 8;
const OP_ARRAY = 16;
const OP_STRING = 32;
const OP_INTEGER = 64;
const OP_REAL = 128;
const OP_BOOLEAN = OP_FALSE | OP_TRUE;
const OP_NUMBER = OP_INTEGER | OP_REAL;
const OP_ANY = OP_NULL | OP_BOOLEAN | OP_OBJECT | OP_ARRAY | OP_STRING | OP_NUMBER;
const OP_ID = 256;
const OP_OPTIONAL = 512;

function jsonTypeBit(j: Json): number {
  if (j === null) return OP_NULL;
  if (j === false) return OP_FALSE;
  if (j === true) return OP_TRUE;
  if (typeof j === 'string') return OP_STRING;
  if (Array.isArray(j)) return OP_ARRAY;
  if (typeof j === 'object') return OP_OBJECT;
  return isInteger(j) ? OP_INTEGER : OP_REAL;
}

/** One object read member by member, keeping the first error (struct ovsdb_parser). */
class MemberParser {
  private readonly used = new Set<string>();
  private readonly obj: JsonObject | undefined;
  error: OvsSchemaError | undefined;

  constructor(json: Json, private readonly what: string) {
    this.obj = isObject(json) ? json : undefined;
    if (!this.obj) this.raise('Object expected.');
  }

  member(name: string, types: number): Json | undefined {
    if (!this.obj) return undefined;
    const value = Object.prototype.hasOwnProperty.call(this.obj, name) ? this.obj[name] : undefined;
    if (value === undefined) {
      if (!(types & OP_OPTIONAL)) this.raise(`Required '${name}' member is missing.`);
      return undefined;
    }
    if (types & jsonTypeBit(value) || (types & OP_ID && typeof value === 'string' && isOvsId(value))) {
      this.used.add(name);
      return value;
    }
    this.raise(`Type mismatch for member '${name}'.`);
    return undefined;
  }

  raise(message: string): void {
    if (!this.error) this.error = syntaxError(this.obj, `Parsing ${this.what} failed: ${message}`);
  }

  /** ovsdb_parser_finish: the first error, else the members nobody asked for. */
  finish(): OvsSchemaError | undefined {
    if (!this.error && this.obj) {
      const keys = Object.keys(this.obj);
      const unused = keys.length - this.used.size;
      if (unused > 0) {
        const first = ovsShashOrder(keys).find((k) => !this.used.has(k))!;
        this.raise(unused > 1
          ? `Member '${first}' and ${unused - 1} other member${unused > 2 ? 's' : ''} are present but not allowed here.`
          : `Member '${first}' is present but not allowed here.`);
      }
    }
    return this.error;
  }
}

type Atomic = 'integer' | 'real' | 'boolean' | 'string' | 'uuid';
const ATOMIC = new Set<string>(['integer', 'real', 'boolean', 'string', 'uuid']);

interface CheckedBase {
  type: Atomic;
  refTable?: string;
  refType?: 'strong' | 'weak';
}

interface CheckedColumn {
  name: string;
  key: CheckedBase;
  value?: CheckedBase;
  persistent: boolean;
}

interface CheckedTable {
  name: string;
  isRoot: boolean;
  /** In the order OVS iterates the table's column shash. */
  columns: CheckedColumn[];
}

function atomicType(json: Json): Atomic | OvsSchemaError {
  if (typeof json !== 'string') return syntaxError(json, 'atomic-type expected');
  if (!ATOMIC.has(json)) return syntaxError(json, `"${json}" is not an atomic-type`);
  return json as Atomic;
}

/** The string's bytes: UTF-8 (a lone surrogate, from a \\u escape, as its 3-byte form, as OVS's
 *  JSON parser writes it), except that with `rawBytes` U+DC80..U+DCFF stand for the raw bytes
 *  0x80..0xff of a file that was not UTF-8 (schema-file.ts decodeSchemaBytes). */
function stringBytes(s: string, rawBytes: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (rawBytes && c >= 0xdc80 && c <= 0xdcff) out.push(c - 0xdc00);
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      out.push(...Buffer.from(s.slice(i, i + 2), 'utf8'));
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else out.push(...Buffer.from(s[i]!, 'utf8'));
  }
  return out;
}

/** utf8_validate's complaint about the first ill-formed sequence ("invalid UTF-8 sequence 0xff"),
 *  reading a missing byte at the end as the C string's NUL. Only strings holding surrogates can be
 *  ill-formed. */
function utf8Problem(s: string, rawBytes: boolean): string | undefined {
  if (!/[\ud800-\udfff]/.test(s)) return undefined;
  const b = stringBytes(s, rawBytes);
  const at = (k: number): number => b[k] ?? 0;
  const bad = (i: number, n: number): string => `invalid UTF-8 sequence${Array.from({ length: n }, (_, k) => ` 0x${at(i + k).toString(16).padStart(2, '0')}`).join('')}`;
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) { i++; continue; }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 2;
    else if (c >= 0xe0 && c <= 0xef) { n = 3; if (c === 0xe0) lo = 0xa0; if (c === 0xed) hi = 0x9f; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 4; if (c === 0xf0) lo = 0x90; if (c === 0xf4) hi = 0x8f; }
    else return bad(i, 1);
    for (let k = 1; k < n; k++) {
      const x = at(i + k);
      if (k === 1 ? x < lo || x > hi : x < 0x80 || x > 0xbf) return bad(i, k + 1);
    }
    i += n;
  }
  return undefined;
}

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** One atom of an enum (ovsdb_atom_from_json without symbol table), as a comparable key. */
function enumAtom(type: Atomic, json: Json, rawBytes: boolean): string | OvsSchemaError {
  switch (type) {
    case 'integer':
      if (isInteger(json)) return String(json);
      break;
    case 'real':
      if (typeof json === 'number' || typeof json === 'bigint') return String(Number(json));
      break;
    case 'boolean':
      if (typeof json === 'boolean') return String(json);
      break;
    case 'string':
      if (typeof json === 'string') {
        const bad = utf8Problem(json, rawBytes);
        if (bad) return new OvsSchemaError('constraint violation', `not a valid UTF-8 string: ${bad}`);
        return json;
      }
      break;
    case 'uuid': {
      if (!(Array.isArray(json) && json.length === 2 && json[0] === 'uuid' && typeof json[1] === 'string')) {
        return syntaxError(json, 'expected ["uuid", <string>]');
      }
      if (!UUID_RE.test(json[1])) return syntaxError(json, `"${json[1]}" is not a valid UUID`);
      return json[1].toLowerCase();
    }
  }
  return syntaxError(json, `expected ${type}`);
}

/** The enum as a set datum of `type` (1 to UINT_MAX atoms, no duplicates). */
function checkEnum(type: Atomic, json: Json, rawBytes: boolean): OvsSchemaError | undefined {
  let atoms: Json[];
  if (Array.isArray(json) && json.length > 0 && json[0] === 'set') {
    if (json.length !== 2 || !Array.isArray(json[1])) return syntaxError(json, 'expected ["set", <array>]');
    atoms = json[1];
    if (atoms.length < 1) return syntaxError(json, `set must have 1 to 4294967295 members but ${atoms.length} are present`);
  } else {
    atoms = [json];
  }
  const seen = new Set<string>();
  let dup = false;
  for (const a of atoms) {
    const k = enumAtom(type, a, rawBytes);
    if (k instanceof OvsSchemaError) return k;
    if (seen.has(k)) dup = true;
    seen.add(k);
  }
  return dup ? new OvsSchemaError('ovsdb error', 'set contains duplicate') : undefined;
}

function optionalUint(p: MemberParser, name: string): bigint | undefined | OvsSchemaError {
  const j = p.member(name, OP_INTEGER | OP_OPTIONAL);
  if (j === undefined) return undefined;
  const v = BigInt(j as number | bigint);
  if (v < 0n || v > UINT_MAX) return syntaxError(j, `${name} out of valid range 0 to ${UINT_MAX}`);
  return v;
}

/** ovsdb_base_type_from_json. */
function checkBaseType(json: Json, rawBytes: boolean): CheckedBase | OvsSchemaError {
  if (typeof json === 'string') {
    const t = atomicType(json);
    return t instanceof OvsSchemaError ? t : { type: t };
  }
  const p = new MemberParser(json, 'ovsdb type');
  const typeJson = p.member('type', OP_STRING);
  if (p.error) return p.finish()!;
  const type = atomicType(typeJson!);
  if (type instanceof OvsSchemaError) return type;
  const base: CheckedBase = { type };
  let error: OvsSchemaError | undefined;
  const enumJson = p.member('enum', OP_ANY | OP_OPTIONAL);
  if (enumJson !== undefined) {
    error = checkEnum(type, enumJson, rawBytes);
  } else if (type === 'integer') {
    const min = p.member('minInteger', OP_INTEGER | OP_OPTIONAL);
    const max = p.member('maxInteger', OP_INTEGER | OP_OPTIONAL);
    if (min !== undefined && max !== undefined && BigInt(min as number | bigint) > BigInt(max as number | bigint)) {
      error = syntaxError(json, 'minInteger exceeds maxInteger');
    }
  } else if (type === 'real') {
    const min = p.member('minReal', OP_NUMBER | OP_OPTIONAL);
    const max = p.member('maxReal', OP_NUMBER | OP_OPTIONAL);
    if (min !== undefined && max !== undefined && Number(min) > Number(max)) {
      error = syntaxError(json, 'minReal exceeds maxReal');
    }
  } else if (type === 'string') {
    const min = optionalUint(p, 'minLength');
    if (min instanceof OvsSchemaError) {
      error = min;
    } else {
      const max = optionalUint(p, 'maxLength');
      if (max instanceof OvsSchemaError) error = max;
      else if ((min ?? 0n) > (max ?? UINT_MAX)) error = syntaxError(json, 'minLength exceeds maxLength');
    }
  } else if (type === 'uuid') {
    const refTable = p.member('refTable', OP_ID | OP_OPTIONAL);
    if (typeof refTable === 'string') {
      base.refTable = refTable;
      base.refType = 'strong';
      const refType = p.member('refType', OP_ID | OP_OPTIONAL);
      if (refType === 'weak') base.refType = 'weak';
      else if (typeof refType === 'string' && refType !== 'strong') {
        error = syntaxError(json, `refType must be "strong" or "weak" (not "${refType}")`);
      }
    }
  }
  const finished = p.finish();
  return error ?? finished ?? base;
}

/** n_from_json: a count in 0 .. UINT_MAX - 1. */
function count(json: Json): bigint | OvsSchemaError {
  if (isInteger(json)) {
    const v = BigInt(json);
    if (v >= 0n && v < UINT_MAX) return v;
  }
  return syntaxError(json, 'bad min or max value');
}

/** ovsdb_type_from_json (the column's "type" is a string or an object here). */
function checkType(json: Json, rawBytes: boolean): { key: CheckedBase; value?: CheckedBase } | OvsSchemaError {
  if (typeof json === 'string') {
    const key = checkBaseType(json, rawBytes);
    return key instanceof OvsSchemaError ? key : { key };
  }
  const p = new MemberParser(json, 'ovsdb type');
  const keyJson = p.member('key', OP_STRING | OP_OBJECT);
  const valueJson = p.member('value', OP_STRING | OP_OBJECT | OP_OPTIONAL);
  const minJson = p.member('min', OP_INTEGER | OP_OPTIONAL);
  const maxJson = p.member('max', OP_INTEGER | OP_STRING | OP_OPTIONAL);
  const perr = p.finish();
  if (perr) return perr;
  const key = checkBaseType(keyJson!, rawBytes);
  if (key instanceof OvsSchemaError) return key;
  let value: CheckedBase | undefined;
  if (valueJson !== undefined) {
    const v = checkBaseType(valueJson, rawBytes);
    if (v instanceof OvsSchemaError) return v;
    value = v;
  }
  let min = 1n;
  let max = 1n;
  if (minJson !== undefined) {
    const m = count(minJson);
    if (m instanceof OvsSchemaError) return m;
    min = m;
  }
  if (maxJson === 'unlimited') {
    max = UINT_MAX;
  } else if (maxJson !== undefined) {
    const m = count(maxJson);
    if (m instanceof OvsSchemaError) return m;
    max = m;
  }
  if (min > 1n || max < 1n) return syntaxError(json, 'ovsdb type fails constraint checks');
  return value ? { key, value } : { key };
}

/** ovsdb_column_from_json. */
function checkColumn(json: Json, name: string, rawBytes: boolean): CheckedColumn | OvsSchemaError {
  const p = new MemberParser(json, `schema for column ${name}`);
  p.member('mutable', OP_BOOLEAN | OP_OPTIONAL);
  const ephemeral = p.member('ephemeral', OP_BOOLEAN | OP_OPTIONAL);
  const typeJson = p.member('type', OP_STRING | OP_OBJECT);
  const perr = p.finish();
  if (perr) return perr;
  const type = checkType(typeJson!, rawBytes);
  if (type instanceof OvsSchemaError) return type;
  return { name, ...type, persistent: ephemeral !== true };
}

/** A table or column name: not reserved, an id. */
function nameError(container: Json, name: string): OvsSchemaError | undefined {
  if (name.startsWith('_')) return syntaxError(container, 'names beginning with "_" are reserved');
  if (!isOvsId(name)) return syntaxError(container, 'name must be a valid id');
  return undefined;
}

/** ovsdb_column_set_from_json for one index. */
function checkIndex(json: Json, columns: Map<string, CheckedColumn>): CheckedColumn[] | OvsSchemaError {
  const bad = (): OvsSchemaError => syntaxError(json, 'array of distinct column names expected');
  if (!Array.isArray(json)) return bad();
  const set: CheckedColumn[] = [];
  for (const e of json) {
    if (typeof e !== 'string') return bad();
    const c = columns.get(e);
    if (!c) return syntaxError(json, `${e} is not a valid column name`);
    if (set.includes(c)) return bad();
    set.push(c);
  }
  return set;
}

const IMPLICIT: CheckedColumn[] = [
  { name: '_uuid', key: { type: 'uuid' }, persistent: true },
  { name: '_version', key: { type: 'uuid' }, persistent: false },
];

/** ovsdb_table_schema_from_json. */
function checkTable(json: Json, name: string, rawBytes: boolean): CheckedTable | OvsSchemaError {
  const p = new MemberParser(json, `table schema for table ${name}`);
  const columnsJson = p.member('columns', OP_OBJECT);
  p.member('mutable', OP_BOOLEAN | OP_OPTIONAL);
  const maxRows = p.member('maxRows', OP_INTEGER | OP_OPTIONAL);
  const isRoot = p.member('isRoot', OP_BOOLEAN | OP_OPTIONAL);
  const indexes = p.member('indexes', OP_ARRAY | OP_OPTIONAL);
  const perr = p.finish();
  if (perr) return perr;
  if (maxRows !== undefined && BigInt(maxRows as number | bigint) <= 0n) return syntaxError(json, 'maxRows must be at least 1');
  const cols = columnsJson as JsonObject;
  const names = Object.keys(cols);
  if (names.length === 0) return syntaxError(json, 'table must have at least one column');
  const byName = new Map<string, CheckedColumn>(IMPLICIT.map((c) => [c.name, c]));
  for (const cname of ovsShashOrder(names)) {
    const err = nameError(json, cname);
    if (err) return err;
    const c = checkColumn(cols[cname] as Json, cname, rawBytes);
    if (c instanceof OvsSchemaError) return c;
    byName.set(cname, c);
  }
  for (const idx of (indexes ?? []) as Json[]) {
    const set = checkIndex(idx, byName);
    if (set instanceof OvsSchemaError) return set;
    if (set.length === 0) return syntaxError(json, 'index must have at least one column');
    const eph = set.find((c) => !c.persistent);
    if (eph) return syntaxError(json, `ephemeral columns (such as ${eph.name}) may not be indexed`);
  }
  const order = ovsShashOrder([...byName.keys()]);
  return { name, isRoot: isRoot === true, columns: order.map((n) => byName.get(n)!) };
}

/** ovsdb_is_valid_version: "%u.%u.%u" as OVS's scanner reads it (white space before each number,
 *  an optional sign), and nothing after. */
export function isOvsSchemaVersion(s: string): boolean {
  return /^[ \t\n\v\f\r]*[+-]?[0-9]+\.[ \t\n\v\f\r]*[+-]?[0-9]+\.[ \t\n\v\f\r]*[+-]?[0-9]+$/.test(s);
}

export interface SchemaCheckOptions {
  /** Lone surrogates U+DC80..U+DCFF in strings stand for raw bytes of a file that is not UTF-8
   *  (schema-file.ts); otherwise a lone surrogate came from a \\u escape. */
  rawBytes?: boolean;
}

/** Checks `json` as ovsdb_schema_from_json does; throws OvsSchemaError with OVS's first error. */
export function checkSchemaOvs(json: Json, options: SchemaCheckOptions = {}): void {
  const rawBytes = options.rawBytes === true;
  const p = new MemberParser(json, 'database schema');
  p.member('name', OP_ID);
  const version = p.member('version', OP_STRING | OP_OPTIONAL);
  p.member('cksum', OP_STRING | OP_OPTIONAL);
  const tablesJson = p.member('tables', OP_OBJECT);
  const perr = p.finish();
  if (perr) throw perr;
  if (typeof version === 'string' && !isOvsSchemaVersion(version)) {
    throw syntaxError(json, `schema version "${version}" not in format x.y.z`);
  }
  const tablesObj = tablesJson as JsonObject;
  const tables = new Map<string, CheckedTable>();
  for (const tname of ovsShashOrder(Object.keys(tablesObj))) {
    const err = nameError(json, tname);
    if (err) throw err;
    const t = checkTable(tablesObj[tname] as Json, tname, rawBytes);
    if (t instanceof OvsSchemaError) throw t;
    tables.set(tname, t);
  }
  for (const tname of ovsShashOrder([...tables.keys()])) {
    for (const c of tables.get(tname)!.columns) {
      for (const [which, base] of [['key', c.key], ['value', c.value]] as const) {
        if (base?.refTable !== undefined && !tables.has(base.refTable)) {
          throw syntaxError(undefined, `column ${c.name} ${which} refers to undefined table ${base.refTable}`);
        }
      }
    }
  }
}
